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


def blas_kernel() -> str | None:
    """The name of the OpenBLAS kernel numpy's matrix products run on here, e.g.
    ``"SkylakeX"`` or ``"Haswell"``; None where numpy does not use a bundled OpenBLAS
    (Apple's Accelerate, MKL, another build). Notebook 06: a different kernel rounds matrix
    products differently, so the same seed trains a different run.

    ``OPENBLAS_CORETYPE=Prescott`` (set before Python starts) makes OpenBLAS use another
    kernel on the same CPU; the course's tests use that to play other machines.
    """
    import ctypes
    import glob

    import numpy as np

    libs = glob.glob(str(Path(np.__file__).resolve().parent.parent / "numpy.libs"
                         / "libscipy_openblas*.so*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                       "openblas_get_corename64_", "openblas_get_corename"):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def numpy_simd() -> list[str]:
    """The SIMD extensions numpy's own loops dispatch to here (beyond its baseline), e.g.
    ``["X86_V3", "X86_V4", "AVX512_ICL"]``; ``NPY_DISABLE_CPU_FEATURES`` narrows it.
    Notebook 06."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]


#: numpy's SIMD dispatch narrowed to its baseline (what ``NPY_DISABLE_CPU_FEATURES`` takes)
NARROW_SIMD = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"


def floating_point_setups() -> dict[str, dict[str, str]]:
    """The environment variables, by name, that make this machine round like others: the
    default, OpenBLAS's Prescott and Sandybridge kernels, and numpy's SIMD narrowed to its
    baseline. Each must be set before Python starts. Notebook 06 (§6) explains why they
    matter; the course's variants test and the claim benchmarks run under them.
    """
    return {
        "default": {},
        "openblas-prescott": {"OPENBLAS_CORETYPE": "Prescott"},
        "openblas-sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
        "numpy-baseline-simd": {"NPY_DISABLE_CPU_FEATURES": NARROW_SIMD},
    }


def run_under_setup(name: str, argv: list[str], extra_env: dict | None = None) -> str:
    """Run ``python *argv`` in a fresh process under floating-point set-up ``name`` (see
    :func:`floating_point_setups`) and return what it printed. Notebook 06's and 07's
    claim benchmarks use it to measure a spread over set-ups."""
    import os
    import subprocess
    import sys

    setups = floating_point_setups()
    if name not in setups:
        raise ValueError(f"unknown set-up {name!r}; choose from {', '.join(setups)}")
    env = {**os.environ, **(extra_env or {}), **setups[name]}
    return subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True,
                          check=True).stdout
