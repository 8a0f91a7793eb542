"""Run a notebook as another learner's machine would: another SEED, another OpenBLAS kernel,
or numpy's SIMD dispatch narrowed to its baseline.

A learner's laptop rounds floating-point sums differently from ours (another CPU, another
BLAS kernel), and reinforcement learning amplifies those differences: the same code and the
same seed train a different run. The course promises that every number in its prose is
printed beside it or holds on every such machine. These variants test that promise:

* ``seed3``, ``seed11``: the notebook's ``SEED = 0`` line replaced, nothing else touched;
* ``openblas-prescott``, ``openblas-sandybridge``: ``OPENBLAS_CORETYPE`` makes numpy's bundled
  OpenBLAS use an older kernel (SSE3 for Prescott, AVX for Sandybridge), as an older or
  different x86-64 CPU would;
* ``numpy-baseline-simd``: ``NPY_DISABLE_CPU_FEATURES`` switches off numpy's AVX2/AVX-512
  loops.

A variant that cannot run here (not x86-64, a CPU without AVX, a numpy without a bundled
OpenBLAS, nothing to narrow) is skipped with the reason, never silently.

From the command line, to check a notebook while writing it::

    .venv/bin/python tests/notebook_variants.py notebooks/06_reinforce_cartpole.ipynb
    .venv/bin/python tests/notebook_variants.py notebooks/0*.ipynb --variant seed3
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from helpers.environment import floating_point_setups

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SEED_LINE = re.compile(r"^SEED = \d+\s*(#.*)?$", re.M)
_SETUPS = floating_point_setups()   # the same set-ups the claim benchmarks validate on

VARIANTS = {
    "seed3": {"seed": 3},
    "seed11": {"seed": 11},
    "openblas-prescott": {"env": _SETUPS["openblas-prescott"], "cpu_flags": ["sse3"]},
    "openblas-sandybridge": {"env": _SETUPS["openblas-sandybridge"], "cpu_flags": ["avx"]},
    "numpy-baseline-simd": {"env": _SETUPS["numpy-baseline-simd"]},
}

_PROBE = ("from helpers.environment import blas_kernel, numpy_simd; "
          "print(blas_kernel()); print(','.join(numpy_simd()))")


def _probe(env: dict) -> tuple[str | None, list[str]]:
    """The BLAS kernel and numpy SIMD a fresh Python with ``env`` ends up using."""
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**os.environ, **env},
                         capture_output=True, text=True, check=True).stdout.splitlines()
    kernel = None if out[0] == "None" else out[0]
    return kernel, [f for f in out[1].split(",") if f]


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def skip_reason(name: str) -> str | None:
    """Why variant ``name`` cannot run on this machine, or None when it can."""
    spec = VARIANTS[name]
    env = spec.get("env", {})
    if "OPENBLAS_CORETYPE" in env:
        if platform.machine() not in ("x86_64", "AMD64"):
            return f"OpenBLAS x86-64 kernels need an x86-64 CPU; this is {platform.machine()}"
        flags = _cpu_flags()
        # SSE3 shows as "pni" in /proc/cpuinfo
        missing = [f for f in spec["cpu_flags"] if f not in flags and not (
            f == "sse3" and "pni" in flags)]
        if flags and missing:
            return f"this CPU lacks {', '.join(missing)}, which the {env['OPENBLAS_CORETYPE']} " \
                   "kernel needs"
        default, _ = _probe({})
        if default is None:
            return "numpy here does not use a bundled OpenBLAS, so OPENBLAS_CORETYPE does nothing"
        chosen, _ = _probe(env)
        if chosen == default:
            return f"OpenBLAS already runs its {default} kernel here; the variant would repeat " \
                   "the default run"
    if "NPY_DISABLE_CPU_FEATURES" in env:
        _, default = _probe({})
        if not default:
            return "numpy dispatches to no SIMD extension beyond its baseline here: nothing " \
                   "to narrow"
        _, narrowed = _probe(env)
        if narrowed == default:
            return "NPY_DISABLE_CPU_FEATURES did not change numpy's dispatch here"
    return None


def prepare(path: Path, seed: int | None):
    """The notebook with its ``SEED = …`` line set to ``seed`` (untouched if None).

    Raises ValueError when a seed is asked for and the notebook has no single SEED line.
    """
    nb = nbformat.read(path, as_version=4)
    if seed is None:
        return nb
    hits = [c for c in nb.cells if c.cell_type == "code" and SEED_LINE.search(c.source)]
    if len(hits) != 1 or len(SEED_LINE.findall(hits[0].source)) != 1:
        raise ValueError(f"{path.name}: expected exactly one line 'SEED = <int>' in its code; "
                         f"found {sum(len(SEED_LINE.findall(c.source)) for c in hits)}")
    hits[0].source = SEED_LINE.sub(f"SEED = {seed}", hits[0].source, count=1)
    return nb


def has_seed(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "code" and SEED_LINE.search(c.source) for c in nb.cells)


def run(path: Path, name: str, timeout: int = 300) -> float:
    """Execute notebook ``path`` top to bottom under variant ``name``; return seconds taken.

    Runs in a fresh kernel whose environment carries the variant's variables, with the
    notebook folder as working directory (as JupyterLab would). A failing cell raises
    ``nbclient.exceptions.CellExecutionError`` with its traceback.
    """
    from nbclient import NotebookClient

    spec = VARIANTS[name]
    nb = prepare(path, spec.get("seed"))
    env = {**os.environ, **spec.get("env", {}), "MPLBACKEND": "Agg"}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(env=env)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS),
                        help="run only these variants (default: all)")
    args = parser.parse_args(argv)
    failed = 0
    for name in args.variant or list(VARIANTS):
        reason = skip_reason(name)
        if reason:
            print(f"[{name}] skipped: {reason}")
            continue
        for path in args.notebooks:
            if VARIANTS[name].get("seed") is not None and not has_seed(path):
                print(f"[{name}] {path.name}: skipped, no SEED line (nothing random)")
                continue
            try:
                seconds = run(path, name)
                print(f"[{name}] {path.name}: ok in {seconds:.1f} s", flush=True)
            except Exception as err:  # report every failure, then go on
                failed += 1
                print(f"[{name}] {path.name}: FAILED\n{err}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
