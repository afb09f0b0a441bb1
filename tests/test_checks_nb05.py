"""Notebook 05's checkers reject each common mistake with the right message.

The mistakes are made from the worked solutions (notebooks/src/solutions/05_resnet_solutions.py,
run by the ``solutions`` fixture): a plan with one field changed, a count off by one part, the
article's ``ResNet`` with a wrong initialisation or build. tests/test_checks.py runs the
solutions and the stubs.
"""

import keras
import pytest
from solutions import mistake

from helpers import checks
from helpers.models import ResNet


def expect_mistake(checker, answer, message, capsys):
    passed = checker(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    assert not passed and message in out, out


def changed_plan(change):
    """A block_plan whose entries the solution's plan gives, passed through ``change``."""

    def make(load):
        def block_plan(block_list, initial_filters=16):
            plan = load("05").block_plan(block_list, initial_filters)
            return [change(i, *entry) for i, entry in enumerate(plan)]

        return block_plan

    return make


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda load: lambda bl, initial_filters=16: None, "returned None"),
        (
            changed_plan(lambda i, c, s, r: (c, 2 if i == 0 else s, r or i == 0)),
            "block 0: expected strides 1",
        ),
        (changed_plan(lambda i, c, s, r: (c * 2, s, r)), "expected 16 channels, found 32"),
        (
            changed_plan(lambda i, c, s, r: (c, s, r or i == 0)),
            "block 0: expected residual_path False",
        ),
    ],
)
def test_plan_rejects_mistakes(solutions, capsys, make, message):
    expect_mistake(checks.resnet_plan, make(solutions), message, capsys)


def trainable_count(block_list, num_classes=10, initial_filters=16, in_channels=1):
    """The mistake of counting only the trainable parameters (as Keras counts them)."""
    model = ResNet(block_list, num_classes, initial_filters=initial_filters)
    model.build((None, 32, 32, in_channels))
    return sum(int(w.numpy().size) for w in model.trainable_weights)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda load: trainable_count, "that is the trainable count"),
        (
            lambda load: lambda *a, **k: load("05").resnet_params(*a, **k) - k["num_classes"],
            "fc has a bias",
        ),
        (
            lambda load: lambda *a, **k: load("05").resnet_params(*a, **k) + 1,
            "expected 175,898, found 175,899",
        ),
    ],
)
def test_param_count_rejects_mistakes(solutions, capsys, make, message):
    expect_mistake(checks.resnet_param_count, make(solutions), message, capsys)


def convolutions(layer):
    return [sub for sub in layer._flatten_layers() if isinstance(sub, keras.layers.Conv2D)]


class BlocksOnly:  # forgets conv_initial
    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(block_list, num_classes, initial_filters, **kwargs)
        for conv in convolutions(self.blocks):
            conv.kernel_initializer = keras.initializers.HeNormal()


class SharedInitializer:  # one seeded initializer object for every layer
    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(block_list, num_classes, initial_filters, **kwargs)
        shared = keras.initializers.HeNormal(seed=1)
        for conv in convolutions(self):
            conv.kernel_initializer = shared


@pytest.mark.parametrize(
    "make, message",
    [
        (mistake("05", "ResNet", BlocksOnly), "conv_initial and the 1x1"),
        (mistake("05", "ResNet", SharedInitializer), "identical kernels"),
    ],
)
def test_he_rejects_mistakes(solutions, capsys, make, message):
    expect_mistake(checks.he_resnet, make(solutions), message, capsys)


class HardCodedBuild:  # only right for 28 x 28 x 1 and [2, 2, 2]
    def build(self, input_shape):
        self.conv_initial.build((None, 28, 28, 1))
        self.blocks.build((None, 28, 28, 16))
        self.final_bn.build((None, 7, 7, 64))
        self.fc.build((None, 64))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda load: load("05").ResNet, "warned"),
        (
            mistake("05", "ResNet", HardCodedBuild),
            "BuiltResNet([1, 1], 5).build((None, 32, 32, 3)) some weights have the wrong shape",
        ),
    ],
)
def test_build_rejects_mistakes(solutions, capsys, make, message):
    expect_mistake(checks.resnet_real_build, make(solutions), message, capsys)
