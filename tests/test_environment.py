"""The set-up files agree: requirements.txt holds every pin, environment.yml installs it.

Both files and pyproject.toml are parsed (packaging's requirement parser, YAML,
TOML) and compared with each other; no version number is written here, so a
version bump edits requirements.txt (and the Python series its files) only.
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# The packages whose pins the series is about (names only: the versions live in requirements.txt).
CORE = ("tensorflow", "keras", "numpy", "matplotlib", "jupyterlab", "nbval", "pytest", "pydot")


def requirements(path=ROOT / "requirements.txt"):
    """requirements.txt parsed: one packaging Requirement per line, comments dropped."""
    parsed = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            parsed.append(Requirement(line))
        except InvalidRequirement as err:
            pytest.fail(f"{path.name}:{number}: {line!r} is not a plain requirement ({err})")
    return parsed


def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def conda_and_pip_dependencies():
    """environment.yml's dependencies: (conda match specs, the pip section's lines)."""
    conda, pip = [], []
    for item in environment()["dependencies"]:
        if isinstance(item, dict):
            assert set(item) == {"pip"}, f"environment.yml: unexpected section {item!r}"
            pip.extend(item["pip"])
        else:
            conda.append(str(item))
    return conda, pip


def conda_python_series():
    """The Python series environment.yml asks conda for, from `python=X.Y`, as (X, Y)."""
    conda, _ = conda_and_pip_dependencies()
    specs = [spec for spec in conda if re.split(r"[=<>!~ ]", spec)[0] == "python"]
    assert len(specs) == 1, f"environment.yml names python {len(specs)} times: {specs}"
    match = re.fullmatch(r"python\s*=\s*(\d+)\.(\d+)(\.\*)?", specs[0])
    assert match, f"environment.yml: {specs[0]!r} should name one series, e.g. python=X.Y"
    return int(match.group(1)), int(match.group(2))


def test_every_requirement_is_pinned_exactly_once():
    parsed = requirements()
    assert parsed, "requirements.txt lists nothing"
    for req in parsed:
        clauses = list(req.specifier)
        assert len(clauses) == 1 and clauses[0].operator == "==", (
            f"requirements.txt: {req} is not pinned as name==version"
        )
        assert "*" not in clauses[0].version, f"requirements.txt: {req} pins no exact version"
        assert not req.extras and not req.url, f"requirements.txt: {req} pins more than a version"
    names = [canonicalize_name(req.name) for req in parsed]
    assert len(names) == len(set(names)), f"requirements.txt names a package twice: {names}"


def test_the_core_stack_is_pinned_in_requirements_txt():
    names = {canonicalize_name(req.name) for req in requirements()}
    missing = [name for name in CORE if canonicalize_name(name) not in names]
    assert not missing, f"requirements.txt does not pin {missing}"


def test_environment_yml_installs_requirements_txt_through_pip():
    conda, pip = conda_and_pip_dependencies()
    assert pip == ["-r requirements.txt"], f"environment.yml's pip section: {pip}"
    # conda runs pip from environment.yml's folder: the file it names is this one.
    assert (ROOT / "requirements.txt").is_file()
    assert "pip" in conda, "environment.yml needs conda's pip for its pip section"


def test_environment_yml_pins_no_python_package_itself():
    """Conda brings Python, pip and system tools; every Python package comes from pip."""
    conda, _ = conda_and_pip_dependencies()
    pinned = {canonicalize_name(req.name) for req in requirements()}
    for spec in conda:
        name = canonicalize_name(re.split(r"[=<>!~ ]", spec)[0])
        assert name not in pinned, (
            f"environment.yml asks conda for {spec!r}; requirements.txt pins it for pip"
        )


def test_python_series_agrees_everywhere():
    major, minor = conda_python_series()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requires = SpecifierSet(pyproject["project"]["requires-python"])
    # requires-python admits the whole series environment.yml installs, and no other.
    for version in (f"{major}.{minor}.0", f"{major}.{minor}.99"):
        assert Version(version) in requires, f"requires-python {requires} rejects {version}"
    for version in (f"{major}.{minor - 1}.99", f"{major}.{minor + 1}.0"):
        assert Version(version) not in requires, f"requires-python {requires} admits {version}"
    # The Makefile refuses any other interpreter: the same series.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    checks = re.findall(r"sys\.version_info\[:2\] != \((\d+), (\d+)\)", makefile)
    assert checks == [(str(major), str(minor))], f"Makefile checks Python {checks}"
