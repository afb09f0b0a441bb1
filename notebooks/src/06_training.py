# %% [markdown]
# # 06 · Training the ResNet
#
# [05 · The ResNet](05_resnet.ipynb) built the article's `ResNet([2, 2, 2], 10)`, proved its
# summary and its Functional twin right, and trained it for a moment. This notebook trains it
# the way a practitioner would: a fast input pipeline, augmentation, a proper optimiser recipe,
# callbacks that save, stop, log and survive a crash — and an honest look at the results. The
# BatchNormalization trap that notebook 05 ran into gets a closer look and a proper fix. Next, [07 · Saving and serving](07_saving.ipynb) takes a trained model out of
# the notebook.
#
# **What you will learn**
#
# - how to build an input pipeline with `tf.data` — cache, shuffle, batch, prefetch — and why
#   each step is there;
# - how to augment images on the fly with Keras preprocessing layers;
# - the BatchNormalization trap: high training accuracy, chance-level test accuracy — what
#   moving statistics are, and two ways to fix them;
# - a practitioner's recipe (He initialisation, SGD + Nesterov, a one-cycle learning-rate
#   schedule, label smoothing, weight decay) and the callbacks around it: `ModelCheckpoint`,
#   `EarlyStopping`, `TensorBoard`, `CSVLogger` and `BackupAndRestore`, which resumes an
#   interrupted `fit` with nothing lost;
# - how to read the results: learning curves, a confusion matrix, per-class accuracy, the most
#   confused pairs of classes and the images the model gets wrong — and how much the ResNet
#   beats the MLP of [notebook 01](01_sequential.ipynb).
#
# In the default `class` profile everything runs on the 12,000-image sample in about two to
# three minutes on a 2-core laptop CPU (shared machines are slower). The `full` profile
# (`KERAS_MODELS_PROFILE=full`) trains on all 60,000 images for 30 epochs and reaches **94 % on
# the official 10,000 test images**: that is for a GPU, or a patient CPU (`bench/time_to_accuracy.py`,
# the same recipe, measured 94.0 % after 27 epochs and 94.4 % after 30, in about 30 minutes on
# a 2-core CPU).

# %% [markdown]
# ## Set-up

# %%
import helpers

cfg = helpers.setup()

# %%
import csv
import math
import shutil
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf  # this lesson is about tf.data, TensorFlow's input pipelines

from helpers import plots
from helpers.data import CLASS_NAMES, load_fashion_mnist, make_dataset
from helpers.models import ResNet
from helpers.runtime import seed_everything

BUILD = Path("build")  # notebooks/build/ (git-ignored): checkpoints, logs, backups
BUILD.mkdir(exist_ok=True)

# %% [markdown]
# ## The data, and a validation split
#
# Callbacks such as `EarlyStopping` and `ModelCheckpoint` make decisions from a validation
# score, so the validation images must not be the test images: we keep the last 2,000
# training images aside and touch the test set only at the very end. (The `full` profile
# follows the reference recipe and trains on all 60,000 images; there the schedule fixes the
# number of epochs in advance and the test set is only *watched* during training.)

# %%
(x_train_all, y_train_all), (x_test, y_test) = load_fashion_mnist()
n_val = cfg.pick(2_000, 0)
if n_val:
    x_train, y_train = x_train_all[:-n_val], y_train_all[:-n_val]
    x_val, y_val = x_train_all[-n_val:], y_train_all[-n_val:]
else:  # full profile: all 60,000 for training, the test set watched as validation
    x_train, y_train, x_val, y_val = x_train_all, y_train_all, x_test, y_test
print("training:", x_train.shape, x_train.dtype, "| validation:", x_val.shape,
      "| test:", x_test.shape)

# %% [markdown]
# ## An input pipeline with `tf.data`, step by step
#
# Notebook 01 handed `fit` a NumPy array. That works, but the model then waits while Python
# slices out each batch, and there is no place for work that should differ every epoch, such
# as augmentation. A `tf.data.Dataset` is a pipeline of small steps that TensorFlow runs in
# its own threads, *while* the model trains on the previous batch. We build one step at a time.
#
# **1. A dataset of (image, label) pairs.** `from_tensor_slices` cuts the arrays along their
# first axis: one element per image.

# %%
ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
print(int(ds.cardinality()), "elements, each:", ds.element_spec)

# %% [markdown]
# **2. `map`: scale and shape.** The model wants float32 pixels in 0…1 and a channel axis
# (28 × 28 × 1). `map` applies a function to every element; `num_parallel_calls=AUTOTUNE`
# lets tf.data run it on several cores.

# %%
def scale(image, label):
    """uint8 (28, 28) -> float32 (28, 28, 1) in 0..1; the label as int32."""
    image = tf.cast(image, tf.float32)[..., tf.newaxis] / 255.0
    return image, tf.cast(label, tf.int32)


ds = ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
image, label = next(iter(ds))
print(image.shape, image.dtype.name, "| pixels from", float(tf.reduce_min(image)),
      "to", round(float(tf.reduce_max(image)), 3), "| label", int(label), CLASS_NAMES[int(label)])

# %% [markdown]
# **3. `cache`.** The first epoch runs the steps above and keeps their results in memory;
# later epochs read them from there. Cache *after* the deterministic work (scaling) and
# *before* anything random (shuffling, augmentation), or every epoch would replay the
# first epoch's random choices.

# %%
ds = ds.cache()
print(ds.element_spec)

# %% [markdown]
# **4. `shuffle`.** Training on the images in a fixed order lets the model learn the order;
# shuffling gives each batch a fair mix. `shuffle` keeps a buffer and draws from it at random:
# a buffer as large as the dataset gives a full shuffle. With `reshuffle_each_iteration=True`
# every epoch gets a new order, and the `seed` makes those orders the same on every run.
# Watch it on ten numbers:

# %%
toy = tf.data.Dataset.range(10).shuffle(10, seed=0, reshuffle_each_iteration=True)
print("epoch 1:", [int(i) for i in toy])
print("epoch 2:", [int(i) for i in toy])

# %%
ds = ds.shuffle(len(x_train), seed=cfg.seed, reshuffle_each_iteration=True)

# %% [markdown]
# **5. `batch`.** Group elements into batches; the last batch of an epoch is smaller, which
# is why the batch axis shows as `None`. Nothing has run yet: a dataset is a *recipe*, and
# tf.data knows how many batches it will make without making them.

# %%
batch_size = cfg.pick(128, 512)
ds = ds.batch(batch_size)
print(int(ds.cardinality()), "batches of", batch_size, "per epoch; the last one holds",
      len(x_train) - (int(ds.cardinality()) - 1) * batch_size, "images")
print(ds.element_spec)

# %% [markdown]
# The same five steps live in `helpers.data.make_dataset`, which later notebooks and `bench/`
# use. Same arguments, same seed: the same batches, in the same order — here for the first
# epoch (each new pass over a dataset is the next epoch, with the next shuffle).

# %%
same = make_dataset(x_train, y_train, batch_size, training=True, seed=cfg.seed)
identical = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                for a, b in zip(ds, same))
print("make_dataset yields the same batches:", identical)
assert identical

# %% [markdown]
# **6. Augmentation.** A model that sees each training image in slightly different forms
# learns what matters (the garment) rather than incidental details (its exact position).
# Two light changes suit Fashion-MNIST: shift the image by up to 2 pixels, filling the border
# with black — exactly a random 28 × 28 crop of the image padded by 2 pixels — and mirror it
# left-right half the time (a mirrored shoe is still a shoe). Keras preprocessing layers do
# both, on a whole batch at once, with a different random choice for every image:
# `interpolation="nearest"` keeps the shifts whole pixels.
#
# (Why not `keras.layers.RandomCrop`? On a batch it cuts the *same* window out of every
# image. Fine for large photos; here we want each image shifted its own way.)

# %%
augment = keras.Sequential([
    keras.layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant",
                                   interpolation="nearest", seed=cfg.seed),
    keras.layers.RandomFlip("horizontal", seed=cfg.seed + 1),
], name="augment")

examples = (x_train[:8, ..., np.newaxis] / 255.0).astype("float32")
rows = [examples] + [keras.ops.convert_to_numpy(augment(examples, training=True)) for _ in range(2)]
print("augmented batch:", rows[1].shape, rows[1].dtype, "| labels unchanged")

# %% [markdown]
# Top row: the originals. The two rows below: two random augmentations of each.

# %%
plots.show_images(np.concatenate(rows), np.tile(y_train[:8], 3), ncols=8)

# %% [markdown]
# Augmentation belongs *after* `cache` and `shuffle` (new choices every epoch) and only in the
# training pipeline: validation and test images are never changed. Mapping it over batches
# runs it once per batch rather than once per image.
#
# **7. `prefetch`.** While the model trains on batch *n*, tf.data prepares batch *n + 1*.
# `AUTOTUNE` picks how many to prepare ahead.

# %%
train_by_hand = ds.map(lambda images, labels: (augment(images, training=True), labels))
train_by_hand = train_by_hand.prefetch(tf.data.AUTOTUNE)
print(train_by_hand.element_spec)

# %% [markdown]
# That is the whole pipeline: `from_tensor_slices → map(scale) → cache → shuffle → batch →
# map(augment) → prefetch`. From here on we let `make_dataset` build it, with
# `augment=True` for training. We also ask for **one-hot** labels (`one_hot=True`): the
# label-smoothing loss of our recipe, below, needs them. Validation and test data get the
# plain pipeline, in order, in batches of 500.

# %%
train_ds = make_dataset(x_train, y_train, batch_size, training=True, augment=True,
                        seed=cfg.seed, one_hot=True)
val_ds = make_dataset(x_val, y_val, 500, one_hot=True)
test_ds = make_dataset(x_test, y_test, 500, one_hot=True)
images, labels = next(iter(train_ds))
print("images", images.shape, images.dtype.name, "| labels", labels.shape, labels.dtype.name)
print("first label", labels[0].numpy(), "=", CLASS_NAMES[int(np.argmax(labels[0]))])

# %% [markdown]
# ## The BatchNormalization trap
#
# Notebook 05 met this trap in its first training run; here we look at it closely, on a
# larger sample. A first, quick run: the article's network (`helpers.models.ResNet`, its
# reference version, with the article's defaults), Adam with its defaults, one epoch — what
# most people try first.

# %%
seed_everything(cfg.seed)
quick = ResNet([2, 2, 2], num_classes=10)  # the article's model, default BatchNormalization
quick.compile(optimizer="adam",
              loss=keras.losses.CategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
steps_per_epoch = math.ceil(len(x_train) / batch_size)
print("one epoch =", steps_per_epoch, "training steps")

# %% [markdown]
# `fit` takes the dataset as it is. Its `shuffle` argument only shuffles NumPy arrays — our
# pipeline shuffles itself — so we pass `shuffle=False` to say so (Keras warns otherwise).

# %%
# NBVAL_IGNORE_OUTPUT
quick_history = quick.fit(train_ds, epochs=1, shuffle=False, verbose=2)
quick_train_acc = quick_history.history["accuracy"][-1]
_, quick_val_acc = quick.evaluate(val_ds, verbose=0)
print(f"training accuracy {quick_train_acc:.3f} | validation accuracy {quick_val_acc:.3f}")

# %%
assert quick_train_acc > 0.5 and quick_val_acc < 0.35
print("training accuracy above 50%:", quick_train_acc > 0.5)
print("validation accuracy below 35% (chance is 10%):", quick_val_acc < 0.35)

# %% [markdown]
# The model learned something during the epoch — yet on images it has not seen it is no
# better than a guess. Overfitting cannot do that in one epoch. The cause is
# **BatchNormalization**, which behaves differently in training and in inference:
#
# - in **training** (`training=True`, what `fit` uses) it normalises each channel with the
#   mean and variance *of the current batch*;
# - in **inference** (`training=False`, what `evaluate` and `predict` use) there is no batch to
#   trust, so it uses **moving statistics**: running averages updated after every training step,
#   `moving = momentum × moving + (1 − momentum) × batch_statistic`. They start at mean 0 and
#   variance 1.
#
# Keras's default `momentum=0.99` forgets the starting values slowly: after one epoch almost
# half of each moving variance is still the made-up starting value 1. And the real variances
# are far smaller — with the article's small initial weights (`RandomNormal(stddev=0.05)`) the
# first BatchNormalization layer sees inputs with a variance of about 0.002 — so at inference
# every layer divides by much too large a number, 15 layers one after the other, and the
# signal is lost. (PyTorch's default `momentum=0.1` is Keras's 0.9: PyTorch's number is the
# weight of the new batch, Keras's the weight of the old average.)

# %%
for momentum in (0.99, 0.9):
    print(f"momentum {momentum}: after {steps_per_epoch} steps the starting values still weigh "
          f"{momentum ** steps_per_epoch:.4f}")

# %% [markdown]
# The weights are fine; only the statistics are stale. Proof: evaluate the same weights with
# batch statistics (`training=True` on each validation batch). That call also *updates* the
# moving statistics, so we save the weights first and put them back after.

# %%
def accuracy_with_batch_statistics(model, dataset):
    saved = model.get_weights()
    right = total = 0
    for images, labels in dataset:
        predicted = np.argmax(model(images, training=True), axis=1)
        right += int(np.sum(predicted == np.argmax(labels, axis=1)))
        total += len(predicted)
    model.set_weights(saved)
    return right / total


# %%
# NBVAL_IGNORE_OUTPUT
batch_stats_acc = accuracy_with_batch_statistics(quick, val_ds)
print(f"validation accuracy with batch statistics {batch_stats_acc:.3f} "
      f"(with moving statistics {quick_val_acc:.3f})")

# %%
assert batch_stats_acc > quick_val_acc + 0.3
print("batch statistics beat moving statistics by over 30 points:",
      batch_stats_acc > quick_val_acc + 0.3)

# %% [markdown]
# ### Fix 1: re-estimate the statistics
#
# Without training any further we can recompute the moving statistics: run training batches
# through the model in training mode — which updates the statistics but, with no optimiser
# step, not the weights — with `momentum` set so that each moving average becomes the plain
# average of the batches seen (momentum k/(k+1) for the k-th batch). The layers are Python
# objects whose `momentum` attribute we can set; this helper finds them wherever they are nested.

# %%
def batchnorm_layers(model):
    """Every BatchNormalization layer inside a model, however deeply nested."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(batchnorm_layers(layer))
    return found


bn_layers = batchnorm_layers(quick)
print(len(bn_layers), "BatchNormalization layers, momentum", {layer.momentum for layer in bn_layers})

# %%
plain_train_ds = make_dataset(x_train, y_train, batch_size, training=True, seed=cfg.seed)
for k, (images, _) in enumerate(plain_train_ds.take(20)):
    for layer in bn_layers:
        layer.momentum = k / (k + 1)  # k=0 takes the first batch, then a running mean
    quick(images, training=True)
for layer in bn_layers:
    layer.momentum = 0.99  # back to the default
print("re-estimated the moving statistics from", 20 * batch_size, "training images")

# %%
# NBVAL_IGNORE_OUTPUT
_, fixed_val_acc = quick.evaluate(val_ds, verbose=0)
print(f"validation accuracy: {quick_val_acc:.3f} before, {fixed_val_acc:.3f} after re-estimating")

# %%
assert fixed_val_acc > 0.5 > 0.35 > quick_val_acc
print("after re-estimating: above 50%:", fixed_val_acc > 0.5)

# %% [markdown]
# ### Fix 2: let the statistics keep up
#
# Re-estimating rescues a finished model. For training, the simple fix is a smaller momentum,
# `0.9`, so the moving statistics follow the last few dozen batches — and that is what our
# recipe below uses. (Training for many more steps also fixes it: after a few thousand steps
# even 0.99 has caught up. That is why the trap bites short runs, like first experiments.)

# %% [markdown]
# ## A practitioner's recipe
#
# This recipe trains this exact network to 94 % on the full data in 30 epochs (94.4 % measured
# with this notebook's code on a 2-core CPU; a PyTorch twin on a GPU gets the same). Each
# ingredient is standard:
#
# - **He initialisation** (`kernel_initializer="he_normal"`): weights scaled to each layer's
#   fan-in, so signals keep their size through ReLU layers (the article's fixed
#   `RandomNormal(stddev=0.05)` is not);
# - **BatchNormalization momentum 0.9**, as just discussed. We pass it to the model,
#   `ResNet(..., bn_momentum=0.9)`, rather than setting each layer's attribute as in Fix 1: an
#   argument is part of the model's config, so a saved and reloaded model keeps it;
# - **SGD with Nesterov momentum 0.9** and **weight decay** (each step shrinks every weight a
#   little, a brake on over-confident large weights; Keras applies it directly to the weights,
#   so its 5e-3 is about PyTorch's 5e-4);
# - **a one-cycle learning-rate schedule**: warm up from low to a high peak over the first 30 %
#   of the steps, then decay smoothly to almost zero. The high middle explores, the low end
#   settles. `CosineDecay` with a warm-up is this schedule, built in;
# - **label smoothing 0.1**: train towards 0.91 for the right class and 0.01 for the others
#   instead of 1 and 0, so the model is not pushed to infinite confidence;
# - **batch 512** in `full` (128 here, with a lower peak: fewer, smaller steps).
#
# One more argument changes the speed, not the maths: `fused_batchnorm=True`. Keras 3 computes
# BatchNormalization from separate generic operations (mean, variance, subtract, scale, shift,
# and the gradient of each) — about half of this network's training step on a CPU. TensorFlow
# has a single *fused kernel* for the whole layer (here "kernel" means one compiled routine
# that does all those steps in one pass, not a convolution's weights), which Keras 2 used;
# `helpers.models` calls it
# while training on the TensorFlow backend (elsewhere it is Keras's layer). Same weights, same
# results to about a millionth, and a training step about 1.4 times as fast on this CPU
# (`bench/throughput.py` measures it; see the README's performance section).

# %%
epochs = cfg.pick(6, 30)
peak_lr = cfg.pick(0.1, 0.2)
total_steps = epochs * steps_per_epoch
warmup_steps = int(0.3 * total_steps)
schedule = keras.optimizers.schedules.CosineDecay(
    initial_learning_rate=peak_lr / 25, warmup_target=peak_lr, warmup_steps=warmup_steps,
    decay_steps=total_steps - warmup_steps, alpha=1e-3)
lrs = [float(schedule(step)) for step in range(total_steps)]
print(f"{epochs} epochs x {steps_per_epoch} steps = {total_steps} steps")
print(f"learning rate: {lrs[0]:.4f} at the start, {max(lrs):.4f} at step {int(np.argmax(lrs))}, "
      f"{lrs[-1]:.6f} at the end")

# %%
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.plot(np.arange(total_steps) / steps_per_epoch, lrs)
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate")
ax.set_title("one-cycle schedule: warm-up, then cosine decay")
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# Label smoothing, on one label:

# %%
smoothing = 0.1
one_hot = keras.ops.one_hot(3, 10)
smoothed = one_hot * (1 - smoothing) + smoothing / 10
print("one-hot: ", np.round(keras.ops.convert_to_numpy(one_hot), 2))
print("smoothed:", np.round(keras.ops.convert_to_numpy(smoothed), 2))

# %% [markdown]
# One function builds and compiles the model, so that we can build it again later exactly as
# a restarted program would:

# %%
def build_resnet():
    """The article's ResNet, He-initialised, BN momentum 0.9, compiled with the recipe."""
    model = ResNet([2, 2, 2], num_classes=10, kernel_initializer="he_normal",
                   bn_momentum=0.9, fused_batchnorm=True)
    model.build((None, 28, 28, 1))
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True,
                                       weight_decay=5e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing),
        metrics=["accuracy"])
    return model


seed_everything(cfg.seed)
model = build_resnet()
recipe_bn = batchnorm_layers(model)
print(model.count_params(), "parameters |", len(recipe_bn), "BatchNormalization layers",
      {type(layer).__name__ for layer in recipe_bn}, "| momentum", {layer.momentum for layer in recipe_bn})

# %% [markdown]
# ## Callbacks: save, stop, log, survive
#
# A **callback** is an object whose methods `fit` calls at fixed moments — the start and end of
# training, of each epoch, of each batch. Keras ships the ones every long run needs:
#
# - `ModelCheckpoint` saves the model (`.keras`: architecture, weights and optimizer) whenever
#   the monitored score improves (`save_best_only=True`);
# - `EarlyStopping` stops when the monitored score has not improved for `patience` epochs, and
#   with `restore_best_weights=True` puts back the best epoch's weights;
# - `TensorBoard` writes logs for TensorBoard's charts;
# - `CSVLogger` appends each epoch's numbers to a CSV file — they survive a crash;
# - `BackupAndRestore` saves the whole training state (weights, optimizer, epoch counter) at
#   the end of every epoch; if `fit` dies, the next `fit` with the same backup folder picks up
#   where it stopped. It deletes the backup when a `fit` finishes.
#
# The learning-rate schedule needs no callback: it is part of the optimizer, evaluated at every
# step. (`keras.callbacks.LearningRateScheduler` sets a rate per epoch instead, and
# `ReduceLROnPlateau` lowers it when the score stalls.)
#
# The monitored score is the validation loss. The `full` profile has no validation split (the
# test set is only watched), so there the callbacks watch the training loss instead — the test
# set must not choose the epoch we report — and `EarlyStopping` gets a patience of the whole
# run: with a one-cycle schedule the scores jump about while the learning rate is high, and
# stopping then would cut the run off before the decay that brings the accuracy.
#
# Everything goes under `build/`; we clear what an earlier run of this notebook left there.

# %%
backup_dir = BUILD / "06_backup"
checkpoint_path = BUILD / "06_resnet_best.keras"
csv_path = BUILD / "06_training_log.csv"
tensorboard_dir = BUILD / "logs" / "06_training"
for folder in (backup_dir, tensorboard_dir):
    shutil.rmtree(folder, ignore_errors=True)
for file in (checkpoint_path, csv_path):
    file.unlink(missing_ok=True)


monitor = cfg.pick("val_loss", "loss")


def make_callbacks():
    return [
        keras.callbacks.BackupAndRestore(backup_dir=str(backup_dir)),  # first: it restores
        keras.callbacks.CSVLogger(str(csv_path), append=True),
        keras.callbacks.ModelCheckpoint(str(checkpoint_path), monitor=monitor,
                                        save_best_only=True),
        keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.pick(3, epochs),
                                      restore_best_weights=True),
        keras.callbacks.TensorBoard(log_dir=str(tensorboard_dir)),
    ]


print([type(callback).__name__ for callback in make_callbacks()])

# %% [markdown]
# ### An interrupted `fit`
#
# Long runs die: a laptop lid closes, a cloud machine is pre-empted, the power goes. To see
# `BackupAndRestore` at work we simulate that with a callback of our own that raises an error
# at the end of epoch 2 — after the backup was written — and notes what must survive.

# %%
class PowerCut(keras.callbacks.Callback):
    """Prints each finished epoch; raises at the end of epoch `after` (counting from 1)."""

    def __init__(self, after):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        print(f"epoch {epoch + 1}/{epochs} finished")
        if epoch + 1 == self.after:
            self.weights = [w.numpy().copy() for w in self.model.weights]
            self.step = int(self.model.optimizer.iterations)
            raise RuntimeError(f"power cut at the end of epoch {self.after}")


power_cut = PowerCut(after=2)
try:
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, shuffle=False, verbose=0,
              callbacks=make_callbacks() + [power_cut])
except RuntimeError as error:
    print("fit stopped:", error)
print("left in the backup folder:", sorted(p.name for p in backup_dir.iterdir()))

# %% [markdown]
# Now restart as a new program would: build a fresh model (new random weights, new optimizer)
# and call the same `fit` again. `BackupAndRestore` loads the backup before the first step and
# tells `fit` to start at epoch 3. A small callback records what the model looks like at that
# moment, so that we can check that nothing was lost.

# %%
class ResumeCheck(keras.callbacks.Callback):
    """Records the state the model starts from and the first epoch it runs."""

    def on_train_begin(self, logs=None):
        self.weights = [w.numpy().copy() for w in self.model.weights]
        self.step = int(self.model.optimizer.iterations)
        self.first_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.first_epoch is None:
            self.first_epoch = epoch


# %%
# NBVAL_IGNORE_OUTPUT
model = build_resnet()  # fresh weights: as if the program had restarted
resume_check = ResumeCheck()
history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, shuffle=False, verbose=2,
                    callbacks=make_callbacks() + [resume_check])

# %%
restored_exactly = all(np.array_equal(a, b) for a, b in zip(power_cut.weights, resume_check.weights))
assert resume_check.first_epoch + 1 == power_cut.after + 1
assert resume_check.step == power_cut.step == power_cut.after * steps_per_epoch
assert restored_exactly and not backup_dir.exists()
print("resumed at epoch:", resume_check.first_epoch + 1)
print("optimizer resumed at step:", resume_check.step, "=", power_cut.after, "x", steps_per_epoch)
print("weights and BatchNorm statistics restored exactly:", restored_exactly)
print("backup deleted after the finished fit:", not backup_dir.exists())

# %% [markdown]
# The step counter matters: the learning-rate schedule reads it, so the resumed run continues
# the one-cycle schedule where it was instead of warming up again. One thing is *not* in the
# backup: the other callbacks' memory. The new `EarlyStopping` and `ModelCheckpoint` only know
# the epochs since the restart (fine here, since the scores improve epoch after epoch).
#
# The history `fit` returned covers only the resumed epochs; `CSVLogger` kept all of them on
# disk, across the crash.

# %%
with open(csv_path) as f:
    rows = list(csv.DictReader(f))
log = {key: [float(row[key]) for row in rows] for key in rows[0] if key != "epoch"}
logged_epochs = [int(row["epoch"]) + 1 for row in rows]
print("columns:", sorted(log))
print("every epoch logged once, in order:", logged_epochs == list(range(1, len(rows) + 1)))
print("epochs 1-2 from the first fit, the rest from the resumed one:", logged_epochs[:3] == [1, 2, 3])

# %% [markdown]
# ## Learning curves

# %%
plots.plot_history(log)

# %% [markdown]
# The typical shape of a one-cycle run: while the learning rate is high, validation lags
# behind training and jumps about — every step moves the weights a lot, and the moving
# statistics that inference uses trail behind them. As the schedule brings the rate down in
# the last epochs, the two curves meet. (Training accuracy is an average over the epoch, on
# augmented images; validation accuracy is measured on clean images at the end of the epoch.
# Label smoothing keeps both losses well above zero, so compare their trends, not values.)
#
# ## What the callbacks left behind
#
# `TensorBoard` wrote one folder of logs for training and one for validation. To look at them,
# run `tensorboard --logdir notebooks/build/logs` in a terminal, or `%load_ext tensorboard`
# and `%tensorboard --logdir build/logs` in a notebook cell.

# %%
runs = sorted({p.parent.name for p in tensorboard_dir.rglob("events.out.tfevents.*")})
print("TensorBoard runs:", runs)

# %% [markdown]
# `ModelCheckpoint` kept the epoch with the lowest validation loss (training loss in `full`).
# `EarlyStopping` with `restore_best_weights=True` put back that same epoch's weights at the
# end, so the file and the model in memory must agree. A `.keras` file holds everything needed to rebuild the model
# in another program ([07](07_saving.ipynb) is about exactly that).

# %%
best = keras.models.load_model(checkpoint_path)
same_predictions = np.array_equal(best.predict(val_ds, verbose=0), model.predict(val_ds, verbose=0))
print(type(best).__name__, "|", best.count_params(), "parameters")
print("checkpoint predicts exactly what the restored model predicts:", same_predictions)
assert same_predictions

# %% [markdown]
# ## Results on the test set
#
# The test images have played no part so far. The numbers below vary slightly from machine
# to machine; the cell after them checks what must hold everywhere.

# %%
# NBVAL_IGNORE_OUTPUT
test_loss, test_acc = model.evaluate(test_ds, verbose=0)
predicted = np.argmax(model.predict(test_ds, verbose=0), axis=1)
matrix = plots.confusion_matrix(y_test, predicted)
per_class = matrix.diagonal() / matrix.sum(axis=1)
confusions = matrix + matrix.T  # i taken for j, or j for i
np.fill_diagonal(confusions, 0)
pairs = sorted(((int(confusions[i, j]), CLASS_NAMES[i], CLASS_NAMES[j])
                for i in range(10) for j in range(i + 1, 10)), reverse=True)
print(f"test accuracy {test_acc:.4f} ({int(np.sum(predicted == y_test))} of {len(y_test)})")
print("per-class accuracy, hardest first:")
for index in np.argsort(per_class):
    print(f"  {CLASS_NAMES[index]:<12} {per_class[index]:.3f}")
print("most confused pairs (mistakes both ways):")
for count, a, b in pairs[:5]:
    print(f"  {a} <-> {b}: {count}")

# %%
floor = cfg.pick(0.85, 0.94)
upper_body = {"T-shirt/top", "Pullover", "Coat", "Shirt"}
hardest = CLASS_NAMES[int(np.argmin(per_class))]
assert test_acc > floor and np.isclose(test_acc, np.mean(predicted == y_test), atol=1e-6)
assert hardest in upper_body and {pairs[0][1], pairs[0][2]} <= upper_body
print(f"test accuracy above {floor:.0%}:", test_acc > floor)
print("hardest class is a top (T-shirt, pullover, coat or shirt):", hardest in upper_body)
print("most confused pair is two tops:", {pairs[0][1], pairs[0][2]} <= upper_body)

# %% [markdown]
# Where the mistakes are, at a glance: rows are the truth, columns the prediction.

# %%
plots.plot_confusion_matrix(y_test, predicted)

# %% [markdown]
# And the mistakes themselves, titled *prediction (truth)*. Many are hard even for people at
# 28 × 28 pixels: is it a shirt or a T-shirt, a pullover or a coat?

# %%
plots.show_misclassified(x_test, y_test, predicted, n=16)

# %% [markdown]
# ## How much does the ResNet buy? The MLP of notebook 01
#
# The same MLP as in [notebook 01](01_sequential.ipynb) — `Flatten`, `Dense(128, relu)`,
# `Dense(10, softmax)` — trained the same way (Adam, batch 64) on the same training images,
# tested on the same test images.

# %%
seed_everything(cfg.seed)
mlp = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
], name="mlp")
mlp.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
            metrics=["accuracy"])
print("MLP:", mlp.count_params(), "parameters | ResNet:", model.count_params(), "parameters")

# %%
# NBVAL_IGNORE_OUTPUT
mlp.fit(x_train / 255.0, y_train, batch_size=64, epochs=cfg.pick(8, 30),
        validation_data=(x_val / 255.0, y_val), verbose=2)
_, mlp_acc = mlp.evaluate(x_test / 255.0, y_test, verbose=0)
print(f"test accuracy: MLP {mlp_acc:.4f} | ResNet {test_acc:.4f}")

# %%
assert test_acc > mlp_acc
print("the ResNet beats the MLP on the test set:", test_acc > mlp_acc)

# %% [markdown]
# With about 70 % more parameters than the MLP, the ResNet makes clearly fewer mistakes: its
# convolutions share weights across positions and see neighbourhoods of pixels, where the MLP
# sees 784 unrelated numbers. On the full data the gap grows (the MLP stays near 89 %, the
# ResNet reaches 94 %).
#
# ## Recap
#
# - A `tf.data` pipeline — `map` (scale) → `cache` → `shuffle` → `batch` → `map` (augment) →
#   `prefetch` — prepares batches in parallel with training; `helpers.data.make_dataset` is
#   that pipeline, seeded and deterministic.
# - Augment on the fly, after `cache`, training data only; Keras preprocessing layers draw a new
#   random shift and flip for every image in the batch.
# - **BatchNormalization uses batch statistics in training and moving statistics in
#   inference.** With the default momentum 0.99 a short run leaves them stale: high training
#   accuracy, chance at test time. Re-estimate them, or train with momentum 0.9.
# - The recipe: He initialisation, SGD + Nesterov, a one-cycle schedule (`CosineDecay` with
#   warm-up), label smoothing, weight decay.
# - Callbacks: `ModelCheckpoint` (best model as `.keras`), `EarlyStopping`
#   (`restore_best_weights`), `TensorBoard`, `CSVLogger`, and `BackupAndRestore`, which makes a
#   crashed `fit` resume at the right epoch with its weights and optimizer state.
# - Read results through per-class accuracy, the confusion matrix and the misclassified images,
#   not just one number.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below
# it: the checker tries your code on a tiny model and tells you what is right or what is
# missing (✅ or ❌ with a hint). Worked answers:
# [solutions/06_training_solutions.ipynb](solutions/06_training_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): stop at a target accuracy
#
# Write a callback `StopAtAccuracy(target)` that stops `fit` at the end of the first epoch
# whose `val_accuracy` is at least `target`, and stores that epoch, counting from 1, in
# `self.reached_epoch`. Without validation data (no `val_accuracy` in the logs) it does
# nothing. Use it to find how many epochs the MLP above needs to reach 80 % — the question
# `bench/time_to_accuracy.py` asks of the ResNet and 94 %.

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
# always 0.99, as in the cell above. Then try it on the quick model with 5, 20 and 50 batches:
# how many does it take?

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
# `get_config` (why does `ModelCheckpoint` need one?). Train with it instead of `CosineDecay`:
# does the shape of the decay matter?

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
