# %% [markdown]
# # 09 · Scaling out
#
# [08 · Custom training](08_custom_training.ipynb) opened up `fit` and wrote the training loop
# by hand. This notebook takes the same subclassed ResNet and makes training *bigger and
# faster* without writing a distributed engine of our own: TensorFlow's `tf.distribute`
# spreads it over several devices or machines, mixed precision and XLA make each step
# cheaper. Next, [10 · Choosing an API](10_choosing_an_api.ipynb) weighs the evidence of the
# whole series.
#
# **What you will learn**
#
# - data parallelism: what `tf.distribute.MirroredStrategy` does with your model, and the
#   three things that change in your code (`strategy.scope()`, the *global* batch size, the
#   learning rate);
# - how to run it on any laptop, with two *logical* CPU devices, and proof that it trains the
#   ResNet to the same accuracy as one device;
# - the BatchNormalization catch under a strategy, and `synchronized=True`;
# - `MultiWorkerMirroredStrategy` and `TF_CONFIG`: a real two-worker cluster on this machine;
# - mixed precision (`mixed_float16`, `mixed_bfloat16`): float32 variables, 16-bit
#   arithmetic, a float32 output layer and loss scaling;
# - XLA `jit_compile=True`, and how to time all of this honestly on a CPU.

# %% [markdown]
# ## Set-up
#
# As in every notebook: quiet TensorFlow start-up, seeds, versions and the profile.

# %%
import helpers

cfg = helpers.setup()

# %% [markdown]
# `tf.distribute` needs several devices. A laptop has one CPU device, so we split it into two
# **logical devices**. This must happen before TensorFlow creates its devices, that is,
# before the first operation runs; afterwards `set_logical_device_configuration` raises a
# `RuntimeError`. `helpers.setup()` only imports and seeds, so there is still time. The two
# logical CPUs share the same cores: this is a way to *run* distributed code anywhere (CI
# included), not a way to make it faster.

# %%
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
print("logical CPUs:", [device.name for device in tf.config.list_logical_devices("CPU")])

# %%
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np

from helpers.data import load_fashion_mnist
from helpers.models import ResNet
from helpers.runtime import seed_everything

# %% [markdown]
# ## Data parallelism with `MirroredStrategy`
#
# **Data parallelism** keeps one copy of the model on every device (a *replica*) and splits
# each batch between them. Every replica runs the forward and backward pass on its share; then
# the gradients of all replicas are added up (an *all-reduce*) and every replica applies the
# same update, so the copies stay identical. `MirroredStrategy` does this on the devices of
# one machine. Called with no arguments it takes every GPU it can see, or, without GPUs, every
# logical CPU — here our two. On a machine with four GPUs the same line gives four replicas;
# nothing else in the code changes.

# %%
strategy = tf.distribute.MirroredStrategy()
print("replicas in sync:", strategy.num_replicas_in_sync)
print("devices:", strategy.extended.worker_devices)

# %% [markdown]
# **What changes in your code: 1. `strategy.scope()`.** Variables created inside the scope are
# *mirrored*: one copy per device, kept in sync. So the model, its optimizer and `compile`
# (which creates the metrics' variables) go inside; `fit`, `evaluate` and `predict` may be
# called anywhere — the model remembers its strategy.

# %%
with strategy.scope():
    probe = keras.layers.Dense(2)
    probe.build((None, 3))
print(type(probe.kernel.value).__name__)
print("one copy on each device:", [copy.device[-5:] for copy in probe.kernel.value.values])

# %% [markdown]
# **2. The batch size you pass to `fit` is the *global* batch.** `fit` splits each batch
# between the replicas, so to give each replica 64 images you ask for 64 × replicas.
#
# **3. The learning rate.** With `N` replicas you usually grow the global batch `N` times (to
# keep every device busy). The average gradient over a larger batch is less noisy, so you can
# take bigger steps: the common rule is to scale the learning rate with the batch (*linear
# scaling*, Goyal et al. 2017, "Accurate, Large Minibatch SGD"), with a few epochs of warm-up
# when the factor is large. If instead you keep the global batch as it was, keep the learning
# rate: the maths is the same as on one device. That is what we do below, to compare.

# %%
PER_REPLICA_BATCH = 64
GLOBAL_BATCH = PER_REPLICA_BATCH * strategy.num_replicas_in_sync
BASE_LEARNING_RATE, BASE_BATCH = 1e-3, 128
print("per replica:", PER_REPLICA_BATCH, "| global batch:", GLOBAL_BATCH)
print("learning rate by linear scaling:", BASE_LEARNING_RATE * GLOBAL_BATCH / BASE_BATCH)
print("with 8 replicas: global batch", PER_REPLICA_BATCH * 8, "| learning rate",
      BASE_LEARNING_RATE * PER_REPLICA_BATCH * 8 / BASE_BATCH)

# %% [markdown]
# ### The BatchNormalization catch
#
# Gradients are summed across replicas, but in training mode each BatchNormalization layer
# normalises with the mean and variance of *its replica's* share of the batch, and, in Keras
# 3, updates *its replica's* copy of the moving statistics. A tiny experiment makes it
# visible: one batch of 16 rows, the first 8 all zeros, the last 8 all tens. With two
# replicas, replica 0 gets the zeros and replica 1 the tens (momentum 0.5, so one step moves a
# moving mean halfway from 0 to the batch mean).

# %%
def moving_means_per_replica(synchronized):
    """Train one step on [8 x zeros, 8 x tens]; return each replica's moving mean."""
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((1,)),
            keras.layers.BatchNormalization(momentum=0.5, synchronized=synchronized),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer="sgd", loss="mse")
    x = np.array([[0.0]] * 8 + [[10.0]] * 8, dtype="float32")
    model.fit(x, np.zeros((16, 1), "float32"), batch_size=16, shuffle=False, verbose=0)
    copies = model.layers[0].moving_mean.value.values
    return [round(float(copy.numpy()[0]), 3) for copy in copies]


print("synchronized=False (default):", moving_means_per_replica(False))
print("synchronized=True:           ", moving_means_per_replica(True))

# %% [markdown]
# By default the two replicas disagree (0 and 5), and what you save or evaluate on one device
# is replica 0's copy, estimated from half of every batch. With `synchronized=True` the layer
# computes the mean and variance over the *global* batch (one more all-reduce per layer),
# every replica gets 2.5 — the mean over all 16 rows, halfway from 0 — and training is the
# same computation as on one device with the same global batch. With large per-replica
# batches the default is usually fine; with small ones (detection, segmentation: a few images
# per GPU) synchronized BatchNormalization matters. We switch it on to compare like with like.
#
# ## One device against two replicas
#
# The experiment: train the article's `ResNet([2, 2, 2], 10)` (from `helpers.models`, written
# in [notebook 05](05_resnet.ipynb)) twice from the same weights on the same batches in the
# same order — once on the default single device, once under the strategy — and compare the
# test accuracy. As in notebook 08, the `class` profile trains on 3,000 images for a few
# epochs, and lowers the BatchNormalization **momentum** so that the moving statistics used at
# test time follow the fast-moving weights of a short run (the trap of notebooks 05 and 06).

# %%
EPOCHS = cfg.pick(3, 5)
BN_MOMENTUM = cfg.pick(0.5, 0.9)

(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
n_train = cfg.pick(3_000, len(x_train))
order = np.random.default_rng(cfg.seed).permutation(len(x_train))[:n_train]
x_small = (x_train[order].astype("float32") / 255.0)[..., np.newaxis]  # (n, 28, 28, 1)
y_small = y_train[order].astype("int32")
x_eval = (x_test.astype("float32") / 255.0)[..., np.newaxis]
y_eval = y_test.astype("int32")


def batchnorm_layers(model):
    """Every BatchNormalization layer inside a model, however deeply nested."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(batchnorm_layers(layer))
    return found


def new_resnet(learning_rate=BASE_LEARNING_RATE):
    """A freshly seeded, built and compiled ResNet([2, 2, 2], 10): same weights every call.

    Call it inside `strategy.scope()` to get a distributed model.
    """
    seed_everything(cfg.seed)
    model = ResNet([2, 2, 2], 10)
    model.build((None, 28, 28, 1))
    for layer in batchnorm_layers(model):
        layer.momentum = BN_MOMENTUM
        layer.synchronized = True  # global-batch statistics under a strategy; no-op without
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


print("training images:", x_small.shape, "| test images:", x_eval.shape)
print("steps per epoch:", -(-n_train // GLOBAL_BATCH), "| epochs:", EPOCHS)

# %% [markdown]
# `shuffle=False` because the images are already in a fixed random order, so both runs see
# identical batches. The logs differ in their last digits from machine to machine, so nbval
# does not compare this cell; the cell after it checks what must hold.

# %%
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
single = new_resnet()
single.fit(x_small, y_small, batch_size=GLOBAL_BATCH, epochs=EPOCHS, shuffle=False, verbose=2)
single_seconds = time.perf_counter() - start

start = time.perf_counter()
with strategy.scope():
    mirrored = new_resnet()  # the only change: built and compiled inside the scope
mirrored.fit(x_small, y_small, batch_size=GLOBAL_BATCH, epochs=EPOCHS, shuffle=False, verbose=2)
mirrored_seconds = time.perf_counter() - start

single_accuracy = single.evaluate(x_eval, y_eval, verbose=0, return_dict=True)["accuracy"]
mirrored_accuracy = mirrored.evaluate(x_eval, y_eval, verbose=0, return_dict=True)["accuracy"]
print(f"one device:   test accuracy {single_accuracy:.3f} in {single_seconds:.0f} s")
print(f"two replicas: test accuracy {mirrored_accuracy:.3f} in {mirrored_seconds:.0f} s")

# %%
ACCURACY_FLOOR, TOLERANCE = cfg.pick(0.60, 0.85), 0.03
assert single_accuracy > ACCURACY_FLOOR and mirrored_accuracy > ACCURACY_FLOOR
assert abs(single_accuracy - mirrored_accuracy) < TOLERANCE
print(f"both above {ACCURACY_FLOOR:.0%}:", True)
print(f"same accuracy within {TOLERANCE:.0%}:", True)
copies = batchnorm_layers(mirrored)[0].moving_mean.value.values
print("replicas hold identical moving statistics:",
      all(np.array_equal(copies[0].numpy(), c.numpy()) for c in copies))

# %% [markdown]
# Same accuracy, not the same digits: the two replicas add their gradients in a different
# order than one device adds the whole batch's, and floating-point sums depend on the order.
# Do not expect the distributed run to be faster here (it was slower when this notebook was
# built): our two "devices" share the same CPU cores, and the replicas also spend time
# copying the batches and all-reducing gradients and batch statistics. On two real GPUs,
# each doing half the work, an epoch takes about half as long.
#
# ## Several machines: `MultiWorkerMirroredStrategy`
#
# When one machine is not enough, `MultiWorkerMirroredStrategy` runs the same data-parallel
# scheme across a **cluster**: one Python process (a *worker*) per machine, each with its own
# devices, all-reducing gradients over the network. Every worker runs the *same* script; the
# environment variable `TF_CONFIG` tells each one who is in the cluster and which one it is:
#
# ```json
# {"cluster": {"worker": ["host-a:12345", "host-b:12345"]},
#  "task": {"type": "worker", "index": 0}}
# ```
#
# The second machine gets the same `cluster` with `"index": 1`. Worker 0 is the *chief*: by
# convention it alone writes checkpoints and logs. The strategy must be created at the start
# of each worker, before other TensorFlow operations.
#
# We can run a real two-worker cluster on this one machine: two subprocesses that talk over
# the loopback network (`127.0.0.1`), on ports that the operating system says are free right
# now. First the worker script; it gets the output folder and a seed on its command line.
#
# One thing is different from `MirroredStrategy`: with Keras 3.15, `model.fit` under
# `MultiWorkerMirroredStrategy` stops with `ValueError: Attempt to convert a value
# (PerReplica...)` before the first step (reported as keras-team/keras#20585). So the
# workers use the hand-written loop of notebook 08, with the two distribution calls it needs:
# `strategy.experimental_distribute_dataset` gives each worker its share of every batch, and
# `strategy.run` runs the step on every replica. Each replica divides its loss by the
# *global* batch size (`tf.nn.compute_average_loss`), because the optimizer then *sums* the
# replicas' gradients. (A Keras loss with its default reduction does this division for you
# under a strategy; a plain `tf.reduce_mean` would make every step too large.)

# %%
Path("build").mkdir(exist_ok=True)
Path("build/mwms_worker.py").unlink(missing_ok=True)  # so the next cell always says "Writing"

# %%
# %%writefile build/mwms_worker.py
"""One worker of a MultiWorkerMirroredStrategy cluster; TF_CONFIG says which one."""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
import numpy as np
import tensorflow as tf

out_dir, seed = sys.argv[1], int(sys.argv[2])
index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
strategy = tf.distribute.MultiWorkerMirroredStrategy()  # first: it connects to the others
keras.utils.set_random_seed(seed)  # a different seed on each worker, on purpose
GLOBAL_BATCH = 32 * strategy.num_replicas_in_sync

# A tiny problem: is the sum of 8 numbers positive? Every worker builds the same data set;
# auto-sharding gives each worker its half of every global batch.
x = np.random.default_rng(0).normal(size=(1024, 8)).astype("float32")
y = (x.sum(axis=1) > 0).astype("int32")
options = tf.data.Options()
options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH).repeat()
batches = iter(strategy.experimental_distribute_dataset(dataset.with_options(options)))

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
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)  # all-reduces the gradients
        return loss

    per_replica_losses = strategy.run(replica_step, args=next(batches))
    return strategy.reduce("SUM", per_replica_losses, axis=None)


losses = [float(train_step(batches)) for _ in range(30)]
np.savez(os.path.join(out_dir, f"worker{index}.npz"), *model.get_weights())
np.savez(os.path.join(out_dir, f"worker{index}_initial.npz"), *initial_weights)
print(json.dumps({"index": index, "replicas": strategy.num_replicas_in_sync,
                  "first_loss": losses[0], "last_loss": losses[-1]}))

# %% [markdown]
# The launcher: pick free ports, start both workers with their own `TF_CONFIG`, wait with a
# time limit, and read what each one printed. If a worker fails (say, another program grabbed
# a port in between), it kills both and tries once more with new ports.

# %%
def free_ports(n):
    """n TCP ports on 127.0.0.1 that are free right now (the OS picks them)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_cluster(script, out_dir, n_workers=2, timeout=300, attempts=2):
    """Run `script` as an n-worker cluster on localhost; return each worker's JSON report."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(n_workers)]}
        workers = []
        for index in range(n_workers):
            tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
            env = dict(os.environ, TF_CONFIG=json.dumps(tf_config), TF_CPP_MIN_LOG_LEVEL="3")
            workers.append(subprocess.Popen(
                [sys.executable, script, str(out_dir), str(index)], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        try:
            outputs = [worker.communicate(timeout=timeout) for worker in workers]
        except subprocess.TimeoutExpired:
            outputs = None
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
        if outputs and all(worker.returncode == 0 for worker in workers):
            return [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    problem = outputs[0][1][-2000:] if outputs else f"no answer within {timeout} s"
    raise RuntimeError(f"the cluster failed {attempts} times; last error:\n{problem}")


# %% [markdown]
# Now the real thing. Each worker has one device, so the cluster has two replicas.

# %%
cluster_dir = Path("build/09_cluster")
reports = run_cluster("build/mwms_worker.py", cluster_dir)
weights = [np.load(cluster_dir / f"worker{i}.npz") for i in range(2)]
initial = [np.load(cluster_dir / f"worker{i}_initial.npz") for i in range(2)]


def same_arrays(a, b):
    return a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)


print("workers that finished:", sorted(report["index"] for report in reports))
print("replicas in sync, as each worker saw it:", [report["replicas"] for report in reports])
print("identical starting weights, despite different seeds:", same_arrays(*initial))
print("identical final weights:", same_arrays(*weights))
print("the weights changed:", not same_arrays(initial[0], weights[0]))
print("the loss went down:", all(r["last_loss"] < r["first_loss"] for r in reports))

# %% [markdown]
# The workers were seeded differently, yet started from the same weights: the strategy copies
# worker 0's initial values to every worker. Each worker then saw only its half of every
# batch, yet they finished with identical weights: every step all-reduced the gradients over
# the network. On a real cluster only the addresses in `TF_CONFIG` change (cluster managers
# such as Kubernetes or Slurm usually write it for you).
#
# ## Mixed precision
#
# Most of a network's time goes into matrix products and convolutions. In 16-bit floats they
# move half the bytes, and GPUs (Tensor Cores), TPUs and recent CPUs compute them several
# times faster. **Mixed precision** computes in 16 bits but keeps the *variables* in float32,
# because small updates added to a 16-bit weight would be rounded away. A Keras **dtype
# policy** says both:

# %%
def dtype_of(tensor):
    """A tensor's dtype as a plain name, e.g. 'bfloat16'."""
    return keras.backend.standardize_dtype(tensor.dtype)


keras.mixed_precision.set_global_policy("mixed_bfloat16")
policy = keras.mixed_precision.global_policy()
print(policy.name, "| compute:", policy.compute_dtype, "| variables:", policy.variable_dtype)

dense = keras.layers.Dense(4)
outputs = dense(np.ones((2, 3), "float32"))
print("kernel:", dense.kernel.dtype, "| inputs cast to and outputs in:", dtype_of(outputs))

# %% [markdown]
# There are two 16-bit formats. **float16** has 10 bits of precision but a small range: below
# about 6e-8 it rounds to zero, so small gradients vanish, and above 65,504 it overflows.
# **bfloat16** keeps float32's 8 exponent bits (the same range) with only 7 bits of
# precision. Compare:

# %%
for value in (1e-8, 70_000.0, 1 / 3):
    as_float16 = float(keras.ops.cast(value, "float16"))
    as_bfloat16 = float(keras.ops.cast(value, "bfloat16"))
    print(f"{value:<20.10g} float16: {as_float16:<12.6g} bfloat16: {as_bfloat16:.6g}")

# %% [markdown]
# **Why the output layer stays float32.** The last layer's numbers feed the softmax and the
# logarithm of the loss; with 7 bits of precision, logits of 20.1 and 20.2 are the same
# number. So we give the model a float32 output: an `Activation("linear", dtype="float32")`
# layer, which does nothing but cast the ResNet's logits to float32 (the recipe of the Keras
# mixed-precision guide). It wraps the subclassed ResNet in a small Functional model —
# mixing the styles, as in [notebook 03](03_subclassing.ipynb) — so every variant below has
# the same weights, in the same order, whatever the policy.

# %%
def resnet_for_policy(policy_name):
    """ResNet([2, 2, 2], 10) built under a dtype policy, with float32 logits."""
    keras.mixed_precision.set_global_policy(policy_name)
    try:
        seed_everything(cfg.seed)
        resnet = ResNet([2, 2, 2], 10, name="resnet")
        inputs = keras.Input((28, 28, 1))
        logits = keras.layers.Activation("linear", dtype="float32", name="float32_logits")(
            resnet(inputs))
        return keras.Model(inputs, logits, name=f"resnet_{policy_name}")
    finally:
        keras.mixed_precision.set_global_policy("float32")


mixed = resnet_for_policy("mixed_bfloat16")
resnet = mixed.get_layer("resnet")
print("policy is back to:", keras.mixed_precision.global_policy().name)
print("conv kernel:", resnet.conv_initial.kernel.dtype, "| BatchNorm moving mean:",
      resnet.final_bn.moving_mean.dtype, "| fc kernel:", resnet.fc.kernel.dtype)
print("ResNet logits:", dtype_of(resnet(x_eval[:2])),
      "| model output:", dtype_of(mixed(x_eval[:2])))

# %% [markdown]
# All variables are float32; the ResNet computes and returns bfloat16; the model's output is
# float32. (BatchNormalization also does its own statistics in float32 internally.)
#
# With **float16**, small gradients would underflow to zero, so `compile` wraps the optimizer
# in a `LossScaleOptimizer`: it multiplies the loss by a large factor before the backward
# pass (the gradients scale with it and stay representable), divides the gradients back
# before the update, and lowers the factor whenever it sees an overflow. bfloat16 has
# float32's range and needs none of this.

# %%
for policy_name in ("mixed_float16", "mixed_bfloat16"):
    model = resnet_for_policy(policy_name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    print(f"{policy_name}: optimizer {type(model.optimizer).__name__}")

# %% [markdown]
# ## XLA: `jit_compile=True`
#
# `fit` already turns the training step into a TensorFlow graph (`tf.function`, notebook 08).
# **XLA** goes one step further: it compiles the whole graph into fused machine code for the
# device, merging chains of small operations (a BatchNormalization, a ReLU, an addition) into
# one kernel that reads memory once. You ask for it with `compile(jit_compile=True)`, or
# `tf.function(..., jit_compile=True)` in your own loop. The price is compilation time the
# first time a step runs (and again for every new input shape).
#
# There is a catch in this series. `helpers.setup()` turns on TensorFlow's *op determinism*
# (`tf.config.experimental.enable_op_determinism()`), so that every notebook prints the same
# numbers on every run. Not every operation has a deterministic XLA version, so Keras then
# refuses `jit_compile=True`: it warns and quietly trains without XLA.

# %%
import warnings

model = resnet_for_policy("float32")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=True)
print("warning:", caught[0].message)
print("model.jit_compile:", model.jit_compile)

# %% [markdown]
# Remember this if you turn on determinism in your own projects: you lose XLA in `fit`
# without an error. TensorFlow has no public function to turn determinism off again, so to
# measure XLA here we use the hand-written training step of notebook 08, where
# `tf.function(jit_compile=True)` asks XLA directly (on a CPU that works with determinism on).
#
# ## Measuring: what helps on this CPU?
#
# Speed claims must be measured on your hardware. We time the same training steps on the same
# images for the float32 baseline, float32 with XLA, and `mixed_bfloat16`. Each model starts
# from the weights of the single-device model trained above and first predicts the test
# images (its forward pass compiled the same way), so that we can check that the faster
# variants compute the same function. Then one warm-up step pays for tracing (and XLA's
# compilation), and the next steps are timed one by one; the *median* step time is robust to
# the odd slow step when other programs share the machine. `mixed_float16` only predicts:
# why it does not train here comes right after.

# %%
TIMED_IMAGES = cfg.pick(1024, 4096)
timing_batches = [(x_small[i:i + BASE_BATCH], y_small[i:i + BASE_BATCH])
                  for i in range(0, TIMED_IMAGES, BASE_BATCH)]
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def make_train_step(model, optimizer, jit_compile=False):
    """Notebook 08's training step, compiled by tf.function, and by XLA if asked."""
    optimizer.build(model.trainable_variables)

    def train_step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    return tf.function(train_step, jit_compile=jit_compile)


def predict_and_time(policy_name, jit_compile=False, train=True):
    """Test-set logits with the trained weights and, if `train`, training images/second."""
    model = resnet_for_policy(policy_name)
    model.set_weights(single.get_weights())
    forward = tf.function(lambda images: model(images, training=False), jit_compile=jit_compile)
    logits = np.concatenate([forward(images).numpy() for images in np.split(x_eval, 4)])
    if not train:
        return logits, None
    train_step = make_train_step(model, keras.optimizers.Adam(BASE_LEARNING_RATE), jit_compile)
    train_step(*timing_batches[0])  # warm-up: tracing (and XLA compilation)
    step_seconds = []
    for images, labels in timing_batches:
        start = time.perf_counter()
        float(train_step(images, labels))  # float() waits for the step to finish
        step_seconds.append(time.perf_counter() - start)
    return logits, BASE_BATCH / float(np.median(step_seconds))


VARIANTS = {  # name: (dtype policy, jit_compile, time the training?)
    "float32": ("float32", False, True),
    "float32 + XLA": ("float32", True, True),
    "mixed_bfloat16": ("mixed_bfloat16", False, True),
    "mixed_float16": ("mixed_float16", False, False),
}
print("timed:", TIMED_IMAGES, "images in batches of", BASE_BATCH, "| variants:", list(VARIANTS))

# %% [markdown]
# Timings vary from run to run and machine to machine (and on a shared machine, from minute
# to minute), so nbval ignores this cell's output; the cell after it checks the facts that do
# not vary.

# %%
# NBVAL_IGNORE_OUTPUT
logits, speed = {}, {}
for name, (policy_name, jit_compile, train) in VARIANTS.items():
    logits[name], speed[name] = predict_and_time(policy_name, jit_compile, train)
reference_classes = logits["float32"].argmax(axis=1)
same_class = {name: float(np.mean(l.argmax(axis=1) == reference_classes))
              for name, l in logits.items()}
print(f"{'variant':<15} {'training images/s':>20} {'same class as float32':>23}")
for name in VARIANTS:
    timing = (f"{speed[name]:.0f} ({speed[name] / speed['float32']:.2f}x)" if speed[name]
              else "not timed")
    print(f"{name:<15} {timing:>20} {same_class[name]:>23.1%}")

# %%
xla_gap = float(np.max(np.abs(logits["float32 + XLA"] - logits["float32"])))
assert all(np.isfinite(speed[name]) and speed[name] > 0 for name in VARIANTS if VARIANTS[name][2])
assert xla_gap < 1e-3
assert same_class["mixed_float16"] > 0.97 and same_class["mixed_bfloat16"] > 0.9
print("timed:", [name for name in VARIANTS if speed[name]])
print("XLA logits equal float32 within 0.001:", xla_gap < 1e-3)
print("mixed_float16 predicts the same class for over 97% of test images:",
      same_class["mixed_float16"] > 0.97)
print("mixed_bfloat16 predicts the same class for over 90% of test images:",
      same_class["mixed_bfloat16"] > 0.9)

# %% [markdown]
# **Why mixed_float16 does not train here.** Its forward pass is fine on this CPU, but
# TensorFlow has no fast CPU kernel for the *gradient* of a float16 convolution and falls back
# to a slow generic one. The backward pass of one 3×3 convolution on a batch of 32 (median of
# three runs) shows it:

# %%
def conv_gradient_seconds(dtype, repeats=3):
    """Median seconds for the input gradient of one 3x3 conv (32 x 28 x 28 x 16) in `dtype`."""
    images = tf.Variable(tf.cast(tf.random.stateless_normal((32, 28, 28, 16), (1, 2)), dtype))
    kernel = tf.cast(tf.random.stateless_normal((3, 3, 16, 16), (3, 4)), dtype)

    def gradient():
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(tf.nn.conv2d(images, kernel, 1, "SAME"))
        return tape.gradient(total, images).numpy()

    gradient()  # warm-up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        gradient()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


# %%
# NBVAL_IGNORE_OUTPUT
conv_seconds = {dtype: conv_gradient_seconds(dtype) for dtype in ("float32", "bfloat16", "float16")}
for dtype, seconds in conv_seconds.items():
    ratio = seconds / conv_seconds["float32"]
    print(f"{dtype:<9} {seconds * 1000:>8.1f} ms ({ratio:.1f}x the float32 time)")

# %%
assert all(np.isfinite(s) and s > 0 for s in conv_seconds.values())
print("conv gradient timed in:", list(conv_seconds))

# %% [markdown]
# What these numbers say, and what they do not:
#
# - **XLA** compiles the same maths: its logits equal the baseline's to within rounding. On
#   this CPU it is *slower* for the ResNet. On the 2 cores that built this notebook, with
#   nothing else running, batch 128: about 950–1,000 training images/s for the baseline and
#   700–740 with XLA. TensorFlow's CPU convolutions come from oneDNN, already tuned, and XLA's
#   CPU code does not beat them. On GPUs, where fusing small operations saves memory traffic,
#   XLA often helps.
# - **mixed_bfloat16** gains little on a CPU with bfloat16 instructions (AMX or AVX512-BF16,
#   like the one that built this notebook: 980–1,050 images/s, within the noise of float32);
#   on a CPU without them expect it to be slower. Its predictions differ slightly (7 bits of
#   precision), mostly on images where the model hesitates between two classes. It gains
#   little here because only the convolutions run in bfloat16: Keras's BatchNormalization
#   computes in float32, from separate operations, and takes about half of each step. With
#   `fused_batchnorm=True` ([notebook 06](06_training.ipynb)) BatchNormalization becomes one
#   compiled TensorFlow routine (a fused kernel) that runs in bfloat16 too, and the pair trains
#   about 2.5 times as fast
#   as the article's code on this CPU (`bench/throughput.py`, README's performance section).
# - **mixed_float16** is for GPUs (NVIDIA, compute capability 7.0 or higher). On a CPU its
#   gradients are dozens of times slower; its 10 bits of precision keep its predictions closer
#   to float32 than bfloat16's.
# - Two logical CPUs on shared cores measure *correctness*, never speed-up.
# - A table that disagrees with these figures may only mean that other programs were busy:
#   the output saved in this notebook was recorded on a machine shared with other jobs,
#   where one step can take several times longer than on idle cores. Run the cell again
#   on a quiet machine before you conclude anything.
#
# GPU figures for the same model — where mixed precision and XLA are designed to shine —
# belong to the scripts in `bench/`, and are listed with their machine in the README's
# performance section once measured; a notebook cannot promise them.
#
# Always put the global policy back when you are done, or every layer created afterwards
# computes in 16 bits (our `resnet_for_policy` already does it for you):

# %%
keras.mixed_precision.set_global_policy("float32")
print("global policy:", keras.mixed_precision.global_policy().name)

# %% [markdown]
# ## Recap
#
# - `tf.distribute` is an existing, tested distributed engine: data parallelism keeps a copy
#   of the model per replica, splits every batch and all-reduces the gradients.
# - `MirroredStrategy` = the devices of one machine. Your code changes in three places: build
#   and compile inside `strategy.scope()`, pass the *global* batch (per replica × replicas),
#   and scale the learning rate if the global batch grows.
# - Two logical CPU devices make distributed code run anywhere; on the same data and batches
#   it trains the ResNet to the same accuracy as one device.
# - BatchNormalization normalises, and updates its moving statistics, per replica unless you
#   ask for `synchronized=True`.
# - `MultiWorkerMirroredStrategy` = many machines; `TF_CONFIG` names the cluster and the
#   worker. Workers start from worker 0's weights and stay identical. In Keras 3.15 use a
#   custom loop with `strategy.run` there, as `fit` fails.
# - Mixed precision: float32 variables, 16-bit compute, a float32 output layer; float16 needs
#   loss scaling (Keras adds it), bfloat16 does not.
# - `jit_compile=True` asks XLA to compile the step — but Keras ignores it, with only a
#   warning, while TensorFlow's op determinism is on; `tf.function(jit_compile=True)` still
#   works. Measure every speed-up on your own hardware: on this CPU, XLA is slower, bfloat16
#   barely faster and float16 training far slower.
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
# the learning rate by the linear scaling rule. On a machine with 8 GPUs and 64 images per
# replica, which lines of the "one device against two replicas" cells change?

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
# replicas' moving means after training; train `resnet_for_policy("mixed_bfloat16")` under
# `strategy.scope()`; make the cluster train on Fashion-MNIST and let only the chief
# (worker 0) save the model ([notebook 07](07_saving.ipynb)) — why must the others not write to
# the same path?
#
# **Next:** [10 · Choosing an API](10_choosing_an_api.ipynb) — the article's conclusion,
# tested against everything notebooks 01–09 showed.
