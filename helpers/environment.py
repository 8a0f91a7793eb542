"""The environment check of notebook 00 (``00_start_here``).

Compares the installed versions of the course's packages with the exact pins in
``requirements.txt``, so a learner on their own machine sees at once whether a difference
in versions could explain a difference in behaviour.
"""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

#: the packages a learner's notebooks actually import or display through
COURSE_PACKAGES = ["jupyterlab", "ipykernel", "ipywidgets", "jupyterlab_widgets", "ipympl",
                   "numpy", "matplotlib", "sympy", "gymnasium", "tqdm"]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: str | Path | None = None) -> dict[str, str]:
    """Exact pins ``name==version`` from requirements.txt (empty if absent). Notebook 00."""
    path = Path(path) if path else Path(__file__).resolve().parents[1] / "requirements.txt"
    if not path.exists():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[_normalise(name)] = version.strip()
    return pins


def environment_report(packages=None, pins_path=None) -> list[dict]:
    """One row per package: name, installed version (or None), pinned version, ``ok``.

    Introduced in notebook 00. ``ok`` is True when installed equals pinned, or when there is
    no pin to compare with.
    """
    pins = read_pins(pins_path)
    rows = []
    for name in packages or COURSE_PACKAGES:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        pinned = pins.get(_normalise(name))
        ok = installed is not None and (pinned is None or pinned == installed)
        rows.append({"package": name, "installed": installed, "pinned": pinned, "ok": ok})
    return rows


def print_environment_report(rows=None) -> bool:
    """Print the report as a table; return True when everything matches. Notebook 00."""
    rows = environment_report() if rows is None else rows
    print(f"Python {platform.python_version()}")
    print(f"{'package':20s} {'installed':>12s} {'pinned':>12s}")
    for r in rows:
        mark = "✓" if r["ok"] else ("✗ missing" if r["installed"] is None else "⚠ differs")
        print(f"{r['package']:20s} {r['installed'] or '—':>12s} {r['pinned'] or '—':>12s}  {mark}")
    return all(r["ok"] for r in rows)
