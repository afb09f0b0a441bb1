# %% [markdown]
# # 03 · Model subclassing
#
# [Notebook 01](01_sequential.ipynb) stacked layers with `keras.Sequential`;
# [notebook 02](02_functional_api.ipynb) wired them into graphs with the Functional API. This
# notebook teaches the third way, the one the source article uses for its ResNet: **model
# subclassing**, writing a Python class. [04 · The ResnetBlock](04_resnet_block.ipynb) then uses
# it to build the article's residual block.
#
# **What you will learn**
#
# - the two methods the article names, `__init__` and `call`, on a custom layer and a custom
#   model, and when you also need `build` and `add_weight`;
# - what the `training` argument does to `Dropout` and `BatchNormalization`, who sets it
#   (`fit`, `predict`, `evaluate`, you), and when forgetting it goes wrong;
# - why, in Keras 3, `model.build(...)` followed by `summary()` shows a subclassed model with
#   0 parameters (the article walks straight into it), and three ways to fix it;
# - what a subclassed model gives up, and how mixing the styles gets it back;
# - proof that one network written as Sequential, Functional and subclassed is the same model.

# %% [markdown]
# ## Set-up

# %%
import helpers

cfg = helpers.setup()

# %%
import os
import warnings

import keras
import numpy as np

from helpers.data import load_fashion_mnist

# %% [markdown]
# We need only the test images, scaled from 0…255 to 0…1, and a helper that rounds a tensor to
# 4 decimals, so that printed numbers are the same on every machine.

# %%
_, (x_test, _) = load_fashion_mnist()
x_test = x_test.astype("float32") / 255.0
print("test images:", x_test.shape)


def rounded(tensor, decimals=4):
    return np.round(keras.ops.convert_to_numpy(tensor), decimals)


# %% [markdown]
# ## What the article says
#
# > “模型子类化”就是自己实现一个类来继承Model类，构建一个Model类的子类，需要实现两个方法，即：`__init__()`、`call()`
#
# *"Model subclassing" means writing your own class that inherits from the `Model` class. It has
# to implement two methods: `__init__()` and `call()`.*
#
# > 在 `__init__` 方法中创建层并将它们设置为类实例的属性
# >
# > 在 `call` 方法中定义前向传播
#
# *In the `__init__` method, create the layers and set them as attributes of the instance.
# In the `call` method, define the forward pass.*
#
# `__init__` runs once and says *what* the model is made of; `call` runs on every batch and says
# *how* data flows through it, in plain Python (loops, `if`s, helper functions). The same two
# methods, plus a third, `build`, are how you write your own **layer**, the smallest thing with
# weights. We start there.

# %% [markdown]
# ## A custom layer: `__init__`, `build` and `call`
#
# Here is `Dense` written by hand. Its kernel is `inputs × units`, and in `__init__` the layer
# does not know yet how many inputs it will get. So the work is split in three:
#
# - `__init__` stores the settings (`units`, `activation`);
# - `build(input_shape)` creates the weights with `add_weight`; Keras calls it for you the
#   first time the layer is called, when the input shape is known;
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
y_small = layer(np.arange(6, dtype="float32").reshape(2, 3) / 10)
print("after the first call:  built =", layer.built, "| output shape:", tuple(y_small.shape))
for w in layer.weights:
    print(f"  {w.name:<7} shape {tuple(w.shape)}")
print("parameters:", layer.count_params(), "= 3 x 4 + 4")

# %% [markdown]
# A layer can describe itself: `get_config()` returns the arguments that re-create it, and
# `from_config` builds a new, unbuilt layer from them. `units` and `activation` were passed as a
# plain number and a string, so Keras 3 recorded them without any code from us:

# %%
config = layer.get_config()
print({k: config[k] for k in ("name", "units", "activation")})
clone = SimpleDense.from_config(config)
print("clone has", clone.units, "units | built =", clone.built)

# %% [markdown]
# ## A custom model: `__init__` and `call`
#
# Now the article's recipe for a model: notebook 01's network (`Flatten`, `Dense(128, relu)`,
# `Dense(10, softmax)`) as a subclass of `keras.Model`. The layers are attributes created in
# `__init__`; `call` chains them. There is no `build`: each *sublayer* builds itself the first
# time `call` runs it. `build` is needed only for weights a class creates itself with
# `add_weight`, as `SimpleDense` does — or when `model.build(shape)` must work, as we will see.

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


# %%
mlp = MLP(name="mlp")
print("before the first call: built =", mlp.built, "| weights:", len(mlp.weights))
probabilities = keras.ops.convert_to_numpy(mlp(x_test[:4]))
print("after the first call:  built =", mlp.built, "| weights:", len(mlp.weights))
print("output shape:", probabilities.shape, "| row sums:", probabilities.sum(axis=1).round(4))
print("layers found from the attributes:", [l.name for l in mlp.layers])
print("parameters:", mlp.count_params())

# %% [markdown]
# Keras found the three layers because they are attributes — that is why the article insists
# on "setting them as attributes of the instance"; a layer that is not an attribute is invisible
# to Keras, so its weights are neither trained nor saved. 101,770 parameters, as in notebook 01.

# %% [markdown]
# ## The `training` argument
#
# Two common layers behave differently while training and at **inference** (when the model
# predicts):
#
# - **`Dropout(rate)`** zeroes a random fraction `rate` of its inputs during training, so the
#   network cannot rely on any single unit, and does nothing at inference;
# - **`BatchNormalization`** normalizes with the mean and variance *of the current batch* during
#   training, and updates running averages of them; at inference it uses those running
#   averages, so a prediction does not depend on what else is in the batch.
#
# A layer learns which mode it is in from the `training` argument of its `call`:

# %%
ones = np.ones((1, 1000), dtype="float32")
dropout = keras.layers.Dropout(0.5)
print("dropout(x)                -> values", np.unique(rounded(dropout(ones))))
print("dropout(x, training=True) -> values", np.unique(rounded(dropout(ones, training=True))))

# %% [markdown]
# Called plainly, `Dropout` returns its input. With `training=True` it zeroes about half the
# values and doubles the rest (`1 / (1 − 0.5) = 2`), keeping the expected sum. Now `BatchNormalization` on one feature, four examples: 1, 2, 3, 4. A new layer's
# running mean is 0 and its running variance 1.

# %%
batch = np.array([[1.0], [2.0], [3.0], [4.0]], dtype="float32")
bn = keras.layers.BatchNormalization()


def bn_state(layer):
    return (f"moving mean {float(rounded(layer.moving_mean)[0]):.4f}, "
            f"moving variance {float(rounded(layer.moving_variance)[0]):.4f}")


print("bn(x)                ->", rounded(bn(batch)).ravel(), "|", bn_state(bn))
print("bn(x, training=True) ->", rounded(bn(batch, training=True)).ravel(), "|", bn_state(bn))

# %% [markdown]
# Every number checks by hand (`epsilon = 0.001`, `momentum = 0.99`):
#
# - **inference** uses the running statistics, `(x − 0) / √(1 + 0.001)`: 0.9995, 1.999, …;
# - **training** uses the batch's mean 2.5 and variance 1.25, `(x − 2.5) / √(1.25 + 0.001)`:
#   −1.3411, −0.447, 0.447, 1.3411; and it moves the running averages 1 % of the way towards
#   the batch: mean `0.99 × 0 + 0.01 × 2.5 = 0.025`, variance `0.99 × 1 + 0.01 × 1.25 = 1.0025`.
#
# ### Who sets `training`?
#
# You rarely pass it yourself. To see who does, a layer that remembers the `training` value it
# receives sits in a small model whose `call` passes `training` on, as the article's
# `ResnetBlock` does. With a learning rate of 0, `fit` changes no weight through gradients:
# whatever moves in `BatchNormalization` moves because it ran in training mode.

# %%
class ModeSpy(keras.layers.Layer):
    """Returns its input unchanged and remembers the `training` value it received."""

    def call(self, inputs, training=None):
        self.last_training = training
        return inputs


class Probe(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spy = ModeSpy()
        self.bn = keras.layers.BatchNormalization()

    def call(self, inputs, training=None):
        x = self.spy(inputs, training=training)
        return self.bn(x, training=training)


probe = Probe()
probe.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
runs = {"probe(x)": lambda: probe(batch),
        "probe.predict(x)": lambda: probe.predict(batch, verbose=0),
        "probe.evaluate(x, y)": lambda: probe.evaluate(batch, batch, verbose=0),
        "probe.fit(x, y), 1 step": lambda: probe.fit(batch, batch, batch_size=4, verbose=0),
        "probe(x, training=True)": lambda: probe(batch, training=True)}
for what, run in runs.items():
    run()
    print(f"{what:<24} training={probe.spy.last_training!s:<5} | BN moving mean "
          f"{float(rounded(probe.bn.moving_mean)[0]):.3f}")

# %% [markdown]
# A plain call passes `None`, which layers read as inference; `predict` and `evaluate` pass
# `False`; `fit` passes `True`, and the running mean moved to 0.025, as `bn(x, training=True)`
# did above; calling with `training=True` yourself does the same again (0.050). In a
# hand-written training loop nobody passes `True` unless you do
# ([notebook 08](08_custom_training.ipynb)).
#
# ### Forgetting to pass it on
#
# What if a layer's `call` does not pass `training` to its `BatchNormalization`? Here is a block
# that forgets, one that hard-codes `training=False`, and each inside a model called with
# `training=True`:

# %%
class ForgetfulBlock(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bn = keras.layers.BatchNormalization()

    def call(self, inputs):                       # takes no `training`, passes none on
        return self.bn(inputs)


class HardCodedBlock(ForgetfulBlock):
    def call(self, inputs):                       # always inference, whatever the caller says
        return self.bn(inputs, training=False)


for block in (ForgetfulBlock(), HardCodedBlock()):
    keras.Sequential([keras.Input((1,)), block])(batch, training=True)
    print(f"{type(block).__name__:<15} BN moving mean {float(rounded(block.bn.moving_mean)[0]):.3f}")

# %% [markdown]
# The forgetful block trained its `BatchNormalization` anyway. When a layer is called inside
# another layer's `call`, Keras 3 gives it, in order of priority: the `training` value passed
# to it explicitly, else the value of the enclosing call, else the default in its `call`
# signature. So forgetting is forgiven, but an explicit value always wins: the hard-coded block
# never trains its `BatchNormalization`, even inside `fit`.
#
# Forgetting still bites in code that *decides by itself*. A dropout written by hand must take
# `training` and act on it; without the `if`, it would drop values at prediction time too.

# %%
class HandMadeDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, inputs, training=None):
        if not training:                          # None (plain call) or False (predict)
            return inputs
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)


hand_made = keras.Sequential([keras.Input((1000,)), HandMadeDropout(0.5)])
print("predict                 -> values", np.unique(rounded(hand_made.predict(ones, verbose=0))))
print("model(x, training=True) -> values", np.unique(rounded(hand_made(ones, training=True))))

# %% [markdown]
# The rule of thumb: give every `call` that contains `Dropout`, `BatchNormalization` or
# mode-dependent code a `training=None` argument and pass it on explicitly, as the article does.

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
# With the TensorFlow 2.0 of the article this listed every layer's parameters. In Keras 3 it
# prints every layer as unbuilt and **Total params: 0**. [Notebook 05](05_resnet.ipynb) runs the
# article's ResNet into it; our `MLP` shows the same thing. Keras reports it as a `UserWarning`,
# which we catch and print:

# %%
pitfall = MLP(name="mlp")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    pitfall.build(input_shape=(None, 28, 28))
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}\n")
print("built:", pitfall.built, "| parameters:", pitfall.count_params())
pitfall.summary()

# %% [markdown]
# **Why?** `MLP` defines no `build`, so `model.build(input_shape)` runs the default
# `Layer.build`, which only warns if a sublayer is unbuilt and sets `built = True`. It does
# **not** run `call`, the only place that says which layer gets which input, so nothing tells
# `hidden` that its input has 784 features. (TensorFlow 2.0's Keras ran `call` on a placeholder
# input inside `build`, which is why the article's code worked then.) The model now claims to be
# built, yet has no weights. Three fixes follow.
#
# ### Fix 1: call the model on data
#
# Running data through `call` builds every layer. We call it on one image, then on four:

# %%
pitfall(x_test[:1])
pitfall(x_test[:4])
pitfall.summary()

# %% [markdown]
# All 101,770 parameters are there. The output shapes start with 1, not 4: each layer records
# its input shape when it is built, on its first call, and `summary()` computes the output shape
# from that. Later batches change nothing. A Functional model shows `None` there instead.
#
# ### Fix 2: write a real `build()`
#
# If `model.build(input_shape)` must work (loading code and some tools call it), give the model
# a `build` that builds each sublayer, passing the shape along with `compute_output_shape`:

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
# No warning, every weight, general `(None, …)` shapes. The price: `build` repeats the wiring
# that `call` already describes, and in a model with branches that is easy to get wrong.
#
# ### Fix 3: a functional wrapper on `keras.Input`
#
# Call the model's `call` method (not the model, which the graph would hold as one layer) on a
# symbolic `keras.Input` (notebook 02). Every layer inside records what it received, and
# `keras.Model(inputs, outputs)` turns that record into a Functional model that **shares** the
# same layers and weights:

# %%
inputs = keras.Input(shape=(28, 28), name="image")
graph = keras.Model(inputs, pitfall.call(inputs), name="mlp_graph")
graph.summary()
assert graph.get_layer("hidden") is pitfall.hidden
print(f"the wrapper holds the model's own layer objects, so the same {graph.count_params():,} parameters")

# %% [markdown]
# ## What subclassing gives up
#
# A Functional model *is* a graph of layers that Keras can inspect before any data flows. A
# subclassed model is Python code that Keras can only run.
#
# **No diagram.** `keras.utils.plot_model` draws a subclassed model as one box, labelled with
# its class. Keras cannot see inside `call`, and `plot_model` reads shapes only from
# `layer.input` and `layer.output`, which a call on symbolic tensors creates and a call on arrays
# does not, so this model's input and output shapes show as `?`:

# %%
os.makedirs("build", exist_ok=True)
keras.utils.plot_model(pitfall, to_file="build/03_subclassed.png", show_shapes=True, dpi=60)

# %% [markdown]
# The wrapper from fix 3 is a graph, so the same call draws every layer:

# %%
keras.utils.plot_model(graph, to_file="build/03_wrapped.png", show_shapes=True,
                       show_layer_names=True, dpi=60)

# %% [markdown]
# **No intermediate outputs.** In notebook 02 we pulled a hidden layer's activations out of a
# Functional model with `keras.Model(model.input, model.get_layer(...).output)`. A subclassed
# model has no symbolic input or output to do that with:

# %% tags=["raises-exception"]
keras.Model(pitfall.input, pitfall.get_layer("hidden").output)

# %% [markdown]
# The message is confusing — the model *was* called — but true: it was called on arrays, and
# `pitfall.call(...)` in fix 3 ran `call` without going through the model itself. The wrapper
# is again the way out:

# %%
feature_extractor = keras.Model(graph.input, graph.get_layer("hidden").output)
print("hidden features of 4 images:", tuple(feature_extractor(x_test[:4]).shape))

# %% [markdown]
# **Saving takes more work.** A subclassed model whose constructor takes arguments needs a
# `get_config` of its own, or its `.keras` file records the defaults instead of the values
# passed (a required argument makes saving fail); [notebook 07](07_saving.ipynb) shows why, and
# how.

# %% [markdown]
# ## Mixing the styles
#
# Layers and models are interchangeable building blocks: anything that is a layer can be called
# in a Functional graph, and any model can be an attribute of a subclassed model.
#
# **A subclassed layer inside a Functional model** keeps everything the Functional API gives:
# a summary with shapes, a diagram, intermediate outputs.

# %%
inputs = keras.Input(shape=(28, 28), name="image")
x = keras.layers.Flatten()(inputs)
x = SimpleDense(128, activation="relu", name="my_dense")(x)
outputs = keras.layers.Dense(10, activation="softmax", name="classifier")(x)
mixed = keras.Model(inputs, outputs, name="functional_with_custom_layer")
mixed.summary()

# %% [markdown]
# **A model inside a subclassed one.** The article's `ResNet` keeps its blocks in a
# `keras.Sequential` attribute; here a Sequential feature extractor is the `backbone` of a
# subclassed classifier, which adds the last layer in `call`:

# %%
backbone = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(128, activation="relu")], name="backbone")


class Classifier(keras.Model):
    def __init__(self, backbone, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.head = keras.layers.Dense(num_classes, activation="softmax", name="head")

    def call(self, inputs):
        return self.head(self.backbone(inputs))


classifier = Classifier(backbone, 10, name="classifier")
classifier(x_test[:4])
classifier.summary()

# %% [markdown]
# Same 101,770 parameters in a third arrangement (and the `head` row shows the 4 images it was
# built on). Large models are often written this way: blocks as subclassed layers, where the
# code is clearer, assembled into a Functional model, where the tools work.

# %% [markdown]
# ## The same model, three ways
#
# Are the three styles really the same model? Here is the MLP as a Sequential model and as a
# Functional model, next to our subclassed `MLP`, each with its own random weights. If they are
# one network, the Sequential model's weight list fits the other two (`set_weights` refuses a
# list that does not), and then all three must give the same predictions on the 2,000 test
# images, to the last bit.

# %%
sequential = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                               keras.layers.Dense(128, activation="relu"),
                               keras.layers.Dense(10, activation="softmax")], name="sequential")
inputs = keras.Input(shape=(28, 28))
x = keras.layers.Dense(128, activation="relu")(keras.layers.Flatten()(inputs))
functional = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x), name="functional")
subclassed = MLP(name="subclassed")
subclassed(x_test[:1])

reference = sequential.predict(x_test, verbose=0)
for model in (functional, subclassed):
    before = np.abs(model.predict(x_test, verbose=0) - reference).max()
    model.set_weights(sequential.get_weights())
    after = np.abs(model.predict(x_test, verbose=0) - reference).max()
    assert after == 0.0
    print(f"{model.name:<10} {model.count_params():,} parameters | largest difference from the "
          f"Sequential model: {before:.1f} before copying its weights, {after} after (must be 0)")

# %% [markdown]
# The style changes how you *write* a model, not what it computes. Notebook 05 reuses this proof
# for the article's ResNet and its Functional twin.

# %% [markdown]
# ## The article's advice
#
# > 总结：一般情况下，简单的应用可以直接使用函数式API编程，对于复杂的网络的定义和训练可以使用类继承的方式，这样的代码逻辑和封装性较好
#
# *In summary: in general, simple applications can be written directly with the Functional
# API; complex networks can be defined and trained by subclassing, which gives better code
# logic and encapsulation.*
#
# This notebook adds: the choice is about code, not results (the three MLPs agreed to the last
# bit); subclassing gives structure but costs the tools; mixing the styles gets both.
# [Notebook 10](10_choosing_an_api.ipynb) weighs the advice against the whole series.

# %% [markdown]
# ## Recap
#
# - A subclassed layer or model creates its sublayers as attributes in `__init__` and runs them
#   in `call`; `build` is for weights made with `add_weight`, and for `model.build(shape)`.
# - `fit` passes `training=True`, `predict`/`evaluate` pass `False`. An inner layer inherits the
#   enclosing call's value, an explicit value wins, and mode-dependent code must take `training`.
# - `model.build(shape)` on a subclassed model without its own `build` builds nothing (0
#   parameters). Call the model on data, write a real `build`, or wrap it:
#   `keras.Model(inputs, model.call(inputs))`.
# - A subclassed model has no graph (one box in a diagram, no intermediate outputs); custom
#   layers in Functional models keep the tools.
# - Sequential, Functional and subclassed versions of one network are the same model.

# %% [markdown]
# ## Exercises
#
# Fill in the cell marked `# EXERCISE`, then run the checker below it (✅, or ❌ with a hint);
# pass it the class, not an instance. Worked answers:
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
# and before a `Dense(10, activation="softmax")`. Give it a real `build` (fix 2), and check that
# `build` + `summary()` counts every parameter. Give it also a `get_config` that adds
# `hidden_units` to `super().get_config()`: without it, the saved file records the default
# `hidden_units`, not the value passed ([notebook 07](07_saving.ipynb) explains why). The checker
# saves your model to a `.keras` file and loads it back.

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
# It uses `Conv2D` (in the article's `conv3x3` below), which [notebook 04](04_resnet_block.ipynb)
# explains: best done after 04's convolution section.
#
# Write the article's `ResnetBlock(channels, strides=1, residual_path=False)` as a
# `keras.layers.Layer` (not a `Model`). Its branch is BatchNormalization → ReLU →
# `conv3x3(channels, strides)` → BatchNormalization → ReLU → `conv3x3(channels)`; the shortcut
# is the input itself or, with `residual_path=True`, BatchNormalization → ReLU → a 1×1
# `conv3x3(channels, strides, kernel=(1, 1))`; the output is branch + shortcut, with nothing
# after the sum. Pass `training` to every BatchNormalization. Give it a `build` that builds its
# sublayers, so that `model.build(...)` + `summary()` shows the right parameter count. Then use
# two such blocks inside a Functional model and plot it.

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
