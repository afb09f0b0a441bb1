# %% [markdown]
# # 07 · Saving, loading and serving — solutions
#
# Worked answers to the exercises of [07 · Saving, loading and serving](../07_saving.ipynb), each
# followed by the checker the notebook uses. Try the exercises first!

# %%
import helpers

cfg = helpers.setup()

# %%
import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from helpers import checks
from helpers.data import CLASS_NAMES
from helpers.models import ResnetBlock

BUILD = Path("../build")   # this notebook runs in notebooks/solutions/
BUILD.mkdir(exist_ok=True)
x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)   # eight fake images

# %% [markdown]
# ## Exercise 1: save and reload your block
#
# `model.save` writes the `.keras` archive; `keras.models.load_model` reads it and returns a new
# object. Nothing else is needed, because `ResnetBlock` is registered in `helpers.models`, which
# is imported.

# %% tags=["solution"]
def save_and_reload(model, path):
    """Save `model` to the .keras file `path`, load it back and return the loaded model."""
    model.save(path)
    return keras.models.load_model(path)


# %%
checks.save_and_reload(save_and_reload)

# %% [markdown]
# On a block of our own: call it once first, so that it has weights to save (saving an unbuilt
# model only warns, and the reloaded copy would start from fresh random weights). Its
# `config.json` names the class by its registered name, and the arguments come from
# `ResnetBlock.get_config`.

# %%
block = ResnetBlock(32, strides=2, residual_path=True)
features = np.ones((2, 28, 28, 16), dtype="float32")
before = keras.ops.convert_to_numpy(block(features))   # the first call builds the weights
block_path = BUILD / "07_solutions_block.keras"
reloaded = save_and_reload(block, block_path)
after = keras.ops.convert_to_numpy(reloaded(features))
with zipfile.ZipFile(block_path) as archive:
    block_config = json.loads(archive.read("config.json"))
print("registered_name:", block_config["registered_name"])
print("arguments:", {k: block_config["config"][k] for k in ("channels", "strides", "residual_path")})
print(f"identical outputs: {np.sum(after == before):,} of {before.size:,} values")

# %% [markdown]
# ## Exercise 2: a dropout argument that survives saving
#
# Three things make the class round-trip: the decorator (so `load_model` finds the class by
# name), `get_config` with every constructor argument (so `from_config` rebuilds the *same*
# model), and `training` passed on to the Dropout (so it is active only while training).

# %% tags=["solution"]
@keras.saving.register_keras_serializable(package="keras_models_07")
class DropoutTinyNet(keras.Model):
    """TinyNet with Dropout(dropout) after `hidden`; registered, with a complete get_config."""

    def __init__(self, units=32, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dropout_rate = dropout
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.dropout = keras.layers.Dropout(dropout)
        self.classifier = keras.layers.Dense(10)

    def call(self, inputs, training=None):
        x = self.hidden(self.flatten(inputs))
        x = self.dropout(x, training=training)
        return self.classifier(x)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "dropout": self.dropout_rate})
        return config


# %%
checks.registered_dropout_net(DropoutTinyNet)

# %% [markdown]
# The question in the exercise: with `dropout` missing from `get_config`, the saved config has no
# `dropout`, so `from_config` calls `DropoutTinyNet(units=16)` and the default, 0.0, wins. Keras
# cannot tell: the weights still fit (Dropout has none), so it loads without a word. Here is that
# mistake, side by side with the answer:

# %%
@keras.saving.register_keras_serializable(package="keras_models_07_mistakes")
class ForgetfulDropoutTinyNet(DropoutTinyNet):
    def get_config(self):
        config = super().get_config()
        del config["dropout"]
        return config


for cls in (ForgetfulDropoutTinyNet, DropoutTinyNet):
    net = cls(units=16, dropout=0.5)
    net(x)
    path = BUILD / f"07_solutions_{cls.__name__}.keras"
    net.save(path)
    print(f"{cls.__name__}: dropout rate after loading:", keras.models.load_model(path).dropout.rate)

# %% [markdown]
# ## Exercise 3: resume from a checkpoint
#
# `load_model` returns the model compiled, with the optimizer's variables (Adam's step count and
# moving averages) restored, so `fit` simply goes on. Calling `compile` again would create a new
# optimizer that starts from step 0.

# %% tags=["solution"]
def resume(checkpoint_path, x, y):
    """Load the checkpoint, train one more epoch with batch_size=32, return the model."""
    model = keras.models.load_model(checkpoint_path)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return model


# %%
checks.resume_from_checkpoint(resume)

# %% [markdown]
# With weights only, the optimizer state comes back only if the optimizer already has its
# variables when `load_weights` runs; otherwise Keras skips it with a warning (the lesson's
# weights-only section shows both). Building the optimizer first restores it:

# %%
small = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                          keras.layers.Dense(10)])
small.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
small.fit(x, np.arange(8) % 10, batch_size=4, epochs=1, verbose=0)
weights_path = BUILD / "07_solutions_small.weights.h5"
small.save_weights(weights_path)

fresh = keras.models.clone_model(small)
fresh.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
fresh.optimizer.build(fresh.trainable_variables)
fresh.load_weights(weights_path)
print("optimizer step after load_weights:", int(fresh.optimizer.iterations),
      "| saved model's:", int(small.optimizer.iterations))

# %% [markdown]
# ## Exercise 4: a serving endpoint for classes
#
# `ExportArchive` is what `model.export` uses inside. `track` makes the model's variables part of
# the SavedModel; the endpoint is a `tf.function` whose input signature fixes the dtype and the
# image shape while leaving the batch size open (`None`).

# %% tags=["solution"]
def export_classifier(model, export_dir):
    """Export `model` (logits) with a `classify` endpoint: probabilities and class ids."""
    archive = keras.export.ExportArchive()
    archive.track(model)

    @tf.function(input_signature=[tf.TensorSpec(shape=(None, 28, 28, 1), dtype=tf.float32)])
    def classify(images):
        logits = model(images, training=False)
        return {"probabilities": tf.nn.softmax(logits),
                "class_ids": tf.argmax(logits, axis=-1)}

    archive.add_endpoint("classify", classify)
    archive.write_out(export_dir, verbose=False)


# %%
checks.export_classifier(export_classifier)

# %% [markdown]
# A client needs nothing but TensorFlow to use it, and maps the ids to names with `CLASS_NAMES`.
# Here on the small model trained in the previous section:

# %%
export_classifier(small, BUILD / "07_solutions_classifier")
serving = tf.saved_model.load(str(BUILD / "07_solutions_classifier"))   # keep a reference:
served = serving.classify(tf.constant(x))   # the endpoint needs the loaded object's variables
ids = served["class_ids"].numpy()
sums = served["probabilities"].numpy().sum(axis=1)
print("class ids:", ids.shape, ids.dtype, "| one name per image:", len([CLASS_NAMES[i] for i in ids]))
print(f"same class as predict for {np.sum(ids == small.predict(x, verbose=0).argmax(axis=1))} "
      f"of {len(ids)} images")
print(f"probabilities sum to 1 within 1e-5 for {np.sum(np.isclose(sums, 1.0, atol=1e-5))} "
      f"of {len(sums)} images")
