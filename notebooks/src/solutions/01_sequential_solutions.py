# %% [markdown]
# # 01 · The Sequential model — solutions
#
# Worked answers to the exercises of [01 · The Sequential model](../01_sequential.ipynb), each
# followed by the checker the notebook uses. Try the exercises first!

# %%
import helpers

cfg = helpers.setup()

# %%
import keras
import numpy as np

from helpers import checks
from helpers.data import load_fashion_mnist

# %% [markdown]
# ## Exercise 1: a deeper MLP
#
# The new layer has a 128 × 64 kernel and 64 biases, 8,256 parameters; the output layer now
# reads 64 numbers instead of 128, so it shrinks to 64 × 10 + 10 = 650. In total
# 100,480 + 8,256 + 650 = 109,386.

# %% tags=["solution"]
def build_deeper_mlp():
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


# %%
checks.deeper_mlp(build_deeper_mlp)

# %% [markdown]
# ## Exercise 2: Dropout
#
# Dropout has no weights, so the parameter count stays 101,770. With it, expect training
# accuracy to rise more slowly (the network is handicapped during training) while validation
# accuracy keeps up better: the gap between the two curves — overfitting — shrinks. The run at
# the end of this notebook measures it: compare its gap at epoch 8 with the lesson's model
# without Dropout, which ended its 8 epochs at 88 % training and 83 % validation accuracy.

# %% tags=["solution"]
def build_dropout_mlp():
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])


# %%
checks.dropout_mlp(build_dropout_mlp)

# %% [markdown]
# ## Exercise 3: stop at the right epoch
#
# Watch validation accuracy, allow three epochs without improvement, and restore the best
# weights when stopping.

# %% tags=["solution"]
def make_early_stopping():
    return keras.callbacks.EarlyStopping(
        monitor="val_accuracy", patience=3, restore_best_weights=True)


# %%
checks.early_stopping(make_early_stopping)

# %% [markdown]
# It works in a real `fit`, here on the Dropout MLP of Exercise 2: training stops once
# validation accuracy has not improved for three epochs, before the 30 allowed.

# %% tags=["nbval-ignore-output"]
(x_train, y_train), _ = load_fashion_mnist()
model = build_dropout_mlp()
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train / 255.0, y_train, epochs=30, batch_size=64, validation_split=0.1,
                    callbacks=[make_early_stopping()], verbose=2)

# %%
logs = history.history
epochs_run, best = len(logs["loss"]), int(np.argmax(logs["val_accuracy"])) + 1
assert epochs_run < 30 and epochs_run == best + 3
train_8, val_8 = logs["accuracy"][7] * 100, logs["val_accuracy"][7] * 100
assert train_8 - val_8 < 5
print("stopped before the 30 epochs allowed, 3 epochs after validation accuracy peaked "
      "(the log above has the epochs)")
print("epoch 8: validation accuracy within 5 points of training (without Dropout: about 5)")
