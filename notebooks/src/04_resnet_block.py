# %% [markdown]
# # 04 · The ResnetBlock
#
# [Notebook 03](03_subclassing.ipynb) showed how to write a model as a Python class: layers in
# `__init__`, the forward pass in `call`. The source article uses that to build a ResNet (a
# *residual network*, for images) from one building block, `ResnetBlock`, the subject of this
# notebook. [Notebook 05](05_resnet.ipynb) stacks these blocks into the article's full `ResNet`.
#
# **What you will learn**
#
# - what a convolution computes: filters, feature maps, channels, stride, padding, 1×1;
# - why very deep *plain* stacks of layers train badly, and how a *residual* (skip)
#   connection, output = F(x) + x, helps;
# - what the *pre-activation* order BatchNormalization (BN) → ReLU → convolution is, and why it
#   keeps the shortcut clean;
# - the article's `conv3x3` and `ResnetBlock`, line by line, and that `helpers.models.ResnetBlock`
#   is the same block;
# - how shapes flow through a block, when the shortcut needs a 1×1 *projection*, and how to
#   count a block's parameters by hand;
# - an experiment: the gradients of a deep plain stack versus a residual stack.

# %% [markdown]
# ## Set-up
#
# As in every notebook: quiet TensorFlow start-up, seeds, versions and the profile.

# %%
import helpers

cfg = helpers.setup()

# %% [markdown]
# The article's code calls TensorFlow directly (`tf.nn.relu`, `tf.random_normal_initializer`),
# so we import `tensorflow` as well as `keras`.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import helpers.models
from helpers.data import load_fashion_mnist
from helpers.runtime import seed_everything

# %% [markdown]
# ## What a convolution computes
#
# A `Dense` layer ([notebook 01](01_sequential.ipynb)) connects every pixel to every unit. A
# **convolution** (卷积, `keras.layers.Conv2D`) looks at small neighbourhoods instead. A
# **filter** of, say, 3 × 3 weights slides over the image; at each position the 9
# pixels under it are multiplied by the 9 weights and summed, giving one output pixel. Done at
# every position, this gives a new image, a **feature map**, which is large wherever the patch
# looks like the filter. A layer with n filters outputs n feature maps, stacked as the n
# **channels** of its output. The same few weights serve every position, so a convolution has
# few parameters.
#
# A real image and three hand-made filters: a vertical-edge detector (right column minus left
# column), its transpose for horizontal edges, and a 3 × 3 average. We give them to a `Conv2D`
# with `set_weights` and check one output pixel with NumPy:

# %%
(x_train, y_train), _ = load_fashion_mnist()
image = x_train[0].astype("float32") / 255.0          # an ankle boot, 28 x 28, values 0..1
vertical = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "float32")
filters = np.stack([vertical, vertical.T, np.full((3, 3), 1 / 9, "float32")], axis=-1)

edges = keras.layers.Conv2D(3, (3, 3), padding="same", use_bias=False)
edges.build((None, 28, 28, 1))
edges.set_weights([filters[:, :, None, :]])   # kernel (3, 3, 1 input channel, 3 filters)
maps = edges(image[None, :, :, None])[0].numpy()     # (28, 28, 3): one map per filter

r, c = 10, 12                                          # the left edge of the boot's shaft
by_hand = np.sum(image[r - 1:r + 2, c - 1:c + 2] * vertical)
print(f"vertical-edge map at row {r}, column {c}: Keras {maps[r, c, 0]:.3f}, NumPy {by_hand:.3f}")

fig, axes = plt.subplots(1, 4, figsize=(8, 2.3))
titles = ["image", "vertical edges", "horizontal edges", "3 x 3 average"]
for ax, picture, title in zip(axes, [image, *np.moveaxis(maps, -1, 0)], titles):
    ax.imshow(picture, cmap="gray")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# The edge maps are bright where the image gets brighter from left to right (or top to
# bottom), dark where it gets darker, and grey on flat areas. A network *learns* its filters.
#
# - **Several input channels.** A filter has one 3 × 3 slice per input channel and sums over
#   all of them. The layer's `kernel` holds all its filters: shape (k, k, c_in, c_out).
# - **Padding.** `padding="valid"` (Keras's default) places the filter only where it fits:
#   28 → 26. `padding="same"` pads the border with zeros, so that at stride 1 the output is as
#   large as the input.
# - **Stride.** `strides=2` moves the filter 2 pixels at a time and halves the size (with
#   `"same"`, 28 → 14; an odd size rounds up).
# - **1 × 1.** A 1 × 1 convolution sees one pixel at a time: each output channel is a weighted
#   sum of the input channels at that pixel. It changes the channel count cheaply.

# %%
for layer, x in [(keras.layers.Conv2D(8, (3, 3)), image[None, :, :, None]),
                 (keras.layers.Conv2D(8, (3, 3), padding="same"), image[None, :, :, None]),
                 (keras.layers.Conv2D(8, (3, 3), strides=2, padding="same"), maps[None]),
                 (keras.layers.Conv2D(8, (1, 1)), maps[None])]:
    y = layer(x)
    print(f"{layer.kernel_size[0]}x{layer.kernel_size[1]}, {layer.padding:<5}, stride "
          f"{layer.strides[0]}: {x.shape} -> {tuple(y.shape)}, kernel {tuple(layer.kernel.shape)}")

# %% [markdown]
# ## Why residual connections?
#
# **Deeper should be better — but plain stacks get worse.** He, Zhang, Ren and Sun ("Deep
# Residual Learning for Image Recognition", 2015) trained plain convolutional stacks of 20 and
# 56 layers on CIFAR-10 (small photos, 10 classes): the 56-layer one had a *higher training error*. That is not
# overfitting; it is the **degradation problem** (退化问题). A good deep network exists (copy
# the 20 layers and make the other 36 pass their input through unchanged), but the optimizer
# does not find it. Nor is it the old problem of *vanishing* or *exploding* gradients
# (gradients that shrink to nothing or blow up on their way back through many layers): their
# plain networks had BatchNormalization, and in §4.1 they report that the signals going
# forward and the gradients coming back had healthy sizes. They call it an optimisation
# difficulty and suggest that plain layers find it hard to approximate the identity.
#
# **Residual learning.** So give the identity for free: let a block compute a *residual*
# (残差) $F(x)$ and output
#
# $$y = F(x) + x .$$
#
# The `+ x` is the **identity shortcut** (恒等映射 / 捷径连接), or skip connection. A block
# with nothing useful to add only has to push $F(x)$ towards 0.
#
# **Pre-activation** (预激活). In the 2015 block the order was conv → BN → ReLU, and a last
# ReLU came *after* the addition, clipping the shortcut's signal at every block. In "Identity
# Mappings in Deep Residual Networks" (2016) the same authors moved BatchNormalization and
# ReLU *before* each convolution: BN → ReLU → conv, twice, then add. Nothing touches $x$ on
# the shortcut, so after many blocks
#
# $$x_L = x_l + \sum_{i=l}^{L-1} F(x_i), \qquad
#   \frac{\partial \mathcal{L}}{\partial x_l} = \frac{\partial \mathcal{L}}{\partial x_L}
#   \Big(1 + \frac{\partial}{\partial x_l} \sum_{i=l}^{L-1} F(x_i)\Big).$$
#
# The **1** means that the gradient of the loss reaches every earlier block directly,
# whatever the blocks in between do; in a plain stack it is a *product* of one factor per
# layer. We measure this at the end of the notebook.
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
# forward pass". Its first piece is a small factory for the convolutions every block uses:

# %%
def conv3x3(channels, stride=1, kernel=(3, 3)):
    return keras.layers.Conv2D(channels, kernel, strides=stride, padding='same',
                               use_bias=False,
                               kernel_initializer=tf.random_normal_initializer())


# %% [markdown]
# `channels` filters, 3 × 3 unless `kernel=(1, 1)` asks for the 1×1 convolution of the
# *projection shortcut* (投影捷径) below; `padding='same'`; no bias, because every convolution's
# output reaches a BatchNormalization, which subtracts each channel's mean (cancelling a bias)
# and adds its own offset, `beta`; and starting weights drawn from a normal distribution, by
# default with mean 0 and standard deviation 0.05:

# %%
conv = conv3x3(16)
print(f"{type(conv).__name__}: {conv.filters} filters of {conv.kernel_size}, strides "
      f"{conv.strides}, padding={conv.padding!r}, use_bias={conv.use_bias}")
print("initializer:", conv.kernel_initializer.get_config())

# %% [markdown]
# A fixed 0.05 ignores how many inputs a filter has; [notebook 05](05_resnet.ipynb) compares
# it with He initialisation, which scales it by the layer's size.
#
# ## The article's `ResnetBlock`
#
# Here is the article's block (残差块, residual block), exactly as the article has it (the
# [glossary](../GLOSSARY.md) lists the article's key sentences in both languages):

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
# **`__init__`** remembers the arguments and creates the layers:
#
# - `channels` — how many channels the block outputs;
# - `strides` — 1 keeps the image size, 2 halves it (only `conv1` and the shortcut's
#   `down_conv` get it);
# - `conv1`, `bn1`, `conv2`, `bn2` — the two BN → ReLU → conv steps of the branch $F$;
# - `residual_path=True` adds `down_bn` and `down_conv`: BN → ReLU → a **1×1** convolution
#   with the same stride, which gives the shortcut the output's shape.
#
# **`call`** keeps the input as `residual`, runs the branch in pre-activation order, replaces
# the shortcut by `down_conv(relu(down_bn(inputs)))` if there is a residual path, and returns
# `x + residual`, $F(x) + x$, with no ReLU after the sum. It passes `training` on to every
# BatchNormalization; [notebook 03](03_subclassing.ipynb) showed what that flag does and who
# sets it.
#
# The article writes `tf.keras.layers.BatchNormalization` once and `keras.layers...`
# elsewhere; under TensorFlow 2.21 they are one class:

# %%
assert tf.keras.layers.BatchNormalization is keras.layers.BatchNormalization
print("both names lead to", keras.layers.BatchNormalization.__module__)

# %% [markdown]
# The block has no weights until it first sees data: only then does it know how many
# channels its input has. Calling it on a batch builds it.

# %%
x16 = np.random.default_rng(0).normal(size=(8, 28, 28, 16)).astype("float32")

block = ResnetBlock(16)
print("weight arrays before the first call:", len(block.weights))
y = block(x16)
print("weight arrays after the first call: ", len(block.weights))
print("input", x16.shape, "-> output", tuple(y.shape))

# %% [markdown]
# ## Shapes through a block
#
# ### Stride 1, identity shortcut
#
# With `strides=1` and as many output channels as input channels, every step keeps the shape
# (8 images, 28 × 28, 16 channels), so $F(x)$ and $x$ can be added. We run the block's own
# layers one at a time:

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
# Now and then a ResNet halves the image and doubles the channels ([notebook 05](05_resnet.ipynb)
# shows where). With stride 2 and 32 filters the branch outputs (8, 14, 14, 32), and the input
# (8, 28, 28, 16) no longer fits. With `residual_path=True` the shortcut's 1×1 convolution,
# stride 2, 32 filters, maps the input to (8, 14, 14, 32).

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
# Forget `residual_path=True`, and the article's block still builds and computes the branch;
# then `x + residual` tries to add a (1, 14, 14, 32) tensor to a (1, 28, 28, 16) one:

# %% tags=["raises-exception"]
ResnetBlock(32, strides=2)(x16[:1])

# %% [markdown]
# TensorFlow's `AddV2` operation refuses *incompatible shapes*; the error is right, but late,
# and it does not say what to do. `helpers.models.ResnetBlock` (the version later notebooks
# use) checks the shapes when the block is built and says how to fix it:

# %% tags=["raises-exception"]
helpers.models.ResnetBlock(32, strides=2, name="no_projection")(x16[:1])

# %% [markdown]
# The rule: the identity shortcut works only when the block keeps both the image size
# (`strides=1`) and the channel count; otherwise use `residual_path=True`.
#
# ## Counting parameters by hand
#
# `count_params()` counts every number in a layer's `weights` ([notebook 01](01_sequential.ipynb)),
# learned or not. In a block they all sit in a convolution or a BatchNormalization:
#
# - a convolution with a k × k kernel, `c_in` input and `c_out` output channels and no bias has
#   **k · k · c_in · c_out**;
# - a BatchNormalization over `c` channels has **4 · c**: `gamma` (scale) and `beta` (offset)
#   are *trainable*, learned by the optimizer; `moving_mean` and `moving_variance`, running
#   averages updated as data passes in training mode, are *non-trainable*.
#
# `bn1` and `down_bn` see the block's *input* (`c_in` channels), `bn2` sees `conv1`'s output.

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
# The hand counts match Keras. The projection costs only 16 · 32 = 512 weights for
# `down_conv` plus 64 for `down_bn`; most parameters are in the 3×3 convolutions. `summary()`
# lists the layers in the order they were created, not the order `call` runs them. Its output
# shapes start with 8 because each layer recorded its input shape when it was built, at the
# block's first call on 8 images (as in [notebook 03](03_subclassing.ipynb)):

# %%
down_block.summary()

# %% [markdown]
# ## `helpers.models.ResnetBlock` is the same block
#
# From notebook 05 on we import the block from `helpers.models`. That version uses only
# `keras` (`keras.ops.relu`, `keras.initializers.RandomNormal(stddev=0.05)`), adds `build()`,
# checks its arguments and can be saved. It creates the same layers in the same order, so we
# can copy the article block's weights into it and compare outputs in both modes:

# %%
ours = helpers.models.ResnetBlock(32, strides=2, residual_path=True)
ours(x16)   # build it
assert ([(w.shape, w.trainable) for w in ours.weights]
        == [(w.shape, w.trainable) for w in down_block.weights])
ours.set_weights(down_block.get_weights())
for training in (False, True):
    gap = np.max(np.abs(ours(x16, training=training) - down_block(x16, training=training)))
    print(f"training={training}: {len(ours.weights)} weight arrays copied, "
          f"largest difference between the outputs {gap:g}")

# %% [markdown]
# ## An experiment: gradients in a deep plain stack and a residual stack
#
# Now the "1 +" of the formula. We build two stacks of the **same 20 blocks** (40
# convolutions, 8 channels): `ResnetBlock`s, and `PlainBlock`s, which have the same layers
# but return $F(x)$ instead of $F(x) + x$. Each stack is a first convolution (1 → 8
# channels), the blocks, and a head like the article's `ResNet`: BN → ReLU → global average
# pooling (each channel's mean) → a `Dense` layer giving 10 **logits**, raw scores that a
# softmax would turn into probabilities (hence `from_logits=True`). `make_stack` seeds the
# random generators first, so both stacks start from the same weights.
#
# `tf.GradientTape` records the operations run inside its `with` block, then differentiates
# them: we ask it for the gradient of the loss on 64 images with respect to each block's
# kernels, and measure its *norm* (square root of the sum of squares). Nothing is trained: in
# training mode, this is what the optimizer would see at its first step. We also use
# inference mode, where a fresh BatchNormalization computes (x − 0) / √(1 + 0.001) ≈ x: the
# stacks then behave as if they had no normalisation.

# %%
class PlainBlock(ResnetBlock):
    """ResnetBlock's layers without the shortcut: returns F(x), not F(x) + x."""

    def call(self, inputs, training=None):
        x = self.conv1(tf.nn.relu(self.bn1(inputs, training=training)))
        return self.conv2(tf.nn.relu(self.bn2(x, training=training)))


DEPTH, CHANNELS = 20, 8
images = (x_train[:64].astype("float32") / 255.0)[..., None]   # (64, 28, 28, 1)
labels = y_train[:64]
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


def gradient_norms(stack, training):
    """Norm of the loss's gradient with respect to each block's two conv kernels."""
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, forward(stack, images, training))
    grads = tape.gradient(loss, [[b.conv1.kernel, b.conv2.kernel] for b in stack["blocks"]])
    # sum the squares in float64: in float32, the square of a number below about 1e-23 is 0
    return np.array([np.sqrt(sum(np.sum(g.numpy().astype("float64") ** 2) for g in pair))
                     for pair in grads])


stacks = {(name, mode): make_stack(cls) for mode in ("training", "inference")
          for name, cls in (("plain", PlainBlock), ("residual", ResnetBlock))}
pairs = zip(stacks["plain", "training"]["blocks"], stacks["residual", "training"]["blocks"])
print("largest difference between the two stacks' starting block weights:",
      max(float(np.max(np.abs(a - b))) for p, r in pairs for a, b in zip(p.get_weights(), r.get_weights())))
norms = {key: gradient_norms(stack, training=(key[1] == "training")) for key, stack in stacks.items()}

# %% [markdown]
# The norms, block 0 nearest the image. Their last digits can differ between machines; the
# cell after the table checks what must hold.

# %% tags=["nbval-ignore-output"]
print("block" + "".join(f"{name + ', ' + mode:>22}" for name, mode in norms))
for i in [0, 4, 8, 12, 16, DEPTH - 1]:
    print(f"{i:>5}" + "".join(f"{n[i]:>22.3g}" for n in norms.values()))

# %%
def spread(n):
    return n.max() / n.min()


plain, residual = norms["plain", "training"], norms["residual", "training"]
plain_off, residual_off = norms["plain", "inference"], norms["residual", "inference"]
assert spread(plain) > 100 and spread(residual) < 50
assert plain_off.max() < 1e-15 < 1e-5 < residual_off.min()
print("training mode: the largest block gradient is over 100 times the smallest in the plain "
      "stack, under 50 times in the residual stack (the table above has the figures)")
print(f"inference mode: plain stack's largest block gradient {plain_off.max():.1g} (under 1e-15), "
      f"residual stack's smallest {residual_off.min():.1g} (over 1e-5)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharex=True)
for ax, mode in zip(axes, ("training", "inference")):
    ax.semilogy(norms["plain", mode], "o-", label="plain stack: F(x)")
    ax.semilogy(norms["residual", mode], "s-", label="residual stack: F(x) + x")
    ax.set_title(f"{mode} mode")
    ax.set_xlabel("block (0 = nearest the input)")
    ax.grid(alpha=0.3, which="both")
axes[0].set_ylabel("gradient norm of the block's kernels")
axes[0].legend()
plt.show()

# %% [markdown]
# **What happened** (on a logarithmic axis, equal distances are equal ratios):
#
# - *Inference mode, no normalisation.* Each of the article's small-weight convolutions
#   shrinks the signal, and after 40 of them every gradient of the plain stack is about 1e-24
#   or less: a 32-bit float still holds that (down to about 1e-38), but added to a weight of 0.05
#   it changes nothing. That is a *vanishing* gradient. The residual stack carries the image
#   forward on its shortcuts, and every block keeps a usable gradient, around 1e-3.
# - *Training mode.* BatchNormalization rescales the signal in every block and nothing
#   vanishes. The plain stack's gradients still grow towards the input, several hundred times
#   from the last block to the first; the residual stack's stay within a factor of about 15.
#
# This is the picture at initialisation, not the degradation problem itself, which shows in
# training: with healthy gradients, a deep plain stack still trains worse than a shallower
# one, and its residual twin does not. (Try `DEPTH = 40`, where the plain stack's inference
# gradients become too small even for a 32-bit float, exactly 0, and leave the log plot: how do
# the spreads change?)
#
# ## Recap
#
# - A convolution slides small filters over an image: one feature map per filter, summed over
#   the input channels; `padding="same"` keeps the size, stride 2 halves it, 1×1 mixes channels.
# - Deep plain stacks train worse than shallower ones even with BatchNormalization and healthy
#   gradients: the degradation problem, an optimisation difficulty (He et al. 2015).
# - A residual block outputs $F(x) + x$; the identity shortcut carries the signal and the
#   gradient past the block unchanged. Pre-activation (BN → ReLU → conv, He et al. 2016) keeps
#   it a pure identity: no ReLU after the addition.
# - The article's `ResnetBlock` is two BN → ReLU → `conv3x3` steps plus a shortcut, a 1×1
#   projection when `residual_path=True`, which the block needs whenever it changes the image
#   size or the channel count.
# - Parameters: k · k · c_in · c_out per bias-free convolution; 4 per channel per
#   BatchNormalization, 2 trainable (`gamma`, `beta`) and 2 not (the moving statistics).
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
