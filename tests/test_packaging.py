"""The wheel of the `helpers` package holds every module of it, and nothing else.

`pip install .` (or a wheel handed to a classroom) must ship all of `helpers`,
subpackages included: a wheel once lacked `helpers/checks/`. The wheel is built
offline from a copy of what the build reads, so no build output lands in the
working tree and no stale `build/` folder can hide a missing module.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What `pip wheel .` reads: the project table, the readme it names, the package.
BUILD_INPUTS = ("pyproject.toml", "README.md", "helpers")


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory):
    """Names of the files in a freshly built wheel."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--disable-pip-version-check", "--quiet", "-w", str(out), "."]
    result = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_holds_every_helpers_module(wheel_files):
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "helpers").rglob("*.py")}
    assert "helpers/checks/__init__.py" in modules  # the subpackage is part of the check
    missing = sorted(modules - wheel_files)
    assert not missing, f"the wheel lacks {missing}: see [tool.setuptools.packages.find]"


def test_wheel_holds_only_helpers_and_its_metadata(wheel_files):
    top_level = {name.split("/")[0] for name in wheel_files}
    metadata = {name for name in top_level if name.endswith(".dist-info")}
    assert len(metadata) == 1
    assert top_level - metadata == {"helpers"}
