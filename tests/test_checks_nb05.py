"""Notebook 05's checkers accept the worked solutions and reject each common mistake.

The answers below mirror notebooks/src/solutions/05_resnet_solutions.py (the article's
`ResNet` built from `helpers.models`' block, as notebook 05 writes it); each mistake is a
small change to an answer.
"""
import keras
import pytest

from helpers import checks
from helpers.models import ResnetBlock, conv3x3


def verdict_of(checker, answer, capsys):
    passed = checker(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    return bool(passed), out


class ResNet(keras.Model):
    """The article's ResNet (its loop written the short way; same layers, same order)."""

    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(**kwargs)
        self.conv_initial = conv3x3(initial_filters)
        self.blocks = keras.Sequential(name="dynamic-blocks")
        channels = initial_filters
        for stage, num_blocks in enumerate(block_list):
            for block in range(num_blocks):
                first = stage > 0 and block == 0
                self.blocks.add(ResnetBlock(channels, strides=2 if first else 1,
                                            residual_path=first))
            channels *= 2
        self.final_bn = keras.layers.BatchNormalization()
        self.avg_pool = keras.layers.GlobalAveragePooling2D()
        self.fc = keras.layers.Dense(num_classes)

    def call(self, inputs, training=None):
        out = self.conv_initial(inputs)
        out = self.blocks(out, training=training)
        out = keras.ops.relu(self.final_bn(out, training=training))
        return self.fc(self.avg_pool(out))


# --- Exercise 1: the block plan -------------------------------------------------------------

def block_plan(block_list, initial_filters=16):
    plan, channels = [], initial_filters
    for stage, num_blocks in enumerate(block_list):
        for block in range(num_blocks):
            first = stage > 0 and block == 0
            plan.append((channels, 2 if first else 1, first))
        channels *= 2
    return plan


def test_plan_accepts_the_solution(capsys):
    passed, out = verdict_of(checks.resnet_plan, block_plan, capsys)
    assert passed and out.startswith("✅"), out


@pytest.mark.parametrize("mistake, message", [
    (lambda bl, initial_filters=16: [], "returned 0 blocks; expected 6"),
    (lambda bl, initial_filters=16: None, "returned None"),
    (lambda bl, initial_filters=16: [(c, 2 if i == 0 else s, r or i == 0)
                                     for i, (c, s, r) in enumerate(block_plan(bl, initial_filters))],
     "block 0: expected strides 1"),
    (lambda bl, initial_filters=16: [(c * 2, s, r) for c, s, r in block_plan(bl, initial_filters)],
     "expected 16 channels, found 32"),
    (lambda bl, initial_filters=16: [(c, s, r or (i == 0))
                                     for i, (c, s, r) in enumerate(block_plan(bl, initial_filters))],
     "block 0: expected residual_path False"),
])
def test_plan_rejects_mistakes(mistake, message, capsys):
    passed, out = verdict_of(checks.resnet_plan, mistake, capsys)
    assert not passed and message in out, out


# --- Exercise 2: parameters by hand ---------------------------------------------------------

def resnet_params(block_list, num_classes=10, initial_filters=16, in_channels=1,
                  moving=True, fc_bias=True):
    per_channel = 4 if moving else 2
    total = 9 * in_channels * initial_filters
    c_in = initial_filters
    for channels, _, residual_path in block_plan(block_list, initial_filters):
        total += per_channel * (c_in + channels) + 9 * c_in * channels + 9 * channels * channels
        if residual_path:
            total += per_channel * c_in + c_in * channels
        c_in = channels
    return total + per_channel * c_in + c_in * num_classes + (num_classes if fc_bias else 0)


def test_param_count_accepts_the_solution(capsys):
    passed, out = verdict_of(checks.resnet_param_count, resnet_params, capsys)
    assert passed and "273,562" in out and "697,898" in out, out


@pytest.mark.parametrize("mistake, message", [
    (lambda *a, **k: None, "returned None"),
    (lambda *a, **k: resnet_params(*a, moving=False, **k), "that is the trainable count"),
    (lambda *a, **k: resnet_params(*a, fc_bias=False, **k), "fc has a bias"),
    (lambda *a, **k: resnet_params(*a, **k) + 1, "expected 175,898, found 175,899"),
])
def test_param_count_rejects_mistakes(mistake, message, capsys):
    passed, out = verdict_of(checks.resnet_param_count, mistake, capsys)
    assert not passed and message in out, out


# --- Exercise 3: He initialisation ----------------------------------------------------------

def conv_layers(model):
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(conv_layers(layer))
    return found


class HeResNet(ResNet):
    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(block_list, num_classes, initial_filters, **kwargs)
        for conv in conv_layers(self):
            conv.kernel_initializer = keras.initializers.HeNormal()


class BlocksOnly(ResNet):  # forgets conv_initial
    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(block_list, num_classes, initial_filters, **kwargs)
        for conv in conv_layers(self.blocks):
            conv.kernel_initializer = keras.initializers.HeNormal()


class SharedInitializer(ResNet):  # one seeded initializer object for every layer
    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(block_list, num_classes, initial_filters, **kwargs)
        shared = keras.initializers.HeNormal(seed=1)
        for conv in conv_layers(self):
            conv.kernel_initializer = shared


def test_he_accepts_the_solution(capsys):
    passed, out = verdict_of(checks.he_resnet, HeResNet, capsys)
    assert passed and out.startswith("✅"), out


@pytest.mark.parametrize("mistake, message", [
    (ResNet, "the 3x3 convolution on 1 channel(s) with 16 filters (fan_in 9)"),
    (BlocksOnly, "conv_initial and the 1x1"),
    (SharedInitializer, "identical kernels"),
])
def test_he_rejects_mistakes(mistake, message, capsys):
    passed, out = verdict_of(checks.he_resnet, mistake, capsys)
    assert not passed and message in out, out


# --- Exercise 4: a real build() -------------------------------------------------------------

class BuiltResNet(ResNet):
    def build(self, input_shape):
        self.conv_initial.build(input_shape)
        shape = self.conv_initial.compute_output_shape(input_shape)
        self.blocks.build(shape)
        shape = self.blocks.compute_output_shape(shape)
        self.final_bn.build(shape)
        self.fc.build((None, shape[-1]))


class EmptyBuild(ResNet):
    def build(self, input_shape):
        pass


class HardCodedBuild(ResNet):  # only right for 28 x 28 x 1 and [2, 2, 2]
    def build(self, input_shape):
        self.conv_initial.build((None, 28, 28, 1))
        self.blocks.build((None, 28, 28, 16))
        self.final_bn.build((None, 7, 7, 64))
        self.fc.build((None, 64))


def test_build_accepts_the_solution(capsys):
    passed, out = verdict_of(checks.resnet_real_build, BuiltResNet, capsys)
    assert passed and out.startswith("✅"), out


@pytest.mark.parametrize("mistake, message", [
    (ResNet, "warned"),
    (EmptyBuild, "the model has 0 parameters; expected 175,898"),
    (HardCodedBuild, "BuiltResNet([1, 1], 5).build((None, 32, 32, 3)) some weights have the wrong shape"),
])
def test_build_rejects_mistakes(mistake, message, capsys):
    passed, out = verdict_of(checks.resnet_real_build, mistake, capsys)
    assert not passed and message in out, out
