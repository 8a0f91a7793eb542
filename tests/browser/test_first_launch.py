"""A learner's first `make lab`: JupyterLab opens notebook 00 with no pop-up over it.

JupyterLab asks "Would you like to get notified about official Jupyter news?" in a notification
toast on a fresh profile, and may announce a newer version. The course switches both off with
binder/overrides.json (fetchNews "false", checkForUpdates false), which make copies into
.venv/share/jupyter/lab/settings and Binder's postBuild into its environment: the place where
JupyterLab reads setting defaults ("JupyterLab on Binder" in JupyterLab's documentation).

The first test runs `make lab` itself, as a learner does, with a fresh Jupyter profile (config,
settings, workspaces and data dirs all new, and a new browser context). The second starts a lab
without the course's overrides and sees the news question: the check can fail.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from _lab import ROOT, Lab, free_port, toasts_within

pytestmark = pytest.mark.browser

NOTIFICATION = "@jupyterlab/apputils-extension:notification"
#: the news question appears about half a second after the lab has loaded; wait well past it
WATCH_S = 8


def _fresh_profile(home: Path, port: int, token: str) -> dict:
    env = dict(os.environ)
    for var, name in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("JUPYTER_DATA_DIR", "data"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                      ("MPLCONFIGDIR", "mpl")]:
        (home / name).mkdir(parents=True)
        env[var] = str(home / name)
    # the port and token go in the fresh profile's config, so the command stays `make lab`
    (home / "config" / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"port": port, "port_retries": 0, "open_browser": False},
        "IdentityProvider": {"token": token},
    }))
    for var in ("MPLBACKEND", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # as typed in a new shell
        env.pop(var, None)
    return env


def _wait_for_server(url: str, token: str, proc, log: Path, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"make lab exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"make lab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def _setting_defaults(url: str, token: str) -> dict:
    """The defaults JupyterLab serves for the notification settings (overrides applied)."""
    with urllib.request.urlopen(f"{url}/lab/api/settings/{NOTIFICATION}?token={token}") as r:
        schema = json.loads(r.read())["schema"]["properties"]
    return {key: schema[key].get("default") for key in ("fetchNews", "checkForUpdates")}


@pytest.fixture
def make_lab(tmp_path):
    """`make lab` from the repository, with a fresh profile; yields (url, token, log)."""
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.skip("run `make lab` (or `make test`) once first: it sets up .venv")
    port, token = free_port(), secrets.token_hex(24)
    env = _fresh_profile(tmp_path, port, token)
    log = tmp_path / "make-lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT), "lab"],
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(url, token, proc, log)
        yield url, token, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # make and the server it started
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def test_make_lab_opens_notebook_00_without_pop_ups(make_lab, browser):
    url, token, log = make_lab
    assert _setting_defaults(url, token) == {"fetchNews": "false", "checkForUpdates": False}
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # a fresh profile
    try:
        page = context.new_page()
        # where make lab sends the learner's browser (its last argument is notebook 00)
        page.goto(f"{url}/lab/tree/notebooks/00_start_here.ipynb?token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        shown = toasts_within(page, WATCH_S)
        dialogs = page.locator(".jp-Dialog").count()
    finally:
        context.close()
    assert not shown, f"make lab shows pop-ups on first launch: {shown}"
    assert dialogs == 0, "make lab opens with a dialog over the notebook"


def test_without_the_course_settings_jupyterlab_asks_about_news(tmp_path, browser):
    """The control: the same check sees JupyterLab's news question when the course's
    overrides are not read (an empty application settings directory)."""
    (tmp_path / "root").mkdir()
    (tmp_path / "no-overrides").mkdir()
    lab = Lab(tmp_path / "root", tmp_path,
              extra_args=(f"--LabApp.app_settings_dir={tmp_path / 'no-overrides'}",)).start()
    context = browser.new_context()
    try:
        assert _setting_defaults(lab.url, lab.token) == {"fetchNews": "none",
                                                          "checkForUpdates": True}
        page = context.new_page()
        page.goto(f"{lab.url}/lab?token={lab.token}")
        page.wait_for_selector("#jp-main-dock-panel")
        shown = toasts_within(page, WATCH_S)
    finally:
        context.close()
        lab.stop()
    assert any("Jupyter news" in text for text in shown), shown
