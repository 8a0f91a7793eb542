"""Student copies (``make student``, ``tools/student_copies.py``): no solution survives, every
exercise keeps its task, placeholder and check, and every copy runs top to bottom with each
check answering "still missing".

The static checks run with the unit tests. Running the copies is marked ``student``
(``make test`` runs it beside the website's tests, two at a time).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("student_copies",
                                               ROOT / "tools" / "student_copies.py")
student_copies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student_copies)

NOTEBOOKS = sorted(student_copies.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
STILL_MISSING = "still missing"


def ids(path: Path) -> str:
    return path.stem[:2]


def solution_lines(nb) -> set[str]:
    """Lines of the solution cells that no other cell of the notebook holds (the answers)."""
    def lines(cell):
        return {ln.strip() for ln in cell.source.splitlines()
                if ln.strip() and not ln.strip().startswith("#")}

    elsewhere = set().union(*(lines(c) for c in nb.cells if not student_copies.is_solution(c)))
    return set().union(*(lines(c) for c in nb.cells if student_copies.is_solution(c))) - elsewhere


def exercise_checks(nb) -> list[int]:
    """Indices of the exercises' check cells (the same in the notebook and its student copy):
    a code cell calling ``check(`` that a solution cell follows."""
    return [i for i, (cell, nxt) in enumerate(itertools.pairwise(nb.cells))
            if cell.cell_type == "code" and "check(" in cell.source
            and not student_copies.is_solution(cell) and student_copies.is_solution(nxt)]


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> dict[str, Path]:
    """What `make student` writes, written to a temporary folder."""
    out = tmp_path_factory.mktemp("student")
    return {p.name: p for p in student_copies.write_copies(out)}


def test_every_notebook_has_a_copy(copies):
    assert sorted(copies) == [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_solution_code_survives(path, copies):
    original = nbformat.read(path, as_version=4)
    copy = nbformat.read(copies[path.name], as_version=4)
    assert not any(student_copies.is_solution(c) for c in copy.cells)
    kept = {ln.strip() for c in copy.cells for ln in c.source.splitlines()}
    leaked = sorted(solution_lines(original) & kept)  # whole lines: "eps=0.2)" ends other lines too
    assert not leaked, f"solution lines in the student copy: {leaked}"
    assert not any(c.get("outputs") for c in copy.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_everything_else_is_intact(path, copies):
    """Every other cell (tasks, placeholders, checks, prose, code) as stored, in order."""
    original = nbformat.read(path, as_version=4)
    copy = nbformat.read(copies[path.name], as_version=4)
    kept = [c for c in original.cells if not student_copies.is_solution(c)]
    rest = [c for c in copy.cells if not student_copies.is_left_out_note(c)]
    assert [(c.cell_type, c.source, c.metadata) for c in rest] == \
           [(c.cell_type, c.source, c.metadata) for c in kept]
    # each solution's place holds the note instead
    assert [student_copies.is_left_out_note(c) for c in copy.cells] == \
           [student_copies.is_solution(c) for c in original.cells]


def test_solution_lines_are_found():
    """The leak check above can fail: it finds the answers of a notebook with exercises."""
    nb = nbformat.read(next(p for p in NOTEBOOKS if exercise_checks(
        nbformat.read(p, as_version=4))), as_version=4)
    assert solution_lines(nb)
    leaky = student_copies.student_copy(nb)
    leaky.cells.append(next(c for c in nb.cells if student_copies.is_solution(c)))
    text = "\n".join(c.source for c in leaky.cells)
    assert any(ln in text for ln in solution_lines(nb))


@pytest.mark.student
@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_student_copy_runs_and_every_check_says_still_missing(path, copies):
    """The copy, top to bottom in a fresh kernel from its own folder, as a learner runs it."""
    from nbclient import NotebookClient

    copy = nbformat.read(copies[path.name], as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    NotebookClient(copy, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(copies[path.name].parent)}}
                   ).execute(env=env)
    checks = exercise_checks(nbformat.read(path, as_version=4))
    for index in checks:
        text = "".join(out.get("text", "") for out in copy.cells[index].outputs
                       if out.get("output_type") == "stream")
        assert STILL_MISSING in text, (index, copy.cells[index].source, text)
