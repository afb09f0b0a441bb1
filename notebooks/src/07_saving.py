# %% [markdown]
# # 07 · Saving, loading and serving subclassed models
#
# [Notebook 06](06_training.ipynb) trained the article's `ResNet` and kept checkpoints along the
# way. A trained model is only useful if you can get it back: tomorrow, in another program, on a
# server. For a model written as a Python class this raises questions that Sequential and
# Functional models never do, and this notebook answers the common ones with running code.
# [Notebook 08](08_custom_training.ipynb) then opens up the training loop itself.
#
# **What you will learn**
#
# - how to save a subclassed model to a `.keras` file and load it in a **fresh Python process**,
#   with predictions that are bit-for-bit the same;
# - what is inside a `.keras` file (and so inside every checkpoint of notebook 06), and what
#   `get_config` and `keras.saving.register_keras_serializable` contribute to it;
# - the error you get when Keras cannot find your class, and three ways to fix it;
# - weights-only files (`.weights.h5`): why the model must be built before `load_weights`;
# - how to export a model for serving (`model.export`, a TensorFlow SavedModel) and call it;
# - why `safe_mode` refuses a `Lambda` layer, and why model files deserve the same caution as code.

# %% [markdown]
# ## Set-up
#
# As in every notebook: quiet TensorFlow start-up, seeds, versions and the profile.

# %%
import helpers

cfg = helpers.setup()

# %% [markdown]
# Exporting for serving is TensorFlow-specific (a SavedModel is a TensorFlow format), so we import
# `tensorflow` as well as `keras`. The reference `ResNet` comes from `helpers.models`, as in
# notebooks 05 and 06. Everything this notebook writes goes under `build/` (`notebooks/build/`,
# which git ignores).

# %%
import io
import json
import os
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import tensorflow as tf

from helpers.data import CLASS_NAMES, load_fashion_mnist
from helpers.models import ResNet

BUILD = Path("build")
BUILD.mkdir(exist_ok=True)

# %% [markdown]
# ## A trained model to save
#
# Saving is not about accuracy, so a short run on a few hundred images is enough: we need a model
# whose weights, BatchNormalization statistics and optimizer state are no longer the initial
# ones. We keep 64 test images aside (`x_check`) to compare predictions before and after every
# round trip.
#
# The `ModelCheckpoint` callback is the one notebook 06 used: with a `.keras` file name it saves
# the whole model after every epoch. We look inside its file below.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
n_train = cfg.pick(512, 10_000)
x_small = (x_train[:n_train].astype("float32") / 255.0)[..., np.newaxis]
y_small = y_train[:n_train]
x_check = (x_test[:64].astype("float32") / 255.0)[..., np.newaxis]
print("training images:", x_small.shape, "| images to check predictions on:", x_check.shape)

# %%
# NBVAL_IGNORE_OUTPUT
model = ResNet([2, 2, 2], num_classes=len(CLASS_NAMES))
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
checkpoint_path = BUILD / "07_checkpoint.keras"
epochs = cfg.pick(2, 3)
history = model.fit(x_small, y_small, batch_size=64, epochs=epochs, verbose=2,
                    callbacks=[keras.callbacks.ModelCheckpoint(checkpoint_path)])

# %%
steps = epochs * int(np.ceil(n_train / 64))
assert len(history.history["loss"]) == epochs
assert int(model.optimizer.iterations) == steps
assert np.isfinite(history.history["loss"]).all()
print("epochs:", epochs, "| optimizer steps:", int(model.optimizer.iterations))
print("checkpoint written:", checkpoint_path.name, checkpoint_path.is_file())

# %% [markdown]
# These are the predictions every copy of the model must reproduce. We fix `batch_size=32`
# everywhere: the same numbers in the same batches go through the same operations, so a
# faithful copy gives *exactly* the same floats, not just close ones.

# %%
predictions = model.predict(x_check, batch_size=32, verbose=0)
print("logits:", predictions.shape, predictions.dtype)

# %% [markdown]
# ## Save to `.keras` and load it in a fresh process
#
# `model.save(path)` with a `.keras` file name writes the whole model: how to re-create it, its
# weights and its optimizer state.

# %%
model_path = BUILD / "07_resnet.keras"
model.save(model_path)
np.save(BUILD / "07_images.npy", x_check)
print("saved:", model_path.name)

# %% [markdown]
# Loading it back in *this* notebook would prove little: the class `ResNet` is already imported
# here, and so is everything else. The real test is the situation of a serving program or of
# tomorrow's notebook: a **new Python process** that knows nothing about this one. The script
# below does what such a program does. It first tries to load the file before importing the
# module that defines `ResNet`, then imports it and tries again, predicts on the same images and
# saves the predictions for us to compare.

# %%
script = BUILD / "07_load_in_fresh_process.py"
script.write_text(textwrap.dedent('''\
    """Notebook 07: load the saved ResNet in a fresh Python process and predict."""
    import numpy as np

    import helpers

    helpers.setup(verbose=False)   # quiet TensorFlow, seeds, deterministic ops
    import keras

    # 1. Without the module that defines (and registers) the class:
    try:
        keras.models.load_model("build/07_resnet.keras")
    except TypeError as err:
        print("before `import helpers.models`:", str(err).split(". ")[0])

    # 2. With it: importing helpers.models registers ResNet and ResnetBlock.
    import helpers.models

    model = keras.models.load_model("build/07_resnet.keras")
    print(f"after  `import helpers.models`: a {type(model).__name__} with "
          f"{model.count_params():,} parameters")
    images = np.load("build/07_images.npy")
    predictions = model.predict(images, batch_size=32, verbose=0)
    np.save("build/07_predictions_fresh.npy", predictions)
    print("predictions saved:", predictions.shape)
'''))

result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
print(result.stdout, end="")
print("exit code:", result.returncode)
if result.returncode != 0:
    raise RuntimeError(result.stderr[-3000:])

# %% [markdown]
# The new process could not load the file until it had imported `helpers.models`, and then it
# could. Are its predictions really the same as ours?

# %%
fresh_predictions = np.load(BUILD / "07_predictions_fresh.npy")
assert np.array_equal(fresh_predictions, predictions)
print("bit-identical predictions in a fresh process:", np.array_equal(fresh_predictions, predictions))
print("same predicted classes:", (fresh_predictions.argmax(1) == predictions.argmax(1)).all())

# %% [markdown]
# ## What is inside a `.keras` file — and inside notebook 06's checkpoints
#
# A `.keras` file is a zip archive. `ModelCheckpoint` writes exactly the same kind of file as
# `model.save`, so the checkpoint of our training run shows what every checkpoint of notebook 06
# holds:

# %%
with zipfile.ZipFile(checkpoint_path) as archive:
    print("members:", sorted(archive.namelist()))
    metadata = json.loads(archive.read("metadata.json"))
    config = json.loads(archive.read("config.json"))
    weights_bytes = archive.read("model.weights.h5")
print("metadata.json keys:", sorted(metadata), "| keras_version:", metadata["keras_version"])

# %% [markdown]
# - `metadata.json`: the Keras version and the date it was saved;
# - `config.json`: how to **re-create** the model (no numbers learned in training);
# - `model.weights.h5`: the **numbers**, in HDF5.
#
# The config is plain JSON. Its most important lines say which class to build and with which
# arguments:

# %%
for key in ("module", "class_name", "registered_name"):
    print(f"{key:>16}: {config[key]}")
print(f"{'config':>16}: {config['config']}")
print(f"{'build_config':>16}: {config['build_config']}")
compile_config = config["compile_config"]
print(f"{'compile_config':>16}: optimizer {compile_config['optimizer']['class_name']}, "
      f"loss {compile_config['loss']['class_name']}, metrics {compile_config['metrics']}")

# %% [markdown]
# To load it, Keras looks up `registered_name`, `keras_models>ResNet`, in its registry of
# classes, calls `ResNet.from_config(config)` — by default simply `ResNet(**config)` — then
# `build`s the new model with the saved `build_config` (the shape of the first batch the model
# saw; `ResNet.build` ignores the batch size), compiles it with the `compile_config`,
# and finally copies the numbers in. `config` holds exactly what `ResNet.get_config()` returned
# when the model was saved.
#
# The weights file is organised by attribute name (`conv_initial`, `blocks`, `final_bn`, `fc`)
# and also holds the **optimizer's state**: Adam's step count and its two moving averages per
# trained variable.

# %%
with h5py.File(io.BytesIO(weights_bytes), "r") as h5:
    print("groups:", sorted(h5.keys()))
    print("fc:", [h5[f"fc/vars/{i}"].shape for i in sorted(h5["fc/vars"])])
    print("optimizer variables in the file:", len(h5["optimizer/vars"]),
          "| in model.optimizer:", len(model.optimizer.variables))

# %% [markdown]
# That is why training can **resume** from a `.keras` checkpoint: the model that comes back is
# compiled, and its optimizer carries on from the step where it stopped instead of starting
# again with fresh moving averages. (Notebook 06's `BackupAndRestore` resumed the same way, from
# a `.weights.h5` file of weights and optimizer state plus the epoch it had reached.)

# %%
restored = keras.models.load_model(checkpoint_path)
print("restored:", type(restored).__name__, "| compiled with", type(restored.optimizer).__name__,
      "and", type(restored.loss).__name__)
print("optimizer step:", int(restored.optimizer.iterations), "of", steps)
print("same predictions as the trained model:",
      np.array_equal(restored.predict(x_check, batch_size=32, verbose=0), predictions))

# %% [markdown]
# ## `get_config` and `register_keras_serializable`
#
# The config above needed two things from the class, both written in `helpers.models`:
#
# - **`get_config()`** returns the arguments that re-create the object. Keras starts from
#   `super().get_config()` (name, trainable, dtype) and the class adds its own constructor
#   arguments. [Notebook 03](03_subclassing.ipynb) showed why a subclassed *model* must write it
#   itself in Keras 3.15: without it, saving fails or records the wrong arguments.
# - **`@keras.saving.register_keras_serializable(package="keras_models")`** puts the class into
#   Keras's registry under the name `package>ClassName`. That name is what the file stores, and
#   what `load_model` looks up.

# %%
print(model.get_config())
print("registered name:", keras.saving.get_registered_name(ResNet))
print("the registry maps it back to the class:",
      keras.saving.get_registered_object("keras_models>ResNet") is ResNet)

# %% [markdown]
# The config describes an architecture, not a trained model: `from_config` builds a twin with the
# same layers and parameter count, but fresh random weights.

# %%
twin = ResNet.from_config(model.get_config())
twin.build((None, 28, 28, 1))
print("same parameter count:", twin.count_params() == model.count_params(), f"({twin.count_params():,})")
print("same predictions:", np.array_equal(twin.predict(x_check, batch_size=32, verbose=0), predictions))

# %% [markdown]
# ### Without registration: "Could not locate class"
#
# Here is a small subclassed model with a proper `get_config` but **no** registration — how most
# first attempts look.

# %%
class TinyNet(keras.Model):
    """Flatten -> Dense(units, relu) -> Dense(10) logits."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.classifier = keras.layers.Dense(10)

    def call(self, inputs):
        return self.classifier(self.hidden(self.flatten(inputs)))

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


tiny = TinyNet(units=16)
tiny_predictions = tiny.predict(x_check, batch_size=32, verbose=0)
tiny_path = BUILD / "07_tiny.keras"
tiny.save(tiny_path)
print("saved; registered name in the file:", keras.saving.get_registered_name(TinyNet))

# %% [markdown]
# Saving works. Loading fails — even here, in the very notebook where `TinyNet` is defined:

# %%
# NBVAL_RAISES_EXCEPTION
keras.models.load_model(tiny_path)

# %% [markdown]
# Keras does not search your notebook or script for a class with that name, and it will not
# import arbitrary modules named in a file (that would let a file run code). It only looks in its
# registry and in the `custom_objects` you pass. The fresh process above hit the same wall with
# `ResNet` until it imported `helpers.models`: the decorator registers a class only when its
# module is imported. There are three fixes:
#
# 1. pass the class for one call: `load_model(path, custom_objects={"TinyNet": TinyNet})`;
# 2. or for a block of code: `with keras.saving.custom_object_scope({"TinyNet": TinyNet}): ...`;
# 3. or, best, **register** it, so the name is unambiguous and every load finds it.

# %%
loaded = keras.models.load_model(tiny_path, custom_objects={"TinyNet": TinyNet})
print("with custom_objects:", type(loaded).__name__, "| units:", loaded.units,
      "| same predictions:", np.array_equal(loaded.predict(x_check, batch_size=32, verbose=0),
                                            tiny_predictions))

# %% [markdown]
# `register_keras_serializable` is usually written as a decorator above `class`. It is an
# ordinary function, though, so we can also apply it to the class we already have. The file must
# then be saved again, because the old one stores the old name.

# %%
keras.saving.register_keras_serializable(package="keras_models_07")(TinyNet)
print("registered name now:", keras.saving.get_registered_name(TinyNet))

tiny.save(tiny_path)
loaded = keras.models.load_model(tiny_path)
print("loaded without custom_objects:", type(loaded).__name__, "| units:", loaded.units)
print("same predictions:", np.array_equal(loaded.predict(x_check, batch_size=32, verbose=0),
                                          tiny_predictions))

# %% [markdown]
# The package prefix keeps names apart: two libraries may both have a `TinyNet`, but not both a
# `keras_models_07>TinyNet`. Registering another class under a name that is already taken
# silently replaces the first one, so pick a package name that is yours.
#
# ## Weights only: `.weights.h5`
#
# Sometimes you want only the numbers: the code that builds the model lives in your repository,
# and the file should hold nothing else. `save_weights` writes just the HDF5 part of a `.keras`
# file (the name must end in `.weights.h5`).

# %%
weights_path = BUILD / "07_resnet.weights.h5"
model.save_weights(weights_path)
with h5py.File(weights_path, "r") as h5:
    print(weights_path.name, "groups:", sorted(h5.keys()))

# %% [markdown]
# There is no config in that file, so *you* re-create the architecture in code, then load the
# numbers into it. Try it the obvious way:

# %%
# NBVAL_RAISES_EXCEPTION
new_model = ResNet([2, 2, 2], num_classes=len(CLASS_NAMES))
new_model.load_weights(weights_path)

# %% [markdown]
# **Why?** A subclassed model creates its layers in `__init__`, but a layer creates its
# *variables* only in `build`, when it knows the shape of its input: a `Conv2D`'s kernel
# depends on the number of input channels, which `ResNet([2, 2, 2], 10)` does not know yet.
# Until then there are no variables to put the numbers into. (A `.keras` file does not have this
# problem because it stores `build_config` and `load_model` calls `build` for you.)
#
# So build it first — with `model.build(shape)` (the reference `ResNet` has a real `build`, see
# notebook 05) or by calling it on a batch — then load:

# %%
new_model = ResNet([2, 2, 2], num_classes=len(CLASS_NAMES))
new_model.build((None, 28, 28, 1))
new_model.load_weights(weights_path)
same = np.array_equal(new_model.predict(x_check, batch_size=32, verbose=0), predictions)
assert same
print("built, then loaded: identical predictions:", same)

# %% [markdown]
# The weights are matched to variables by **attribute path** (`blocks/layers/resnet_block_1/...`),
# so the code must create the same layers under the same attribute names. Change the
# architecture (say `ResNet([1, 1, 1], 10)`) and loading fails with a mismatch error; rename an
# attribute and the numbers no longer find their variables. Weights-only files are small and
# contain no class names at all, but they are only as good as the code you pair them with.
#
# ## Exporting for serving: `model.export`
#
# A `.keras` file needs Keras **and** your Python class to be loaded. A serving system (TensorFlow
# Serving, a TFLite converter, a program in another language) has neither. `model.export(path)`
# writes a **TensorFlow SavedModel**: the model's forward pass, traced into a TensorFlow graph,
# plus its variables. The graph is the computation itself, so no Python class is needed to run it.
#
# (`export` prints a description of the exported function by default, including memory
# addresses; `verbose=False` keeps it quiet. The model must have been called at least once, so
# that Keras knows its input shape: a freshly loaded model that was never called is refused.)

# %%
export_dir = BUILD / "07_resnet_export"
model.export(export_dir, verbose=False)
print("SavedModel folder:", sorted(os.listdir(export_dir)))

# %% [markdown]
# Load it with plain TensorFlow and call its `serve` endpoint. It runs in inference mode
# (`training=False`: BatchNormalization uses its moving statistics), so it must give the same
# logits as `predict`. A traced graph may run its operations in another order or batch size,
# so we compare with `np.allclose` rather than expecting identical bits.

# %%
serving = tf.saved_model.load(str(export_dir))
served = serving.serve(tf.constant(x_check)).numpy()
assert np.allclose(served, predictions, atol=1e-5)
print("served logits:", served.shape, "| close to model.predict:", np.allclose(served, predictions, atol=1e-5))
signature = serving.signatures["serving_default"]
print("input: ", signature.structured_input_signature[1])
print("output:", signature.structured_outputs)

# %% [markdown]
# Inside a Keras program, `keras.layers.TFSMLayer` wraps an exported SavedModel as a layer, for
# inference, so you can put it in a new model:

# %%
served_layer = keras.layers.TFSMLayer(str(export_dir), call_endpoint="serve")
inference_model = keras.Sequential([keras.Input(shape=(28, 28, 1)), served_layer])
wrapped = inference_model.predict(x_check, batch_size=32, verbose=0)
assert np.allclose(wrapped, predictions, atol=1e-5)
print("TFSMLayer logits close to model.predict:", np.allclose(wrapped, predictions, atol=1e-5))
print("same predicted classes:", (wrapped.argmax(axis=1) == predictions.argmax(axis=1)).all())

# %% [markdown]
# Which to use when:
#
# | file | holds | load with | needs your class | for |
# |---|---|---|---|---|
# | `.keras` | config + weights + optimizer state | `keras.models.load_model` | yes (registered) | going on with the model in Keras, checkpoints |
# | `.weights.h5` | weights (+ optimizer state) | `model.load_weights` on a built model | yes, and the code that builds it | sharing numbers between versions of your own code |
# | SavedModel (`export`) | traced graph + variables | `tf.saved_model.load`, TF Serving, `TFSMLayer` | no | serving, other languages, converters |
#
# ## Safety: a model file can carry code
#
# Everything in a `.keras` file so far is data: class *names*, arguments, numbers. Loading it
# runs only code that is already installed — Keras itself and the classes you registered. One
# layer breaks that rule: `keras.layers.Lambda` wraps an arbitrary Python function, and for a
# lambda the only way to save it is to save its **compiled Python bytecode**.

# %%
inputs = keras.Input(shape=(4,))
outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
lambda_model = keras.Model(inputs, outputs, name="doubler")
lambda_path = BUILD / "07_lambda.keras"
lambda_model.save(lambda_path)

with zipfile.ZipFile(lambda_path) as archive:
    lambda_config = json.loads(archive.read("config.json"))
function = lambda_config["config"]["layers"][1]["config"]["function"]
print("the Lambda's function is stored as:", function["class_name"], "with keys", sorted(function["config"]))

# %% [markdown]
# `code` is base64-encoded Python bytecode. To load the model Keras would have to turn those
# bytes back into a function and run it — and bytecode can do anything Python can: read your
# files, send them somewhere, install something. So by default (`safe_mode=True`) Keras
# refuses:

# %%
# NBVAL_RAISES_EXCEPTION
keras.models.load_model(lambda_path)

# %% [markdown]
# For a file **you** made (you know what the lambda does), `safe_mode=False` loads it. Bytecode
# is also tied to the Python version that wrote it, one more reason to avoid `Lambda` in models
# you keep: write a small registered layer instead, which stores only its name and arguments.

# %%
unsafe_but_mine = keras.models.load_model(lambda_path, safe_mode=False)
print("doubled:", keras.ops.convert_to_numpy(unsafe_but_mine(np.ones((1, 4), "float32"))))

# %% [markdown]
# `safe_mode` is a guard, not a sandbox. Ways around it have been found and fixed more than
# once (for example CVE-2025-1550, a crafted `config.json` that imported arbitrary functions,
# fixed in Keras 3.9). A SavedModel is a TensorFlow graph that Keras's safe mode never sees, and
# TensorFlow's security policy states plainly that a model is a program. So:
#
# - load model files only from sources you trust, as you would only run their code;
# - keep Keras up to date;
# - never pass `safe_mode=False` (or call `keras.config.enable_unsafe_deserialization()`) for a
#   file you did not make;
# - prefer formats that carry only numbers when you share across trust boundaries (weights-only
#   files, with the architecture in reviewed code).
#
# ## Recap
#
# - `model.save("x.keras")` writes a zip with `config.json` (class name and constructor
#   arguments), `model.weights.h5` (weights and optimizer state) and `metadata.json`;
#   `ModelCheckpoint` writes the same file, which is why training can resume from it.
# - A subclassed model loads only if Keras can find its class: give it `get_config`, register it
#   with `@keras.saving.register_keras_serializable(package=...)`, and import its module before
#   `load_model` — otherwise: *Could not locate class*. `custom_objects` is the one-off fix.
# - Loaded in a fresh process, the reference `ResNet` gave bit-identical predictions.
# - Weights-only files hold no architecture: re-create the model, **build** it, then
#   `load_weights`.
# - `model.export()` writes a SavedModel that runs without your Python code:
#   `tf.saved_model.load(path).serve(x)` or `keras.layers.TFSMLayer`.
# - `Lambda` layers store bytecode; `safe_mode=True` refuses them. Treat model files from
#   others as untrusted code.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below it:
# the checker runs your code on small models in a temporary folder, loads what you wrote the way
# a fresh program would, and tells you what is right or what is missing (✅ or ❌ with a hint).
# Worked answers: [solutions/07_saving_solutions.ipynb](solutions/07_saving_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): save and reload your block
#
# Write `save_and_reload(model, path)`: save `model` to the `.keras` file `path`, load it back
# and return the loaded model. The checker tries it on
# `helpers.models.ResnetBlock(32, strides=2, residual_path=True)` and compares the outputs. Try
# it yourself on such a block under `build/` (call it on a batch first, so that it has weights):
# what `registered_name` does its `config.json` hold?

# %%
# EXERCISE 1
def save_and_reload(model, path):
    """Save `model` to the .keras file `path`, load it back and return the loaded model."""
    return None   # your code here


# %%
checks.save_and_reload(save_and_reload)

# %% [markdown]
# ### Exercise 2 (practice): a dropout argument that survives saving
#
# Write `DropoutTinyNet(units=32, dropout=0.0)`: `TinyNet` with a `keras.layers.Dropout(dropout)`
# after `hidden`, and `call(inputs, training=None)` passing `training` on to it. Register the
# class and give it a `get_config` with **both** arguments. Before you add `dropout` to
# `get_config`, save and load `DropoutTinyNet(units=16, dropout=0.5)`: what rate does the loaded
# model have, and why does nothing warn you?

# %%
# EXERCISE 2
class DropoutTinyNet(keras.Model):
    """TinyNet with Dropout(dropout) after `hidden`; registered, with a complete get_config."""

    def __init__(self, units=32, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        # your layers here: flatten, hidden, dropout, classifier

    def call(self, inputs, training=None):
        return None           # your forward pass here

    # ...and a get_config; then register the class


# %%
checks.registered_dropout_net(DropoutTinyNet)

# %% [markdown]
# ### Exercise 3 (practice): resume from a checkpoint
#
# Write `resume(checkpoint_path, x, y)`: load the checkpoint, train it for one more epoch on
# `x, y` with `batch_size=32` and return the model. Its optimizer must go on counting from the
# checkpoint's step instead of starting again at 0. (Try it on `build/07_checkpoint.keras`
# and `x_small, y_small`. Then try a freshly built, compiled `ResNet` and `load_weights` on the
# weights file instead: is the optimizer state restored? Read the warning.)

# %%
# EXERCISE 3
def resume(checkpoint_path, x, y):
    """Load the checkpoint, train one more epoch with batch_size=32, return the model."""
    return None   # your code here


# %%
checks.resume_from_checkpoint(resume)

# %% [markdown]
# ### Exercise 4 (stretch): a serving endpoint for classes
#
# A client of your server wants probabilities and the predicted class, not logits. Write
# `export_classifier(model, export_dir)` with `keras.export.ExportArchive`: `track` the model,
# add an endpoint called `classify` (a `tf.function` with an input signature of shape
# `(None, 28, 28, 1)`, `float32`) that returns a dict with `"probabilities"` (softmax of the
# logits) and `"class_ids"` (their argmax), and `write_out(export_dir)`. Then load it with
# `tf.saved_model.load` and look up `CLASS_NAMES` for the ids of `x_check[:8]`.

# %%
# EXERCISE 4
def export_classifier(model, export_dir):
    """Export `model` (logits) with a `classify` endpoint: probabilities and class ids."""
    pass   # your code here: ExportArchive, track, add_endpoint, write_out


# %%
checks.export_classifier(export_classifier)

# %% [markdown]
# **Next:** [08 · Custom training](08_custom_training.ipynb) — overriding `train_step`, a
# `GradientTape` loop of your own, and the `training=True` trap.
