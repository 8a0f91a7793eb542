"""Start a throw-away JupyterLab and drive it from Playwright (used by the browser tests).

Kept apart from conftest.py so a developer can also import it in a Python shell and poke at a
running lab by hand.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the notebooks under test: the course's, or another folder given in PG_BROWSER_NOTEBOOKS
NOTEBOOK_DIR = Path(os.environ.get("PG_BROWSER_NOTEBOOKS", ROOT / "notebooks"))
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
#: goal for the median key-press-to-new-picture time, in milliseconds
SLIDER_GOAL_MS = 100


def notebook_ids(path: Path) -> str:
    return path.stem


#: inline or display TeX in a markdown cell: $x$, $$x$$, \(x\), \[x\]
MATH_RE = re.compile(r"\$[^$\s][^$]*\$|\\\(|\\\[")


def markdown_has_math(path: Path) -> bool:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(c["cell_type"] == "markdown" and MATH_RE.search("".join(c["source"]))
               for c in cells)


def has_widgets(path: Path) -> bool:
    """Notebooks that build live figures (``%matplotlib widget``) or import ipywidgets."""
    text = path.read_text(encoding="utf-8")
    return "%matplotlib widget" in text or "ipywidgets" in text


CHROMIUM = "/usr/bin/chromium"
#: Flags that let Debian's Chromium run headless on a closed network as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: User settings for the throw-away lab: every cell kept in the DOM (no virtual scrolling), no
#: autosave of the temp copy, scrolling slides. No news or update pop-ups come from the course's
#: own binder/overrides.json, which make installs into .venv (test_first_launch.py checks it).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # long slides (code, figure and prose) scroll instead of being cut off: the README tells
    # instructors to set the same in Settings > Settings Editor > RISE
    "jupyterlab-rise/plugin.jupyterlab-settings": {"scroll": True},
}


class ChromiumUnavailable(RuntimeError):
    """Chromium is missing and this machine cannot install it (no apt-get, or not root):
    the browser tests are skipped with this message, as on Windows or macOS."""


def ensure_chromium() -> str:
    """Return the path of Debian's Chromium, installing it with apt-get when we are root.

    Playwright's own browser download needs internet access that test machines may not have,
    so the tests use the distribution's browser. Raises ChromiumUnavailable when the browser
    is missing and cannot be installed here, RuntimeError when apt-get tried and failed.
    """
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    root = getattr(os, "geteuid", lambda: -1)() == 0  # Windows has no geteuid
    if not root or not shutil.which("apt-get"):
        raise ChromiumUnavailable(
            f"the browser tests need Debian's Chromium at {CHROMIUM}, which is missing, and "
            f"this machine cannot install it ({'no apt-get' if root else 'not root'}); on "
            "Linux, as root: apt-get update && apt-get install -y chromium"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr)[-3000:]
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{tail}")
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 with a fresh token, settings and workspace dirs.

    ``root`` is the folder the lab serves (a temp copy of the notebooks, so running them in
    the browser never writes outputs into the repository).
    """

    def __init__(self, root: Path, home: Path, python: str = sys.executable,
                 extra_args: tuple[str, ...] = ()):
        self.python = python
        self.extra_args = list(extra_args)
        self.root = Path(root)
        self.home = Path(home)
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = self.home / "jupyterlab.log"

    def env(self) -> dict:
        dirs = {name: self.home / name for name in
                ("settings", "workspaces", "config", "runtime", "data", "ipython", "mpl")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        for rel, value in LAB_SETTINGS.items():
            path = dirs["settings"] / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = dict(os.environ)
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            IPYTHONDIR=str(dirs["ipython"]),
            MPLCONFIGDIR=str(dirs["mpl"]),
            PYTHONUNBUFFERED="1",
        )
        # the kernel must pick ipympl from `%matplotlib widget`, not Agg from tests/conftest.py
        env.pop("MPLBACKEND", None)
        return env

    def start(self, timeout: float = 90) -> Lab:
        cmd = [
            self.python, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            # let the tests call JupyterLab commands (Run All) as a user's menu click would
            "--LabApp.expose_app_in_browser=True",
            *self.extra_args,
        ]
        if os.geteuid() == 0:  # CI containers run as root
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env(), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.api("status"), timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log()}")

    def api(self, path: str) -> str:
        return f"{self.url}/api/{path}?token={self.token}"

    def lab_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={self.token}&reset"

    def rise_url(self, notebook: str) -> str:
        return f"{self.url}/rise/{notebook}?token={self.token}"

    def log(self) -> str:
        try:
            return self.log_path.read_text()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: jupyter-server shuts its kernels down
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()


def launch_browser(playwright, executable_path: str = CHROMIUM):
    return playwright.chromium.launch(executable_path=executable_path, headless=True,
                                      args=CHROMIUM_ARGS)


# -- driving a notebook in JupyterLab -----------------------------------------------------------

#: ipywidgets/ipympl class names whose repr (``IntSlider(value=1, ...)``) in an output means the
#: widget was shown as plain text instead of a live control. Reprs of widgets use keyword
#: arguments, so ``Text(0.5, 1.0, 'title')`` from matplotlib does not match.
WIDGET_NAMES = (
    "Accordion AppLayout Audio BoundedFloatText BoundedIntText Box Button Canvas Checkbox "
    "ColorPicker Combobox Controller DatePicker Dropdown FileUpload FloatLogSlider FloatProgress "
    "FloatRangeSlider FloatSlider FloatText GridBox GridspecLayout HBox HTML HTMLMath Image "
    "IntProgress IntRangeSlider IntSlider IntText Label Output Password Play RadioButtons Select "
    "SelectMultiple SelectionRangeSlider SelectionSlider Stack Tab TagsInput Text Textarea "
    "ToggleButton ToggleButtons Toolbar VBox Valid Video"
).split()
WIDGET_TEXT_RE = r"\b(?:" + "|".join(WIDGET_NAMES) + r")\(\w+="

APP = "window.jupyterapp"
NB = f"{APP}.shell.currentWidget"

#: A snapshot of the open notebook: kernel status, and per code cell its execution count,
#: its outputs from the model, and how each output was rendered in the page.
STATE_JS = r"""
() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
  const cells = [];
  nb.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    const outputs = cell.model.outputs.toJSON();
    const rendered = Array.from(cell.node.querySelectorAll('.jp-OutputArea-output')).map(
      el => ({mime: el.getAttribute('data-mime-type'),
             widget: el.querySelector('.jupyter-widgets') !== null,
             text: el.innerText.slice(0, 2000)}));
    cells.push({index, count: cell.model.executionCount, outputs, rendered});
  });
  return {status: kernel ? kernel.status : 'none', cells,
          math: nb.node.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
          mathErrors: nb.node.querySelectorAll('mjx-merror').length};
}
"""


def open_notebook(page, lab: Lab, relpath: str, timeout_ms: int = 120_000):
    """Open ``relpath`` in JupyterLab and wait until its kernel is idle."""
    page.goto(lab.lab_url(relpath))
    page.wait_for_function(
        f"""() => {APP} && {NB} && {NB}.context && {NB}.context.path === {relpath!r}
                && {NB}.sessionContext.session && {NB}.sessionContext.session.kernel
                && {NB}.sessionContext.session.kernel.status === 'idle'""",
        timeout=timeout_ms)


def notebook_state(page) -> dict:
    return page.evaluate(STATE_JS)


def run_all(page, timeout_s: float = 900) -> dict:
    """Run All, as a learner would from the Run menu; return the final state.

    Finished means: the kernel is idle twice in a row half a second apart, and every code cell
    has an execution count (or an error stopped the run).
    """
    page.evaluate(f"{APP}.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout_s
    idle_polls = 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        state = notebook_state(page)
        ran = all(c["count"] is not None for c in state["cells"])
        failed = any(o.get("output_type") == "error" for c in state["cells"] for o in c["outputs"])
        idle_polls = idle_polls + 1 if state["status"] == "idle" and (ran or failed) else 0
        if idle_polls >= 2:
            return state
    raise TimeoutError(f"Run All did not finish within {timeout_s} s")


def wait_for_widgets(page, timeout_s: float = 60) -> dict:
    """Wait until every widget output in the model has a rendered counterpart in the page."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = notebook_state(page)
        pending = [c["index"] for c in state["cells"]
                   if _n_widget_outputs(c) > sum(
                       r["widget"] and "Loading widget" not in r["text"]
                       for r in c["rendered"])]
        if not pending or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _n_widget_outputs(cell) -> int:
    return sum(WIDGET_MIME in o.get("data", {}) for o in cell["outputs"])


def problems(state: dict) -> list[str]:
    """Everything a learner should never see: errors, tracebacks, widgets that failed to load
    or were shown as plain text."""
    found = []
    for cell in state["cells"]:
        where = f"cell {cell['index']}"
        for out in cell["outputs"]:
            if out.get("output_type") == "error":
                found.append(f"{where}: {out.get('ename')}: {out.get('evalue')}")
            text = "".join(out.get("text", "")) if out.get("output_type") == "stream" else ""
            if "Traceback" in text:
                found.append(f"{where}: traceback on {out.get('name')}: {text[-300:]}")
        n_widgets = _n_widget_outputs(cell)
        n_live = sum(r["widget"] for r in cell["rendered"])
        if n_live < n_widgets:
            found.append(f"{where}: {n_widgets} widget output(s) but {n_live} rendered as widgets")
        for r in cell["rendered"]:
            if "Error displaying widget" in r["text"]:
                found.append(f"{where}: 'Error displaying widget': {r['text'][:200]}")
            if not r["widget"] and re.search(WIDGET_TEXT_RE, r["text"]):
                found.append(f"{where}: widget shown as plain text: {r['text'][:120]!r}")
    return found


# -- slider-to-picture timing -------------------------------------------------------------------

#: Installed in the page: remembers the figure's pixels, then on the next key press or pointer
#: press starts a clock and polls every animation frame until the pixels differ.
PROBE_JS = r"""
(canvas) => {
  const hash = () => {
    if (!canvas.width || !canvas.height) return 'empty';  // the first image has not arrived
    const ctx = canvas.getContext('2d');
    const data = new Uint32Array(ctx.getImageData(0, 0, canvas.width, canvas.height).data.buffer);
    let h = 2166136261 >>> 0;
    for (let i = 0; i < data.length; i += 1) { h = Math.imul(h ^ data[i], 16777619) >>> 0; }
    return h + ':' + canvas.width + 'x' + canvas.height;
  };
  const before = hash();
  const probe = {before, ms: null, t0: null};
  window.__pgProbe = probe;
  const start = () => {
    if (probe.t0 !== null) return;
    probe.t0 = performance.now();
    const poll = () => {
      if (hash() !== before) { probe.ms = performance.now() - probe.t0; return; }
      if (performance.now() - probe.t0 < 10000) requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  };
  document.addEventListener('keydown', start, {capture: true, once: true});
  document.addEventListener('pointerdown', start, {capture: true, once: true});
  return before;
}
"""


def wait_picture_change(page, timeout_s: float = 10) -> float | None:
    """After PROBE_JS and an input: ms until the canvas changed, or None."""
    try:
        page.wait_for_function("() => window.__pgProbe.ms !== null", timeout=timeout_s * 1000)
    except Exception:  # playwright's TimeoutError: the picture did not change
        return None
    return page.evaluate("() => window.__pgProbe.ms")


#: true once ipympl has painted the figure: a sized canvas with some opaque pixels
DRAWN_JS = r"""
(canvas) => {
  if (!canvas.isConnected || !canvas.width || !canvas.height) return false;
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < d.length; i += 4 * 97) { if (d[i] !== 0) return true; }
  return false;
}
"""


FIGURES = ".jupyter-matplotlib-canvas-div canvas:first-child"


def blank_figures(page, timeout_s: float = 20) -> list[int]:
    """Indices of ipympl figures that show no picture ``timeout_s`` after Run All finished."""
    deadline = time.monotonic() + timeout_s
    while True:
        drawn = page.evaluate(f"() => Array.from(document.querySelectorAll({FIGURES!r}))"
                              f".map({DRAWN_JS.strip()})")
        blank = [i for i, ok in enumerate(drawn) if not ok]
        if not blank or time.monotonic() > deadline:
            return blank
        time.sleep(0.5)


def wait_figure_drawn(page, canvas, timeout_s: float = 20) -> bool:
    """Wait until the figure shows a picture; False if it stays blank.

    ``canvas`` is a locator, found again at every look: the output area may render the
    widget's view again while the page settles (a slideshow moves the cells into its slides),
    and a handle on the first canvas element would then watch a node no longer on the page.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            canvas.scroll_into_view_if_needed(timeout=2000)
            if canvas.evaluate(DRAWN_JS, timeout=2000):
                time.sleep(0.3)  # let a resize redraw settle before the "before" picture
                return True
        except Exception:  # playwright's TimeoutError: no such canvas on the page right now
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)


def press_and_time(page, handle, canvas, timeout_s: float = 10) -> float | None:
    """Focus the slider handle, press an arrow key, return ms until the canvas changed
    (None if it did not change within ``timeout_s``)."""
    now, top = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemax"))
    key = "ArrowLeft" if now >= top else "ArrowRight"
    handle.focus()
    canvas.evaluate(PROBE_JS)
    page.keyboard.press(key)
    return wait_picture_change(page, timeout_s)


#: JupyterLab's notifications (the news question, "a newer version is available") are toasts
TOASTS_JS = "() => Array.from(document.querySelectorAll('.Toastify__toast')).map(e => e.innerText)"


def toasts_within(page, seconds: float) -> list[str]:
    """The texts of the notification toasts the page shows within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = page.evaluate(TOASTS_JS)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


#: Runs code in the open notebook's kernel (silently: no output, no execution count) and
#: returns the repr of an expression, as a learner's cell would see it.
KERNEL_EVAL_JS = r"""
async ([code, expr]) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: true, store_history: false,
                                        user_expressions: expr ? {value: expr} : {}});
  const reply = await future.done;
  const c = reply.content;
  if (c.status !== 'ok') return {error: c.ename + ': ' + c.evalue};
  const v = reply.content.user_expressions.value;
  if (!v) return {value: 'None'};
  if (v.status !== 'ok') return {error: v.ename + ': ' + v.evalue};
  return {value: v.data['text/plain']};
}
"""


def kernel_eval(page, code: str, expr: str | None = None):
    """Run ``code`` in the notebook's kernel, then return ``expr`` evaluated there (a literal)."""
    import ast

    out = page.evaluate(KERNEL_EVAL_JS, [code, expr])
    if "error" in out:
        raise RuntimeError(f"kernel code failed: {out['error']}")
    return ast.literal_eval(out["value"])


#: Installed in the kernel by the slider timing: every Explorer.refresh() appends its duration
#: (ms) to helpers.widgets.common._pg_times, so each key press has its kernel-side time too.
TIME_REFRESH = """
def _pg_time_refreshes():
    import time
    from helpers.widgets import common
    if hasattr(common, "_pg_times"):
        return
    common._pg_times = []
    plain = common.Explorer.refresh
    def timed(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return plain(self, *args, **kwargs)
        finally:
            common._pg_times.append(1e3 * (time.perf_counter() - t0))
    common.Explorer.refresh = timed
_pg_time_refreshes()
del _pg_time_refreshes
"""
COMMON = "__import__('helpers.widgets.common', fromlist=['Explorer'])"


def set_fast_redraw(page, on: bool):
    """Switch the Explorer speed-ups on or off in the notebook's kernel (issue 11)."""
    kernel_eval(page, f"{COMMON}.Explorer.fast_redraw = {bool(on)}")


def kernel_ms_since(page) -> float:
    """Kernel-side ms spent in Explorer.refresh since the last call (then cleared)."""
    return sum(kernel_eval(page, f"_pg = {COMMON}._pg_times[:]; {COMMON}._pg_times.clear()",
                           "_pg"))


def wait_kernel_idle(page, timeout_ms: int = 30_000):
    page.wait_for_function(f"() => {NB}.sessionContext.session.kernel.status === 'idle'",
                           timeout=timeout_ms)
