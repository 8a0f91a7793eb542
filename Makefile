# Two commands do all the set-up (see README):
#   make lab    open the course in JupyterLab (localhost, token authentication)
#   make test   run every test: lint, unit tests, every notebook top to bottom, browser tests
# Both create .venv on first use, install the exact pins and the helpers package, and reuse it.
# `make lab` installs only what a learner runs (requirements.txt, the same list Binder installs);
# `make test` adds the test-only tools of requirements-dev.txt and the website's builder
# (requirements-site.txt), which `make site` installs too: it builds the course as a website in
# _site/. `make student` writes solution-free copies of the notebooks to student/.

# The Python versions the course supports: pyproject.toml's classifiers, the one list (the README
# states it; tests/test_repo_config.py checks they agree). .venv is made with PYTHON: by default
# the first of python3.11, python3.12, ... (each supported version in turn), then python3, that
# runs; choose one with `make lab PYTHON=python3.12`. Outside the list, make stops before pip.
PY_SUPPORTED := $(shell sed -n 's/^ *"Programming Language :: Python :: \(3\.[0-9]*\)",*$$/\1/p' \
	pyproject.toml)
# The first of the commands $(1) that runs, as a path.
PY_FIRST = $(shell for py in $(1); do $$py -c '' 2>/dev/null && command -v $$py && break; \
	done; true)
PYTHON ?= $(call PY_FIRST,$(addprefix python,$(PY_SUPPORTED)) python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
LAB_STAMP := $(VENV)/.lab-stamp
STAMP  := $(VENV)/.installed-stamp
SITE_STAMP := $(VENV)/.site-stamp
# The course's JupyterLab defaults (binder/overrides.json: no news or update pop-ups), where
# JupyterLab reads them: the environment's share/jupyter/lab/settings (Binder's postBuild
# copies the same file to the same place).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: lab test test-fast variants bench site student clean

# The interpreter .venv has or will be made from, checked before anything is installed.
PY_USED = $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
PY_VERSION = $(if $(PY_USED),$(shell $(PY_USED) -c \
	'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null))
PY_PROBLEM = $(if $(PY_VERSION),Python $(PY_VERSION) ($(PY_USED)) is not supported,$(if \
	$(PY_USED),$(PY_USED) did not run,no Python found))
PY_EXAMPLE = $(notdir $(or $(call PY_FIRST,$(addprefix python,$(PY_SUPPORTED))),python3.12))
check_python = $(if $(filter $(PY_SUPPORTED),$(PY_VERSION)),,$(error $(PY_PROBLEM): the course \
	supports Python $(subst $(space),$(comma)$(space),$(PY_SUPPORTED)); $(if $(wildcard \
	$(BIN)/python),remove $(VENV) (make clean) and )choose one, e.g. make $(firstword \
	$(MAKECMDGOALS) lab) PYTHON=$(PY_EXAMPLE)))
comma := ,
space := $(subst ,, )

$(LAB_STAMP): requirements.txt pyproject.toml
	$(check_python)
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

# The website's builder (Sphinx, MyST-NB, the book theme, MathJax): its own pins, installed
# after requirements.txt by `make site` and `make test` only; pip check proves they agree.
$(SITE_STAMP): $(LAB_STAMP) requirements-site.txt
	$(PIP) -r requirements-site.txt
	$(BIN)/python -m pip check
	touch $(SITE_STAMP)

# Jupyter refuses to run as root unless told to; root is common in containers (and CI).
# Token authentication stays on either way. root_dir=. serves the whole clone (make runs in it);
# without it Jupyter would serve notebooks/, the folder of the file it opens.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(LAB_STAMP) $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(ALLOW_ROOT) \
		notebooks/00_start_here.ipynb

# Four pytest runs: unit tests and every notebook (nbval), two at a time (one notebook's cells
# stay in one process); the browser tests alone, so their timings are taken on a quiet machine;
# then the variants (every notebook under other seeds and floating-point kernels), two at a time;
# then the website (built, or brought up to date, first) in Chromium beside the student copies
# run top to bottom, two at a time.
test: $(STAMP) $(SITE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not browser and not variants and not site and not student" -n 2 --dist loadfile
	$(BIN)/python -m pytest -m browser
	$(BIN)/python -m pytest -m variants -n 2 --durations=0 tests/test_notebook_variants.py
	$(BIN)/python website/build_site.py
	$(BIN)/python -m pytest -m "site or student" -n 2 --durations=5

# One notebook (or several) under every variant, with the time each took:
#   make variants NB=notebooks/06_reinforce_cartpole.ipynb
variants: $(STAMP)
	$(BIN)/python tests/notebook_variants.py $(or $(NB),notebooks/*.ipynb)

# Unit tests and notebooks only (no browser, no website): handy while writing a notebook.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not variants and not site and not student"

# The course as a website in _site/ (git-ignored): every notebook executed (two at a time;
# unchanged ones come from build/site's cache), rendered offline. See website/build_site.py.
site: $(SITE_STAMP)
	$(BIN)/python website/build_site.py

# Student copies in student/ (git-ignored): every notebook without its solution cells.
student: $(LAB_STAMP)
	$(BIN)/python tools/student_copies.py

# Prints the performance figures and writes them to benchmarks/RESULTS.md (one row per line).
bench: $(STAMP)
	$(BIN)/python benchmarks/widgets.py --record
	$(BIN)/python benchmarks/cartpole_reinforce.py --seeds 10 --record
	$(BIN)/python benchmarks/cartpole_critic.py --seeds 10 --record
	$(BIN)/python benchmarks/cartpole_ppo.py --seeds 10 --record
	$(BIN)/python benchmarks/lqr.py --seeds 10 --record

clean:
	rm -rf $(VENV) *.egg-info _site build/site student
