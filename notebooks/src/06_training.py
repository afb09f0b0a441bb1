# %% [markdown]
# # 06 · Training the ResNet
#
# [05 · The ResNet](05_resnet.ipynb) built the article's `ResNet([2, 2, 2], 10)`; this notebook
# trains it as a practitioner would, and [07 · Saving and serving](07_saving.ipynb) takes it
# out of the notebook.
#
# **What you will learn**
#
# - a `tf.data` input pipeline — map, cache, shuffle, augment, batch, prefetch — and what
#   TensorFlow's deterministic mode changes in it (measured);
# - augmentation with *stateless* random ops, so that each epoch's order and augmentation
#   depend only on the seed and the epoch;
# - the BatchNormalization trap: what moving statistics are, and two fixes;
# - a practitioner's recipe and its callbacks, `BackupAndRestore` among them: what it
#   restores after a crash, and what else a killed run needs to resume exactly;
# - reading results: learning curves, per-class accuracy, the confusion matrix, the mistakes,
#   and the gain over the MLP of [notebook 01](01_sequential.ipynb).
#
# The `class` profile runs in about two minutes on a quiet 2-core CPU; the `full` profile
# (`KERAS_MODELS_PROFILE=full`: 60,000 images, 30 epochs) reached 94.3 % on the 10,000 test
# images (README, *Performance*).

# %% [markdown]
# ## Set-up

# %%
import helpers

cfg = helpers.setup()

# %%
import json
import shutil
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf  # this lesson is about tf.data, TensorFlow's input pipelines

from helpers import plots
from helpers.data import CLASS_NAMES, load_fashion_mnist, make_dataset
from helpers.models import ResNet, batchnorm_layers  # batchnorm_layers: written in notebook 05
from helpers.runtime import seed_everything

BUILD = Path("build")  # notebooks/build/ (git-ignored): checkpoints, logs, backups


def about(fraction):
    """A trained score in %, to the nearest 5: its last digits vary from machine to machine."""
    return round(fraction * 20) * 5


# %% [markdown]
# ## The data, and a validation split
#
# Callbacks will decide from a validation score, so we keep the last 2,000 training images
# aside and touch the test set only at the end. (The `full` profile trains on all 60,000 and
# only watches the test set.)

# %%
(x_train_all, y_train_all), (x_test, y_test) = load_fashion_mnist()
n_val = cfg.pick(class_=2_000, full=0)
x_train, y_train = x_train_all[:len(x_train_all) - n_val], y_train_all[:len(y_train_all) - n_val]
x_val, y_val = (x_train_all[-n_val:], y_train_all[-n_val:]) if n_val else (x_test, y_test)
print("training:", x_train.shape, "| validation:", x_val.shape, "| test:", x_test.shape)

# %% [markdown]
# ## An input pipeline with `tf.data`, step by step
#
# Given NumPy arrays, `fit` on TensorFlow builds a `tf.data` pipeline itself, shuffled and
# batched each epoch (`keras/src/trainers/data_adapters/array_data_adapter.py`); ours adds
# augmentation. A `tf.data.Dataset` is a recipe of steps; iterating over it runs them in
# TensorFlow's threads.
#
# **1.** `from_tensor_slices` cuts the arrays along their first axis: one element per image.

# %%
ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
print(int(ds.cardinality()), "elements, each:", ds.element_spec)

# %% [markdown]
# **2. `map`** applies a function to every element: here float32 pixels in 0…1 and a channel
# axis. `num_parallel_calls=AUTOTUNE` lets tf.data work on several elements at once.

# %%
def scale(image, label):
    """uint8 (28, 28) -> float32 (28, 28, 1) in 0..1; the label as int32."""
    image = tf.cast(image, tf.float32)[..., tf.newaxis] / 255.0
    return image, tf.cast(label, tf.int32)


ds = ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
image, label = next(iter(ds))
print(image.shape, image.dtype.name, f"max {float(tf.reduce_max(image)):.3f} |", CLASS_NAMES[int(label)])

# %% [markdown]
# **3. `cache`** keeps the first pass's results in memory for later passes; it goes after the
# fixed work and before anything random, or every epoch would replay the first one's choices.
# **4. `shuffle`** draws at random from a buffer (as large as the dataset: a full shuffle); with
# `reshuffle_each_iteration=True` each pass, each epoch, gets a new order, fixed by the `seed`.

# %%
ds = ds.cache().shuffle(len(x_train), seed=cfg.seed, reshuffle_each_iteration=True)

# %% [markdown]
# **5. Augment.** A model that sees each image in slightly different forms learns the garment,
# not its exact position. Here: shift by up to 2 pixels (a random 28 × 28 crop of the image
# padded with zeros, the background) and mirror left-right half the time. **Stateless** random
# ops make each choice a pure function of a seed, a pair of integers: same seed, same choice,
# in any process. Top row, the originals; below, two augmentations of each:

# %%
def shift_and_flip(image, seed):
    """Shift by up to 2 pixels and mirror half the time; the choices depend only on `seed`."""
    padded = tf.pad(image, [[2, 2], [2, 2], [0, 0]])
    image = tf.image.stateless_random_crop(padded, [28, 28, 1], seed=seed)
    return tf.image.stateless_random_flip_left_right(image, seed=seed + 1)


originals = [scale(x_train[i], 0)[0] for i in range(8)]
rows = [shift_and_flip(image, tf.constant([row, i], tf.int64))
        for row in (1, 2) for i, image in enumerate(originals)]
plots.show_images(np.stack(originals + rows), np.tile(y_train[:8], 3), ncols=8)

# %% [markdown]
# In the pipeline an image's seed is (our seed, its position in the epoch); the shuffle moves
# every image each epoch, so each changes differently every time. Test images stay as they are.

# %%
def augment(position, example):
    image, label = example
    return shift_and_flip(image, tf.stack([tf.constant(cfg.seed, tf.int64), position])), label


ds = ds.enumerate().map(augment, num_parallel_calls=tf.data.AUTOTUNE)

# %% [markdown]
# **6. `batch`** groups elements (the last batch is smaller, so the batch axis is `None`);
# **`prefetch`** prepares the next batches while the model trains on the current one. Nothing
# has run yet: tf.data counts the batches without making them.

# %%
batch_size = cfg.pick(class_=128, full=512)
ds = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
print(int(ds.cardinality()), "batches per epoch; the last holds", len(x_train) % batch_size,
      "images |", ds.element_spec)

# %% [markdown]
# `helpers.data.make_dataset` makes the same steps with one change that matters once a run
# takes hours. `shuffle` starts its series of orders over in
# every new Python process: a run restarted after a crash in its fifth epoch would see the
# first one's order. `make_dataset` counts epochs from 0: it computes epoch *k*'s order with
# a stateless shuffle seeded by (seed, *k*), seeds each image's augmentation by (seed, *k*,
# position), and takes `first_epoch`; `first_epoch=2` starts at the third:

# %%
def first_labels(dataset):
    """The first 8 labels of a new pass over `dataset` (each pass is the next epoch)."""
    return next(iter(dataset))[1].numpy()[:8]


run = make_dataset(x_train, y_train, batch_size, training=True, seed=cfg.seed)
epochs_seen = [first_labels(run) for _ in range(3)]
print("\n".join(f"epoch {k}: first labels {labels}" for k, labels in enumerate(epochs_seen, 1)))
restarted = first_labels(make_dataset(x_train, y_train, batch_size, training=True,
                                      seed=cfg.seed, first_epoch=2))
print("a new dataset with first_epoch=2, first pass:", restarted)
assert np.array_equal(restarted, epochs_seen[2])

# %% [markdown]
# ### What deterministic mode changes
#
# `helpers.setup()` turned on op determinism (`tf.config.experimental.enable_op_determinism()`)
# so that a run gives the same numbers every time. Its documentation ("Determinism and
# tf.data") says what that does to a pipeline: elements come out in a fixed order; a `map`
# whose function has *stateful* ops (with state kept between calls, such as a `tf.Variable`)
# runs one element at a time; and if any pipeline function has such ops (legacy random ops
# such as `tf.random.normal` excepted), `prefetch` is off and every parallel step serial.
#
# Our augmentation is stateless: its `map` stays parallel. `make_dataset` counts epochs in a
# `tf.Variable`, but TensorFlow rewrites only the outer pipeline (turning off the `prefetch`
# after the counter); each epoch's `map` and `prefetch` are built inside its `flat_map`, out
# of reach (`TF_CPP_VMODULE=make_deterministic=2` logs the rewritten nodes: just that one).
# Keras's random preprocessing layers (`RandomFlip`, ...) keep their state in a variable:
# mapped over a dataset, they would make it all serial. What does the parallel `map` buy? Time
# an epoch of `make_dataset`'s training pipeline, as it is and with tf.data on one thread:

# %% tags=["nbval-ignore-output"]
one_thread = tf.data.Options()
one_thread.threading.private_threadpool_size = 1
seconds, epoch_1 = {}, {}
for name, options in (("parallel", tf.data.Options()), ("one thread", one_thread)):
    dataset = make_dataset(x_train[:4000], y_train[:4000], batch_size, training=True,
                           augment=True, seed=cfg.seed).with_options(options)
    epoch_1[name] = np.concatenate([images for images, _ in dataset])  # also warms up
    for _ in range(2):  # epochs 2 and 3: the same work on new random choices; keep the faster
        start = time.perf_counter()
        batches = sum(1 for _ in dataset)
        seconds[name] = min(seconds.get(name, 1e9), time.perf_counter() - start)
print(f"one epoch of 4,000 images: {seconds['parallel']:.2f} s in parallel, "
      f"{seconds['one thread']:.2f} s on one thread ({1000 * seconds['parallel'] / batches:.0f} ms a batch)")

# %%
assert np.array_equal(*epoch_1.values()) and max(seconds.values()) < 30
print(f"both made the same {len(epoch_1['parallel']):,} images in the same order, an epoch in under 30 s")

# %% [markdown]
# Parallelism pays only where cores are free: on a busy machine it can lose. Training labels
# come **one-hot** (ten numbers, 1 at the class): the recipe below softens them (*label
# smoothing*), which needs one-hot labels.

# %%
train_ds = make_dataset(x_train, y_train, batch_size, training=True, augment=True,
                        seed=cfg.seed, one_hot=True)
val_ds = make_dataset(x_val, y_val, 500, one_hot=True)  # in order, batches of 500
test_ds = make_dataset(x_test, y_test, 500, one_hot=True)
steps_per_epoch = int(train_ds.cardinality())
print(steps_per_epoch, "steps per epoch | labels", train_ds.element_spec[1])

# %% [markdown]
# ## The BatchNormalization trap
#
# [Notebook 05](05_resnet.ipynb) ran into this trap; here we take it apart. A quick run: the
# article's network (`helpers.models.ResNet`, article defaults), Adam, one epoch — what most
# people try first. (`shuffle=False`: `fit` cannot shuffle a dataset and warns at its default
# `True`; ours shuffles itself.)

# %%
seed_everything(cfg.seed)
quick = ResNet([2, 2, 2], num_classes=10)  # the article's model, default BatchNormalization
quick.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])

# %% tags=["nbval-ignore-output"]
quick_train_acc = quick.fit(train_ds, epochs=1, shuffle=False, verbose=2).history["accuracy"][-1]
_, quick_val_acc = quick.evaluate(val_ds, verbose=0)
print(f"training accuracy {quick_train_acc:.3f} | validation accuracy {quick_val_acc:.3f}")

# %%
assert quick_train_acc > 0.5 and quick_val_acc < 0.35
print(f"training accuracy about {round(quick_train_acc, 1) * 100:.0f} % (bound: over 50 %); validation "
      "accuracy below 35 %, where guessing scores 10 %")

# %% [markdown]
# The model learned during the epoch, yet on unseen images it does no better than a guess.
# The cause is **BatchNormalization**, which behaves differently in training and inference:
#
# - in **training** (`training=True`, what `fit` uses) it normalises each channel with the
#   mean and variance *of the current batch*;
# - in **inference** (`training=False`: `evaluate`, `predict`) it uses **moving statistics**,
#   running averages updated at every training step,
#   `moving = momentum × moving + (1 − momentum) × batch_statistic`, starting from mean 0 and
#   variance 1.
#
# Keras's default `momentum=0.99` forgets those made-up starting values slowly: after one epoch
# they still carry almost half the weight, so at inference each of the 15 layers normalises
# with wrong numbers and the signal is lost. (PyTorch's `momentum=0.1` is Keras's 0.9.)

# %%
for momentum in (0.99, 0.9):
    print(f"momentum {momentum}: after {steps_per_epoch} steps the starting values still weigh "
          f"{momentum ** steps_per_epoch:.4f}")

# %% [markdown]
# The weights are fine; only the statistics are stale. Proof: score the same weights with each
# validation batch's own statistics (`training=True`; this nudges the moving statistics, which
# Fix 1 replaces anyway).

# %% tags=["nbval-ignore-output"]
batch_stats_acc = sum(
    int(np.sum(np.argmax(quick(images, training=True), axis=1) == np.argmax(labels, axis=1)))
    for images, labels in val_ds) / len(y_val)
print(f"validation accuracy with batch statistics {batch_stats_acc:.3f}")

# %%
assert batch_stats_acc > quick_val_acc + 0.3
print(f"with batch statistics about {about(batch_stats_acc)} %: over 30 points above the moving statistics' score")

# %% [markdown]
# ### Fix 1: re-estimate the statistics
#
# Run training batches through the model in training mode — this updates the statistics but,
# with no optimiser step, not the weights — with each layer's `momentum` at `k / (k + 1)` for
# batch `k` (from 0): each moving average becomes the plain average of the batches seen.
# `batchnorm_layers` finds the layers, however deeply nested.

# %% tags=["nbval-ignore-output"]
bn_layers = batchnorm_layers(quick)
plain = make_dataset(x_train, y_train, batch_size, training=True, seed=cfg.seed)  # no augmentation
for k, (images, _) in enumerate(plain.take(20)):
    for layer in bn_layers:
        layer.momentum = k / (k + 1)  # k=0 replaces the stale values, then a running mean
    quick(images, training=True)
for layer in bn_layers:
    layer.momentum = 0.99  # back to the default
_, fixed_val_acc = quick.evaluate(val_ds, verbose=0)
print(f"{len(bn_layers)} layers re-estimated from {20 * batch_size} images; validation accuracy {fixed_val_acc:.3f}")

# %%
assert fixed_val_acc > 0.5 > 0.35 > quick_val_acc
print(f"after re-estimating: validation accuracy about {about(fixed_val_acc)} %, above 50 %")

# %% [markdown]
# ### Fix 2: let the statistics keep up
#
# Train with momentum `0.9`: the moving statistics then follow the last few dozen batches.
# (After a few thousand steps even 0.99 catches up: the trap bites short runs.)
#
# ## A practitioner's recipe
#
# This recipe takes the network to 94 % on the full data in 30 epochs
# (`bench/time_to_accuracy.py`: 94.0 % after 27):
#
# - **He initialisation** (`kernel_initializer="he_normal"`), met in notebook 05;
# - **BatchNormalization momentum 0.9**, as an argument, `ResNet(..., bn_momentum=0.9)`: unlike
#   the attribute set in Fix 1, it is part of the model's config, which a saved model keeps;
# - **SGD with Nesterov momentum 0.9** (each step adds 0.9 × the previous step; Nesterov's
#   variant looks one step ahead) and **weight decay** (each step also subtracts learning
#   rate × 5e-3 × each weight, a brake on large weights);
# - **a one-cycle schedule**: up to a high peak over the first 30 % of the steps, then a
#   smooth decay to almost zero (`CosineDecay` with a warm-up);
# - **label smoothing 0.1**: aim at 0.91 for the right class and 0.01 for the others instead of
#   1 and 0, so the model is not pushed towards infinite confidence.
#
# `fused_batchnorm=True` changes speed, not maths: Keras 3 builds BatchNormalization from
# separate operations (about half of this network's training step on a CPU); `helpers.models`
# trains it with TensorFlow's *fused kernel*, one routine for the whole layer: about 1.4 times
# as fast, same results (README, *Performance*).

# %%
epochs = cfg.pick(class_=6, full=30)
peak_lr = cfg.pick(class_=0.1, full=0.2)
total_steps = epochs * steps_per_epoch
warmup_steps = int(0.3 * total_steps)
schedule = keras.optimizers.schedules.CosineDecay(
    initial_learning_rate=peak_lr / 25, warmup_target=peak_lr, warmup_steps=warmup_steps,
    decay_steps=total_steps - warmup_steps, alpha=1e-3)
lrs = [float(schedule(step)) for step in range(total_steps)]
print(f"{total_steps} steps; learning rate {lrs[0]:.4f} at the start, {max(lrs):.4f} at step "
      f"{int(np.argmax(lrs))}, {lrs[-1]:.6f} at the end")
plt.figure(figsize=(6, 2))
plt.plot(np.arange(total_steps) / steps_per_epoch, lrs)  # x: epochs
plt.show()

# %% [markdown]
# One function builds and compiles the model, so a restarted program can rebuild it:

# %%
def build_resnet():
    """The article's ResNet, He-initialised, BN momentum 0.9, compiled with the recipe."""
    model = ResNet([2, 2, 2], num_classes=10, kernel_initializer="he_normal",
                   bn_momentum=0.9, fused_batchnorm=True)
    model.build((None, 28, 28, 1))
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True,
                                       weight_decay=5e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=["accuracy"])
    return model


seed_everything(cfg.seed)
model = build_resnet()
print(model.count_params(), "parameters | momentum", {bn.momentum for bn in batchnorm_layers(model)})

# %% [markdown]
# ## Callbacks: save, stop, log, survive
#
# A **callback** is an object whose methods `fit` calls at fixed moments (start and end of
# training, of each epoch, of each batch). Keras ships those a long run needs:
#
# - `ModelCheckpoint` saves the model (`.keras`: architecture, weights, optimizer) every epoch,
#   or with `save_best_only=True` only when the monitored score improves;
# - `EarlyStopping` stops after `patience` epochs without improvement and, with
#   `restore_best_weights=True`, puts the best epoch's weights back at the end;
# - `TensorBoard` writes logs for its charts; `CSVLogger` appends each epoch's numbers to a CSV
#   file;
# - `BackupAndRestore` saves the weights (the optimizer's state with them) and the next epoch's
#   number after every epoch (or every `save_freq` batches); the next `fit` with the same
#   folder loads them and starts at that epoch. A finished `fit` deletes them.
#
# The schedule is part of the optimizer: no callback. The callbacks watch the validation loss
# (in `full`, the training loss, with the whole run as patience: the test set must not pick the
# epoch, and one-cycle scores jump about until the rate decays).

# %%
run_dir = BUILD / "06_run"  # cleared: a new run
shutil.rmtree(run_dir, ignore_errors=True)
run_dir.mkdir(parents=True)
backup_dir, csv_path = run_dir / "backup", run_dir / "log.csv"
monitor = cfg.pick(class_="val_loss", full="loss")


def make_callbacks():
    return [
        keras.callbacks.BackupAndRestore(backup_dir=str(backup_dir)),  # first: it restores
        keras.callbacks.CSVLogger(str(csv_path), append=True),
        keras.callbacks.ModelCheckpoint(str(run_dir / "best.keras"), monitor=monitor,
                                        save_best_only=True),
        keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.pick(class_=3, full=epochs),
                                      restore_best_weights=True),
        keras.callbacks.TensorBoard(log_dir=str(run_dir / "logs")),
    ]


# %% [markdown]
# ### An interrupted `fit`
#
# Long runs die. We simulate that with a callback that raises an error at the end of epoch 2,
# after `BackupAndRestore`, first in the list, has written its backup.

# %%
class PowerCut(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == 2:
            raise RuntimeError("power cut at the end of epoch 2")


try:
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, shuffle=False, verbose=0,
              callbacks=make_callbacks() + [PowerCut()])
except RuntimeError as error:
    print("fit stopped:", error)
print("in the backup folder:", sorted(p.name for p in backup_dir.iterdir()))

# %% [markdown]
# Restart as a new program would: a fresh model (new weights, new optimizer), the same `fit`.
# `BackupAndRestore` loads the backup before the first step and has `fit` start at epoch 3.

# %% tags=["nbval-ignore-output"]
model = build_resnet()  # fresh weights: as if the program had restarted
history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, shuffle=False, verbose=2,
                    callbacks=make_callbacks())

# %%
steps_done = int(model.optimizer.iterations)
assert history.epoch == list(range(2, epochs)) and steps_done == total_steps and not backup_dir.exists()
print(f"the restarted fit ran epochs 3 to {epochs}; its optimizer ended at step {steps_done} = "
      f"{epochs} x {steps_per_epoch}, the 2 epochs before the cut included; backup deleted")

# %% [markdown]
# The step counter matters: the schedule reads it, so the resumed run goes on along the
# one-cycle curve. The backup does not hold the other callbacks' memory: the new
# `ModelCheckpoint` and `EarlyStopping` know only the epochs since the restart, so a better
# score from before the crash can be overwritten. `history` has only the resumed epochs;
# `CSVLogger` kept them all:

# %%
table = np.genfromtxt(csv_path, delimiter=",", names=True)
log = {name: table[name] for name in table.dtype.names if name != "epoch"}
assert list(table["epoch"]) == list(range(epochs))
print(f"columns {sorted(log)}; epochs {[int(e) + 1 for e in table['epoch']]}, each once, in order")

# %% [markdown]
# ### A real crash: the process killed
#
# That error stopped `fit` inside this notebook's process, so the dataset and its epoch count
# survived. A real crash kills the process; a new one has only what is on disk: from
# `BackupAndRestore`, the weights, the optimizer's state and the epoch number. For a resumed
# run to end *exactly* like one never interrupted, three more things must survive:
#
# 1. **The data.** Epoch *k* (from 0) must see the same order and augmentation as before:
#    `make_dataset(..., first_epoch=k)`.
# 2. **The position inside an epoch.** With `save_freq=N` batches, Keras 3.15 writes the batch
#    number into its backup but resumes at the *start* of the epoch (`_load_model` in
#    `keras/src/callbacks/backup_and_restore.py`): that epoch's first batches are trained on
#    twice.
# 3. **The running sums** behind the epoch's logged loss and accuracy, and the history.
#
# `helpers.resume.fit_resumable` saves all of that every `save_freq` steps (the new backup is
# complete before it replaces the old, so a kill during a save is harmless) and on restart
# finishes the interrupted epoch first. `python -m helpers.resume` trains a small conv net this
# way in a fresh process (BatchNormalization, Adam, augmentation; 3 epochs of 8 steps, a backup
# every 3). We run it once undisturbed, then kill a second run with `SIGKILL` (which a process
# cannot catch) at step 11, in epoch 2, and restart it.

# %%
from helpers.resume import read_backup, run_small_model

demo = BUILD / "06_resume"
shutil.rmtree(demo, ignore_errors=True)
run_small_model(demo / "backup_a", demo / "uninterrupted.npz")
killed_after = run_small_model(demo / "backup_b", demo / "resumed.npz", kill_at_step=11)
assert read_backup(demo / "backup_b") is not None
print(f"killed after step {killed_after}, with a backup on disk")
finished_at = run_small_model(demo / "backup_b", demo / "resumed.npz")
print(f"restarted: finished at step {finished_at}")

# %% [markdown]
# Both runs saved every variable — weights, BatchNormalization statistics, the optimizer's
# state (its step counter and Adam's two moving averages per weight) — and their history.
# Bit for bit:

# %%
uninterrupted, resumed = np.load(demo / "uninterrupted.npz"), np.load(demo / "resumed.npz")
differ = [name for name in uninterrupted.files
          if not np.array_equal(uninterrupted[name], resumed[name])]
losses = {name: json.loads((demo / f"{name}.json").read_text())["loss"]
          for name in ("uninterrupted", "resumed")}
assert differ == [] and losses["uninterrupted"] == losses["resumed"]
print(f"{len(uninterrupted.files)} variables compared, {len(differ)} differ")
for name, values in losses.items():
    print(f"loss per epoch, {name}:", [round(v, 4) for v in values])

# %% [markdown]
# ## Learning curves

# %%
plots.plot_history(log)

# %% [markdown]
# Training accuracy averages each epoch on augmented images; validation accuracy is measured
# on clean images at the epoch's end. Label smoothing keeps both losses above about 0.5:
# compare trends, not values.
#
# ## What the callbacks left behind
#
# TensorBoard logs (`tensorboard --logdir notebooks/build/06_run/logs` in a terminal):

# %%
print("TensorBoard runs:", sorted({p.parent.name for p in run_dir.rglob("events.out.tfevents.*")}))

# %% [markdown]
# `ModelCheckpoint` kept the epoch with the lowest monitored loss and `EarlyStopping` put that
# epoch's weights back, so file and model must agree ([07](07_saving.ipynb) loads such files).

# %%
best = keras.models.load_model(run_dir / "best.keras")
gap = np.max(np.abs(best.predict(val_ds, verbose=0) - model.predict(val_ds, verbose=0)))
assert gap == 0
print(f"{type(best).__name__} from the file: largest difference from the model's predictions {gap}")

# %% [markdown]
# ## Results on the test set
#
# The test images have played no part so far:

# %% tags=["nbval-ignore-output"]
_, test_acc = model.evaluate(test_ds, verbose=0)
predicted = np.argmax(model.predict(test_ds, verbose=0), axis=1)
matrix = plots.confusion_matrix(y_test, predicted)
per_class = matrix.diagonal() / matrix.sum(axis=1)
print(f"test accuracy {test_acc:.4f}; per-class accuracy, hardest first:")
for index in np.argsort(per_class):
    print(f"  {CLASS_NAMES[index]:<12} {per_class[index]:.3f}")

# %%
floor = cfg.pick(class_=0.85, full=0.94)
hardest = CLASS_NAMES[int(np.argmin(per_class))]
assert test_acc > floor and hardest in {"T-shirt/top", "Pullover", "Coat", "Shirt"}
print(f"test accuracy over the {floor * 100:.0f} % this lesson expects (figure above); the hardest "
      f"class, {hardest}, is a top (T-shirt, pullover, coat or shirt)")

# %% [markdown]
# Where the mistakes are (rows: the truth; columns: the prediction), then the mistakes
# themselves, titled *prediction (truth)*: at 28 × 28 pixels, shirt or T-shirt?

# %%
plots.plot_confusion_matrix(y_test, predicted)

# %%
plots.show_misclassified(x_test, y_test, predicted, n=16)

# %% [markdown]
# ## How much does the ResNet buy?
#
# The MLP of [notebook 01](01_sequential.ipynb) — `Flatten`, `Dense(128, relu)`,
# `Dense(10, softmax)` — trained as there (Adam, batch 64) on the same images:

# %% tags=["nbval-ignore-output"]
seed_everything(cfg.seed)
mlp = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                        keras.layers.Dense(128, activation="relu"),
                        keras.layers.Dense(10, activation="softmax")])
mlp.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
mlp.fit(x_train / 255.0, y_train, batch_size=64, epochs=cfg.pick(class_=8, full=30), verbose=0)
_, mlp_acc = mlp.evaluate(x_test / 255.0, y_test, verbose=0)
print(f"test accuracy: MLP {mlp_acc:.4f}, ResNet {test_acc:.4f}; the ResNet makes "
      f"{100 * (1 - (1 - test_acc) / (1 - mlp_acc)):.0f} % fewer mistakes")

# %%
assert test_acc > mlp_acc + 0.02
print(f"the ResNet leads by about {about(test_acc - mlp_acc)} points (bound: over 2), with "
      f"{model.count_params() / mlp.count_params():.1f} times the MLP's parameters")

# %% [markdown]
# Convolutions ([notebook 04](04_resnet_block.ipynb)) share weights across positions and see
# neighbourhoods of pixels; the MLP sees 784 unrelated numbers. On the full data the gap grows:
# 94.3 % for the ResNet, 87.7 % for the MLP (README, *Performance*).
#
# ## Recap
#
# - A `tf.data` pipeline: `map` (scale) → `cache` → `shuffle` → `map` (augment) → `batch` →
#   `prefetch`. `make_dataset` makes each epoch's order and augmentation a pure function of
#   (seed, epoch), with stateless random ops.
# - Op determinism keeps tf.data's output in order; stateful functions cost parallelism and
#   `prefetch`.
# - **BatchNormalization uses batch statistics in training, moving statistics in inference.**
#   With momentum 0.99 a short run leaves them stale: chance at test time. Re-estimate them,
#   or train with momentum 0.9.
# - The recipe: He initialisation, SGD + Nesterov, one-cycle schedule, label smoothing, weight
#   decay; callbacks to save, stop and log.
# - `BackupAndRestore` restarts a crashed `fit` at the start of an epoch, with the weights and
#   optimizer state of its last backup. A killed run resumes bit for bit only if the data
#   order, the position in the epoch and the metric sums survive too (`helpers.resume`).
# - Read results per class, in the confusion matrix and in the mistakes.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then the checker cell below it,
# which tries your code on a tiny model and answers ✅ or ❌ with a hint. Worked answers:
# [solutions/06_training_solutions.ipynb](solutions/06_training_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): stop at a target accuracy
#
# Write a callback `StopAtAccuracy(target)` that stops `fit` at the end of the first epoch
# whose `val_accuracy` is at least `target`, and stores that epoch, counting from 1, in
# `self.reached_epoch`. Without validation data (no `val_accuracy` in the logs) it does
# nothing. How many epochs does the MLP above need to reach 80 % on the validation images?

# %%
# EXERCISE 1
class StopAtAccuracy(keras.callbacks.Callback):

    def __init__(self, target):
        super().__init__()
        self.target = target
        self.reached_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        pass  # your code here


# %%
checks.stop_at_accuracy(StopAtAccuracy)

# %% [markdown]
# ### Exercise 2 (practice): re-estimating, as a reusable function
#
# Turn Fix 1 into `reestimate_batchnorm(model, dataset, num_batches=20)`: afterwards every
# BatchNormalization layer of `model` (nested ones too) holds the plain average of the batch
# statistics of the first `num_batches` batches of `dataset` (a dataset of `(images, labels)`
# batches), the weights are unchanged, and every layer has its *own* momentum back — not
# always 0.99, as in Fix 1. Then try it on the quick model with 5, 20 and 50 batches: how many
# does it take?

# %%
# EXERCISE 2
def reestimate_batchnorm(model, dataset, num_batches=20):
    pass  # your code here


# %%
checks.reestimate_batchnorm(reestimate_batchnorm)

# %% [markdown]
# ### Exercise 3 (stretch): your own one-cycle schedule
#
# The original one-cycle schedule is a triangle. Write `OneCycle(peak_lr, total_steps,
# warmup_fraction=0.3)`, a `keras.optimizers.schedules.LearningRateSchedule`: `peak_lr / 25`
# at step 0, rising linearly to `peak_lr` at step `int(warmup_fraction * total_steps)`, then
# falling linearly to 0 at `total_steps`, and 0 after. The optimizer calls it with its step
# counter, a tensor, inside compiled code: use `keras.ops`, not a Python `if`. Give it a
# `get_config` (why does `ModelCheckpoint` need one?). Does the shape of the decay matter?

# %%
# EXERCISE 3
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):

    def __init__(self, peak_lr, total_steps, warmup_fraction=0.3):
        self.peak_lr = peak_lr
        self.total_steps = total_steps
        self.warmup_fraction = warmup_fraction

    def __call__(self, step):
        return self.peak_lr  # your code here: warm up, then decay


# %%
checks.one_cycle(OneCycle)

# %% [markdown]
# **Next:** [07 · Saving and serving](07_saving.ipynb) — the `.keras` file in a fresh process,
# registering custom classes, weights-only files and exporting for serving.
