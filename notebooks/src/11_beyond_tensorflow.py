# %% [markdown]
# # 11 · Beyond TensorFlow
#
# Notebooks [01](01_sequential.ipynb)–[10](10_choosing_an_api.ipynb) ran Keras on TensorFlow.
# But Keras 3 is *multi-backend*: the `keras` code you write — layers, models, `compile`,
# `fit` — is carried out by one of several array libraries, the **backend**: TensorFlow, JAX or
# PyTorch. The backend supplies the tensors, the gradients and the compiler; Keras supplies
# everything you have used so far. This notebook runs the article's subclassed ResNet on
# **JAX**, Google's library of NumPy-like arrays with automatic differentiation
# (`jax.grad`) and compilation with XLA (`jax.jit`; XLA is the compiler notebook 09 switched on
# with `jit_compile=True`).
#
# **What you will learn**
#
# - how Keras chooses its backend, and why it must be chosen before `keras` is imported;
# - that the series' ResNet runs unchanged on JAX, and that a `.keras` file saved by TensorFlow
#   loads on JAX with the same predictions;
# - three ways to train on JAX — `fit`, a `train_step` override, a loop under `jax.jit` — and
#   what JAX's *functional* style changes, BatchNormalization's moving statistics included;
# - how to feed `fit` without `tf.data`;
# - data parallelism with Keras's own `keras.distribution`, on two CPU devices;
# - what TensorFlow and JAX cost on this machine, side by side.

# %% [markdown]
# ## Set-up: the backend comes first
#
# Keras picks its backend **once, when `keras` is first imported**: from the environment
# variable `KERAS_BACKEND` if it is set, otherwise from the `"backend"` entry of
# `~/.keras/keras.json`, otherwise TensorFlow (`keras/src/backend/config.py`). So the first cell
# sets it before anything imports Keras: `helpers.setup(backend="jax")` sets `KERAS_BACKEND`,
# then imports Keras, seeds and prints the versions.
#
# One more setting must come before JAX starts. JAX sees the CPU as one *device* (a processor
# it can place arrays and computations on); the XLA flag `--xla_force_host_platform_device_count=2`
# makes it present the CPU as two, which the section on data parallelism needs.

# %%
import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"  # read when JAX starts

import helpers

cfg = helpers.setup(backend="jax")

# %% [markdown]
# What if you change your mind later? Setting the variable now changes nothing — Keras has
# already read it:

# %%
import keras

os.environ["KERAS_BACKEND"] = "tensorflow"
print("KERAS_BACKEND says", os.environ["KERAS_BACKEND"], "| Keras uses", keras.backend.backend())
os.environ["KERAS_BACKEND"] = "jax"

# %% [markdown]
# `helpers.setup` refuses rather than pretend:

# %% tags=["raises-exception"]
helpers.setup(backend="tensorflow")

# %% [markdown]
# Keras has one way out, `keras.config.set_backend("tensorflow")`: it deletes every loaded
# `keras` module and imports Keras again. Its docstring warns that objects created before —
# layers, models, tensors — are not converted and will no longer work
# (`keras/src/utils/backend_utils.py`). In a notebook, restart the kernel instead.

# %% [markdown]
# ## The same ResNet, unchanged
#
# `helpers.models.ResNet` is the article's network written only with `keras` and `keras.ops`
# ([notebook 05](05_resnet.ipynb)), so it needs no change. `new_resnet` builds it as notebook 08
# did: re-seeded, so every call starts from the same weights.

# %%
import json
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

from helpers.data import ArrayBatches, load_fashion_mnist, make_dataset
from helpers.models import ResNet, batchnorm_layers
from helpers.runtime import seed_everything


def new_resnet(model_class=ResNet):
    """A freshly seeded, built ResNet([2, 2, 2], 10): the same weights on every call."""
    seed_everything(cfg.seed)
    model = model_class([2, 2, 2], 10, kernel_initializer="he_normal", bn_momentum=0.9)
    model.build((None, 28, 28, 1))
    return model


def largest_difference(model_a, model_b):
    """The largest absolute difference between two models' weights (0.0: bit-identical)."""
    return max(float(np.max(np.abs(u - v)))
               for u, v in zip(model_a.get_weights(), model_b.get_weights()))


model = new_resnet()
print(f"parameters: {model.count_params():,}")
weight = model.trainable_variables[0]
print(f"{weight.path} is a keras.Variable; it holds a",
      "jax.Array" if isinstance(weight.value, jax.Array) else type(weight.value))

# %% [markdown]
# 175,898 parameters, as on TensorFlow. The variables are Keras's own `Variable` class; what
# they hold is now a JAX array.

# %% [markdown]
# ## A `.keras` file crosses backends
#
# A `.keras` file ([notebook 07](07_saving.ipynb)) stores the configuration and the weights as
# NumPy-compatible arrays, nothing backend-specific. To prove it, a separate Python process on
# the TensorFlow backend trains a ResNet for two steps (so the moving statistics are no longer
# their initial 0 and 1), saves it, and saves its predictions on 64 test images.
# `helpers.backends.run_on_backend` starts that process with `KERAS_BACKEND=tensorflow` and
# returns what it printed. The model uses `fused_batchnorm=True`, TensorFlow's one-kernel
# BatchNormalization ([notebook 09](09_scaling_out.ipynb)): a layer that calls TensorFlow
# directly is the likeliest thing to break on another backend.

# %%
from helpers.backends import run_on_backend

folder = Path(tempfile.mkdtemp())
SAVE_ON_TENSORFLOW = f"""
import helpers
helpers.setup(verbose=False)
import json, keras, numpy as np
from helpers.data import load_fashion_mnist
from helpers.models import ResNet
(x, y), (x_test, _) = load_fashion_mnist()
model = ResNet([2, 2, 2], 10, kernel_initializer="he_normal", bn_momentum=0.9,
               fused_batchnorm=True)
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x[:256, ..., None] / 255.0, y[:256], batch_size=128, verbose=0)
model.save("{folder}/resnet.keras")
np.save("{folder}/logits.npy", model.predict(x_test[:64, ..., None] / 255.0, verbose=0))
print(json.dumps([[type(layer).__name__, layer.count_params()] for layer in model.layers]))
"""
tensorflow_layers = json.loads(run_on_backend("tensorflow", SAVE_ON_TENSORFLOW))
print(sorted(path.name for path in folder.iterdir()))

# %% [markdown]
# Now load the file here, on JAX. The summary lists the article's layers, as on TensorFlow;
# the saved optimizer adds a line: Adam's two moment estimates per weight, plus its step count
# and learning rate.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
restored = keras.models.load_model(folder / "resnet.keras")
restored.summary()

# %%
jax_layers = [[type(layer).__name__, layer.count_params()] for layer in restored.layers]
assert jax_layers == tensorflow_layers
print("layer by layer, the same classes and parameter counts as the model TensorFlow saved:",
      ", ".join(f"{name} {count:,}" for name, count in jax_layers))

# %% tags=["nbval-ignore-output"]
logits_jax = restored.predict(x_test[:64, ..., None] / 255.0, verbose=0)
gap = float(np.max(np.abs(logits_jax - np.load(folder / "logits.npy"))))
print(f"largest difference between TensorFlow's and JAX's logits: {gap:.1e}")

# %%
assert gap <= 1e-5
print("the same predictions up to float rounding: the largest difference (above) is within the "
      "1e-5 this lesson expects")

# %% [markdown]
# The layers are still `FusedBatchNormalization`, and they work: that class only calls
# TensorFlow's kernel for training *on the TensorFlow backend*; everywhere else, and for every
# prediction, it runs Keras's own BatchNormalization code (`helpers/models.py`, `_can_fuse`).
# The two backends compute in different orders, so the logits agree to about 1e-6, not bit
# for bit.

# %% [markdown]
# ## Training on JAX, three ways
#
# Notebook 08 trained one model three ways on TensorFlow. Here are the same three on JAX,
# with the same starting weights and the same batches: 512 training images in a fixed order,
# eight batches of 64, one epoch.

# %%
BATCH_SIZE = 64
x_small = (x_train[:512, ..., None] / 255.0).astype("float32")
y_small = y_train[:512].astype("int32")
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def compile_for_training(model):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=loss_fn)
    return model


# %% [markdown]
# ### Way 1: `fit`
#
# Nothing changes in your code. Underneath, Keras's JAX trainer (`keras/src/backend/jax/trainer.py`)
# compiles its training step with `jax.jit` — on JAX, `compile`'s `jit_compile="auto"` means
# yes — so the first step takes seconds and the others far less.

# %% tags=["nbval-ignore-output"]
fit_model = compile_for_training(new_resnet())
fit_history = fit_model.fit(x_small, y_small, batch_size=BATCH_SIZE, epochs=1, shuffle=False,
                            verbose=2)

# %%
assert fit_history.history["loss"][0] < np.log(10)
print(f"mean training loss below ln 10 = {np.log(10):.3f}, the loss of a uniform guess over "
      "10 classes: the model is learning")

# %% [markdown]
# ### JAX is functional: state in, state out
#
# A JAX function cannot change a variable in place: `jax.jit` and `jax.grad` transform *pure*
# functions, whose result depends only on their arguments. So a Keras model offers a pure
# version of `call`: `stateless_call(trainable, non_trainable, inputs)` takes the values of the
# variables as arguments and *returns* the new values of the non-trainable ones — for the
# ResNet, BatchNormalization's moving means and variances — instead of assigning them:

# %%
probe = new_resnet()
trainable = [v.value for v in probe.trainable_variables]
non_trainable = [v.value for v in probe.non_trainable_variables]
logits, new_non_trainable = probe.stateless_call(trainable, non_trainable, x_small[:64],
                                                 training=True)
moving_mean = batchnorm_layers(probe)[0].moving_mean
index = [v.path for v in probe.non_trainable_variables].index(moving_mean.path)
print("moving mean in the model:        ", np.round(np.asarray(moving_mean.value)[:3], 2))
print("moving mean stateless_call returns:", np.round(np.asarray(new_non_trainable[index])[:3], 2))

# %% [markdown]
# The model's variable still holds zeros; the update exists only in what came back. Whoever
# calls `stateless_call` must carry that state forward — drop it, and the moving statistics
# never move, like the `training=True` trap of [notebook 08](08_custom_training.ipynb).
# `fit` carries it: its step takes all the state (trainable, non-trainable, optimizer and
# metric variables) and returns the new state, and Keras writes it back into the variables at
# the end of the epoch, or earlier when a callback needs them.

# %% [markdown]
# ### Way 2: a JAX `train_step`
#
# On JAX, `train_step` receives that state with the batch, and returns the logs and the new
# state. The step below is Keras's built-in one, cut to what this model needs: `jax.value_and_grad`
# gives the loss and its gradients (`has_aux=True`: the function also returns the new
# non-trainable values, which are not differentiated); `optimizer.stateless_apply` returns new
# weights and optimizer state instead of updating them; and `compile`'s running mean of the
# loss, the only metric here, is updated statelessly too.

# %%
class JaxStepResNet(ResNet):
    """The article's ResNet with a training step written for the JAX backend."""

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        images, labels = data

        def loss_and_updates(trainable):
            logits, new_non_trainable = self.stateless_call(trainable, non_trainable, images,
                                                            training=True)
            return loss_fn(labels, logits), new_non_trainable

        gradient_fn = jax.value_and_grad(loss_and_updates, has_aux=True)
        (loss, non_trainable), gradients = gradient_fn(trainable)
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, gradients,
                                                                   trainable)
        (loss_mean,) = self.metrics  # compile's running mean of the loss
        metrics_vars = loss_mean.stateless_update_state(metrics_vars, loss,
                                                        sample_weight=len(images))
        logs = {"loss": loss_mean.stateless_result(metrics_vars)}
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)


# %% tags=["nbval-ignore-output"]
step_model = compile_for_training(new_resnet(JaxStepResNet))
step_history = step_model.fit(x_small, y_small, batch_size=BATCH_SIZE, epochs=1, shuffle=False,
                              verbose=2)

# %%
assert list(step_history.history) == ["loss"] and int(step_model.optimizer.iterations) == 8
print("fit ran our train_step: it logged", list(step_history.history), "after",
      int(step_model.optimizer.iterations), "optimizer steps")

# %% [markdown]
# ### Way 3: a loop under `jax.jit`
#
# Without `fit`, the state is ours to hold: a tuple of lists of arrays, passed to a jitted step
# and replaced by what it returns. At the end we write it back into the model's variables.
# Every batch has the same shape, so `jax.jit` compiles once.

# %%
loop_model = new_resnet()
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
optimizer.build(loop_model.trainable_variables)


def loss_and_updates(trainable, non_trainable, images, labels):
    logits, non_trainable = loop_model.stateless_call(trainable, non_trainable, images,
                                                      training=True)
    return loss_fn(labels, logits), non_trainable


@jax.jit
def train_step(state, images, labels):
    trainable, non_trainable, optimizer_vars = state
    gradient_fn = jax.value_and_grad(loss_and_updates, has_aux=True)
    (loss, non_trainable), gradients = gradient_fn(trainable, non_trainable, images, labels)
    trainable, optimizer_vars = optimizer.stateless_apply(optimizer_vars, gradients, trainable)
    return loss, (trainable, non_trainable, optimizer_vars)


state = tuple([v.value for v in variables] for variables in (
    loop_model.trainable_variables, loop_model.non_trainable_variables, optimizer.variables))
losses = []
for start in range(0, len(x_small), BATCH_SIZE):
    batch = slice(start, start + BATCH_SIZE)
    loss, state = train_step(state, x_small[batch], y_small[batch])
    losses.append(float(loss))
for variables, values in zip((loop_model.trainable_variables,
                              loop_model.non_trainable_variables), state):
    for variable, value in zip(variables, values):
        variable.assign(value)

# %% [markdown]
# ### Three ways, one result

# %%
results = {"fit": fit_history.history["loss"][0], "train_step": step_history.history["loss"][0],
           "jit loop": float(np.mean(losses))}
gaps = [largest_difference(fit_model, other) for other in (step_model, loop_model)]
moved = sum(float(np.max(np.abs(layer.moving_mean))) > 0 for layer in batchnorm_layers(loop_model))
assert max(gaps) == 0 and moved == len(batchnorm_layers(loop_model))
assert max(results.values()) - min(results.values()) < 1e-6
print("mean training loss of", ", ".join(results), "the same to within 1e-6 (the logs above)")
print("largest weight difference from fit:", gaps, "| BatchNormalization layers whose moving "
      f"mean moved in the loop: {moved} of {len(batchnorm_layers(loop_model))}")

# %% [markdown]
# The three runs end with **bit-identical weights** (on TensorFlow, notebook 08's three ways
# only agreed to within rounding). Here all three compile the same computation with XLA, in
# the same order. And the loop's moving statistics moved, because its step passes
# `non_trainable` on.

# %% [markdown]
# ## Input without `tf.data`
#
# `fit` on JAX takes NumPy arrays, as above. It also takes a `tf.data.Dataset` — Keras turns
# each batch into NumPy arrays for JAX (`keras/src/trainers/data_adapters/tf_dataset_adapter.py`)
# — so `helpers.data.make_dataset` works here, as long as TensorFlow is installed. Without
# TensorFlow, a `keras.utils.PyDataset` does the job: a class whose `__getitem__(i)` returns
# batch *i*, and whose `on_epoch_end` Keras calls after every epoch. `helpers.data.ArrayBatches`
# is one, with the same recipe as `make_dataset` ([notebook 06](06_training.ipynb)): each
# epoch's order and augmentation (shift up to 2 pixels, mirror half the time) a pure function
# of (seed, epoch), computed in NumPy. It is not bit-identical to the `tf.data` version:
# different random-number generators.
#
# What does each cost? We time one epoch of batches, 12,000 images in batches of 128, without
# training: the time the input adds to every epoch.

# %% tags=["nbval-ignore-output"]
def seconds_for_one_epoch(batches):
    start = time.perf_counter()
    count = sum(len(labels) for _, labels in batches)
    return time.perf_counter() - start, count


pipelines = {
    "tf.data (make_dataset)": make_dataset(x_train, y_train, 128, training=True, augment=True),
    "PyDataset (ArrayBatches)": ArrayBatches(x_train, y_train, 128, training=True, augment=True),
}
input_seconds = {}
for name, pipeline in pipelines.items():
    batches = pipeline.as_numpy_iterator() if name.startswith("tf") else (
        pipeline[i] for i in range(len(pipeline)))
    input_seconds[name], count = seconds_for_one_epoch(batches)
    print(f"{name:26} {input_seconds[name]:.2f} s for {count:,} augmented images")

# %%
assert max(input_seconds.values()) < 10
print("each pipeline prepares an epoch in under the 10 s this lesson allows (figures above); "
      "a training step takes far longer")

# %% [markdown]
# Either way the input is cheap next to the training it feeds. And `fit` takes the
# `PyDataset` like any other input. `shuffle=False`, because `fit` would otherwise shuffle the
# order of its batches with Python's `random` module
# (`keras/src/trainers/data_adapters/py_dataset_adapter.py`), and the order would no longer be
# a function of (seed, epoch) alone:

# %% tags=["nbval-ignore-output"]
augmented = ArrayBatches(x_train[:512], y_train[:512], BATCH_SIZE, training=True, augment=True)
augmented_history = fit_model.fit(augmented, epochs=1, shuffle=False, verbose=2)

# %%
assert len(augmented) == 8 and int(fit_model.optimizer.iterations) == 16
print(f"the PyDataset gave fit {len(augmented)} batches: this model's optimizer has now made "
      f"{int(fit_model.optimizer.iterations)} steps")

# %% [markdown]
# ## Data parallelism with `keras.distribution`
#
# Notebook 09 spread training over devices with `tf.distribute`, TensorFlow's API — where
# `fit` under `MultiWorkerMirroredStrategy` is broken in Keras 3. Keras 3 has its own API,
# `keras.distribution`, implemented in full for JAX (the TensorFlow backend has a partial
# version, `keras/src/backend/tensorflow/distribution_lib.py`). You
# describe the devices and how to split tensors over them; JAX's compiler writes the
# communication. `DataParallel` splits each batch along its first axis and *replicates* every
# variable: a full copy per device.

# %%
devices = keras.distribution.list_devices()
distribution = keras.distribution.DataParallel(devices=devices)
print("devices:", devices)
print("a batch of 64:", distribution.get_data_layout((64, 28, 28, 1)))

# %% [markdown]
# `set_distribution` makes it the default: variables created from now on are placed by it, and
# `fit` splits its batches. Same model, same batches as way 1:

# %% tags=["nbval-ignore-output"]
keras.distribution.set_distribution(distribution)
parallel_model = compile_for_training(new_resnet())
parallel_history = parallel_model.fit(x_small, y_small, batch_size=BATCH_SIZE, epochs=1,
                                      shuffle=False, verbose=2)

# %%
kernel = parallel_model.trainable_variables[0]
print(f"{kernel.path}:", kernel.value.sharding)
parallel_loss, fit_loss = parallel_history.history["loss"][0], fit_history.history["loss"][0]
assert abs(parallel_loss - fit_loss) < 1e-3
print("mean training loss within 1e-3 of way 1's (both logs above)")

# %% [markdown]
# `spec=P(None, None, None, None)`: no axis of the kernel is split, so each device holds all of
# it. The loss matches way 1's, but not to the bit: the sums are split over two devices.
#
# One difference from notebook 09 matters for this model. There, each replica's
# BatchNormalization saw only its own part of the batch. Here the model is *one* program over
# the whole batch, and XLA adds the communication, so BatchNormalization normalises with the
# statistics of all 64 images. Compare one training-mode forward pass with and without the
# distribution, and with a half batch:

# %%
batch = jax.device_put(x_small[:64], distribution.get_data_layout((64, 28, 28, 1)).backend_layout)
split = np.asarray(new_resnet()(batch, training=True))
keras.distribution.set_distribution(None)
single = new_resnet()
whole, half = (np.asarray(single(images, training=True)) for images in (x_small[:64],
                                                                         x_small[:32]))
apart, half_apart = np.max(np.abs(split - whole)), np.max(np.abs(half - whole[:32]))
assert apart < 1e-5 < 1e-2 < half_apart
print("logits on two devices vs one: under 1e-5 apart | with the statistics of 32 images "
      "instead of 64: over 1e-2 apart")

# %% [markdown]
# For real machines, the code stays the same. Each machine starts the same script and, before
# anything else, calls `keras.distribution.initialize(job_addresses, num_processes,
# process_id)` (or sets `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `..._NUM_PROCESSES`,
# `..._PROCESS_ID`); `list_devices()` then lists the devices of every machine, and
# `DataParallel` spans them all (`keras/src/distribution/distribution_lib.py`). For models too
# large for one device, `ModelParallel` with a `LayoutMap` splits the variables as well.

# %% [markdown]
# ## TensorFlow and JAX, side by side
#
# Last, the same training on both backends, each in its own fresh process:
# `helpers.backends.training_costs` trains the ResNet (Keras's own BatchNormalization on both)
# on batches of 64 for ten steps and reports the first step (TensorFlow traces a graph, JAX compiles with
# XLA), the median of the later steps, and the process's peak memory.

# %% tags=["nbval-ignore-output"]
from helpers.backends import training_costs

costs = [training_costs(backend, batch_size=64, steps=10) for backend in ("tensorflow", "jax")]
print(f"{'backend':12}{'first step':>12}{'later steps':>13}{'images/s':>10}{'peak memory':>13}")
for c in costs:
    print(f"{c['backend']:12}{c['first_step_s']:>10.1f} s{c['step_ms']:>10.0f} ms"
          f"{c['images_per_s']:>10.0f}{c['peak_rss_mb']:>10.0f} MB")

# %%
assert [c["backend"] for c in costs] == ["tensorflow", "jax"]
assert all(c["first_step_s"] > c["step_ms"] / 1000 > 0 and c["peak_rss_mb"] > 0 for c in costs)
print("both backends trained, and on both the first step (tracing or compiling) took longer than "
      "the later ones (figures above)")

# %% [markdown]
# Read these figures with care: ten steps on a shared machine are a rough measure. On the
# machine that made this notebook, which backend came out ahead changed from one run to the
# next (`bench/throughput.py --backends tensorflow jax` measures properly; `bench/README.md`
# has its figures). Both backends pay once, at the first step: TensorFlow traces a graph, JAX
# compiles the whole step with XLA. The memory is the whole process: the library, the data,
# the model. Neither backend wins everywhere. On a CPU, TensorFlow's convolutions run on
# oneDNN, Intel's tuned kernel library, and only TensorFlow has the fused BatchNormalization
# kernel behind `bench/`'s fastest CPU settings; XLA compiles the whole step into one program,
# for GPUs and TPUs as for CPUs (only the CPU is measurable here). So: on a laptop CPU,
# TensorFlow, the series' default; for `keras.distribution`, JAX's own tools, or an accelerator
# where it measures faster, JAX. The model and the `.keras` file are the same, and switching is
# one environment variable.

# %% [markdown]
# ## Recap
#
# - The backend is chosen once, before `import keras`: `KERAS_BACKEND`, then `keras.json`,
#   then TensorFlow. To switch, restart.
# - The article's ResNet, its `.keras` file and `fit` work unchanged on JAX; predictions agree
#   with TensorFlow's to about 1e-6.
# - JAX is functional: `stateless_call`, `value_and_grad` and `stateless_apply` take the state
#   and return the new state. A custom `train_step` or loop must pass on the non-trainable
#   state, or BatchNormalization's statistics never move.
# - Input: arrays, `tf.data` (with TensorFlow installed) or a `keras.utils.PyDataset`.
# - `keras.distribution.DataParallel` splits batches and replicates variables; on JAX,
#   BatchNormalization sees the whole batch.
#
# ## Exercises
#
# The checkers run on JAX. Worked answers:
# [solutions/11_beyond_tensorflow_solutions.ipynb](solutions/11_beyond_tensorflow_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): predict statelessly
#
# Write `predict_statelessly(model, trainable, non_trainable, images)`: the model's logits in
# inference mode, computed with `stateless_call` from the given variable values (lists of
# arrays), not from the model's variables.

# %%
# EXERCISE 1
def predict_statelessly(model, trainable, non_trainable, images):
    return None  # the logits


# %%
checks.predict_statelessly(predict_statelessly)

# %% [markdown]
# ### Exercise 2 (practice): a jitted step that keeps the state
#
# Write `make_jitted_step(model, optimizer, loss_fn)`: it returns a `jax.jit`-compiled
# `step(state, images, labels)`, where `state` is `(trainable, non_trainable, optimizer_vars)`
# as in way 3; the step returns `(loss, new_state)`. The checker trains a small model with
# BatchNormalization and compares it with way 3's recipe.

# %%
# EXERCISE 2
def make_jitted_step(model, optimizer, loss_fn):
    def step(state, images, labels):
        return None  # (loss, new_state)

    return step


# %%
checks.jitted_step(make_jitted_step)

# %% [markdown]
# ### Exercise 3 (practice): data parallelism over the CPU's devices
#
# Write `data_parallel()`: a `keras.distribution.DataParallel` over every device
# `list_devices()` reports. The checker trains a small model under it (and then removes it).

# %%
# EXERCISE 3
def data_parallel():
    return None  # a keras.distribution.DataParallel


# %%
checks.data_parallel(data_parallel)

# %% [markdown]
# Back to [10 · Choosing an API](10_choosing_an_api.ipynb) for the decision guide, which now
# asks one more question: which backend.
