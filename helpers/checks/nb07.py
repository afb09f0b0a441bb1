"""Checkers for the exercises of notebook 07 (saving, loading and serving): each runs the learner's
function or class on small models in the checker's temporary folder, then loads what was written
as a fresh program would: ``keras.models.load_model`` with no ``custom_objects``, or
``tf.saved_model.load``."""

import json
import os
import zipfile

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = [
    "save_and_reload",
    "registered_dropout_net",
    "resume_from_checkpoint",
    "export_classifier",
]

NET = "DropoutTinyNet(units=16, dropout=0.5)"


def images(n, seed=0):
    """``n`` random 28 x 28 x 1 images."""
    return core.tiny_data(n, (28, 28, 1), seed=seed)[0]


def dropout_rates(model):
    return [layer.rate for layer in core.layers_of_type(model, "Dropout")]


# fmt: off
SAVED_BLOCK = [  # (symptom, hint) over what save_and_reload(block, path) returned and wrote
    (lambda f: f.loaded is None, "save_and_reload returned None; expected the model loaded back from the file (did you forget `return keras.models.load_model(path)`?)"),
    (lambda f: f.loaded is f.block, "save_and_reload returned the very model it was given; return what keras.models.load_model(path) gives back"),
    (lambda f: not os.path.isfile(f.path), "no file was written at `path`; save with model.save(path)"),
    (lambda f: f.files is None, "the file at `path` is not a .keras archive; save with model.save(path), not save_weights or export"),
    (lambda f: "config.json" not in f.files, "the .keras file holds {files}, with no config.json; save the whole model with model.save(path)"),
    (lambda f: f.registered != "keras_models>ResnetBlock", "the registered_name in config.json: expected keras_models>ResnetBlock, found {registered}."),
    (lambda f: not f.is_block, "save_and_reload returned a {kind}, expected a ResnetBlock: return keras.models.load_model(path)"),
    (lambda f: f.settings != (32, 2, True), "the reloaded block's (channels, strides, residual_path): expected (32, 2, True), found {settings}."),
    (lambda f: not np.array_equal(f.before, core.output_of(f.loaded, f.x, "the reloaded block on a batch")), "the reloaded block gives different outputs from the original: were the weights saved (model.save) and loaded (keras.models.load_model)?"),
]
DROPOUT_NET = [  # (what, measure, expected, hint)
    ("the Dense layers' units of " + NET + " (sorted)", core.sorted_units, [10, 16], "hidden = Dense(units, relu), classifier = Dense(10)"),
    ("the Dropout rates in " + NET, dropout_rates, [0.5], "create keras.layers.Dropout(dropout) in __init__ and call it after hidden"),
]
DROPOUT_NET_MISTAKES = [  # (symptom, hint)
    (lambda f: not f.inference_agrees, "two calls " + NET + "(x) differ: outside training the Dropout must do nothing"),
    (lambda f: not f.training_varies, "two calls with training=True give the same output: does call pass `training` on to the Dropout layer?"),
    (lambda f: ">" not in f.name, "DropoutTinyNet is not registered, so load_model cannot find it by name ('Could not locate class'). Decorate the class with @keras.saving.register_keras_serializable(package=...)"),
]
NET_CONFIG = [  # (symptom, hint) over the model's get_config()
    (lambda f: f.units != 16, "get_config() of " + NET + " holds units={units!r}, expected 16: without it, from_config re-creates the model with the default. Add 'units' in get_config: config.update(...)"),
    (lambda f: f.dropout != 0.5, "get_config() of " + NET + " holds dropout={dropout!r}, expected 0.5: without it, from_config re-creates the model with the default. Add 'dropout' in get_config: config.update(...)"),
]
LOADED_NET = [  # (symptom, hint) over the model that load_model(path) brought back
    (lambda f: type(f.loaded).__name__ != f.cls, "the class of the loaded model: expected {cls}, found {kind}."),
    (lambda f: dropout_rates(f.loaded) != [0.5], "the Dropout rates of the loaded model: expected [0.5], found {rates}."),
    (lambda f: not np.array_equal(core.to_numpy(f.loaded(f.x), "the loaded model"), f.logits), "the loaded model predicts differently from the saved one"),
]
RESUMED = [  # (symptom, hint) over what resume(checkpoint_path, x, y) returned
    (lambda f: f.model is None, "resume returned None; expected the model it trained (did you forget `return model`?)"),
    (lambda f: not f.is_model, "resume returned a {kind}; expected a keras.Model"),
    (lambda f: f.optimizer is None, "the returned model has no optimizer: load the whole model with keras.models.load_model(checkpoint_path), which restores it compiled"),
    (lambda f: f.same_weights, "the returned model has exactly the checkpoint's weights: train it for one more epoch with fit(x, y, batch_size=32, epochs=1)"),
    (lambda f: f.steps == 2, "the optimizer counted 2 steps: it started again from 0. load_model already restores the compiled optimizer and its state; do not call compile again"),
]
CLASSIFIED = [  # (symptom, hint) over what classify returned for {n} images
    (lambda f: f.probabilities.shape != (f.n, 10), "the shape of 'probabilities' for {n} images: expected ({n}, 10), found {probabilities.shape}."),
    (lambda f: not np.allclose(f.probabilities, f.softmax, atol=1e-5) and np.allclose(f.probabilities, f.logits, atol=1e-5), "'probabilities' are not the model's class probabilities: these are the logits: apply tf.nn.softmax"),
    (lambda f: not np.allclose(f.probabilities, f.softmax, atol=1e-5), "'probabilities' are not the model's class probabilities: expected the softmax of model(images, training=False)"),
    (lambda f: f.class_ids.shape != (f.n,) or not np.array_equal(f.class_ids, f.logits.argmax(axis=1)), "'class_ids' should be the argmax of each row, shape ({n},); found shape {class_ids.shape}: use tf.argmax(logits, axis=-1)"),
]
# fmt: on


def _archive(path):
    """The names in the .keras (zip) archive at ``path`` and the registered_name in its
    config.json; (None, None) if there is no such archive."""
    if not (os.path.isfile(path) and zipfile.is_zipfile(path)):
        return None, None
    with zipfile.ZipFile(path) as archive:
        files = sorted(archive.namelist())
        config = json.loads(archive.read("config.json")) if "config.json" in files else {}
    return files, config.get("registered_name")


@verdict
def save_and_reload(function):
    """Exercise 07.1: ``save_and_reload(model, path)`` saves to ``.keras`` and returns the reload.
    Runs it on ``helpers.models.ResnetBlock(32, strides=2, residual_path=True)`` (called on a batch,
    so it is built) with a ``.keras`` path in a temporary folder, and reads the table
    ``SAVED_BLOCK``: a ``.keras`` file naming the class ``keras_models>ResnetBlock``, and a new
    ``ResnetBlock`` with the same settings and identical outputs returned. Example::

        checks.save_and_reload(save_and_reload)
    """
    from helpers.models import ResnetBlock

    core.expect_function(function, "save_and_reload(model, path)")
    x = images(2)[..., [0] * 16]  # (2, 28, 28, 16): 16 channels for the block
    block, path = ResnetBlock(32, strides=2, residual_path=True), core.scratch_path("block.keras")
    before = core.to_numpy(block(x), "the block")
    loaded = core.run_learner_code(function, block, path, what="save_and_reload(block, path)")
    files, registered = _archive(path)
    names = ("channels", "strides", "residual_path")
    settings = tuple(getattr(loaded, name, None) for name in names)
    facts = dict(loaded=loaded, block=block, path=path, files=files, registered=registered)
    facts.update(is_block=isinstance(loaded, ResnetBlock), kind=type(loaded).__name__)
    core.diagnose(SAVED_BLOCK, settings=settings, x=x, before=before, **facts)
    return "the ResnetBlock came back from its .keras file (registered_name 'keras_models>ResnetBlock') as a new ResnetBlock with identical outputs."


@verdict
def registered_dropout_net(DropoutTinyNet):
    """Exercise 07.2: ``DropoutTinyNet(units=32, dropout=0.0)``, registered, with a full config.
    Checks that ``DropoutTinyNet(units=16, dropout=0.5)`` gives (n, 10) logits, meets the spec
    ``DROPOUT_NET`` (Dense 16 and 10, one Dropout of 0.5), then the tables ``DROPOUT_NET_MISTAKES``
    (Dropout active only in training; the class registered), ``NET_CONFIG`` and ``LOADED_NET``:
    ``keras.models.load_model`` with no ``custom_objects`` brings back the same model. Example::

        checks.registered_dropout_net(DropoutTinyNet)
    """
    import keras

    if not (isinstance(DropoutTinyNet, type) and issubclass(DropoutTinyNet, keras.Model)):
        raise NotYet("expected DropoutTinyNet to be a class that subclasses keras.Model")
    x = images(4)
    model = core.run_learner_code(lambda: DropoutTinyNet(units=16, dropout=0.5), what=NET)
    logits = core.output_of(model, x, f"{NET} on 4 images")
    core.expect_equal(logits.shape, (4, 10), f"the output shape of {NET} on 4 images")
    core.expect(model, DROPOUT_NET)
    name = keras.saving.get_registered_name(DropoutTinyNet)
    core.diagnose(DROPOUT_NET_MISTAKES, name=name, **core.dropout_facts(model, x, NET))
    config = core.run_learner_code(model.get_config, what="get_config()")
    core.diagnose(NET_CONFIG, units=config.get("units"), dropout=config.get("dropout"))
    path = core.scratch_path("dropout_tiny_net.keras")
    core.run_learner_code(model.save, path, what="model.save(path)")
    what = "keras.models.load_model(path)"
    loaded = core.run_learner_code(keras.models.load_model, path, what=what)
    facts = dict(loaded=loaded, cls=DropoutTinyNet.__name__, kind=type(loaded).__name__, x=x)
    core.diagnose(LOADED_NET, rates=dropout_rates(loaded), logits=logits, **facts)
    return f"DropoutTinyNet is registered as '{name}'; its config keeps units=16 and dropout=0.5, so load_model re-creates it exactly, with identical predictions."


@verdict
def resume_from_checkpoint(resume):
    """Exercise 07.3: ``resume(checkpoint_path, x, y)`` goes on training from a checkpoint. Trains a
    small compiled model for 2 steps, saves it as a ``.keras`` checkpoint in a temporary folder and
    calls ``resume(path, x, y)`` with 64 images. The returned model must have been trained for one
    more epoch in batches of 32 *with the restored optimizer*: 2 + 2 = 4 optimizer steps. Example::

        checks.resume_from_checkpoint(resume)
    """
    import keras

    core.expect_function(resume, "resume(checkpoint_path, x, y)")
    x, y = images(64), np.arange(64) % 10
    model = core.tiny_model((28, 28, 1), optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    path = core.scratch_path("checkpoint.keras")
    model.save(path)
    resumed = core.run_learner_code(resume, path, x, y, what="resume(checkpoint_path, x, y)")
    is_model = isinstance(resumed, keras.Model)
    optimizer = getattr(resumed, "optimizer", None) if is_model else None
    steps = int(optimizer.iterations) if optimizer is not None else None
    weights = resumed.get_weights() if is_model else []
    same = core.close(weights, model.get_weights(), rtol=0, atol=0)
    facts = dict(model=resumed, is_model=is_model, kind=type(resumed).__name__, optimizer=optimizer)
    core.diagnose(RESUMED, same_weights=same, steps=steps, **facts)
    hint = "2 steps in the checkpoint + one epoch of 64 images in batches of 32"
    core.expect_equal(steps, 4, "the optimizer's step count after resuming", hint)
    return "resumed from the checkpoint: the restored optimizer went on from step 2 to step 4 instead of starting again."


def _expect_classify(serving, model, n):
    """``serving.classify`` on n images gives the model's probabilities and class ids."""
    import tensorflow as tf

    x = images(n, seed=n)
    what = f"classify on {n} images of shape (28, 28, 1)"
    out = core.run_learner_code(serving.classify, tf.constant(x), what=what)
    if not isinstance(out, dict) or sorted(out) != ["class_ids", "probabilities"]:
        found = sorted(out) if isinstance(out, dict) else type(out).__name__
        raise NotYet(
            f"classify should return a dict with the keys 'class_ids' and 'probabilities'; found {found}"
        )
    logits = core.to_numpy(model(x, training=False))
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    probabilities, class_ids = np.asarray(out["probabilities"]), np.asarray(out["class_ids"])
    facts = dict(probabilities=probabilities, class_ids=class_ids)
    core.diagnose(CLASSIFIED, n=n, logits=logits, softmax=softmax, **facts)


@verdict
def export_classifier(function):
    """Exercise 07.4: ``export_classifier(model, export_dir)`` writes a ``classify`` endpoint.
    Exports a small logits model to a temporary folder, loads the SavedModel with
    ``tf.saved_model.load`` and calls ``classify`` on batches of 5 and 3 images. It must return a
    dict with ``probabilities`` (the softmax of the model's logits) and ``class_ids`` (their
    argmax). Example::

        checks.export_classifier(export_classifier)
    """
    import keras
    import tensorflow as tf

    core.expect_function(function, "export_classifier(model, export_dir)")
    model = core.tiny_model((28, 28, 1), seed=1, optimizer=keras.optimizers.Adam(1e-3))
    export_dir = core.scratch_path("classifier")
    core.run_learner_code(function, model, export_dir, what="export_classifier(model, export_dir)")
    if not os.path.isdir(export_dir):
        raise NotYet(
            "nothing was written at export_dir: build a keras.export.ExportArchive, add the endpoint and call archive.write_out(export_dir)"
        )
    what = "tf.saved_model.load(export_dir)"
    serving = core.run_learner_code(tf.saved_model.load, export_dir, what=what)
    if not hasattr(serving, "classify"):
        endpoints = sorted(getattr(serving, "signatures", {}).keys())
        raise NotYet(
            f"the SavedModel has no endpoint called 'classify'; its signatures are {endpoints}. Use archive.add_endpoint('classify', fn)"
        )
    for n in (5, 3):
        _expect_classify(serving, model, n)
    return "the SavedModel's 'classify' endpoint returns probabilities and class ids that match the model, for any batch size, with no Keras class needed to run it."
