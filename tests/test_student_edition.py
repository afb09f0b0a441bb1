"""The student edition keeps every lesson and exercise, and no solution or output."""

import json
from pathlib import Path

import make_student_edition  # tools/ is on pytest's pythonpath (pyproject.toml)
import pytest

ROOT = Path(__file__).resolve().parent.parent

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"]).strip()


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    return make_student_edition.main(tmp_path_factory.mktemp("out"))


def test_every_lesson_is_there_and_no_solutions_folder(edition):
    assert sorted(p.name for p in (edition / "notebooks").iterdir()) == [p.name for p in LESSONS]
    assert not (edition / "notebooks" / "solutions").exists()
    assert (edition / "helpers" / "checks" / "__init__.py").is_file()
    assert (edition / "data" / "fashion-mnist-sample" / "SHA256SUMS").is_file()


def test_outputs_and_execution_counts_are_cleared(edition):
    for path in (edition / "notebooks").glob("*.ipynb"):
        for cell in cells(path):
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def test_every_exercise_cell_is_kept_unchanged(edition):
    for lesson in LESSONS:
        exercises = [source(c) for c in cells(lesson) if source(c).startswith("# EXERCISE")]
        student = [source(c) for c in cells(edition / "notebooks" / lesson.name)]
        for exercise in exercises:
            assert exercise in student, f"{lesson.name}: an exercise cell is missing"


def test_no_solution_code_and_no_link_to_solutions(edition):
    solution_cells = [
        source(c)
        for path in SOLUTIONS
        for c in cells(path)
        if "solution" in c.get("metadata", {}).get("tags", [])
    ]
    assert solution_cells, "the solutions notebooks tag their answers with 'solution'"
    text = "\n".join(source(c) for p in (edition / "notebooks").glob("*.ipynb") for c in cells(p))
    for solution in solution_cells:
        assert solution not in text
    assert "solutions/" not in text


def test_cells_tagged_solution_in_a_lesson_are_removed(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("# EXERCISE 1\nanswer = None"),
            nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
            nbformat.v4.new_markdown_cell("See [the answers](solutions/x.ipynb)."),
        ]
    )
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    student = make_student_edition.student_notebook(path)
    assert [c.source for c in student.cells] == [
        "# EXERCISE 1\nanswer = None",
        "See your teacher's worked answers.",
    ]
