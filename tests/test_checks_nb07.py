"""Notebook 07's checkers reject each common mistake with the right message.

The worked solutions and the lesson's stubs are run by tests/test_checks.py; the mistaken
``DropoutTinyNet`` classes are the solution's with one thing changed (``solutions.mistake``).
Registered mistakes use a package of their own so they cannot replace the solution's.
"""

import os

import keras
import pytest
import tensorflow as tf
from solutions import mistake

from helpers import checks

PACKAGE = "test_checks_nb07"


def verdict_of(checker, answer, capsys):
    passed = checker(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    assert "/tmp" not in out and os.sep + "tmp" not in out, out  # no temporary paths
    return bool(passed), out


def expect(checker, answer, message, capsys):
    passed, out = verdict_of(checker, answer, capsys)
    assert passed == (message is None), out
    assert out.startswith("✅" if message is None else "❌ Not yet: "), out
    if message:
        assert message in out, out


# --- Exercise 1: save and reload ---------------------------------------------------------------


def returns_the_original(model, path):
    model.save(path)
    return model


def never_saves(model, path):
    return keras.models.clone_model(model)


def saves_weights_only(model, path):
    model.save_weights(path)
    return model


def saves_elsewhere(model, path):
    other = path.replace("block.keras", "other.keras")
    model.save(other)
    return keras.models.load_model(other)


@pytest.mark.parametrize(
    "answer, message",
    [
        (returns_the_original, "returned the very model it was given"),
        (never_saves, "no file was written at `path`"),
        (saves_weights_only, "raised ValueError: The filename must end in `.weights.h5`"),
        (saves_elsewhere, "no file was written at `path`"),
        ("save_and_reload", "expected a function save_and_reload(model, path)"),
    ],
)
def test_save_and_reload(capsys, answer, message):
    expect(checks.save_and_reload, answer, message, capsys)


# --- Exercise 2: DropoutTinyNet -----------------------------------------------------------------


def registered(make):
    """Register the mistaken class ``make`` gives, as load_model must find it by name."""
    return lambda load: keras.saving.register_keras_serializable(package=PACKAGE)(make(load))


class NotRegistered:
    pass


class ForgetsDropoutInConfig:
    def get_config(self):
        config = super().get_config()
        del config["dropout"]
        return config


class TrainingNotPassedOn:
    def call(self, inputs, training=None):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs)), training=False))


class IgnoresDropoutArgument:
    def __init__(self, units=32, dropout=0.0, **kwargs):
        super().__init__(units=units, dropout=0.2, **kwargs)


@pytest.mark.parametrize(
    "make, message",
    [
        (mistake("07", "DropoutTinyNet", NotRegistered), "DropoutTinyNet is not registered"),
        (
            registered(mistake("07", "DropoutTinyNet", ForgetsDropoutInConfig)),
            "get_config() of DropoutTinyNet(units=16, dropout=0.5) holds dropout=None",
        ),
        (
            mistake("07", "DropoutTinyNet", TrainingNotPassedOn),
            "does call pass `training` on to the Dropout layer?",
        ),
        (
            mistake("07", "DropoutTinyNet", IgnoresDropoutArgument),
            "the Dropout rates in DropoutTinyNet(units=16, dropout=0.5): expected [0.5], found [0.2]",
        ),
        (
            lambda load: keras.layers.Dense,
            "expected DropoutTinyNet to be a class that subclasses keras.Model",
        ),
    ],
)
def test_registered_dropout_net(solutions, capsys, make, message):
    expect(checks.registered_dropout_net, make(solutions), message, capsys)


# --- Exercise 3: resume ---------------------------------------------------------------------------


def compiles_again(checkpoint_path, x, y):
    model = keras.models.load_model(checkpoint_path)
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return model


def does_not_train(checkpoint_path, x, y):
    return keras.models.load_model(checkpoint_path)


def loads_without_compiling(checkpoint_path, x, y):
    return keras.models.load_model(checkpoint_path, compile=False)


def other_batch_size(checkpoint_path, x, y):
    model = keras.models.load_model(checkpoint_path)
    model.fit(x, y, batch_size=64, epochs=1)  # and prints its log: the checker hides it
    return model


@pytest.mark.parametrize(
    "answer, message",
    [
        (compiles_again, "it started again from 0"),
        (does_not_train, "exactly the checkpoint's weights"),
        (loads_without_compiling, "the returned model has no optimizer"),
        (other_batch_size, "the optimizer's step count after resuming: expected 4, found 3"),
    ],
)
def test_resume_from_checkpoint(capsys, answer, message):
    expect(checks.resume_from_checkpoint, answer, message, capsys)


# --- Exercise 4: export_classifier ------------------------------------------------------------


def exporter(outputs, name="classify", shape=(None, 28, 28, 1)):
    """An export_classifier whose endpoint returns ``outputs(logits)``."""

    def export_classifier(model, export_dir):
        archive = keras.export.ExportArchive()
        archive.track(model)

        @tf.function(input_signature=[tf.TensorSpec(shape=shape, dtype=tf.float32)])
        def endpoint(images):
            return outputs(model(images, training=False))

        archive.add_endpoint(name, endpoint)
        archive.write_out(export_dir, verbose=False)

    return export_classifier


def answer_outputs(logits):
    return {"probabilities": tf.nn.softmax(logits), "class_ids": tf.argmax(logits, axis=-1)}


def plain_export(model, export_dir):
    model.export(export_dir)  # prints a description: the checker hides it


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            plain_export,
            "the SavedModel has no endpoint called 'classify'; its signatures are ['serve', 'serving_default']",
        ),
        (exporter(answer_outputs, name="predict"), "no endpoint called 'classify'"),
        (
            exporter(
                lambda logits: {"probabilities": logits, "class_ids": tf.argmax(logits, axis=-1)}
            ),
            "these are the logits: apply tf.nn.softmax",
        ),
        (
            exporter(lambda logits: {"probabilities": tf.nn.softmax(logits)}),
            "found ['probabilities']",
        ),
        (exporter(lambda logits: tf.nn.softmax(logits)), "found EagerTensor"),
        (
            exporter(
                lambda logits: {
                    "probabilities": tf.nn.softmax(logits),
                    "class_ids": tf.argmax(logits, axis=0),
                }
            ),
            "'class_ids' should be the argmax of each row",
        ),
        (
            exporter(answer_outputs, shape=(5, 28, 28, 1)),
            "classify on 3 images of shape (28, 28, 1) raised",
        ),
    ],
)
def test_export_classifier(capsys, answer, message):
    expect(checks.export_classifier, answer, message, capsys)
