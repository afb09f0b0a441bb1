"""helpers.checks: the shared kit, every checker against the notebooks, notebook 01's mistakes.

Every checker must print, for each lesson's stub and for each worked solution, exactly the
line committed in the notebooks (nbval compares them); the stubs and solutions are run from
the notebooks' sources by the ``solutions`` fixture (tests/conftest.py, tests/solutions.py).
Each checker must also reject each common mistake with a message that says what was
expected: notebook 01's below, later notebooks' in tests/test_checks_nbNN.py.
"""

import importlib
import os
import re
import subprocess
import sys
import warnings

import keras
import pytest
import solutions as sources

from helpers import checks
from helpers.checks.core import NotYet, Verdict, verdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = {f"nb{n:02d}": importlib.import_module(f"helpers.checks.nb{n:02d}") for n in range(1, 11)}
CHECKERS = [(module, name) for module, m in MODULES.items() for name in m.__all__]
TWO_REPLICAS = (
    "its notebook runs it on two replicas: tests/test_checks_nb09.py does, in a subprocess"
)


def notebook_cells():
    """One test case per checker cell of the lessons and of the solution notebooks."""
    cells = []
    for part in ("lesson", "solutions"):
        for number, checker, answer, committed in sources.checker_calls(part):
            skip = (part, checker) == ("solutions", "distributed_train_step")
            marks = [pytest.mark.skip(reason=TWO_REPLICAS)] if skip else []
            case = (part, number, checker, answer, committed)
            cells.append(pytest.param(*case, marks=marks, id=f"{part}-{number}-{checker}"))
    return cells


@pytest.mark.parametrize("part, number, checker, answer, committed", notebook_cells())
def test_the_stubs_and_solutions_print_the_committed_verdicts(
    solutions, capsys, part, number, checker, answer, committed
):
    passed = getattr(checks, checker)(getattr(solutions(number, part=part), answer))
    assert capsys.readouterr().out == committed
    assert bool(passed) == (part == "solutions") == committed.startswith("✅")


def test_every_checker_is_called_by_a_notebook():
    called = {(number, checker) for number, checker, _, _ in sources.checker_calls("solutions")}
    assert {(m[2:], name) for m, name in CHECKERS} == called


def test_checker_names_are_unique_across_modules():
    names = [name for _, name in CHECKERS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("module, name", CHECKERS)
def test_every_checker_is_exported_and_documented_with_an_example(module, name):
    """The docstring's example is the call the notebooks make."""
    checker = getattr(checks, name)
    assert checker is getattr(MODULES[module], name)
    (answer,) = [a for _, c, a, _ in sources.checker_calls("solutions") if c == name]
    doc = checker.__doc__ or ""
    assert doc.startswith("Exercise ") and "Example::" in doc, doc
    assert f"checks.{name}({answer})" in doc, doc


def test_importing_the_checks_does_not_import_tensorflow():
    code = "import helpers.checks, sys; assert 'tensorflow' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_verdict_prints_once_and_is_truthy_only_on_success(capsys):
    @verdict
    def positive(x):
        if x <= 0:
            raise NotYet(f"expected a positive number, found {x}")
        return f"{x} is positive"

    ok, not_ok = positive(3), positive(-1)
    assert isinstance(ok, Verdict) and bool(ok) and not bool(not_ok)
    assert (
        capsys.readouterr().out
        == "✅ 3 is positive\n❌ Not yet: expected a positive number, found -1\n"
    )
    assert positive.__name__ == "positive"


def test_a_crash_in_learner_code_becomes_one_line(capsys):
    def build():
        raise RuntimeError("shapes do not match\nlong traceback detail")

    assert not checks.deeper_mlp(build)
    out = capsys.readouterr().out
    assert out == "❌ Not yet: build_deeper_mlp() raised RuntimeError: shapes do not match\n"
    assert "Traceback" not in out


def test_the_sandbox_keeps_prints_and_warnings_out_and_hides_its_folder(capsys):
    from helpers.checks import core

    @verdict
    def noisy():
        print("a fit log")
        warnings.warn("an unbuilt layer", UserWarning, stacklevel=1)
        path = core.scratch_path("model.keras")
        core.run_learner_code(open, path, what="open(path)")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not noisy()
    out = capsys.readouterr().out
    assert not caught and out.count("\n") == 1, out
    assert re.fullmatch(
        r"❌ Not yet: open\(path\) raised FileNotFoundError: .*'model.keras'\n", out
    )


# --- notebook 01 ------------------------------------------------------------------------------


def mlp(*hidden, dropout=None, output_activation="softmax", input_shape=(28, 28)):
    """An MLP like notebook 01's, with knobs for the mistakes below."""
    layers = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    for units in hidden:
        layers.append(keras.layers.Dense(units, activation="relu"))
        if dropout is not None and len(layers) == 3:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(10, activation=output_activation))
    return keras.Sequential(layers)


def expect(checker, answer, message, capsys):
    """``message`` None: the answer passes; otherwise it fails with a line matching ``message``."""
    passed = checker(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    assert bool(passed) == (message is None), out
    assert out.startswith("✅ " if message is None else "❌ Not yet: "), out
    if message:
        assert re.search(message, out), out


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda: mlp(128), r"units, in order: expected \[128, 64, 10\], found \[128, 10\]"),
        (lambda: mlp(64, 128), r"expected \[128, 64, 10\], found \[64, 128, 10\]"),
        (lambda: mlp(128, 64, output_activation="linear"), "activations: expected"),
        (lambda: mlp(128, 64, input_shape=(784,)), r"input shape: expected \(None, 28, 28\)"),
    ],
)
def test_deeper_mlp(capsys, answer, message):
    expect(checks.deeper_mlp, answer, message, capsys)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda: mlp(128), "expected one Dropout layer, found 0"),
        (lambda: mlp(128, dropout=0.5), "the dropout rate: expected 0.2, found 0.5"),
        (
            lambda: keras.Sequential(
                [
                    keras.Input((28, 28)),
                    keras.layers.Flatten(),
                    keras.layers.Dropout(0.2),
                    keras.layers.Dense(128, activation="relu"),
                    keras.layers.Dense(10, activation="softmax"),
                ]
            ),
            "right after the hidden Dense layer",
        ),
    ],
)
def test_dropout_mlp(capsys, answer, message):
    expect(checks.dropout_mlp, answer, re.escape(message), capsys)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(monitor="val_loss", patience=2, restore_best_weights=True), None),  # also right
        (
            dict(monitor="accuracy", patience=3, restore_best_weights=True),
            "monitor a validation metric",
        ),
        (dict(monitor="val_accuracy", patience=0, restore_best_weights=True), "patience=0"),
        (dict(monitor="val_accuracy", patience=3), "restore_best_weights=True"),
    ],
)
def test_early_stopping(capsys, arguments, message):
    expect(
        checks.early_stopping, lambda: keras.callbacks.EarlyStopping(**arguments), message, capsys
    )


def test_early_stopping_wants_the_callback(capsys):
    answer = lambda: keras.callbacks.ModelCheckpoint("x.keras")  # noqa: E731
    expect(checks.early_stopping, answer, "expected a keras.callbacks.EarlyStopping", capsys)
