"""Make the student edition: the lessons with outputs cleared and no solutions.

Usage: .venv/bin/python tools/make_student_edition.py [OUT_DIR]   (default: student/)

Writes OUT_DIR/keras-models-student/: every lesson notebook with its outputs and
execution counts cleared, cells tagged "solution" removed and links to the
solutions replaced; no notebooks/solutions/ folder; plus what a student needs to
run them (helpers, the data sample, the pinned requirements and `make lab`).
`make student` runs it; tests/test_student_edition.py checks the result.
"""

import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_LINK = re.compile(r"\[([^\]]*)\]\(solutions/[^)]*\)")
COPIED = [
    "helpers",
    "data",
    "requirements.txt",
    "environment.yml",
    "pyproject.toml",
    "Makefile",
    "tools/system-deps.sh",
    "tools/lab-overrides.json",
    "GLOSSARY.md",
]


def student_notebook(path):
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if "solution" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.source = SOLUTION_LINK.sub(r"your teacher's worked answers", cell.source)
    return nb


def main(out_dir):
    target = Path(out_dir) / "keras-models-student"
    if target.exists():
        shutil.rmtree(target)
    (target / "notebooks").mkdir(parents=True)
    for item in COPIED:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            (target / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / item)
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in lessons:
        nbformat.write(student_notebook(path), target / "notebooks" / path.name)
    (target / "README.md").write_text(
        "# keras-models — student edition\n\n"
        "The lessons of the series, with outputs cleared: run each notebook yourself, top to\n"
        "bottom. Each ends with exercises; run the checker cell under your answer to see\n"
        "whether it is right.\n\n"
        "    make lab      # sets everything up and opens JupyterLab on notebooks/\n"
    )
    print(f"student edition: {len(lessons)} notebooks in {target}")
    return target


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ROOT / "student")
