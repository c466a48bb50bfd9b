# Optimization for Deep Learning: build, test and benchmark the course book.
#   make book    build the HTML book into _build/html (stored, nbval-verified outputs; no re-execution)
#   make test    course_lib's unit tests and strict nbval over every chapter
#   make bench   execute every chapter in a fresh kernel: wall seconds and peak kernel memory
#   make execute NB=chapters/01_activations.ipynb   re-run one chapter in place (after editing it)
#   make assignments   student notebooks + autograder zips (otter-grader), in _build/assignments
#   make book-student  the book without solutions (from the student notebooks), in _build/html-student
#   make lab     open the chapters in JupyterLab (the .venv kernel, course_lib installed)
# Each target creates .venv and installs requirements.txt and course_lib when they are missing or changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test bench execute execute-all assignments book-student lab clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

test: $(STAMP)
	$(PY) -m pytest tests chapters --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m course_lib.book bench

execute: $(STAMP)
	$(PY) -m course_lib.book execute $(NB)

execute-all: $(STAMP)
	$(PY) -m course_lib.book execute chapters/*.ipynb

assignments: $(STAMP)
	$(PY) -m tools.assignments

book-student: $(STAMP)
	$(PY) -m tools.assignments --book-student

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/

clean:
	rm -rf _build
