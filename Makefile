# Optimization for Deep Learning: build, test and benchmark the course book.
#   make book    build the HTML book into _build/html (stored, nbval-verified outputs; no re-execution)
#   make test    course_lib's unit tests and strict nbval over every chapter, three times: as is, with
#                oneDNN on, and with one thread (the three passes run side by side)
#   make lint    ruff check and ruff format --check over course_lib, tests and tools
#   make bench   execute every chapter in a fresh kernel: wall seconds and peak kernel memory
#   make execute NB=chapters/01_activations.ipynb   re-run one chapter in place (after editing it)
#   make assignments   student notebooks + autograder zips (otter-grader), in _build/assignments
#   make book-student  the book without solutions (from the student notebooks), in _build/html-student
#   make lab     open the chapters in JupyterLab (the .venv kernel, course_lib installed)
# Each target creates .venv and installs requirements.txt and course_lib when they are missing or changed.
# Python 3.11, 3.12 or 3.13 (TensorFlow 2.21 has no wheel for newer ones): .venv is made with python3 if
# it is one of those, else with the first of python3.12, python3.11, python3.13 that works; if none
# does, make stops before installing anything. Choose one yourself with PYTHON=python3.12.

SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PYTHON ?= $(shell for p in python3 python3.12 python3.11 python3.13; do \
	$$p -c '$(SUPPORTED)' 2>/dev/null && { echo $$p; exit; }; done; echo python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Strict nbval: re-execute every chapter and compare each stored output with what the code prints now.
NBVAL      := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider
ONE_THREAD := OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
RUFF_PATHS := course_lib tests tools

.PHONY: book test lint bench execute execute-all assignments book-student lab clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -c '$(SUPPORTED)' 2>/dev/null || { \
		echo "This course needs Python 3.11, 3.12 or 3.13 (TensorFlow 2.21 has no wheel for newer ones);"; \
		echo "$(PYTHON) is $$($(PYTHON) --version 2>&1). Install one of them and run, e.g., make PYTHON=python3.12"; \
		echo "Nothing was installed."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

# Pass 1 (unit tests, then nbval on this machine's settings) runs in the foreground; pass 2 (oneDNN on:
# other float summation orders, as on another CPU) and pass 3 (one thread) run beside it, their output in
# _build/test-onednn.log and _build/test-one-thread.log, printed at the end. All three must pass: the
# stored outputs may not depend on the machine (README.md, "Why make test runs every chapter three times").
test: $(STAMP)
	@mkdir -p _build
	@echo "strict nbval with TF_ENABLE_ONEDNN_OPTS=1 and with one thread runs in the background (_build/test-*.log)"
	@TF_ENABLE_ONEDNN_OPTS=1 $(PY) -m pytest chapters $(NBVAL) -q > _build/test-onednn.log 2>&1 & onednn=$$!; \
	$(ONE_THREAD) $(PY) -m pytest chapters $(NBVAL) -q > _build/test-one-thread.log 2>&1 & one_thread=$$!; \
	trap 'kill $$onednn $$one_thread 2>/dev/null' INT TERM; \
	$(PY) -m pytest tests chapters $(NBVAL); status=$$?; \
	wait $$onednn; onednn_status=$$?; wait $$one_thread; one_thread_status=$$?; \
	echo; echo "=== pass 2: strict nbval with TF_ENABLE_ONEDNN_OPTS=1 ==="; cat _build/test-onednn.log; \
	echo; echo "=== pass 3: strict nbval with one thread ==="; cat _build/test-one-thread.log; \
	test $$status -eq 0 && test $$onednn_status -eq 0 && test $$one_thread_status -eq 0

lint: $(STAMP)
	$(VENV)/bin/ruff check $(RUFF_PATHS)
	$(VENV)/bin/ruff format --check $(RUFF_PATHS)

bench: $(STAMP)
	$(PY) -m tools.bench

execute: $(STAMP)
	$(PY) -m tools.book execute $(NB)

execute-all: $(STAMP)
	$(PY) -m tools.book execute chapters/*.ipynb

assignments: $(STAMP)
	$(PY) -m tools.assignments

book-student: $(STAMP)
	$(PY) -m tools.assignments --book-student

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/

clean:
	rm -rf _build
