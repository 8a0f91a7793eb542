# Two commands do all the set-up (see README):
#   make lab    open the course in JupyterLab (localhost, token authentication)
#   make test   run every test: lint, unit tests, every notebook top to bottom, browser tests
# Both create .venv on first use, install the exact pins and the helpers package, and reuse it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: lab test test-fast variants bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Jupyter refuses to run as root unless told to; root is common in containers (and CI).
# Token authentication stays on either way.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) $(ALLOW_ROOT) \
		notebooks/00_start_here.ipynb

# The variants (every notebook under other seeds and floating-point kernels) run after the
# main suite, two at a time, so the browser tests' timings are taken on a quiet machine.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not variants"
	$(BIN)/python -m pytest -m variants -n 2 --durations=0 tests/test_notebook_variants.py

# One notebook (or several) under every variant, with the time each took:
#   make variants NB=notebooks/06_reinforce_cartpole.ipynb
variants: $(STAMP)
	$(BIN)/python tests/notebook_variants.py $(or $(NB),notebooks/*.ipynb)

# Unit tests and notebooks only (no browser): handy while writing a notebook.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not variants"

bench: $(STAMP)
	$(BIN)/python benchmarks/widgets.py
	$(BIN)/python benchmarks/cartpole_reinforce.py --seeds 10

clean:
	rm -rf $(VENV) *.egg-info
