# %% [markdown]
# # 02 · The Functional API — solutions
#
# Worked answers to the exercises of [02 · The Functional API](../02_functional_api.ipynb), each
# followed by the checker the notebook uses. Try the exercises first!

# %%
import helpers

cfg = helpers.setup()

# %%
import os

import keras
import numpy as np
from keras import layers

from helpers import checks
from helpers.data import CLASS_NAMES, load_fashion_mnist
from helpers.runtime import seed_everything

# %% [markdown]
# ## Exercise 1: the article's network for 64 features
#
# Only the input and the first `Dense` layer change. That layer now has a 64 × 256 kernel and 256
# biases, 16,640 parameters instead of 128 × 256 + 256 = 33,024; every other layer keeps its size.
# So the count drops by 64 × 256 = 16,384, from 239,178 to 222,794. The compile call is the
# article's, with its one fix: the Keras optimizer `keras.optimizers.RMSprop(learning_rate=0.001)`.

# %% tags=["solution"]
def build_article_mlp_64():
    inputs = keras.Input(shape=(64,), name="features")
    x = layers.Dense(256, activation="relu")(inputs)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="article_mlp_64")
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
                  loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# %%
checks.article_mlp_64(build_article_mlp_64)

# %% [markdown]
# ## Exercise 2: two heads, one input
#
# Without the histogram there is nothing to join, so the `Concatenate` goes too: the image's
# features feed the trunk directly, and the two heads split off it as before. Each output keeps
# its own loss, named by the output: 10 classes with integer labels take
# `sparse_categorical_crossentropy`, the yes/no question from one sigmoid unit
# `binary_crossentropy`. As in the notebook, the footwear loss counts half in the total; the
# `loss_weights` argument lets us change that for the second question.

# %% tags=["solution"]
def build_image_only_two_heads(loss_weights=None):
    image = keras.Input(shape=(28, 28), name="image")
    features = layers.Dense(128, activation="relu", name="image_features")(layers.Flatten()(image))
    trunk = layers.Dense(64, activation="relu", name="trunk")(features)
    clothing_class = layers.Dense(10, activation="softmax", name="clothing_class")(trunk)
    footwear = layers.Dense(1, activation="sigmoid", name="footwear")(trunk)
    model = keras.Model(inputs=image, outputs={"clothing_class": clothing_class, "footwear": footwear},
                        name="image_only_two_heads")
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
        loss={"clothing_class": "sparse_categorical_crossentropy", "footwear": "binary_crossentropy"},
        loss_weights=loss_weights or {"clothing_class": 1.0, "footwear": 0.5},
        metrics={"clothing_class": ["accuracy"], "footwear": ["accuracy"]},
    )
    return model


# %%
checks.image_only_two_heads(build_image_only_two_heads)

# %% [markdown]
# Now the questions. Train it as in the notebook, and a second copy with the footwear loss
# weighted 0:

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train, x_test = x_train.astype("float32") / 255.0, x_test.astype("float32") / 255.0
footwear_classes = [CLASS_NAMES.index(name) for name in ("Sandal", "Sneaker", "Ankle boot")]
targets_train = {"clothing_class": y_train, "footwear": np.isin(y_train, footwear_classes).astype("float32")}
targets_test = {"clothing_class": y_test, "footwear": np.isin(y_test, footwear_classes).astype("float32")}

seed_everything(cfg.seed)
both = build_image_only_two_heads()
class_only = build_image_only_two_heads(loss_weights={"clothing_class": 1.0, "footwear": 0.0})
footwear_head_before = [w.copy() for w in class_only.get_layer("footwear").get_weights()]
print("parameters:", both.count_params())

# %% tags=["nbval-ignore-output"]
for model in (both, class_only):
    model.fit(x_train, targets_train, batch_size=64, epochs=cfg.pick(class_=3, full=10), verbose=2)
scores = {name: model.evaluate(x_test, targets_test, verbose=0, return_dict=True)
          for name, model in (("both", both), ("class_only", class_only))}
for name, score in scores.items():
    print(f"{name}: test accuracy class {score['clothing_class_accuracy'] * 100:.1f} %, footwear {score['footwear_accuracy'] * 100:.1f} %")

# %%
class_accuracy = scores["both"]["clothing_class_accuracy"]
footwear_trained = scores["both"]["footwear_accuracy"]
footwear_untrained = scores["class_only"]["footwear_accuracy"]
footwear_head_after = class_only.get_layer("footwear").get_weights()
unchanged = all(np.array_equal(a, b) for a, b in zip(footwear_head_before, footwear_head_after))
class_says_shoe = np.isin(class_only.predict(x_test, verbose=0)["clothing_class"].argmax(axis=1), footwear_classes)
shoes_from_class_head = np.mean(class_says_shoe == targets_test["footwear"].astype(bool))
assert class_accuracy > 0.75 and footwear_trained > 0.95 and shoes_from_class_head > 0.95
assert unchanged and footwear_untrained < footwear_trained - 0.1
# accuracies rounded down (to 5 %, or 1 % near 100 %): the last digits vary between machines
print(f"without the histogram: class accuracy at least {5 * int(class_accuracy * 20)} % (above 75 %), "
      f"footwear at least {int(footwear_trained * 100)} %")
print("footwear weighted 0: its head's kernel and bias are exactly as they started")
print(f"footwear weighted 0: footwear accuracy at least {5 * int(footwear_untrained * 20)} %, "
      f"at least 10 points below the trained head's")
print("footwear weighted 0: 'is it a shoe?' read off the class head is right on more than 95 % of test images")

# %% [markdown]
# **Without the histogram** the class accuracy is about what the two-input model scored in the
# notebook (the exact test figures, above and there, are within about a point). That is
# no surprise: the histogram is computed from the image's own pixels, so it tells the network
# nothing the image does not; at best it saves the network a little work. A feature helps only
# when it carries information the other inputs lack.
#
# **With `loss_weights={"clothing_class": 1.0, "footwear": 0.0}`** the footwear loss no longer
# counts, so its gradient is zero and its head never learns: its weights are exactly the ones it
# started with, and its accuracy is whatever an untrained head scores, far below the trained
# head's. The trunk under it did learn, for the class head: asking that head "is the predicted
# class a sandal, sneaker or ankle boot?" answers the footwear question almost every time. Only
# the footwear head's untrained weights do not read it.

# %% [markdown]
# ## Exercise 3: a second residual block
#
# A block is the same few lines each time, so a small function that takes a tensor and returns
# one writes it once and calls it twice. Each call adds two `Dense(64)` layers,
# 2 × (64 × 64 + 64) = 8,320 parameters; `Add` and `Activation` have none. In total
# 50,240 (`dense_in`) + 2 × 8,320 + 650 (`predictions`) = 67,530.

# %% tags=["solution"]
def residual_block(x, name):
    y = layers.Dense(64, activation="relu", name=f"{name}_dense_1")(x)
    y = layers.Dense(64, name=f"{name}_dense_2")(y)
    y = layers.Add(name=f"{name}_add")([x, y])          # the skip: x + F(x)
    return layers.Activation("relu", name=f"{name}_relu")(y)


def build_two_block_residual():
    image = keras.Input(shape=(28, 28), name="image")
    x = layers.Dense(64, activation="relu", name="dense_in")(layers.Flatten()(image))
    x = residual_block(x, "block_1")
    x = residual_block(x, "block_2")
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(image, outputs, name="two_block_residual")


# %%
checks.two_block_residual(build_two_block_residual)

# %% [markdown]
# `plot_model` draws it with two arrows that bypass a block, one per `Add`:

# %%
os.makedirs("../build", exist_ok=True)
keras.utils.plot_model(build_two_block_residual(), to_file="../build/02_two_block_residual.png",
                       show_shapes=True, show_layer_names=True, dpi=60)

# %% [markdown]
# ## Exercise 4: a projection shortcut
#
# The main path has `Dense(32, relu)`, 64 × 32 + 32 = 2,080 parameters, and `Dense(32)`,
# 32 × 32 + 32 = 1,056. The projection on the skip is another 64 × 32 + 32 = 2,080. In total
# 5,216, against 8,320 for the 64-wide block: narrower layers, even with the extra projection.
# The projection is the price of changing the width; a block that keeps it adds `x` for free. In
# the article's `ResnetBlock`, `down_conv` (created when `residual_path=True`: a 1 × 1 convolution
# with the block's stride) is the projection: it brings the skip to the main path's shape.

# %% tags=["solution"]
def build_projection_block():
    inputs = keras.Input(shape=(64,), name="block_input")
    y = layers.Dense(32, activation="relu", name="main_dense_1")(inputs)
    y = layers.Dense(32, name="main_dense_2")(y)
    skip = layers.Dense(32, name="projection")(inputs)   # 64 -> 32, so that Add gets equal shapes
    y = layers.Add(name="add")([skip, y])
    outputs = layers.Activation("relu", name="relu")(y)
    return keras.Model(inputs, outputs, name="projection_block")


# %%
checks.projection_block(build_projection_block)
