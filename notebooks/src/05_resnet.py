# %% [markdown]
# # 05 · The ResNet
#
# [04 · The ResnetBlock](04_resnet_block.ipynb) took the article's building block apart:
# BN → ReLU → conv twice, plus a shortcut. This notebook stacks those blocks into the article's
# full network, `ResNet([2, 2, 2], 10)`: we read how it is assembled, see the surprise its
# `summary()` holds under Keras 3, prove it equal to a Functional twin, and train it for the
# first time. [06 · Training the ResNet](06_training.ipynb) then trains it properly.
#
# **What you will learn**
#
# - how the article's `ResNet` turns `block_list` into stages of blocks, and which blocks halve
#   the image, double the channels and need a projection shortcut;
# - that the article's own `model.build(...)` + `model.summary()` prints **Total params: 0**
#   under Keras 3, and how to see the true count, 175,898 parameters;
# - how to prove that a subclassed model and a Functional twin are the same network (copy the
#   weights, compare the outputs), and how to draw the twin with `plot_model`;
# - what a first short training run shows: the BatchNormalization trap, and the momentum
#   setting that avoids it;
# - what the kernel initializer changes: the article's fixed `stddev=0.05` versus He
#   initialisation.

# %% [markdown]
# ## Set-up
#
# As in every notebook: quiet TensorFlow start-up, seeds, versions and the profile.

# %%
import helpers

cfg = helpers.setup()

# %% [markdown]
# The article's code calls TensorFlow directly (`tf.nn.relu`), so we import `tensorflow` too.
# `ResnetBlock` and `conv3x3` come from `helpers.models`, proved identical to the article's in
# notebook 04.

# %%
import os
import warnings

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from helpers import models as reference
from helpers.data import load_fashion_mnist
from helpers.models import ResnetBlock, conv3x3  # the article's block, from notebook 04
from helpers.runtime import seed_everything

# %% [markdown]
# ## The data
#
# Fashion-MNIST, as in every notebook. A convolution expects a *channels* axis at the end —
# (height, width, channels) — so we add one (1 channel: gray) and scale the pixels to 0…1.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = (x_train.astype("float32") / 255.0)[..., np.newaxis]
x_test = (x_test.astype("float32") / 255.0)[..., np.newaxis]
print("training images:", x_train.shape, "| test images:", x_test.shape)

# %% [markdown]
# ## The article's `ResNet`
#
# Here is the class exactly as the article writes it, built from the two pieces of notebook
# 04: `conv3x3` (a bias-free 3×3 `Conv2D` with N(0, 0.05²) starting weights) and `ResnetBlock`.

# %%
class ResNet(keras.Model):

    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(**kwargs)

        self.num_blocks = len(block_list)
        self.block_list = block_list

        self.in_channels = initial_filters
        self.out_channels = initial_filters
        self.conv_initial = conv3x3(self.out_channels)

        self.blocks = keras.models.Sequential(name='dynamic-blocks')

        for block_id in range(len(block_list)):
            for layer_id in range(block_list[block_id]):

                if block_id != 0 and layer_id == 0:
                    block = ResnetBlock(self.out_channels,
                                        strides=2, residual_path=True)
                else:
                    if self.in_channels != self.out_channels:
                        residual_path = True
                    else:
                        residual_path = False
                    block = ResnetBlock(self.out_channels,
                                        residual_path=residual_path)

                self.in_channels = self.out_channels

                self.blocks.add(block)

            self.out_channels *= 2

        self.final_bn = keras.layers.BatchNormalization()
        self.avg_pool = keras.layers.GlobalAveragePooling2D()
        self.fc = keras.layers.Dense(num_classes)

    def call(self, inputs, training=None):
        out = self.conv_initial(inputs)
        out = self.blocks(out, training=training)
        out = self.final_bn(out, training=training)
        out = tf.nn.relu(out)
        out = self.avg_pool(out)
        out = self.fc(out)
        return out


# %% [markdown]
# **`__init__`** creates, in this order:
#
# - `conv_initial` — a 3×3 convolution from the image's 1 channel to `initial_filters` (16)
#   channels;
# - `blocks` — a `keras.Sequential` that the loop fills with `ResnetBlock`s: one *stage* per
#   entry of `block_list`, with `block_list[i]` blocks in stage `i`;
# - the head: `final_bn` and the ReLU in `call` normalise the last block's output (every
#   block *starts* with BN → ReLU, so its output is not normalised yet);
#   `GlobalAveragePooling2D` averages each channel over the whole image; `Dense(num_classes)`
#   turns the 64 averages into one score per class.
#
# **`call`** runs them in that order, with no softmax at the end: the model outputs
# **logits**, raw scores that a softmax would turn into probabilities, so its loss must be
# told so: `SparseCategoricalCrossentropy(from_logits=True)`.
#
# ## How the `block_list` loop decides each block
#
# For stage `block_id` and block `layer_id` inside it:
#
# - the **first block of every stage but the first** gets `strides=2` — it halves height and
#   width — and `out_channels` has just been doubled, so the shortcut needs the 1×1
#   projection: `residual_path=True`;
# - **every other block** gets `strides=1` and `residual_path = (in_channels != out_channels)`;
# - after each stage, `out_channels *= 2`.
#
# Since `self.in_channels = self.out_channels` runs after *every* block, the two are already
# equal whenever the `else` branch runs, so its `residual_path=True` is never taken. The rule
# really is: *a projection exactly where a stage starts, except the first stage.*
# `helpers.models.resnet_block_plan` replays the loop, one row per block:

# %%
plan = reference.resnet_block_plan([2, 2, 2])
print(f"{'stage':>5} {'block':>5} {'in':>4} {'out':>4} {'strides':>7}  residual_path")
for step in plan:
    print(f"{step['stage']:>5} {step['block']:>5} {step['in_channels']:>4} {step['channels']:>4} "
          f"{step['strides']:>7}  {step['residual_path']}")

# %% [markdown]
# Each `ResnetBlock` keeps its arguments as attributes, so we can check that the article's
# class builds exactly this plan:

# %%
article_model = ResNet([2, 2, 2], 10)
built = [(b.channels, b.strides, b.residual_path) for b in article_model.blocks.layers]
planned = [(step["channels"], step["strides"], step["residual_path"]) for step in plan]
matches = sum(b == p for b, p in zip(built, planned))
assert built == planned
print(f"{matches} of the {len(built)} blocks match the plan's (channels, strides, residual_path)")

# %% [markdown]
# ## The article's `build()` + `summary()` under Keras 3
#
# The article ends with this `__main__` block. Run as written, it hits the pitfall of
# [notebook 03](03_subclassing.ipynb): `ResNet` defines no `build()`, so Keras 3's default one
# only warns and marks the model built, without running `call` — and `call` is the only place
# that says what each layer receives. We record the warning and print its message.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # The article's __main__ block, verbatim:
    model = ResNet([2, 2, 2], 10)
    model.build(input_shape=(None, 28, 28, 1))
    model.summary()
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}\n")
print(f"model.built is {model.built}, yet it holds {len(model.weights)} weights")

# %% [markdown]
# Notebook 03's first fix: call the model on a batch, and every layer creates its weights:

# %%
logits = model(keras.ops.zeros((1, 28, 28, 1)))
assert model.count_params() == 175_898
print("logits:", tuple(logits.shape), "| parameters:", f"{model.count_params():,}")
model.summary()

# %% [markdown]
# All **175,898** parameters: 174,874 trainable, and 1,024 non-trainable — the moving means
# and variances of the 15 BatchNormalization layers. As in notebook 03, the shapes start with
# the `1` of the batch we passed. The pooling row shows `?`: a subclassed model's summary can
# only show the shape each layer was *built* with, and `GlobalAveragePooling2D`, which has no
# weights to make, marks itself built when it is created, so it never records one (03's
# `Flatten` is built on its first call, so it does).
#
# `helpers.models.ResNet` is the article's class with a real `build()` (03's fix 2, and this
# notebook's Exercise 4), which also lets us choose the kernel initializer. Its `build` makes
# every weight, with no warning:

# %%
built_resnet = reference.ResNet([2, 2, 2], 10)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    built_resnet.build(input_shape=(None, 28, 28, 1))
print("warnings:", len(caught), "| parameters:", f"{built_resnet.count_params():,}")

# %% [markdown]
# ## A Functional twin
#
# The clearest summary comes from the same network written with the Functional API (notebook
# 02): `conv_initial`, one `ResnetBlock` per row of the plan (named `stage0_block0`, …),
# `final_bn`, a ReLU, `avg_pool` and `fc` — the layers of the article's `call`, in the same
# order. A Functional model is a graph, so every row gets a real output shape:

# %%
inputs = keras.Input(shape=(28, 28, 1), name="images")
x = conv3x3(16, name="conv_initial")(inputs)
for step in plan:
    x = ResnetBlock(step["channels"], strides=step["strides"], residual_path=step["residual_path"],
                    name=f"stage{step['stage']}_block{step['block']}")(x)
x = keras.layers.BatchNormalization(name="final_bn")(x)
x = keras.layers.ReLU(name="final_relu")(x)
x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
outputs = keras.layers.Dense(10, name="fc")(x)
twin = keras.Model(inputs, outputs, name="resnet_functional")
twin.summary()

# %% [markdown]
# Same total, 175,898, and now the stages are visible: 28 × 28 × 16, then 14 × 14 × 32, then
# 7 × 7 × 64. Halving the image while doubling the channels keeps the cost of a 3×3
# convolution (height × width × c_in × c_out × 9 multiplications) the same in every stage:
# 28·28·16·16·9 = 14·14·32·32·9 = 7·7·64·64·9. The parameters per block grow about fourfold
# per stage (c_in × c_out), so the last stage holds three quarters of the network.
#
# `keras.utils.plot_model` draws a Functional model's graph. Even with `expand_nested=True`
# each block stays one closed box: the blocks are *subclassed* models, Python code rather than
# graphs (notebook 03's trade-off).

# %%
os.makedirs("build", exist_ok=True)
keras.utils.plot_model(twin, to_file="build/05_resnet_functional.png", show_shapes=True,
                       show_layer_names=True, expand_nested=True, dpi=60)

# %% [markdown]
# ## Three models, one network
#
# The article's class (`model`), the reference class (`built_resnet`) and the twin each have
# their own random weights. If they are the same network, their weight lists line up one for
# one (`set_weights` refuses lists that do not fit), and once the article model's weights are
# copied into the other two, all three give the same logits, in inference mode (moving
# statistics) and in training mode (batch statistics).

# %%
built_resnet.set_weights(model.get_weights())
twin.set_weights(model.get_weights())
images = x_test[:64]
for training in (False, True):
    a, r, f = (m(images, training=training).numpy() for m in (model, built_resnet, twin))
    gap = max(np.abs(a - r).max(), np.abs(a - f).max())
    assert gap <= 1e-6
    print(f"training={training!s:<5} logits {a.shape}: largest difference between the three "
          f"models {gap:.1g} (bound 1e-6)")

# %% [markdown]
# The three are one network. From here on we use the reference `ResNet`.
#
# ## A first training run
#
# `train_resnet` trains a fresh `reference.ResNet([2, 2, 2], 10)` with Adam, keeping the last
# 1,000 training images for validation, which it reports every `STEPS_PER_EPOCH` = 10 batches
# of 128 images (an "epoch" in the log is 10 steps, not a full pass; Keras carries on through
# the data, so no image repeats). It re-seeds before building and before fitting, so runs with
# the same initializer start from the same weights and see the same batches.
#
# It has two knobs the article never touches: the **momentum** of the BatchNormalization
# layers (Keras's default is 0.99), set on each layer that `batchnorm_layers` finds, however
# deeply nested (later lessons import this same function from `helpers.models`); and, for run
# 3, the kernel initializer (`None` keeps the article's).

# %%
x_fit, y_fit = x_train[:-1000], y_train[:-1000]
x_val, y_val = x_train[-1000:], y_train[-1000:]
BATCH_SIZE, EPOCHS, STEPS_PER_EPOCH = 128, 8, cfg.pick(class_=10, full=25)
TOTAL_STEPS = EPOCHS * STEPS_PER_EPOCH


def batchnorm_layers(model):
    """Every BatchNormalization layer inside a model, however deeply nested."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(batchnorm_layers(layer))
    return found


def train_resnet(bn_momentum, kernel_initializer=None):
    """Train a fresh ResNet([2, 2, 2], 10) for TOTAL_STEPS steps; return (model, history)."""
    seed_everything(cfg.seed)  # same initializer -> same starting weights
    model = reference.ResNet([2, 2, 2], 10, kernel_initializer=kernel_initializer)
    model.build((None, 28, 28, 1))
    for layer in batchnorm_layers(model):
        layer.momentum = bn_momentum
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    seed_everything(cfg.seed)  # same batches, in the same order
    history = model.fit(x_fit, y_fit, batch_size=BATCH_SIZE, epochs=EPOCHS,
                        steps_per_epoch=STEPS_PER_EPOCH, validation_data=(x_val, y_val),
                        verbose=2)
    return model, history


def about(fraction):
    """A trained figure to the nearest 5 points: its last digits vary from machine to machine."""
    return f"{round(fraction * 20) * 5} %"


print("training images:", x_fit.shape[0], "| validation images:", x_val.shape[0])
print("steps per run:", TOTAL_STEPS, "| images per run:", TOTAL_STEPS * BATCH_SIZE)
print("BatchNormalization layers in the ResNet:", len(batchnorm_layers(built_resnet)))

# %% [markdown]
# ### Run 1: Keras's default momentum, 0.99
#
# A training log differs in its last digits from machine to machine; the cell after it checks
# what must hold, with the figures rounded.

# %% tags=["nbval-ignore-output"]
model_099, history_099 = train_resnet(bn_momentum=0.99)
_, test_acc_099 = model_099.evaluate(x_test, y_test, verbose=0)
train_acc_099 = history_099.history["accuracy"][-1]
print(f"last training accuracy {train_acc_099:.3f} | test accuracy {test_acc_099:.3f}")

# %%
assert train_acc_099 > 0.6 and test_acc_099 < 0.3
print(f"last training accuracy about {about(train_acc_099)}, above 60 %; test accuracy about "
      f"{about(test_acc_099)}, below 30 % (a guess scores 10 %)")

# %% [markdown]
# The loss falls and the training accuracy climbs, yet `val_accuracy` and the test accuracy
# sit at chance. This is the **BatchNormalization trap**. `fit` runs BatchNormalization with
# the statistics of each batch; `evaluate` uses its moving statistics (notebook 03), which
# start at mean 0 and variance 1, and with momentum 0.99 still hold 0.99⁸⁰ ≈ 45 % of those
# made-up starting values after our 80 steps. [Notebook 06](06_training.ipynb) takes the trap
# apart and fixes a trained model; for short runs a smaller momentum, 0.9, lets the averages
# follow the last few dozen batches (0.9⁸⁰ ≈ 0.02 % left).
#
# ### Run 2: momentum 0.9
#
# Same starting weights, same batches, only the momentum differs:

# %% tags=["nbval-ignore-output"]
model_09, history_09 = train_resnet(bn_momentum=0.9)
_, test_acc_09 = model_09.evaluate(x_test, y_test, verbose=0)
train_acc_09 = history_09.history["accuracy"][-1]
print(f"last training accuracy {train_acc_09:.3f} | test accuracy {test_acc_09:.3f}")

# %%
loss_diff = np.max(np.abs(np.subtract(history_09.history["loss"], history_099.history["loss"])))
assert loss_diff < 0.02 and test_acc_09 > 0.6
print(f"training losses of runs 1 and 2 differ by at most {loss_diff:.3f} per epoch (bound 0.02)")
print(f"test accuracy about {about(test_acc_09)}, above 60 %")

# %% [markdown]
# Training never reads the moving statistics, so both runs trained to the same weights; only
# the second can use them at test time. Yet even run 2 stays near chance in validation for
# its first 50 steps or so. The initializer explains why.
#
# ## The article's initializer versus He initialisation
#
# The article's `conv3x3` draws every kernel from N(0, 0.05²), whatever the layer's size. A
# convolution's output adds up *fan_in* = kernel height × kernel width × input channels
# products, so its variance is about fan_in × σ² × (the mean square of its inputs). **He
# initialisation** (He et al., "Delving Deep into Rectifiers", 2015, not the ResNet paper),
# Keras's `"he_normal"`, picks σ = √(2 / fan_in): the 2 makes up for the ReLU, which zeroes
# about half of each layer's inputs, so the signal keeps its scale from layer to layer. The
# last column is how much each of our convolutions scales its signal with the article's
# weights, relative to He's:

# %%
convolutions = ([("conv_initial, 3x3 on 1 channel", 9)]
                + [(f"3x3 on {c} channels", 3 * 3 * c) for c in (16, 32, 64)]
                + [(f"1x1 projection on {c} channels", c) for c in (16, 32)])
print(f"{'convolution':<32}{'fan_in':>7}{'article':>9}{'He':>8}{'article / He':>14}")
for name, fan_in in convolutions:
    he = (2 / fan_in) ** 0.5
    print(f"{name:<32}{fan_in:>7}{0.05:>9.3f}{he:>8.3f}{0.05 / he:>14.2f}")

# %% [markdown]
# The article's weights are about right for the 64-channel layers and a ninth of He's for the
# first convolution. What does that do to the signal? We measure the standard deviation of
# the activations after `conv_initial` and after each block, at initialisation, on 256
# training images, with a model that has the twin's input and its intermediate outputs
# (notebook 02); `helpers.models.build_functional_resnet` builds the twin for any
# initializer. We look in both modes:
#
# - `training=True`, what `fit` sees: BatchNormalization standardises with the batch;
# - `training=False`, what `evaluate` sees at the start: the moving statistics are still
#   mean 0, variance 1, so BatchNormalization does (almost) nothing.

# %%
probe_images = x_train[:256]
probe_layers = ["conv_initial"] + [f"stage{s['stage']}_block{s['block']}" for s in plan]


def activation_stds(kernel_initializer):
    """Std of each probed layer's output at initialisation: {training: array}."""
    seed_everything(cfg.seed)
    net = reference.build_functional_resnet(kernel_initializer=kernel_initializer)
    probe = keras.Model(net.input, [net.get_layer(name).output for name in probe_layers])
    # training=False first: a training=True call nudges the moving statistics.
    return {training: np.array([float(np.std(out)) for out in probe(probe_images, training=training)])
            for training in (False, True)}


stds = {}
for init in (None, "he_normal"):
    for training, values in activation_stds(init).items():
        stds[(init, training)] = values
print(f"{'':<15}{'training=True':>20}{'training=False':>20}")
print(f"{'std after':<15}{'article':>10}{'He':>10}{'article':>10}{'He':>10}")
for i, name in enumerate(probe_layers):
    row = [stds[(init, training)][i] for training in (True, False) for init in (None, "he_normal")]
    print(f"{name:<15}" + "".join(f"{v:>10.2f}" for v in row))

# %%
ratio = min(np.min(stds[("he_normal", t)] / stds[(None, t)]) for t in (True, False))
article_end, he_end = stds[(None, False)][-1], stds[("he_normal", False)][-1]
assert ratio > 1 and article_end < stds[(None, False)][0] / 2 and he_end > 0.3
print(f"after every layer, in both modes, He's std is at least {ratio:.1f} times the article's (bound 1)")
print(f"training=False, last block: article {article_end:.2f}, under half its 0.06 at conv_initial; "
      f"He {he_end:.2f}, above 0.3")

# %% [markdown]
# With the article's weights, `conv_initial` outputs a standard deviation of about 0.06, a
# tenth of He's. In inference mode, where BatchNormalization does not rescale anything yet,
# the shortcuts carry that small signal on, and each stride-2 block, whose 1×1 projection has
# weights 5 to 7 times smaller than He's, cuts it again (0.06 → 0.03 → 0.01). He's weights
# keep it between about 0.6 and 1.4. In training mode BatchNormalization standardises the
# input of every convolution inside the blocks, so both networks produce sizeable activations.
#
# Two predictions. First, BatchNormalization makes training forgiving of the weight scale, so
# the *training* losses should be close. Second, the moving variances start at 1, while the
# first BatchNormalization layer sees a variance of about 0.06² with the article's weights and
# 0.57² with He's. With momentum 0.9 the start fades as 0.9ⁿ; a rough count of the steps
# before it drops below the real variance:

# %%
for init, name in ((None, "article"), ("he_normal", "He")):
    variance = round(stds[(init, True)][0], 2) ** 2
    steps_needed = int(np.ceil(np.log(variance) / np.log(0.9)))
    print(f"{name:<8} variance after conv_initial {variance:.4f}: 0.9^n < {variance:.4f} "
          f"once n >= {steps_needed}")

# %% [markdown]
# Until then inference-mode BatchNormalization divides by a variance far too large. (The
# weights change during training too, so this is only a rough count.)
#
# ### Run 3: He initialisation
#
# Run 2 again (momentum 0.9, same batches), with `kernel_initializer="he_normal"`:

# %% tags=["nbval-ignore-output"]
model_he, history_he = train_resnet(bn_momentum=0.9, kernel_initializer="he_normal")
_, test_acc_he = model_he.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: article's initializer {test_acc_09:.3f} | He {test_acc_he:.3f}")
print(f"last training loss: article's initializer {history_09.history['loss'][-1]:.3f} | "
      f"He {history_he.history['loss'][-1]:.3f}")

# %%
steps = STEPS_PER_EPOCH * np.arange(1, EPOCHS + 1)
first_useful = {name: next(int(s) for s, acc in zip(steps, h.history["val_accuracy"]) if acc > 0.5)
                for name, h in (("article", history_09), ("He", history_he))}
losses = [h.history["loss"][-1] for h in (history_09, history_he)]
assert test_acc_he > 0.6 and abs(losses[0] - losses[1]) < 0.15
assert first_useful["He"] <= 30 and first_useful["article"] >= 50
print(f"last training loss: article {losses[0]:.1f}, He {losses[1]:.1f} (within 0.15 of each other)")
print("validation accuracy first above 50 % within 30 steps with He, only after 50 or more "
      "with the article's initializer")
print(f"test accuracy with He about {about(test_acc_he)}, above 60 %")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for history, label, style in ((history_099, "article, momentum 0.99", "^:"),
                              (history_09, "article, momentum 0.9", "o-"),
                              (history_he, "He, momentum 0.9", "s-")):
    axes[0].plot(steps, history.history["loss"], style, label=label)
    axes[1].plot(steps, history.history["val_accuracy"], style, label=label)
axes[0].set_ylabel("training loss")
axes[1].set_ylabel("validation accuracy")
axes[1].axhline(0.1, color="gray", linewidth=0.8, linestyle=":")
for ax in axes:
    ax.set_xlabel("training steps")
    ax.grid(alpha=0.3)
    ax.legend()
plt.show()

# %% [markdown]
# Both predictions hold. The training losses of all three runs are almost the same (runs 1
# and 2 exactly). Validation, the model in inference mode, tells them apart: momentum 0.99
# stays near chance; with momentum 0.9, validation accuracy passes 50 % within 30 steps with
# He's weights, only after 50 or more with the article's, once the moving variances have come
# down from 1 to the tiny real ones, in line with the rough counts above.
#
# The final test accuracies are another matter: both round to about 75 % (the checks above),
# but that is one short run with one seed, and the validation curves are still moving, so the
# gap between them says nothing about which initializer ends better.
#
# So He initialisation is the better default: the ResNet papers use it, it keeps the signal's
# scale where nothing else does (in inference mode before the statistics catch up, and in
# networks without BatchNormalization, the setting He et al. derived it for), and it costs
# nothing. Notebook 06 trains with it.
#
# ## Recap
#
# - The article's `ResNet` is `conv_initial` → stages of `ResnetBlock`s in a `Sequential` →
#   BN → ReLU → global average pooling → `Dense` logits (use `from_logits=True`).
# - The first block of every stage after the first halves the image (`strides=2`) and has a
#   1×1 projection shortcut; the channels double per stage: 28×28×16 → 14×14×32 → 7×7×64.
# - The article's `build(...)` + `summary()` shows 0 parameters under Keras 3 (notebook 03's
#   pitfall); called on a batch, the model has **175,898**. The Functional twin shows every
#   shape and, given the same weights, gives the same logits.
# - A short run with BatchNormalization's default momentum 0.99 trains well and evaluates at
#   chance; momentum 0.9 avoids it (notebook 06 has the details).
# - The article's N(0, 0.05²) kernels shrink the signal; He initialisation keeps its scale.
#   BatchNormalization hides the difference in training, not in inference.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below
# it: the checker runs your code on small inputs and tells you what is right or what is
# missing (✅, or ❌ with a hint). Worked answers:
# [solutions/05_resnet_solutions.ipynb](solutions/05_resnet_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): the block plan
#
# Write `block_plan(block_list, initial_filters=16)`: the article's loop without the layers.
# It returns one `(channels, strides, residual_path)` tuple per block, in the order `ResNet`
# builds them — for `[2, 2, 2]`, the six rows `resnet_block_plan` printed above. Drop
# the branch that is never taken. Before you run the checker, predict the plan of
# `ResNet([3, 3, 3], 10)`.

# %%
# EXERCISE 1
def block_plan(block_list, initial_filters=16):
    """One (channels, strides, residual_path) tuple per block, in the order ResNet builds them."""
    plan = []
    # your loop here
    return plan


# %%
checks.resnet_plan(block_plan)

# %% [markdown]
# ### Exercise 2 (practice): count the parameters by hand
#
# Write `resnet_params(block_list, num_classes=10, initial_filters=16, in_channels=1)`: the
# number of parameters of `ResNet(block_list, num_classes, initial_filters)` on images with
# `in_channels` channels, worked out from the layers (notebook 04 counted one block; your
# `block_plan` gives the blocks). Then answer: `ResNet([3, 3, 3], 10)` has how many? And why is
# `ResNet([2, 2, 2], 10, initial_filters=32)` almost, but not exactly, four times 175,898?

# %%
# EXERCISE 2
def resnet_params(block_list, num_classes=10, initial_filters=16, in_channels=1):
    """Parameters of ResNet(block_list, num_classes, initial_filters) on in_channels channels."""
    return None  # your count here


# %%
checks.resnet_param_count(resnet_params)

# %% [markdown]
# ### Exercise 3 (practice): He initialisation for the article's `ResNet`
#
# Write `HeResNet`, the article's `ResNet` in which every convolution — `conv_initial`, the
# blocks' 3×3 convolutions and the 1×1 projections — starts from He initialisation. Hint: a
# layer creates its weights only when it is built, so after `super().__init__(...)` you can
# still change each `Conv2D`'s `kernel_initializer`; a walker like `batchnorm_layers` finds
# them. Then try `train_resnet(bn_momentum=0.99, kernel_initializer="he_normal")`: does the
# BatchNormalization trap still catch run 1? Use the activation table to explain.

# %%
# EXERCISE 3
class HeResNet(ResNet):
    """The article's ResNet with He initialisation ("he_normal") in every convolution."""

    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(block_list, num_classes, initial_filters, **kwargs)
        # your change here


# %%
checks.he_resnet(HeResNet)

# %% [markdown]
# ### Exercise 4 (stretch): a real `build()` for the article's `ResNet`
#
# Write `BuiltResNet`, the article's `ResNet` with a `build(self, input_shape)` that creates
# every weight, so that the article's `__main__` block — `build` then `summary()` — shows all
# 175,898 parameters and no warning. It must work for any `block_list` and image shape. Hint:
# fix 2 of notebook 03; a `keras.Sequential` such as `self.blocks` has its own `build`.

# %%
# EXERCISE 4
class BuiltResNet(ResNet):
    """The article's ResNet with a build() that creates every weight."""

    def build(self, input_shape):
        pass  # build each sublayer here, passing the shape along


# %%
checks.resnet_real_build(BuiltResNet)

# %% [markdown]
# **Next:** [06 · Training the ResNet](06_training.ipynb) — input pipelines, augmentation,
# callbacks, the BatchNormalization trap in depth, and a full training run.
