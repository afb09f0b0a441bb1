# %% [markdown]
# # 03 · Model subclassing — solutions
#
# Worked answers to the exercises of [03 · Model subclassing](../03_subclassing.ipynb), each
# followed by the checker the notebook uses. Try the exercises first!

# %%
import helpers

cfg = helpers.setup()

# %%
import os

import keras
import numpy as np

from helpers import checks

x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)   # four fake images

# %% [markdown]
# ## Exercise 1: Dropout and `training` in the MLP
#
# The Dropout is one more attribute, created in `__init__` and called in `call` between
# `hidden` and `classifier`. `call` takes `training=None` and hands it to the Dropout, so
# whoever calls the model decides the mode: `fit` passes `True`, `predict` and `evaluate` pass
# `False`, a plain `model(x)` passes nothing, which Dropout reads as "not training". Dropout
# has no weights: still 101,770 parameters.

# %% tags=["solution"]
class DropoutMLP(keras.Model):
    """MLP with Dropout(0.2) between `hidden` and `classifier`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten(name="flatten")
        self.hidden = keras.layers.Dense(128, activation="relu", name="hidden")
        self.dropout = keras.layers.Dropout(0.2, name="dropout")
        self.classifier = keras.layers.Dense(10, activation="softmax", name="classifier")

    def call(self, inputs, training=None):
        x = self.flatten(inputs)
        x = self.hidden(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)


# %%
checks.subclassed_dropout_mlp(DropoutMLP)

# %% [markdown]
# The check the exercise asks for: at inference two calls agree; in training mode each call
# drops a different random 20 % of the hidden units, so the outputs differ.

# %%
model = DropoutMLP()
plain = np.sum(np.asarray(model(x)) != np.asarray(model(x)))
training = np.sum(np.asarray(model(x, training=True)) != np.asarray(model(x, training=True)))
assert plain == 0 and training > 0
print(f"two calls model(x) differ in {plain} of 40 outputs (must be 0); "
      f"two calls model(x, training=True) in {training} (must be more than 0)")
print("parameters:", model.count_params())

# %% [markdown]
# ## Exercise 2: `SimpleDense` with `use_bias`
#
# `__init__` stores the setting; `build` creates the bias only when `use_bias` is true (adding
# a bias of zeros would still count 4 trainable parameters); `call` adds it only then. By hand:
# a 3 × 4 kernel and no bias is **12** parameters (16 with the bias). Keras 3 records plain
# constructor arguments of a *layer* on its own, but once a layer has a `get_config` it must
# list every argument; writing it out keeps `use_bias` in the config for sure.

# %% tags=["solution"]
class OptionalBiasDense(keras.layers.Layer):
    """SimpleDense with a `use_bias=True` argument: no bias when it is False."""

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        outputs = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": keras.activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        return config


# %%
checks.simple_dense_use_bias(OptionalBiasDense)

# %% [markdown]
# The count by hand, checked, and the setting through a config round trip:

# %%
no_bias = OptionalBiasDense(4, use_bias=False)
no_bias(np.ones((2, 3), dtype="float32"))
print("parameters:", no_bias.count_params(), "= 3 x 4, no bias |",
      "weights:", [w.name for w in no_bias.weights])
clone = OptionalBiasDense.from_config(no_bias.get_config())
clone(np.ones((2, 3), dtype="float32"))
print(f"from_config(get_config()): use_bias={clone.use_bias}, {clone.count_params()} parameters")

# %% [markdown]
# ## Exercise 3: a deeper MLP that builds and saves
#
# Three things make `DeepMLP` a good citizen:
#
# - the hidden layers live in a **list attribute**, which Keras tracks like a single layer, so
#   their weights are found, trained and saved;
# - `build` walks the layers in order, building each on the shape the previous one produces
#   (`compute_output_shape`): `model.build(shape)` then creates every weight without data;
# - `get_config` adds `hidden_units` to the parent's config (without it, Keras 3.15 would
#   record the *default* `(256, 128)` for a subclassed model), and
#   `register_keras_serializable` lets `load_model` find the class by name
#   ([notebook 07](../07_saving.ipynb) explains both).

# %% tags=["solution"]
@keras.saving.register_keras_serializable(package="keras_models_03")
class DeepMLP(keras.Model):
    """Flatten, one Dense(units, relu) per entry of hidden_units, then Dense(10, softmax)."""

    def __init__(self, hidden_units=(256, 128), **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = tuple(hidden_units)
        self.flatten = keras.layers.Flatten(name="flatten")
        self.hidden = [keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")
                       for i, units in enumerate(self.hidden_units, start=1)]
        self.classifier = keras.layers.Dense(10, activation="softmax", name="classifier")

    def build(self, input_shape):
        shape = input_shape
        for layer in [self.flatten, *self.hidden, self.classifier]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs):
        x = self.flatten(inputs)
        for layer in self.hidden:
            x = layer(x)
        return self.classifier(x)

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_units": list(self.hidden_units)})
        return config


# %%
checks.serializable_deep_mlp(DeepMLP)

# %% [markdown]
# `build` then `summary()` now counts every parameter:
# 784 × 256 + 256 + 256 × 128 + 128 + 128 × 10 + 10 = 235,146.

# %%
deep = DeepMLP(name="deep_mlp")
deep.build((None, 28, 28))
deep.summary()

# %% [markdown]
# And a `.keras` round trip (under `notebooks/build/`, which git ignores) gives back the same
# class, the same `hidden_units` and identical predictions:

# %%
os.makedirs("../build", exist_ok=True)
before = deep.predict(x, verbose=0)
deep.save("../build/03_deep_mlp.keras")
reloaded = keras.models.load_model("../build/03_deep_mlp.keras")
print("reloaded:", type(reloaded).__name__, "| hidden_units:", reloaded.hidden_units,
      "| parameters:", reloaded.count_params())
difference = np.abs(reloaded.predict(x, verbose=0) - before).max()
assert difference == 0.0
print(f"largest difference from the original's predictions: {difference} (must be 0)")

# %% [markdown]
# ## Exercise 4: the article's `ResnetBlock` as a layer
#
# The layers and `call` are the article's (with `keras.ops.relu` for `tf.nn.relu`); what
# changes is the base class, `keras.layers.Layer`, and a `build` that builds every sublayer.
# `bn1`, `conv1`, `down_bn` and `down_conv` see the block's input; `bn2` and `conv2` see
# `conv1`'s output, whose shape `conv1.compute_output_shape` gives. `training` goes to every
# BatchNormalization, and nothing follows the sum.

# %% tags=["solution"]
def conv3x3(channels, stride=1, kernel=(3, 3)):
    """The article's convolution: 'same' padding, no bias (a BatchNormalization follows)."""
    return keras.layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)


class ResnetBlock(keras.layers.Layer):
    """BN-ReLU-conv3x3(strides), BN-ReLU-conv3x3, plus the input (or its 1x1 projection)."""

    def __init__(self, channels, strides=1, residual_path=False, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.strides = strides
        self.residual_path = residual_path
        self.conv1 = conv3x3(channels, strides)
        self.bn1 = keras.layers.BatchNormalization()
        self.conv2 = conv3x3(channels)
        self.bn2 = keras.layers.BatchNormalization()
        if residual_path:
            self.down_conv = conv3x3(channels, strides, kernel=(1, 1))
            self.down_bn = keras.layers.BatchNormalization()

    def build(self, input_shape):
        self.bn1.build(input_shape)
        self.conv1.build(input_shape)
        inner_shape = self.conv1.compute_output_shape(input_shape)
        self.bn2.build(inner_shape)
        self.conv2.build(inner_shape)
        if self.residual_path:
            self.down_bn.build(input_shape)
            self.down_conv.build(input_shape)

    def call(self, inputs, training=None):
        residual = inputs
        x = self.bn1(inputs, training=training)
        x = keras.ops.relu(x)
        x = self.conv1(x)
        x = self.bn2(x, training=training)
        x = keras.ops.relu(x)
        x = self.conv2(x)
        if self.residual_path:
            residual = self.down_bn(inputs, training=training)
            residual = keras.ops.relu(residual)
            residual = self.down_conv(residual)
        return x + residual


# %%
checks.resnet_block_layer(ResnetBlock)

# %% [markdown]
# A `Sequential` model of two blocks shows the point of the real `build`: `model.build(...)`
# alone, with no data, gives a summary with every parameter. For `ResnetBlock(16)` on 16
# channels: two 3×3 convs of 3 × 3 × 16 × 16 = 2,304 and two BatchNormalizations of 4 × 16 =
# 64, 4,736 in all; the second block, 16 → 32 channels with stride 2, has 4,608 + 64 + 9,216 +
# 128 + 64 + 512 = 14,592.

# %%
stacked = keras.Sequential([ResnetBlock(16, name="block_1"),
                            ResnetBlock(32, strides=2, residual_path=True, name="block_2")],
                           name="two_blocks")
stacked.build(input_shape=(None, 28, 28, 16))
stacked.summary()

# %% [markdown]
# Being layers, the blocks also slot into a Functional model, which keeps the graph: summary
# with shapes, and a diagram.

# %%
inputs = keras.Input(shape=(28, 28, 16), name="features")
x = ResnetBlock(16, name="block_1")(inputs)
outputs = ResnetBlock(32, strides=2, residual_path=True, name="block_2")(x)
functional = keras.Model(inputs, outputs, name="functional_blocks")
functional.summary()

# %%
keras.utils.plot_model(functional, to_file="../build/03_resnet_blocks.png", show_shapes=True,
                       show_layer_names=True, dpi=60)
