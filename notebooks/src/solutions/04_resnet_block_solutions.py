# %% [markdown]
# # 04 · The ResnetBlock — solutions
#
# Worked answers to the exercises of [04 · The ResnetBlock](../04_resnet_block.ipynb), each
# followed by the checker the notebook uses. Try the exercises first!

# %%
import helpers

cfg = helpers.setup()

# %%
import keras
import numpy as np

from helpers import checks
from helpers.models import ResnetBlock, conv3x3

# %% [markdown]
# ## Exercise 1: a downsampling block's parameters
#
# The convolutions have no bias, so each holds k · k · c_in · c_out weights: `conv1` reads the
# 32 input channels (3 · 3 · 32 · 64 = 18,432), `conv2` reads 64 (3 · 3 · 64 · 64 = 36,864) and
# the shortcut's `down_conv` is 1 · 1 · 32 · 64 = 2,048. The BatchNormalizations have 4
# parameters per channel of what they *read*: `bn1` and `down_bn` read the input (32 channels),
# `bn2` reads `conv1`'s output (64), 128 channels in all: 256 trainable (`gamma`, `beta`) and 256
# non-trainable (`moving_mean`, `moving_variance`).

# %% tags=["solution"]
def down_block_64_params():
    convs = 3 * 3 * 32 * 64 + 3 * 3 * 64 * 64 + 1 * 1 * 32 * 64
    bn_channels = 32 + 64 + 32                 # bn1, bn2, down_bn
    trainable = convs + 2 * bn_channels        # kernels + gamma, beta
    non_trainable = 2 * bn_channels            # moving mean, moving variance
    return trainable + non_trainable, trainable, non_trainable


# %%
checks.down_block_params(down_block_64_params)

# %% [markdown]
# Keras agrees, and the stride changes nothing: a kernel has the same size whatever step it
# moves by; only the output shape changes.

# %%
for strides in (2, 1):
    block = ResnetBlock(64, strides=strides, residual_path=True)
    block.build((None, 28, 28, 32))
    trainable = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
    print(f"strides={strides}: {block.count_params():,} parameters, {trainable:,} trainable")

# %% [markdown]
# ## Exercise 2: the 2015 block
#
# Each convolution is followed by BatchNormalization, and the last ReLU comes after the
# addition. That ReLU sits on the shortcut: every block clips the signal it passes on, so
# $x_{l+1} = \mathrm{relu}(x_l + F(x_l))$ is no longer the clean sum of the pre-activation block.

# %% tags=["solution"]
class PostActivationBlock(keras.Model):

    def __init__(self, channels):
        super().__init__()
        self.conv1 = conv3x3(channels)
        self.bn1 = keras.layers.BatchNormalization()
        self.conv2 = conv3x3(channels)
        self.bn2 = keras.layers.BatchNormalization()

    def call(self, inputs, training=None):
        x = self.conv1(inputs)
        x = self.bn1(x, training=training)
        x = keras.ops.relu(x)
        x = self.conv2(x)
        x = self.bn2(x, training=training)
        return keras.ops.relu(x + inputs)


# %%
checks.post_activation_block(PostActivationBlock)

# %% [markdown]
# The gradient experiment, rebuilt compactly: a stem convolution, 20 blocks of 8 channels, then
# BN → ReLU → pooling → `Dense(10)`, the same 64 images, training mode, one gradient norm per
# block; we print how far apart the largest and the smallest are.

# %%
import tensorflow as tf

from helpers.data import load_fashion_mnist
from helpers.runtime import seed_everything

(x_train, y_train), _ = load_fashion_mnist()
images, labels = (x_train[:64] / 255.0).astype("float32")[..., None], y_train[:64]


class PlainBlock(ResnetBlock):
    def call(self, inputs, training=None):
        x = self.conv1(keras.ops.relu(self.bn1(inputs, training=training)))
        return self.conv2(keras.ops.relu(self.bn2(x, training=training)))


def gradient_spread(block_class, depth=20, channels=8):
    seed_everything(cfg.seed)
    blocks = [block_class(channels) for _ in range(depth)]
    model = keras.Sequential([conv3x3(channels), *blocks, keras.layers.BatchNormalization(),
                              keras.layers.ReLU(), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(10)])
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
            labels, model(images, training=True), from_logits=True))
    grads = tape.gradient(loss, [[b.conv1.kernel, b.conv2.kernel] for b in blocks])
    norms = [np.sqrt(sum(np.sum(g.numpy().astype("float64") ** 2) for g in pair)) for pair in grads]
    return max(norms) / min(norms)


spreads = {block: gradient_spread(block) for block in (PlainBlock, ResnetBlock, PostActivationBlock)}
assert spreads[PlainBlock] > 100 and max(spreads[ResnetBlock], spreads[PostActivationBlock]) < 50
print("largest / smallest block gradient: over 100 in the plain stack, under 50 with either "
      "residual block")

# %% [markdown]
# The 2015 block lies with the pre-activation block, far from the plain stack: at 20 blocks
# the shortcut does most of the work even when a ReLU clips it. (These stacks start from other
# random weights than the lesson's, so the figures differ from its 511 and 15; the gap between
# plain and residual stays.) The difference between the two orders shows in much deeper
# networks: on CIFAR-10, He et al. (2016) report lower test error for pre-activation at 164
# layers (5.46 % against 5.93 %) and, by far, at 1001 (4.92 % against 7.61 %).

# %% [markdown]
# ## Exercise 3: a bottleneck block
#
# The same pattern as `ResnetBlock`, with three pre-activated convolutions instead of two. At
# 64 channels (identity shortcut) the bottleneck block has
# 64 · 16 + 3 · 3 · 16 · 16 + 16 · 64 = 4,352 kernel weights and BatchNormalizations over
# 64 + 16 + 16 = 96 channels (384 parameters): 4,736 in all. A basic `ResnetBlock(64)` has
# 2 · 3 · 3 · 64 · 64 = 73,728 kernel weights plus 2 · 4 · 64 = 512: 74,240, almost 16 times
# more. That is why very deep ResNets use bottlenecks: the expensive 3×3 convolution works on a
# quarter of the channels.

# %% tags=["solution"]
class BottleneckBlock(keras.Model):

    def __init__(self, channels, strides=1, residual_path=False):
        super().__init__()
        self.residual_path = residual_path
        bottleneck = channels // 4
        self.bn1 = keras.layers.BatchNormalization()
        self.conv1 = conv3x3(bottleneck, kernel=(1, 1))
        self.bn2 = keras.layers.BatchNormalization()
        self.conv2 = conv3x3(bottleneck, strides)
        self.bn3 = keras.layers.BatchNormalization()
        self.conv3 = conv3x3(channels, kernel=(1, 1))
        if residual_path:
            self.down_bn = keras.layers.BatchNormalization()
            self.down_conv = conv3x3(channels, strides, kernel=(1, 1))

    def call(self, inputs, training=None):
        x = self.conv1(keras.ops.relu(self.bn1(inputs, training=training)))
        x = self.conv2(keras.ops.relu(self.bn2(x, training=training)))
        x = self.conv3(keras.ops.relu(self.bn3(x, training=training)))
        residual = inputs
        if self.residual_path:
            residual = self.down_conv(keras.ops.relu(self.down_bn(inputs, training=training)))
        return x + residual


# %%
checks.bottleneck_block(BottleneckBlock)

# %% [markdown]
# The counts from Keras:

# %%
for block in (BottleneckBlock(64), ResnetBlock(64)):
    block(np.zeros((1, 28, 28, 64), "float32"))   # the first call creates the weights
    print(f"{type(block).__name__:<16} {block.count_params():>7,} parameters")
