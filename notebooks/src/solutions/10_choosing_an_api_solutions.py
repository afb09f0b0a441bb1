# %% [markdown]
# # 10 · Choosing an API — solutions
#
# Worked answers to the exercises of [10 · Choosing an API](../10_choosing_an_api.ipynb), each
# followed by the checker the notebook uses.

# %%
import helpers

cfg = helpers.setup()

# %%
import keras

from helpers import checks
from helpers.models import ResnetBlock, conv3x3

# %% [markdown]
# ## Exercise 1: which API?
#
# Walk the decision guide: a stack → Sequential; several inputs/outputs or a shared layer → a
# graph → Functional; a loop whose length depends on the data → a program → subclassing; the
# ResNet is a fixed graph, so the Functional API (with subclassed blocks) keeps `summary()` and
# `plot_model` complete.

# %% tags=["solution"]
api_choices = {
    "an MLP classifier: Flatten, Dense, Dense": "sequential",
    "an image and a text length in, a class and a price out": "functional",
    "a siamese network: one encoder applied to two images": "functional",
    "a forward pass that repeats a block until its output stops changing": "subclassing",
    "the article's ResNet, when you want summary() and plot_model to show every stage": "functional",
}

# %%
checks.api_choices(api_choices)

# %% [markdown]
# ## Exercise 2: a Functional face
#
# Calling `model(inputs)` on a `keras.Input` adds the whole subclassed model as *one* node.
# Calling `model.call(inputs)` runs its forward pass on the symbolic tensor, so every inner layer
# becomes a node of the new graph — with the same layer objects, hence the same weights.

# %% tags=["solution"]
def to_functional(model, input_shape):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, model.call(inputs), name=f"{model.name}_functional")


# %%
checks.functional_face(to_functional)

# %% [markdown]
# ## Exercise 3: the hybrid, one stage deeper
#
# Subclassed blocks (`helpers.models.ResnetBlock`, the article's block) wired with the
# Functional API: each block is one layer of the graph, so `summary()` lists every stage with its
# output shape.

# %% tags=["solution"]
def build_hybrid_resnet():
    inputs = keras.Input(shape=(28, 28, 1))
    x = conv3x3(16)(inputs)
    x = ResnetBlock(16)(x)
    x = ResnetBlock(32, strides=2, residual_path=True)(x)
    x = ResnetBlock(64, strides=2, residual_path=True)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x), name="hybrid_resnet")


# %%
checks.hybrid_resnet(build_hybrid_resnet)

# %%
build_hybrid_resnet().summary(line_length=90)
