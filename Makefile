# Optimization for Deep Learning: build, test and benchmark the course book.
#   make book    build the HTML book into _build/html (stored, nbval-verified outputs; no re-execution)
#   make site-test   the built book in headless Chromium: links, math, images, accessibility (axe-core)
#   make pdf     the book as one PDF, _build/latex/book.pdf (needs TeX Live once; README.md)
#   make test    course_lib's unit tests and strict nbval over every chapter, twice: as is, and with one
#                thread and oneDNN on (the two passes run side by side)
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
# Another machine, as far as the stored outputs can tell: one thread (other float summation orders in
# TensorFlow and NumPy) and oneDNN on (its kernels reorder float32 sums; it has none for float64, so it only
# matters if a chapter computes in float32).
OTHER_MACHINE := OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 TF_ENABLE_ONEDNN_OPTS=1
RUFF_PATHS := course_lib tests tools

.PHONY: book site-test pdf test lint bench execute execute-all assignments book-student lab clean

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

# make site-test: the built book in headless Chromium (tools/site_test.py: console errors, math, images and
# alt text, axe-core, page weight, phone width, solutions, launch links, search, internal links).
# One-time set-up, outside make (root): apt-get install chromium (Debian's browser, driven by Playwright
# through its executable path; no browser download). The site tools are installed here when missing:
# requirements-site.txt into .venv (not requirements.txt, so that Binder's image does not grow) and
# axe-core and MathJax from npm (tests/site/package-lock.json, not at the root, where Binder would install
# it; MathJax is served from tests/site/node_modules, offline).
SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): requirements-site.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-site.txt
	touch $(SITE_STAMP)

tests/site/node_modules/.package-lock.json: tests/site/package.json tests/site/package-lock.json
	npm ci --prefix tests/site --no-audit --no-fund

site-test: book $(SITE_STAMP) tests/site/node_modules/.package-lock.json
	$(PY) -m tools.site_test

# make pdf: the whole book as one PDF, _build/latex/book.pdf (JB1's LaTeX builder through XeLaTeX).
# make pdf STUDENT=1: the student edition without worked solutions (the switch of make book-student),
# _build/pdf-student/book.pdf. One-time set-up, outside make (root; about 1 GB): README.md, "A PDF".
pdf: $(STAMP)
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null || { \
		echo "make pdf needs TeX Live, installed once (README.md, \"A PDF of the book\"):"; \
		echo "  apt-get install texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk xindy fonts-freefont-otf tex-gyre imagemagick"; \
		exit 1; }
ifeq ($(STUDENT),1)
	$(PY) -m tools.assignments --book-student --builder pdflatex
else
	$(VENV)/bin/jupyter-book build . --builder pdflatex --keep-going
	@echo "PDF: _build/latex/book.pdf"
endif

# Pass 1 (unit tests, then nbval on this machine's settings; the 15 slowest tests listed) runs in the
# foreground; pass 2 (one thread and oneDNN on: other summation orders, as on another machine) runs beside
# it, its output in _build/test-other-machine.log, printed at the end. Both must pass: the stored outputs
# may not depend on the machine (README.md, "Why make test runs every chapter twice").
# `pytest -m "not slow"` skips the kit's slow tests (kernels, otter, a book build) for a quick loop.
test: $(STAMP) $(SITE_STAMP)
	@mkdir -p _build
	@echo "strict nbval with one thread and TF_ENABLE_ONEDNN_OPTS=1 runs in the background (_build/test-other-machine.log)"
	@$(OTHER_MACHINE) $(PY) -m pytest chapters $(NBVAL) -q > _build/test-other-machine.log 2>&1 & other=$$!; \
	trap 'kill $$other 2>/dev/null' INT TERM; \
	$(PY) -m pytest tests chapters $(NBVAL) --durations=15; status=$$?; \
	wait $$other; other_status=$$?; \
	echo; echo "=== pass 2: strict nbval with one thread and TF_ENABLE_ONEDNN_OPTS=1 ==="; \
	cat _build/test-other-machine.log; \
	test $$status -eq 0 && test $$other_status -eq 0

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
