"""Notebook hygiene: every committed notebook is clean, executed in order and in sync.

nbval (run by `make test`) re-executes the notebooks and compares outputs; these
tests check what nbval does not: how the committed files were produced.
"""

import json
import re
from pathlib import Path

import jupytext
import pytest
from lesson_size import MAX_CODE_LINES, MAX_WORDS, lesson_size

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SRC = NOTEBOOKS / "src"
NOTEBOOK_FILES = sorted(
    p
    for p in NOTEBOOKS.rglob("[0-9][0-9]_*.ipynb")
    if "build" not in p.parts and ".ipynb_checkpoints" not in p.parts
)
LESSON_FILES = [p for p in NOTEBOOK_FILES if p.parent == NOTEBOOKS]
SOLUTION_FILES = [p for p in NOTEBOOK_FILES if p.parent.name == "solutions"]
MACHINE_PATH = re.compile(r"/(root|home|tmp|work|Users)/")
TF_LOG_LINE = re.compile(
    r"(^|\n|\\n)[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ |absl::InitializeLog|"
    r"oneDNN custom operations|cudart_stub|cuda_platform"
)


def ids(paths):
    return [str(p.relative_to(NOTEBOOKS)) for p in paths]


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def source(cell):
    return "".join(cell["source"])


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_there_are_notebooks_and_each_has_a_source():
    assert NOTEBOOK_FILES, "no notebooks found"
    sources = sorted(SRC.rglob("[0-9][0-9]_*.py"))
    expected = {NOTEBOOKS / s.relative_to(SRC).with_suffix(".ipynb") for s in sources}
    assert expected == set(NOTEBOOK_FILES), (
        "every notebook needs notebooks/src/<name>.py and vice versa"
    )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_notebook_matches_its_jupytext_source(path):
    py = jupytext.read(SRC / path.relative_to(NOTEBOOKS).with_suffix(".py"))
    nb = load(path)

    def as_pairs(cells):
        return [(c["cell_type"], "".join(c["source"]).strip()) for c in cells]

    assert as_pairs(nb["cells"]) == as_pairs(py.cells), (
        f"{path.name} and its source differ: run `make notebooks NB={path.name[:2]}`"
    )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_cell_ids_come_from_the_cell_text(path):
    """tools/execute_notebooks.py derives ids from the text, so rebuilds give small diffs."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", ROOT / "tools" / "execute_notebooks.py"
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    nb = jupytext.read(path)
    assert [c.id for c in nb.cells] == tool.stable_cell_ids(nb.cells), (
        f"{path.name} has cell ids that its text does not give: run `make notebooks NB={path.name[:2]}`"
    )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_executed_top_to_bottom_in_one_fresh_kernel(path):
    counts = [c.get("execution_count") for c in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n: re-run `make notebooks`"
    )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_no_errors_except_deliberate_ones(path):
    for i, cell in enumerate(code_cells(load(path))):
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        # Jupyter's `raises-exception` tag lets "Run All" go on past a deliberate error
        # (JupyterLab, Notebook 7 and Colab honour it; so does nbval).
        deliberate = "raises-exception" in tags(cell)
        assert bool(errors) == deliberate, f"{path.name}, code cell {i}: " + (
            "a cell tagged raises-exception raised nothing"
            if deliberate
            else f"{errors[0]['ename']}: {errors[0]['evalue']} without the raises-exception tag, "
            "so Run All would stop here"
        )
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream" and o["name"] == "stderr":
                assert "Traceback" not in "".join(o["text"]), (
                    f"{path.name}, cell {i}: traceback on stderr"
                )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_outputs_hold_no_machine_paths_or_tensorflow_log_lines(path):
    for i, cell in enumerate(code_cells(load(path))):
        for output in cell.get("outputs", []):
            text = json.dumps(output)
            assert not MACHINE_PATH.search(text), (
                f"{path.name}, code cell {i}: output shows a machine path"
            )
            assert not TF_LOG_LINE.search(text), (
                f"{path.name}, code cell {i}: TensorFlow C++ log line in output"
            )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_starts_with_setup(path):
    assert "helpers.setup(" in source(code_cells(load(path))[0]), (
        f"{path.name}: the first code cell must call helpers.setup()"
    )


@pytest.mark.parametrize("path", LESSON_FILES, ids=ids(LESSON_FILES))
def test_lesson_has_objectives_recap_exercises(path):
    nb = load(path)
    first_markdown = next(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "What you will learn" in first_markdown
    headings = [
        line
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        for line in source(c).splitlines()
        if line.startswith("#")
    ]
    assert any("Recap" in h for h in headings), f"{path.name}: no Recap section"
    assert any("Exercises" in h for h in headings), f"{path.name}: no Exercises section"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_ignored_outputs_are_few_and_each_is_followed_by_an_assertion(path):
    cells = code_cells(load(path))
    ignored = [i for i, c in enumerate(cells) if "nbval-ignore-output" in tags(c)]
    assert len(ignored) <= 0.25 * len(cells), (
        f"{path.name}: {len(ignored)} of {len(cells)} code cells ignore their output"
    )
    for i in ignored:
        assert i + 1 < len(cells) and "assert" in source(cells[i + 1]), (
            f"{path.name}: code cell {i} ignores its output; the next code cell must assert what holds"
        )


def test_notebooks_link_to_each_other():
    names = [p.name for p in LESSON_FILES]
    for before, after in zip(names, names[1:]):
        text_after = (NOTEBOOKS / after).read_text()
        text_before = (NOTEBOOKS / before).read_text()
        assert f"({before})" in text_after, f"{after} does not link back to {before}"
        assert f"({after})" in text_before, f"{before} does not link forward to {after}"


def checker_calls(path):
    """{checker name: its cell's printed output} for each `checks.NAME(` cell."""
    calls = {}
    for cell in code_cells(load(path)):
        match = re.match(r"checks\.(\w+)\(", source(cell).strip())
        if match:
            calls[match.group(1)] = "".join(
                "".join(o.get("text", "")) for o in cell.get("outputs", [])
            )
    return calls


@pytest.mark.parametrize("path", LESSON_FILES, ids=ids(LESSON_FILES))
def test_exercises_have_checkers_and_solutions_that_pass_them(path):
    lesson = checker_calls(path)
    exercises = [c for c in code_cells(load(path)) if source(c).startswith("# EXERCISE")]
    assert 2 <= len(exercises) <= 4, f"{path.name}: expected 2-4 exercises, found {len(exercises)}"
    assert len(lesson) == len(exercises), f"{path.name}: each exercise needs one checker cell"
    solutions = NOTEBOOKS / "solutions" / path.name.replace(".ipynb", "_solutions.ipynb")
    assert solutions.is_file(), f"{path.name}: no worked solutions at solutions/{solutions.name}"
    solved = checker_calls(solutions)
    for name, output in lesson.items():
        assert output.startswith("❌"), (
            f"{path.name}: the unanswered exercise should not pass {name}"
        )
        assert name in solved, f"{solutions.name} does not run checks.{name}"
        assert solved[name].startswith("✅"), (
            f"{solutions.name}: checks.{name} says {solved[name]!r}"
        )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_markers_are_cell_tags_not_comments_in_the_learners_code(path):
    for i, cell in enumerate(code_cells(load(path))):
        assert "NBVAL_" not in source(cell), (
            f"{path.name}, code cell {i}: use the cell tags nbval-ignore-output / "
            "raises-exception instead of an # NBVAL_ comment"
        )


BARE_VERDICT = re.compile(r":\s*(True|False)\s*$")


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_checks_show_their_figures_not_a_bare_true(path):
    for i, cell in enumerate(code_cells(load(path))):
        for output in cell.get("outputs", []):
            if output["output_type"] != "stream":
                continue
            for line in "".join(output["text"]).splitlines():
                assert not BARE_VERDICT.search(line), (
                    f"{path.name}, code cell {i} prints {line.strip()!r}: show the figure it "
                    "checks and the bound, in a sentence"
                )


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=ids(NOTEBOOK_FILES))
def test_learners_never_read_about_the_test_suite(path):
    for i, cell in enumerate(load(path)["cells"]):
        text = source(cell) if cell["cell_type"] == "markdown" else json.dumps(cell.get("outputs"))
        assert "nbval" not in text.lower(), f"{path.name}, cell {i} mentions nbval"


@pytest.mark.parametrize("path", LESSON_FILES, ids=ids(LESSON_FILES))
def test_each_lesson_fits_one_sitting(path):
    words, lines = lesson_size(path)
    assert words <= MAX_WORDS and lines <= MAX_CODE_LINES, (
        f"{path.name}: {words:,} words of prose and {lines} lines of code; one sitting is at "
        f"most {MAX_WORDS:,} words and {MAX_CODE_LINES} lines (tools/lesson_size.py)"
    )
