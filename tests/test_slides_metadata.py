"""Every notebook can be presented with jupyterlab-rise as written (CONTRIBUTING.md, "Slides"):
every cell says what it is in the slideshow, the title and each `## ` section open a new slide,
each `### ` heading opens a sub-slide, and only cells an audience never needs are skipped."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def first_line(cell):
    src = cell["source"]
    text = "".join(src) if isinstance(src, list) else src
    return text.lstrip().split("\n", 1)[0]


def heading_lines(cell):
    """(line number, line) of every `#`, `##` or `###` heading outside fenced code."""
    src = cell["source"]
    text = "".join(src) if isinstance(src, list) else src
    fenced, out = False, []
    for n, line in enumerate(text.lstrip().splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith(("# ", "## ", "### ")):
            out.append((n, line))
    return out


def slide_type(cell):
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
class TestSlides:
    def test_every_cell_has_a_slide_type(self, path):
        missing = [i for i, c in enumerate(cells(path)) if slide_type(c) not in SLIDE_TYPES]
        assert not missing, f"cells {missing} need metadata.slideshow.slide_type"

    def test_title_opens_the_first_slide(self, path):
        first = cells(path)[0]
        assert first_line(first).startswith("# ") and slide_type(first) == "slide"

    def test_sections_are_slides_and_subsections_subslides(self, path):
        wrong = []
        for i, c in enumerate(cells(path)):
            if c["cell_type"] != "markdown":
                continue
            head = first_line(c)
            want = ("slide" if head.startswith(("# ", "## "))
                    else "subslide" if head.startswith("### ") else None)
            if want and slide_type(c) != want:
                wrong.append(f"cell {i} {head[:40]!r}: {slide_type(c)!r}, expected {want!r}")
        assert not wrong, "\n".join(wrong)

    def test_sections_start_their_cell(self, path):
        """A slide starts at a cell: a `## ` or `### ` heading in the middle of a cell is shown
        on the previous slide, under the previous section's content."""
        buried = [f"cell {i}: {line[:50]!r} is line {n + 1}; split the cell before it"
                  for i, c in enumerate(cells(path)) if c["cell_type"] == "markdown"
                  for n, line in heading_lines(c) if n > 0]
        assert not buried, "\n".join(buried)
