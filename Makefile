# Two commands do all the set-up (see README):
#   make lab    open the course in JupyterLab (localhost, token authentication)
#   make test   run every test: lint, unit tests, every notebook top to bottom, browser tests
# Both create .venv on first use, install the exact pins and the helpers package, and reuse it.
# `make lab` installs only what a learner runs (requirements.txt, the same list Binder installs);
# `make test` adds the test-only tools of requirements-dev.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
LAB_STAMP := $(VENV)/.lab-stamp
STAMP  := $(VENV)/.installed-stamp
# The course's JupyterLab defaults (binder/overrides.json: no news or update pop-ups), where
# JupyterLab reads them: the environment's share/jupyter/lab/settings (Binder's postBuild
# copies the same file to the same place).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: lab test test-fast variants bench clean

$(LAB_STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -e .
	touch $(LAB_STAMP)

$(LAB_OVERRIDES): binder/overrides.json | $(LAB_STAMP)
	mkdir -p $(dir $@)
	cp binder/overrides.json $@

$(STAMP): $(LAB_STAMP) $(LAB_OVERRIDES) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $(STAMP)

# Jupyter refuses to run as root unless told to; root is common in containers (and CI).
# Token authentication stays on either way.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(LAB_STAMP) $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) $(ALLOW_ROOT) \
		notebooks/00_start_here.ipynb

# Three pytest runs: unit tests and every notebook (nbval), two at a time (one notebook's cells
# stay in one process); the browser tests alone, so their timings are taken on a quiet machine;
# then the variants (every notebook under other seeds and floating-point kernels), two at a time.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not browser and not variants" -n 2 --dist loadfile
	$(BIN)/python -m pytest -m browser
	$(BIN)/python -m pytest -m variants -n 2 --durations=0 tests/test_notebook_variants.py

# One notebook (or several) under every variant, with the time each took:
#   make variants NB=notebooks/06_reinforce_cartpole.ipynb
variants: $(STAMP)
	$(BIN)/python tests/notebook_variants.py $(or $(NB),notebooks/*.ipynb)

# Unit tests and notebooks only (no browser): handy while writing a notebook.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not variants"

# Prints the performance figures and writes them to benchmarks/RESULTS.md (one row per line).
bench: $(STAMP)
	$(BIN)/python benchmarks/widgets.py --record
	$(BIN)/python benchmarks/cartpole_reinforce.py --seeds 10 --record
	$(BIN)/python benchmarks/cartpole_critic.py --seeds 10 --record

clean:
	rm -rf $(VENV) *.egg-info
