"""The set-up files agree with each other: Binder gets exactly the pins CI tests with."""

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
