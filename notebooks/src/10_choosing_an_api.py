# %% [markdown]
# # 10 · Choosing an API
#
# The series has written the same kinds of network three ways: as a `Sequential` stack
# ([01](01_sequential.ipynb)), as a graph with the Functional API ([02](02_functional_api.ipynb)),
# and as a subclass of `keras.Model` ([03](03_subclassing.ipynb) to
# [09](09_scaling_out.ipynb)). The source article ends with a one-line verdict on when to use
# which. This last notebook tests that verdict against what notebooks 01–09 showed, runs the
# decisive comparisons once more side by side, and ends with a decision guide.
#
# **What you will learn**
#
# - what the article concludes, in its words and in English, and which part of it holds;
# - that the three styles compute the same function: the choice is about code, never accuracy;
# - what each style gives and costs, measured here rather than asserted: `summary()`, diagrams,
#   intermediate outputs, saving;
# - the hybrid most real code uses: subclassed blocks assembled with the Functional API;
# - a short decision guide for your next model.

# %% [markdown]
# ## Set-up

# %%
import helpers

cfg = helpers.setup()

# %%
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np

from helpers.models import ResNet, ResnetBlock, build_functional_resnet, conv3x3
from helpers.runtime import seed_everything

# %% [markdown]
# ## The article's conclusion
#
# > 总结：一般情况下，简单的应用可以直接使用函数式API编程，对于复杂的网络的定义和训练可以使用类继承的方式，这样的代码逻辑和封装性较好
#
# *In short: in general, simple applications can use the Functional API directly; complex
# networks can be defined and trained by class inheritance (subclassing), which gives better
# code structure and encapsulation.*
#
# It makes two claims. **(1)** The Functional API is enough for simple models. **(2)** Complex
# networks are better written by subclassing, *because* the code is better organised and
# encapsulated. The [glossary](../GLOSSARY.md) gives the Chinese terms (函数式API, 类继承,
# 封装性). Let us check both claims against the evidence.

# %% [markdown]
# ## Evidence 1: the style does not change the function
#
# Notebook 03 wrote one MLP three ways and got identical predictions after copying weights;
# notebook 05 did the same for the article's ResNet and its Functional twin. Here it is once
# more for the ResNet: the subclassed model and the Functional twin, same weights, same outputs.

# %%
seed_everything(cfg.seed)
subclassed = ResNet([2, 2, 2], 10)
subclassed.build((None, 28, 28, 1))
functional = build_functional_resnet([2, 2, 2], 10, input_shape=(28, 28, 1))
functional.set_weights(subclassed.get_weights())

x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
print("parameters:", subclassed.count_params(), "vs", functional.count_params())
print("identical outputs (inference):",
      np.array_equal(subclassed(x, training=False), functional(x, training=False)))

# %% [markdown]
# So no style is more accurate, trains faster per step, or generalises better: the layers and
# the arithmetic are the same. Whatever we choose, we choose for the *code* — how easy it is to
# write, read, inspect, save, reuse and debug. That is what the article's claim (2) is about.

# %% [markdown]
# ## Evidence 2: what each style gives and costs, measured
#
# Rather than list the trade-offs from memory, we build the same small network — 784 → 64 →
# 10 — in each style and *try* four things on each: a `summary()` with real parameters before
# the model has seen data, a diagram of its layers, a feature extractor from an intermediate
# layer, and a save/load round trip with no extra code. The subclassed version is written the
# way the article writes its models: layers in `__init__`, the forward pass in `call`, nothing
# else.

# %%
def sequential_mlp():
    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(64, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


def functional_mlp():
    inputs = keras.Input(shape=(784,))
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))


class SubclassedMLP(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(64, activation="relu")
        self.out = keras.layers.Dense(10, activation="softmax")

    def call(self, inputs):
        return self.out(self.hidden(inputs))


STYLES = {"Sequential": sequential_mlp, "Functional": functional_mlp, "Subclassed": SubclassedMLP}


# %% [markdown]
# Each test is a small function that returns `True` when the capability works. Failures are
# caught and counted as "no": that is the point of the experiment.

# %%
def params_before_data(make):
    model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # subclassed: "no build() method" warning
        model.build((None, 784))
    return model.count_params() == 784 * 64 + 64 + 64 * 10 + 10


def diagram_shows_layers(make):
    model = make()
    model(np.zeros((1, 784), np.float32))
    dot = keras.utils.model_to_dot(model)
    return len(dot.get_nodes()) > 2               # a subclassed model is drawn as one box


def intermediate_output(make):
    model = make()
    model(np.zeros((1, 784), np.float32))
    try:
        keras.Model(model.inputs, model.layers[-2].output)
        return True
    except (AttributeError, ValueError, TypeError):
        return False


def save_and_load_without_extra_code(make):
    model = make()
    x = np.ones((2, 784), np.float32)
    expected = model(x)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        try:
            loaded = keras.models.load_model(path)
        except TypeError:                         # "Could not locate class 'SubclassedMLP'"
            return False
    return np.allclose(loaded(x), expected)


TESTS = {
    "summary() counts parameters before data": params_before_data,
    "plot_model draws every layer": diagram_shows_layers,
    "feature extractor from layer.output": intermediate_output,
    ".keras round trip with no extra code": save_and_load_without_extra_code,
}

# %%
results = {name: {style: test(make) for style, make in STYLES.items()} for name, test in TESTS.items()}

print(f"{'':42}" + "".join(f"{style:>12}" for style in STYLES))
for name, row in results.items():
    print(f"{name:42}" + "".join(f"{'yes' if ok else 'no':>12}" for ok in row.values()))

# %% [markdown]
# The pattern is clear: **the Sequential and Functional models are data structures** — a graph
# of layers that Keras can inspect, draw, cut at any layer and rebuild from a config file.
# **A subclassed model is a program** — Keras knows its layers but not how `call` wires them
# until it runs, so everything that needs the wiring in advance is lost, and reloading needs
# your class (registered, with a `get_config`, as notebook 07 showed).
#
# Each "no" has a fix, and the series showed them: a real `build()` or a call on a batch
# (03, 05), a Functional wrapper on `keras.Input` for `summary`, `plot_model` and intermediate
# outputs (03), and `register_keras_serializable` + `get_config` for saving (03, 07). Each fix
# is code you write.

# %%
assert results["summary() counts parameters before data"] == {"Sequential": True, "Functional": True, "Subclassed": False}
assert not any(results[name]["Subclassed"] for name in TESTS)
assert all(results[name]["Functional"] for name in TESTS)
print("Functional passes every test; the plain subclassed model passes none:",
      all(results[n]["Functional"] for n in TESTS) and not any(results[n]["Subclassed"] for n in TESTS))

# %% [markdown]
# ## The whole picture, with where each fact was shown
#
# | | Sequential | Functional | Subclassing |
# |---|---|---|---|
# | **Expressiveness** | one input, one output, a straight line; no branches or skips ([01](01_sequential.ipynb)) | any graph of layers: several inputs and outputs, shared layers, skips ([02](02_functional_api.ipynb)), the whole ResNet ([05](05_resnet.ipynb)) | anything Python can do in `call`: loops, conditions on values, `training`-dependent paths ([03](03_subclassing.ipynb)) |
# | **`summary()`** | full, at once from `keras.Input` ([01](01_sequential.ipynb)) | full, with real shapes ([02](02_functional_api.ipynb), [05](05_resnet.ipynb)) | 0 parameters after `build(shape)` unless you write `build()` — the article's own pitfall ([03](03_subclassing.ipynb), [05](05_resnet.ipynb)) |
# | **`plot_model`** | every layer (above) | every layer and branch ([02](02_functional_api.ipynb), [05](05_resnet.ipynb)) | one box ([03](03_subclassing.ipynb)) |
# | **Intermediate outputs** | `layer.output` (above) | `layer.output` ([02](02_functional_api.ipynb)) | not available; wrap `call` on a `keras.Input` first ([03](03_subclassing.ipynb)) |
# | **Saving** | automatic (above) | automatic (above) | needs registration and `get_config`; loading needs the code ([03](03_subclassing.ipynb), [07](07_saving.ipynb)) |
# | **Debugging** | errors at build time, with shapes ([01](01_sequential.ipynb)) | shape errors when you wire the graph, before any data ([02](02_functional_api.ipynb)) | errors when data first flows; but you can print or step through `call` eagerly ([03](03_subclassing.ipynb), [08](08_custom_training.ipynb)) |
# | **Reuse and encapsulation** | a stack can be a layer in another model | a model is a layer: nest and share it ([02](02_functional_api.ipynb), [03](03_subclassing.ipynb)) | a class with parameters — `ResnetBlock(channels, strides, residual_path)` — the article's strongest argument ([04](04_resnet_block.ipynb), [05](05_resnet.ipynb)) |
# | **Custom training** | `train_step` needs a subclass | `train_step` needs a subclass | `train_step` or your own loop ([08](08_custom_training.ipynb)) |
# | **Distribution, mixed precision** | unchanged ([09](09_scaling_out.ipynb)) | unchanged ([09](09_scaling_out.ipynb)) | unchanged ([09](09_scaling_out.ipynb)) |
# | **Results** | identical for the same layers and weights ([03](03_subclassing.ipynb), [05](05_resnet.ipynb), above) | identical | identical |
# | **Pitfalls met in this series** | no `Input` → not built yet ([01](01_sequential.ipynb)) | the article's four errors ([02](02_functional_api.ipynb)) | `build()`/`summary()` shows 0; `training` must reach BatchNormalization ([03](03_subclassing.ipynb), [08](08_custom_training.ipynb)); "Could not locate class" ([07](07_saving.ipynb)) |

# %% [markdown]
# ## The hybrid most real code uses
#
# The article's argument for subclassing is *encapsulation*: `ResnetBlock(channels, strides,
# residual_path)` hides a dozen lines behind a name, and `ResNet(block_list, num_classes)`
# builds a network from a plan. But encapsulation is a property of the **blocks**, and blocks can
# be subclassed *layers* that you then wire with the Functional API. You keep the clean classes
# and get back everything in the table above.
#
# `build_functional_resnet` in `helpers.models` does exactly that: the article's subclassed
# `ResnetBlock`, assembled into a Functional graph. Its summary has real shapes for every stage:

# %%
functional.summary(line_length=90)

# %% [markdown]
# And here is the same idea, written out in six lines: a small network of two subclassed blocks,
# wired functionally.

# %%
inputs = keras.Input(shape=(28, 28, 1))
x = conv3x3(16)(inputs)
x = ResnetBlock(16)(x)
x = ResnetBlock(32, strides=2, residual_path=True)(x)
x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(keras.layers.BatchNormalization()(x)))
hybrid = keras.Model(inputs, keras.layers.Dense(10)(x), name="hybrid")
print("layers:", [type(layer).__name__ for layer in hybrid.layers])
print("output shape:", hybrid.output_shape, "| parameters:", f"{hybrid.count_params():,}")

# %% [markdown]
# ## The verdict
#
# **Claim (1) holds**, and is if anything too modest: the Functional API is not only for simple
# applications. Several inputs and outputs, shared layers, skip connections and the article's
# entire ResNet are graphs of layers, and the Functional API expresses them with nothing lost.
#
# **Claim (2) holds in part.** Subclassing does give better structure and encapsulation — for
# *components*. For a whole model it costs the inspection, diagrams, intermediate outputs and
# free serialization that the table measured, and the article's own `build()` + `summary()`
# example walks straight into the first of those costs under Keras 3. "Complex" alone is not
# the reason to subclass; *dynamic* is: a forward pass with Python control flow that depends on
# the data, a model whose structure changes between calls, or research code where you want to
# step through `call` line by line.
#
# ## A decision guide
#
# 1. **A straight stack of layers, one input, one output?** `keras.Sequential`, starting from
#    `keras.Input`.
# 2. **Anything else that is a fixed graph of layers** (branches, several inputs/outputs, shared
#    layers, skips, a ResNet)? **The Functional API.**
# 3. **A repeated component with parameters** (a residual block, an attention block)? Write it as
#    a **subclassed `Layer`** with a real `build()` and a `get_config`, register it, and wire
#    the blocks with the Functional API (the hybrid above).
# 4. **A forward pass that is a program** (loops or branches on data values, a structure that
#    changes per call)? **Subclass `keras.Model`** — and pay the costs knowingly: write `build()`,
#    `get_config`, register the class, and wrap it in `keras.Input` when you want a summary.
# 5. **A training procedure `fit` does not know** (GANs, custom losses on several passes)?
#    Override **`train_step`** on whichever model you have ([08](08_custom_training.ipynb)); a
#    hand-written loop only when you need full control.

# %% [markdown]
# ## Recap
#
# - The article: Functional for simple applications, subclassing for complex networks because
#   of structure and encapsulation.
# - The three styles compute identical functions; the choice is about code.
# - Measured here: a Functional model passes every inspection and saving test; a plain subclassed
#   model passes none without extra code.
# - The best of both: subclassed *blocks*, Functional *models*. Subclass a whole model when the
#   forward pass is genuinely dynamic.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, then run the checker below it. Worked
# answers: [solutions/10_choosing_an_api_solutions.ipynb](solutions/10_choosing_an_api_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): which API?
#
# For each situation, answer `"sequential"`, `"functional"` or `"subclassing"` following the
# decision guide. The checker explains any answer it disagrees with.

# %%
# EXERCISE 1
api_choices = {
    "an MLP classifier: Flatten, Dense, Dense": None,
    "an image and a text length in, a class and a price out": None,
    "a siamese network: one encoder applied to two images": None,
    "a forward pass that repeats a block until its output stops changing": None,
    "the article's ResNet, when you want summary() and plot_model to show every stage": None,
}

# %%
checks.api_choices(api_choices)

# %% [markdown]
# ### Exercise 2 (practice): give a subclassed model a Functional face
#
# Write `to_functional(model, input_shape)`: it returns a Functional `keras.Model` on
# `keras.Input(shape=input_shape)` that uses the *same* layers (and so the same weights) as the
# subclassed `model`, so `summary()` and `plot_model` show every layer. Hint: notebook 03's
# third fix.

# %%
# EXERCISE 2
def to_functional(model, input_shape):
    return None  # your Functional model here


# %%
checks.functional_face(to_functional)

# %% [markdown]
# ### Exercise 3 (stretch): the hybrid, one stage deeper
#
# Write `build_hybrid_resnet()`: a Functional model on 28 × 28 × 1 images built from
# `helpers.models` pieces — `conv3x3(16)`, then `ResnetBlock(16)`, `ResnetBlock(32, strides=2,
# residual_path=True)` and `ResnetBlock(64, strides=2, residual_path=True)`, then
# BatchNormalization → ReLU → global average pooling → `Dense(10)`. Every block must appear as
# its own layer in `model.layers`.

# %%
# EXERCISE 3
def build_hybrid_resnet():
    return None  # your model here


# %%
checks.hybrid_resnet(build_hybrid_resnet)

# %% [markdown]
# This is the end of the series. Back to the start: [01 · The Sequential model](01_sequential.ipynb).
