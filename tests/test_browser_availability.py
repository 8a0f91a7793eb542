"""Where Chromium is missing and cannot be installed (Windows, macOS, a Linux without apt-get
or root), the browser tests are skipped with the reason printed, not failed: the README's
'Without make' promises it, and `make test` stays green on such a machine.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("_lab_checked", ROOT / "tests/browser/_lab.py")
lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab)


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(lab, "CHROMIUM", str(tmp_path / "chromium"))


def test_missing_chromium_without_apt_get_is_unavailable(no_chromium, monkeypatch):
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0, raising=False)
    monkeypatch.setattr(lab.shutil, "which", lambda name: None)
    with pytest.raises(lab.ChromiumUnavailable, match=r"cannot install it \(no apt-get\)"):
        lab.ensure_chromium()


def test_missing_chromium_as_another_user_is_unavailable(no_chromium, monkeypatch):
    monkeypatch.setattr(lab.os, "geteuid", lambda: 1000, raising=False)
    with pytest.raises(lab.ChromiumUnavailable, match=r"\(not root\)"):
        lab.ensure_chromium()


def test_missing_chromium_on_windows_is_unavailable(no_chromium, monkeypatch):
    """Windows' os has no geteuid: that must be a skip too, not an AttributeError."""
    monkeypatch.delattr(lab.os, "geteuid", raising=False)
    with pytest.raises(lab.ChromiumUnavailable, match="apt-get install -y chromium"):
        lab.ensure_chromium()


def test_a_failed_apt_get_still_fails(no_chromium, monkeypatch):
    """Root with apt-get: the install is tried, and its failure is an error, not a skip."""
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0, raising=False)
    monkeypatch.setattr(lab.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(lab.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 100, stdout="", stderr="E: Unable to locate package chromium"))
    with pytest.raises(RuntimeError, match="Unable to locate package") as err:
        lab.ensure_chromium()
    assert not isinstance(err.value, lab.ChromiumUnavailable)


def test_browser_step_skips_with_the_reason_where_chromium_cannot_be_had(tmp_path):
    """`pytest -m browser` as make test runs it, on a machine with no Chromium and no
    apt-get on the PATH: every test skipped, the reason in the summary, exit status 0."""
    run = ("import sys; sys.path.insert(0, 'tests/browser'); import _lab; "
           f"_lab.CHROMIUM = {str(tmp_path / 'chromium')!r}; import pytest; "
           "sys.exit(pytest.main(['-m', 'browser', 'tests/browser/test_first_launch.py']))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PATH"] = str(tmp_path)  # no apt-get
    done = subprocess.run([sys.executable, "-c", run], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "2 skipped" in out and "passed" not in out and "failed" not in out, out[-3000:]
    skips = [ln for ln in out.splitlines() if ln.startswith("SKIPPED [")]
    assert len(skips) == 2 and all("the browser tests need Debian's Chromium" in ln
                                   for ln in skips), out[-3000:]
