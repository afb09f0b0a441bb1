# %% [markdown]
# # 08 · Custom training
#
# [07 · Saving and serving](07_saving.ipynb) took a trained ResNet out of the notebook. This
# notebook goes the other way, *into* `fit`: what happens in one training step, how to change
# it while keeping everything `fit` gives you, and how to write the whole loop yourself. Next,
# [09 · Scaling out](09_scaling_out.ipynb) spreads training over several devices and makes it
# faster.
#
# **What you will learn**
#
# - what `fit` does on every batch, and how to replace that step by overriding `train_step`
#   and `test_step` — keeping callbacks, `History` and the log;
# - why a training step passes sample weights on and scales its loss with
#   `optimizer.scale_loss`, even when neither seems to matter;
# - how to write a training loop from scratch with `tf.GradientTape`, an optimizer, a loss, a
#   metric and a progress bar, and compile its step with `tf.function`;
# - the `training=True` trap of hand-written loops: forget it and BatchNormalization silently
#   never updates its moving statistics;
# - that the three ways (built-in `fit`, custom `train_step`, hand-written loop) train the
#   same model to the same accuracy, and what eager execution and `tf.function` cost.

# %% [markdown]
# ## Set-up
#
# As in every notebook: quiet TensorFlow start-up, seeds, versions and the profile.

# %%
import helpers

cfg = helpers.setup()

# %% [markdown]
# Custom training steps are backend-specific: with the TensorFlow backend, gradients come from
# `tf.GradientTape` and speed from `tf.function`. So this notebook imports `tensorflow` too.

# %%
import time

import keras
import numpy as np
import tensorflow as tf

from helpers.data import load_fashion_mnist
from helpers.models import ResNet, batchnorm_layers  # both written in notebook 05
from helpers.runtime import seed_everything

# %% [markdown]
# ## One data set, one starting point
#
# To compare three ways of training fairly, they must see **the same batches in the same
# order** and start from **the same weights**. We shuffle the training images once, with a
# fixed seed, and keep that order: the `tf.data` pipeline below does not reshuffle, so every
# epoch and every method gets identical batches. (For real training you *would* reshuffle
# every epoch, as in [notebook 06](06_training.ipynb).) The `class` profile trains on 3,000
# images for two epochs — enough to compare methods, not to reach the best accuracy; the
# `full` profile uses all 60,000.

# %%
BATCH_SIZE = 128
EPOCHS = cfg.pick(class_=2, full=5)

(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
n_train = cfg.pick(class_=3_000, full=len(x_train))
order = np.random.default_rng(cfg.seed).permutation(len(x_train))[:n_train]
x_small = (x_train[order].astype("float32") / 255.0)[..., np.newaxis]  # (n, 28, 28, 1)
y_small = y_train[order].astype("int32")
x_eval = (x_test.astype("float32") / 255.0)[..., np.newaxis]
y_eval = y_test.astype("int32")

train_ds = tf.data.Dataset.from_tensor_slices((x_small, y_small)).batch(BATCH_SIZE)
test_ds = tf.data.Dataset.from_tensor_slices((x_eval, y_eval)).batch(256)
steps_per_epoch = len(train_ds)
print("training images:", x_small.shape, "| test images:", x_eval.shape)
print("batches per epoch:", steps_per_epoch, "| images in the last batch:",
      n_train - (steps_per_epoch - 1) * BATCH_SIZE)

# %% [markdown]
# The pipeline really gives the same batches on every pass:

# %%
first_pass = np.concatenate([labels.numpy() for _, labels in train_ds])
second_pass = np.concatenate([labels.numpy() for _, labels in train_ds])
print(f"labels in the same place on both passes: {np.sum(first_pass == second_pass):,} of "
      f"{len(first_pass):,}")

# %% [markdown]
# Every model in this notebook comes from one function, `new_resnet`: it re-seeds everything
# and builds the article's `ResNet([2, 2, 2], 10)` from `helpers.models` (written in
# [notebook 05](05_resnet.ipynb)), so each call starts from identical weights. It is set up as
# notebooks 05 and 06 concluded: He initialisation and BatchNormalization momentum 0.9, so that
# the moving statistics used at evaluation keep up even in these short runs.

# %%
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


a, b = new_resnet(), new_resnet()
print("parameters:", a.count_params(), "| BatchNormalization layers:", len(batchnorm_layers(a)))
print("largest weight difference between two calls:", largest_difference(a, b))

# %% [markdown]
# ## Way 1: the built-in `fit`
#
# The baseline. The model outputs logits (no softmax), so the loss is told `from_logits=True`.
# The same `compile` settings serve all the `fit` runs below. A small callback times each
# training step: `fit` calls its hooks before and after every batch. The first step takes
# longer: `fit` wraps the step in a `tf.function`, which first runs the Python code to record
# its operations as a TensorFlow graph — this is called **tracing** — and from then on runs
# that graph, without going back to Python.

# %%
def compile_for_training(model):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


class StepTimer(keras.callbacks.Callback):
    """Records how many seconds each training step (one batch) of `fit` takes."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


# %% [markdown]
# `shuffle=False` because the order is already fixed (`fit` cannot shuffle a `tf.data`
# pipeline anyway: it would only warn).

# %% tags=["nbval-ignore-output"]
fit_model = compile_for_training(new_resnet())
fit_timer = StepTimer()
fit_history = fit_model.fit(train_ds, epochs=EPOCHS, shuffle=False, callbacks=[fit_timer],
                            verbose=2)
fit_results = fit_model.evaluate(test_ds, verbose=0, return_dict=True)
print(f"test accuracy {fit_results['accuracy']:.3f}, test loss {fit_results['loss']:.3f}")

# %%
ACCURACY_FLOOR = cfg.pick(class_=0.60, full=0.85)
fit_losses = fit_history.history["loss"]
assert fit_results["accuracy"] > ACCURACY_FLOOR and fit_losses[-1] < fit_losses[0]
print("logged:", sorted(fit_history.history), "| optimizer steps:", int(fit_model.optimizer.iterations))
print(f"training loss {fit_losses[0]:.1f} in the first epoch, {fit_losses[-1]:.1f} in the last; "
      f"test accuracy {fit_results['accuracy']:.0%}, above the {ACCURACY_FLOOR:.0%} floor")

# %% [markdown]
# ## What `fit` does on each batch
#
# Under all its machinery — callbacks, logs, distribution, `tf.function` — `fit` runs one
# method per batch, `train_step(data)`, and `evaluate` runs `test_step(data)`. With the
# TensorFlow backend the built-in `train_step` (Keras's
# `keras/src/backend/tensorflow/trainer.py`) does six things:
#
# 1. unpack the batch: `x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)`. A
#    batch is `(x, y)` or `(x, y, sample_weight)`, a weight per example — from
#    `fit(..., sample_weight=...)`, `class_weight=` or a third element of each `tf.data`
#    batch; ours have none, so it is `None`;
# 2. inside a `tf.GradientTape` ([notebook 04](04_resnet_block.ipynb)), run the model **in
#    training mode**, `y_pred = self(x, training=True)`, and compute the loss from `compile`,
#    `self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)`;
# 3. add that loss to a running mean named `"loss"`;
# 4. **scale the loss**: `loss = self.optimizer.scale_loss(loss)`, explained below;
# 5. ask the tape for the gradients of the loss with respect to `self.trainable_variables`
#    and let the optimizer update them: `self.optimizer.apply_gradients(zip(gradients,
#    variables))`, which calls `apply(gradients, variables)` (what our steps call);
# 6. update the metrics and return their values as a dict — that dict is what the log shows,
#    what callbacks receive and what ends up in `History`.
#
# Step 4 does nothing with an ordinary optimizer: `scale_loss` returns the loss unchanged.
# It matters under *mixed precision* ([notebook 09](09_scaling_out.ipynb)), where layers
# compute in 16-bit floats (`float16`) and gradients smaller than about 3 × 10⁻⁸ round to zero.
# There `compile` wraps the optimizer in a `keras.optimizers.LossScaleOptimizer`: its
# `scale_loss` multiplies the loss by a large factor (2¹⁵ at first), so the gradients come
# out 2¹⁵ times larger and survive, and its `apply` divides them by the same factor before
# updating. A step that skips `scale_loss` still gets that division: its gradients end up
# 2¹⁵ times too small (the smallest already rounded to zero), and training crawls, with no
# error or warning.
#
# The metrics live in `self.metrics`. After `compile` there are two entries: the running mean
# of the loss, and a container of the metrics you passed to `compile`:

# %%
print([metric.name for metric in fit_model.metrics])

# %% [markdown]
# ## Way 2: override `train_step` (and `test_step`)
#
# Overriding `train_step` replaces only those six steps; everything else in `fit` stays. That
# is the right tool when you need a different step — two optimizers (GANs), gradient clipping
# or accumulation, an extra loss — but still want callbacks, logs and `History`.
#
# We subclass the reference `ResNet` and write the step out as the built-in one does, minus
# the branches for models without trainable weights or a `training` argument, and minus one
# correction for `tf.distribute` ([notebook 09](09_scaling_out.ipynb)): with several devices,
# `compute_loss` divides the loss by their number and the built-in step multiplies the
# logged loss back. Two details make the log match: `compute_loss` does *not* update the
# `"loss"` metric (the step does, with the loss *before* scaling), and the running mean weighs
# each batch by its size, so the short last batch counts for 56 images, not 128.
# `compute_metrics` updates the metrics from `compile` and returns every metric's value.
# `test_step` is the same without the tape and with `training=False`.

# %%
class TrainStepResNet(ResNet):
    """The article's ResNet with the training and evaluation steps written out."""

    def _update_loss_metric(self, loss, images):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(images)[0])

    def train_step(self, data):
        images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = self.compute_loss(x=images, y=labels, y_pred=logits,
                                     sample_weight=sample_weight, training=True)
            scaled_loss = self.optimizer.scale_loss(loss)  # unchanged unless loss scaling is on
        gradients = tape.gradient(scaled_loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits, sample_weight=sample_weight)

    def test_step(self, data):
        images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        logits = self(images, training=False)
        loss = self.compute_loss(x=images, y=labels, y_pred=logits,
                                 sample_weight=sample_weight, training=False)
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits, sample_weight=sample_weight)


# %% [markdown]
# The subclass adds no layers, so `new_resnet` gives it exactly the starting weights of the
# plain `ResNet`:

# %%
step_model = compile_for_training(new_resnet(TrainStepResNet))
print("largest difference from way 1's starting weights:",
      largest_difference(step_model, new_resnet()))

# %% [markdown]
# Now the ordinary `fit` call — same data, same callback, same `verbose=2` log. `evaluate`
# runs our `test_step`.

# %% tags=["nbval-ignore-output"]
step_timer = StepTimer()
step_history = step_model.fit(train_ds, epochs=EPOCHS, shuffle=False, callbacks=[step_timer],
                              verbose=2)
step_results = step_model.evaluate(test_ds, verbose=0, return_dict=True)
print(f"test accuracy {step_results['accuracy']:.3f}, test loss {step_results['loss']:.3f}")
print("largest weight difference from way 1:", largest_difference(step_model, fit_model))

# %% [markdown]
# The callback ran, `History` holds the same keys, `evaluate` used `test_step`, and the
# numbers are those of way 1 — the last line above compares the final weights of the two
# models. "Three ways, one result" below says why the check allows a small difference.

# %%
loss_gap = abs(step_history.history["loss"][0] - fit_losses[0])
assert sorted(step_history.history) == sorted(fit_history.history) == sorted(step_results)
assert len(step_timer.seconds) == EPOCHS * steps_per_epoch
assert step_results["accuracy"] > ACCURACY_FLOOR and loss_gap < 0.05
print("logged:", sorted(step_history.history), "| steps timed by the callback:",
      len(step_timer.seconds), "| optimizer steps:", int(step_model.optimizer.iterations))
print(f"first-epoch loss {step_history.history['loss'][0]:.2f} (built-in step: "
      f"{fit_losses[0]:.2f}; allowed difference 0.05); test accuracy "
      f"{step_results['accuracy']:.0%}, above the {ACCURACY_FLOOR:.0%} floor")

# %% [markdown]
# ## Way 3: a training loop from scratch
#
# Sometimes you want no `fit` at all: research code, unusual schedules, or simply to see every
# moving part. Then you own the loop — and everything `fit` did for you: the optimizer, the
# loss, the metrics, the progress bar, the timing, and the `training` flag.
#
# The step is the one above, as a plain function. It still calls `optimizer.scale_loss`: with
# this `Adam` that changes nothing, but no `compile` wraps your optimizer here, so for mixed
# precision you wrap it yourself, `keras.optimizers.LossScaleOptimizer(Adam(...))`, and the
# step is right as it stands.
#
# Wrapped in `tf.function`, the step is traced once; unwrapped, it runs *eagerly*, op by op,
# from Python. Two details keep it to **one** trace: the `input_signature` says the batch
# size may vary (the last batch is smaller), and `optimizer.build` creates the optimizer's
# variables (Adam's moment estimates) up front. Without either, `tf.function` would trace a
# second graph: for the new batch shape, or because the first call created variables.

# %%
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
BATCH_SIGNATURE = [tf.TensorSpec((None, 28, 28, 1), tf.float32),
                   tf.TensorSpec((None,), tf.int32)]


def make_train_step(model, optimizer, compiled=True):
    """One optimisation step on a batch; graph-compiled by tf.function unless compiled=False."""
    optimizer.build(model.trainable_variables)

    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)  # training=True: see the trap below
            loss = loss_fn(labels, logits)
            scaled_loss = optimizer.scale_loss(loss)  # for a LossScaleOptimizer
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss, logits

    return tf.function(train_step, input_signature=BATCH_SIGNATURE) if compiled else train_step


# %% [markdown]
# The loop: for each epoch, for each batch, one step. Two metric objects keep the running
# means that `fit` shows (the loss weighted by batch size, and the accuracy), and
# `keras.utils.Progbar` displays them as they are (`stateful_metrics`) instead of averaging
# them again, one line per epoch with `verbose=2`. Evaluation is a loop too, with
# `training=False`.

# %%
def train_by_hand(model, train_step, dataset, epochs):
    """Run `train_step` over `dataset` `epochs` times; return the per-epoch logs."""
    mean_loss = keras.metrics.Mean()
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    logs = {"loss": [], "accuracy": [], "step_seconds": []}
    for epoch in range(epochs):
        print(f"Epoch {epoch + 1}/{epochs}")
        progbar = keras.utils.Progbar(len(dataset), verbose=2,
                                      stateful_metrics=["loss", "accuracy"])
        mean_loss.reset_state()
        accuracy.reset_state()
        for step, (images, labels) in enumerate(dataset):
            start = time.perf_counter()
            loss, logits = train_step(images, labels)
            mean_loss.update_state(loss, sample_weight=len(images))
            accuracy.update_state(labels, logits)
            logs["step_seconds"].append(time.perf_counter() - start)
            progbar.update(step + 1, [("accuracy", float(accuracy.result())),
                                      ("loss", float(mean_loss.result()))])
        logs["loss"].append(float(mean_loss.result()))
        logs["accuracy"].append(float(accuracy.result()))
    return logs


def evaluate_by_hand(model, dataset):
    """Test accuracy, with BatchNormalization in inference mode."""
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    for images, labels in dataset:
        accuracy.update_state(labels, model(images, training=False))
    return float(accuracy.result())


# %% [markdown]
# Same starting weights, same optimizer settings, same batches:

# %% tags=["nbval-ignore-output"]
loop_model = new_resnet()
loop_optimizer = keras.optimizers.Adam(learning_rate=1e-3)
loop_step = make_train_step(loop_model, loop_optimizer)
loop_logs = train_by_hand(loop_model, loop_step, train_ds, EPOCHS)
loop_accuracy = evaluate_by_hand(loop_model, test_ds)
print(f"test accuracy {loop_accuracy:.3f}")
print("largest weight difference from way 1:", largest_difference(loop_model, fit_model),
      "| from way 2:", largest_difference(loop_model, step_model))

# %% [markdown]
# The Python body of the step ran **once**, when `tf.function` traced it; every one of the
# optimizer's steps after that ran the graph.

# %%
assert loop_step.experimental_get_tracing_count() == 1
assert int(loop_optimizer.iterations) == EPOCHS * steps_per_epoch
assert loop_accuracy > ACCURACY_FLOOR and loop_logs["loss"][-1] < loop_logs["loss"][0]
print("traced", loop_step.experimental_get_tracing_count(), "time for",
      int(loop_optimizer.iterations), "optimizer steps")
print(f"test accuracy {loop_accuracy:.0%}, above the {ACCURACY_FLOOR:.0%} floor")

# %% [markdown]
# ## The `training=True` trap
#
# `fit` calls the model with `training=True` for you. In your own loop nothing does. If you
# write `model(images)`, `training` stays `None`, which Keras layers treat as **inference
# mode** ([notebook 03](03_subclassing.ipynb) showed how `training` reaches each layer). For
# BatchNormalization that means: normalise with the moving statistics — still mean 0 and
# variance 1, because they are only updated in training mode — and never update them. No
# error, no warning; the loss even goes down. Here is the loop with that one word missing:

# %%
def make_forgetful_train_step(model, optimizer):
    """The same step with the classic bug: the model is called without training=True."""
    optimizer.build(model.trainable_variables)

    @tf.function(input_signature=BATCH_SIGNATURE)
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images)  # BUG: training is None, so BatchNormalization infers
            loss = loss_fn(labels, logits)
            scaled_loss = optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss, logits

    return train_step


# %% tags=["nbval-ignore-output"]
trap_model = new_resnet()
trap_logs = train_by_hand(trap_model, make_forgetful_train_step(
    trap_model, keras.optimizers.Adam(learning_rate=1e-3)), train_ds, EPOCHS)
trap_accuracy = evaluate_by_hand(trap_model, test_ds)
print(f"test accuracy {trap_accuracy:.3f} (with training=True: {loop_accuracy:.3f})")
print("last layer's moving mean, first 4 channels:",
      np.round(trap_model.final_bn.moving_mean.numpy()[:4], 3), "trap |",
      np.round(loop_model.final_bn.moving_mean.numpy()[:4], 3), "correct")

# %% [markdown]
# After all those steps, every one of the 15 BatchNormalization layers of the trapped model
# still holds its starting statistics exactly, while the correct loop moved them all.

# %%
def untouched_layers(model):
    """How many BatchNormalization layers still have moving mean 0 and variance 1 exactly."""
    return sum(bool(np.all(layer.moving_mean.numpy() == 0.0)
                    and np.all(layer.moving_variance.numpy() == 1.0))
               for layer in batchnorm_layers(model))


accuracy_drop = loop_accuracy - trap_accuracy
assert untouched_layers(trap_model) == 15 and untouched_layers(loop_model) == 0
assert accuracy_drop > 0.05 and trap_logs["loss"][-1] > loop_logs["loss"][-1]
print("layers with untouched statistics: forgot training=True", untouched_layers(trap_model),
      "of 15 | training=True", untouched_layers(loop_model), "of 15")
print(f"last-epoch loss {trap_logs['loss'][-1]:.1f} against {loop_logs['loss'][-1]:.1f}; "
      f"test accuracy {accuracy_drop * 100:.0f} points lower (the check asks for over 5)")

# %% [markdown]
# Why worse, and not broken? The trapped model trains and tests with the same frozen
# statistics, so its BatchNormalization layers normalise nothing: they are mere
# scale-and-shift layers, and we trained a ResNet *without* batch normalization, which learns
# more slowly. In other models the damage differs (a `Dropout` that never drops), but the fix
# is the same: **pass `training=True` in the training step and `training=False` when
# evaluating**, as `fit` and `evaluate` do for you.

# %% [markdown]
# ## Three ways, one result
#
# Same data, same starting weights, same optimizer, same order of operations: the three ways
# do the same arithmetic. `fit`'s step is no magic — it is the lines we wrote twice — and
# when this notebook was built, the largest weight differences printed above were `0.0`:
# after 48 steps the three models were bit for bit the same.
#
# That is not guaranteed, so the check does not rely on it: on the machine this notebook was
# written on, the *first* model trained in a fresh Python process sometimes differed in the
# last digits, even with TensorFlow's deterministic mode on. Adam's first steps, which move
# each weight by about the learning rate whatever the size of its gradient, amplify such a
# difference. So we check what must hold everywhere: every way clears the floor, and all land
# within a few points of each other.

# %%
results = {"built-in fit": fit_results["accuracy"], "custom train_step": step_results["accuracy"],
           "hand-written loop": loop_accuracy}
spread = max(results.values()) - min(results.values())
SPREAD_LIMIT = cfg.pick(class_=0.08, full=0.03)
assert min(results.values()) > ACCURACY_FLOOR and spread < SPREAD_LIMIT
for name, accuracy in results.items():
    print(f"{name:<18} test accuracy {accuracy:.0%} (floor {ACCURACY_FLOOR:.0%})")
print(f"spread between the three: {spread:.0%}, under the {SPREAD_LIMIT:.0%} allowed")

# %% [markdown]
# ## Speed: eager, `tf.function`, `fit`
#
# Now the cost of each way. Every run above timed its steps; we compare the **median** step,
# which ignores the first (tracing) and any step slowed down by another program. Eager
# execution gets a few steps on a fresh model, after a warm-up step. Timings depend on the
# machine: the next cell prints them, the one after checks only what holds everywhere.

# %% tags=["nbval-ignore-output"]
EAGER_STEPS = 4
eager_model = new_resnet()
eager_step = make_train_step(eager_model, keras.optimizers.Adam(learning_rate=1e-3), compiled=False)
eager_seconds = []
for images, labels in train_ds.take(EAGER_STEPS + 1):  # the first is the warm-up
    start = time.perf_counter()
    eager_step(images, labels)
    eager_seconds.append(time.perf_counter() - start)

step_seconds = {"eager loop": eager_seconds[1:], "tf.function loop": loop_logs["step_seconds"],
                "custom train_step": step_timer.seconds, "built-in fit": fit_timer.seconds}
speed = {name: BATCH_SIZE / np.median(seconds) for name, seconds in step_seconds.items()}
for name, seconds in step_seconds.items():
    first = f" | first step {seconds[0]:5.1f} s" if name != "eager loop" else ""
    print(f"{name:<18} {speed[name]:5.0f} images/s (median step {np.median(seconds):.3f} s){first}")
print(f"tf.function loop / eager: {speed['tf.function loop'] / speed['eager loop']:.1f}x")

# %%
compiled = ["tf.function loop", "custom train_step", "built-in fit"]
assert all(speed[name] > speed["eager loop"] for name in compiled)
assert all(step_seconds[name][0] > 3 * np.median(step_seconds[name]) for name in compiled)
print(f"each of the {len(compiled)} compiled ways is faster than eager, and each one's first "
      "step (tracing) took over 3 times its median step: the figures are in the table above")

# %% [markdown]
# What the numbers say:
#
# - **Eager is the slowest.** Every operation goes back to Python, and nothing is optimised
#   across operations. Use it to debug (`compile(..., run_eagerly=True)` does the same to
#   `fit`), not to train.
# - **`tf.function` closes the gap at a one-off price**: the first step, which traces, takes
#   as long as many ordinary ones (about twenty when this notebook was built).
# - **`fit` runs the same kind of graph**, whether its step is built-in or yours: it wraps
#   `train_step` in `tf.function` for you, so overriding `train_step` costs no speed. Its
#   first step costs more, as `fit` also sets up its own machinery. The differences between
#   the three compiled ways come mostly from whatever else the machine was doing: run the
#   cells again and they may change places.
# - **No XLA here.** `compile`'s default `jit_compile="auto"` would also compile the step with
#   XLA, but Keras turns that off on a machine with only CPUs, under a `tf.distribute`
#   strategy, and whenever TensorFlow's op determinism is on — which `helpers.setup()` does in
#   every notebook. [Notebook 09](09_scaling_out.ipynb) explains XLA and measures it anyway.
#
# Which to choose? Start with `fit`. When the *step* must change, override `train_step` and
# keep everything else. Write the whole loop only when the *loop* itself must change — and
# then remember `tf.function`, `training=True` and `scale_loss`.
#
# ## Recap
#
# - `fit` calls `train_step(data)` on every batch and `evaluate` calls `test_step(data)`; the
#   dict they return feeds the log, the callbacks and `History`.
# - A custom `train_step` (TensorFlow backend): unpack `x, y, sample_weight`; forward pass
#   with `training=True` inside a `tf.GradientTape`; `self.compute_loss(...)`; update the
#   `"loss"` metric; `tape.gradient` of `self.optimizer.scale_loss(loss)`;
#   `self.optimizer.apply(...)`; `return self.compute_metrics(...)`. `scale_loss` changes
#   nothing for an ordinary optimizer; without it a `LossScaleOptimizer` (mixed precision)
#   trains with gradients 2¹⁵ times too small, and nothing warns you.
# - A hand-written loop owns everything: optimizer (wrapped in a `LossScaleOptimizer` by you
#   for `float16`), loss, metrics, progress bar (`keras.utils.Progbar`), evaluation.
#   `tf.function` traces the step once — given an `input_signature` when batch sizes vary
#   and an optimizer built up front — and makes it faster than eager (about twice as fast
#   when this notebook was built).
# - Forgetting `training=True` in a hand-written step silently freezes BatchNormalization's
#   moving statistics at 0 and 1 and turns the layers into plain scale-and-shift: the model
#   trains worse and nothing warns you.
# - With the same data, seeds and optimizer, all three ways reach the same accuracy; only
#   *close* is guaranteed, so test with a tolerance.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below
# it: the checker trains your code for a step or two on a tiny model and compares the loss,
# the gradients and the weights with a step computed independently (✅, or ❌ with a hint).
# Worked answers:
# [solutions/08_custom_training_solutions.ipynb](solutions/08_custom_training_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): one training step by hand
#
# Write `one_training_step(model, optimizer, loss_fn, images, labels)`: one optimisation step
# on the batch — forward pass in training mode inside a `tf.GradientTape`, the loss scaled by
# `optimizer.scale_loss`, its gradients with respect to `model.trainable_variables`, one
# `optimizer.apply` — returning the loss of the batch (computed before the update, unscaled).
# Then copy it with `training=True` removed, run the copy once on `new_resnet()` with one
# batch of `train_ds`, and compare `final_bn.moving_mean` before and after.

# %%
# EXERCISE 1
def one_training_step(model, optimizer, loss_fn, images, labels):
    """One optimisation step on (images, labels); return the batch's loss before the update."""
    return None   # your code here


# %%
checks.one_training_step(one_training_step)

# %% [markdown]
# ### Exercise 2 (practice): report the gradient norm from `train_step`
#
# Write `GradNormResNet`, a `TrainStepResNet` whose `train_step` also returns `"grad_norm"`: the
# global norm of the gradients, `tf.linalg.global_norm(gradients)`. Keep `loss` and `accuracy`
# in the log: add the new entry to the dict that `compute_metrics` returns. Train it with `fit`
# for one epoch: does `grad_norm` appear in the log and in `History`? Then pass
# `validation_data=test_ds` as well: which of your methods computes `val_loss`, and why is
# there no `val_grad_norm`? (Under loss scaling your gradients are those of the *scaled*
# loss: how would you report the true norm?)

# %%
# EXERCISE 2
class GradNormResNet(TrainStepResNet):
    """TrainStepResNet whose train_step also reports the gradients' global norm as grad_norm."""
    # override train_step here


# %%
checks.grad_norm_train_step(GradNormResNet)

# %% [markdown]
# ### Exercise 3 (stretch): gradient accumulation
#
# A batch of 512 may not fit in memory, but 4 batches of 128 do. Write `AccumulatingResNet`:
# its `train_step` adds each batch's gradients to running sums and, every `accumulate`-th
# batch, applies their mean and resets the sums — so the optimizer steps once per `accumulate`
# batches. Create the sums in `build` with `self.add_weight(..., trainable=False)`, one per
# trainable variable, plus a batch counter; in the graph, choose "apply or not" with
# `tf.cond`. After 8 batches with `accumulate=4`, `optimizer.iterations` should be 2.

# %%
# EXERCISE 3
class AccumulatingResNet(TrainStepResNet):
    """Applies the mean gradient of every `accumulate` batches: one optimizer step per group."""

    def __init__(self, *args, accumulate=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.accumulate = accumulate

    # your build and train_step here


# %%
checks.accumulating_train_step(AccumulatingResNet)

# %% [markdown]
# **Next:** [09 · Scaling out](09_scaling_out.ipynb) — several devices, mixed precision and
# XLA, measured.
