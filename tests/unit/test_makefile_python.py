"""The Makefile finds a Python 3.12 the usual way, on any machine, and says so when there is none."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

MAKE = shutil.which("make")
SHOW = "show-python: ; $(info $(PYTHON))"  # make prints it itself: nothing on the PATH to run


def make_python(tmp_path: Path, path: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYENV_ROOT", "PYTHON", "MAKEFLAGS")}
    env |= {"PATH": path, "HOME": str(home)}  # nothing else on the PATH: no system Python
    return subprocess.run(
        [str(MAKE), "-s", "-C", str(REPO), "--eval", SHOW, "show-python"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def executable(path: Path, runs: bool = True) -> Path:
    """A stand-in python3.12: one that runs prints its own path (as sys.executable); one that does not
    fails as a pyenv shim of a version not selected does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"#!/bin/sh\necho {path}\n"
        if runs
        else "#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n"
    )
    path.chmod(0o755)
    return path


@pytest.mark.skipif(MAKE is None, reason="no make")
def test_python3_12_on_the_path_is_used(tmp_path):
    python = executable(tmp_path / "bin" / "python3.12")

    ran = make_python(tmp_path, str(python.parent), tmp_path / "home")

    assert ran.stdout.strip() == str(python)


@pytest.mark.skipif(MAKE is None, reason="no make")
def test_else_the_newest_python3_12_of_pyenv_is_used(tmp_path):
    home = tmp_path / "home"
    executable(home / ".pyenv/versions/3.12.1/bin/python3.12")
    newest = executable(home / ".pyenv/versions/3.12.9/bin/python3.12")

    ran = make_python(tmp_path, str(tmp_path / "empty"), home)

    assert ran.stdout.strip() == str(newest)


@pytest.mark.skipif(MAKE is None, reason="no make")
def test_without_any_python3_12_make_says_how_to_get_one(tmp_path):
    ran = make_python(tmp_path, str(tmp_path / "empty"), tmp_path / "home")

    assert ran.returncode != 0
    assert "no Python 3.12 found" in ran.stderr and "PYTHON=" in ran.stderr


@pytest.mark.skipif(MAKE is None, reason="no make")
def test_a_python3_12_on_the_path_that_does_not_run_is_passed_over(tmp_path):
    home = tmp_path / "home"
    shim = executable(tmp_path / "shims" / "python3.12", runs=False)
    installed = executable(home / ".pyenv/versions/3.12.1/bin/python3.12")

    ran = make_python(tmp_path, f"{shim.parent}:/usr/bin:/bin", home)

    assert ran.stdout.strip() == str(installed)
