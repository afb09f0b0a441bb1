# %% [markdown]
# # 01 · The Sequential model
#
# This is the first notebook of the series. It teaches the baseline that the source article
# takes for granted: what a Keras model *is*, and how to train and use the simplest kind, a
# `keras.Sequential` stack of layers. Everything later — the Functional API
# ([02](02_functional_api.ipynb)), model subclassing, the article's ResNet — builds on it.
#
# **What you will learn**
#
# - what a model is: layers holding weights, wired into a function from inputs to outputs; and
#   what *weights*, *parameters*, *logits* and *cross-entropy* mean;
# - how to look at Fashion-MNIST, the data set the whole series uses;
# - three equivalent ways to write a `keras.Sequential` model, and how to prove they are the same;
# - how to read `summary()` and count parameters by hand;
# - the `compile` → `fit` → `evaluate` → `predict` cycle, and how to read learning curves;
# - how to inspect a model's layers and weights, and why a plain stack cannot express branches.

# %% [markdown]
# ## Set-up
#
# Every notebook starts with the same call. `helpers.setup()` keeps TensorFlow's start-up
# messages out of the way, seeds every random number generator (so you see what this notebook
# shows), prints the versions in use and returns the active **profile**, `cfg`:
#
# - `class` (the default): a committed sample of the data; each notebook runs in about two
#   minutes on a laptop CPU and prints the same checked figures on every machine (training
#   logs and timings vary);
# - `full`: all 70,000 images and longer training, for a GPU or a patient CPU.
#
# The environment variable `KERAS_MODELS_PROFILE` chooses it when Jupyter starts:
# `KERAS_MODELS_PROFILE=full make lab`. Where a lesson needs a size, `cfg.pick(class_=8,
# full=30)` returns the first value in the `class` profile and the second in `full`.

# %%
import helpers

cfg = helpers.setup()

# %%
import keras
import numpy as np

from helpers import plots
from helpers.data import CLASS_NAMES, load_fashion_mnist

# %% [markdown]
# ## The data: Fashion-MNIST
#
# Fashion-MNIST is 70,000 small grayscale photos of clothes, 28 × 28 pixels, each labelled
# with one of 10 classes. It is a drop-in, harder replacement for the handwritten digits of
# MNIST. `load_fashion_mnist()` reads the files from disk (nothing is downloaded) and returns
# NumPy arrays, the same layout as `keras.datasets.fashion_mnist.load_data()`. In the `class`
# profile it is a balanced sample: 1,200 training and 200 test images per class.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
print("training images:", x_train.shape, x_train.dtype)
print("training labels:", y_train.shape, y_train.dtype)
print("test images:    ", x_test.shape)
print("pixel values from", x_train.min(), "to", x_train.max())

# %% [markdown]
# A label is just a number from 0 to 9; `CLASS_NAMES` says what it means. The sample has
# the same number of images of each class, so a model that guessed at random would be right
# 10 % of the time — remember that number, it is the floor every model must beat.

# %%
for label, name in enumerate(CLASS_NAMES):
    print(f"{label}: {name:<12} {np.sum(y_train == label):>5} training images")

# %% [markdown]
# Numbers are not enough: look at the data before you model it.

# %%
plots.show_images(x_train[:24], y_train[:24])

# %% [markdown]
# Neural networks train more easily on small floating-point numbers, so we scale the pixels
# from 0…255 to 0…1. We keep the 28 × 28 shape and let the model flatten it.

# %%
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
print(x_train.dtype, x_train.min(), x_train.max())

# %% [markdown]
# ## What is a model?
#
# A Keras **layer** is a function, usually with **weights**: `Dense(128)` computes
# `activation(inputs @ kernel + bias)`, where the arrays `kernel` and `bias` are its weights,
# learned in training. The numbers inside those arrays are the layer's **parameters**: this
# `Dense` on 784 inputs has 2 weights holding 784 × 128 + 128 = 100,480 parameters.
# `count_params()` counts every number in a layer's weights, whether training updates it or not.
# A **model** is layers wired together, plus what training needs (an optimizer, a loss,
# metrics). The simplest wiring is a straight line — each layer feeds the next — and that is
# exactly what `keras.Sequential` is.
#
# Our first model: `Flatten` turns each 28 × 28 image into 784 numbers, a hidden `Dense`
# layer of 128 units with ReLU (`max(0, x)`) learns features, and a final `Dense` layer of 10
# units computes one raw score per class — the **logits** — which its softmax turns into 10
# probabilities that add up to 1.
#
# ### Three ways to write the same Sequential model
#
# **1. A list of layers.** Keras does not yet know the input size, so the model has no weights
# until it sees data (or until you call `build`).

# %%
model_list = keras.Sequential([
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
print(f"before build: {len(model_list.weights)} weights")
model_list.build(input_shape=(None, 28, 28))   # None: any batch size
print(f"after build: {len(model_list.weights)} weights, {model_list.count_params():,} parameters")

# %% [markdown]
# **2. Adding layers one by one** with `.add()` — handy when a loop decides the layers.

# %%
model_add = keras.Sequential()
model_add.add(keras.layers.Flatten())
model_add.add(keras.layers.Dense(128, activation="relu"))
model_add.add(keras.layers.Dense(10, activation="softmax"))
model_add.build(input_shape=(None, 28, 28))
print(len(model_add.weights), f"weights, {model_add.count_params():,} parameters")

# %% [markdown]
# **3. Starting from `keras.Input`** — the recommended way: the input shape is declared up
# front, so the model is built at once and every layer knows its output shape.

# %%
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
], name="mlp")
print("built at once:", len(model.weights), f"weights, {model.count_params():,} parameters")

# %% [markdown]
# Are they really the same model? Same layer types and weight shapes (`set_weights` refuses
# arrays of the wrong shape) — and with the weights of one copied into the others
# (`get_weights()` returns them as NumPy arrays), the same outputs from `predict` (the model
# applied to new inputs, met below) on 32 test images.

# %%
reference = model.predict(x_test[:32], verbose=0)
for name, m in (("list", model_list), (".add()", model_add)):
    m.set_weights(model.get_weights())
    gap = np.abs(m.predict(x_test[:32], verbose=0) - reference).max()
    assert [type(l) for l in m.layers] == [type(l) for l in model.layers] and gap == 0
    print(f"{name:<7} {[type(l).__name__ for l in m.layers]}, weight shapes "
          f"{[w.shape for w in m.get_weights()]}, largest difference in predictions {gap}")

# %% [markdown]
# ## Reading `summary()`
#
# `summary()` lists each layer, the shape of what it outputs (`None` is the batch size, left
# open) and how many parameters it has. *Trainable* parameters are those training updates;
# some layers (BatchNormalization: its running statistics,
# [notebook 04](04_resnet_block.ipynb)) also hold non-trainable ones, and the total counts both.

# %%
model.summary()

# %% [markdown]
# You can count those parameters yourself. A `Dense` layer with `n` inputs and `m` units has an
# `n × m` kernel plus `m` biases; `Flatten` only reshapes, so it has none.

# %%
hidden = 28 * 28 * 128 + 128   # 784 inputs x 128 units + 128 biases
output = 128 * 10 + 10         # 128 inputs x 10 units + 10 biases
assert hidden + output == model.count_params()
print(f"by hand: {hidden:,} + {output:,} = {hidden + output:,}; "
      f"model.count_params(): {model.count_params():,}")

# %% [markdown]
# ## Compile: choose how to learn
#
# `compile` attaches the three things training needs:
#
# - the **loss**, the number training pushes down. Ours is **cross-entropy**: for each image,
#   −ln of the probability the model gives the true class, averaged over the images — 0 for
#   a model sure and right, large for one sure and wrong. Our labels are integers 0–9, so it
#   is the *sparse* version (with one-hot labels you would use `categorical_crossentropy`,
#   as the article's example does in notebook 02);
# - the **optimizer**, the rule that changes each weight a little, in the direction that
#   lowers the loss (Adam here);
# - **metrics** to report; they do not affect training.

# %%
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
print("optimizer:", type(model.optimizer).__name__, "| loss:", model.loss)

# %% [markdown]
# Before training the weights are random, so the model should be about as good as a guess:
# 10 % accuracy and, giving each class a probability of about 1/10, a cross-entropy near
# −ln(1/10) ≈ 2.30 (a little above it, since random probabilities are not exactly even).

# %%
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
assert abs(loss - 2.30) < 0.3 and abs(accuracy - 0.10) < 0.06
print(f"untrained loss {loss:.1f}, within 0.3 of −ln(1/10) = {-np.log(0.1):.2f}")
print(f"untrained accuracy {accuracy * 100:.1f} %, within 6 points of the 10 % of guessing")

# %% [markdown]
# ## Fit: learn from the data
#
# `fit` shows the model the training images in batches of 64; after each batch the optimizer
# updates the weights. One pass over the data is an **epoch**. `validation_split=0.1` keeps
# the last 10 % of the training images aside: the model never trains on them, so their
# accuracy tells us how well it does on images it has not seen.
#
# The exact numbers in the log differ slightly between computers (the order of floating-point
# additions differs); the cell after it checks what must hold on every machine, and prints the
# figures rounded.

# %% tags=["nbval-ignore-output"]
epochs = cfg.pick(class_=8, full=30)
history = model.fit(x_train, y_train, batch_size=64, epochs=epochs,
                    validation_split=0.1, verbose=2)

# %%
logs = history.history
train_accuracy, val_accuracy = logs["accuracy"][-1], logs["val_accuracy"][-1]
assert logs["loss"][-1] < logs["loss"][0] and train_accuracy > 0.85 and val_accuracy > 0.80
print("epochs run:", len(logs["loss"]), "| logged:", sorted(logs))
print(f"training loss {logs['loss'][0]:.1f} after the first epoch, {logs['loss'][-1]:.1f} "
      f"after the last; training accuracy {train_accuracy * 100:.0f} % (this lesson expects "
      f"over 85 %), validation accuracy {val_accuracy * 100:.0f} % (over 80 %)")

# %% [markdown]
# ## Reading the learning curves
#
# Plot the loss and accuracy for every epoch. While both curves improve, the model is still
# learning general patterns. When the training curve keeps improving but the validation
# curve flattens or turns back, the model has started to memorise its training images —
# **overfitting** — and more epochs will not help. Here, after 8 epochs, both validation curves
# are still improving, a few points behind training; Exercise 3 looks for where they stop.

# %%
plots.plot_history(history)

# %% [markdown]
# ## Evaluate on the test set
#
# The test images played no part in training or in our choices, so they give the honest
# estimate of how the model will do on new photos.

# %%
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
assert test_accuracy > 0.80
print(f"test loss {test_loss:.1f}, test accuracy {test_accuracy * 100:.0f} %: above the 80 % "
      "this lesson expects, where guessing scores 10 %")

# %% [markdown]
# ## Predict
#
# `predict` returns, for each image, the 10 outputs of the softmax: probabilities that add up
# to 1. The predicted class is the most probable one (`argmax`).

# %%
probabilities = model.predict(x_test[:6], verbose=0)
print("shape:", probabilities.shape, "| row sums:", probabilities.sum(axis=1).round(4))
right = int(np.sum(probabilities.argmax(axis=1) == y_test[:6]))
assert right >= 4
print("at least 4 of these 6 predicted right, as a model above 80 % usually manages "
      "(the picture shows which)")

# %% [markdown]
# A picture shows more than the numbers: the green bar is the true class; a red bar is the
# model's choice when it is wrong. Notice how sure the model is — and on which kinds of clothes
# it hesitates (shirts, T-shirts, pullovers and coats look alike at 28 × 28).

# %%
plots.plot_probabilities(x_test[:6], probabilities, y_test[:6])

# %% [markdown]
# And a larger gallery: each title is *prediction (truth)*, red where the model is wrong.

# %%
predicted_32 = model.predict(x_test[:32], verbose=0).argmax(axis=1)
plots.show_images(x_test[:32], y_test[:32], predictions=predicted_32)

# %% [markdown]
# ## Looking inside: layers and weights
#
# A model is its layers; each layer holds its weights as *variables* (arrays that training can
# update in place). This is how you reach them
# — later notebooks use it to copy weights between models and to prove two models equal.

# %%
for layer in model.layers:
    shapes = [tuple(w.shape) for w in layer.weights]
    print(f"{layer.name:<8} {type(layer).__name__:<8} weights: {shapes}")

# %%
kernel, bias = model.layers[1].get_weights()   # the hidden Dense layer, as NumPy arrays
print("kernel", kernel.shape, kernel.dtype, "| bias", bias.shape)
print(f"{len(model.weights)} weights, {len(model.trainable_weights)} of them trainable, holding "
      f"{sum(int(np.prod(w.shape)) for w in model.weights):,} parameters")

# %% [markdown]
# ## What a plain stack cannot say
#
# `Sequential` assumes each layer has exactly one input and one output, and feeds each layer
# the previous one's output. Many useful networks are not a straight line: two inputs (an image
# *and* its metadata), two outputs, or a **skip connection** that adds a block's input to its
# output (the heart of the ResNet at the end of this series). Try to put a layer that combines
# two tensors, `Add`, into a stack, and Keras refuses:

# %% tags=["raises-exception"]
keras.Sequential([
    keras.Input(shape=(16,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Add(),   # adds two tensors: which two? A stack has only one.
])

# %% [markdown]
# `Add` needs a list of tensors, and a stack hands each layer exactly one. The Functional API
# of [notebook 02](02_functional_api.ipynb) lets you say which tensors go into each layer, so
# branches, merges and skips become easy.
#
# ## Recap
#
# - A **model** is layers wired together; `Sequential` wires them in a line. A layer's
#   **weights** are its arrays; its **parameters** are the numbers in them (`count_params()`).
# - Write it as a list, with `.add()`, or (best) starting from `keras.Input`; the three are the
#   same model, as the identical predictions showed.
# - `summary()` shows output shapes and parameters; a `Dense` layer has `inputs × units + units`.
# - The last layer's raw scores are the **logits**; softmax turns them into probabilities, and
#   **cross-entropy** (−ln of the true class's probability; ≈ 2.30 for a 10-class guess) is
#   the loss.
# - `compile` (loss, optimizer, metrics) → `fit` (with a validation split) → `evaluate` on the
#   test set → `predict` probabilities.
# - Learning curves tell you when a model stops learning and starts memorising.
# - A stack cannot express branches, several inputs/outputs or skip connections.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below
# it: the checker builds your model on small inputs and tells you what is right or what is
# missing (✅ or ❌ with a hint). Worked answers:
# [solutions/01_sequential_solutions.ipynb](solutions/01_sequential_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): a deeper MLP
#
# Add a second hidden layer, `Dense(64, activation="relu")`, after the first. Count its
# parameters by hand before you call `summary()`, then check.

# %%
# EXERCISE 1
def build_deeper_mlp():
    model = None  # your model here
    return model


# %%
checks.deeper_mlp(build_deeper_mlp)

# %% [markdown]
# ### Exercise 2 (practice): Dropout
#
# Add `keras.layers.Dropout(0.2)` right after the hidden layer of this notebook's MLP. At each
# training step Dropout zeroes each unit with probability 0.2 (and scales the others up by
# 1/0.8), so the network cannot lean on any single one; at inference it does nothing. Then
# train it: how do the training and validation curves change, and why?

# %%
# EXERCISE 2
def build_dropout_mlp():
    model = None  # your model here
    return model


# %%
checks.dropout_mlp(build_dropout_mlp)

# %% [markdown]
# ### Exercise 3 (stretch): stop at the right epoch
#
# Train for 30 epochs and find the epoch where validation accuracy peaks. Then read about
# `keras.callbacks.EarlyStopping` and write a function that returns one which watches a
# validation metric, waits a few epochs before giving up, and keeps the best epoch's weights.
# (A *callback* is an object that `fit` calls at fixed moments, such as the end of each epoch:
# pass it as `fit(..., callbacks=[...])`. [Notebook 06](06_training.ipynb) uses several.)

# %%
# EXERCISE 3
def make_early_stopping():
    return None  # your callback here


# %%
checks.early_stopping(make_early_stopping)

# %% [markdown]
# **Next:** [02 · The Functional API](02_functional_api.ipynb) — the article's first example,
# why it no longer runs, and what graphs of layers can do.
