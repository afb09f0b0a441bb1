"""helpers.checks.nb04: notebook 04's checkers accept the worked answers and
reject the common mistakes with a message that says what was expected."""
import re

import keras
import pytest
from keras import ops

from helpers import checks
from helpers.models import ResnetBlock, conv3x3

BN = keras.layers.BatchNormalization


def verdict_of(capsys, checker, answer):
    passed = checker(answer)
    return bool(passed), capsys.readouterr().out


# ------------------------------------------------------------ exercise 1 ----

CONVS = 3 * 3 * 32 * 64 + 3 * 3 * 64 * 64 + 32 * 64


@pytest.mark.parametrize("answer, message", [
    (lambda: (57_856, 57_600, 256), None),
    (lambda: [57_856, 57_600, 256], None),
    (lambda: None, "returned None; expected three numbers"),
    (lambda: 57_856, "expected three numbers"),
    (lambda: (CONVS + 4 * 192, CONVS + 2 * 192, 384), "bn1 and down_bn see the block's input"),
    (lambda: (57_856 - 2_048 - 128, 57_600 - 2_048 - 64, 192), "residual_path=True adds the shortcut"),
    (lambda: (57_856, 256, 57_600), "swapped"),
    (lambda: (57_856, 57_000, 256), "trainable parameters: expected 57600, found 57000"),
])
def test_down_block_params(capsys, answer, message):
    passed, out = verdict_of(capsys, checks.down_block_params, answer)
    assert passed == (message is None), out
    if message:
        assert re.search(re.escape(message), out), out
    else:
        assert "57,856 parameters: 57,600 trainable, 256 non-trainable" in out


def test_down_block_params_agrees_with_keras():
    block = ResnetBlock(64, strides=2, residual_path=True)
    block.build((None, 8, 8, 32))
    trainable = sum(int(w.numpy().size) for w in block.trainable_weights)
    assert (block.count_params(), trainable) == (57_856, 57_600)


# ------------------------------------------------------------ exercise 2 ----

class PostActivation(keras.Model):
    """The worked answer."""

    def __init__(self, channels, preactivation=False, final_relu=True, add=True):
        super().__init__()
        self.pre, self.final_relu, self.add = preactivation, final_relu, add
        self.conv1, self.bn1 = conv3x3(channels), BN()
        self.conv2, self.bn2 = conv3x3(channels), BN()

    def call(self, inputs, training=None):
        if self.pre:   # BN -> ReLU -> conv, twice (the ResnetBlock order)
            x = self.conv1(ops.relu(self.bn1(inputs, training=training)))
            x = self.conv2(ops.relu(self.bn2(x, training=training)))
        else:
            x = ops.relu(self.bn1(self.conv1(inputs), training=training))
            x = self.bn2(self.conv2(x), training=training)
        if self.add:
            x = x + inputs
        return ops.relu(x) if self.final_relu else x


class Stub(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def call(self, inputs, training=None):
        return None


@pytest.mark.parametrize("answer, message", [
    (PostActivation, None),
    (Stub, "returned None; did `call` forget to `return`"),
    (lambda channels: ResnetBlock(channels), "ends with a ReLU *after* the addition"),
    (lambda channels: ResnetBlock(channels, residual_path=True), "number of Conv2D layers"),
    (lambda channels: PostActivation(channels, final_relu=False), "ends with a ReLU *after* the addition"),
    (lambda channels: PostActivation(channels, add=False), "output should be relu(x)"),
    (lambda channels: PostActivation(channels, preactivation=True), "10 times larger"),
    (lambda channels: "not a block", "expected a keras.Model"),
])
def test_post_activation_block(capsys, answer, message):
    passed, out = verdict_of(capsys, checks.post_activation_block, answer)
    assert passed == (message is None), out
    if message:
        assert re.search(re.escape(message), out), out


# ------------------------------------------------------------ exercise 3 ----

class Bottleneck(keras.Model):
    """The worked answer, with switches for the common mistakes."""

    def __init__(self, channels, strides=1, residual_path=False, mid=None, final_relu=False,
                 add=True):
        super().__init__()
        mid = channels // 4 if mid is None else mid
        self.residual_path, self.final_relu, self.add = residual_path, final_relu, add
        self.bn1, self.conv1 = BN(), conv3x3(mid, kernel=(1, 1))
        self.bn2, self.conv2 = BN(), conv3x3(mid, strides)
        self.bn3, self.conv3 = BN(), conv3x3(channels, kernel=(1, 1))
        if residual_path:
            self.down_bn, self.down_conv = BN(), conv3x3(channels, strides, kernel=(1, 1))

    def call(self, inputs, training=None):
        x = self.conv1(ops.relu(self.bn1(inputs, training=training)))
        x = self.conv2(ops.relu(self.bn2(x, training=training)))
        x = self.conv3(ops.relu(self.bn3(x, training=training)))
        shortcut = inputs
        if self.residual_path:
            shortcut = self.down_conv(ops.relu(self.down_bn(inputs, training=training)))
        if self.add:
            x = x + shortcut
        return ops.relu(x) if self.final_relu else x


@pytest.mark.parametrize("answer, message", [
    (Bottleneck, None),
    (Stub, "returned None"),
    (lambda c, **kw: Bottleneck(c, mid=c, **kw), "the number of parameters: expected 368"),
    (lambda c, **kw: Bottleneck(c, final_relu=True, **kw), "put nothing (no ReLU) after the sum"),
    (lambda c, **kw: Bottleneck(c, add=False, **kw), "add the shortcut"),
    (lambda c, strides=1, residual_path=False: ResnetBlock(c, strides, residual_path),
     "kernel sizes of its convolutions"),
])
def test_bottleneck_block(capsys, answer, message):
    passed, out = verdict_of(capsys, checks.bottleneck_block, answer)
    assert passed == (message is None), out
    if message:
        assert re.search(re.escape(message), out), out
    else:
        assert "4,736 parameters, a basic ResnetBlock 74,240" in out
