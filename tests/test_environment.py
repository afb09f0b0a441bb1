"""requirements.txt and environment.yml say the same thing; the set-up files agree."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([0-9][^\s;#]*)$")


def requirement_lines():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    return [l for l in lines if l and not l.startswith("#")]


def environment_dependencies():
    """The dependency list of environment.yml (a tiny reader for its simple layout)."""
    conda, pip, in_pip = [], [], False
    section = None
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not raw.startswith(" "):
            section = line.rstrip(":")
            continue
        if section != "dependencies":
            continue
        item = line.strip()[2:].strip() if line.strip().startswith("- ") else None
        indent = len(line) - len(line.lstrip())
        if item == "pip:":
            in_pip = True
        elif item is not None and in_pip and indent > 2:
            pip.append(item)
        elif item is not None:
            in_pip = False
            conda.append(item)
    return conda, pip


def test_every_requirement_is_pinned_exactly():
    lines = requirement_lines()
    assert lines, "requirements.txt lists nothing"
    for line in lines:
        assert PIN.match(line), f"requirements.txt: {line!r} is not pinned as name==version"


def test_core_stack_versions():
    pins = dict(PIN.match(l).groups() for l in requirement_lines())
    assert pins["tensorflow"].startswith("2.21.")
    assert pins["keras"].startswith("3.")
    for name in ("numpy", "matplotlib", "jupyterlab", "nbval", "pytest", "pydot"):
        assert name in pins, f"{name} is missing from requirements.txt"


def test_environment_yml_installs_requirements_txt_and_pins_nothing_else():
    conda, pip = environment_dependencies()
    assert pip == ["-r requirements.txt"], pip
    assert "python=3.11" in conda
    pinned_python_packages = {PIN.match(l).group(1).lower() for l in requirement_lines()}
    for item in conda:
        name = re.split(r"[=<>]", item)[0].lower()
        assert name not in pinned_python_packages, (
            f"environment.yml pins {item!r}, which requirements.txt already pins")


def test_python_version_agrees_everywhere():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11,<3.12"' in pyproject
    assert "(3, 11)" in (ROOT / "Makefile").read_text()
    assert "- python=3.11" in (ROOT / "environment.yml").read_text()
