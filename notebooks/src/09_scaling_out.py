# %% [markdown]
# # 09 · Scaling out
#
# [08 · Custom training](08_custom_training.ipynb) wrote the training loop by hand. This
# notebook trains the same subclassed ResNet *bigger and faster* with what TensorFlow already
# provides: `tf.distribute` spreads training over devices or machines; mixed precision and XLA
# make each step cheaper. Next, [10 · Choosing an API](10_choosing_an_api.ipynb) weighs the
# evidence of the whole series.
#
# **What you will learn**
#
# - data parallelism with `MirroredStrategy`: what changes in your code (`strategy.scope()`,
#   the *global* batch, the learning rate), run on two *logical* CPU devices, and proof that it
#   trains the ResNet as well as one device;
# - BatchNormalization under a strategy, and `synchronized=True`;
# - `MultiWorkerMirroredStrategy` and `TF_CONFIG`: a real two-worker cluster on this machine;
#   Keras 3's own `keras.distribution`;
# - mixed precision (`mixed_float16`, `mixed_bfloat16`): float32 variables, 16-bit arithmetic,
#   float32 logits by one extra layer, loss scaling;
# - XLA `jit_compile=True`, and how to time all of this honestly on a CPU.

# %% [markdown]
# ## Set-up

# %%
import helpers

cfg = helpers.setup()

# %% [markdown]
# `tf.distribute` needs several devices. We split this machine's one CPU device into two
# **logical devices**. This must happen before TensorFlow creates its devices at the first
# operation (afterwards `set_logical_device_configuration` raises a `RuntimeError`). The two
# share the same cores: a way to *run* distributed code anywhere, not to make it faster.

# %%
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
print("logical CPUs:", [device.name for device in tf.config.list_logical_devices("CPU")])

# %%
import json
import os
import socket
import subprocess
import sys
import timeit
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np

from helpers.data import load_fashion_mnist
from helpers.models import ResNet, batchnorm_layers  # batchnorm_layers: written in notebook 05
from helpers.runtime import seed_everything

# %% [markdown]
# ## Data parallelism with `MirroredStrategy`
#
# **Data parallelism** keeps one copy of the model on every device (a *replica*) and splits
# each batch between them. Every replica runs the forward and backward pass on its share; then
# the gradients of all replicas are added up (an *all-reduce*) and every replica applies the
# same update, so the copies stay identical. `MirroredStrategy` does this on the devices of
# one machine: with no arguments it takes every GPU it can see or, without GPUs, every logical
# CPU — here our two.

# %%
strategy = tf.distribute.MirroredStrategy()
print(strategy.num_replicas_in_sync, "replicas in sync on", strategy.extended.worker_devices)

# %% [markdown]
# **What changes in your code: 1. `strategy.scope()`.** Variables created inside the scope are
# *mirrored*: one copy per device, kept in sync. So the model, its optimizer and `compile`
# (which creates the metrics' variables) go inside; `fit`, `evaluate` and `predict` may be
# called anywhere — the model remembers its strategy.
#
# **2. The batch size you pass to `fit` is the *global* batch.** `fit` splits each batch
# between the replicas, so to give each replica 64 images you ask for 64 × replicas.
#
# **3. The learning rate.** With `N` replicas you usually grow the global batch `N` times, and
# a larger batch gives a less noisy gradient. For SGD the rule is to scale the learning rate
# by the same factor, with a few epochs of warm-up (*linear scaling*, Goyal et al. 2017).
# Adam already divides each step by a running estimate of the gradient's size; for it a
# square-root rule (× √N) or no scaling is common — measure. This lesson keeps the
# single-device run's global batch, 128, and so Adam's learning rate.
#
# ### The BatchNormalization catch
#
# Gradients are summed across replicas, but in training mode each BatchNormalization layer
# normalises with the statistics of *its replica's* share of the batch, and updates *its
# replica's* copy of the moving statistics. One batch of 16 rows shows it: replica 0 gets 8
# zeros, replica 1 gets 8 tens (momentum 0.5: one step moves a moving mean halfway from 0 to
# the batch mean).

# %%
def moving_means_per_replica(synchronized):
    """Train one step on [8 x zeros, 8 x tens]; return each replica's moving mean."""
    with strategy.scope():
        bn = keras.layers.BatchNormalization(momentum=0.5, synchronized=synchronized)
        model = keras.Sequential([keras.Input((1,)), bn, keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    x, y = np.array([[0.0]] * 8 + [[10.0]] * 8, "float32"), np.zeros((16, 1), "float32")
    model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    return [round(float(copy.numpy()[0]), 3) for copy in bn.moving_mean.value.values]


print("synchronized=False (default):", moving_means_per_replica(False))
print("synchronized=True:           ", moving_means_per_replica(True))

# %% [markdown]
# By default the replicas disagree (0 and 5), each estimated from half of every batch: `save`
# keeps replica 0's copy, and `evaluate` under the strategy normalises each replica's share
# with that replica's copy. With `synchronized=True` the statistics come from the *global*
# batch (one more all-reduce per layer): both replicas get 2.5, as one device would. With a
# few images per device (detection, segmentation) this matters; we switch it on to compare
# like with like.
#
# ## One device against two replicas
#
# We train the article's `ResNet([2, 2, 2], 10)` from `helpers.models`
# ([notebook 05](05_resnet.ipynb)), set up as notebooks 05 and 06 concluded (He initialisation,
# `bn_momentum=0.9`), twice from the same weights on the same 3,000 images (`class` profile):
# on the default device, then under the strategy. This `ResNet` has no `synchronized`
# argument, so `new_resnet` sets the attribute on each layer that `batchnorm_layers` finds; a
# layer reads it at every call.

# %%
GLOBAL_BATCH = 64 * strategy.num_replicas_in_sync  # 64 images per replica
LEARNING_RATE = 1e-3  # Adam's default, as on one device with a batch of 128
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
EPOCHS, n_train = cfg.pick(class_=3, full=5), cfg.pick(class_=3_000, full=len(x_train))
order = np.random.default_rng(cfg.seed).permutation(len(x_train))[:n_train]
x_small = (x_train[order].astype("float32") / 255.0)[..., np.newaxis]  # (n, 28, 28, 1)
y_small = y_train[order].astype("int32")
x_eval, y_eval = (x_test.astype("float32") / 255.0)[..., np.newaxis], y_test.astype("int32")


def new_resnet():
    """A freshly seeded, built and compiled ResNet: the same weights on every call."""
    seed_everything(cfg.seed)
    model = ResNet([2, 2, 2], 10, kernel_initializer="he_normal", bn_momentum=0.9)
    model.build((None, 28, 28, 1))
    for layer in batchnorm_layers(model):
        layer.synchronized = True  # global-batch statistics under a strategy; no-op without
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


print("training:", x_small.shape, "| test:", x_eval.shape, "| global batch:", GLOBAL_BATCH)

# %% [markdown]
# `shuffle=False`: the images are already in a fixed random order, so both runs see the same
# batches. The logs vary in their last digits between machines; the next cell checks what
# must hold.

# %% tags=["nbval-ignore-output"]
single = new_resnet()
single.fit(x_small, y_small, batch_size=GLOBAL_BATCH, epochs=EPOCHS, shuffle=False, verbose=2)
with strategy.scope():
    mirrored = new_resnet()  # the only change: built and compiled inside the scope
mirrored.fit(x_small, y_small, batch_size=GLOBAL_BATCH, epochs=EPOCHS, shuffle=False, verbose=2)

single_accuracy = single.evaluate(x_eval, y_eval, verbose=0, return_dict=True)["accuracy"]
mirrored_accuracy = mirrored.evaluate(x_eval, y_eval, verbose=0, return_dict=True)["accuracy"]
print(f"test accuracy: {single_accuracy:.3f} on one device, {mirrored_accuracy:.3f} on two replicas")

# %%
ACCURACY_FLOOR, TOLERANCE = cfg.pick(class_=0.60, full=0.85), 0.03
gap = abs(single_accuracy - mirrored_accuracy)
copies = [copy.numpy() for copy in batchnorm_layers(mirrored)[0].moving_mean.value.values]
spread = float(np.max(np.abs(copies[0] - copies[1])))
assert min(single_accuracy, mirrored_accuracy) > ACCURACY_FLOOR and gap < TOLERANCE and spread == 0
print(f"test accuracy about {round(single_accuracy * 20) * 5}% (one device) and "  # nearest 5
      f"{round(mirrored_accuracy * 20) * 5}% (two replicas), both above {ACCURACY_FLOOR:.0%}; "
      f"{np.ceil(gap * 100):.0f} point(s) apart at most (bound: {TOLERANCE * 100:.0f} points)")
print(f"largest difference between the two replicas' moving means: {spread}")

# %% [markdown]
# Same accuracy, not the same digits: two replicas add up the gradients in a different order
# than one device, and floating-point sums depend on the order. Nor is it faster (compare the
# epoch times in the logs): our two "devices" share the same cores and also spend time on
# all-reduces. On two real GPUs, each replica does half of every step's work.
#
# ## Several machines: `MultiWorkerMirroredStrategy`
#
# `MultiWorkerMirroredStrategy` runs the same scheme across a **cluster**: one Python process
# (a *worker*) per machine, all-reducing gradients over the network. Every worker runs the
# *same* script and creates the strategy before any other TensorFlow operation; the
# environment variable `TF_CONFIG` tells each one who is in the cluster and which one it is:
#
# ```json
# {"cluster": {"worker": ["host-a:12345", "host-b:12345"]},
#  "task": {"type": "worker", "index": 0}}
# ```
#
# The second machine gets the same `cluster` with `"index": 1`. Worker 0 is the *chief*: it
# writes the logs and the real checkpoints. Yet *every* worker must call `save`, since saving
# can need all workers to take part (collective operations); the others save to temporary
# directories and delete them (TensorFlow's tutorial "Multi-worker training with Keras").
#
# Our cluster is two subprocesses on this machine, talking over `127.0.0.1`. With Keras 3.15,
# `model.fit` under this strategy fails before the first step (`ValueError: Attempt to convert
# a value (PerReplica...)`, keras-team/keras#20585), so the workers run notebook 08's step
# with two distribution calls: `strategy.experimental_distribute_dataset` gives each worker
# its share of every batch, and `strategy.run` runs the step on every replica. Each replica
# divides its loss by the *global* batch (`tf.nn.compute_average_loss`), because the replicas'
# gradients are then *summed*; a plain `tf.reduce_mean` would make every step too large.

# %%
Path("build").mkdir(exist_ok=True)
Path("build/mwms_worker.py").unlink(missing_ok=True)  # so the next cell always says "Writing"

# %%
# %%writefile build/mwms_worker.py
"""One worker of a MultiWorkerMirroredStrategy cluster; TF_CONFIG says which one."""
import json
import os

import keras
import numpy as np
import tensorflow as tf

index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
strategy = tf.distribute.MultiWorkerMirroredStrategy()  # first: it connects to the others
keras.utils.set_random_seed(index)  # a different seed on each worker, on purpose
GLOBAL_BATCH = 32 * strategy.num_replicas_in_sync

# Is the sum of 8 numbers positive? Each worker gets its half of every global batch.
x = np.random.default_rng(0).normal(size=(1024, 8)).astype("float32")
dataset = tf.data.Dataset.from_tensor_slices((x, (x.sum(axis=1) > 0).astype("int32")))
batches = iter(strategy.experimental_distribute_dataset(dataset.batch(GLOBAL_BATCH).repeat()))

with strategy.scope():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2)])
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    optimizer.build(model.trainable_variables)
initial_weights = model.get_weights()
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)


@tf.function
def train_step(batches):
    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            per_example = loss_fn(labels, model(images, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=GLOBAL_BATCH)
            scaled_loss = optimizer.scale_loss(loss)  # as in notebook 08
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)  # all-reduces the gradients
        return loss

    per_replica_losses = strategy.run(replica_step, args=next(batches))
    return strategy.reduce("SUM", per_replica_losses, axis=None)


losses = [float(train_step(batches)) for _ in range(30)]
weights = [np.concatenate([w.ravel() for w in ws]).tolist()  # all weights, as one list
           for ws in (initial_weights, model.get_weights())]
print(json.dumps({"index": index, "replicas": strategy.num_replicas_in_sync,
                  "losses": losses, "weights": weights}))

# %% [markdown]
# The launcher picks free ports, runs the workers side by side, each with its own
# `TF_CONFIG`, and reads what each printed; if one fails (a port taken meanwhile), it retries
# once.

# %%
def run_cluster(script, n_workers=2, timeout=300, attempts=2):
    """Run `script` as an n-worker cluster on 127.0.0.1; return each worker's JSON report."""
    def run_worker(index, cluster):
        task = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        return subprocess.run([sys.executable, script], capture_output=True, text=True,
                              env=dict(os.environ, TF_CONFIG=json.dumps(task)), timeout=timeout)

    for _attempt in range(attempts):
        sockets = [socket.create_server(("127.0.0.1", 0)) for _ in range(n_workers)]
        cluster = {"worker": [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]}
        for s in sockets:
            s.close()  # free the ports the OS picked, for the workers
        with ThreadPoolExecutor(n_workers) as pool:  # all workers at once
            runs = list(pool.map(run_worker, range(n_workers), [cluster] * n_workers))
        if all(run.returncode == 0 for run in runs):
            return [json.loads(run.stdout.strip().splitlines()[-1]) for run in runs]
    raise RuntimeError(f"the cluster failed {attempts} times:\n{runs[0].stderr[-2000:]}")


# %% [markdown]
# Now the real thing. Each worker has one device, so the cluster has two replicas.

# %%
reports = run_cluster("build/mwms_worker.py")
(start_0, end_0), (start_1, end_1) = [np.array(report["weights"]) for report in reports]
start_gap, end_gap = float(np.max(np.abs(start_0 - start_1))), float(np.max(np.abs(end_0 - end_1)))
first, last = reports[0]["losses"][0], reports[0]["losses"][-1]
assert start_gap == end_gap == 0 and not np.array_equal(start_0, end_0) and last < first
print("workers that finished:", [report["index"] for report in reports],
      "| replicas in sync, as each saw it:", [report["replicas"] for report in reports])
print(f"largest difference between the two workers' weights: {start_gap} at the start, "
      f"{end_gap} at the end; loss {first:.2f} at the first step, {last:.2f} at the last")

# %% [markdown]
# Seeded differently, the workers still started from the same weights: the strategy copies
# worker 0's initial values to all. Each saw only half of every batch, yet they finished
# identical: every step all-reduced the gradients. On a real cluster only the addresses in
# `TF_CONFIG` change (cluster managers such as Kubernetes or Slurm usually write it).
#
# ### Keras 3's own path: `keras.distribution`
#
# Keras 3 has its own API, `keras.distribution`, implemented in full for JAX (the TensorFlow
# backend's `distribution_lib.py` is partial): `DataParallel` splits batches, `ModelParallel`
# with a `LayoutMap` splits variables too, and `keras.distribution.initialize` joins several
# machines. On JAX, `DataParallel` runs one program over the whole batch, so BatchNormalization
# normalises with the whole batch's statistics, no `synchronized=True` needed (measured in
# [notebook 11](11_beyond_tensorflow.ipynb)).
#
# ## Mixed precision
#
# Most of a network's time goes into matrix products and convolutions. In 16-bit floats they
# move half the bytes, and GPUs (Tensor Cores), TPUs and recent CPUs compute them several
# times faster. **Mixed precision** computes in 16 bits but keeps the *variables* in float32,
# where small updates are not rounded away.
#
# ### Does this CPU compute in bfloat16?
#
# TensorFlow's CPU kernels come from the oneDNN library, which computes bfloat16 natively only
# on CPUs that list `avx512_bf16`, `amx_bf16` or `avx_ne_convert`, and only if its variable
# `ONEDNN_MAX_CPU_ISA` does not limit it to older instruction sets. Without them bfloat16
# still runs, converted to float32 inside each kernel: every dtype and check below is the
# same, only slower (this notebook's saved output comes from such a CPU, with AVX-512 but no
# bfloat16). One combination breaks: a limit below AVX-512 on a CPU that has it, such as
# `ONEDNN_MAX_CPU_ISA=AVX2`. Then a bfloat16 convolution raises `could not create a primitive
# descriptor`, and a matrix product crashes Python, killing the notebook's kernel. So we first
# try a tiny 16-bit convolution and matrix product in a fresh process, where a crash costs
# nothing:

# %% tags=["nbval-ignore-output"]
from helpers.runtime import bfloat16_support, dtypes_that_run

print(bfloat16_support().reason)
RUNS = dtypes_that_run(["bfloat16", "float16"])  # each in a fresh Python process
print("runs here:", RUNS)

# %%
assert RUNS["bfloat16"] or not bfloat16_support().native  # native bfloat16 always runs
print("16-bit dtypes tried in a fresh process:", list(RUNS))

# %% [markdown]
# Where a dtype does not run, the cells below still show its dtypes, on a *symbolic*
# `keras.KerasTensor` (a shape and a dtype, no values: no kernel runs), and the timings leave
# it out. A Keras **dtype policy** says what a layer computes in and what its variables are
# stored in:

# %%
def dtype_of(tensor):  # a tensor's dtype as a plain name, e.g. 'bfloat16'
    return keras.backend.standardize_dtype(tensor.dtype)


def bf16_input(array):  # `array` where bfloat16 runs here, else a symbolic tensor
    return array if RUNS["bfloat16"] else keras.KerasTensor(array.shape, "float32")


keras.mixed_precision.set_global_policy("mixed_bfloat16")
policy = keras.mixed_precision.global_policy()
print(policy.name, "| compute:", policy.compute_dtype, "| variables:", policy.variable_dtype)

dense = keras.layers.Dense(4)
outputs = dense(bf16_input(np.ones((2, 3), "float32")))
print("kernel:", dense.kernel.dtype, "| inputs cast to and outputs in:", dtype_of(outputs))

# %% [markdown]
# There are two 16-bit formats. **float16** stores 10 bits of fraction (about 3 significant
# digits) but has a small range: numbers below about 3e-8 round to zero, so small gradients
# vanish, and the largest is 65,504. **bfloat16** keeps float32's 8 exponent bits (the same
# range) with only 7 bits of fraction (2 to 3 significant digits). Compare:

# %%
for value in (1e-8, 70_000.0, 1 / 3, 0.999):
    as_float16 = float(keras.ops.cast(value, "float16"))
    as_bfloat16 = float(keras.ops.cast(value, "bfloat16"))
    print(f"{value:<20.10g} float16: {as_float16:<12.6g} bfloat16: {as_bfloat16:.6g}")

# %% [markdown]
# **Why the model's output is float32.** Rounding a logit does little harm (bfloat16 stores
# 20.1 as 20.125), but the softmax and the loss's logarithm need precision: in bfloat16 a
# probability of 0.999 *is* 1 (last line above), so its loss, −ln 0.999 ≈ 0.001, becomes 0.
# So the Keras mixed-precision guide ends a model with a float32 layer, and whatever follows
# (a softmax, the loss, your code) computes in float32: here an
# `Activation("linear", dtype="float32")` that only casts the logits. (Keras 3's built-in
# losses cast to float32 too; a hand-written loss would not.) A subclassed model is a layer,
# so the ResNet goes into a small Functional model, as [notebook 03](03_subclassing.ipynb)
# did with a subclassed layer (*Mixing the styles*).

# %%
def resnet_for_policy(policy_name):
    """new_resnet's ResNet, built under a dtype policy, with float32 logits (not compiled)."""
    keras.mixed_precision.set_global_policy(policy_name)
    try:
        seed_everything(cfg.seed)
        resnet = ResNet([2, 2, 2], 10, kernel_initializer="he_normal", bn_momentum=0.9,
                        name="resnet")
        inputs = keras.Input((28, 28, 1))
        logits = keras.layers.Activation("linear", dtype="float32", name="float32_logits")(
            resnet(inputs))
        return keras.Model(inputs, logits, name=f"resnet_{policy_name}")
    finally:
        keras.mixed_precision.set_global_policy("float32")


mixed = resnet_for_policy("mixed_bfloat16")
print("variables:", sorted({dtype_of(v) for v in mixed.weights}), "| ResNet logits:",
      dtype_of(mixed.get_layer("resnet")(bf16_input(x_eval[:2]))),
      "| model output:", dtype_of(mixed(bf16_input(x_eval[:2]))))

# %% [markdown]
# All variables are float32; the ResNet computes in bfloat16 (BatchNormalization does its
# statistics in float32 inside); the model's output is float32. With **float16**, `compile`
# wraps the optimizer in the `LossScaleOptimizer` of [notebook 08](08_custom_training.ipynb);
# bfloat16 has float32's range and needs none:

# %%
for policy_name in ("mixed_float16", "mixed_bfloat16"):
    model = resnet_for_policy(policy_name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    print(f"{policy_name}: optimizer {type(model.optimizer).__name__}")

# %% [markdown]
# ## XLA: `jit_compile=True`
#
# `fit` already runs the training step as a TensorFlow graph (`tf.function`, notebook 08).
# **XLA** compiles that graph into machine code for the device, fusing chains of small
# operations (a BatchNormalization, a ReLU, an addition) into one kernel that reads memory
# once. Ask with `compile(jit_compile=True)`, or `tf.function(..., jit_compile=True)`; the
# price is compilation time at the first step and at every new input shape. The catch:
# `helpers.setup()` turns on TensorFlow's *op determinism*, and Keras then refuses
# `jit_compile=True` (`model_supports_jit` in `keras/src/trainers/trainer.py`), with a warning:

# %%
import warnings

model = resnet_for_policy("float32")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=True)
print("warning:", caught[0].message)
print("asked for jit_compile=True; the model keeps jit_compile =", model.jit_compile)

# %% [markdown]
# With determinism on, you lose XLA in `fit` without an error. To measure XLA we use notebook
# 08's training step, where `tf.function(jit_compile=True)` asks XLA directly (on a CPU that
# works with determinism on).
#
# ## Measuring: what helps on this CPU?
#
# We time the same training steps for float32, float32 with XLA, and `mixed_bfloat16`. Each
# model gets the single-device model's trained weights and first predicts the test images, to
# check that the variants compute the same function. A warm-up step pays for tracing (and
# XLA's compilation); the *median* step time resists the odd slow step on a shared machine.
# `mixed_float16` only predicts: its forward pass is fine on a CPU, but TensorFlow has no fast
# CPU kernel for the *gradient* of a float16 convolution (when this notebook was built, one
# such gradient took 9 to 35 times as long as in float32).

# %%
timing_batches = [(x_small[i:i + GLOBAL_BATCH], y_small[i:i + GLOBAL_BATCH])
                  for i in range(0, cfg.pick(class_=1024, full=4096), GLOBAL_BATCH)]
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def make_train_step(model, optimizer, jit_compile=False):
    """Notebook 08's training step, compiled by tf.function, and by XLA if asked."""
    optimizer.build(model.trainable_variables)

    def train_step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
            scaled_loss = optimizer.scale_loss(loss)  # for a LossScaleOptimizer
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    return tf.function(train_step, jit_compile=jit_compile)


def predict_and_time(policy_name, jit_compile):
    """Test-set logits with the trained weights, and training images per second (or None)."""
    model = resnet_for_policy(policy_name)
    model.set_weights(single.get_weights())
    forward = tf.function(lambda images: model(images, training=False), jit_compile=jit_compile)
    logits = np.concatenate([forward(images).numpy() for images in np.split(x_eval, 4)])
    if policy_name == "mixed_float16":
        return logits, None
    train_step = make_train_step(model, keras.optimizers.Adam(LEARNING_RATE), jit_compile)
    train_step(*timing_batches[0])  # warm-up: tracing (and XLA's compilation)
    batches = iter(timing_batches)  # float() waits for the step to finish:
    seconds = timeit.repeat(lambda: float(train_step(*next(batches))), number=1,
                            repeat=len(timing_batches))
    return logits, GLOBAL_BATCH / float(np.median(seconds))


VARIANTS = {"float32": ("float32", False), "float32 + XLA": ("float32", True),  # (policy, XLA)
            "mixed_bfloat16": ("mixed_bfloat16", False), "mixed_float16": ("mixed_float16", False)}
print(len(timing_batches), "timed batches of", GLOBAL_BATCH, "| variants:", list(VARIANTS))

# %% [markdown]
# Timings vary between machines, and on a shared one from minute to minute; the next cell
# checks what does not vary.

# %% tags=["nbval-ignore-output"]
logits, speed = {}, {}
for name, (policy_name, jit_compile) in VARIANTS.items():
    if RUNS.get(keras.mixed_precision.Policy(policy_name).compute_dtype, True):  # runs here?
        logits[name], speed[name] = predict_and_time(policy_name, jit_compile)
reference_classes = logits["float32"].argmax(axis=1)
same_class = {name: float(np.mean(l.argmax(axis=1) == reference_classes))
              for name, l in logits.items()}
print(f"{'variant':<15} {'training images/s':>20} {'same class as float32':>23}")
for name in VARIANTS:
    timing = ("does not run here" if name not in logits else "not timed" if not speed[name]
              else f"{speed[name]:.0f} ({speed[name] / speed['float32']:.2f}x)")
    agreement = f"{same_class[name]:.1%}" if name in same_class else "-"
    print(f"{name:<15} {timing:>20} {agreement:>23}")

# %%
SAME_CLASS_FLOOR = {"mixed_float16": 0.97, "mixed_bfloat16": 0.9}
xla_gap = float(np.max(np.abs(logits["float32 + XLA"] - logits["float32"])))
assert all(speed[name] > 0 for name in logits if name != "mixed_float16") and xla_gap < 1e-3
print(f"largest difference between XLA's logits and float32's: {xla_gap:.3f} (at most 0.001)")
for name in SAME_CLASS_FLOOR.keys() & same_class.keys():  # the variants that ran here
    assert same_class[name] > SAME_CLASS_FLOOR[name]
print("each 16-bit variant that runs here gives float32's class to more of the test images than "
      "its floor (mixed_float16 97 %, mixed_bfloat16 90 %; the table above has the figures)")

# %% [markdown]
# What these numbers say, and what they do not:
#
# - **XLA** computes the same function, but on these CPUs it is *slower*: TensorFlow's CPU
#   convolutions come from oneDNN, already tuned (on a quiet 2-core Xeon with AMX: about
#   950–1,000 training images/s without XLA, 700–740 with it). On GPUs, where fusing saves
#   memory traffic, XLA often helps.
# - **mixed_bfloat16** needs native bfloat16: on that Xeon it trained at 980–1,050 images/s,
#   within the noise of float32; without native support it is slower. It gains little even
#   there: Keras's BatchNormalization computes in float32 and takes about half of each
#   step; with `fused_batchnorm=True` ([notebook 06](06_training.ipynb)) it runs in bfloat16
#   too, and the pair trains about 2.5 times as fast as the article's code (README,
#   *Performance*).
# - **mixed_float16** is for GPUs (NVIDIA, compute capability 7.0 or higher).
# - Two logical CPUs on shared cores measure *correctness*, never speed-up, and a busy machine
#   (this notebook's saved output comes from one) can slow a step several times: rerun the
#   table on a quiet machine before you conclude. GPU figures belong to `bench/`.
#
# Put the global policy back when you are done, or every layer created afterwards computes in
# 16 bits:

# %%
keras.mixed_precision.set_global_policy("float32")
print("global policy:", keras.mixed_precision.global_policy().name)

# %% [markdown]
# ## Recap
#
# - Data parallelism: a copy of the model per replica, every batch split, gradients
#   all-reduced. `MirroredStrategy` does it on one machine: build and compile inside
#   `strategy.scope()`, pass the *global* batch, and rethink the learning rate if that batch
#   grows (linear scaling for SGD; for Adam, square root or none — measure).
# - BatchNormalization works per replica unless `synchronized=True`.
# - `MultiWorkerMirroredStrategy`: `TF_CONFIG` names the cluster and the worker; workers start
#   from worker 0's weights and stay identical; all call `save`, only the chief's copy stays.
#   In Keras 3.15, `fit` fails there: use `strategy.run` in your own step.
# - Mixed precision: float32 variables, 16-bit compute; end the model with a float32 layer so
#   the loss sees float32; float16 needs loss scaling (Keras adds it), bfloat16 does not.
# - With op determinism on, Keras ignores `jit_compile=True`; `tf.function(jit_compile=True)`
#   still works. Measure every speed-up on your hardware: on these CPUs XLA is slower,
#   bfloat16 gains little even native, and float16 training is far slower.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below
# it (✅, or ❌ with what was expected and a hint). Worked answers:
# [solutions/09_scaling_out_solutions.ipynb](solutions/09_scaling_out_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): batch size and learning rate for N replicas
#
# Write `scale_for_replicas(per_replica_batch, replicas, base_learning_rate=1e-3,
# base_batch=128)` returning `(global_batch, learning_rate)`: the batch to pass to `fit`, and
# the learning rate by the linear scaling rule (the SGD rule). On a machine with 8 GPUs and 64
# images per replica, which lines of the "one device against two replicas" cells change?

# %%
# EXERCISE 1
def scale_for_replicas(per_replica_batch, replicas, base_learning_rate=1e-3, base_batch=128):
    return None  # your (global_batch, learning_rate) here


# %%
checks.replica_scaling(scale_for_replicas)

# %% [markdown]
# ### Exercise 2 (practice): float32 logits under a mixed policy
#
# Write `float32_output_classifier(policy_name)`: a small Functional model for 28 × 28 × 1
# images (`Conv2D(8, 3, activation="relu")`, `GlobalAveragePooling2D`, `Dense(10)`) whose
# layers compute under `policy_name` but whose logits are float32, and which leaves the global
# policy as it found it.

# %%
# EXERCISE 2
def float32_output_classifier(policy_name):
    return None  # your model here


# %%
checks.float32_output_classifier(float32_output_classifier)

# %% [markdown]
# ### Exercise 3 (stretch): a distributed training step for any strategy
#
# Write `make_distributed_train_step(strategy, model, optimizer, global_batch)` returning a
# `tf.function` `train_step(batches)` — the worker script's step, for any strategy: it takes
# the next batch from the distributed iterator, runs one step on every replica and returns the
# loss of the global batch. The checker runs it once under `MirroredStrategy` on the two
# logical CPUs and compares the weights with one step on one device. Then try averaging each
# replica's loss with a plain `tf.reduce_mean`: what does the checker say, and why?

# %%
# EXERCISE 3
def make_distributed_train_step(strategy, model, optimizer, global_batch):
    return None  # your train_step here


# %%
checks.distributed_train_step(make_distributed_train_step)

# %% [markdown]
# **Going further:** train the distributed ResNet with `synchronized=False` and compare the
# replicas' moving means; make the cluster train on Fashion-MNIST and save the model
# ([notebook 07](07_saving.ipynb)) from every worker, the chief to the real path and the others
# to temporary folders they delete — why not all to the same path?
#
# **Next:** [10 · Choosing an API](10_choosing_an_api.ipynb) — the article's conclusion,
# tested against everything notebooks 01–09 showed.
