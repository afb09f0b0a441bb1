# %% [markdown]
# # 02 · The Functional API
#
# [Notebook 01](01_sequential.ipynb) ended where a stack of layers stops: it cannot add two
# tensors. The source article's first example uses the **Functional API**, where you call layers
# on tensors yourself and so decide how they are wired. Its code no longer runs as printed; we fix
# it one error at a time, then do what a stack cannot. [Notebook 03](03_subclassing.ipynb) covers
# the article's second style, subclassing.
#
# **What you will learn**
#
# - how to build a model by calling layers on tensors, from `keras.Input` to `keras.Model(inputs, outputs)`;
# - why the article's example fails on TensorFlow 2.21 / Keras 3, what each error message means, and the fix;
# - how to give a model several inputs and several outputs, each output with its own loss;
# - how to share one layer between two branches, and how to add a skip connection (the first residual);
# - how to pull intermediate activations out of a trained model and look at them;
# - how to draw any Functional model with `keras.utils.plot_model`.

# %% [markdown]
# ## Set-up
#
# `helpers.setup()` comes first, as always. We also import TensorFlow: the article's code uses
# `tf.` names, and part of the lesson is which of them still exist.

# %%
import helpers

cfg = helpers.setup()

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from helpers.data import CLASS_NAMES, load_fashion_mnist
from helpers.runtime import seed_everything

# %% [markdown]
# ## The article's example
#
# The article (written for TensorFlow 2.0 and Python 3.7) introduces the Functional API with one
# sentence — "`tf.keras.Sequential` 模型是层的简单堆叠，无法表示任意模型。", *a `tf.keras.Sequential`
# model is a simple stack of layers and cannot represent arbitrary models* — and one listing,
# exactly as printed (the Chinese comments mean *build an input tensor* and *compile the model*):
#
# ```python
# import tensorflow as tf
# from tensorflow import keras
#
# inputs = tf.keras.Input(shape=(128,))  # 构建一个输入张量
# x = layers.Dense(256, activation='relu')(inputs)
# x = layers.Dense(512, activation='relu')(x)
# x = layers.Dense(128, activation='relu')(x)
# x = layers.Dense(64, activation='relu')(x)
# predictions = tf.nn.layers.Dense(10, activation='softmax')(x)
# model = tf.keras.Model(inputs=inputs, outputs=predictions)
# # 编译模型
# model.compile(optimizer=tf.train.RMSPropOptimizer(0.001),
#               loss='categorical_crossentropy',
#               metrics=['accuracy'])
# model.fit(data, labels, batch_size=32, epochs=5)
# ```
#
# Read it as a recipe. `keras.Input` makes a **symbolic tensor**: a placeholder that knows its
# shape, `(None, 128)` (`None` is the batch size, left open), but holds no numbers. Calling a
# layer on a tensor returns a new tensor, and Keras remembers the call. `keras.Model(inputs,
# outputs)` walks back from the output to the input and keeps every layer on the way: that graph
# of layers *is* the model. The idea still holds; the code has four mistakes, which we meet one
# cell at a time.
#
# ## Running it today, one error at a time
#
# ### 1. `layers` is never imported

# %% tags=["raises-exception"]
import tensorflow as tf
from tensorflow import keras

inputs = tf.keras.Input(shape=(128,))  # 构建一个输入张量 (build an input tensor)
x = layers.Dense(256, activation='relu')(inputs)

# %% [markdown]
# `NameError`: nothing defined the name `layers`. The listing imports `tensorflow` and `keras`
# but not the `layers` module; an import line was probably lost. The fix is
# `from keras import layers`. The article's `tf.keras.` names are fine: since TensorFlow 2.16,
# `tf.keras` is Keras 3 under another name, as this check shows.

# %%
import keras
from keras import layers   # the import the article left out

assert tf.keras.Input is keras.Input and tf.keras.Model is keras.Model
print(f"tf.keras is the module {tf.keras.__name__}: its Input and Model are keras.Input and keras.Model")

# %% [markdown]
# With `layers` defined, the next lines run unchanged; the network so far maps 128 features to 64.

# %%
inputs = tf.keras.Input(shape=(128,))
x = layers.Dense(256, activation='relu')(inputs)
x = layers.Dense(512, activation='relu')(x)
x = layers.Dense(128, activation='relu')(x)
x = layers.Dense(64, activation='relu')(x)
print("inputs:", inputs.shape, "-> x:", x.shape)

# %% [markdown]
# ### 2. `tf.nn.layers.Dense` does not exist

# %% tags=["raises-exception"]
predictions = tf.nn.layers.Dense(10, activation='softmax')(x)

# %% [markdown]
# `tf.nn` holds low-level operations on tensors (`tf.nn.relu`, `tf.nn.softmax`), and there has
# never been a `tf.nn.layers`: TensorFlow 1's layers were `tf.layers.Dense` and the like (with
# Keras 3 even `tf.compat.v1.layers.Dense` raises an `AttributeError`). The fix is the same
# `layers.Dense` as above.

# %%
predictions = layers.Dense(10, activation='softmax')(x)
model = tf.keras.Model(inputs=inputs, outputs=predictions)
print("output:", predictions.shape, "| parameters:", model.count_params())

# %% [markdown]
# ### 3. `tf.train.RMSPropOptimizer` is TensorFlow 1

# %% tags=["raises-exception"]
# 编译模型 (compile the model)
model.compile(optimizer=tf.train.RMSPropOptimizer(0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])

# %% [markdown]
# The `tf.train.*Optimizer` classes are TensorFlow 1's; TensorFlow 2 keeps them in `tf.compat.v1`.
# That suggests a tempting fix, which fails too:

# %% tags=["raises-exception"]
model.compile(optimizer=tf.compat.v1.train.RMSPropOptimizer(0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])

# %% [markdown]
# Keras 3 takes only its own optimizers, their names as strings (`'rmsprop'`) or their configs.
# The Keras one is `keras.optimizers.RMSprop`, with the keyword `learning_rate`:

# %%
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])
print("optimizer:", type(model.optimizer).__name__,
      "| learning rate:", round(float(model.optimizer.learning_rate), 6))

# %% [markdown]
# ### 4. `data` and `labels` are never defined

# %% tags=["raises-exception"]
model.fit(data, labels, batch_size=32, epochs=5)

# %% [markdown]
# `labels` is undefined too; the article never says what to train on. The model says what it
# must be: `data` of shape `(n, 128)`, and `labels` of shape `(n, 10)` holding **one-hot** rows
# (a single 1 at the class's position), as `categorical_crossentropy` over 10 units expects
# (integer labels take the *sparse* loss of notebook 01).
#
# ## The corrected example
#
# Seeded random numbers of that shape prove the code runs; `keras.utils.to_categorical` makes
# the one-hot rows.

# %%
rng = np.random.default_rng(cfg.seed)
data = rng.random((1000, 128)).astype("float32")
labels = keras.utils.to_categorical(rng.integers(0, 10, size=1000), num_classes=10)
print("data:", data.shape, data.dtype, "| labels:", labels.shape, "| first row:", labels[0])

# %% [markdown]
# The whole example with the four fixes — the version to copy, in the Keras 3 spellings
# `keras.Input` and `keras.Model`. `seed_everything(cfg.seed)` re-seeds every random number
# generator, so the starting weights are the same on every run (in your own code,
# `keras.utils.set_random_seed(42)`). Logs differ slightly between machines; the next cell checks
# what must hold.

# %% tags=["nbval-ignore-output"]
import keras
from keras import layers                                          # fix 1: import layers

seed_everything(cfg.seed)
inputs = keras.Input(shape=(128,))
x = layers.Dense(256, activation='relu')(inputs)
x = layers.Dense(512, activation='relu')(x)
x = layers.Dense(128, activation='relu')(x)
x = layers.Dense(64, activation='relu')(x)
predictions = layers.Dense(10, activation='softmax')(x)         # fix 2: layers, not tf.nn.layers
model = keras.Model(inputs=inputs, outputs=predictions)
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001),  # fix 3: a Keras optimizer
              loss='categorical_crossentropy',
              metrics=['accuracy'])
history = model.fit(data, labels, batch_size=32, epochs=5, verbose=2)  # fix 4: data and labels exist

# %% [markdown]
# The labels are random, so there is nothing to learn: the loss starts near −ln(1/10) ≈ 2.30,
# that of guessing 10 % for every class (notebook 01), and any rise in accuracy is memorising.
# We check that the corrected code trains and predicts.

# %%
first_loss = history.history["loss"][0]
probabilities = model.predict(data[:4], verbose=0)
assert len(history.history["loss"]) == 5 and abs(first_loss - np.log(10)) < 0.3
assert probabilities.shape == (4, 10) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
print(f"5 epochs run; first-epoch loss {first_loss:.1f}, within 0.3 of ln(10) = {np.log(10):.2f}")
print(f"predictions {probabilities.shape}, each row summing to {probabilities.sum(axis=1).mean():.3f}")

# %% [markdown]
# The `summary()` reads like a Sequential model's, plus a row for the `InputLayer` that
# `keras.Input` created (no parameters). By hand (inputs × units + units per
# `Dense`): 33,024 + 131,584 + 65,664 + 8,256 + 650 = 239,178 *Trainable params*. Training built
# the optimizer, so there are also *Optimizer params*: RMSprop keeps a running average of each
# weight's squared gradient (239,178 numbers) plus its step counter and learning rate.

# %%
model.summary()

# %% [markdown]
# ### Drawing the graph: `plot_model`
#
# A Functional model *is* a graph, so Keras can draw it: `keras.utils.plot_model` uses Graphviz
# (through `pydot`; `make lab` installs both), and `show_shapes=True` shows each layer's shapes,
# the quickest way to spot a wiring mistake. The article names no layer, so Keras numbers them
# (five `Dense` layers came before, hence `dense_5`); from now on we name ours.

# %%
os.makedirs("build", exist_ok=True)
keras.utils.plot_model(model, to_file="build/02_article_mlp.png",
                       show_shapes=True, show_layer_names=True, dpi=60)

# %% [markdown]
# ### Errata: why the article's code fails today, and the fix
#
# | The article's line | On TensorFlow 2.21 / Keras 3.15 | The fix |
# |---|---|---|
# | `x = layers.Dense(...)(inputs)` | `NameError: name 'layers' is not defined` | add `from keras import layers` |
# | `tf.nn.layers.Dense(10, activation='softmax')` | `AttributeError: ... 'tensorflow._api.v2.nn' has no attribute 'layers'` | `layers.Dense(10, activation='softmax')` |
# | `optimizer=tf.train.RMSPropOptimizer(0.001)` | `AttributeError: ... has no attribute 'RMSPropOptimizer'`; `tf.compat.v1`'s gives `ValueError: Could not interpret optimizer identifier` | `optimizer=keras.optimizers.RMSprop(learning_rate=0.001)` (or `'rmsprop'`: 0.001 is its default) |
# | `model.fit(data, labels, ...)` | `NameError: name 'data' is not defined` | `data` of shape `(n, 128)`, one-hot `labels` of shape `(n, 10)` |
#
# ## The same network on real images
#
# Random numbers prove that code runs, not that it learns. On Fashion-MNIST (notebook 01) each
# image becomes a flat vector of 784 numbers in 0…1, and the labels become one-hot rows.

# %%
(x_train_img, y_train), (x_test_img, y_test) = load_fashion_mnist()
x_train_img = x_train_img.astype("float32") / 255.0   # keep the 28 x 28 images for later sections
x_test_img = x_test_img.astype("float32") / 255.0
x_train = x_train_img.reshape(-1, 28 * 28)
x_test = x_test_img.reshape(-1, 28 * 28)
y_train_onehot = keras.utils.to_categorical(y_train, num_classes=10)
y_test_onehot = keras.utils.to_categorical(y_test, num_classes=10)
print("x_train:", x_train.shape, "| y_train_onehot:", y_train_onehot.shape, "| x_test:", x_test.shape)

# %% [markdown]
# Only the input width changes, so we wrap the network in a function of it: every call builds a
# fresh model. Each layer gets a name, to find it later.

# %%
def article_mlp(n_features):
    """The article's network, corrected, for inputs of `n_features` numbers."""
    inputs = keras.Input(shape=(n_features,), name="features")
    x = layers.Dense(256, activation="relu", name="hidden_1")(inputs)
    x = layers.Dense(512, activation="relu", name="hidden_2")(x)
    x = layers.Dense(128, activation="relu", name="hidden_3")(x)
    x = layers.Dense(64, activation="relu", name="hidden_4")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="article_mlp")
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


seed_everything(cfg.seed)
fashion_model = article_mlp(28 * 28)
by_hand = 239_178 - (128 * 256 + 256) + (784 * 256 + 256)   # only the first layer changes
print("parameters:", fashion_model.count_params(), "| by hand:", by_hand)

# %% [markdown]
# The article's batch size, 32, and its 5 epochs (15 in the `full` profile), holding back 10 % of
# the training images for validation; then the honest test, on images the model has never seen.

# %% tags=["nbval-ignore-output"]
history = fashion_model.fit(x_train, y_train_onehot, batch_size=32, epochs=cfg.pick(class_=5, full=15),
                            validation_split=0.1, verbose=2)
test_loss, test_accuracy = fashion_model.evaluate(x_test, y_test_onehot, verbose=0)
print(f"test accuracy {test_accuracy * 100:.1f} %")

# %%
logs = history.history
assert logs["loss"][-1] < logs["loss"][0] and logs["val_accuracy"][-1] > 0.78 and test_accuracy > 0.78
print(f"training loss {logs['loss'][0]:.1f} -> {logs['loss'][-1]:.1f} over {len(logs['loss'])} epochs")
# accuracies rounded down to 5 %: the last digits vary slightly from machine to machine
print(f"validation accuracy at least {5 * int(logs['val_accuracy'][-1] * 20)} %, test accuracy at least "
      f"{5 * int(test_accuracy * 20)} %: above the 78 % this lesson expects (guessing scores 10 %)")

# %% [markdown]
# So far the graph is a straight line, which `Sequential` could draw too. The rest of the
# notebook is what a line cannot do.
#
# ## Several inputs and several outputs
#
# Real problems often have more than one kind of input — a photo *and* a row of a table about it
# — and ask more than one question. Our toy version:
#
# - input `image`: the 28 × 28 picture;
# - input `histogram`: the share of pixels in each of 16 brightness bands (a stand-in for a table);
# - output `clothing_class`: which of the 10 classes (softmax);
# - output `footwear`: is it a sandal, sneaker or ankle boot? One unit with a `sigmoid`, which
#   squashes any number into 0…1: the probability of "yes".

# %%
def brightness_histogram(images, bins=16):
    """For each image, the fraction of its pixels in each of `bins` brightness bands."""
    counts = [np.histogram(image, bins=bins, range=(0.0, 1.0))[0] for image in images]
    return np.array(counts, dtype="float32") / images[0].size


FOOTWEAR = [CLASS_NAMES.index(name) for name in ("Sandal", "Sneaker", "Ankle boot")]
hist_train, hist_test = brightness_histogram(x_train_img), brightness_histogram(x_test_img)
shoe_train, shoe_test = np.isin(y_train, FOOTWEAR).astype("float32"), np.isin(y_test, FOOTWEAR).astype("float32")
print(f"footwear classes {FOOTWEAR}, {shoe_train.mean() * 100:.0f} % of the training set | histogram:", hist_train.shape)

# %% [markdown]
# Each input is its own named `keras.Input`. The two branches are processed separately, joined
# with `Concatenate`, pass through a common trunk and split again into two **heads**. Giving
# `keras.Model` dictionaries of inputs and outputs lets us refer to everything by name.

# %%
seed_everything(cfg.seed)
image = keras.Input(shape=(28, 28), name="image")
histogram = keras.Input(shape=(16,), name="histogram")

image_features = layers.Dense(128, activation="relu", name="image_features")(layers.Flatten()(image))
histogram_features = layers.Dense(16, activation="relu", name="histogram_features")(histogram)
merged = layers.Concatenate(name="merge")([image_features, histogram_features])
trunk = layers.Dense(64, activation="relu", name="trunk")(merged)

clothing_class = layers.Dense(10, activation="softmax", name="clothing_class")(trunk)
footwear = layers.Dense(1, activation="sigmoid", name="footwear")(trunk)

multi_model = keras.Model(inputs={"image": image, "histogram": histogram},
                          outputs={"clothing_class": clothing_class, "footwear": footwear},
                          name="two_in_two_out")
multi_model.summary()

# %% [markdown]
# The summary gains a column, **Connected to**: with branches, "the layer above" no longer says
# where a layer's input comes from. The picture says it better:

# %%
keras.utils.plot_model(multi_model, to_file="build/02_multi_io.png",
                       show_shapes=True, show_layer_names=True, dpi=60)

# %% [markdown]
# Each output needs its own loss: cross-entropy over 10 classes (*sparse*: these labels are
# integers), binary cross-entropy for the yes/no question. Training minimises their weighted sum,
# `1.0 × class loss + 0.5 × footwear loss`, as `loss_weights` says. Inputs and targets are
# dictionaries with the same names; the log shows each output's loss and accuracy, and the total.
# The exact figures vary a little between machines; the check after them rounds them down.

# %% tags=["nbval-ignore-output"]
multi_model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
    loss={"clothing_class": "sparse_categorical_crossentropy", "footwear": "binary_crossentropy"},
    loss_weights={"clothing_class": 1.0, "footwear": 0.5},
    metrics={"clothing_class": ["accuracy"], "footwear": ["accuracy"]},
)
multi_history = multi_model.fit(
    {"image": x_train_img, "histogram": hist_train},
    {"clothing_class": y_train, "footwear": shoe_train},
    batch_size=64, epochs=cfg.pick(class_=3, full=10), validation_split=0.1, verbose=2)
test_inputs = {"image": x_test_img, "histogram": hist_test}
results = multi_model.evaluate(test_inputs, {"clothing_class": y_test, "footwear": shoe_test},
                               verbose=0, return_dict=True)
print(f"test accuracy: class {results['clothing_class_accuracy'] * 100:.1f} %, footwear {results['footwear_accuracy'] * 100:.1f} %")

# %% [markdown]
# `predict` returns a dictionary keyed by output name. The heads share the trunk, so they should
# agree: when the class head picks a sandal, sneaker or ankle boot, the footwear head says "yes".

# %%
answers = multi_model.predict(test_inputs, verbose=0)
agreement = np.mean(np.isin(answers["clothing_class"].argmax(axis=1), FOOTWEAR) == (answers["footwear"][:, 0] > 0.5))
assert results["clothing_class_accuracy"] > 0.75 and results["footwear_accuracy"] > 0.95 and agreement > 0.95
print(f"test accuracy: class at least {5 * int(results['clothing_class_accuracy'] * 20)} % (above 75 %), "
      f"footwear at least {int(results['footwear_accuracy'] * 100)} % (above 95 %)")
print("the two heads agree on more than 95 % of the test images")

# %% [markdown]
# Shoes are the easier question (though always answering "no" would already score 70 %).
#
# ## A shared layer, used twice
#
# A layer is an object with weights; calling it twice applies *the same weights* twice — what you
# want when two inputs should be read the same way. Here a *siamese* model says whether two photos
# show the same class: one `encoder` turns each photo into 64 features, and the head compares the
# two (their absolute difference). (`keras.ops` holds Keras's NumPy-like functions; called on
# symbolic tensors, as `keras.ops.abs` is here, they join the graph like a layer: see the
# `absolute` row of the summary.)

# %%
seed_everything(cfg.seed)
image_a = keras.Input(shape=(28, 28), name="image_a")
image_b = keras.Input(shape=(28, 28), name="image_b")

flatten = layers.Flatten(name="flatten")
encoder = layers.Dense(64, activation="relu", name="encoder")   # one layer object ...
features_a = encoder(flatten(image_a))                            # ... called on image A
features_b = encoder(flatten(image_b))                            # ... and on image B

distance = keras.ops.abs(layers.Subtract(name="difference")([features_a, features_b]))
same_class = layers.Dense(1, activation="sigmoid", name="same_class")(distance)
siamese = keras.Model(inputs=[image_a, image_b], outputs=same_class, name="siamese")
siamese.summary()

# %% [markdown]
# `encoder` appears once, connected to `flatten[0][0]` and `flatten[1][0]` (the first and second
# call of `flatten`), and its 784 × 64 + 64 = 50,240 parameters are counted once: the model holds
# one kernel object; two separate encoders would count 50,240 twice.

# %%
kernel_entries = sum(w is encoder.kernel for w in siamese.weights)
shared_params = (784 * 64 + 64) + (64 + 1)
assert kernel_entries == 1 and siamese.count_params() == shared_params
print(f"the encoder's kernel appears {kernel_entries} time(s) among the model's {len(siamese.weights)} weights; "
      f"{siamese.count_params():,} parameters, against {shared_params + 784 * 64 + 64:,} with two encoders")

# %% [markdown]
# To train it, each image gets a partner image and a target: 1 if their classes match (half the
# time), else 0.

# %%
def make_partners(labels, rng):
    """For each image, the index of a partner image and whether their classes match."""
    by_class = [np.flatnonzero(labels == c) for c in range(10)]
    same = rng.random(len(labels)) < 0.5
    partner_class = (labels + np.where(same, 0, rng.integers(1, 10, size=len(labels)))) % 10
    return np.array([rng.choice(by_class[c]) for c in partner_class]), same.astype("float32")


pair_rng = np.random.default_rng(cfg.seed)
train_partner, train_same = make_partners(y_train, pair_rng)
test_partner, test_same = make_partners(y_test, pair_rng)
assert np.array_equal(y_train == y_train[train_partner], train_same == 1)
print(f"{len(train_same):,} training pairs, {train_same.mean() * 100:.0f} % of them matching")

# %% tags=["nbval-ignore-output"]
siamese.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
siamese_history = siamese.fit([x_train_img, x_train_img[train_partner]], train_same,
                              batch_size=64, epochs=cfg.pick(class_=3, full=10), verbose=2)

# %% [markdown]
# Guessing would be right half the time. Each gradient step updated the single `encoder` from
# both arms at once, so both photos are always read with the same weights.

# %%
_, pair_accuracy = siamese.evaluate([x_test_img, x_test_img[test_partner]], test_same, verbose=0)
assert pair_accuracy > 0.70
print(f"same-class accuracy on test pairs at least {5 * int(pair_accuracy * 20)} %: above 70 % (guessing scores 50 %)")

# %% [markdown]
# ## A skip connection: the first residual
#
# A **skip connection** carries a tensor *around* some layers and adds it back: the block computes
# `output = x + F(x)`, where `F` is the layers it skips. They only have to learn a correction
# `F(x)`, and a block that has learnt nothing (`F(x) = 0`) passes its input through unchanged.
# Stacks of such **residual blocks** make a ResNet, the article's network (from
# [notebook 04](04_resnet_block.ipynb) on). In the Functional API a skip is a tensor used twice:
# as the block's input, and in the `Add`.

# %%
seed_everything(cfg.seed)
image = keras.Input(shape=(28, 28), name="image")
x = layers.Dense(64, activation="relu", name="dense_in")(layers.Flatten()(image))

y = layers.Dense(64, activation="relu", name="block_dense_1")(x)   # F(x): two layers ...
y = layers.Dense(64, name="block_dense_2")(y)
y = layers.Add(name="skip_add")([x, y])                             # ... plus x itself
y = layers.Activation("relu", name="block_relu")(y)

outputs = layers.Dense(10, activation="softmax", name="predictions")(y)
residual_model = keras.Model(image, outputs, name="residual_mlp")
keras.utils.plot_model(residual_model, to_file="build/02_residual.png",
                       show_shapes=True, show_layer_names=True, dpi=60)

# %% [markdown]
# The arrow from `dense_in` that bypasses the block is the skip. If the last layer of `F` is all
# zeros, the `Add` must return exactly `x`. To see both tensors we build a model whose outputs are
# the block's input and the `Add`'s output (the trick the last section explains).

# %%
zeros = [np.zeros_like(w) for w in residual_model.get_layer("block_dense_2").get_weights()]
residual_model.get_layer("block_dense_2").set_weights(zeros)
probe = keras.Model(image, [residual_model.get_layer("dense_in").output,
                            residual_model.get_layer("skip_add").output])
block_input, block_sum = probe.predict(x_test_img[:8], verbose=0)
print(f"F(x) = 0: x + F(x) differs from x by at most {np.abs(block_sum - block_input).max()}")

# %% [markdown]
# Starting every block as the identity is a real technique, often called *zero-init residual*:
# a `BatchNormalization` layer (notebook 03) outputs `gamma` × (normalised input) + `beta`, where
# `gamma` and `beta` are learned weights and `beta` starts at 0; Goyal et al. (2017) start `gamma`
# at 0 too in the last one of each residual branch, so every branch starts at `F(x) = 0`. `Add` adds element by
# element, so its inputs need matching shapes; a block that changes the width fails:

# %% tags=["raises-exception"]
wider = layers.Dense(32, name="narrower_block")(x)
layers.Add()([x, wider])

# %% [markdown]
# The cure is a layer on the skip that brings it to the right shape, a *projection shortcut*:
# the article's `ResnetBlock` has one (`residual_path`, `down_conv`), built in notebook 04. Our
# residual network trains like any other:

# %% tags=["nbval-ignore-output"]
residual_model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
residual_history = residual_model.fit(x_train_img, y_train, batch_size=64,
                                      epochs=cfg.pick(class_=3, full=10), verbose=2)

# %%
_, residual_accuracy = residual_model.evaluate(x_test_img, y_test, verbose=0)
largest_weight = np.abs(residual_model.get_layer("block_dense_2").get_weights()[0]).max()
assert residual_accuracy > 0.75 and largest_weight > 0
print(f"test accuracy at least {5 * int(residual_accuracy * 20)} %: above 75 %")
print(f"block_dense_2 learnt a correction: its largest weight went from 0 to {largest_weight:.1f}")

# %% [markdown]
# ## Looking inside: intermediate activations
#
# Each layer of a Functional model keeps its symbolic output, `layer.output`. A new `keras.Model`
# from the same inputs to some of those tensors is a **feature extractor**: it shares the trained
# layers (nothing is copied) and returns what each computes — here, the four hidden layers of the
# article's network trained above.

# %%
hidden_names = ["hidden_1", "hidden_2", "hidden_3", "hidden_4"]
extractor = keras.Model(inputs=fashion_model.inputs,
                        outputs=[fashion_model.get_layer(name).output for name in hidden_names])
assert extractor.get_layer("hidden_1") is fashion_model.get_layer("hidden_1")
print(f"parameters: {extractor.count_params():,}, the article model's {fashion_model.count_params():,} "
      "minus its 650-parameter output layer")

# %% [markdown]
# The extractor returns one array per hidden layer, one row per image. What does `hidden_4` see?
# For each class we average its 64 activations over the class's test images, then measure how
# alike the classes' patterns are: their correlation, 1 on the diagonal where each class meets
# itself, near 0 for unrelated patterns (the colours stop at 0).

# %%
activations = extractor.predict(x_test, verbose=0)
class_means = np.stack([activations[-1][y_test == c].mean(axis=0) for c in range(10)])
similarity = np.corrcoef(class_means)
most_alike = np.where(np.eye(10, dtype=bool), -1, similarity).argmax(axis=1)   # leaving itself out
tops, shoes = [0, 2, 4, 6], FOOTWEAR
assert np.isin(most_alike[tops], tops).all() and np.isin(most_alike[shoes], shoes).all()
print(f"the most alike other class is a top for {np.isin(most_alike[tops], tops).sum()} of the 4 tops, "
      f"a shoe for {np.isin(most_alike[shoes], shoes).sum()} of the 3 shoes")
plt.imshow(similarity, cmap="viridis", vmin=0, vmax=1)
plt.xticks(range(10), CLASS_NAMES, rotation=90)
plt.yticks(range(10), CLASS_NAMES)
plt.colorbar(label="correlation")
plt.show()

# %% [markdown]
# The bright squares off the diagonal group clothes that look alike: the tops (T-shirt/top,
# pullover, coat, shirt) and the three kinds of shoe. Nobody told the network which classes are
# related; it found out from the pixels.
# [Notebook 05](05_resnet.ipynb) uses the same trick on the article's ResNet, to measure how the
# signal's scale changes from block to block.
#
# ## Recap
#
# - The Functional API builds a model by calling layers on tensors, from `keras.Input` to
#   `keras.Model(inputs, outputs)`; the model is the graph of layers between them.
# - The article's example fails today for four reasons, each with a short fix (the errata table):
#   import `layers`; `layers.Dense`, not `tf.nn.layers.Dense`;
#   `keras.optimizers.RMSprop(learning_rate=0.001)`; and `data`/`labels` that exist.
# - A graph can say what a stack cannot: several inputs and outputs (one loss each, weighted by
#   `loss_weights`), a shared layer (its weights counted once), skips (`Add`: `x + F(x)`), and
#   new models over `layer.output` to see inside.
# - `keras.utils.plot_model(model, show_shapes=True)` draws any Functional model.
#
# ## Exercises
#
# Write each answer as a function that returns a new model, in the cell marked `# EXERCISE`, then
# run the checker cell below it: it runs your model on small inputs and reads its wiring (✅, or ❌
# with a hint). Worked answers:
# [solutions/02_functional_api_solutions.ipynb](solutions/02_functional_api_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): the article's network for 64 features
#
# Write the corrected article network for inputs of 64 features instead of 128, compiled as in the
# article (RMSprop with learning rate 0.001, categorical cross-entropy, accuracy). Predict its
# parameter count by hand before you call `count_params()`. (Only one layer changes.)

# %%
# EXERCISE 1
def build_article_mlp_64():
    model = None  # your model here
    return model


# %%
checks.article_mlp_64(build_article_mlp_64)

# %% [markdown]
# ### Exercise 2 (practice): two heads, one input
#
# Build the two-output model of this notebook without the `histogram` input: one input `image`
# of shape `(28, 28)`, the outputs `clothing_class` (10 classes) and `footwear` (yes/no), compiled
# with one loss per output. Train it as above and compare its class accuracy with the one the
# two-input model printed. What does that say about the histogram as a feature? Then set
# `loss_weights` to `{"clothing_class": 1.0, "footwear": 0.0}`: what happens to the footwear
# accuracy, and why?

# %%
# EXERCISE 2
def build_image_only_two_heads():
    model = None  # your model here
    return model


# %%
checks.image_only_two_heads(build_image_only_two_heads)

# %% [markdown]
# ### Exercise 3 (practice): a second residual block
#
# Rebuild `residual_model` with a second residual block (two `Dense(64)` layers and an `Add`)
# after the first one, and draw it with `plot_model`. How many parameters does each block add?
# (A right answer has two `Add` layers and 67,530 parameters.)

# %%
# EXERCISE 3
def build_two_block_residual():
    model = None  # your model here
    return model


# %%
checks.two_block_residual(build_two_block_residual)

# %% [markdown]
# ### Exercise 4 (stretch): a projection shortcut
#
# Write a residual block from width 64 to 32: input `keras.Input(shape=(64,))`, a main path
# `Dense(32, activation="relu")` then `Dense(32)`, and a skip through its own `Dense(32)` (the
# projection), so that `Add` gets equal shapes; end with a ReLU and return a `keras.Model`. Count
# its parameters by hand against the 64-wide block's 8,320. Which part of the article's
# `ResnetBlock` plays the role of your projection?

# %%
# EXERCISE 4
def build_projection_block():
    model = None  # your model here
    return model


# %%
checks.projection_block(build_projection_block)

# %% [markdown]
# **Next:** [03 · Model subclassing](03_subclassing.ipynb) — the article's second style: a model
# as a Python class with `__init__` and `call`.
