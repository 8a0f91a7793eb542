"""benchmarks/_results.py, the writer of benchmarks/RESULTS.md: rows by (benchmark, what),
replaced when a benchmark runs again, median and spread of the raw numbers, the machine."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results():
    spec = importlib.util.spec_from_file_location("_results", ROOT / "benchmarks/_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table(path):
    return [line for line in path.read_text().splitlines() if line.startswith("| ")][1:]


def test_rows_are_added_replaced_and_kept_together(results, tmp_path):
    path = tmp_path / "RESULTS.md"
    row = results.record("bench_a", "steps to solve", [3, 1, 2, 4, 100], seeds="0–4",
                         path=path, today="2025-01-02")
    assert row[3:6] == ["5", "3", "1 · 2–4 · 100"] and row[-1] == "2025-01-02"
    assert row[6] == results.cpu_model() and row[7] == results.blas_kernel()
    results.record("bench_b", "ms per change", [10.5, 12.25], path=path)
    results.record("bench_a", "CPU s | wall s", [0.5], path=path)       # a "|" in a cell
    results.record("bench_a", "steps to solve", [7, 9], seeds="0–1", path=path)
    rows = _table(path)
    assert len(rows) == 3 and "Benchmark results" in path.read_text()
    assert rows[0].startswith("| bench_a | steps to solve | 0–1 | 2 | 8 | 7 · 7.5–8.5 · 9 |")
    assert rows[1].startswith("| bench_a | CPU s \\| wall s | — | 1 | 0.5 |")
    assert rows[2].startswith("| bench_b | ms per change | — | 2 | 11.4 |")
    assert all(r.count(" | ") == len(results.COLUMNS) - 1 for r in rows)


def test_summary_of_nothing_and_of_large_numbers(results):
    assert results.summary([]) == ("—", "—")
    median, spread = results.summary([49_500.0, 61_234.0, 250_000.0])
    assert median == "61,234" and spread.startswith("49,500 · ")
    assert results.seeds_label(1) == "0" and results.seeds_label(10) == "0–9"
