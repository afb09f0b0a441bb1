# %% [markdown]
# # 04 · The ResnetBlock
#
# [Notebook 03](03_subclassing.ipynb) showed how to write a model as a Python class: create
# the layers in `__init__`, say what happens to the data in `call`. The source article uses
# exactly that to build a ResNet, and its building block, `ResnetBlock`, is the subject of
# this notebook. [Notebook 05](05_resnet.ipynb) stacks these blocks into the article's full
# `ResNet`.
#
# **What you will learn**
#
# - why very deep *plain* stacks of layers are hard to train, and how a *residual* (skip)
#   connection, output = F(x) + x, helps;
# - what the *pre-activation* order BN → ReLU → conv is and why it keeps the shortcut clean;
# - the article's `conv3x3` and `ResnetBlock`, line by line, and that `helpers.models.ResnetBlock`
#   is the same block;
# - how shapes flow through a block, when the shortcut needs a 1×1 *projection* (and what
#   happens when it is missing), and how to count a block's parameters by hand;
# - how BatchNormalization behaves with `training=True` and `training=False`;
# - an experiment you can see: the gradients of a deep plain stack versus a residual stack.

# %% [markdown]
# ## Set-up
#
# As in every notebook: quiet TensorFlow start-up, seeds, versions and the profile.

# %%
import helpers

cfg = helpers.setup()

# %% [markdown]
# This notebook is about the article's code, which calls TensorFlow directly (`tf.nn.relu`,
# `tf.random_normal_initializer`), so we import `tensorflow` as well as `keras`.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import helpers.models
from helpers.data import load_fashion_mnist
from helpers.runtime import seed_everything

# %% [markdown]
# ## Why residual connections?
#
# **Deeper should be better — but plain stacks get worse.** In 2015 He, Zhang, Ren and Sun
# ("Deep Residual Learning for Image Recognition") trained plain convolutional stacks of 20
# and 56 layers on CIFAR-10. The 56-layer network had a *higher training error* than the
# 20-layer one. That is not overfitting (the training error itself is worse); it is the
# **degradation problem** (退化问题): the optimizer cannot find good weights for a very deep
# stack, even though one exists (copy the 20 layers and make the other 36 do nothing).
#
# **Residual learning.** "Do nothing" — the identity — is surprisingly hard for a stack of
# convolutions and ReLUs to learn. So give it for free: let a block compute a *residual*
# (残差) $F(x)$ and output
#
# $$y = F(x) + x .$$
#
# The `+ x` is the **identity shortcut** (恒等映射 / 捷径连接), also called a skip connection.
# If the block has nothing useful to add, its weights only need to push $F(x)$ towards 0,
# which is easy.
#
# **Pre-activation** (预激活). In the 2015 block the order was conv → BN → ReLU, and a last
# ReLU came *after* the addition, so the shortcut signal was clipped at every block. A year later
# ("Identity Mappings in Deep Residual Networks", He et al. 2016) the same authors moved
# BatchNormalization and ReLU *before* each convolution: BN → ReLU → conv, twice, then add.
# Nothing touches $x$ on its way along the shortcut, so after many blocks
#
# $$x_L = x_l + \sum_{i=l}^{L-1} F(x_i), \qquad
#   \frac{\partial \mathcal{L}}{\partial x_l} = \frac{\partial \mathcal{L}}{\partial x_L}
#   \Big(1 + \frac{\partial}{\partial x_l} \sum_{i=l}^{L-1} F(x_i)\Big).$$
#
# The **1** in the bracket means that the gradient of the loss reaches every earlier block
# directly, whatever the blocks in between do. In a plain stack the gradient is instead a
# *product* of one factor per layer, and a product of 40 factors easily shrinks to nothing
# or blows up. We will measure this at the end of the notebook.
#
# ```
#         x ───────────────────────────────────────────┐  identity shortcut
#         │                                            │
#         └─► BN ─► ReLU ─► conv3x3 ─► BN ─► ReLU ─► conv3x3 ─► (+) ─► F(x) + x
# ```

# %% [markdown]
# ## The article's `conv3x3`
#
# The article introduces its ResNet with: 通过对 `tf.keras.Model` 进行子类化并定义自己的前向传播来构建完全可自定义的模型
# — "build a fully customisable model by subclassing `tf.keras.Model` and defining your own
# forward pass" — and 下面给出典型的ResNet网络代码 — "below is typical ResNet code".
# Its first piece is a small factory for the convolutions every block uses:

# %%
def conv3x3(channels, stride=1, kernel=(3, 3)):
    return keras.layers.Conv2D(channels, kernel, strides=stride, padding='same',
                               use_bias=False,
                               kernel_initializer=tf.random_normal_initializer())


# %% [markdown]
# Line by line:
#
# - `Conv2D(channels, kernel, ...)` — `channels` filters, each 3×3 by default (`kernel=(1, 1)`
#   gives the 1×1 convolution the shortcut needs later, the *projection shortcut*, 投影捷径).
# - `strides=stride` — 1 keeps height and width; 2 halves them.
# - `padding='same'` — pad the border so that, with stride 1, the output is as large as the
#   input (with stride 2: half as large, rounded up).
# - `use_bias=False` — no bias. In this network each convolution's output goes into a
#   BatchNormalization, which subtracts the mean anyway and has its own offset (`beta`), so a
#   bias would be wasted parameters.
# - `kernel_initializer=tf.random_normal_initializer()` — the starting weights are drawn from a
#   normal distribution; with no arguments its mean is 0 and its standard deviation 0.05:

# %%
conv = conv3x3(16)
print(type(conv).__name__, "| filters:", conv.filters, "| kernel size:", conv.kernel_size,
      "| strides:", conv.strides, "| padding:", conv.padding, "| bias:", conv.use_bias)
print("initializer:", conv.kernel_initializer.get_config())

# %% [markdown]
# A fixed standard deviation of 0.05 ignores how many inputs a filter has; notebook 05
# compares it with He initialisation, which scales it by the layer's size.
#
# ## The article's `ResnetBlock`
#
# The article's recipe for a subclassed model is the one from notebook 03:
# 在 `__init__` 方法中创建层并将它们设置为类实例的属性 — "create the layers in `__init__` and set
# them as attributes of the instance" — and 在 `call` 方法中定义前向传播 — "define the forward
# pass in `call`" (the series' [glossary](../GLOSSARY.md) lists the article's key sentences and
# terms in both languages). Here is its block (残差块, residual block), exactly as the article
# has it:

# %%
class ResnetBlock(keras.Model):

    def __init__(self, channels, strides=1, residual_path=False):
        super().__init__()

        self.channels = channels
        self.strides = strides
        self.residual_path = residual_path

        self.conv1 = conv3x3(channels, strides)
        self.bn1 = keras.layers.BatchNormalization()
        self.conv2 = conv3x3(channels)
        self.bn2 = keras.layers.BatchNormalization()

        if residual_path:
            self.down_conv = conv3x3(channels, strides, kernel=(1, 1))
            self.down_bn = tf.keras.layers.BatchNormalization()

    def call(self, inputs, training=None):
        residual = inputs

        x = self.bn1(inputs, training=training)
        x = tf.nn.relu(x)
        x = self.conv1(x)
        x = self.bn2(x, training=training)
        x = tf.nn.relu(x)
        x = self.conv2(x)

        if self.residual_path:
            residual = self.down_bn(inputs, training=training)
            residual = tf.nn.relu(residual)
            residual = self.down_conv(residual)

        x = x + residual
        return x


# %% [markdown]
# **`__init__`** creates the layers and remembers the arguments:
#
# - `channels` — how many channels (feature maps) the block outputs;
# - `strides` — 1 keeps the image size, 2 halves it (only `conv1` and the shortcut's
#   `down_conv` get it; `conv2` always uses stride 1);
# - `residual_path` — whether the shortcut needs its own layers (a *projection*) because the
#   input cannot be added to the output as it is;
# - `conv1`, `bn1`, `conv2`, `bn2` — the two BN → ReLU → conv steps of the residual branch $F$;
# - `down_conv`, `down_bn` — only with `residual_path=True`: BN → ReLU → a **1×1** convolution
#   with the same stride, which turns the input into the output's shape.
#
# **`call`** is the forward pass:
#
# - `residual = inputs` — keep the input for the shortcut;
# - `bn1` → `tf.nn.relu` → `conv1` → `bn2` → `tf.nn.relu` → `conv2` — the branch, in
#   pre-activation order; `training=training` is passed on to every BatchNormalization
#   (more on that below);
# - with a residual path, the shortcut becomes `down_conv(relu(down_bn(inputs)))`;
# - `x = x + residual` — the addition, $F(x) + x$. Nothing follows it: no ReLU after the sum.
#
# Two details. The article writes `tf.keras.layers.BatchNormalization` once and
# `keras.layers.BatchNormalization` elsewhere; under TensorFlow 2.21, `tf.keras` *is* Keras 3,
# so they are the same class. And in the paper's code the projection reuses the output of
# `bn1`/ReLU, while the article gives the shortcut its own `down_bn`; the idea is the same.

# %%
print("tf.keras.layers.BatchNormalization is keras.layers.BatchNormalization:",
      tf.keras.layers.BatchNormalization is keras.layers.BatchNormalization)

# %% [markdown]
# Like most subclassed models, the block has no weights until it first sees data: it does not
# know yet how many channels its input has. Calling it on a batch builds it.

# %%
x16 = np.random.default_rng(0).normal(size=(8, 28, 28, 16)).astype("float32")

block = ResnetBlock(16)
print("built before the first call:", block.built)
y = block(x16)
print("built after the first call: ", block.built)
print("input", x16.shape, "-> output", tuple(y.shape))

# %% [markdown]
# ## Shapes through a block
#
# ### Stride 1, identity shortcut
#
# With `strides=1` and as many output channels as input channels, every step of the branch
# keeps the shape (8 images, 28 × 28, 16 channels), so `F(x)` and `x` can be added. We run
# the block's own layers one at a time to see it:

# %%
def show(step, tensor):
    print(f"{step:<36} {tuple(tensor.shape)}")


show("input x", x16)
h = block.bn1(x16)
show("bn1 -> relu", tf.nn.relu(h))
h = block.conv1(tf.nn.relu(h))
show("conv1 (3x3, stride 1, 16 filters)", h)
h = block.conv2(tf.nn.relu(block.bn2(h)))
show("bn2 -> relu -> conv2 = F(x)", h)
show("F(x) + x", h + x16)

# %% [markdown]
# ### Stride 2 with a 1×1 projection shortcut
#
# Between stages a ResNet halves the image and doubles the channels. Here `conv1` has
# stride 2 and 32 filters, so the branch outputs (8, 14, 14, 32) while the input is
# (8, 28, 28, 16): `x` no longer fits. With `residual_path=True` the shortcut is a 1×1
# convolution with the same stride and 32 filters, which maps the input to (8, 14, 14, 32).

# %%
down_block = ResnetBlock(32, strides=2, residual_path=True)
y = down_block(x16)

show("input x", x16)
h = down_block.conv1(tf.nn.relu(down_block.bn1(x16)))
show("branch: conv1 (3x3, stride 2, 32)", h)
h = down_block.conv2(tf.nn.relu(down_block.bn2(h)))
show("branch: conv2 (3x3, stride 1, 32)", h)
s = down_block.down_conv(tf.nn.relu(down_block.down_bn(x16)))
show("shortcut: down_conv (1x1, stride 2)", s)
show("output = branch + shortcut", y)

# %% [markdown]
# ### Without the projection: the real error
#
# What if we ask for stride 2 and 32 channels but forget `residual_path=True`? The article's
# block builds happily and computes the branch; then `x + residual` tries to add a
# (1, 14, 14, 32) tensor to a (1, 28, 28, 16) one:

# %%
# NBVAL_RAISES_EXCEPTION
ResnetBlock(32, strides=2)(x16[:1])

# %% [markdown]
# TensorFlow's `AddV2` operation refuses *incompatible shapes*, and Keras tells us in which
# `call` and with which arguments it happened. The error is right, but it comes late and it
# does not say what to do. `helpers.models.ResnetBlock` (the version later notebooks use)
# checks the shapes when the block is built and says how to fix it:

# %%
# NBVAL_RAISES_EXCEPTION
helpers.models.ResnetBlock(32, strides=2, name="no_projection")(x16[:1])

# %% [markdown]
# The rule: the identity shortcut works only when the block keeps both the image size
# (`strides=1`) and the channel count; otherwise use `residual_path=True`. Notebook 05 shows
# how the article's `ResNet` follows that rule when it stacks blocks.
#
# ## Counting parameters by hand
#
# Every weight of a block is in a convolution or a BatchNormalization:
#
# - a convolution with a k × k kernel, `c_in` input and `c_out` output channels and no bias has
#   **k · k · c_in · c_out** weights;
# - a BatchNormalization over `c` channels has **4 · c**: `gamma` (scale) and `beta` (offset)
#   are learned — *trainable* — while `moving_mean` and `moving_variance` are running averages
#   updated during training, not by the optimizer — *non-trainable*.
#
# Careful with the channel counts: `bn1` and `down_bn` see the block's *input* (`c_in`
# channels), `bn2` sees `conv1`'s output (`channels`).

# %%
def params_by_hand(c_in, channels, residual_path=False):
    """(total, trainable, non-trainable) parameters of ResnetBlock(channels, ...) on c_in channels."""
    conv_weights = 3 * 3 * c_in * channels + 3 * 3 * channels * channels  # conv1, conv2
    bn_channels = [c_in, channels]                                         # bn1, bn2
    if residual_path:
        conv_weights += 1 * 1 * c_in * channels                           # down_conv
        bn_channels.append(c_in)                                           # down_bn
    trainable = conv_weights + sum(2 * c for c in bn_channels)            # + gamma, beta
    non_trainable = sum(2 * c for c in bn_channels)                       # moving mean, variance
    return trainable + non_trainable, trainable, non_trainable


def count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


cases = [("ResnetBlock(16)", 16, block),
         ("ResnetBlock(32, 2, residual_path=True)", 16, down_block)]
print(f"{'block':<40}{'c_in':>5}{'by hand':>10}{'Keras':>10}{'trainable':>11}{'non-train.':>11}")
for name, c_in, b in cases:
    total, trainable, non_trainable = params_by_hand(c_in, b.channels, b.residual_path)
    assert (total, trainable, non_trainable) == (
        b.count_params(), count(b.trainable_weights), count(b.non_trainable_weights))
    print(f"{name:<40}{c_in:>5}{total:>10,}{b.count_params():>10,}{trainable:>11,}{non_trainable:>11,}")

# %% [markdown]
# The hand counts match Keras exactly. For the identity block: two 3×3 convolutions of
# 16 → 16 channels (2 × 2,304) plus two BatchNormalizations of 16 channels (2 × 64). For the
# downsampling block, the projection costs only 16 · 32 = 512 weights for `down_conv` plus 64
# for `down_bn`; most of the parameters are in the 3×3 convolutions. `summary()` shows the
# same numbers layer by layer (in the order the layers were created, not the order `call`
# runs them; the output shapes are from the last call):

# %%
down_block.summary()

# %% [markdown]
# ## `helpers.models.ResnetBlock` is the same block
#
# From notebook 05 on we import the block from `helpers.models` instead of copying it. That
# version uses only `keras` (`keras.ops.relu` instead of `tf.nn.relu`,
# `keras.initializers.RandomNormal(stddev=0.05)`), adds `build()`, checks its arguments and can
# be saved. It creates the same layers in the same order, so its weights line up one for one
# with the article's block. The random starting values differ, so we copy the article block's
# weights across and compare outputs, in inference and in training mode.

# %%
ours = helpers.models.ResnetBlock(32, strides=2, residual_path=True)
ours(x16)   # build it

same_layout = ([(tuple(w.shape), w.trainable) for w in ours.weights]
               == [(tuple(w.shape), w.trainable) for w in down_block.weights])
print("same weights, same shapes, same order:", same_layout, f"({len(ours.weights)} arrays)")

ours.set_weights(down_block.get_weights())
for training in (False, True):
    same = np.array_equal(ours(x16, training=training), down_block(x16, training=training))
    print(f"identical outputs with training={training}:", same)
print("identical weights afterwards (moving statistics included):",
      all(np.array_equal(a, b) for a, b in zip(ours.get_weights(), down_block.get_weights())))

# %% [markdown]
# ## BatchNormalization: training versus inference
#
# Notebook 03 showed this on a lone BatchNormalization layer; here it is inside the block.
# BatchNormalization standardises each channel, then scales and shifts it by `gamma` and
# `beta`. *Which* mean and variance it uses depends on the `training` flag that the block's
# `call` passes on:
#
# - `training=True` (what `fit` uses): the mean and variance of the **current batch**; and it
#   nudges its running averages towards them:
#   `moving_mean = 0.99 · moving_mean + 0.01 · batch_mean` (likewise for the variance);
# - `training=False` (what `evaluate` and `predict` use): the **running averages**, and
#   nothing is updated.
#
# A fresh block has `moving_mean = 0` and `moving_variance = 1`. We feed it a fixed batch whose
# four channels have a mean of about 3 and a variance of about 4, so we can predict what
# `bn1` (which sees the block's input) should record.

# %%
def rounded(values, decimals=3):
    return [round(float(v), decimals) for v in np.asarray(values)]


seed_everything(cfg.seed)
bn_block = ResnetBlock(4)
batch = (3 + 2 * np.random.default_rng(1).normal(size=(16, 8, 8, 4))).astype("float32")
print("batch mean per channel:    ", rounded(batch.mean(axis=(0, 1, 2)), 2))
print("batch variance per channel:", rounded(batch.var(axis=(0, 1, 2)), 2))

inference_out = bn_block(batch, training=False)
print("after training=False: moving_mean", rounded(bn_block.bn1.moving_mean),
      "moving_variance", rounded(bn_block.bn1.moving_variance))

# %% [markdown]
# In inference mode nothing changed: the running averages are still 0 and 1. Now the same
# batch in training mode:

# %%
bn2_before = bn_block.bn2.moving_mean.numpy().copy()
training_out = bn_block(batch, training=True)
print("after training=True:  moving_mean", rounded(bn_block.bn1.moving_mean),
      "moving_variance", rounded(bn_block.bn1.moving_variance))
print("bn2's moving mean changed too:", not np.allclose(bn2_before, bn_block.bn2.moving_mean.numpy()))
print("same input, same weights, same output in both modes?",
      np.allclose(inference_out, training_out, atol=1e-3))

# %% [markdown]
# One training-mode call moved each running mean 1 % of the way from 0 towards the batch
# mean (0.01 × 3 ≈ 0.03) and each running variance 1 % of the way from 1 towards 4
# (0.99 + 0.01 × 4 ≈ 1.03). The outputs differ because training mode standardised with the
# batch's own statistics (mean 3, variance 4), inference mode with the running ones (0 and 1).
#
# What if you pass nothing? `training=None` is the default, and a Keras layer called outside
# `fit` then runs in inference mode:

# %%
print("block(batch) == block(batch, training=False):",
      np.array_equal(bn_block(batch), bn_block(batch, training=False)))

# %% [markdown]
# That is why `call` passes `training=training` to every BatchNormalization: `fit` sets it to
# `True`, `evaluate` and `predict` to `False`, and the block forwards it. The running averages
# take many steps to catch up with the data — after one step they are at 0.03, not 3 — and a
# model evaluated too early is evaluated with the wrong statistics. Notebooks 05 and 06 meet
# that trap in a real training run.
#
# ## An experiment: gradients in a deep plain stack and a residual stack
#
# Now the claim from the start: a shortcut lets the gradient reach early layers intact. We
# build two stacks of the **same 20 blocks** (40 convolutions, 8 channels), one from
# `ResnetBlock`, one from a `PlainBlock` that has exactly the same layers but returns $F(x)$
# instead of $F(x) + x$. We give both stacks the same starting weights, push one fixed batch of
# 64 Fashion-MNIST images through, and ask `tf.GradientTape` for the gradient of the loss with
# respect to every block's kernels. Nothing is trained: this is the picture at initialisation,
# the moment the optimizer takes its first step.

# %%
(x_train, y_train), _ = load_fashion_mnist()
images = (x_train[:64].astype("float32") / 255.0)[..., None]   # (64, 28, 28, 1), values 0..1
labels = y_train[:64]
print("images", images.shape, "| labels", labels.shape)


class PlainBlock(ResnetBlock):
    """ResnetBlock's layers without the shortcut: returns F(x), not F(x) + x."""

    def call(self, inputs, training=None):
        x = self.bn1(inputs, training=training)
        x = tf.nn.relu(x)
        x = self.conv1(x)
        x = self.bn2(x, training=training)
        x = tf.nn.relu(x)
        x = self.conv2(x)
        return x


# %% [markdown]
# Each stack is a first convolution (1 → 8 channels), the 20 blocks, and a small head like the
# article's `ResNet`: BatchNormalization → ReLU → global average pooling → a `Dense` layer
# giving 10 logits. The layers create their weights on the first call, so `make_stack` seeds
# the random generators and then calls the new stack once: both stacks get identical weights,
# and the shortcut is the *only* difference.

# %%
DEPTH, CHANNELS = 20, 8
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def forward(stack, x, training):
    """Logits of a stack: stem, blocks, final BN -> ReLU, pooling, Dense."""
    h = stack["stem"](x)
    for b in stack["blocks"]:
        h = b(h, training=training)
    h = tf.nn.relu(stack["final_bn"](h, training=training))
    return stack["fc"](stack["pool"](h))


def make_stack(block_class):
    seed_everything(cfg.seed)
    stack = {"stem": conv3x3(CHANNELS),
             "blocks": [block_class(CHANNELS) for _ in range(DEPTH)],
             "final_bn": keras.layers.BatchNormalization(),
             "pool": keras.layers.GlobalAveragePooling2D(),
             "fc": keras.layers.Dense(10)}
    forward(stack, images[:1], training=False)   # the first call creates the weights
    return stack


def gradient_norms(stack, training=True):
    """Norm of the loss's gradient with respect to each block's two conv kernels."""
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, forward(stack, images, training))
    kernels = [[b.conv1.kernel, b.conv2.kernel] for b in stack["blocks"]]
    grads = tape.gradient(loss, kernels)
    return np.array([float(tf.linalg.global_norm(g)) for g in grads])


plain, residual = make_stack(PlainBlock), make_stack(ResnetBlock)
print("both stacks start from identical weights:",
      all(np.array_equal(a, b) for p, r in zip(plain["blocks"], residual["blocks"])
          for a, b in zip(p.get_weights(), r.get_weights())))
plain_norms = gradient_norms(plain)
residual_norms = gradient_norms(residual)
print("one gradient norm per block:", plain_norms.shape, residual_norms.shape)

# %% [markdown]
# Here are the gradient norms, block by block, first block (nearest the image) first. These
# are raw floating-point results, which can differ in the last digits between machines, so
# nbval does not compare this cell; the next one checks what must hold.

# %%
# NBVAL_IGNORE_OUTPUT
for i in range(0, DEPTH, 4):
    print(f"block {i:>2}: plain {plain_norms[i]:9.3g}   residual {residual_norms[i]:9.3g}")
print(f"block {DEPTH - 1:>2}: plain {plain_norms[-1]:9.3g}   residual {residual_norms[-1]:9.3g}")

# %%
plain_spread = plain_norms.max() / plain_norms.min()
residual_spread = residual_norms.max() / residual_norms.min()
assert plain_norms[0] > 30 * plain_norms[-1], "plain: the first block's gradient should dwarf the last's"
assert plain_spread > 100 and residual_spread < 50 and plain_spread > 10 * residual_spread
print("plain stack: first block's gradient > 30 x the last block's:", plain_norms[0] > 30 * plain_norms[-1])
print("plain stack: largest / smallest gradient > 100:", plain_spread > 100)
print("residual stack: largest / smallest gradient < 50:", residual_spread < 50)

# %% [markdown]
# The same numbers as a picture, on a logarithmic scale (each labelled step up the axis is
# 10 times the one below):

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.semilogy(range(DEPTH), plain_norms, "o-", label="plain stack: F(x)")
ax.semilogy(range(DEPTH), residual_norms, "s-", label="residual stack: F(x) + x")
ax.set_xlabel("block (0 = nearest the input)")
ax.set_ylabel("gradient norm of the block's kernels")
ax.set_title(f"Gradients at initialisation, {DEPTH} blocks, training mode")
ax.set_xticks(range(0, DEPTH, 2))
ax.grid(alpha=0.3, which="both")
ax.legend()
plt.show()

# %% [markdown]
# **What happened.** In the plain stack the gradient is multiplied by one factor per layer on
# its way back from the loss. With BatchNormalization in training mode those factors are a
# little larger than 1 on average, so the gradient *grows* towards the input: the first block
# gets gradients hundreds of times larger than the last. No single learning rate suits both
# ends — a step that suits the last blocks is huge for the first ones. In the residual stack
# each block adds its branch to an identity path, the "1 +" of the formula above, so the
# gradients stay within a much narrower band (here a factor of about 15 instead of several
# hundred) from the first block to the last.
#
# Products can also go the other way. Run both stacks in inference mode, where at
# initialisation BatchNormalization does almost nothing (running mean 0, variance 1): now
# nothing rescales the signal, every 3×3 convolution with the article's small initial weights
# shrinks it, and after 40 of them the plain stack's signal and gradients have *vanished* —
# below what a 32-bit float can hold. The residual stack still carries the image forward
# through its shortcuts, and its gradients survive.

# %%
# Fresh stacks: the training-mode calls above have already nudged the running averages.
plain_inference = gradient_norms(make_stack(PlainBlock), training=False)
residual_inference = gradient_norms(make_stack(ResnetBlock), training=False)
print("plain stack, every block's gradient below 1e-12 (vanished):", bool(np.all(plain_inference < 1e-12)))
print("residual stack, every block's gradient above 1e-5:", bool(np.all(residual_inference > 1e-5)))

# %% [markdown]
# Exploding or vanishing depends on the details (initialisation, normalisation); a deep plain
# stack suffers from one or the other, and the identity shortcut cures both. That is what
# makes networks of a hundred layers and more trainable. (Try it: set `DEPTH = 40`, or 4, and
# run the experiment again. How do the two spreads change with depth?)
#
# ## Recap
#
# - Deep plain stacks are hard to optimise (the degradation problem): their gradients are a
#   product of one factor per layer and vanish or explode.
# - A residual block outputs $F(x) + x$; the identity shortcut carries the signal and the
#   gradient past the block unchanged.
# - Pre-activation (BN → ReLU → conv, He et al. 2016) keeps the shortcut a pure identity: no
#   ReLU after the addition.
# - The article's `conv3x3` is a bias-free `Conv2D` with `padding='same'` and
#   N(0, 0.05²) starting weights; its `ResnetBlock` is two BN → ReLU → conv steps plus a
#   shortcut, which is a 1×1 BN → ReLU → conv projection when `residual_path=True`.
# - Without a projection, the input must already have the block's channel count and the
#   block must keep the image size (`strides=1`); otherwise the addition fails.
# - Parameters: k · k · c_in · c_out per convolution; 4 per channel per BatchNormalization,
#   2 trainable (`gamma`, `beta`) and 2 not (`moving_mean`, `moving_variance`).
# - `training=True` normalises with the batch and updates the running averages;
#   `training=False` (and the default `None` outside `fit`) uses them and changes nothing.
# - `helpers.models.ResnetBlock` is the same block; later notebooks import it from there.
#
# ## Exercises
#
# Write your answer in the cell marked `# EXERCISE`, run it, then run the checker cell below
# it: the checker builds your block on small inputs and tells you what is right or what is
# missing (✅ or ❌ with a hint). Worked answers:
# [solutions/04_resnet_block_solutions.ipynb](solutions/04_resnet_block_solutions.ipynb).

# %%
from helpers import checks

# %% [markdown]
# ### Exercise 1 (warm-up): a downsampling block's parameters
#
# Work out by hand the parameters of `ResnetBlock(64, strides=2, residual_path=True)` on an
# input with 32 channels: total, trainable and non-trainable. Return the three numbers, then
# check them with `count_params()`. Would `strides=1` (still with `residual_path=True`) change
# them? Why, or why not?

# %%
# EXERCISE 1
def down_block_64_params():
    return None  # (total, trainable, non_trainable)


# %%
checks.down_block_params(down_block_64_params)

# %% [markdown]
# ### Exercise 2 (practice): the 2015 block
#
# Write `PostActivationBlock(channels)`, the original (post-activation) residual block:
# conv → BN → ReLU → conv → BN, add the input, **then** ReLU. Use `conv3x3` for the
# convolutions. Then add it to the gradient experiment (a stack of 20, like the others): where
# does its curve lie, and what does the ReLU after the addition do to the shortcut?

# %%
# EXERCISE 2
class PostActivationBlock(keras.Model):

    def __init__(self, channels):
        super().__init__()
        # your layers here

    def call(self, inputs, training=None):
        return None  # your forward pass here


# %%
checks.post_activation_block(PostActivationBlock)

# %% [markdown]
# ### Exercise 3 (stretch): a bottleneck block
#
# Deeper ResNets (50 layers and more) use a *bottleneck* block: a 1×1 convolution down to
# `channels // 4` channels, a 3×3 convolution (with the stride), and a 1×1 convolution back up
# to `channels`, each pre-activated (BN → ReLU → conv), plus the same shortcut as
# `ResnetBlock` (identity, or BN → ReLU → 1×1 conv with `residual_path=True`). Write
# `BottleneckBlock(channels, strides=1, residual_path=False)`, count the parameters of a
# 64-channel bottleneck block and of a 64-channel `ResnetBlock` by hand, and compare.

# %%
# EXERCISE 3
class BottleneckBlock(keras.Model):

    def __init__(self, channels, strides=1, residual_path=False):
        super().__init__()
        # your layers here

    def call(self, inputs, training=None):
        return None  # your forward pass here


# %%
checks.bottleneck_block(BottleneckBlock)

# %% [markdown]
# **Next:** [05 · The ResNet](05_resnet.ipynb) — the article's `ResNet` stacks these blocks,
# and under Keras 3 its `summary()` has a surprise.
