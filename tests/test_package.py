"""The helpers package: importable without side effects, every public name documented."""

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys

import helpers


def test_import_has_no_side_effects():
    code = (
        "import sys, numpy as np; state = np.random.get_state()[1].copy();"
        "import helpers;"
        "assert 'matplotlib' not in sys.modules, 'importing helpers loaded matplotlib';"
        "assert 'gymnasium' not in sys.modules, 'importing helpers loaded gymnasium';"
        "assert (np.random.get_state()[1] == state).all(), 'importing helpers seeded numpy'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_set_style_is_the_only_style_change():
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    importlib.reload(helpers)
    assert dict(mpl.rcParams) == before
    helpers.set_style()
    assert mpl.rcParams["axes.grid"] is True
    mpl.rcParams.update(before)


def test_lazy_submodules_and_clear_error():
    assert helpers.log_trick.coin_gradient(0.0) == 0.5
    try:
        helpers.no_such_module  # noqa: B018
    except AttributeError as err:
        assert "no_such_module" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def public_objects():
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{info.name}.{name}", obj


def test_every_public_function_names_its_notebook():
    named = re.compile(r"[Nn]otebooks? \d\d")
    missing = [q for q, obj in public_objects() if not named.search(inspect.getdoc(obj) or "")]
    assert not missing, f"docstrings must name the notebook that introduces them: {missing}"


def test_every_public_function_has_a_docstring():
    undocumented = [q for q, obj in public_objects() if not inspect.getdoc(obj)]
    assert not undocumented, undocumented


def test_every_module_is_on_the_visible_maps():
    # issue 22: a learner finds each module, and the notebook that teaches it, in the README
    # (and in the package's docstring), not by reading the source tree
    from pathlib import Path

    root = Path(helpers.__file__).resolve().parent
    modules = {p.stem for p in root.glob("*.py") if not p.stem.startswith("_")} | {"widgets"}
    readme = (root.parent / "README.md").read_text(encoding="utf-8")
    in_readme = set(re.findall(r"^\| `([a-z_]+)` \| (?:\d\d|all)", readme, re.M))
    in_docstring = set(re.findall(r"^``([a-z_]+)``\s+(?:\d\d|all)", helpers.__doc__, re.M))
    assert modules - in_readme == set(), f"README's helpers table misses {modules - in_readme}"
    ghosts = in_readme - modules
    assert ghosts == set(), f"README lists modules that do not exist: {ghosts}"
    unmapped = modules - in_docstring
    assert unmapped == set(), f"helpers/__init__'s map misses {unmapped}"
