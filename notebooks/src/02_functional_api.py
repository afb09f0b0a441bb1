# %% [markdown]
# # 02 · The Functional API
#
# In [notebook 01](01_sequential.ipynb) every model was a straight stack of layers, and the last
# cell showed where a stack stops: it cannot add two tensors together. This notebook opens the
# source article at its first example, a model written with the **Functional API**, where you
# call layers on tensors yourself and so decide exactly how they are wired. The article's code no
# longer runs as printed; we fix it one error at a time, then use the same API for the things a
# stack cannot do. [Notebook 03](03_subclassing.ipynb) covers the article's second style, model
# subclassing.
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
# As in every notebook, `helpers.setup()` quiets TensorFlow's start-up messages, seeds the random
# number generators and prints the versions. This time we also import TensorFlow itself: the
# article's code uses `tf.` names, and part of the lesson is which of them still exist.

# %%
import helpers

cfg = helpers.setup()

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from helpers import plots
from helpers.data import CLASS_NAMES, load_fashion_mnist
from helpers.runtime import seed_everything

# %% [markdown]
# ## The article's example
#
# The article (written for TensorFlow 2.0 and Python 3.7) introduces the Functional API with one
# sentence and one listing. The sentence: "`tf.keras.Sequential` 模型是层的简单堆叠，无法表示任意模型。"
# — *a `tf.keras.Sequential` model is a simple stack of layers and cannot represent arbitrary
# models.* The listing, exactly as printed (the two Chinese comments mean *build an input tensor*
# and *compile the model*):
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
# Read it as a recipe. `keras.Input` makes a symbolic tensor: a placeholder that knows its shape,
# `(None, 128)` (`None` is the batch size, left open), but holds no numbers. Calling a layer on a
# tensor returns a new tensor, and Keras remembers the call. After five calls, `keras.Model(inputs,
# outputs)` walks back from the output to the input and keeps every layer on the way: that graph of
# layers *is* the model.
#
# The idea is right and it is still how the Functional API works. The code, though, has four
# mistakes. We run it piece by piece, so that each cell below shows exactly one of them, and fix
# each before moving on.
#
# ## Running it today, one error at a time
#
# ### 1. `layers` is never imported
#
# The first lines of the listing, exactly as printed:

# %%
# NBVAL_RAISES_EXCEPTION
import tensorflow as tf
from tensorflow import keras

inputs = tf.keras.Input(shape=(128,))  # 构建一个输入张量 (build an input tensor)
x = layers.Dense(256, activation='relu')(inputs)

# %% [markdown]
# `NameError: name 'layers' is not defined`. Python looks up every name you use, and nothing
# defined `layers`: the listing imports `tensorflow` and `keras`, but not the `layers` module.
# Most likely an import line was lost when the article was written.
#
# The fix is one import. With Keras 3 the recommended spelling is `from keras import layers`
# (`from tensorflow.keras import layers` also works). The article's other `tf.keras.` names are
# fine: in TensorFlow 2.21, `tf.keras` is simply Keras 3 under another name, as the check below
# shows.

# %%
import keras
from keras import layers   # the import the article left out

print("tf.keras.Input is keras.Input:", tf.keras.Input is keras.Input)
print("tf.keras.Model is keras.Model:", tf.keras.Model is keras.Model)

# %% [markdown]
# With `layers` defined, the first five lines of the listing run unchanged. Each call returns a
# new symbolic tensor; printing the last one's shape shows the network so far maps 128 features
# to 64.

# %%
inputs = tf.keras.Input(shape=(128,))
x = layers.Dense(256, activation='relu')(inputs)
x = layers.Dense(512, activation='relu')(x)
x = layers.Dense(128, activation='relu')(x)
x = layers.Dense(64, activation='relu')(x)
print("inputs:", inputs.shape, "-> x:", x.shape)

# %% [markdown]
# ### 2. `tf.nn.layers.Dense` does not exist
#
# The output layer, exactly as printed:

# %%
# NBVAL_RAISES_EXCEPTION
predictions = tf.nn.layers.Dense(10, activation='softmax')(x)

# %% [markdown]
# `AttributeError: module 'tensorflow._api.v2.nn' has no attribute 'layers'`. `tf.nn` holds
# low-level operations on tensors (`tf.nn.relu`, `tf.nn.softmax`, `tf.nn.conv2d`), never layers,
# in any version of TensorFlow. It was meant to be the same `layers.Dense` as the lines above it.

# %%
predictions = layers.Dense(10, activation='softmax')(x)
model = tf.keras.Model(inputs=inputs, outputs=predictions)
print("output:", predictions.shape, "| parameters:", model.count_params())

# %% [markdown]
# ### 3. `tf.train.RMSPropOptimizer` is TensorFlow 1
#
# Now the `compile` call, exactly as printed:

# %%
# NBVAL_RAISES_EXCEPTION
# 编译模型 (compile the model)
model.compile(optimizer=tf.train.RMSPropOptimizer(0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])

# %% [markdown]
# `AttributeError: module 'tensorflow._api.v2.train' has no attribute 'RMSPropOptimizer'`. The
# `tf.train.*Optimizer` classes belong to TensorFlow 1; TensorFlow 2 moved them to `tf.compat.v1`.
# That suggests a tempting fix, which does not work either:

# %%
# NBVAL_RAISES_EXCEPTION
model.compile(optimizer=tf.compat.v1.train.RMSPropOptimizer(0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])

# %% [markdown]
# `ValueError: Could not interpret optimizer identifier: <…RMSPropOptimizer object…>`. Keras 3
# accepts only its own optimizers (or their names as strings). The Keras one is spelled
# `keras.optimizers.RMSprop`, and its learning rate is the keyword `learning_rate`:

# %%
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
              loss='categorical_crossentropy',
              metrics=['accuracy'])
print("optimizer:", type(model.optimizer).__name__,
      "| learning rate:", round(float(model.optimizer.learning_rate), 6))

# %% [markdown]
# ### 4. `data` and `labels` are never defined
#
# The last line, exactly as printed:

# %%
# NBVAL_RAISES_EXCEPTION
model.fit(data, labels, batch_size=32, epochs=5)

# %% [markdown]
# `NameError: name 'data' is not defined` — Python stops at the first unknown name, and `labels`
# is undefined too. The article never says what to train on. The model says what it must be:
#
# - `data`: a float array of shape `(n, 128)`, because the input is `Input(shape=(128,))`;
# - `labels`: an array of shape `(n, 10)` holding **one-hot** rows (a single 1 at the class's
#   position), because the last layer has 10 units and the loss is `categorical_crossentropy`.
#   With plain integer labels you would use `sparse_categorical_crossentropy`, as in notebook 01.
#
# ## The corrected example
#
# Random numbers of exactly that shape are enough to prove the code runs. A seeded generator makes
# them the same on every run; `keras.utils.to_categorical` turns integer classes into one-hot rows.

# %%
rng = np.random.default_rng(cfg.seed)
data = rng.random((1000, 128)).astype("float32")
labels = keras.utils.to_categorical(rng.integers(0, 10, size=1000), num_classes=10)
print("data:  ", data.shape, data.dtype)
print("labels:", labels.shape, "| first row:", labels[0])

# %% [markdown]
# Here is the whole example with the four fixes, in one piece — the version to copy. Besides
# the four marked lines it uses the Keras 3 spellings `keras.Input` and `keras.Model` (the same
# objects as `tf.keras.…`, as checked above) and `verbose=2`, which prints one line per epoch
# instead of a progress bar. `seed_everything(cfg.seed)` is the series' helper that re-seeds
# every random number generator, so the starting weights are the same on every run (in your own
# code, `keras.utils.set_random_seed(42)` does that). Training logs differ slightly from machine
# to machine, so this cell's output is not compared; the cell after it checks what must hold.

# %%
# NBVAL_IGNORE_OUTPUT
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
# the loss of guessing 10 % for every class. Any rise in training accuracy is the network
# memorising 1,000 random pairs, not learning. What we check is that the corrected code trains
# and predicts: five epochs logged, finite losses, and one probability per class for each row.

# %%
logs = history.history
probabilities = model.predict(data[:4], verbose=0)
assert len(logs["loss"]) == 5 and np.all(np.isfinite(logs["loss"]))
assert abs(logs["loss"][0] - np.log(10)) < 0.3
assert probabilities.shape == (4, 10) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
print("epochs run:", len(logs["loss"]), "| logged:", sorted(logs))
print("first-epoch loss close to ln(10):", abs(logs["loss"][0] - np.log(10)) < 0.3)
print("predictions:", probabilities.shape, "| rows sum to 1:", np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5))

# %% [markdown]
# A Functional model has the same `summary()` as a Sequential one. Count the parameters by hand
# as in notebook 01 (inputs × units + units for each `Dense`): 33,024 + 131,584 + 65,664 + 8,256
# + 650 = 239,178, the *Trainable params* line. Because the model has been trained, the summary
# also lists *Optimizer params*: RMSprop keeps a running average of each weight's squared
# gradient (239,178 numbers) plus its step counter and learning rate. *Total params* adds the two.

# %%
model.summary()

# %% [markdown]
# ### Drawing the graph: `plot_model`
#
# Because a Functional model *is* a graph of layers, Keras can draw it.
# `keras.utils.plot_model` writes a picture with Graphviz (through the `pydot` package; `make lab`
# installs both) and, in a notebook, shows it. `show_shapes=True` adds each layer's input and
# output shapes, the quickest way to spot a wiring mistake. We keep generated files in `build/`.
# The article names no layer, so Keras numbers them (`dense_5` and on: this notebook has already
# made five `Dense` layers); from the next section on we name ours.

# %%
os.makedirs("build", exist_ok=True)
keras.utils.plot_model(model, to_file="build/02_article_mlp.png",
                       show_shapes=True, show_layer_names=True, dpi=60)

# %% [markdown]
# ### Errata
#
# | The article's line | What happens on TensorFlow 2.21 / Keras 3.15 | The fix |
# |---|---|---|
# | `import tensorflow as tf` / `from tensorflow import keras` | Works: `tf.keras` is Keras 3 | None needed; Keras 3 style is `import keras` |
# | `x = layers.Dense(256, activation='relu')(inputs)` (and the three `layers.Dense` lines after it) | `NameError: name 'layers' is not defined` | Add `from keras import layers` |
# | `predictions = tf.nn.layers.Dense(10, activation='softmax')(x)` | `AttributeError: module 'tensorflow._api.v2.nn' has no attribute 'layers'` | `predictions = layers.Dense(10, activation='softmax')(x)` |
# | `model.compile(optimizer=tf.train.RMSPropOptimizer(0.001),` | `AttributeError: module 'tensorflow._api.v2.train' has no attribute 'RMSPropOptimizer'` | `optimizer=keras.optimizers.RMSprop(learning_rate=0.001)` (or `optimizer='rmsprop'`: 0.001 is its default) |
# | (the tempting fix) `tf.compat.v1.train.RMSPropOptimizer(0.001)` | `ValueError: Could not interpret optimizer identifier` | As above: only Keras optimizers work |
# | `model.fit(data, labels, batch_size=32, epochs=5)` | `NameError: name 'data' is not defined` (and `labels`) | Define `data` with shape `(n, 128)` and one-hot `labels` with shape `(n, 10)`, e.g. with `keras.utils.to_categorical` |

# %% [markdown]
# ## The same idea on real images
#
# Random numbers prove that code runs, not that it learns. Fashion-MNIST, the data set of the whole
# series (notebook 01), gives the article's network something to learn. The network takes a flat
# vector of features, so each 28 × 28 image becomes 784 numbers; pixels are scaled from 0…255 to
# 0…1; and, to keep the article's `categorical_crossentropy`, the labels become one-hot rows.

# %%
(x_train_img, y_train), (x_test_img, y_test) = load_fashion_mnist()
x_train_img = x_train_img.astype("float32") / 255.0   # keep the 28 x 28 images for later sections
x_test_img = x_test_img.astype("float32") / 255.0
x_train = x_train_img.reshape(-1, 28 * 28)
x_test = x_test_img.reshape(-1, 28 * 28)
y_train_onehot = keras.utils.to_categorical(y_train, num_classes=10)
y_test_onehot = keras.utils.to_categorical(y_test, num_classes=10)
print("x_train:", x_train.shape, "| y_train_onehot:", y_train_onehot.shape)
print("x_test: ", x_test.shape, "| y_test_onehot: ", y_test_onehot.shape)

# %% [markdown]
# Only the input width changes, so we wrap the article's network in a function of it. Writing a
# function that returns a model is a common Functional-API habit: every call builds a fresh model
# with new weights. This time each layer gets a name, so that we can find it again later.

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
# Only the first layer changes: 784 inputs instead of 128.
by_hand = 239_178 - (128 * 256 + 256) + (784 * 256 + 256)
print("parameters:", fashion_model.count_params(), "| by hand:", by_hand)

# %% [markdown]
# The article's settings: batch size 32, 5 epochs. We also hold back 10 % of the training images
# to watch for overfitting.

# %%
# NBVAL_IGNORE_OUTPUT
history = fashion_model.fit(x_train, y_train_onehot, batch_size=32, epochs=cfg.pick(5, 15),
                            validation_split=0.1, verbose=2)

# %%
logs = history.history
assert logs["loss"][-1] < logs["loss"][0], "training loss should go down"
assert logs["val_accuracy"][-1] > 0.78
print("epochs run:", len(logs["loss"]))
print("training loss went down:", logs["loss"][-1] < logs["loss"][0])
print("validation accuracy > 78%:", logs["val_accuracy"][-1] > 0.78)

# %%
plots.plot_history(history)

# %% [markdown]
# And the honest test, on images the model has never seen:

# %%
# NBVAL_IGNORE_OUTPUT
test_loss, test_accuracy = fashion_model.evaluate(x_test, y_test_onehot, verbose=0)
print(f"test loss {test_loss:.3f}, test accuracy {test_accuracy:.3f}")

# %%
assert test_accuracy > 0.78
print("test accuracy > 78%:", test_accuracy > 0.78)

# %% [markdown]
# Once fixed, the article's network does the job: after a few epochs on 12,000 images it is right
# about eight times in ten, against one in ten for guessing. Titles read *prediction (truth)*, red
# where it is wrong.

# %%
predicted = fashion_model.predict(x_test[:16], verbose=0).argmax(axis=1)
plots.show_images(x_test_img[:16], y_test[:16], predictions=predicted)

# %% [markdown]
# So far the Functional API has only drawn a straight line, which `Sequential` could have drawn
# too. The rest of the notebook is what a straight line cannot do.
#
# ## Several inputs and several outputs
#
# Real problems often come with more than one kind of input — a photo *and* a row of a table about
# it — and ask more than one question. Our toy version:
#
# - input 1, `image`: the 28 × 28 picture;
# - input 2, `histogram`: 16 numbers, the share of pixels in each of 16 brightness bands — a
#   stand-in for "metadata", computed beside the image as a table's columns would be;
# - output 1, `clothing_class`: which of the 10 classes (softmax);
# - output 2, `footwear`: is it a shoe — sandal, sneaker or ankle boot (one sigmoid unit)?

# %%
def brightness_histogram(images, bins=16):
    """For each image, the fraction of its pixels in each of `bins` brightness bands."""
    counts = [np.histogram(image, bins=bins, range=(0.0, 1.0))[0] for image in images]
    return np.array(counts, dtype="float32") / images[0].size


FOOTWEAR = [CLASS_NAMES.index(name) for name in ("Sandal", "Sneaker", "Ankle boot")]
hist_train, hist_test = brightness_histogram(x_train_img), brightness_histogram(x_test_img)
shoe_train = np.isin(y_train, FOOTWEAR).astype("float32")
shoe_test = np.isin(y_test, FOOTWEAR).astype("float32")
print("footwear classes:", FOOTWEAR, "| histogram:", hist_train.shape, "| rows sum to 1:",
      np.allclose(hist_train.sum(axis=1), 1.0))
print("share of footwear in the training set:", shoe_train.mean())

# %% [markdown]
# Each input is its own `keras.Input`, with a name. The two branches are processed separately,
# joined with `Concatenate`, pass through a common trunk, and split again into two **heads**.
# Giving `keras.Model` dictionaries of inputs and outputs lets us refer to everything by name.

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
# Each output needs its own loss: cross-entropy over 10 classes for one, binary cross-entropy for
# the yes/no question. Training minimises their weighted sum,
# `1.0 × class loss + 0.5 × footwear loss` — `loss_weights` says how much each task counts.
# Metrics are given per output too.

# %%
multi_model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
    loss={"clothing_class": "sparse_categorical_crossentropy", "footwear": "binary_crossentropy"},
    loss_weights={"clothing_class": 1.0, "footwear": 0.5},
    metrics={"clothing_class": ["accuracy"], "footwear": ["accuracy"]},
)
print("losses:", multi_model.loss)

# %% [markdown]
# Inputs and targets are passed as dictionaries with the same names. (The class labels are plain
# integers this time, hence the *sparse* loss.) The log shows every output's loss and accuracy,
# plus the total `loss`.

# %%
# NBVAL_IGNORE_OUTPUT
multi_history = multi_model.fit(
    {"image": x_train_img, "histogram": hist_train},
    {"clothing_class": y_train, "footwear": shoe_train},
    batch_size=64, epochs=cfg.pick(3, 10), validation_split=0.1, verbose=2)

# %%
results = multi_model.evaluate({"image": x_test_img, "histogram": hist_test},
                               {"clothing_class": y_test, "footwear": shoe_test},
                               verbose=0, return_dict=True)
assert results["clothing_class_accuracy"] > 0.75 and results["footwear_accuracy"] > 0.95
print("reported on the test set:", sorted(results))
print("class accuracy > 75%:", results["clothing_class_accuracy"] > 0.75)
print("footwear accuracy > 95%:", results["footwear_accuracy"] > 0.95)

# %% [markdown]
# Telling shoes from the rest is the easier question, so its accuracy is much higher. `predict`
# answers both questions at once, as a dictionary keyed by output name.
#
# The two heads were trained on different targets, but they share the trunk, so they should tell
# the same story: when the class head picks a sandal, sneaker or ankle boot, the footwear head
# should say "yes". On the test set they agree almost always.

# %%
answers = multi_model.predict({"image": x_test_img, "histogram": hist_test}, verbose=0)
print({name: value.shape for name, value in answers.items()})

class_says_shoe = np.isin(answers["clothing_class"].argmax(axis=1), FOOTWEAR)
footwear_says_shoe = answers["footwear"][:, 0] > 0.5
agreement = np.mean(class_says_shoe == footwear_says_shoe)
assert agreement > 0.95
print("the two heads agree on more than 95% of test images:", agreement > 0.95)

# %% [markdown]
# ## A shared layer, used twice
#
# A layer is an object with weights; calling it twice applies *the same weights* twice. That is
# what you want when two inputs are the same kind of thing and should be read the same way — here,
# a model that looks at two photos and says whether they show the same kind of clothing. One
# `encoder` turns each photo into 64 features; the head compares the two feature vectors (the
# absolute difference) and answers with a probability. Such a two-armed model is called a
# *siamese* network. (`keras.ops` holds Keras's NumPy-like functions, such as `keras.ops.abs`;
# called on symbolic tensors they join the graph just as a layer would.)

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
# `encoder` appears once in the summary, connected to two inputs (`flatten[0][0]` and
# `flatten[1][0]`: the first and second call of `flatten`). Its 50,240 parameters (784 × 64 + 64)
# are counted once. Let us prove it: the model holds the encoder's kernel exactly once, as the very
# same object, and two separate encoders would double the count.

# %%
kernel_entries = [w for w in siamese.weights if w is encoder.kernel]
print("the model holds the encoder's kernel object:", len(kernel_entries), "time(s)")
print("trainable weight tensors:", len(siamese.trainable_weights), "(encoder kernel + bias, head kernel + bias)")

shared_params = (784 * 64 + 64) + (64 + 1)
unshared_params = 2 * (784 * 64 + 64) + (64 + 1)
assert siamese.count_params() == shared_params
print("parameters:", siamese.count_params(), "| with two separate encoders it would be", unshared_params)

# %% [markdown]
# In the drawing, both arms flow into the same `encoder` box:

# %%
keras.utils.plot_model(siamese, to_file="build/02_shared_layer.png",
                       show_shapes=True, show_layer_names=True, dpi=60)

# %% [markdown]
# Does it train? We need pairs of photos and a label saying whether they are of the same class.
# Half the pairs are chosen to match; the rest have different classes.

# %%
def make_pairs(labels, n_pairs, rng):
    """Index pairs (i, j) of images and whether their classes match, half of them matching."""
    by_class = [np.flatnonzero(labels == c) for c in range(len(CLASS_NAMES))]
    first = rng.integers(0, len(labels), size=n_pairs)
    same = rng.random(n_pairs) < 0.5
    partner_class = (labels[first] + np.where(same, 0, rng.integers(1, 10, size=n_pairs))) % 10
    second = np.array([rng.choice(by_class[c]) for c in partner_class])
    return first, second, same.astype("float32")


pair_rng = np.random.default_rng(cfg.seed)
train_a, train_b, train_same = make_pairs(y_train, len(y_train), pair_rng)
test_a, test_b, test_same = make_pairs(y_test, len(y_test), pair_rng)
assert np.array_equal(y_train[train_a] == y_train[train_b], train_same.astype(bool))
print("training pairs:", len(train_same), "| test pairs:", len(test_same),
      "| labels right:", np.array_equal(y_test[test_a] == y_test[test_b], test_same.astype(bool)))

# %%
# NBVAL_IGNORE_OUTPUT
siamese.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
siamese_history = siamese.fit([x_train_img[train_a], x_train_img[train_b]], train_same,
                              batch_size=64, epochs=cfg.pick(3, 10), verbose=2)

# %% [markdown]
# Guessing would be right half the time. Every gradient step updated the single `encoder` from
# both arms at once, so both photos are still read in exactly the same way: the same photo on
# either side gives identical features.

# %%
_, pair_accuracy = siamese.evaluate([x_test_img[test_a], x_test_img[test_b]], test_same, verbose=0)
encode_a = keras.Model(image_a, features_a)
encode_b = keras.Model(image_b, features_b)
same_features = np.array_equal(encode_a.predict(x_test_img[:8], verbose=0),
                               encode_b.predict(x_test_img[:8], verbose=0))
assert pair_accuracy > 0.70 and same_features
print("same-class accuracy on test pairs > 70%:", pair_accuracy > 0.70)
print("arm A and arm B give identical features:", same_features)

# %% [markdown]
# ## A skip connection: the first residual
#
# In a plain stack each layer sees only the output of the layer before it. A **skip connection**
# also carries a tensor *around* some layers and adds it back: the block computes
# `output = x + F(x)`, where `F` is the layers it skips. The layers then only have to learn a
# correction `F(x)` to their input, and a block that has learnt nothing (`F(x) = 0`) passes its
# input through unchanged. Stacking such **residual blocks** is what lets ResNets be very deep.
#
# In the Functional API a skip is just a tensor used twice: once as the input of the block, once
# in the `Add`.

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
# The arrow from `dense_in` that bypasses the block is the skip. Now the claim that a block which
# has learnt nothing is the identity: set the last layer of `F` to zeros, and the `Add` returns
# exactly `x`. To look at both tensors we build a small model whose outputs are the block's input
# and the `Add`'s output — the trick of the next section.

# %%
zeros = [np.zeros_like(w) for w in residual_model.get_layer("block_dense_2").get_weights()]
residual_model.get_layer("block_dense_2").set_weights(zeros)

probe = keras.Model(image, [residual_model.get_layer("dense_in").output,
                            residual_model.get_layer("skip_add").output])
block_input, block_sum = probe.predict(x_test_img[:8], verbose=0)
print("F(x) = 0, so x + F(x) == x:", np.array_equal(block_input, block_sum))

# %% [markdown]
# (Starting the last layer of each block at zero is a real technique, "zero-init residual": the
# deep network starts as a shallow one and grows its corrections during training.) `Add` needs
# both tensors to have the same shape. When the block changes the width, the addition fails:

# %%
# NBVAL_RAISES_EXCEPTION
wider = layers.Dense(32, name="narrower_block")(x)
layers.Add()([x, wider])

# %% [markdown]
# The cure is to pass the skip through its own small layer that brings it to the right shape — a
# *projection shortcut*. The article's `ResnetBlock` does exactly this with its `residual_path`
# argument and `down_conv` layer; [notebook 04](04_resnet_block.ipynb) builds that block with
# convolutions. For now, let us check that our residual network trains like any other model.

# %%
# NBVAL_IGNORE_OUTPUT
residual_model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
residual_history = residual_model.fit(x_train_img, y_train, batch_size=64,
                                      epochs=cfg.pick(3, 10), verbose=2)

# %%
_, residual_accuracy = residual_model.evaluate(x_test_img, y_test, verbose=0)
trained_block = residual_model.get_layer("block_dense_2").get_weights()[0]
assert residual_accuracy > 0.75 and np.any(trained_block != 0)
print("test accuracy > 75%:", residual_accuracy > 0.75)
print("the block learnt a correction (its last layer is no longer zero):", bool(np.any(trained_block != 0)))

# %% [markdown]
# ## Looking inside: intermediate activations
#
# Every layer of a Functional model keeps its symbolic output tensor, `layer.output`. A new
# `keras.Model` from the same inputs to some of those tensors is a **feature extractor**: it
# shares the trained layers (nothing is copied or retrained) and returns what each one computes.
# Here, the four hidden layers of the article's network trained on Fashion-MNIST above.

# %%
hidden_names = ["hidden_1", "hidden_2", "hidden_3", "hidden_4"]
extractor = keras.Model(inputs=fashion_model.inputs,
                        outputs=[fashion_model.get_layer(name).output for name in hidden_names])
print("shares the trained layers:", extractor.get_layer("hidden_1") is fashion_model.get_layer("hidden_1"))
print("parameters:", extractor.count_params(), "(the article model minus its 650-parameter output layer)")

# %% [markdown]
# Run the whole test set through the extractor: we get one array per hidden layer, one row per
# image. As a check that the extractor really computes what the model computes, feeding the last
# hidden layer's activations into the output layer gives back the full model's predictions.

# %%
activations = extractor.predict(x_test, verbose=0)
print([a.shape for a in activations])

rebuilt = keras.ops.convert_to_numpy(fashion_model.get_layer("predictions")(activations[-1][:10]))
print("output layer on hidden_4 == model.predict:",
      np.allclose(rebuilt, fashion_model.predict(x_test[:10], verbose=0), atol=1e-5))

# %% [markdown]
# What does the last hidden layer, `hidden_4`, see? On the left, each row is a class (the mean
# activation over its 200 test images) and each column one of the 64 units, scaled so that the
# class that switches a unit on most is brightest; black means the unit stays off (ReLU gives 0).
# Most units answer to a few classes only. On the right, how alike the classes' patterns are (their
# correlation; 1 on the diagonal, where each class meets itself). The bright squares off the
# diagonal group clothes that look alike: clearly the tops (T-shirt, pullover, coat, shirt) and,
# more faintly, the three kinds of shoe. Nobody told the network which classes are related; it
# found out from the pixels.

# %%
hidden_4 = activations[-1]
class_means = np.stack([hidden_4[y_test == c].mean(axis=0) for c in range(10)])
scaled = class_means / np.maximum(class_means.max(axis=0, keepdims=True), 1e-9)
similarity = np.corrcoef(class_means)

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 2]})
left.imshow(scaled, aspect="auto", cmap="magma")
left.set(title="hidden_4: mean activation per class", xlabel="unit")
left.set_yticks(range(10), CLASS_NAMES, fontsize=8)
image_plot = right.imshow(similarity, cmap="viridis", vmin=0, vmax=1)   # below 0: not alike
right.set_title("similarity of the class patterns")
right.set_xticks(range(10), CLASS_NAMES, fontsize=8, rotation=90)
right.set_yticks(range(10), CLASS_NAMES, fontsize=8)
fig.colorbar(image_plot, ax=right, fraction=0.046, label="correlation")
fig.tight_layout()
plt.show()

# %% [markdown]
# With convolutional networks the same trick shows *images*: what each filter responds to.
# [Notebook 05](05_resnet.ipynb) uses it on the article's ResNet, to measure how the signal's
# scale changes from block to block.
#
# ## Recap
#
# - The Functional API builds a model by calling layers on tensors, from `keras.Input` to
#   `keras.Model(inputs, outputs)`; the model is the graph of layers between them.
# - The article's example fails today for four reasons: `layers` is not imported,
#   `tf.nn.layers.Dense` never existed, `tf.train.RMSPropOptimizer` is TensorFlow 1 (and
#   `tf.compat.v1`'s does not work with Keras 3), and `data`/`labels` are undefined. The fixes are
#   `from keras import layers`, `layers.Dense`, `keras.optimizers.RMSprop(learning_rate=0.001)` and
#   data of shape `(n, 128)` with one-hot labels of shape `(n, 10)`.
# - Once fixed, the same network reaches about 80 % test accuracy on Fashion-MNIST.
# - What a stack cannot say, a graph can: several inputs and outputs (each output with its own
#   loss and `loss_weights`), one layer shared by two branches (its weights counted once), skip
#   connections (`Add`: `x + F(x)`, same shapes needed), and new models over `layer.output` to see
#   inside a trained one.
# - `keras.utils.plot_model(model, show_shapes=True)` draws any Functional model.
#
# ## Exercises
#
# Write each answer as a function that returns a new model, in the cell marked `# EXERCISE`; call
# it and look at the result with `summary()` and `keras.utils.plot_model`. Then run the checker
# cell below it: the checker builds your model, runs it on small inputs, reads how its layers are
# wired and tells you what is right or what is missing (✅ or ❌ with a hint). Worked answers:
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
# with one loss per output. Train it as above. Does the class accuracy change without the
# histogram? What does that say about the histogram as a feature? Then set `loss_weights` to
# `{"clothing_class": 1.0, "footwear": 0.0}`: what happens to the footwear accuracy, and why?

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
# Write a residual block that changes the width from 64 to 32: input `keras.Input(shape=(64,))`,
# a main path `Dense(32, activation="relu")` then `Dense(32)`, and a skip path that goes through
# its own `Dense(32)` (the projection) so that `Add` gets two tensors of the same shape; finish
# with a ReLU and return the block as a `keras.Model`. Count its parameters by hand and compare
# them with the 64-wide block of this notebook (8,320). Which part of the article's `ResnetBlock`
# plays the role of your projection?

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
