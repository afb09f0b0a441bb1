# %% [markdown]
# # 10 · Choosing an API
#
# The series has written the same kinds of network three ways: as a `Sequential` stack
# ([01](01_sequential.ipynb)), as a graph with the Functional API ([02](02_functional_api.ipynb)),
# and as a subclass of `keras.Model` ([03](03_subclassing.ipynb) to
# [09](09_scaling_out.ipynb)). The source article ends with a one-line verdict on when to use
# which. This notebook tests that verdict against what notebooks 01–09 showed, runs the
# decisive comparisons once more side by side, and ends with a decision guide — whose last
# question, which backend runs Keras, draws on the notebook after this one,
# [11 · Beyond TensorFlow](11_beyond_tensorflow.ipynb).
#
# **What you will learn**
#
# - what the article concludes, in its words and in English, and which part of it holds;
# - that the three styles compute the same function: the choice is about code, never accuracy;
# - what each style gives and costs, measured here rather than asserted: `summary()`, diagrams,
#   intermediate outputs, saving;
# - the hybrid most real code uses: subclassed blocks assembled with the Functional API;
# - a short decision guide for your next model, backend included.

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
# Notebooks 01 and 03 wrote one MLP several ways and got identical predictions after copying
# weights; notebook 05 did the same for the article's ResNet and its Functional twin. Here it is
# once more for the ResNet: the subclassed model and the Functional twin, same weights, same
# outputs.

# %%
seed_everything(cfg.seed)
subclassed = ResNet([2, 2, 2], 10)
subclassed.build((None, 28, 28, 1))
functional = build_functional_resnet([2, 2, 2], 10, input_shape=(28, 28, 1))
functional.set_weights(subclassed.get_weights())

x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
outputs = [np.asarray(model(x, training=False)) for model in (subclassed, functional)]
gap = np.abs(outputs[0] - outputs[1]).max()
assert gap == 0
print(f"parameters: {subclassed.count_params():,} vs {functional.count_params():,}; largest "
      f"difference between their logits on 8 images, in inference mode: {gap}")

# %% [markdown]
# So the style cannot make a network more accurate: the same layers and weights compute the
# same function. Whatever we choose, we choose for the *code* — how easy it is to write, read,
# inspect, save, reuse and debug. That is what the article's claim (2) is about.

# %% [markdown]
# ## Evidence 2: what each style gives and costs, measured
#
# Rather than list the trade-offs from memory, we build the same small network — 784 → 64 →
# 10, 50,890 parameters — in each style and *try* four things on each: parameters counted (as
# `summary()` shows them) after `build()`, before the model has seen data; a diagram of its
# layers; a feature extractor from an intermediate layer; and a save/load round trip with no
# extra code. The subclassed version is written the way the article writes its models: layers
# in `__init__`, the forward pass in `call`, nothing else.

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
# Each test returns whether the capability works and what it saw: a count, a shape, or the
# name of the exception that stopped it (Δ is the largest difference between the outputs
# before saving and after loading). An exception counts as "no": that is the point of the
# experiment.

# %%
def params_before_data(make):
    model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # subclassed: "no build() method" warning
        model.build((None, 784))
    return model.count_params() == 50_890, f"{model.count_params():,}"


def diagram_shows_layers(make):
    model = make()
    model(np.zeros((1, 784), np.float32))
    boxes = [n for n in keras.utils.model_to_dot(model).get_nodes() if n.get_name() != "node"]
    return len(boxes) >= 2, f"{len(boxes)} box" + "es" * (len(boxes) != 1)  # "node": defaults


def intermediate_output(make):
    model = make()
    model(np.zeros((1, 784), np.float32))
    try:
        extractor = keras.Model(model.inputs, model.layers[-2].output)
        return True, str(extractor.output.shape)
    except (AttributeError, ValueError, TypeError) as error:
        return False, type(error).__name__


def save_and_load_without_extra_code(make):
    model = make()
    x = np.ones((2, 784), np.float32)
    expected = model(x)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        try:
            loaded = keras.models.load_model(path)
        except TypeError as error:                # "Could not locate class 'SubclassedMLP'"
            return False, type(error).__name__
    gap = np.abs(np.asarray(loaded(x)) - np.asarray(expected)).max()
    return gap == 0, f"reloaded, Δ {gap:g}"


TESTS = {
    "parameters after build(), before data": params_before_data,
    "plot_model draws the layers": diagram_shows_layers,
    "feature extractor from layer.output": intermediate_output,
    ".keras round trip with no extra code": save_and_load_without_extra_code,
}

# %%
results = {name: {style: test(make) for style, make in STYLES.items()} for name, test in TESTS.items()}

print(f"{'':38}" + "".join(f"{style:>20}" for style in STYLES))
for name, row in results.items():
    cells = (f"{'yes' if ok else 'no'}: {seen}" for ok, seen in row.values())
    print(f"{name:38}" + "".join(f"{cell:>20}" for cell in cells))

# %% [markdown]
# The pattern is clear: **the Sequential and Functional models are data structures** — a graph
# of layers that Keras can inspect, draw, cut at any layer and rebuild from a config file.
# (The Sequential diagram has one box fewer because a Sequential model lists no input layer.)
# **A subclassed model is a program** — Keras knows its layers (they are attributes) but not
# how `call` wires them until it runs, so everything that needs the wiring in advance is lost,
# and reloading needs your class (registered, or passed to `load_model` as `custom_objects`;
# notebook 07).
#
# Each "no" has a fix, and the series showed them: a real `build()` or a call on a batch
# (03, 05), a Functional wrapper on `keras.Input` for `summary`, `plot_model` and intermediate
# outputs (03), and registration — plus a `get_config` when the constructor takes arguments —
# for saving (07). Each fix is code you write.

# %%
passed = {style: sum(results[name][style][0] for name in TESTS) for style in STYLES}
assert passed == {"Sequential": 4, "Functional": 4, "Subclassed": 0}
print(", ".join(f"{style}: {n} of {len(TESTS)} tests passed" for style, n in passed.items()))

# %% [markdown]
# ## The whole picture, with where each fact was shown
#
# | | Sequential | Functional | Subclassing |
# |---|---|---|---|
# | **Expressiveness** | one input, one output, a straight line; no branches or skips ([01](01_sequential.ipynb), *What a plain stack cannot say*) | any fixed graph of layers: several inputs and outputs, shared layers, skips ([02](02_functional_api.ipynb)), the whole ResNet ([05](05_resnet.ipynb), *A Functional twin*) | any Python in `call`: loops, `if`s, code that depends on `training` ([03](03_subclassing.ipynb), *The `training` argument*) |
# | **`summary()`** | full, at once from `keras.Input` ([01](01_sequential.ipynb)) | full, with real shapes ([02](02_functional_api.ipynb), [05](05_resnet.ipynb)) | 0 parameters after `build(shape)` unless you write `build()` or call the model on data — the article's own pitfall ([03](03_subclassing.ipynb), *The summary pitfall*; [05](05_resnet.ipynb)) |
# | **`plot_model`** | every layer (above) | every layer and branch ([02](02_functional_api.ipynb)); a subclassed block inside stays one box ([05](05_resnet.ipynb)) | one box ([03](03_subclassing.ipynb), *What subclassing gives up*) |
# | **Intermediate outputs** | `layer.output` (above) | `layer.output` ([02](02_functional_api.ipynb), *Looking inside*) | not available; wrap `call` on a `keras.Input` first ([03](03_subclassing.ipynb), fix 3) |
# | **Saving** | automatic (above) | automatic (above) | registration (or `custom_objects`), and a `get_config` of its own when the constructor takes arguments; loading needs the code ([07](07_saving.ipynb)) |
# | **Debugging** | a wiring error as soon as the model is built, with shapes ([01](01_sequential.ipynb)) | a shape error while you wire the graph, before any data ([02](02_functional_api.ipynb), *A skip connection*) | a wiring error only when `call` first runs ([04](04_resnet_block.ipynb), *Without the projection*); but `call` is your Python, run eagerly when you call the model yourself, so `print` and a debugger work in it ([08](08_custom_training.ipynb), *Speed*) |
# | **Reuse and encapsulation** | a Sequential model can be a layer of another model ([03](03_subclassing.ipynb), *Mixing the styles*) | a layer called twice shares its weights ([02](02_functional_api.ipynb), *A shared layer*); models nest like layers ([03](03_subclassing.ipynb)) | a class with parameters — `ResnetBlock(channels, strides, residual_path)` — the article's strongest argument ([04](04_resnet_block.ipynb), [05](05_resnet.ipynb)) |
# | **Custom training** | a hand-written loop takes any model, and must pass `training=True` itself ([08](08_custom_training.ipynb)); `train_step` needs a subclass of the model class | the same; a `keras.Model` subclass with a `train_step` can still be called with `inputs, outputs` | `train_step` in the class itself, or a hand-written loop ([08](08_custom_training.ipynb)) |
# | **Distribution, mixed precision** | the same code ([09](09_scaling_out.ipynb): Sequential models under a strategy) | the same code ([09](09_scaling_out.ipynb): mixed precision wraps the ResNet in a Functional model) | the same code ([09](09_scaling_out.ipynb): the ResNet on two replicas) |
# | **Results** | identical for the same layers and weights ([01](01_sequential.ipynb), [03](03_subclassing.ipynb), [05](05_resnet.ipynb), above) | identical | identical |
# | **Pitfalls met in this series** | no `Input` → no weights until built ([01](01_sequential.ipynb)) | the article's example: four errors, none of them the Functional API's ([02](02_functional_api.ipynb)) | `build()` then `summary()` shows 0 ([03](03_subclassing.ipynb), [05](05_resnet.ipynb)); a `call` that hard-codes `training` ([03](03_subclassing.ipynb)); "Could not locate class" ([07](07_saving.ipynb)) |

# %% [markdown]
# ## The hybrid most real code uses
#
# The article's argument for subclassing is *encapsulation*: `ResnetBlock(channels, strides,
# residual_path)` hides a dozen lines behind a name, and `ResNet(block_list, num_classes)`
# builds a network from a plan. But encapsulation is a property of the **blocks**, and blocks can
# be subclassed *layers* that you then wire with the Functional API. You keep the clean classes
# and get back the summary, diagram, intermediate outputs and saving of the table above — for
# the graph of blocks: each block itself stays one box (notebook 05's diagram).
#
# `build_functional_resnet` in `helpers.models` does exactly that: the series' `ResnetBlock`
# (the article's block: a `keras.Model` subclass, and every model is also a layer; registered,
# with `build` and `get_config`), assembled into a Functional graph. Its summary has real shapes
# for every stage:

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
#    changes per call)? **Subclass `keras.Model`** — and pay the costs knowingly: write `build()`
#    and `get_config`, register the class, and call it on a batch before `summary()` (a wrapper
#    on `keras.Input` cannot run Python `if`s on values: a symbolic tensor is no boolean).
# 5. **A training procedure `fit` does not know** (GANs, custom losses on several passes)?
#    Override **`train_step`** in a subclass of whichever model class you use
#    ([08](08_custom_training.ipynb)); a hand-written loop only when you need full control.
# 6. **Which backend?** Keras 3 runs the same code on TensorFlow, JAX or PyTorch. TensorFlow by
#    default and on a CPU, where its convolutions run on oneDNN, Intel's tuned CPU library
#    (on the CPU that built [11](11_beyond_tensorflow.ipynb), about twice as fast as JAX); JAX
#    for `keras.distribution`, for JAX's own tools, or on accelerators where it measures
#    faster. The model code and the `.keras` file stay the same ([11](11_beyond_tensorflow.ipynb));
#    choose with the environment variable `KERAS_BACKEND`, set before `keras` is imported.

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
# **Next:** [11 · Beyond TensorFlow](11_beyond_tensorflow.ipynb) — the same ResNet on JAX, a
# `.keras` file that crosses backends, and Keras 3's own `keras.distribution`.
