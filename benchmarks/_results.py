"""Publish benchmark figures: each benchmark line becomes one row of ``benchmarks/RESULTS.md``.

``make bench`` runs the benchmarks with ``--record``; each calls :func:`record` once per
line it prints, with the raw numbers (one per seed, or one per slider change), and the row
shows their median and spread, with the machine's CPU model, its BLAS kernel and the date.
A row is keyed by (benchmark, what): running a benchmark again replaces its rows and keeps
the others. Nothing checks these numbers — machines differ, and on CartPole even the run a
seed trains differs with the floating-point kernel (notebook 06, section 6) — they are
published so that a reader can compare their machine with ours, as CleanRL publishes its
results.
"""

from __future__ import annotations

import datetime
import platform
import statistics
import subprocess
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().with_name("RESULTS.md")
COLUMNS = ("benchmark", "what", "seeds", "n", "median", "spread (min · quartiles · max)",
           "CPU", "BLAS kernel", "date")
HEADER = """# Benchmark results

Written by `make bench` (each benchmark run with `--record`, through `benchmarks/_results.py`):
one row per line a benchmark prints, with the median and the spread of its raw numbers
(one per seed, or one per slider change), the machine's CPU, its BLAS kernel and the date.
Running a benchmark again replaces its rows. These are published figures, not tests: no CI
check compares timings, because machines differ — and on CartPole even the run a seed trains
differs with the floating-point kernel, so steps-to-solve are a spread over seeds, not one
number. Notebook 06 explains why.

"""


def cpu_model() -> str:
    """The CPU's model name, as the operating system reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def blas_kernel() -> str:
    """OpenBLAS's core type (helpers.environment.blas_kernel), or "unknown"."""
    from helpers.environment import blas_kernel as kernel

    return kernel() or "unknown"


def _number(x: float) -> str:
    if not np.isfinite(x):
        return "—"
    if x == int(x) and abs(x) < 1e7:
        return f"{int(x):,}"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def summary(values) -> tuple[str, str]:
    """(median, "min · q1–q3 · max") of ``values`` as text."""
    v = np.asarray([float(x) for x in values], dtype=float)
    if v.size == 0:
        return "—", "—"
    q = np.percentile(v, [0, 25, 75, 100])
    return (_number(statistics.median(v.tolist())),
            f"{_number(q[0])} · {_number(q[1])}–{_number(q[2])} · {_number(q[3])}")


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _read(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| benchmark ") or set(line) <= set("|- "):
            continue
        cells = [c.strip().replace("\0", "|")
                 for c in line.strip()[1:-1].replace("\\|", "\0").split("|")]
        if len(cells) == len(COLUMNS):
            rows.append(cells)
    return rows


def record(benchmark: str, what: str, values, *, seeds: str = "—", path: Path = RESULTS,
           today: str | None = None) -> list[str]:
    """Add (or replace) the row (``benchmark``, ``what``): the median and spread of ``values``.

    ``seeds`` says what the values range over ("0–9", or "—" for slider changes).
    Returns the row's cells.
    """
    values = list(values)
    median, spread = summary(values)
    row = [benchmark, what, seeds, str(len(values)), median, spread, cpu_model(),
           blas_kernel(), today or datetime.date.today().isoformat()]
    rows = _read(path)
    keys = [(r[0], r[1]) for r in rows]
    if (benchmark, what) in keys:                      # a new run: the row in its place
        rows[keys.index((benchmark, what))] = row
    else:                                              # a benchmark's rows stay together
        at = max((i + 1 for i, k in enumerate(keys) if k[0] == benchmark), default=len(rows))
        rows.insert(at, row)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return row


def seeds_label(n: int) -> str:
    """ "0–9" for seeds 0 … n−1."""
    return "0" if n == 1 else f"0–{n - 1}"
