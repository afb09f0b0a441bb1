# %% [markdown]
# # 07 · Saving, loading and serving subclassed models
#
# [Notebook 06](06_training.ipynb) trained the article's `ResNet` and kept checkpoints. This
# notebook gets such a model back — tomorrow, in another program, on a server — and answers the
# questions that a model written as a Python class raises there.
# [Notebook 08](08_custom_training.ipynb) then opens up the training loop itself.
#
# **What you will learn**
#
# - how to save a subclassed model to a `.keras` file and load it in a **fresh Python process**,
#   with bit-identical predictions;
# - what is inside a `.keras` file (and so inside notebook 06's checkpoints), why a subclassed
#   model must write its own `get_config`, and what `register_keras_serializable` adds;
# - the error you get when Keras cannot find your class, and three ways to fix it;
# - weights-only files (`.weights.h5`): why the model, and its optimizer, must be built before
#   `load_weights`;
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
# We import `tensorflow` as well as `keras` because the export section writes and reads a
# TensorFlow SavedModel. The reference `ResNet` comes from `helpers.models`, as in notebook 06.
# Everything this notebook writes goes under `build/` (`notebooks/build/`, which git ignores).

# %%
import io
import json
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
# Saving is not about accuracy: a short run on a few hundred images gives a model whose weights,
# BatchNormalization statistics and optimizer state are no longer the initial ones. 64 test
# images (`x_check`) let us compare predictions after every round trip. `ModelCheckpoint`
# (notebook 06), given a `.keras` file name and no `save_best_only`, saves the whole model at
# the end of every epoch.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
n_train = cfg.pick(class_=512, full=10_000)
x_small = (x_train[:n_train].astype("float32") / 255.0)[..., np.newaxis]
y_small = y_train[:n_train]
x_check = (x_test[:64].astype("float32") / 255.0)[..., np.newaxis]
print("training images:", x_small.shape, "| images to check predictions on:", x_check.shape)

# %% tags=["nbval-ignore-output"]
model = ResNet([2, 2, 2], num_classes=len(CLASS_NAMES))
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
checkpoint_path = BUILD / "07_checkpoint.keras"
epochs = cfg.pick(class_=2, full=3)
history = model.fit(x_small, y_small, batch_size=64, epochs=epochs, verbose=2,
                    callbacks=[keras.callbacks.ModelCheckpoint(checkpoint_path)])

# %%
steps = epochs * int(np.ceil(n_train / 64))
assert len(history.history["loss"]) == epochs and np.isfinite(history.history["loss"]).all()
assert int(model.optimizer.iterations) == steps and checkpoint_path.is_file()
print(f"optimizer steps: {int(model.optimizer.iterations)} = {epochs} epochs × "
      f"{steps // epochs} batches of 64 | checkpoint: {checkpoint_path.name}, "
      f"{checkpoint_path.stat().st_size / 1e6:.1f} MB")

# %% [markdown]
# These are the predictions every copy of the model must reproduce. We fix `batch_size=32`
# everywhere: the same numbers in the same batches go through the same operations, so a
# faithful copy gives *exactly* the same floats.

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
# Loading it back here would prove little: `ResNet` is already imported. The real test is a
# **new Python process** that knows nothing about this one, like a serving program. The script
# below tries to load the file before and after importing the module that defines `ResNet`,
# then predicts on the same images and saves the predictions for us to compare.

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
# The new process could load the file only after importing `helpers.models`. Are its
# predictions the same as ours?

# %%
fresh_predictions = np.load(BUILD / "07_predictions_fresh.npy")
assert np.array_equal(fresh_predictions, predictions)
print(f"bit-identical logits in the fresh process: {np.sum(fresh_predictions == predictions)} "
      f"of {predictions.size}")

# %% [markdown]
# ## What is inside a `.keras` file — and inside notebook 06's checkpoints
#
# A `.keras` file is a zip archive. `ModelCheckpoint` writes it by calling `model.save`, so the
# checkpoint of our training run shows what every `.keras` checkpoint of notebook 06 holds:

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
# - `model.weights.h5`: the **numbers**, in HDF5 (a standard file format for arrays, which the
#   `h5py` package reads).
#
# The config is plain JSON; its key lines say which class to build, with which arguments:

# %%
for key in ("module", "class_name", "registered_name"):
    print(f"{key:>16}: {config[key]}")
print(f"{'config':>16}: {config['config']}")
print(f"{'build_config':>16}: {config['build_config']}")
compile_config = config["compile_config"]
print(f"{'compile_config':>16}: optimizer {compile_config['optimizer']['class_name']}, "
      f"loss {compile_config['loss']['class_name']}, metrics {compile_config['metrics']}")

# %% [markdown]
# To load it, Keras looks up `registered_name` (`keras_models>ResNet`) in its registry of
# classes, calls `ResNet.from_config(config)` — by default `ResNet(**config)` — builds the new
# model from `build_config` (the shape of the first batch it saw; `ResNet`'s own `build` ignores
# the batch size), compiles it with `compile_config`, and copies the numbers in. `config` is
# exactly what `ResNet.get_config()` returned.
#
# The weights file is organised by attribute name (`conv_initial`, `blocks`, `final_bn`, `fc`)
# and also holds the **optimizer's state**: Adam's step count, its learning rate, and two moving
# averages per trainable variable.

# %%
with h5py.File(io.BytesIO(weights_bytes), "r") as h5:
    print("groups:", sorted(h5.keys()))
    print("fc:", [h5[f"fc/vars/{i}"].shape for i in sorted(h5["fc/vars"])])
    n_saved = len(h5["optimizer/vars"])
n_trainable = len(model.trainable_variables)
assert n_saved == len(model.optimizer.variables) == 2 + 2 * n_trainable
print(f"optimizer variables in the file: {n_saved} = 2 (step, learning rate) "
      f"+ 2 × {n_trainable} trainable variables")

# %% [markdown]
# That is why training can **resume** from a `.keras` checkpoint: the model that comes back is
# compiled, and its optimizer carries on from the step where it stopped instead of starting
# again with fresh moving averages.

# %%
restored = keras.models.load_model(checkpoint_path)
restored_predictions = restored.predict(x_check, batch_size=32, verbose=0)
assert np.array_equal(restored_predictions, predictions)
print("restored:", type(restored).__name__, "| compiled with", type(restored.optimizer).__name__,
      "and", type(restored.loss).__name__)
print("optimizer step:", int(restored.optimizer.iterations), "of", steps,
      f"| logits equal to the trained model's: {np.sum(restored_predictions == predictions)} "
      f"of {predictions.size}")

# %% [markdown]
# ## `get_config` and `register_keras_serializable`
#
# The config needed two things from the class, both written in `helpers.models`:
#
# - **`get_config()`** returns the arguments that re-create the object. Keras starts from
#   `super().get_config()` (name, trainable, dtype) and the class adds its own constructor
#   arguments.
# - **`@keras.saving.register_keras_serializable(package="keras_models")`** puts the class into
#   Keras's registry under the name `package>ClassName`. That name is what the file stores, and
#   what `load_model` looks up.
#
# The config describes an architecture, not a trained model: `from_config` builds a twin with the
# same layers and parameter count, but fresh random weights.

# %%
found = keras.saving.get_registered_object(keras.saving.get_registered_name(ResNet))
print("registered name:", keras.saving.get_registered_name(ResNet),
      f"→ the registry gives back {found.__module__}.{found.__name__}")
twin = ResNet.from_config(model.get_config())
twin.build((None, 28, 28, 1))
twin_predictions = twin.predict(x_check, batch_size=32, verbose=0)
print(f"parameters: twin {twin.count_params():,} | trained model {model.count_params():,}; "
      f"equal logits: {np.sum(twin_predictions == predictions)} of {predictions.size}")

# %% [markdown]
# ### A subclassed model needs its own `get_config`
#
# Why does `ResNet` write `get_config` by hand? Here is a small subclassed model with one plain
# int argument, `units`, and no `get_config`:

# %%
class SizedMLP(keras.Model):
    """Flatten -> Dense(units, relu) -> Dense(10) logits, with no get_config."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.classifier = keras.layers.Dense(10)

    def call(self, inputs):
        return self.classifier(self.hidden(self.flatten(inputs)))


sized = SizedMLP(64)
sized(x_check[:1])   # a first call builds the weights
print(f"SizedMLP(64): {sized.count_params():,} parameters")

# %% tags=["raises-exception"]
sized.save(BUILD / "07_sized.keras")

# %% [markdown]
# The message blames "non-serializable argument values", yet `64` is an int. A subclassed
# *layer* would not have this problem: `Layer.__new__` receives the constructor's arguments and,
# if all are of simple types (str, int, float, bool, None), records them as an automatic config.
# `keras.Model.__new__` does not pass them on (Keras 3.15), so a subclassed model's record is made from no arguments:
# the required `units` cannot be filled in, and `get_config` raises. With a default value it is
# worse: the record holds the **default**, not the value you passed:

# %%
class DefaultSizedMLP(SizedMLP):
    def __init__(self, units=128, **kwargs):
        super().__init__(units, **kwargs)


narrow = DefaultSizedMLP(units=64)
narrow(x_check[:1])
rebuilt = DefaultSizedMLP.from_config(narrow.get_config())
rebuilt(x_check[:1])
print("units passed: 64 | units in the config:", narrow.get_config()["units"])
print(f"parameters: original {narrow.count_params():,} | re-created {rebuilt.count_params():,}")

# %% [markdown]
# No error, no warning: the re-created hidden layer is twice as wide. The fix is `ResNet`'s: write
# `get_config` yourself, adding every constructor argument to `super().get_config()`. `TinyNet`
# is `SizedMLP` with that fix but, like most first attempts, not registered:

# %%
class TinyNet(SizedMLP):
    """SizedMLP with a get_config that records `units`."""

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
# ### Without registration: "Could not locate class"
#
# Saving works. Loading fails, even in the notebook that defines `TinyNet`:

# %% tags=["raises-exception"]
keras.models.load_model(tiny_path)

# %% [markdown]
# Keras does not search your notebook for a class of that name, and it imports no module that a
# file names except its own (`keras`, `keras_hub`, …): that would let a file run code. It looks
# only in its registry and in the `custom_objects` you pass. The fresh process hit the same wall
# with `ResNet` until it imported `helpers.models`, whose decorators register the classes.
# Three fixes:
#
# 1. pass the class for one call: `load_model(path, custom_objects={"TinyNet": TinyNet})`;
# 2. or for a block of code: `with keras.saving.custom_object_scope({"TinyNet": TinyNet}): ...`;
# 3. or, best, **register** it, so the name is unambiguous and every load finds it.

# %%
loaded = keras.models.load_model(tiny_path, custom_objects={"TinyNet": TinyNet})
print("with custom_objects:", type(loaded).__name__, "| units:", loaded.units)

# %% [markdown]
# `register_keras_serializable` is usually a decorator above `class`, but as an ordinary
# function it also applies to the class we have. The file must then be saved again: the old one
# stores the old name.

# %%
keras.saving.register_keras_serializable(package="keras_models_07")(TinyNet)
print("registered name now:", keras.saving.get_registered_name(TinyNet))

tiny.save(tiny_path)
loaded = keras.models.load_model(tiny_path)
loaded_predictions = loaded.predict(x_check, batch_size=32, verbose=0)
assert np.array_equal(loaded_predictions, tiny_predictions)
print("loaded without custom_objects:", type(loaded).__name__, "| units:", loaded.units,
      f"| {loaded.count_params():,} parameters")
print(f"identical logits: {np.sum(loaded_predictions == tiny_predictions)} of {tiny_predictions.size}")

# %% [markdown]
# `TinyNet` has no `build` method, yet the loaded copy has all its weights: for a model without
# a `build` of its own, loading (`Model.build_from_config`) runs `call` on a symbolic input
# (notebook 02) of the saved `build_config` shape, which builds every layer.
#
# The package prefix keeps names apart (two libraries may both have a `TinyNet`). Registering a
# class under a name already taken silently replaces the first one: pick a package name that is
# yours.
#
# ## Weights only: `.weights.h5`
#
# Sometimes you want only the numbers, with the code that builds the model in your repository.
# `save_weights` writes just the HDF5 part of a `.keras` file (the name must end in
# `.weights.h5`).

# %%
weights_path = BUILD / "07_resnet.weights.h5"
model.save_weights(weights_path)
with h5py.File(weights_path, "r") as h5:
    print(weights_path.name, "groups:", sorted(h5.keys()))
    saved_block_keys = sorted(h5["blocks/layers"])
print("keys of the blocks:", saved_block_keys)

# %% [markdown]
# There is no config in that file, so *you* re-create the architecture in code, then load the
# numbers into it. Try it the obvious way:

# %% tags=["raises-exception"]
new_model = ResNet([2, 2, 2], num_classes=len(CLASS_NAMES))
new_model.load_weights(weights_path)

# %% [markdown]
# **Why?** A layer creates its *variables* only in `build`, once it knows its input's shape
# ([notebook 03](03_subclassing.ipynb)): a `Conv2D`'s kernel depends on the number of input
# channels, which `ResNet([2, 2, 2], 10)` does not know yet. Until then there is nothing to put
# the numbers into. (`load_model` avoids this by building from `build_config`.)
#
# So build it first — with `model.build(shape)` (the reference `ResNet` has a real `build`, see
# notebook 05) or by calling it on a batch — then load:

# %%
new_model = ResNet([2, 2, 2], num_classes=len(CLASS_NAMES))
new_model.build((None, 28, 28, 1))
new_model.load_weights(weights_path)
new_predictions = new_model.predict(x_check, batch_size=32, verbose=0)
assert np.array_equal(new_predictions, predictions)
print(f"built, then loaded: identical logits {np.sum(new_predictions == predictions)} "
      f"of {predictions.size}")
print("names of new_model's blocks:", [block.name for block in new_model.blocks.layers])

# %% [markdown]
# The numbers are matched to variables by **path**, not by layer name: an attribute is stored
# under its attribute name (`fc`; `conv1` inside a block), a layer in a list (the layers of the
# `Sequential` in `blocks`) under its class name in snake case, numbered by position (`resnet_block`,
# `resnet_block_1`, …). `new_model`'s blocks have other names, yet found their numbers. So the
# file carries class names as keys, and the code must create the same classes under the same
# attributes in the same order: change the architecture (say `ResNet([1, 1, 1], 10)`) or rename
# an attribute, and `load_weights` fails because some variables find no numbers.
#
# **The optimizer's state.** `new_model` was never compiled, so the file's optimizer part was
# not read. Compile it and load again:

# %%
new_model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    new_model.load_weights(weights_path)
print("warning: Skipping variable loading for optimizer …,",
      str(caught[-1].message).split("', ")[1].strip())
print("optimizer step after load_weights:", int(new_model.optimizer.iterations), "of", steps)

# %% [markdown]
# Adam creates its moving averages only when it is **built**, which `fit` does before its first
# step; until then it holds 2 variables (step and learning rate), not the 96 of the file, and
# Keras skips its state with a warning. Build it first, and the state comes back — this is what notebook 06's
# `BackupAndRestore` does before it calls `load_weights`:

# %%
new_model.optimizer.build(new_model.trainable_variables)
new_model.load_weights(weights_path)
assert int(new_model.optimizer.iterations) == steps
print("after optimizer.build:", len(new_model.optimizer.variables), "variables | step",
      int(new_model.optimizer.iterations), "of", steps)

# %% [markdown]
# ## Exporting for serving: `model.export`
#
# A `.keras` file needs Keras **and** your Python class. A serving system (TensorFlow Serving, a
# program in another language) has neither. `model.export(path)` writes a **TensorFlow
# SavedModel**: the forward pass *traced* into a graph (TensorFlow runs `call` once on
# placeholder inputs of the given shape and records each operation). No Python class is
# needed to run it.
#
# SavedModel is the default format. Keras 3 also writes it from the JAX backend (through
# `jax2tf`), and `format=` picks other targets: `"onnx"`, `"openvino"`, `"litert"` (TensorFlow
# Lite), and `"torch"` on the PyTorch backend. ONNX and OpenVINO need extra packages.
#
# (`verbose=False` stops `export` printing a description of the function, memory addresses
# included. The model must have been called once, so that Keras knows its input shape: a freshly
# loaded model that was never called is refused.)

# %%
export_dir = BUILD / "07_resnet_export"
model.export(export_dir, verbose=False)
print("SavedModel folder:", sorted(p.name for p in export_dir.iterdir()))

# %% [markdown]
# Load it with plain TensorFlow and call its `serve` endpoint. It runs in inference mode
# (BatchNormalization uses its moving statistics), so it must give the logits of `predict`. A
# traced graph may order its operations or batches differently, so we allow 1e-5, not
# identical bits. `serving_default`, printed last, is `serve` under the name TensorFlow
# Serving calls by default.

# %%
serving = tf.saved_model.load(str(export_dir))
served = serving.serve(tf.constant(x_check)).numpy()
assert np.allclose(served, predictions, atol=1e-5)
print(f"served logits {served.shape}: {np.sum(np.isclose(served, predictions, atol=1e-5))} of "
      f"{predictions.size} within 1e-5 of model.predict")
signature = serving.signatures["serving_default"]
print("input: ", signature.structured_input_signature[1])
print("output:", signature.structured_outputs)

# %% [markdown]
# Inside a Keras program, `keras.layers.TFSMLayer` wraps an exported SavedModel as a layer
# (calling its `serve` endpoint, so in inference mode), which you can put in a new model:

# %%
served_layer = keras.layers.TFSMLayer(str(export_dir), call_endpoint="serve")
inference_model = keras.Sequential([keras.Input(shape=(28, 28, 1)), served_layer])
wrapped = inference_model.predict(x_check, batch_size=32, verbose=0)
assert np.allclose(wrapped, predictions, atol=1e-5)
print(f"TFSMLayer logits within 1e-5 of model.predict: "
      f"{np.sum(np.isclose(wrapped, predictions, atol=1e-5))} of {predictions.size}")

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

# %% tags=["raises-exception"]
keras.models.load_model(lambda_path)

# %% [markdown]
# For a file **you** made, `safe_mode=False` loads it. Bytecode is also tied to the Python
# version that wrote it: in models you keep, prefer a small registered layer, which stores only
# its name and arguments.

# %%
unsafe_but_mine = keras.models.load_model(lambda_path, safe_mode=False)
print("doubled:", keras.ops.convert_to_numpy(unsafe_but_mine(np.ones((1, 4), "float32"))))

# %% [markdown]
# `safe_mode` is a guard, not a sandbox. Ways around it have been found and fixed more than
# once (for example CVE-2025-1550, a crafted `config.json` that imported arbitrary functions,
# fixed in Keras 3.9). A SavedModel is a TensorFlow graph that Keras's safe mode never sees, and
# TensorFlow's security policy states plainly that a model is a program. So:
#
# - load model files only from sources you trust, as you would their code;
# - keep Keras up to date;
# - never pass `safe_mode=False` (or call `keras.config.enable_unsafe_deserialization()`) for a
#   file you did not make;
# - prefer formats that carry only numbers when you share across trust boundaries (weights-only
#   files, with the architecture in reviewed code).
#
# ## Recap
#
# - `model.save("x.keras")` writes a zip: `config.json` (class and constructor arguments),
#   `model.weights.h5` (weights, optimizer state), `metadata.json`. `ModelCheckpoint` writes
#   the same file, so training can resume from it.
# - A subclassed model needs its own `get_config` (Keras 3.15 records none of its constructor
#   arguments: saving fails, or the config silently holds the defaults) and registration, with
#   its module imported before `load_model`; otherwise *Could not locate class*.
# - Loaded in a fresh process, the reference `ResNet` gave bit-identical predictions.
# - Weights-only files hold numbers under paths of attribute and class names: re-create the
#   model, **build** it (and its optimizer, for the optimizer's state), then `load_weights`.
# - `model.export()` writes a SavedModel that runs without your Python code:
#   `tf.saved_model.load(path).serve(x)` or `keras.layers.TFSMLayer`.
# - `Lambda` layers store bytecode; `safe_mode=True` refuses them. Treat model files from
#   others as untrusted code.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below it:
# it runs your code on small models in a temporary folder, loads what you wrote the way a fresh
# program would, and says ✅, or ❌ with a hint.
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
# and `x_small, y_small`: what step does the optimizer reach?)

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
# Clients want probabilities and class ids, not logits. Write
# `export_classifier(model, export_dir)` with `keras.export.ExportArchive`: `track` the model,
# add an endpoint called `classify` (a function decorated with
# `@tf.function(input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)])`, traced
# into a graph as `export` did; notebook 08 explains tracing) that returns a dict with
# `"probabilities"` (softmax of the logits) and `"class_ids"` (their argmax), and
# `write_out(export_dir)`. Then load it with
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
