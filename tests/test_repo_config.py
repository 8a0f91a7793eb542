"""The set-up files agree with each other: Binder gets exactly the pins CI tests with, the
supported Pythons are one list that the Makefile, the README and Binder follow, and the README's
commands without make are the ones make runs."""

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pins(path):
    out = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        assert not line.startswith("-"), f"{path}: option lines like {line!r} are not allowed"
        name, sep, version = line.partition("==")
        assert sep, f"{path}: {line!r} is not pinned exactly with =="
        out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_requirements_pin_every_package_exactly():
    reqs = pins("requirements.txt")
    for must in ["jupyterlab", "ipywidgets", "ipympl", "numpy", "matplotlib", "sympy", "nbval",
                 "pytest", "tqdm"]:
        assert must in reqs, f"{must} missing from requirements.txt"
    assert "torch" not in reqs, "the course codes its gradients by hand: no PyTorch"


def test_binder_pins_match():
    assert pins("binder/requirements.txt") == pins("requirements.txt")


def supported_pythons() -> list[str]:
    """The supported Python versions, oldest first: pyproject.toml's classifiers, the one list
    (the Makefile reads it with sed; the README states it)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    prefix = "Programming Language :: Python :: "
    found = [c.removeprefix(prefix) for c in project["classifiers"] if c.startswith(prefix + "3.")]
    return sorted(found, key=lambda v: tuple(map(int, v.split("."))))


def test_supported_range_is_one_contiguous_list_and_requires_python_agrees():
    versions = supported_pythons()
    minors = [int(v.split(".")[1]) for v in versions]
    assert versions and all(v.startswith("3.") for v in versions)
    assert minors == list(range(minors[0], minors[-1] + 1)), f"a gap in {versions}"
    assert {"3.11", "3.12", "3.13"} <= set(versions), "issue 23: at least 3.11, 3.12 and 3.13"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={versions[0]},<3.{minors[-1] + 1}"


def readme_section(heading: str) -> str:
    """The README's text from ``heading`` to the next heading (## or ###)."""
    text = (ROOT / "README.md").read_text()
    assert f"\n{heading}\n" in text, f"README has no {heading!r}"
    return re.split(r"\n##+ ", text.split(f"\n{heading}\n", 1)[1], maxsplit=1)[0]


def test_readme_states_the_supported_range():
    versions = supported_pythons()
    section = readme_section("### Supported Python")
    assert f"**Python {', '.join(versions[:-1])} and {versions[-1]}**" in section
    quick = readme_section("## Quick start")
    assert f"You need Python {', '.join(versions[:-1])} or {versions[-1]} " in quick


def test_binder_runtime_is_a_supported_python():
    """Binder keeps one runtime, inside the supported range. What the repository controls, not
    the interpreter that happens to run these tests (issue 23)."""
    runtime = (ROOT / "binder/runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    assert runtime.removeprefix("python-") in supported_pythons()


def test_binder_postbuild_installs_helpers():
    text = (ROOT / "binder/postBuild").read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[0].startswith("#!") or lines[0] == "set -e"
    assert "set -e" in lines
    assert "pip install --no-deps -e ." in lines
    assert (ROOT / "binder/postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert [ln for ln in ci.splitlines() if ln.strip().startswith("make")] == ["make test"]


def test_lab_command_is_local_and_authenticated():
    make = (ROOT / "Makefile").read_text()
    lab = make.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "--ServerApp.ip=127.0.0.1" in lab
    assert "notebooks/00_start_here.ipynb" in lab
    for forbidden in ("token=''", 'token=""', "IdentityProvider.token=", "password=''",
                      "disable_check_xsrf", "--ip=0.0.0.0"):
        assert forbidden not in make, f"the lab command must keep Jupyter's auth: {forbidden}"


#: tools only the tests use: requirements-dev.txt, never what a learner or Binder installs
TEST_ONLY = ["playwright", "ruff", "jupyter-repo2docker", "pytest-xdist"]


def test_test_only_tools_stay_out_of_the_learner_install():
    learner, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    for tool in TEST_ONLY:
        assert tool not in learner, f"{tool} is test-only: it belongs in requirements-dev.txt"
        assert tool in dev, f"{tool} missing from requirements-dev.txt"
    assert not set(learner) & set(dev), "a package pinned in both files"


def run_make(*args: str, path: str | None = None) -> subprocess.CompletedProcess:
    """`make --no-print-directory <args>` in the repository, as typed in a new shell (none of
    the calling make's flags); ``path`` replaces PATH. Skips where make is not installed."""
    make = shutil.which("make")
    if not make:
        pytest.skip("make is not installed (Windows, macOS without Apple's command-line "
                    "tools): the README's 'Without make' gives the commands")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([make, "--no-print-directory", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def make_dry_run(target: str, *variables: str) -> str:
    """The commands `make <target>` would run in a fresh clone (-B: as if nothing were built)."""
    done = run_make("-n", "-B", target, *variables)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_lab_installs_the_learner_list_and_make_test_the_dev_tools():
    lab, test = make_dry_run("lab"), make_dry_run("test")
    assert "-r requirements.txt" in lab and "requirements-dev.txt" not in lab
    assert "-r requirements.txt" in test and "-r requirements-dev.txt" in test
    copy = "cp binder/overrides.json .venv/share/jupyter/lab/settings/overrides.json"
    assert copy in lab and copy in test  # both get the course's JupyterLab settings


def test_course_settings_switch_news_and_update_checks_off():
    overrides = json.loads((ROOT / "binder/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false", "checkForUpdates": False}
    # Binder: postBuild puts the same file where that environment's JupyterLab reads defaults
    post = (ROOT / "binder/postBuild").read_text()
    assert ('cp binder/overrides.json "${NB_PYTHON_PREFIX}/share/jupyter/lab/settings/'
            'overrides.json"') in post


# --- make picks a supported Python (issue 23) ------------------------------------------------

def fake_python(folder: Path, version: str, name: str = "python3") -> Path:
    """A stand-in interpreter: runs `-c ''` quietly, and prints ``version`` when asked for it
    (the Makefile's only two questions), so make can be shown any version without having it."""
    path = folder / name
    path.write_text(f"#!/bin/sh\n[ \"$2\" = '' ] || echo {version}\n")
    path.chmod(0o755)
    return path


def assert_stops_with_one_line(done: subprocess.CompletedProcess, target: str) -> str:
    """make stopped before running (or, under -n, printing) any command, with one line that
    names every supported version and how to choose one."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "", f"make ran something before stopping:\n{done.stdout}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    supported = supported_pythons()
    assert f": the course supports Python {', '.join(supported)}; " in lines[0]
    assert re.search(rf"e\.g\. make {target} PYTHON=python3\.\d+\.  Stop\.$", lines[0]), lines[0]
    return lines[0]


@pytest.mark.parametrize("target", ["lab", "test"])
def test_make_stops_at_once_for_an_unsupported_python(tmp_path, target):
    python = fake_python(tmp_path, "3.10")
    done = run_make("-n", "-B", target, f"PYTHON={python}", f"VENV={tmp_path / 'venv'}")
    line = assert_stops_with_one_line(done, target)
    assert f"Python 3.10 ({python}) is not supported:" in line


def test_make_lab_really_stops_before_making_the_venv(tmp_path):
    """Not a dry run: `make lab` with Python 3.10 stops with the line and makes nothing."""
    python, venv = fake_python(tmp_path, "3.10"), tmp_path / "venv"
    done = run_make("lab", f"PYTHON={python}", f"VENV={venv}")
    assert_stops_with_one_line(done, "lab")
    assert not venv.exists()


def test_make_stops_when_the_first_python3_on_the_path_is_unsupported(tmp_path):
    """No PYTHON given, no python3.11-3.13 on the PATH, and python3 is 3.10."""
    python = fake_python(tmp_path, "3.10")
    for tool in ("sed", "id"):  # what the Makefile itself calls besides Python
        if shutil.which(tool):
            (tmp_path / tool).symlink_to(shutil.which(tool))
    done = run_make("-n", "-B", "lab", f"VENV={tmp_path / 'venv'}", path=str(tmp_path))
    line = assert_stops_with_one_line(done, "lab")
    assert f"Python 3.10 ({python}) is not supported:" in line


def test_make_names_a_venv_made_with_an_unsupported_python(tmp_path):
    """A .venv made earlier with another Python must be removed before choosing."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake_python(venv / "bin", "3.9", name="python")
    done = run_make("-n", "-B", "lab", f"VENV={venv}")
    line = assert_stops_with_one_line(done, "lab")
    assert f"Python 3.9 ({venv}/bin/python) is not supported:" in line
    assert f"remove {venv} (make clean) and choose one" in line


def test_make_names_a_python_that_does_not_run(tmp_path):
    done = run_make("-n", "-B", "lab", f"PYTHON={tmp_path / 'python3.12'}",
                    f"VENV={tmp_path / 'venv'}")
    line = assert_stops_with_one_line(done, "lab")
    assert f"{tmp_path / 'python3.12'} did not run:" in line


@pytest.mark.parametrize("version", supported_pythons())
def test_make_accepts_every_supported_python(tmp_path, version):
    python = fake_python(tmp_path, version)
    out = make_dry_run("lab", f"PYTHON={python}", f"VENV={tmp_path / 'venv'}")
    assert f"|| {python} -m venv {tmp_path / 'venv'}\n" in out


# --- the README's commands without make are the Makefile's -----------------------------------

def readme_blocks(language: str) -> dict[str, list[str]]:
    """The README's 'Without make' block for ``language``, split at its comments: set-up,
    make lab, make test, each a list of command lines."""
    section = readme_section("### Without make")
    block = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert block, f"no ```{language} block in the README's 'Without make'"
    parts: dict[str, list[str]] = {}
    for line in block.group(1).splitlines():
        if line.startswith("#"):
            key = re.match(r"#\s*(set-up|make \w+)", line)
            assert key, f"comment {line!r} names no part"
            current = parts.setdefault(key.group(1), [])
        elif line.strip():
            current.append(line.strip())
    assert list(parts) == ["set-up", "make lab", "make test"], list(parts)
    return parts


def as_typed(make_output: str) -> list[str]:
    """`make -n` output as a person types it: make's own bookkeeping left out (stamps, the
    `test -x` that reuses .venv, pip's quiet flags); the venv's Python as PYTHON."""
    lines = []
    for line in re.sub(r"\\\n\s*", " ", make_output).splitlines():
        line = " ".join(line.split())
        if not line or line.startswith("touch "):
            continue
        line = line.replace(" --quiet --disable-pip-version-check", "")
        line = re.sub(r"^test -x \.venv/bin/python \|\| \S+ -m venv \.venv$",
                      "PYTHON -m venv .venv", line)
        line = re.sub(r"^mkdir -p (\S+)/$", r"mkdir -p \1", line)
        lines.append(line)
    return lines


def test_readme_commands_without_make_are_what_make_runs():
    posix = readme_blocks("sh")
    venv = re.fullmatch(r"python(3\.\d+) -m venv \.venv", posix["set-up"][0])
    assert venv and venv.group(1) in supported_pythons(), posix["set-up"][0]
    setup = ["PYTHON -m venv .venv", *posix["set-up"][1:]]
    # ALLOW_ROOT= : the README says to add --allow-root as root, as make does
    assert as_typed(make_dry_run("lab", "ALLOW_ROOT=")) == setup + posix["make lab"]
    assert as_typed(make_dry_run("test", "ALLOW_ROOT=")) == setup + posix["make test"]


def to_powershell(line: str) -> str:
    """The literal Windows PowerShell translation of one POSIX command of the README."""
    def win(path):
        return path.replace("/", "\\")
    if m := re.fullmatch(r"python(3\.\d+) -m venv \.venv", line):
        return f"py -{m.group(1)} -m venv .venv"
    if m := re.fullmatch(r"mkdir -p (\S+)", line):
        return f"New-Item -ItemType Directory -Force {win(m.group(1))} | Out-Null"
    if m := re.fullmatch(r"cp (\S+) (\S+)", line):
        return f"Copy-Item {win(m.group(1))} {win(m.group(2))}"
    assert line.startswith(".venv/bin/"), f"no PowerShell rule for {line!r}"
    return win(line.replace(".venv/bin/", ".venv/Scripts/"))


def test_readme_powershell_commands_translate_the_posix_ones():
    posix, powershell = readme_blocks("sh"), readme_blocks("powershell")
    for part, lines in posix.items():
        assert powershell[part] == [to_powershell(line) for line in lines], part
