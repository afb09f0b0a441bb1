# %% [markdown]
# # 03 · Model subclassing
#
# [Notebook 01](01_sequential.ipynb) stacked layers with `keras.Sequential`;
# [notebook 02](02_functional_api.ipynb) wired them into graphs with the Functional API. This
# notebook teaches the third way, the one the source article uses for its ResNet: **model
# subclassing**, where you write a Python class, create the layers in `__init__` and spell out
# the forward pass in `call`. The next notebook, [04 · The ResnetBlock](04_resnet_block.ipynb),
# uses it to build the article's residual block.
#
# **What you will learn**
#
# - the two methods the article names, `__init__` and `call`, on a custom layer (with
#   `build()` and `add_weight`) and on a custom model;
# - what the `training` argument does to `Dropout` and `BatchNormalization` under
#   `model(x)`, `model(x, training=True)`, `fit`, `predict` and `evaluate` — and when
#   forgetting it goes wrong;
# - why, in Keras 3, `model.build(...)` followed by `summary()` shows a subclassed model with
#   0 parameters (the article walks straight into it), and three ways to fix it;
# - what a subclassed model gives up (no static graph, no intermediate outputs, saving needs
#   `get_config`) and how to mix the styles to get both;
# - proof that the same network written as Sequential, Functional and subclassed is the same
#   model — the evidence behind the article's closing advice.

# %% [markdown]
# ## Set-up
#
# As in every notebook: `helpers.setup()` quiets TensorFlow's start-up messages, seeds the
# random number generators and prints the versions in use.

# %%
import helpers

cfg = helpers.setup()

# %%
import os
import warnings

import keras
import numpy as np

from helpers import plots
from helpers.runtime import seed_everything
from helpers.data import load_fashion_mnist

# %% [markdown]
# We use the same Fashion-MNIST images as before, scaled from 0…255 to 0…1.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
print("training images:", x_train.shape, "| test images:", x_test.shape)

# %% [markdown]
# Most cells below print small arrays computed from fixed inputs. This helper turns a tensor
# into a NumPy array rounded to 4 decimals, so the printed numbers are the same on every
# machine.

# %%
def rounded(tensor, decimals=4):
    return np.round(keras.ops.convert_to_numpy(tensor), decimals)


print(rounded(keras.ops.ones((2, 3)) / 3))

# %% [markdown]
# ## What the article says
#
# The article introduces subclassing in a few sentences:
#
# > “模型子类化”就是自己实现一个类来继承Model类，构建一个Model类的子类，需要实现两个方法，即：`__init__()`、`call()`
#
# *"Model subclassing" means writing your own class that inherits from the `Model` class — a
# subclass of `Model`. It has to implement two methods: `__init__()` and `call()`.*
#
# > 在 `__init__` 方法中创建层并将它们设置为类实例的属性
# >
# > 在 `call` 方法中定义前向传播
#
# *In the `__init__` method, create the layers and set them as attributes of the instance.
# In the `call` method, define the forward pass.*
#
# That is the whole idea. `__init__` runs once and says *what* the model is made of; `call`
# runs on every batch and says *how* data flows through it — in plain Python, so it can use
# loops, `if` statements and helper functions. Keras does the rest: because the layers are
# attributes, it finds them and their weights, and `compile`/`fit`/`predict` work as usual.
#
# The same two methods, plus a third, `build`, are how you write your own **layer**. We start
# there, because a layer is the smallest thing with weights.

# %% [markdown]
# ## A custom layer: `__init__`, `build` and `call`
#
# Here is `Dense` written by hand. A layer often cannot create its weights in `__init__`,
# because it does not know yet how many inputs it will get: the kernel of a dense layer is
# `inputs × units`. So Keras splits the work in three:
#
# - `__init__` stores the settings (`units`, `activation`);
# - `build(input_shape)` creates the weights with `add_weight`, once the input size is known;
#   Keras calls it for you the first time the layer is called;
# - `call(inputs)` computes `activation(inputs @ kernel + bias)`.

# %%
class SimpleDense(keras.layers.Layer):
    """A dense layer written by hand: activation(inputs @ kernel + bias)."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel) + self.bias)


# %% [markdown]
# A new layer has no weights. Calling it on a batch of 2 examples with 3 features makes Keras
# call `build((2, 3))` first, which creates a 3 × 4 kernel and 4 biases.

# %%
layer = SimpleDense(4, activation="relu")
print("before the first call: built =", layer.built, "| weights:", layer.weights)

x_small = np.arange(6, dtype="float32").reshape(2, 3) / 10
y_small = layer(x_small)
print("after the first call:  built =", layer.built, "| output shape:", tuple(y_small.shape))
for w in layer.weights:
    print(f"  {w.name:<7} shape {tuple(w.shape)}  trainable={w.trainable}")
print("parameters:", layer.count_params(), "= 3 x 4 + 4")

# %% [markdown]
# Is it really a dense layer? Give Keras's own `Dense` the same weights and compare the
# outputs on the same input.

# %%
dense = keras.layers.Dense(4, activation="relu")
dense.build((None, 3))
dense.set_weights(layer.get_weights())
print("same output as keras.layers.Dense:",
      np.allclose(keras.ops.convert_to_numpy(dense(x_small)),
                  keras.ops.convert_to_numpy(y_small), atol=1e-6))

# %% [markdown]
# Because `units` and `activation` were passed as plain numbers and strings, Keras 3 records
# them on its own, so even without a `get_config` method the layer can describe itself — and
# be re-created from that description (we come back to this when we save models):

# %%
config = layer.get_config()
print({k: config[k] for k in ("name", "units", "activation")})
clone = SimpleDense.from_config(config)
print("clone has", clone.units, "units; built:", clone.built)

# %% [markdown]
# ## A custom model: `__init__` and `call`
#
# Now the article's recipe for a model. Here is the small network from notebook 01 —
# `Flatten`, a hidden `Dense(128, relu)` and a `Dense(10, softmax)` classifier — as a
# subclass of `keras.Model`. The layers are created in `__init__` and stored as attributes;
# `call` chains them. Unlike a layer, a model needs no `build`: its sublayers build
# themselves when `call` first runs.

# %%
class MLP(keras.Model):
    """784 -> 128 (relu) -> 10 (softmax), written by subclassing."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten(name="flatten")
        self.hidden = keras.layers.Dense(128, activation="relu", name="hidden")
        self.classifier = keras.layers.Dense(10, activation="softmax", name="classifier")

    def call(self, inputs):
        x = self.flatten(inputs)
        x = self.hidden(x)
        return self.classifier(x)


# %% [markdown]
# Creating the model creates the layers, but no weights yet: nobody has told the model how big
# its inputs are. Calling it on four test images runs `call`, which builds every layer.

# %%
mlp = MLP(name="mlp")
print("before the first call: built =", mlp.built, "| weights:", len(mlp.weights))

probabilities = mlp(x_test[:4])
print("after the first call:  built =", mlp.built, "| weights:", len(mlp.weights))
print("output shape:", tuple(probabilities.shape))
print("each row sums to 1:", np.allclose(keras.ops.convert_to_numpy(probabilities).sum(axis=1), 1.0))
print("layers found from the attributes:", [l.name for l in mlp.layers])
print("parameters:", mlp.count_params())

# %% [markdown]
# Keras found the three layers because they are attributes of the model — that is why the
# article insists on "setting them as attributes of the instance". A layer kept only in a local
# variable of `__init__` would be invisible to Keras, and its weights would not be trained or
# saved. The parameter count, 101,770, is the same as notebook 01's Sequential model.

# %% [markdown]
# ## The `training` argument
#
# Two common layers behave differently while training and while predicting:
#
# - **`Dropout(rate)`** zeroes a random fraction `rate` of its inputs during training (so the
#   network cannot rely on any single unit) and does nothing at inference;
# - **`BatchNormalization`** normalizes with the mean and variance *of the current batch* during
#   training, and updates running averages of them; at inference it uses those running
#   averages, so a prediction does not depend on what else is in the batch.
#
# A layer learns which mode it is in from the `training` argument of its `call`. Look at
# `Dropout` first, on an input of 1,000 ones.

# %%
ones = np.ones((1, 1000), dtype="float32")
dropout = keras.layers.Dropout(0.5)
print("dropout(x)                 -> values", np.unique(rounded(dropout(ones))))
print("dropout(x, training=True)  -> values", np.unique(rounded(dropout(ones, training=True))))

# %% [markdown]
# Called plainly, `Dropout` returns its input unchanged. With `training=True` it zeroes about
# half of the values and multiplies the survivors by `1 / (1 - 0.5) = 2`, so that the expected
# sum stays the same in both modes.
#
# Now `BatchNormalization`, on four examples of one feature: 1, 2, 3 and 4. A new layer's
# running mean is 0 and its running variance is 1.

# %%
batch = np.array([[1.0], [2.0], [3.0], [4.0]], dtype="float32")
bn = keras.layers.BatchNormalization()


def bn_state(layer):
    return (f"moving mean {float(rounded(layer.moving_mean)[0]):.4f}, "
            f"moving variance {float(rounded(layer.moving_variance)[0]):.4f}")


print("bn(x)                ->", rounded(bn(batch)).ravel(), "|", bn_state(bn))
print("bn(x, training=True) ->", rounded(bn(batch, training=True)).ravel(), "|", bn_state(bn))

# %% [markdown]
# We can check every number by hand (`epsilon = 0.001`, `momentum = 0.99`):
#
# - **inference** uses the running statistics: `(x − 0) / √(1 + 0.001)`, so the values barely
#   change: 0.9995, 1.999, 2.9985, 3.998;
# - **training** uses the batch's own mean 2.5 and variance 1.25: `(x − 2.5) / √(1.25 + 0.001)`
#   gives −1.3411, −0.447, 0.447, 1.3411 — and it moves the running averages 1 % of the way
#   towards the batch: mean `0.99 × 0 + 0.01 × 2.5 = 0.025`, variance
#   `0.99 × 1 + 0.01 × 1.25 = 1.0025`.
#
# ### Who sets `training`?
#
# You rarely pass `training` yourself: `fit` passes `training=True`, `predict` and `evaluate`
# pass `training=False`. To watch it happen, here is a layer that does nothing but remember the
# `training` value it was called with, inside a small subclassed model with a
# `BatchNormalization`. The model's `call` takes `training` and passes it on, as the
# article's `ResnetBlock` does.

# %%
class ModeSpy(keras.layers.Layer):
    """Returns its input unchanged and remembers the `training` value it received."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return inputs


class Probe(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spy = ModeSpy()
        self.bn = keras.layers.BatchNormalization()

    def call(self, inputs, training=None):
        x = self.spy(inputs, training=training)
        return self.bn(x, training=training)


# %% [markdown]
# We compile it with a learning rate of 0, so that `fit` changes no weight through gradients:
# whatever moves in `BatchNormalization` moves because it ran in training mode. One `fit`
# step on our four-example batch:

# %%
probe = Probe()
probe.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")


def report(what):
    moving_mean = float(keras.ops.convert_to_numpy(probe.bn.moving_mean)[0])
    print(f"{what:<26} training={str(probe.spy.seen[-1]):<5} | BN moving mean {moving_mean:.3f}")


probe(batch)
report("probe(x)")
probe.predict(batch, verbose=0)
report("probe.predict(x)")
probe.evaluate(batch, batch, verbose=0)
report("probe.evaluate(x, y)")
probe.fit(batch, batch, batch_size=4, epochs=1, verbose=0)
report("probe.fit(x, y), 1 step")
probe(batch, training=True)
report("probe(x, training=True)")

# %% [markdown]
# Read it line by line:
#
# - a plain call passes `training=None`, which layers read as "not training": the running mean
#   stays 0;
# - `predict` and `evaluate` pass `False`: still 0;
# - `fit` passes `True`: `BatchNormalization` used the batch statistics and moved its running
#   mean to 0.025 — exactly what `bn(x, training=True)` did above;
# - calling the model yourself with `training=True` does the same again (0.025 → 0.050).
#
# (The spy writes to its list when Keras traces `call` to build the prediction, evaluation or
# training step, so the list grows once per trace, not once per batch.) This is also the trap
# of hand-written training loops ([notebook 08](08_custom_training.ipynb)): there nobody passes
# `training=True` unless you do.

# %% [markdown]
# ### What if a custom layer does not pass `training` on?
#
# The article's `ResnetBlock.call(self, inputs, training=None)` passes `training=training` to
# every `BatchNormalization`. What happens if you forget? Let us test three versions of a small
# block — `BatchNormalization` then `Dropout` — one that passes `training` on, one that forgets
# it entirely, and one that hard-codes `training=False`.

# %%
class CarefulBlock(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bn = keras.layers.BatchNormalization()
        self.dropout = keras.layers.Dropout(0.5)

    def call(self, inputs, training=None):
        x = self.bn(inputs, training=training)
        return self.dropout(x, training=training)


class ForgetfulBlock(CarefulBlock):
    def call(self, inputs):                    # no `training` here, nothing passed on
        return self.dropout(self.bn(inputs))


class HardCodedBlock(CarefulBlock):
    def call(self, inputs, training=None):     # always "inference", whatever the caller says
        x = self.bn(inputs, training=False)
        return self.dropout(x, training=False)


# %% [markdown]
# Each block goes inside a model that is called with `training=True`, on the four examples
# above repeated over 250 features. Two observable facts tell us each inner layer's mode:
# did `Dropout` zero anything, and did `BatchNormalization` move its running mean?

# %%
wide_batch = np.repeat(batch, 250, axis=1)   # shape (4, 250); each column is 1, 2, 3, 4

for block_class in (CarefulBlock, ForgetfulBlock, HardCodedBlock):
    block = block_class()
    model = keras.Sequential([keras.Input((250,)), block])
    outputs = keras.ops.convert_to_numpy(model(wide_batch, training=True))
    moving_mean = float(keras.ops.convert_to_numpy(block.bn.moving_mean).mean())
    print(f"{block_class.__name__:<15} dropout zeroed values: {str(bool(np.any(outputs == 0))):<5} "
          f"| BN moving mean {moving_mean:.3f}")

# %% [markdown]
# The forgetful block behaves exactly like the careful one. This is Keras 3 at work: when a
# layer is called inside another layer's `call`, it inherits the outer call's `training` value
# unless it is given one explicitly (the order is: an explicit argument, then the value of the
# enclosing call, then the default in the `call` signature). So with Keras layers, forgetting
# to pass `training` on is forgiven — but an explicit value always wins, and the hard-coded
# block never trains its `BatchNormalization` or applies its dropout, even inside `fit`.
#
# Where forgetting still bites is code that *decides by itself*. Here is a dropout written by
# hand with `keras.random.dropout`. Its `call` has no `training` argument, so it cannot know
# whether it is training — and it drops values at prediction time too:

# %%
class AlwaysOnDropout(keras.layers.Layer):
    """A hand-written dropout that never asks whether it is training."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, inputs):
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)


always_on = keras.Sequential([keras.Input((1000,)), AlwaysOnDropout(0.5)])
first, second = always_on.predict(ones, verbose=0), always_on.predict(ones, verbose=0)
print("predict -> values", np.unique(rounded(first)))
print("two predictions of the same input are equal:", np.array_equal(first, second))

# %% [markdown]
# Half the signal is dropped at inference, and the same image gets a different prediction
# every time. The fix is to accept `training` in `call` (Keras then fills it in from `fit`,
# `predict` or the enclosing call) and to act on it:

# %%
class ModeAwareDropout(AlwaysOnDropout):
    def call(self, inputs, training=None):
        if not training:
            return inputs
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)


mode_aware = keras.Sequential([keras.Input((1000,)), ModeAwareDropout(0.5)])
first, second = mode_aware.predict(ones, verbose=0), mode_aware.predict(ones, verbose=0)
print("predict -> values", np.unique(rounded(first)))
print("two predictions of the same input are equal:", np.array_equal(first, second))
print("model(x, training=True) -> values", np.unique(rounded(mode_aware(ones, training=True))))

# %% [markdown]
# The rule of thumb: give every `call` that contains `Dropout`, `BatchNormalization` or
# mode-dependent code a `training=None` argument, and pass it on explicitly, as the article
# does. It costs nothing, shows the reader which layers depend on the mode, and does not rely
# on the call-context rule.

# %% [markdown]
# ## The summary pitfall: `build()` then `summary()`
#
# The article ends its ResNet listing with
#
# ```python
# model = ResNet([2, 2, 2], 10)
# model.build(input_shape=(None, 28, 28, 1))
# model.summary()
# ```
#
# With the TensorFlow 2.0 of the article this listed every layer with its parameters. In
# Keras 3 it prints every layer as unbuilt and **Total params: 0**. The full ResNet is the
# subject of [notebook 05](05_resnet.ipynb), where the real count, 175,898 parameters,
# appears; our small `MLP` shows the same thing. (Keras reports the problem as a
# `UserWarning`; we catch it and print its message so you can read it.)

# %%
pitfall = MLP(name="mlp")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    pitfall.build(input_shape=(None, 28, 28))
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}\n")
print("built:", pitfall.built, "| parameters:", pitfall.count_params())

# %%
pitfall.summary()

# %% [markdown]
# **Why?** `MLP` does not define `build`, so `model.build(input_shape)` runs the default
# `Layer.build`, which in Keras 3 does only two things: it warns if some sublayer is still
# unbuilt, and it sets `built = True`. It does **not** run `call` — and `call` is the only place
# that says which layer gets which input, so nothing else can tell `hidden` that its input has
# 784 features. (TensorFlow 2.0's Keras traced `call` on a placeholder inside `build`, which is
# why the article's code printed a full summary back then.) The model now claims to be built,
# but none of its layers has weights.
#
# There are three fixes.
#
# ### Fix 1: call the model on a batch
#
# Running real data through `call` builds every layer. The pitfall model is not broken — it
# simply has not run yet.

# %%
pitfall(x_test[:1])
pitfall.summary()

# %% [markdown]
# All 101,770 parameters are there. Note the output shapes: `(1, 784)`, `(1, 128)`,
# `(1, 10)`. A subclassed model only knows the shapes of the last batch it saw — here a batch
# of one image — not the general `(None, …)` shape a Functional model declares.
#
# ### Fix 2: write a real `build()`
#
# If `model.build(input_shape)` must work (loading code and some tools call it), give the model
# a `build` that builds each sublayer, passing the shapes along with `compute_output_shape`.

# %%
class BuiltMLP(MLP):
    def build(self, input_shape):
        self.flatten.build(input_shape)
        shape = self.flatten.compute_output_shape(input_shape)
        self.hidden.build(shape)
        shape = self.hidden.compute_output_shape(shape)
        self.classifier.build(shape)


built_mlp = BuiltMLP(name="built_mlp")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    built_mlp.build(input_shape=(None, 28, 28))
print("warnings:", len(caught), "| parameters:", built_mlp.count_params())
built_mlp.summary()

# %% [markdown]
# No warning, every weight created, and general `(None, …)` shapes. The price is that `build`
# repeats the wiring that `call` already describes; in a model with branches that is easy to
# get wrong.
#
# ### Fix 3: a functional wrapper on `keras.Input`
#
# Call the model's `call` method on a symbolic `keras.Input`. Every layer inside then records
# what it received, and `keras.Model(inputs, outputs)` turns that record into a Functional model
# — a graph — that **shares** the same layers and weights.

# %%
inputs = keras.Input(shape=(28, 28), name="image")
graph = keras.Model(inputs, pitfall.call(inputs), name="mlp_graph")
graph.summary()
print("same layer objects:", graph.get_layer("hidden") is pitfall.hidden)
print("same parameters:", graph.count_params() == pitfall.count_params())

# %% [markdown]
# Calling the model itself instead, `keras.Model(inputs, pitfall(inputs))`, also works, but the
# subclassed model then shows as a single opaque layer:

# %%
keras.Model(inputs, pitfall(inputs), name="mlp_in_a_box").summary()

# %% [markdown]
# ## What subclassing gives up
#
# A Functional model *is* a graph of layers that Keras can inspect before any data flows. A
# subclassed model is Python code that Keras can only run. Three consequences follow.
#
# ### 1. No diagram
#
# `keras.utils.plot_model` draws a model's graph. For a subclassed model there is no graph, so
# it draws one box — with unknown shapes:

# %%
os.makedirs("build", exist_ok=True)
keras.utils.plot_model(pitfall, to_file="build/03_subclassed.png", show_shapes=True, dpi=60)

# %% [markdown]
# The functional wrapper from fix 3 has the graph, so the same call draws every layer:

# %%
keras.utils.plot_model(graph, to_file="build/03_wrapped.png", show_shapes=True,
                       show_layer_names=True, dpi=60)

# %% [markdown]
# ### 2. No intermediate outputs
#
# In [notebook 02](02_functional_api.ipynb) we pulled a hidden layer's activations out of a
# Functional model with `keras.Model(model.input, model.get_layer(...).output)`. A subclassed
# model that was only ever called on real data has no symbolic input or output to do that with:

# %%
# NBVAL_RAISES_EXCEPTION
fresh = MLP(name="fresh_mlp")
fresh(x_test[:1])
keras.Model(fresh.input, fresh.get_layer("hidden").output)

# %% [markdown]
# The message is confusing — the model *was* called — but it is telling the truth: it was
# called on real numbers, which leave no graph behind. The functional wrapper is again the way
# out: after `fresh.call(inputs)` every layer has a symbolic output to cut the graph at.

# %%
wrapped = keras.Model(inputs, fresh.call(inputs))
feature_extractor = keras.Model(inputs, wrapped.get_layer("hidden").output)
print("features of 4 images:", tuple(feature_extractor(x_test[:4]).shape))

# %% [markdown]
# ### 3. Saving needs `get_config`
#
# To save a model to a `.keras` file, Keras stores its weights *and* how to re-create it: the
# class name and its constructor arguments, from `get_config()`. A Functional model's config is
# its graph. A subclassed model's config is whatever its `__init__` needs — and Keras cannot
# always work that out. Here is an MLP whose width is a constructor argument:

# %%
class SizedMLP(keras.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.flatten = keras.layers.Flatten(name="flatten")
        self.hidden = keras.layers.Dense(units, activation="relu", name="hidden")
        self.classifier = keras.layers.Dense(10, activation="softmax", name="classifier")

    def call(self, inputs):
        return self.classifier(self.hidden(self.flatten(inputs)))


sized = SizedMLP(64, name="sized_mlp")
sized(x_test[:1])
print("parameters:", sized.count_params())

# %% [markdown]
# Saving it fails (files go under `notebooks/build/`, which git ignores):

# %%
# NBVAL_RAISES_EXCEPTION
sized.save("build/03_sized_mlp.keras")

# %% [markdown]
# The message blames "non-serializable argument values", although `64` is a plain int. In
# Keras 3.15 the automatic config works for subclassed *layers* (as `SimpleDense` showed) but
# not for subclassed *models*: `keras.Model` does not hand the constructor arguments to the
# code that records them. It is worse when the argument has a default: the config then silently
# records the **default**, not the value you passed, and `from_config` builds a different
# model:

# %%
class DefaultSizedMLP(SizedMLP):
    def __init__(self, units=128, **kwargs):
        super().__init__(units, **kwargs)


narrow = DefaultSizedMLP(units=64)
narrow(x_test[:1])
rebuilt = DefaultSizedMLP.from_config(narrow.get_config())
rebuilt(x_test[:1])
print("units passed: 64 | units in the config:", narrow.get_config()["units"])
print("parameters: original", narrow.count_params(), "| re-created", rebuilt.count_params())

# %% [markdown]
# The fix is to write `get_config` yourself: start from the parent's config and add every
# constructor argument. Registering the class with `register_keras_serializable` lets
# `load_model` find it by name.

# %%
@keras.saving.register_keras_serializable(package="keras_models_03")
class SerializableMLP(SizedMLP):
    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


saveable = SerializableMLP(64, name="saveable_mlp")
before = saveable.predict(x_test[:32], verbose=0)
saveable.save("build/03_saveable_mlp.keras")

reloaded = keras.models.load_model("build/03_saveable_mlp.keras")
print("reloaded:", type(reloaded).__name__, "with", reloaded.units, "units,",
      reloaded.count_params(), "parameters")
print("identical predictions after reloading:",
      np.array_equal(before, reloaded.predict(x_test[:32], verbose=0)))

# %% [markdown]
# Loading worked even though `SerializableMLP` has no `build`: when it loads a subclassed model,
# Keras runs `call` on a symbolic input of the saved shape, which builds every layer — exactly
# what `model.build` does not do. [Notebook 07](07_saving.ipynb) goes further: reloading in a
# fresh process, weights-only files and safe mode.

# %% [markdown]
# ## Mixing the styles
#
# You do not have to choose one style for a whole program. Keras layers and models are
# interchangeable building blocks: anything that is a layer can be called inside a Functional
# graph, and any model can be an attribute of a subclassed model.
#
# **A subclassed layer inside a Functional model.** `SimpleDense` slots into a graph like any
# built-in layer — and the model keeps everything the Functional API gives: a summary with
# shapes, a diagram, and intermediate outputs.

# %%
inputs = keras.Input(shape=(28, 28), name="image")
x = keras.layers.Flatten()(inputs)
x = SimpleDense(128, activation="relu", name="my_dense")(x)
outputs = keras.layers.Dense(10, activation="softmax", name="classifier")(x)
mixed = keras.Model(inputs, outputs, name="functional_with_custom_layer")
mixed.summary()
print("hidden activations:", tuple(keras.Model(inputs, mixed.get_layer("my_dense").output)(x_test[:4]).shape))

# %% [markdown]
# **A Functional model inside a subclassed one.** Here a Functional feature extractor is an
# attribute of a subclassed classifier, which adds the final layer in its `call`:

# %%
feature_inputs = keras.Input(shape=(28, 28), name="image")
feature_outputs = keras.layers.Dense(128, activation="relu", name="hidden")(
    keras.layers.Flatten()(feature_inputs))
backbone = keras.Model(feature_inputs, feature_outputs, name="backbone")


class Classifier(keras.Model):
    def __init__(self, backbone, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.head = keras.layers.Dense(num_classes, activation="softmax", name="head")

    def call(self, inputs):
        return self.head(self.backbone(inputs))


classifier = Classifier(backbone, 10, name="classifier")
print("output:", tuple(classifier(x_test[:4]).shape))
classifier.summary()

# %% [markdown]
# Same 101,770 parameters again, in a third arrangement. This is how large models are usually
# written: custom layers or blocks (subclassing, where the code is clearer) assembled into a
# Functional model (where the tools work). The article's `ResnetBlock` is such a block.

# %% [markdown]
# ## The same model, three ways
#
# The article ends with advice on *which* style to use. Before we read it, let us prove the
# styles build the same thing. Here is the MLP once more as a Sequential model and as a
# Functional model; the subclassed version is our `MLP` class.

# %%
seed_everything(cfg.seed)
sequential = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
], name="sequential_mlp")

inputs = keras.Input(shape=(28, 28))
x = keras.layers.Flatten()(inputs)
x = keras.layers.Dense(128, activation="relu")(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
functional = keras.Model(inputs, outputs, name="functional_mlp")

subclassed = MLP(name="subclassed_mlp")
subclassed(x_test[:1])   # build it

models = (sequential, functional, subclassed)
for m in models:
    print(f"{m.name:<15} {type(m).__name__:<10} parameters: {m.count_params():,}",
          "| weight shapes:", [tuple(w.shape) for w in m.get_weights()])
assert sequential.count_params() == functional.count_params() == subclassed.count_params() == 101_770

# %% [markdown]
# Same parameter count and the same weight shapes in the same order. Each model drew its own
# random starting weights, so for now they disagree:

# %%
predictions = [m.predict(x_test, verbose=0) for m in models]
print("identical predictions before copying weights:",
      np.array_equal(predictions[0], predictions[1]), np.array_equal(predictions[0], predictions[2]))

# %% [markdown]
# Copy the Sequential model's weights into the other two, and predict all 2,000 test images
# again. If the three really are one model, the outputs must agree to the last bit.

# %%
weights = sequential.get_weights()
functional.set_weights(weights)
subclassed.set_weights(weights)

predictions = [m.predict(x_test, verbose=0) for m in models]
for m, p in zip(models[1:], predictions[1:]):
    np.testing.assert_array_equal(p, predictions[0])
    print(f"{m.name} == sequential_mlp on {len(x_test):,} test images:", np.array_equal(p, predictions[0]))

# %% [markdown]
# Bit-for-bit identical. The style changes how you *write* a model, not what it computes.
#
# And the subclassed model trains with the same `compile` and `fit` as the others. A few epochs
# on the training sample (the log varies slightly between machines, so it is not compared;
# the next cell checks what must hold):

# %%
# NBVAL_IGNORE_OUTPUT
subclassed.compile(optimizer=keras.optimizers.Adam(1e-3),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = subclassed.fit(x_train, y_train, batch_size=64, epochs=cfg.pick(5, 20),
                         validation_split=0.1, verbose=2)

# %%
test_loss, test_accuracy = subclassed.evaluate(x_test, y_test, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert test_accuracy > 0.80, test_accuracy
print("training loss went down:", history.history["loss"][-1] < history.history["loss"][0])
print("test accuracy > 80%:", test_accuracy > 0.80)

# %% [markdown]
# The trained weights move just as easily: copied into the Functional twin, they give the same
# predictions — and the twin offers everything the subclassed model lacks (a full summary, a
# diagram, intermediate outputs).

# %%
functional.set_weights(subclassed.get_weights())
same = np.array_equal(functional.predict(x_test, verbose=0), subclassed.predict(x_test, verbose=0))
assert same
print("trained subclassed model == its Functional twin:", same)

# %%
plots.plot_history(history);

# %% [markdown]
# ## The article's advice
#
# The article closes with one sentence:
#
# > 总结：一般情况下，简单的应用可以直接使用函数式API编程，对于复杂的网络的定义和训练可以使用类继承的方式，这样的代码逻辑和封装性较好
#
# *In summary: in general, simple applications can be written directly with the Functional
# API; complex networks can be defined and trained by subclassing, which gives better code
# logic and encapsulation.*
#
# What this notebook adds to it:
#
# - **The choice is about code, not results.** The three MLPs had the same parameters and gave
#   bit-for-bit the same predictions, trained or not. No style is more accurate or more
#   powerful for a network that all three can express.
# - **Subclassing does give structure.** A class with a name, constructor arguments and a
#   readable `call` — loops, `if`s, helper methods — is a good home for a repeated block like
#   the article's `ResnetBlock`, and for behaviour that depends on `training`.
# - **But it costs the tools.** A subclassed model has no graph: `build` + `summary` can show
#   0 parameters, `plot_model` draws one box, intermediate outputs need a wrapper, and saving
#   needs a hand-written `get_config` (in Keras 3.15 even for plain int arguments).
# - **So "complex" does not have to mean "subclass everything".** The common modern practice is
#   the mix shown above: write the *blocks* as subclassed layers, assemble the *network*
#   functionally. Notebook 05 builds the article's ResNet both ways and proves them equal;
#   notebook 10 weighs the advice against all the evidence of the series.

# %% [markdown]
# ## Recap
#
# - A subclassed **layer** has `__init__` (settings), `build` (weights, via `add_weight`, once
#   the input shape is known) and `call` (the computation); a subclassed **model** needs only
#   `__init__` (layers as attributes) and `call` (the forward pass).
# - `training` switches `Dropout` and `BatchNormalization` between their two behaviours; `fit`
#   passes `True`, `predict`/`evaluate` pass `False`. In Keras 3 an inner layer inherits the
#   enclosing call's value, but an explicit value always wins, and code that branches on the
#   mode must take a `training` argument.
# - `model.build(shape)` on a subclassed model without its own `build` builds nothing: summary
#   shows 0 parameters. Call the model on a batch, write a real `build`, or wrap it:
#   `keras.Model(inputs, model.call(inputs))`.
# - Subclassed models have no graph (no diagram, no intermediate outputs) and need `get_config`
#   to be saved; mixing styles — custom layers in Functional models — keeps the tools.
# - Sequential, Functional and subclassed versions of one network are the same model: equal
#   parameters, identical predictions once the weights are copied.

# %% [markdown]
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below
# it: the checker builds your class on small inputs and tells you what is right or what is
# missing (✅ or ❌ with a hint). Each exercise asks for a *class*; pass the class itself, not an
# instance, to the checker. Worked answers:
# [solutions/03_subclassing_solutions.ipynb](solutions/03_subclassing_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): Dropout and `training` in the MLP
#
# Write `DropoutMLP`: this notebook's `MLP` with `keras.layers.Dropout(0.2)` between `hidden`
# and `classifier`. Give `call` a `training=None` argument and pass it on to the Dropout. Check
# that two calls `model(x)` give equal outputs and two calls `model(x, training=True)` do not.
# (Keras 3 would hand the mode down even if you forgot — but only when the model is called
# through `model(...)`; the checker also calls `model.call(x, training=True)` directly.)

# %%
# EXERCISE 1
class DropoutMLP(keras.Model):
    """MLP with Dropout(0.2) between `hidden` and `classifier`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # your layers here: flatten, hidden, dropout, classifier

    def call(self, inputs):   # add a `training=None` argument and pass it on
        return None           # your forward pass here


# %%
checks.subclassed_dropout_mlp(DropoutMLP)

# %% [markdown]
# ### Exercise 2 (practice): `SimpleDense` with `use_bias`
#
# Write `OptionalBiasDense`: `SimpleDense` with a `use_bias=True` argument that skips the bias
# when `False` — no bias weight at all, created or added. Count the parameters of
# `OptionalBiasDense(4, use_bias=False)` on 3 inputs by hand, then check with
# `count_params()`, and check that `from_config(get_config())` keeps the setting.

# %%
# EXERCISE 2
class OptionalBiasDense(keras.layers.Layer):
    """SimpleDense with a `use_bias=True` argument: no bias when it is False."""

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        # your settings here

    def build(self, input_shape):
        pass                  # your weights here

    def call(self, inputs):
        return None           # your computation here


# %%
checks.simple_dense_use_bias(OptionalBiasDense)

# %% [markdown]
# ### Exercise 3 (practice): a deeper MLP that builds and saves
#
# Write `DeepMLP(hidden_units=(256, 128))`, a subclassed model that creates one
# `Dense(units, activation="relu")` per entry of `hidden_units` in a loop, after a `Flatten`
# and before a `Dense(10, activation="softmax")`. Give it a real `build` and a `get_config`,
# then show that `build` + `summary()` counts every parameter and that a `.keras` round trip
# under `build/` gives identical predictions. (The checker does its own round trip in a
# temporary folder.)

# %%
# EXERCISE 3
class DeepMLP(keras.Model):
    """Flatten, one Dense(units, relu) per entry of hidden_units, then Dense(10, softmax)."""

    def __init__(self, hidden_units=(256, 128), **kwargs):
        super().__init__(**kwargs)
        # your layers here, in a loop

    def build(self, input_shape):
        pass                  # build every layer here

    def call(self, inputs):
        return None           # your forward pass here

    # ...and a get_config


# %%
checks.serializable_deep_mlp(DeepMLP)

# %% [markdown]
# ### Exercise 4 (stretch): the article's `ResnetBlock` as a layer
#
# Write the article's `ResnetBlock(channels, strides=1, residual_path=False)` as a
# `keras.layers.Layer` (not a `Model`). Its branch is BatchNormalization → ReLU →
# `conv3x3(channels, strides)` → BatchNormalization → ReLU → `conv3x3(channels)`; the shortcut
# is the input itself or, with `residual_path=True`, BatchNormalization → ReLU → a 1×1
# `conv3x3(channels, strides, kernel=(1, 1))`; the output is branch + shortcut, with nothing
# after the sum. Pass `training` to every BatchNormalization. Give it a `build` that builds its
# sublayers, so that `model.build(...)` + `summary()` shows the right parameter count. Then use
# two such blocks inside a Functional model and plot it.
# [Notebook 04](04_resnet_block.ipynb) takes the block apart line by line.

# %%
# EXERCISE 4
def conv3x3(channels, stride=1, kernel=(3, 3)):
    """The article's convolution: 'same' padding, no bias (a BatchNormalization follows)."""
    return keras.layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)


class ResnetBlock(keras.layers.Layer):
    """BN-ReLU-conv3x3(strides), BN-ReLU-conv3x3, plus the input (or its 1x1 projection)."""

    def __init__(self, channels, strides=1, residual_path=False, **kwargs):
        super().__init__(**kwargs)
        # your layers here

    def build(self, input_shape):
        pass                  # build each sublayer here

    def call(self, inputs, training=None):
        return None           # your forward pass here


# %%
checks.resnet_block_layer(ResnetBlock)

# %% [markdown]
# **Next:** [04 · The ResnetBlock](04_resnet_block.ipynb) — residual learning and the article's
# block, shape by shape.
