# %% [markdown]
# # 05 · The ResNet
#
# [04 · The ResnetBlock](04_resnet_block.ipynb) took the article's building block apart:
# BN → ReLU → conv twice, plus a shortcut. This notebook stacks those blocks into the article's
# full network, `ResNet([2, 2, 2], 10)`: we read how it is assembled, meet the surprise its
# `summary()` holds under Keras 3, prove it equal to a Functional twin, and train it for the
# first time. [06 · Training the ResNet](06_training.ipynb) then trains it properly.
#
# **What you will learn**
#
# - how the article's `ResNet` turns `block_list` into stages of blocks, and which blocks halve
#   the image, double the channels and need a projection shortcut;
# - why the article's own `model.build(...)` + `model.summary()` prints **Total params: 0**
#   under Keras 3, and three ways to see the true summary (175,898 parameters);
# - how to prove that a subclassed model and a Functional twin are the same network (copy the
#   weights, compare the outputs), and how to draw it with `plot_model`;
# - how a short training run can look perfect in the log and score 10 % on the test set — the
#   BatchNormalization trap — and the simple setting that avoids it in short runs;
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
# The article's code calls TensorFlow directly (`tf.nn.relu`), so we import `tensorflow` as
# well as `keras`. As promised in notebook 04, the block comes from `helpers.models`: there we
# proved `helpers.models.ResnetBlock` (and its `conv3x3`) identical to the article's, layer for
# layer and output for output. The article's `ResNet` class, the subject of this notebook, we
# write out below.

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
# Fashion-MNIST, as in every notebook: 28 × 28 grayscale images of clothes in 10 classes. A
# convolution expects a *channels* axis at the end — (height, width, channels) — so we add one
# (1 channel: gray) and scale the pixels to 0…1.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = (x_train.astype("float32") / 255.0)[..., np.newaxis]
x_test = (x_test.astype("float32") / 255.0)[..., np.newaxis]
print("training images:", x_train.shape, "| test images:", x_test.shape)

# %% [markdown]
# ## The article's `ResNet`
#
# Here is the class exactly as the article writes it. It uses the two pieces from notebook 04:
# `conv3x3` (a bias-free 3×3 `Conv2D` with N(0, 0.05²) starting weights) and `ResnetBlock`.

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
#   channels, so the first block has something to add its shortcut to;
# - `blocks` — a `keras.Sequential` named `'dynamic-blocks'` that the loop fills with
#   `ResnetBlock`s: one *stage* per entry of `block_list`, with `block_list[i]` blocks in
#   stage `i`;
# - `final_bn`, `avg_pool`, `fc` — the head. Every block *starts* with BN → ReLU
#   (pre-activation), so the last block's output has not been normalised yet: `final_bn` and
#   the ReLU in `call` do that. `GlobalAveragePooling2D` averages each channel over the whole
#   image, and `Dense(num_classes)` turns the 64 averages into one score per class.
#
# **`call`** runs them in that order. Note what is *not* there: no softmax. The model outputs
# **logits**, raw scores, so its loss must be told so:
# `SparseCategoricalCrossentropy(from_logits=True)`.
#
# ## How the `block_list` loop decides each block
#
# The loop is the clever part. For stage `block_id` and block `layer_id` inside it:
#
# - the **first block of every stage but the first** gets `strides=2` — it halves height and
#   width — and `out_channels` has just been doubled, so the input can no longer be added as it
#   is: `residual_path=True`, the 1×1 projection shortcut;
# - **every other block** gets `strides=1` and `residual_path = (in_channels != out_channels)`;
# - after each stage, `out_channels *= 2`.
#
# Look at `self.in_channels = self.out_channels`: it runs after *every* block, so whenever the
# `else` branch runs the two are already equal, and that `residual_path=True` is never taken.
# (In the very first block both are `initial_filters`, 16.) The rule really is: *a projection
# exactly where a stage starts, except the first stage.*
#
# `helpers.models.resnet_block_plan` replays the loop and returns one row per block. For
# `block_list=[2, 2, 2]`:

# %%
plan = reference.resnet_block_plan([2, 2, 2])
print(f"{'stage':>5} {'block':>5} {'in':>4} {'out':>4} {'strides':>7}  residual_path")
for step in plan:
    print(f"{step['stage']:>5} {step['block']:>5} {step['in_channels']:>4} {step['channels']:>4} "
          f"{step['strides']:>7}  {step['residual_path']}")

# %% [markdown]
# Is that what the article's class really builds? Each `ResnetBlock` keeps its arguments as
# attributes, so we can read them back from a model's `blocks`:

# %%
article_model = ResNet([2, 2, 2], 10)
built = [(b.channels, b.strides, b.residual_path) for b in article_model.blocks.layers]
planned = [(step["channels"], step["strides"], step["residual_path"]) for step in plan]
assert built == planned
print("blocks in article_model.blocks:", len(article_model.blocks.layers))
print("the article's loop builds exactly the plan:", built == planned)

# %% [markdown]
# ## Following one image through the stages
#
# Now push one test image through the model's layers one at a time and watch its shape (the
# model has no weights until it has run once, so we first run it whole). Stride 1 with
# `padding='same'` keeps 28 × 28; each stride-2 block halves it (28 → 14 → 7) while the
# channels double (16 → 32 → 64). The pooling then keeps one number per channel, and `fc`
# gives 10 logits.

# %%
article_model(x_test[:1])  # running the model once creates its weights (more on this below)

x = article_model.conv_initial(x_test[:1])
print(f"{'input':<28} {x_test[:1].shape}")
print(f"{'conv_initial':<28} {tuple(x.shape)}")
for step, block in zip(plan, article_model.blocks.layers):
    x = block(x)
    print(f"{'stage ' + str(step['stage']) + ', block ' + str(step['block']):<28} {tuple(x.shape)}")
x = article_model.avg_pool(tf.nn.relu(article_model.final_bn(x)))
print(f"{'final_bn -> relu -> avg_pool':<28} {tuple(x.shape)}")
print(f"{'fc (logits)':<28} {tuple(article_model.fc(x).shape)}")

# %% [markdown]
# Halving the image while doubling the channels is a classic design choice: a 3×3 convolution
# costs height × width × c_in × c_out × 9 multiplications, and that is the same in every stage
# — 28·28·16·16·9 = 14·14·32·32·9 = 7·7·64·64·9 = 1,806,336 per image. Deeper stages see
# coarser, more abstract features, in more channels, at the same cost per layer.
#
# ## The article's `build()` + `summary()` under Keras 3
#
# The article ends with this `__main__` block, which we run as written. Keras answers with a
# `UserWarning`; we record it with `warnings.catch_warnings` and print its message in the next
# cell (shown the normal way, a warning also names a file on your machine).

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # The article's __main__ block, verbatim:
    model = ResNet([2, 2, 2], 10)
    model.build(input_shape=(None, 28, 28, 1))
    model.summary()

# %%
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}\n")
print("model.built:", model.built, "| weights:", len(model.weights),
      "| parameters:", model.count_params())

# %% [markdown]
# Every layer is `(unbuilt)`, every shape is `?`, and the total is 0. Notebook 03 explained
# why on a small model: `ResNet` defines no `build()`, so Keras 3 runs the default
# `Layer.build`, which only warns and sets `built = True`. It does not run `call`, and `call`
# is the only place that says what each layer receives. (The article's TensorFlow 2.0 traced
# `call` on a placeholder inside `build`, which is why it printed a full summary back then.)
# Worse, the model now *says* it is built. Three ways out follow.
#
# ### Fix 1: call the model on a batch
#
# Each layer creates its weights the first time it sees an input, so running one
# (1, 28, 28, 1) batch through `call` builds everything:

# %%
logits = model(keras.ops.zeros((1, 28, 28, 1)))
print("logits:", tuple(logits.shape), "| parameters:", f"{model.count_params():,}")
assert model.count_params() == 175_898
model.summary()

# %% [markdown]
# All **175,898** parameters are there: 174,874 trainable, and 1,024 non-trainable — the
# moving means and variances of the 15 BatchNormalization layers. Two things are still odd.
# The shapes start with `1`, the batch we happened to pass, not `None`; and the pooling layer
# shows `?`: a subclassed model keeps no record of how its layers connect, so `summary()`
# can only show the shape each layer was *built* with, and a layer without weights records
# none. The blocks hide inside `dynamic-blocks`, too.
#
# ### Fix 2: a model with a real `build()`
#
# `helpers.models.ResNet` is the article's class with a `build()` that builds each sublayer
# and passes the shape along with `compute_output_shape` (fix 2 of notebook 03). It creates
# the same layers in the same order, and `model.build(input_shape)` now does what the article
# expected — no warning, general `(None, …)` shapes:

# %%
built_resnet = reference.ResNet([2, 2, 2], 10)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    built_resnet.build(input_shape=(None, 28, 28, 1))
print("warnings:", len(caught), "| parameters:", f"{built_resnet.count_params():,}")
built_resnet.summary()

# %% [markdown]
# ### Fix 3: a Functional twin
#
# The clearest summary comes from the same network written with the Functional API (notebook
# 02): start from `keras.Input(shape=(28, 28, 1))` and call `conv_initial`, one `ResnetBlock`
# per row of the plan (named `stage0_block0`, …), `final_bn`, a ReLU, `avg_pool` and `fc` —
# the layers of the article's `call`, in the same order, so the weights line up with the
# subclassed model's. A Functional model is a graph that Keras builds as soon as it is
# defined, so every row has a real output shape — here are the stages, one block at a time:

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
# Same total, 175,898, and now the stage structure is visible: (None, 28, 28, 16) for stage 0,
# (None, 14, 14, 32) for stage 1, (None, 7, 7, 64) for stage 2. The parameters per block grow
# fourfold from stage to stage (the 3×3 kernels grow as c_in × c_out), so the last stage holds
# three quarters of the network.
#
# `summary(expand_nested=True)` opens each block and lists its own layers. They appear in the
# order `__init__` created them (conv1, bn1, conv2, bn2, then down_conv, down_bn) — not the
# order `call` runs them (bn1 runs first, on the block's input: note its shape in the
# stride-2 blocks).

# %%
twin.summary(expand_nested=True)

# %% [markdown]
# ### A picture of the twin
#
# `keras.utils.plot_model` draws a Functional model's graph (it needs the `pydot` package and
# Graphviz). We write the picture under `build/` and show it here. We ask for
# `expand_nested=True`, and yet each block stays one closed box: the blocks are *subclassed*
# models, Python code rather than graphs, so Keras cannot see inside them. That is the
# trade-off notebook 03 described, in one picture.

# %%
os.makedirs("build", exist_ok=True)
keras.utils.plot_model(twin, to_file="build/05_resnet_functional.png", show_shapes=True,
                       show_layer_names=True, expand_nested=True, dpi=60)

# %% [markdown]
# ## Three models, one network
#
# We now have three versions: the article's class (`article_model`, built when we walked an
# image through it), the reference class (`built_resnet`) and the Functional twin (`twin`).
# Their weights were drawn at random separately. If they really are the same network, their
# weight lists line up one for one, so we can copy the article model's weights into the other
# two (`set_weights` refuses lists that do not fit) and they must then give the same outputs
# — in inference mode (moving statistics) and in training mode (batch statistics).

# %%
built_resnet.set_weights(article_model.get_weights())
twin.set_weights(built_resnet.get_weights())
images = x_test[:64]
for training in (False, True):
    a = article_model(images, training=training).numpy()
    r = built_resnet(images, training=training).numpy()
    f = twin(images, training=training).numpy()
    same_ar = np.allclose(a, r, rtol=0, atol=1e-6)
    same_rf = np.allclose(r, f, rtol=0, atol=1e-6)
    assert same_ar and same_rf
    print(f"training={training!s:<5}  article == reference: {same_ar} | "
          f"reference == Functional twin: {same_rf} | logits {r.shape}")

# %% [markdown]
# Same outputs to 6 decimals on 64 test images, in both modes: the three are one network.
# From here on we use the reference `ResNet`, which (unlike the article's `conv3x3`) also
# lets us choose the kernel initializer.
#
# ## A first training run
#
# Training needs a validation set that is neither the training data nor the test set: we keep
# the last 1,000 training images aside. Then one function trains a fresh
# `reference.ResNet([2, 2, 2], 10)` with Adam and reports the validation accuracy every
# `STEPS_PER_EPOCH` = 10 batches of 128 images (so an "epoch" in the log is 10 steps here, not
# a full pass over the data; Keras carries on through the data, so no image repeats). It
# re-seeds before building and before fitting: runs with the same initializer start from the
# same weights and see the same batches in the same order.
#
# It has one knob that the article never touches: the **momentum** of every
# BatchNormalization layer, found by `batchnorm_layers` however deeply they are nested.
# Keras's default is 0.99. What it means comes right after the first run.

# %%
x_fit, y_fit = x_train[:-1000], y_train[:-1000]
x_val, y_val = x_train[-1000:], y_train[-1000:]
BATCH_SIZE, EPOCHS, STEPS_PER_EPOCH = 128, 8, cfg.pick(10, 25)
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


print("training images:", x_fit.shape[0], "| validation images:", x_val.shape[0])
print("steps per run:", TOTAL_STEPS, "| images per run:", TOTAL_STEPS * BATCH_SIZE)
print("BatchNormalization layers in the ResNet:", len(batchnorm_layers(built_resnet)))

# %% [markdown]
# ### Run 1: Keras's default momentum, 0.99
#
# The training log differs in its last digits from machine to machine, so nbval does not
# compare it; the cell after it checks what must hold.

# %%
# NBVAL_IGNORE_OUTPUT
model_099, history_099 = train_resnet(bn_momentum=0.99)
_, test_acc_099 = model_099.evaluate(x_test, y_test, verbose=0)
train_acc_099 = history_099.history["accuracy"][-1]
print(f"last training accuracy {train_acc_099:.3f} | test accuracy {test_acc_099:.3f}")

# %%
assert train_acc_099 > 0.6 and test_acc_099 < 0.3
print("training accuracy above 60%:", train_acc_099 > 0.6)
print("test accuracy below 30% (a guess scores 10%):", test_acc_099 < 0.3)

# %% [markdown]
# The log looks healthy — the loss falls, the training accuracy climbs — yet `val_accuracy`
# sits near 10 % and so does the test accuracy. That is the **BatchNormalization trap**. During
# training (`fit`, `training=True`) each BatchNormalization layer normalises with the mean and
# variance of the *current batch*. In `evaluate` and `predict` (`training=False`) it uses its
# **moving statistics** instead, running averages that every training step nudges:
# `moving = momentum × moving + (1 − momentum) × batch value`. They start at mean 0 and
# variance 1, and with momentum 0.99 they forget that start slowly:

# %%
for momentum in (0.99, 0.9):
    print(f"momentum {momentum}: after {TOTAL_STEPS} steps the starting values still make up "
          f"{momentum ** TOTAL_STEPS:.2%} of each moving average")

# %% [markdown]
# So after our short run the moving statistics are still largely made up, the 15
# BatchNormalization layers normalise with the wrong numbers one after another, and the
# network's answers at test time are nonsense — even though the weights are fine. In a long
# run (thousands of steps) 0.99 catches up and is a good choice; for short runs a smaller
# momentum lets the averages follow the last few dozen batches. (Keras's 0.9 is what PyTorch
# calls `momentum=0.1`: PyTorch counts the weight of the new batch.)
#
# ### Run 2: momentum 0.9
#
# Same weights at the start, same batches, only the momentum differs:

# %%
# NBVAL_IGNORE_OUTPUT
model_09, history_09 = train_resnet(bn_momentum=0.9)
_, test_acc_09 = model_09.evaluate(x_test, y_test, verbose=0)
train_acc_09 = history_09.history["accuracy"][-1]
print(f"last training accuracy {train_acc_09:.3f} | test accuracy {test_acc_09:.3f}")

# %%
same_training = np.allclose(history_09.history["loss"], history_099.history["loss"], atol=0.02)
assert same_training and test_acc_09 > 0.6
print("same training loss as run 1 at every epoch (within 0.02):", same_training)
print("test accuracy above 60%:", test_acc_09 > 0.6)

# %% [markdown]
# Momentum only changes what the layers *remember* for inference; training itself never reads
# the moving statistics. So both runs trained the same way, to the same weights — and only
# the second can use them at test time. One picture tells the story. Look closely at the
# momentum-0.9 curve too: even it stays near chance for the first few dozen steps. The section
# on initialisation below explains why.

# %%
steps = STEPS_PER_EPOCH * np.arange(1, EPOCHS + 1)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(steps, history_099.history["accuracy"], "o-", label="training (both runs)")
ax.plot(steps, history_099.history["val_accuracy"], "s--", label="validation, momentum 0.99")
ax.plot(steps, history_09.history["val_accuracy"], "^--", label="validation, momentum 0.9")
ax.axhline(0.1, color="gray", linewidth=0.8, linestyle=":")
ax.set_xlabel("training steps")
ax.set_ylabel("accuracy")
ax.set_title("Same weights, different moving statistics")
ax.set_ylim(0, 1)
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# The trap deserves more than one run: [notebook 06](06_training.ipynb) proves that the
# weights are fine by evaluating with batch statistics, re-estimates the moving statistics of
# a trained model without training it further, and builds a full training recipe around
# momentum 0.9.
#
# ## The article's initializer versus He initialisation
#
# The article's `conv3x3` draws every kernel from N(0, 0.05²), whatever the layer's size.
# A convolution's output adds up *fan_in* = kernel height × kernel width × input channels
# products, so its variance is about fan_in × σ² × (the mean square of its inputs). **He
# initialisation** (He et al., 2015) picks σ = √(2 / fan_in): the 2 makes up for the ReLU
# that zeroes half of each layer's inputs, so the signal keeps its scale from layer to layer.
# Keras calls it `"he_normal"`. Compare the two for the convolutions of our ResNet; the last
# column is how much each convolution scales its signal with the article's weights, relative
# to He's:

# %%
convolutions = [("conv_initial, 3x3 on 1 channel", 9),
                ("3x3 on 16 channels", 3 * 3 * 16),
                ("3x3 on 32 channels", 3 * 3 * 32),
                ("3x3 on 64 channels", 3 * 3 * 64),
                ("1x1 projection on 16 channels", 16),
                ("1x1 projection on 32 channels", 32)]
print(f"{'convolution':<32}{'fan_in':>7}{'article':>9}{'He':>8}{'article / He':>14}")
for name, fan_in in convolutions:
    he = (2 / fan_in) ** 0.5
    print(f"{name:<32}{fan_in:>7}{0.05:>9.3f}{he:>8.3f}{0.05 / he:>14.2f}")

# %% [markdown]
# The article's weights are about right for the 64-channel layers and ten times too small for
# the first convolution. What does that do to the signal? We measure the standard deviation of
# the activations after `conv_initial` and after each block, at initialisation, for both
# initializers, on a fixed batch of 256 training images. The Functional twin makes this easy
# (notebook 02): a second model with the same input and the intermediate outputs.
# `helpers.models.build_functional_resnet` builds the same twin as above, for any `block_list`
# and kernel initializer. We look in both modes:
#
# - `training=True`, what `fit` sees: every BatchNormalization standardises with the batch;
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
he_larger = all(np.all(stds[("he_normal", t)] > stds[(None, t)]) for t in (True, False))
shrinks = stds[(None, False)][-1] < stds[(None, False)][0] / 2
assert he_larger and shrinks and stds[("he_normal", False)][-1] > 0.3
print("He's activations are larger after every layer, in both modes:", he_larger)
print("article, training=False: the signal shrinks through the stages:", shrinks)
print("He, training=False: the signal keeps a scale near 1:", stds[("he_normal", False)][-1] > 0.3)

# %% [markdown]
# **Reading the table.** With the article's weights, `conv_initial` outputs a signal with a
# standard deviation of about 0.06 — ten times less than He's. In inference mode, where
# BatchNormalization does not rescale anything yet, that small signal travels on: within a
# stage the shortcut carries it and the branches add little, and each stride-2 block, whose
# 1×1 projection has weights 5 to 7 times smaller than He's, cuts it again (0.06 → 0.03 →
# 0.01). He's weights keep it between about 0.6 and 1.4 all the way, which is what they were
# designed for. In training mode BatchNormalization standardises the input of every
# convolution in the branches, so both networks produce sizeable activations; the article's
# just starts from a much weaker shortcut stream, so at first each block's output is almost
# all branch.
#
# Two predictions. First, BatchNormalization makes the network forgiving of the weight scale,
# so the *training* curves should be close. Second, the moving statistics start at variance
# 1, and the article's first activations have a variance of about 0.06² ≈ 0.004, 250 times
# less; He's about 0.57² ≈ 0.32. A moving average with momentum 0.9 forgets its start as
# 0.9ⁿ, so for the first BatchNormalization layer a rough count of the steps before the
# leftover start drops below the real variance is:

# %%
for init, name in ((None, "article"), ("he_normal", "He")):
    variance = round(stds[(init, True)][0], 2) ** 2
    steps_needed = int(np.ceil(np.log(variance) / np.log(0.9)))
    print(f"{name:<8} variance after conv_initial {variance:.4f}: 0.9^n < {variance:.4f} "
          f"once n >= {steps_needed}")

# %% [markdown]
# Until then, inference-mode BatchNormalization divides by a variance that is far too large.
# (The weights change during training too, so this is only a rough count.)
#
# ### Run 3: He initialisation
#
# The same run as run 2 (momentum 0.9, same batches), with `kernel_initializer="he_normal"`
# for every convolution:

# %%
# NBVAL_IGNORE_OUTPUT
model_he, history_he = train_resnet(bn_momentum=0.9, kernel_initializer="he_normal")
_, test_acc_he = model_he.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: article's initializer {test_acc_09:.3f} | He {test_acc_he:.3f}")
print(f"last training loss: article's initializer {history_09.history['loss'][-1]:.3f} | "
      f"He {history_he.history['loss'][-1]:.3f}")

# %%
loss_gap = abs(history_he.history["loss"][-1] - history_09.history["loss"][-1])
early = steps <= 40  # the first 40 training steps
val_early_article = np.mean(np.array(history_09.history["val_accuracy"])[early])
val_early_he = np.mean(np.array(history_he.history["val_accuracy"])[early])
assert test_acc_he > 0.6 and loss_gap < 0.15 and val_early_he > val_early_article + 0.2
print("He initialisation: test accuracy above 60%:", test_acc_he > 0.6)
print("final training losses of the two initializers within 0.15:", loss_gap < 0.15)
print("validation accuracy in the first 40 steps, He above article's by over 20 points:",
      val_early_he > val_early_article + 0.2)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for history, label, style in ((history_09, "article: N(0, 0.05²)", "o-"),
                              (history_he, "He: he_normal", "s-")):
    axes[0].plot(steps, history.history["loss"], style, label=label)
    axes[1].plot(steps, history.history["val_accuracy"], style, label=label)
axes[0].set_ylabel("training loss")
axes[1].set_ylabel("validation accuracy")
for ax in axes:
    ax.set_xlabel("training steps")
    ax.grid(alpha=0.3)
    ax.legend()
fig.suptitle("Same run, two initializers (BatchNormalization momentum 0.9)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Both predictions hold. The **training** losses are almost the same: in training mode
# BatchNormalization rescues the article's small weights. The **validation** accuracy — the
# model in inference mode, with moving statistics — tells them apart: with He's weights it is
# useful after a couple of dozen steps, while with the article's it stays near chance for
# about 50, until the moving variances have come down from 1 to the tiny real ones. At the
# end of our run both have caught up.
#
# So He initialisation is the better default: it is what the ResNet papers use, it keeps the
# signal's scale where nothing else does (in inference mode before the statistics have caught
# up, and in networks without BatchNormalization, like the deep plain stacks of notebook 04),
# and it costs nothing. Notebook 06 trains with it.
#
# ## Recap
#
# - The article's `ResNet` is `conv_initial` → stages of `ResnetBlock`s in a `Sequential` →
#   BN → ReLU → global average pooling → `Dense` logits (use `from_logits=True`).
# - The `block_list` loop gives the first block of every stage after the first `strides=2`
#   and a 1×1 projection shortcut, and doubles the channels per stage; its other
#   `residual_path` branch is never taken. `[2, 2, 2]` on 28 × 28 × 1 goes
#   28×28×16 → 14×14×32 → 7×7×64 → 10 logits.
# - Under Keras 3 the article's `model.build(...)` + `summary()` shows 0 parameters and warns:
#   the default `build()` does not run `call`. Call the model on a batch, give it a real
#   `build()` (the reference `ResNet`), or use the Functional twin: **175,898 parameters**.
# - A subclassed model, the reference model and the Functional twin are proven the same by
#   copying weights and comparing outputs; `plot_model` draws the twin, but subclassed blocks
#   stay closed boxes.
# - After a short run with BatchNormalization's default momentum 0.99, training looks good
#   while evaluation is at chance: the moving statistics lag. Momentum 0.9 fixes short runs;
#   the training itself is identical.
# - The article's N(0, 0.05²) kernels shrink the signal (10× at the first convolution); He
#   initialisation keeps its scale. BatchNormalization hides the difference in training, but
#   in inference mode the article's tiny activations make the moving statistics lag longer.
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
