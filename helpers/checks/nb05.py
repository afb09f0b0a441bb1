"""Checkers for the exercises of notebook 05 (ResNet): each runs the learner's answer on several
block lists and compares it with ``helpers.models``' ``resnet_block_plan`` and ``ResNet``; a wrong
plan entry or parameter count is matched with the tables ``PLAN_MISTAKES`` and ``COUNT_MISTAKES``."""

import functools
import warnings

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["resnet_plan", "resnet_param_count", "he_resnet", "resnet_real_build"]

PLAN_CASES = [([2, 2, 2], 16), ([3, 3, 3], 16), ([1], 16), ([1, 2, 3], 8), ([2, 1, 1, 1], 4)]
COUNT_CASES = [  # block_list, num_classes, initial_filters, in_channels
    ([2, 2, 2], 10, 16, 1),
    ([3, 3, 3], 10, 16, 1),
    ([2, 2, 2], 10, 32, 1),
    ([1, 1], 5, 8, 3),
    ([2], 10, 16, 1),
]
SIZES = ("num_classes", "initial_filters", "in_channels")
PLAN = "a list of (channels, strides, residual_path) tuples"
BUILD_CASES = [(([2, 2, 2], 10), (None, 28, 28, 1)), (([1, 1], 5), (None, 32, 32, 3))]

# fmt: off
PLAN_MISTAKES = [  # (symptom, hint) for one entry of the plan that differs from the reference
    (lambda f: len(f.got) != 3, "{what}, block {i}: expected a (channels, strides, residual_path) tuple, found {got!r}"),
    (lambda f: f.i == 0 and f.got[1] != 1, "{what}, block 0: expected strides 1, found {got[1]}. Hint: the first stage keeps the image size; only later stages start with strides=2"),
    (lambda f: f.i == 0 and f.got[2], "{what}, block 0: expected residual_path False. Hint: conv_initial already gives the first block `initial_filters` channels, so the identity shortcut fits"),
    (lambda f: f.got[0] != f.want[0], "{what}, block {i}: expected {want[0]} channels, found {got[0]}. Hint: start at initial_filters and double the channels once per stage, after the stage's blocks"),
    (lambda f: True, "{what}, block {i}: expected {want}, found {got}. Hint: strides=2 and residual_path=True exactly for the first block of every stage but the first"),
]
COUNT_MISTAKES = [  # (symptom, hint) for a parameter count that differs from Keras's
    (lambda f: f.found == f.expected - 2 * f.bn_channels, "{what}: expected {expected:,}, found {found:,}: that is the trainable count. Hint: each BatchNormalization also keeps a moving mean and a moving variance per channel (non-trainable, but parameters)"),
    (lambda f: f.found == f.expected - f.num_classes, "{what}: expected {expected:,}, found {found:,}. Hint: the Dense layer fc has a bias (num_classes numbers); only the convolutions have none"),
    (lambda f: True, "{what}: expected {expected:,}, found {found:,}. Hint: conv_initial (3x3, in_channels -> initial_filters), per block 3x3 convs, BatchNormalizations of 4 per channel (bn1 and down_bn see the block's input), a 1x1 projection where residual_path is True, then final_bn and fc (kernel + bias)"),
]
REAL_BUILD = [  # (symptom, hint) after {what}, BuiltResNet(...).build(shape), against ResNet
    (lambda f: f.warned, "{what} warned: {warned[0]}… Hint: override build(self, input_shape) in your class"),
    (lambda f: f.found != f.expected, "after {what} the model has {found:,} parameters; expected {expected:,}. Hint: build conv_initial, then self.blocks, final_bn and fc, passing each the shape from compute_output_shape (notebook 03, fix 2)"),
    (lambda f: f.wrong, "after {what} some weights have the wrong shape, e.g. {wrong}. Hint: compute every shape from input_shape (compute_output_shape); do not write in 28 x 28 x 1"),
    (lambda f: f.unbuilt, "after {what} a {unbuilt} layer is still unbuilt"),
]
# fmt: on


def _reference_plan(block_list, initial_filters=16):
    from helpers.models import resnet_block_plan

    return [
        (step["channels"], step["strides"], step["residual_path"])
        for step in resnet_block_plan(block_list, initial_filters)
    ]


@functools.cache
def _reference(block_list, num_classes=10, initial_filters=16, in_channels=1, size=32):
    """``helpers.models.ResNet``'s parameter count and sorted weight shapes, built once."""
    from helpers.models import ResNet

    model = ResNet(list(block_list), num_classes, initial_filters=initial_filters)
    model.build((None, size, size, in_channels))
    return model.count_params(), sorted(tuple(w.shape) for w in model.weights)


def _as_plan(found, what, expected, block_list):
    """The learner's plan as a list of tuples, one per block, or NotYet."""
    try:
        found = [tuple(entry) for entry in found]
    except TypeError:
        raise NotYet(f"{what}: expected {PLAN}, found {found!r}") from None
    if len(found) != len(expected):
        raise NotYet(
            f"{what} returned {len(found)} blocks; expected {len(expected)}, one per block: sum({block_list}) = {sum(block_list)}"
        )
    return found


@verdict
def resnet_plan(block_plan):
    """Exercise 05.1: the article's loop as a plan, one (channels, strides, residual_path) per
    block. Compares ``block_plan`` with ``helpers.models.resnet_block_plan`` on five block lists;
    the first wrong entry is explained by ``PLAN_MISTAKES``. Example::

        checks.resnet_plan(block_plan)
    """
    for block_list, initial_filters in PLAN_CASES:
        what = f"block_plan({block_list}, initial_filters={initial_filters})"
        kwargs = dict(initial_filters=initial_filters, what=what, expected=PLAN + ", one per block")
        found = core.returned(block_plan, list(block_list), **kwargs)
        expected = _reference_plan(block_list, initial_filters)
        found = _as_plan(found, what, expected, block_list)
        for i, (got, want) in enumerate(zip(found, expected)):
            if got != want:
                core.diagnose(PLAN_MISTAKES, what=what, i=i, got=got, want=want)
    return "your plan matches the article's loop on 5 block lists: a projection exactly where a stage starts, except the first stage."


def _bn_channels(block_list, initial_filters):
    """How many channels the model's BatchNormalizations normalise, all together."""
    plan = _reference_plan(block_list, initial_filters)
    total, c_in = plan[-1][0], initial_filters  # final_bn
    for channels, _, residual_path in plan:
        total += c_in + channels + (c_in if residual_path else 0)
        c_in = channels
    return total


@verdict
def resnet_param_count(resnet_params):
    """Exercise 05.2: ResNet's parameter count, by hand, for any block_list and sizes. Compares
    ``resnet_params`` with Keras's count of ``helpers.models.ResNet`` on five networks; a wrong
    count is explained by ``COUNT_MISTAKES``. Example::

        checks.resnet_param_count(resnet_params)
    """
    for block_list, *numbers in COUNT_CASES:
        sizes = dict(zip(SIZES, numbers))
        what = (
            f"resnet_params({block_list}, " + ", ".join(f"{k}={v}" for k, v in sizes.items()) + ")"
        )
        found = core.returned(
            resnet_params, list(block_list), what=what, expected="a number", **sizes
        )
        try:
            found = int(found)
        except (TypeError, ValueError):
            raise NotYet(f"{what}: expected a number, found {found!r}") from None
        expected = _reference(tuple(block_list), **sizes)[0]
        if found != expected:
            bn_channels = _bn_channels(block_list, sizes["initial_filters"])
            facts = dict(found=found, expected=expected, bn_channels=bn_channels)
            core.diagnose(COUNT_MISTAKES, what=what, **sizes, **facts)
    return "your formula matches Keras on 5 networks; ResNet([3, 3, 3], 10) has 273,562 parameters, and initial_filters=32 gives 697,898: the convolutions grow 4x, the BatchNormalizations and fc only 2x."


def _expect_he_kernels(convs):
    """Every kernel starts near He's standard deviation, and no two are identical."""
    seen = set()
    for conv in convs:
        kernel = conv.kernel.numpy()
        fan_in = int(np.prod(kernel.shape[:-1]))
        he_std = (2 / fan_in) ** 0.5
        if not 0.75 < kernel.std() / he_std < 1.25:
            size = "x".join(str(k) for k in conv.kernel_size)
            raise NotYet(
                f"the {size} convolution on {kernel.shape[-2]} channel(s) with {conv.filters} filters (fan_in {fan_in}) should start with a standard deviation near sqrt(2 / {fan_in}) = {he_std:.3f}, and it does not. Hint: give every convolution, conv_initial and the 1x1 projections included, kernel_initializer='he_normal' before the model is built"
            )
        if (kernel.shape, kernel.tobytes()) in seen:
            raise NotYet(
                "two convolutions of the same shape start with identical kernels. Hint: give each layer its own initializer (the string 'he_normal', or a new keras.initializers.HeNormal() per layer), not one shared object"
            )
        seen.add((kernel.shape, kernel.tobytes()))


@verdict
def he_resnet(HeResNet):
    """Exercise 05.3: the article's ResNet with He initialisation in every convolution. Builds
    ``HeResNet([2, 2, 2], 10)`` on a batch of images and checks its output, its 175,898 parameters,
    and that each of its 15 convolutions starts with a standard deviation near sqrt(2 / fan_in),
    none shared. Example::

        checks.he_resnet(HeResNet)
    """
    import keras

    what = "HeResNet([2, 2, 2], 10)"
    keras.utils.set_random_seed(0)
    model = core.new_instance(HeResNet, [2, 2, 2], 10, what=what)
    x = core.random_array(2, 28, 28, 1)
    out = core.output_of(model, x, f"{what} on a (2, 28, 28, 1) batch")
    core.expect_equal(out.shape, (2, 10), f"{what}: the output shape on (2, 28, 28, 1)")
    hint = "He initialisation changes the starting values, not the layers"
    core.expect_equal(model.count_params(), 175_898, f"{what}: the number of parameters", hint)
    convs = core.layers_of_type(model, "Conv2D")
    core.expect_equal(len(convs), 15, f"{what}: the number of Conv2D layers")
    _expect_he_kernels(convs)
    return "every convolution starts with a standard deviation near sqrt(2 / fan_in), 175,898 parameters as before."


def _expect_real_build(BuiltResNet, args, shape):
    """``BuiltResNet(*args).build(shape)`` creates the reference's weights, then runs."""
    name = f"BuiltResNet({args[0]}, {args[1]})"
    what = f"{name}.build({shape})"
    model = core.new_instance(BuiltResNet, *args, what=name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        core.run_learner_code(model.build, shape, what=what)
    warned = [core.first_line(w.message)[:120] for w in caught if "unbuilt state" in str(w.message)]
    expected, wanted = _reference(tuple(args[0]), args[1], in_channels=shape[-1], size=shape[1])
    shapes = sorted(tuple(w.shape) for w in model.weights)
    wrong = next((s for s in shapes if shapes.count(s) != wanted.count(s)), None)
    layers = core.layers_of_type(model, "Conv2D") + core.layers_of_type(model, "Dense")
    unbuilt = next((type(layer).__name__ for layer in layers if not layer.built), None)
    try:
        found = model.count_params()
    except ValueError:  # Keras refuses to count an unbuilt model
        found = 0
    facts = dict(found=found, expected=expected, wrong=wrong)
    core.diagnose(REAL_BUILD, what=what, warned=warned, unbuilt=unbuilt, **facts)
    batch = np.zeros((2, *shape[1:]), "float32")
    out = core.output_of(model, batch, f"the built model on a {batch.shape} batch")
    what = f"the output of the built model on a {batch.shape} batch"
    core.expect_equal(out.shape, (2, args[1]), what)
    hint = "build must create the same weights that call would, and no others"
    what = "the number of parameters after the first call"
    core.expect_equal(model.count_params(), expected, what, hint)


@verdict
def resnet_real_build(BuiltResNet):
    """Exercise 05.4: the article's ResNet with a build() that creates every weight. For two block
    lists and image shapes, ``model.build(shape)`` must create, with no warning, exactly the weights
    of ``helpers.models.ResNet``, after which the model runs and keeps its parameter count.
    Example::

        checks.resnet_real_build(BuiltResNet)
    """
    for args, shape in BUILD_CASES:
        _expect_real_build(BuiltResNet, args, shape)
    return "model.build(input_shape) now creates all 175,898 weights, with no warning, for any block_list and image shape."
