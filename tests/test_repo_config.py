"""The set-up files agree with each other: Binder gets exactly the pins CI tests with."""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins(path):
    out = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        assert not line.startswith("-"), f"{path}: option lines like {line!r} are not allowed"
        name, sep, version = line.partition("==")
        assert sep, f"{path}: {line!r} is not pinned exactly with =="
        out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_requirements_pin_every_package_exactly():
    reqs = pins("requirements.txt")
    for must in ["jupyterlab", "ipywidgets", "ipympl", "numpy", "matplotlib", "sympy", "nbval",
                 "pytest", "tqdm"]:
        assert must in reqs, f"{must} missing from requirements.txt"
    assert "torch" not in reqs, "the course codes its gradients by hand: no PyTorch"


def test_binder_pins_match():
    assert pins("binder/requirements.txt") == pins("requirements.txt")


def test_binder_runtime_matches_ci_python():
    runtime = (ROOT / "binder/runtime.txt").read_text().strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}"


def test_binder_postbuild_installs_helpers():
    text = (ROOT / "binder/postBuild").read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[0].startswith("#!") or lines[0] == "set -e"
    assert "set -e" in lines
    assert "pip install --no-deps -e ." in lines
    assert (ROOT / "binder/postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert [ln for ln in ci.splitlines() if ln.strip().startswith("make")] == ["make test"]


def test_lab_command_is_local_and_authenticated():
    make = (ROOT / "Makefile").read_text()
    lab = make.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "--ServerApp.ip=127.0.0.1" in lab
    assert "notebooks/00_start_here.ipynb" in lab
    for forbidden in ("token=''", 'token=""', "IdentityProvider.token=", "password=''",
                      "disable_check_xsrf", "--ip=0.0.0.0"):
        assert forbidden not in make, f"the lab command must keep Jupyter's auth: {forbidden}"


#: tools only the tests use: requirements-dev.txt, never what a learner or Binder installs
TEST_ONLY = ["playwright", "ruff", "jupyter-repo2docker", "pytest-xdist"]


def test_test_only_tools_stay_out_of_the_learner_install():
    learner, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    for tool in TEST_ONLY:
        assert tool not in learner, f"{tool} is test-only: it belongs in requirements-dev.txt"
        assert tool in dev, f"{tool} missing from requirements-dev.txt"
    assert not set(learner) & set(dev), "a package pinned in both files"


def make_dry_run(target: str) -> str:
    """The commands `make <target>` would run in a fresh clone (-B: as if nothing were built)."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(["make", "--no-print-directory", "-n", "-B", target], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_lab_installs_the_learner_list_and_make_test_the_dev_tools():
    lab, test = make_dry_run("lab"), make_dry_run("test")
    assert "-r requirements.txt" in lab and "requirements-dev.txt" not in lab
    assert "-r requirements.txt" in test and "-r requirements-dev.txt" in test
    copy = "cp binder/overrides.json .venv/share/jupyter/lab/settings/overrides.json"
    assert copy in lab and copy in test  # both get the course's JupyterLab settings


def test_course_settings_switch_news_and_update_checks_off():
    overrides = json.loads((ROOT / "binder/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false", "checkForUpdates": False}
    # Binder: postBuild puts the same file where that environment's JupyterLab reads defaults
    post = (ROOT / "binder/postBuild").read_text()
    assert ('cp binder/overrides.json "${NB_PYTHON_PREFIX}/share/jupyter/lab/settings/'
            'overrides.json"') in post
