"""helpers.checks: the shared machinery, and notebook 01's checkers.

Each checker must accept the worked solution and reject each common mistake
with a message that says what was expected. Checkers of later notebooks are
tested in tests/test_checks_nbNN.py.
"""
import keras
import pytest

from helpers import checks
from helpers.checks.core import NotYet, Verdict, verdict


def mlp(*hidden, dropout=None, output_activation="softmax", input_shape=(28, 28)):
    layers = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    for units in hidden:
        layers.append(keras.layers.Dense(units, activation="relu"))
        if dropout is not None and len(layers) == 3:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(10, activation=output_activation))
    return keras.Sequential(layers)


def test_verdict_prints_once_and_is_truthy_only_on_success(capsys):
    @verdict
    def positive(x):
        if x <= 0:
            raise NotYet(f"expected a positive number, found {x}")
        return f"{x} is positive"

    ok, not_ok = positive(3), positive(-1)
    assert isinstance(ok, Verdict) and bool(ok) and not bool(not_ok)
    assert capsys.readouterr().out == "✅ 3 is positive\n❌ Not yet: expected a positive number, found -1\n"
    assert positive.__name__ == "positive"


def test_a_crash_in_learner_code_becomes_one_line(capsys):
    def build():
        raise RuntimeError("shapes do not match\nlong traceback detail")
    assert not checks.deeper_mlp(build)
    out = capsys.readouterr().out
    assert out == "❌ Not yet: build_deeper_mlp() raised RuntimeError: shapes do not match\n"
    assert "Traceback" not in out


@pytest.mark.parametrize("answer, message", [
    (lambda: mlp(128, 64), None),
    (lambda: None, "returned None; expected a keras.Model"),
    (lambda: mlp(128), r"units, in order: expected \[128, 64, 10\], found \[128, 10\]"),
    (lambda: mlp(64, 128), r"expected \[128, 64, 10\], found \[64, 128, 10\]"),
    (lambda: mlp(128, 64, output_activation="linear"), "activations: expected"),
    (lambda: mlp(128, 64, input_shape=(784,)), r"input shape: expected \(None, 28, 28\)"),
])
def test_deeper_mlp(capsys, answer, message):
    passed = checks.deeper_mlp(answer)
    out = capsys.readouterr().out
    assert bool(passed) == (message is None), out
    if message:
        import re
        assert re.search(message, out), out


@pytest.mark.parametrize("answer, message", [
    (lambda: mlp(128, dropout=0.2), None),
    (lambda: mlp(128), "expected one Dropout layer, found 0"),
    (lambda: mlp(128, dropout=0.5), "the dropout rate: expected 0.2, found 0.5"),
    (lambda: keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dropout(0.2),
                               keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax")]),
     "right after the hidden Dense layer"),
])
def test_dropout_mlp(capsys, answer, message):
    passed = checks.dropout_mlp(answer)
    out = capsys.readouterr().out
    assert bool(passed) == (message is None), out
    if message:
        assert message in out


@pytest.mark.parametrize("answer, message", [
    (lambda: keras.callbacks.EarlyStopping("val_accuracy", patience=3, restore_best_weights=True), None),
    (lambda: keras.callbacks.EarlyStopping("val_loss", patience=2, restore_best_weights=True), None),
    (lambda: keras.callbacks.EarlyStopping("accuracy", patience=3, restore_best_weights=True),
     "monitor a validation metric"),
    (lambda: keras.callbacks.EarlyStopping("val_accuracy", patience=0, restore_best_weights=True), "patience=0"),
    (lambda: keras.callbacks.EarlyStopping("val_accuracy", patience=3), "restore_best_weights=True"),
    (lambda: keras.callbacks.ModelCheckpoint("x.keras"), "expected a keras.callbacks.EarlyStopping"),
])
def test_early_stopping(capsys, answer, message):
    passed = checks.early_stopping(answer)
    out = capsys.readouterr().out
    assert bool(passed) == (message is None), out
    if message:
        assert message in out
