"""Notebook 10's checkers reject the common mistakes (tests/test_checks.py runs the solutions)."""

import keras
import pytest

from helpers import checks
from helpers.checks.nb10 import API_ANSWERS
from helpers.models import ResnetBlock, conv3x3


def right_answers():
    return {situation: answer for situation, (answer, _) in API_ANSWERS.items()}


def test_api_choices_explains_a_wrong_answer(capsys):
    answers = right_answers()
    answers["a siamese network: one encoder applied to two images"] = "Sequential"
    assert not checks.api_choices(answers)
    out = capsys.readouterr().out
    assert "expected 'functional', found 'Sequential'" in out and "shared layer" in out


def test_api_choices_reports_missing_and_unanswered(capsys):
    assert not checks.api_choices({})
    assert not checks.api_choices({k: None for k in API_ANSWERS})
    assert not checks.api_choices(["functional"])
    out = capsys.readouterr().out
    assert "missing:" in out and "no answer yet" in out and "expected a dict" in out


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda model, shape: model, "returned the subclassed model itself"),
        (
            lambda model, shape: keras.Model(i := keras.Input(shape=shape), model(i)),
            "still shows one box",
        ),
        (
            lambda model, shape: keras.Model(
                i := keras.Input(shape=(8, 8, 1)), keras.layers.Dense(10)(keras.layers.Flatten()(i))
            ),
            "weights of its own",
        ),
    ],
)
def test_functional_face(capsys, answer, message):
    passed = checks.functional_face(answer)
    out = capsys.readouterr().out
    assert bool(passed) == (message is None), out
    if message:
        assert message in out


def hybrid(blocks=((16, 1, False), (32, 2, True), (64, 2, True)), pool=True):
    inputs = keras.Input(shape=(28, 28, 1))
    x = conv3x3(16)(inputs)
    for channels, strides, residual_path in blocks:
        x = ResnetBlock(channels, strides=strides, residual_path=residual_path)(x)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    x = keras.layers.GlobalAveragePooling2D()(x) if pool else keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            lambda: hybrid(blocks=((16, 1, False), (32, 2, True))),
            "the blocks as (channels, strides, residual_path)",
        ),
        (
            lambda: hybrid(blocks=((16, 1, False), (32, 1, True), (64, 2, True))),
            "found [(16, 1, False), (32, 1, True)",
        ),
        (lambda: hybrid(pool=False), "GlobalAveragePooling2D"),
    ],
)
def test_hybrid_resnet(capsys, answer, message):
    passed = checks.hybrid_resnet(answer)
    out = capsys.readouterr().out
    assert bool(passed) == (message is None), out
    if message:
        assert message in out
