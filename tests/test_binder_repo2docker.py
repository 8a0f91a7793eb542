"""Binder's real builder reads our configuration the way we think it does.

``jupyter-repo2docker --no-build --debug .`` prints the Dockerfile that mybinder.org would
build, without a Docker engine and in about a second. It must use ``binder/`` (not the
top-level files): the Python of ``binder/runtime.txt``, ``pip install -r
binder/requirements.txt``, and ``binder/postBuild``. tests/test_repo_config.py checks that
those files agree with requirements.txt and CI's Python.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def repo2docker() -> str:
    here = Path(sys.executable).with_name("jupyter-repo2docker")
    found = str(here) if here.exists() else shutil.which("jupyter-repo2docker")
    if not found:
        pytest.skip("jupyter-repo2docker is not installed (pip install jupyter-repo2docker; "
                    "see the README's 'Open in Binder')")
    return found


@pytest.fixture(scope="module")
def dockerfile() -> str:
    done = subprocess.run([repo2docker(), "--no-build", "--debug", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    return out


def test_uses_the_pinned_python(dockerfile):
    runtime = (ROOT / "binder/runtime.txt").read_text().strip()
    version = runtime.removeprefix("python-")
    assert re.search(rf"python={re.escape(version)}\b", dockerfile), (
        f"repo2docker did not pick Python {version} from binder/runtime.txt")


def test_installs_binder_requirements(dockerfile):
    assert re.search(r'pip install .*-r "?binder/requirements\.txt', dockerfile)
    assert "src/binder/requirements.txt" in dockerfile
    # with a binder/ folder, the top-level requirements.txt must be ignored
    assert not re.search(r"COPY .*src/requirements\.txt", dockerfile)


def test_runs_postbuild(dockerfile):
    assert re.search(r"^RUN \./binder/postBuild\s*$", dockerfile, re.M)
