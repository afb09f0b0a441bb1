"""Notebook 04's checkers reject each common mistake with the right message.

Most mistakes are the worked solution (run from notebooks/src/solutions by the ``solutions``
fixture) with its ``call`` replaced; tests/test_checks.py runs the solutions and the stubs.
"""

import re

import keras
import pytest
from keras.ops import relu
from solutions import mistake

from helpers import checks
from helpers.models import ResnetBlock, conv3x3

CONVS = 3 * 3 * 32 * 64 + 3 * 3 * 64 * 64 + 32 * 64


def expect(checker, make, message, solutions, capsys):
    passed = checker(make(solutions))
    out = capsys.readouterr().out
    assert bool(passed) == (message is None), out
    assert message is None or re.search(re.escape(message), out), out


# ------------------------------------------------------------ exercise 1 ----


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda: [57_856, 57_600, 256], None),
        (lambda: 57_856, "expected three numbers"),
        (lambda: (CONVS + 4 * 192, CONVS + 2 * 192, 384), "bn1 and down_bn see the block's input"),
        (
            lambda: (57_856 - 2_048 - 128, 57_600 - 2_048 - 64, 192),
            "residual_path=True adds the shortcut",
        ),
        (lambda: (57_856, 256, 57_600), "swapped"),
        (lambda: (57_856, 57_000, 256), "trainable parameters: expected 57600, found 57000"),
    ],
)
def test_down_block_params(capsys, answer, message):
    expect(checks.down_block_params, lambda load: answer, message, None, capsys)


def test_down_block_params_agrees_with_keras():
    block = ResnetBlock(64, strides=2, residual_path=True)
    block.build((None, 8, 8, 32))
    trainable = sum(int(w.numpy().size) for w in block.trainable_weights)
    assert (block.count_params(), trainable) == (57_856, 57_600)


# ------------------------------------------------------------ exercise 2 ----


class NoFinalRelu:
    def call(self, inputs, training=None):
        x = relu(self.bn1(self.conv1(inputs), training=training))
        return self.bn2(self.conv2(x), training=training) + inputs


class NoAddition:
    def call(self, inputs, training=None):
        x = relu(self.bn1(self.conv1(inputs), training=training))
        return relu(self.bn2(self.conv2(x), training=training))


class PreActivation:  # BN -> ReLU -> conv, twice (ResnetBlock's order)
    def call(self, inputs, training=None):
        x = self.conv1(relu(self.bn1(inputs, training=training)))
        return relu(self.conv2(relu(self.bn2(x, training=training))) + inputs)


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda load: lambda channels: ResnetBlock(channels),
            "ends with a ReLU *after* the addition",
        ),
        (
            lambda load: lambda channels: ResnetBlock(channels, residual_path=True),
            "number of Conv2D layers",
        ),
        (
            mistake("04", "PostActivationBlock", NoFinalRelu),
            "ends with a ReLU *after* the addition",
        ),
        (mistake("04", "PostActivationBlock", NoAddition), "output should be relu(x)"),
        (mistake("04", "PostActivationBlock", PreActivation), "10 times larger"),
        (lambda load: lambda channels: "not a block", "expected a keras.Model"),
    ],
)
def test_post_activation_block(solutions, capsys, make, message):
    expect(checks.post_activation_block, make, message, solutions, capsys)


# ------------------------------------------------------------ exercise 3 ----


class WideBottleneck(keras.Model):
    """A bottleneck that forgets to narrow: every convolution has `channels` filters."""

    def __init__(self, channels, strides=1, residual_path=False):
        super().__init__()
        self.residual_path = residual_path
        BN = keras.layers.BatchNormalization
        self.bn1, self.conv1 = BN(), conv3x3(channels, kernel=(1, 1))
        self.bn2, self.conv2 = BN(), conv3x3(channels, strides)
        self.bn3, self.conv3 = BN(), conv3x3(channels, kernel=(1, 1))
        if residual_path:
            self.down_bn, self.down_conv = BN(), conv3x3(channels, strides, kernel=(1, 1))

    def call(self, inputs, training=None):
        x = self.conv1(relu(self.bn1(inputs, training=training)))
        x = self.conv2(relu(self.bn2(x, training=training)))
        x = self.conv3(relu(self.bn3(x, training=training)))
        if self.residual_path:
            inputs = self.down_conv(relu(self.down_bn(inputs, training=training)))
        return x + inputs


class ReluAfterTheSum:
    def call(self, inputs, training=None):
        return relu(super().call(inputs, training=training))


class NoShortcut:
    def call(self, inputs, training=None):
        x = self.conv1(relu(self.bn1(inputs, training=training)))
        x = self.conv2(relu(self.bn2(x, training=training)))
        return self.conv3(relu(self.bn3(x, training=training)))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda load: WideBottleneck, "the number of parameters: expected 368"),
        (mistake("04", "BottleneckBlock", ReluAfterTheSum), "put nothing (no ReLU) after the sum"),
        (mistake("04", "BottleneckBlock", NoShortcut), "add the shortcut"),
        (
            lambda load: (
                lambda c, strides=1, residual_path=False: ResnetBlock(c, strides, residual_path)
            ),
            "kernel sizes of its convolutions",
        ),
    ],
)
def test_bottleneck_block(solutions, capsys, make, message):
    expect(checks.bottleneck_block, make, message, solutions, capsys)
