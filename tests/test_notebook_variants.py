"""Every notebook, top to bottom, as other learners' machines would run it (see
``tests/notebook_variants.py``): two other seeds, two other OpenBLAS kernels, numpy's SIMD
dispatch narrowed. A claim tuned to one run fails here.

Marked ``variants``; ``make test`` runs them after the main suite, two at a time."""

import functools

import pytest
from notebook_variants import NOTEBOOK_DIR, VARIANTS, has_seed, prepare, run, skip_reason

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


@functools.cache
def _reason(name):
    return skip_reason(name)


@pytest.mark.variants
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_notebook_runs_under_variant(path, variant, record_property):
    reason = _reason(variant)
    if reason:
        pytest.skip(f"{variant}: {reason}")
    if VARIANTS[variant].get("seed") is not None and not has_seed(path):
        pytest.skip(f"{path.name} has no SEED line: nothing random to vary")
    seconds = run(path, variant)
    record_property("seconds", round(seconds, 1))
    print(f"{path.name} under {variant}: {seconds:.1f} s")


def test_prepare_changes_only_the_seed_line():
    path = next(p for p in NOTEBOOKS if has_seed(p))
    before, after = prepare(path, None), prepare(path, 11)
    changed = [i for i, (a, b) in enumerate(zip(before.cells, after.cells, strict=True))
               if a.source != b.source]
    assert len(changed) == 1
    assert "SEED = 11" in after.cells[changed[0]].source
