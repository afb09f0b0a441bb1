"""Checkers for the exercises of notebook 07 (saving, loading and serving).

Each checker runs the learner's function or class on small models in a
temporary folder (nothing is written under ``notebooks/``), then loads what
was written the way a fresh program would: ``keras.models.load_model`` with no
``custom_objects``, or ``tf.saved_model.load``. Keras warnings and anything the
learner's code prints (``fit`` logs) are kept out, so a notebook cell shows
only the verdict.
"""
import contextlib
import io
import json
import os
import re
import tempfile
import warnings
import zipfile

import numpy as np

from helpers.checks.core import NotYet, expect_equal, layers_of_type, verdict

__all__ = ["save_and_reload", "registered_dropout_net", "resume_from_checkpoint",
           "export_classifier"]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --- small tools -------------------------------------------------------------------------

@contextlib.contextmanager
def _sandbox():
    """A temporary folder, with Keras warnings and the learner's printing kept out."""
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(), \
            contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield folder


def _reason(error, folder, limit=300):
    """The first informative line of an error, without the temporary folder's path."""
    lines = [ANSI.sub("", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        lines = lines[1:]
    text = lines[0] if lines else ""
    text = text.replace(folder + os.sep, "").replace(folder, "<folder>")
    return text if len(text) <= limit else text[:limit] + "…"


def _call(function, *args, folder, what):
    """Call the learner's code; any error becomes ``NotYet`` naming ``what``."""
    try:
        return function(*args)
    except NotYet:
        raise
    except Exception as error:
        raise NotYet(f"{what} raised {type(error).__name__}: {_reason(error, folder)}") from None


def _numpy(tensor, what):
    import keras

    if tensor is None:
        raise NotYet(f"{what} returned None; expected a tensor (does `call` end with `return ...`?)")
    return np.asarray(keras.ops.convert_to_numpy(tensor))


def _small_classifier(seed=0):
    """A compiled Flatten -> Dense(10) logits model for 28 x 28 x 1 images."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)], name="small_classifier")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _images(n, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28, 1), dtype=np.float32)


# --- Exercise 1 ----------------------------------------------------------------------------

@verdict
def save_and_reload(function):
    """Exercise 07.1: ``save_and_reload(model, path)`` saves to ``.keras`` and returns the reload.

    Runs it on ``helpers.models.ResnetBlock(32, strides=2, residual_path=True)``
    (called on a batch, so it is built) with a ``.keras`` path in a temporary
    folder. Checks that a ``.keras`` file was written there, that it names the
    class ``keras_models>ResnetBlock``, and that the returned object is a new
    ``ResnetBlock`` with the same settings and identical outputs.

    Example::

        checks.save_and_reload(save_and_reload)
    """
    import keras

    from helpers.models import ResnetBlock

    if not callable(function):
        raise NotYet(f"expected a function save_and_reload(model, path), found {type(function).__name__}")
    x = _images(2)[..., [0] * 16]          # (2, 28, 28, 16): 16 channels for the block
    with _sandbox() as folder:
        block = ResnetBlock(32, strides=2, residual_path=True)
        before = _numpy(block(x), "the block")
        path = os.path.join(folder, "block.keras")
        loaded = _call(function, block, path, folder=folder, what="save_and_reload(block, path)")
        if loaded is None:
            raise NotYet("save_and_reload returned None; expected the model loaded back from the "
                         "file (did you forget `return keras.models.load_model(path)`?)")
        if loaded is block:
            raise NotYet("save_and_reload returned the very model it was given; return what "
                         "keras.models.load_model(path) gives back")
        if not os.path.isfile(path):
            raise NotYet("no file was written at `path`; save with model.save(path)")
        if not zipfile.is_zipfile(path):
            raise NotYet("the file at `path` is not a .keras archive; save with model.save(path), "
                         "not save_weights or export")
        with zipfile.ZipFile(path) as archive:
            names = sorted(archive.namelist())
            if "config.json" not in names:
                raise NotYet(f"the .keras file holds {names}, with no config.json; save the whole "
                             "model with model.save(path)")
            registered = json.loads(archive.read("config.json")).get("registered_name")
        expect_equal(registered, "keras_models>ResnetBlock", "the registered_name in config.json")
        if not isinstance(loaded, ResnetBlock):
            raise NotYet(f"save_and_reload returned a {type(loaded).__name__}, expected a "
                         "ResnetBlock: return keras.models.load_model(path)")
        settings = (loaded.channels, loaded.strides, loaded.residual_path)
        expect_equal(settings, (32, 2, True), "the reloaded block's (channels, strides, residual_path)")
        after = _numpy(_call(loaded, x, folder=folder, what="the reloaded block on a batch"),
                       "the reloaded block")
    if not np.array_equal(before, after):
        raise NotYet("the reloaded block gives different outputs from the original: were the "
                     "weights saved (model.save) and loaded (keras.models.load_model)?")
    return ("the ResnetBlock came back from its .keras file (registered_name "
            "'keras_models>ResnetBlock') as a new ResnetBlock with identical outputs.")


# --- Exercise 2 ----------------------------------------------------------------------------

def _dropout_rates(model):
    return [layer.rate for layer in layers_of_type(model, "Dropout")]


@verdict
def registered_dropout_net(DropoutTinyNet):
    """Exercise 07.2: ``DropoutTinyNet(units=32, dropout=0.0)``, registered, with a full config.

    Checks that ``DropoutTinyNet(units=16, dropout=0.5)`` gives (n, 10) logits,
    has Dense layers of 16 and 10 units and one Dropout of rate 0.5 that is
    active only in training; that the class is registered; that ``get_config``
    holds ``units`` and ``dropout``; and that ``keras.models.load_model`` with
    no ``custom_objects`` brings back the same units, dropout rate and outputs.

    Example::

        checks.registered_dropout_net(DropoutTinyNet)
    """
    import keras

    if not (isinstance(DropoutTinyNet, type) and issubclass(DropoutTinyNet, keras.Model)):
        raise NotYet("expected DropoutTinyNet to be a class that subclasses keras.Model")
    what = "DropoutTinyNet(units=16, dropout=0.5)"
    x = _images(4)
    with _sandbox() as folder:
        model = _call(lambda: DropoutTinyNet(units=16, dropout=0.5), folder=folder, what=what)
        logits = _numpy(_call(model, x, folder=folder, what=f"{what} on 4 images"),
                        f"{what} on 4 images")
        expect_equal(tuple(logits.shape), (4, 10), f"the output shape of {what} on 4 images")
        units = sorted(layer.units for layer in layers_of_type(model, "Dense"))
        expect_equal(units, [10, 16], f"the Dense layers' units of {what} (sorted)",
                     "hidden = Dense(units, relu), classifier = Dense(10)")
        expect_equal(_dropout_rates(model), [0.5], f"the Dropout rates in {what}",
                     "create keras.layers.Dropout(dropout) in __init__ and call it after hidden")
        again = _numpy(model(x), what)
        if not np.array_equal(logits, again):
            raise NotYet(f"two calls {what}(x) differ: outside training the Dropout must do nothing")
        trained = [_numpy(model(x, training=True), what) for _ in range(2)]
        if np.array_equal(trained[0], trained[1]):
            raise NotYet("two calls with training=True give the same output: does call pass "
                         "`training` on to the Dropout layer?")

        name = keras.saving.get_registered_name(DropoutTinyNet)
        if ">" not in name:
            raise NotYet("DropoutTinyNet is not registered, so load_model cannot find it by name "
                         "('Could not locate class'). Decorate the class with "
                         "@keras.saving.register_keras_serializable(package=...)")
        config = _call(model.get_config, folder=folder, what="get_config()")
        for key, value in (("units", 16), ("dropout", 0.5)):
            if config.get(key) != value:
                raise NotYet(f"get_config() of {what} holds {key}={config.get(key)!r}, expected "
                             f"{value}: without it, from_config re-creates the model with the "
                             f"default. Add '{key}' in get_config: config.update(...)")
        path = os.path.join(folder, "dropout_tiny_net.keras")
        _call(model.save, path, folder=folder, what="model.save(path)")
        loaded = _call(keras.models.load_model, path, folder=folder,
                       what="keras.models.load_model(path)")
        expect_equal(type(loaded).__name__, DropoutTinyNet.__name__, "the class of the loaded model")
        expect_equal(_dropout_rates(loaded), [0.5], "the Dropout rates of the loaded model")
        if not np.array_equal(_numpy(loaded(x), "the loaded model"), logits):
            raise NotYet("the loaded model predicts differently from the saved one")
    return (f"DropoutTinyNet is registered as '{name}'; its config keeps units=16 and "
            "dropout=0.5, so load_model re-creates it exactly, with identical predictions.")


# --- Exercise 3 ----------------------------------------------------------------------------

@verdict
def resume_from_checkpoint(resume):
    """Exercise 07.3: ``resume(checkpoint_path, x, y)`` goes on training from a checkpoint.

    Trains a small compiled model for 2 steps, saves it as a ``.keras``
    checkpoint in a temporary folder and calls ``resume(path, x, y)`` with 64
    images. The returned model must have been trained for one more epoch in
    batches of 32 *with the restored optimizer*: 2 + 2 = 4 optimizer steps.

    Example::

        checks.resume_from_checkpoint(resume)
    """
    import keras

    if not callable(resume):
        raise NotYet(f"expected a function resume(checkpoint_path, x, y), found {type(resume).__name__}")
    x, y = _images(64), np.arange(64) % 10
    with _sandbox() as folder:
        model = _small_classifier()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        path = os.path.join(folder, "checkpoint.keras")
        model.save(path)
        saved_weights = [np.array(w) for w in model.get_weights()]
        resumed = _call(resume, path, x, y, folder=folder, what="resume(checkpoint_path, x, y)")
        if resumed is None:
            raise NotYet("resume returned None; expected the model it trained "
                         "(did you forget `return model`?)")
        if not isinstance(resumed, keras.Model):
            raise NotYet(f"resume returned a {type(resumed).__name__}; expected a keras.Model")
        if getattr(resumed, "optimizer", None) is None:
            raise NotYet("the returned model has no optimizer: load the whole model with "
                         "keras.models.load_model(checkpoint_path), which restores it compiled")
        steps = int(resumed.optimizer.iterations)
        weights = resumed.get_weights()
        if len(weights) == len(saved_weights) and all(
                np.array_equal(a, b) for a, b in zip(weights, saved_weights)):
            raise NotYet("the returned model has exactly the checkpoint's weights: train it for "
                         "one more epoch with fit(x, y, batch_size=32, epochs=1)")
    if steps == 2:
        raise NotYet("the optimizer counted 2 steps: it started again from 0. load_model already "
                     "restores the compiled optimizer and its state; do not call compile again")
    expect_equal(steps, 4, "the optimizer's step count after resuming",
                 "2 steps in the checkpoint + one epoch of 64 images in batches of 32")
    return ("resumed from the checkpoint: the restored optimizer went on from step 2 to step 4 "
            "instead of starting again.")


# --- Exercise 4 ----------------------------------------------------------------------------

def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@verdict
def export_classifier(function):
    """Exercise 07.4: ``export_classifier(model, export_dir)`` writes a ``classify`` endpoint.

    Exports a small logits model to a temporary folder, loads the SavedModel
    with ``tf.saved_model.load`` and calls ``classify`` on batches of 5 and 3
    images. It must return a dict with ``probabilities`` (the softmax of the
    model's logits) and ``class_ids`` (their argmax).

    Example::

        checks.export_classifier(export_classifier)
    """
    import keras
    import tensorflow as tf

    if not callable(function):
        raise NotYet(f"expected a function export_classifier(model, export_dir), "
                     f"found {type(function).__name__}")
    with _sandbox() as folder:
        model = _small_classifier(seed=1)
        export_dir = os.path.join(folder, "classifier")
        _call(function, model, export_dir, folder=folder, what="export_classifier(model, export_dir)")
        if not os.path.isdir(export_dir):
            raise NotYet("nothing was written at export_dir: build a keras.export.ExportArchive, "
                         "add the endpoint and call archive.write_out(export_dir)")
        serving = _call(tf.saved_model.load, export_dir, folder=folder,
                        what="tf.saved_model.load(export_dir)")
        endpoints = sorted(getattr(serving, "signatures", {}).keys())
        if not hasattr(serving, "classify"):
            raise NotYet(f"the SavedModel has no endpoint called 'classify'; its signatures are "
                         f"{endpoints}. Use archive.add_endpoint('classify', fn)")
        for n in (5, 3):
            x = _images(n, seed=n)
            out = _call(serving.classify, tf.constant(x), folder=folder,
                        what=f"classify on {n} images of shape (28, 28, 1)")
            if not isinstance(out, dict) or sorted(out) != ["class_ids", "probabilities"]:
                found = sorted(out) if isinstance(out, dict) else type(out).__name__
                raise NotYet(f"classify should return a dict with the keys 'class_ids' and "
                             f"'probabilities'; found {found}")
            logits = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))
            probabilities = np.asarray(out["probabilities"])
            expect_equal(tuple(probabilities.shape), (n, 10), f"the shape of 'probabilities' for {n} images")
            if not np.allclose(probabilities, _softmax(logits), atol=1e-5):
                hint = ("these are the logits: apply tf.nn.softmax" if np.allclose(probabilities, logits, atol=1e-5)
                        else "expected the softmax of model(images, training=False)")
                raise NotYet(f"'probabilities' are not the model's class probabilities: {hint}")
            class_ids = np.asarray(out["class_ids"])
            if class_ids.shape != (n,) or not np.array_equal(class_ids, logits.argmax(axis=1)):
                raise NotYet(f"'class_ids' should be the argmax of each row, shape ({n},); found "
                             f"shape {class_ids.shape}: use tf.argmax(logits, axis=-1)")
    return ("the SavedModel's 'classify' endpoint returns probabilities and class ids that match "
            "the model, for any batch size, with no Keras class needed to run it.")
