"""Student copies of the notebooks: the exercise solutions removed, everything else as stored.

    .venv/bin/python tools/student_copies.py            # what `make student` runs
    .venv/bin/python tools/student_copies.py --out /tmp/class-copies

Writes ``student/NN_name.ipynb`` (git-ignored) for every notebook in ``notebooks/``: each
cell tagged ``solution`` (the hidden solution of a checked exercise, and the hidden solution
sketch of an unchecked "Explore" task) is left out, with a one-line note in its place; every
other cell stays exactly as stored, so each exercise keeps its task, its placeholder and its
``check(...)``, which answers "… still missing" until the learner fills the placeholder in.
``tests/test_student_copies.py`` checks that no solution code survives and runs every copy
top to bottom.

The copies import the course's ``helpers`` package like the notebooks do: learners open them
in a clone of the repository (``make lab``) or in a Binder session of it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
OUT = ROOT / "student"
SOLUTION_TAG = "solution"


def is_solution(cell) -> bool:
    """True for a cell tagged ``solution`` (code or markdown)."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


#: what takes a solution's place: the notebooks' Exercises say a hidden solution follows each one
LEFT_OUT = "*The solution is left out of this student copy.*"


def is_left_out_note(cell) -> bool:
    """True for the one-line note :func:`student_copy` puts where a solution was."""
    return cell.cell_type == "markdown" and cell.source == LEFT_OUT


def student_copy(nb):
    """A copy of notebook ``nb`` (nbformat): each solution cell replaced by the one-line
    :data:`LEFT_OUT` note, no outputs."""
    copy = nbformat.from_dict(nb)
    copy.cells = [nbformat.v4.new_markdown_cell(
                      LEFT_OUT, metadata={"slideshow": {"slide_type": "-"}})
                  if is_solution(cell) else cell for cell in copy.cells]
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return copy


def write_copies(out: Path = OUT, notebooks: list[Path] | None = None) -> list[Path]:
    """Write the student copy of every notebook (default: all of ``notebooks/``) into ``out``.

    Copies of notebooks that no longer exist are removed. Returns the paths written.
    """
    notebooks = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) if notebooks is None else notebooks
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = out / path.name
        nbformat.write(student_copy(nb), target)
        written.append(target)
    for stale in out.glob("*.ipynb"):
        if stale not in written:
            stale.unlink()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default student/)")
    args = parser.parse_args(argv)
    written = write_copies(args.out)
    removed = sum(
        sum(map(is_solution, nbformat.read(NOTEBOOK_DIR / p.name, as_version=4).cells))
        for p in written)
    print(f"{len(written)} student copies in {args.out}: {removed} solution cells left out")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
