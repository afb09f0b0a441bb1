# %% [markdown]
# # 11 · Beyond TensorFlow — solutions
#
# Worked answers to the exercises of [11 · Beyond TensorFlow](../11_beyond_tensorflow.ipynb),
# each followed by the checker the notebook uses. Like the lesson, this notebook runs Keras on
# JAX, with the CPU presented as two devices.

# %%
import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"

import helpers

cfg = helpers.setup(backend="jax")

# %%
import jax
import keras

from helpers import checks

# %% [markdown]
# ## Exercise 1: predict statelessly
#
# `stateless_call` returns a pair: the outputs and the new non-trainable values. For
# inference, `training=False`, the second element holds the values passed in, unchanged; keep
# only the outputs.

# %% tags=["solution"]
def predict_statelessly(model, trainable, non_trainable, images):
    logits, _ = model.stateless_call(trainable, non_trainable, images, training=False)
    return logits


# %%
checks.predict_statelessly(predict_statelessly)

# %% [markdown]
# ## Exercise 2: a jitted step that keeps the state
#
# Way 3's step, written for any model: the loss function returns the new non-trainable values
# as its auxiliary output, `value_and_grad(..., has_aux=True)` differentiates only the loss,
# and every part of the state that changed is returned.

# %% tags=["solution"]
def make_jitted_step(model, optimizer, loss_fn):
    def loss_and_updates(trainable, non_trainable, images, labels):
        logits, non_trainable = model.stateless_call(trainable, non_trainable, images,
                                                     training=True)
        return loss_fn(labels, logits), non_trainable

    @jax.jit
    def step(state, images, labels):
        trainable, non_trainable, optimizer_vars = state
        gradient_fn = jax.value_and_grad(loss_and_updates, has_aux=True)
        (loss, non_trainable), gradients = gradient_fn(trainable, non_trainable, images, labels)
        trainable, optimizer_vars = optimizer.stateless_apply(optimizer_vars, gradients,
                                                              trainable)
        return loss, (trainable, non_trainable, optimizer_vars)

    return step


# %%
checks.jitted_step(make_jitted_step)

# %% [markdown]
# ## Exercise 3: data parallelism over the CPU's devices
#
# `DataParallel(devices=...)` builds a one-axis device mesh named `"batch"` from the list;
# with no argument it calls `list_devices()` itself, so `DataParallel()` is the same here.

# %% tags=["solution"]
def data_parallel():
    return keras.distribution.DataParallel(devices=keras.distribution.list_devices())


# %%
checks.data_parallel(data_parallel)
