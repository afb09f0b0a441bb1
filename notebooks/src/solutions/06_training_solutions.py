# %% [markdown]
# # 06 · Training the ResNet — solutions
#
# Worked answers to the exercises of [06 · Training the ResNet](../06_training.ipynb), each
# followed by the checker the notebook uses. Try the exercises first!

# %%
import helpers

cfg = helpers.setup()

# %%
import keras
import numpy as np
from keras import ops

from helpers import checks
from helpers.data import load_fashion_mnist, make_dataset
from helpers.models import ResNet
from helpers.runtime import seed_everything

# %% [markdown]
# ## Exercise 1: stop at a target accuracy
#
# `fit` calls `on_epoch_end(epoch, logs)` after each epoch's validation, with `epoch` counting
# from 0 and `logs` holding that epoch's numbers; setting `self.model.stop_training = True`
# asks `fit` to stop once the epoch is over. `logs.get` returns `None` when `fit` ran without
# validation data, so the callback then does nothing. "Reaching" a target includes hitting it
# exactly, hence `>=`.

# %% tags=["solution"]
class StopAtAccuracy(keras.callbacks.Callback):

    def __init__(self, target):
        super().__init__()
        self.target = target
        self.reached_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        accuracy = (logs or {}).get("val_accuracy")
        if accuracy is not None and accuracy >= self.target:
            self.reached_epoch = epoch + 1
            self.model.stop_training = True


# %%
checks.stop_at_accuracy(StopAtAccuracy)

# %% [markdown]
# For the notebook's MLP: make `stop = StopAtAccuracy(0.8)`, pass `callbacks=[stop]` and
# `validation_data=(x_val / 255.0, y_val)` to `mlp.fit`, then read `stop.reached_epoch`. The
# answer can differ between machines, whose sums differ in their last digits.
# `bench/time_to_accuracy.py` asks the same question of the ResNet at 94 %, and also records
# the seconds.
#
# ## Exercise 2: re-estimating, as a reusable function
#
# Three details make the difference: collect the layers recursively (the ResNet's are inside
# `blocks`, inside each `ResnetBlock`), as `batchnorm_layers`, the function from notebook 05,
# does (imported here from `helpers.models`, as in the notebook); save each layer's momentum
# and put it back, rather than assuming 0.99; and use momentum `k / (k + 1)` for the k-th
# batch, so that the first batch *replaces* the stale values (momentum 0) and each later one
# enters a running mean with the same weight as all the others.

# %% tags=["solution"]
from helpers.models import batchnorm_layers  # notebook 05's walker: any depth, in order


def reestimate_batchnorm(model, dataset, num_batches=20):
    layers = batchnorm_layers(model)
    saved = [layer.momentum for layer in layers]
    for k, (images, _) in enumerate(dataset.take(num_batches)):
        for layer in layers:
            layer.momentum = k / (k + 1)
        model(images, training=True)  # updates the statistics; no optimizer, no weight change
    for layer, momentum in zip(layers, saved):
        layer.momentum = momentum


# %%
checks.reestimate_batchnorm(reestimate_batchnorm)

# %% [markdown]
# How many batches does it take? Training the quick model again costs a minute, so here is
# the idea on a model that trained for nothing at all: freshly initialised weights are as
# good a test as any, because re-estimation only needs the weights to stay fixed. The
# statistics after 5 and 20 batches of 128 are compared with those after 60 (7,680 images),
# by the largest relative difference of any moving variance.

# %%
(x_train, y_train), _ = load_fashion_mnist()
data = make_dataset(x_train, y_train, 128, training=True, seed=cfg.seed)
seed_everything(cfg.seed)
model = ResNet([2, 2, 2], 10)
model.build((None, 28, 28, 1))
start = model.get_weights()


def variances_after(num_batches):
    model.set_weights(start)
    reestimate_batchnorm(model, data, num_batches)
    return np.concatenate([layer.moving_variance.numpy() for layer in batchnorm_layers(model)])


reference = variances_after(60)
for n in (5, 20):
    gap = np.max(np.abs(variances_after(n) - reference) / reference)
    assert gap < 0.10
    print(f"{n:>2} batches: every moving variance within {100 * gap:.0f} % of the 60-batch value (bound 10 %)")

# %% [markdown]
# Even 5 batches (640 images) come close, and 20 are plenty: the statistics of a few thousand
# images are already stable, which is why the notebook's 20 batches recovered the accuracy.
#
# ## Exercise 3: your own one-cycle schedule
#
# The rate is a function of the step: a line up, a line down, clipped at 0. The optimizer
# calls the schedule with its step counter, an integer *tensor*, while `fit` compiles the
# training step, so a Python `if step < warmup:` cannot decide anything (the value is not
# known yet); `ops.where` computes both lines and picks per value. `get_config` returns the
# constructor's arguments: `ModelCheckpoint` saves the optimizer, schedule included, in the
# `.keras` file and rebuilds it from them.

# %% tags=["solution"]
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):

    def __init__(self, peak_lr, total_steps, warmup_fraction=0.3):
        self.peak_lr = peak_lr
        self.total_steps = total_steps
        self.warmup_fraction = warmup_fraction

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = float(int(self.warmup_fraction * self.total_steps))
        start = self.peak_lr / 25
        rising = start + (self.peak_lr - start) * step / max(warmup, 1.0)
        falling = self.peak_lr * (self.total_steps - step) / max(self.total_steps - warmup, 1.0)
        return ops.maximum(ops.where(step < warmup, rising, falling), 0.0)

    def get_config(self):
        return {"peak_lr": self.peak_lr, "total_steps": self.total_steps,
                "warmup_fraction": self.warmup_fraction}


# %%
checks.one_cycle(OneCycle)

# %% [markdown]
# The triangle beside the notebook's `CosineDecay` for the `class` profile's 474 steps: the
# cosine stays high longer and then decays faster. Which one ends higher on this data is an
# experiment worth running (train the notebook's model with each); what both keep is what
# matters most — a warm-up to a high peak, and a decay to nearly zero at the end.

# %%
total = 474
cosine = keras.optimizers.schedules.CosineDecay(0.1 / 25, decay_steps=total - 142,
                                                warmup_target=0.1, warmup_steps=142, alpha=1e-3)
triangle = OneCycle(0.1, total)
for step in (0, 71, 142, 237, 400, 473):
    print(f"step {step:>3}: cosine {float(cosine(step)):.4f} | triangle {float(triangle(step)):.4f}")
