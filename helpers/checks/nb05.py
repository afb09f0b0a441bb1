"""Checkers for the exercises of notebook 05 (ResNet)."""
import warnings

import numpy as np

from helpers.checks.core import NotYet, call, expect_equal, first_line, layers_of_type, quiet, verdict

__all__ = ["resnet_plan", "resnet_param_count", "he_resnet", "resnet_real_build"]


def _reference_plan(block_list, initial_filters=16):
    from helpers.models import resnet_block_plan

    return [(step["channels"], step["strides"], step["residual_path"])
            for step in resnet_block_plan(block_list, initial_filters)]


def _reference_model(block_list, num_classes=10, initial_filters=16, in_channels=1, size=32):
    from helpers.models import ResNet

    model = ResNet(list(block_list), num_classes, initial_filters=initial_filters)
    model.build((None, size, size, in_channels))
    return model


def _reference_params(*args, **kwargs):
    return _reference_model(*args, **kwargs).count_params()


@verdict
def resnet_plan(block_plan):
    """Exercise 05.1: the article's loop as a plan, one (channels, strides, residual_path) per block.

    Example::

        checks.resnet_plan(block_plan)
    """
    cases = [([2, 2, 2], 16), ([3, 3, 3], 16), ([1], 16), ([1, 2, 3], 8), ([2, 1, 1, 1], 4)]
    for block_list, initial_filters in cases:
        what = f"block_plan({block_list}, initial_filters={initial_filters})"
        found = call(block_plan, list(block_list), initial_filters=initial_filters, what=what)
        expected = _reference_plan(block_list, initial_filters)
        if found is None:
            raise NotYet(f"{what} returned None; expected a list of (channels, strides, "
                         "residual_path) tuples, one per block")
        try:
            found = [tuple(entry) for entry in found]
        except TypeError:
            raise NotYet(f"{what}: expected a list of (channels, strides, residual_path) tuples, "
                         f"found {found!r}") from None
        if len(found) != len(expected):
            raise NotYet(f"{what} returned {len(found)} blocks; expected {len(expected)}, "
                         f"one per block: sum({block_list}) = {sum(block_list)}")
        for i, (got, want) in enumerate(zip(found, expected)):
            if got == want:
                continue
            if len(got) != 3:
                raise NotYet(f"{what}, block {i}: expected a (channels, strides, residual_path) "
                             f"tuple, found {got!r}")
            channels, strides, residual_path = got
            if i == 0 and strides != 1:
                raise NotYet(f"{what}, block 0: expected strides 1, found {strides}. Hint: the "
                             "first stage keeps the image size; only later stages start with "
                             "strides=2")
            if i == 0 and residual_path:
                raise NotYet(f"{what}, block 0: expected residual_path False. Hint: "
                             "conv_initial already gives the first block `initial_filters` "
                             "channels, so the identity shortcut fits")
            if channels != want[0]:
                raise NotYet(f"{what}, block {i}: expected {want[0]} channels, found {channels}. "
                             "Hint: start at initial_filters and double the channels once per "
                             "stage, after the stage's blocks")
            raise NotYet(f"{what}, block {i}: expected {want}, found {got}. Hint: strides=2 and "
                         "residual_path=True exactly for the first block of every stage but the "
                         "first")
    return ("your plan matches the article's loop on 5 block lists: a projection exactly where "
            "a stage starts, except the first stage.")


@verdict
def resnet_param_count(resnet_params):
    """Exercise 05.2: ResNet's parameter count, by hand, for any block_list and sizes.

    Example::

        checks.resnet_param_count(resnet_params)
    """
    cases = [([2, 2, 2], 10, 16, 1), ([3, 3, 3], 10, 16, 1), ([2, 2, 2], 10, 32, 1),
             ([1, 1], 5, 8, 3), ([2], 10, 16, 1)]
    for block_list, num_classes, initial_filters, in_channels in cases:
        what = (f"resnet_params({block_list}, num_classes={num_classes}, "
                f"initial_filters={initial_filters}, in_channels={in_channels})")
        found = call(resnet_params, list(block_list), num_classes=num_classes,
                     initial_filters=initial_filters, in_channels=in_channels, what=what)
        if found is None:
            raise NotYet(f"{what} returned None; expected a number")
        try:
            found = int(found)
        except (TypeError, ValueError):
            raise NotYet(f"{what}: expected a number, found {found!r}") from None
        expected = _reference_params(block_list, num_classes, initial_filters, in_channels)
        if found == expected:
            continue
        # Which part is missing? Count the BatchNormalization channels the model normalises.
        plan = _reference_plan(block_list, initial_filters)
        bn_channels = plan[-1][0]                                    # final_bn
        in_ch = initial_filters
        for channels, _, residual_path in plan:
            bn_channels += in_ch + channels + (in_ch if residual_path else 0)
            in_ch = channels
        if found == expected - 2 * bn_channels:
            raise NotYet(f"{what}: expected {expected:,}, found {found:,}: that is the trainable "
                         "count. Hint: each BatchNormalization also keeps a moving mean and a "
                         "moving variance per channel (non-trainable, but parameters)")
        if found == expected - num_classes:
            raise NotYet(f"{what}: expected {expected:,}, found {found:,}. Hint: the Dense "
                         "layer fc has a bias (num_classes numbers); only the convolutions "
                         "have none")
        raise NotYet(f"{what}: expected {expected:,}, found {found:,}. Hint: conv_initial "
                     "(3x3, in_channels -> initial_filters), per block 3x3 convs, "
                     "BatchNormalizations of 4 per channel (bn1 and down_bn see the block's "
                     "input), a 1x1 projection where residual_path is True, then final_bn and "
                     "fc (kernel + bias)")
    return ("your formula matches Keras on 5 networks; ResNet([3, 3, 3], 10) has 273,562 "
            "parameters, and initial_filters=32 gives 697,898: the convolutions grow 4x, "
            "the BatchNormalizations and fc only 2x.")


def _conv_description(conv):
    k = conv.kernel_size
    c_in = conv.kernel.shape[-2]
    return f"the {k[0]}x{k[1]} convolution on {c_in} channel(s) with {conv.filters} filters"


def _new_model(cls, *args, what):
    import keras

    with quiet():
        model = call(cls, *args, what=what)
    if not isinstance(model, keras.Model):
        raise NotYet(f"{what} gave a {type(model).__name__}; expected a keras.Model subclass")
    return model


@verdict
def he_resnet(HeResNet):
    """Exercise 05.3: the article's ResNet with He initialisation in every convolution.

    Example::

        checks.he_resnet(HeResNet)
    """
    import keras

    what = "HeResNet([2, 2, 2], 10)"
    keras.utils.set_random_seed(0)
    model = _new_model(HeResNet, [2, 2, 2], 10, what=what)
    images = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    with quiet():
        out = call(model, images, what=f"{what} on a (2, 28, 28, 1) batch")
    expect_equal(tuple(np.asarray(out).shape), (2, 10), f"{what}: the output shape on (2, 28, 28, 1)")
    expect_equal(model.count_params(), 175_898, f"{what}: the number of parameters",
                 "He initialisation changes the starting values, not the layers")
    convs = layers_of_type(model, "Conv2D")
    expect_equal(len(convs), 15, f"{what}: the number of Conv2D layers")
    seen = {}
    for conv in convs:
        kernel = np.asarray(conv.kernel)
        fan_in = int(np.prod(kernel.shape[:-1]))
        he_std = (2 / fan_in) ** 0.5
        if not 0.75 < kernel.std() / he_std < 1.25:
            raise NotYet(f"{_conv_description(conv)} (fan_in {fan_in}) should start with a "
                         f"standard deviation near sqrt(2 / {fan_in}) = {he_std:.3f}, and it "
                         "does not. Hint: give every convolution, conv_initial and the 1x1 "
                         "projections included, kernel_initializer='he_normal' before the "
                         "model is built")
        key = (kernel.shape, kernel.tobytes())
        if key in seen:
            raise NotYet("two convolutions of the same shape start with identical kernels. "
                         "Hint: give each layer its own initializer (the string 'he_normal', or "
                         "a new keras.initializers.HeNormal() per layer), not one shared object")
        seen[key] = conv
    return ("every convolution starts with a standard deviation near sqrt(2 / fan_in), "
            "175,898 parameters as before.")


@verdict
def resnet_real_build(BuiltResNet):
    """Exercise 05.4: the article's ResNet with a build() that creates every weight.

    Example::

        checks.resnet_real_build(BuiltResNet)
    """
    import keras

    cases = [(([2, 2, 2], 10), (None, 28, 28, 1)), (([1, 1], 5), (None, 32, 32, 3))]
    for args, shape in cases:
        what = f"BuiltResNet({args[0]}, {args[1]}).build({shape})"
        model = _new_model(BuiltResNet, *args, what=f"BuiltResNet({args[0]}, {args[1]})")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(model.build, shape, what=what)
        unbuilt = [w for w in caught if "unbuilt state" in str(w.message)]
        if unbuilt:
            raise NotYet(f"{what} warned: {first_line(unbuilt[0].message)[:120]}… Hint: "
                         "override build(self, input_shape) in your class")
        reference = _reference_model(args[0], args[1], in_channels=shape[-1], size=shape[1])
        expected = reference.count_params()
        try:
            found = model.count_params()
        except ValueError:  # Keras refuses to count an unbuilt model
            found = 0
        if found != expected:
            raise NotYet(f"after {what} the model has {found:,} parameters; expected "
                         f"{expected:,}. Hint: build conv_initial, then self.blocks, final_bn "
                         "and fc, passing each the shape from compute_output_shape (notebook 03, "
                         "fix 2)")
        shapes = sorted(tuple(w.shape) for w in model.weights)
        wanted = sorted(tuple(w.shape) for w in reference.weights)
        if shapes != wanted:
            wrong = next(s for s in shapes if shapes.count(s) != wanted.count(s))
            raise NotYet(f"after {what} some weights have the wrong shape, e.g. {wrong}. Hint: "
                         "compute every shape from input_shape (compute_output_shape); do not "
                         "write in 28 x 28 x 1")
        for layer in layers_of_type(model, "Conv2D") + layers_of_type(model, "Dense"):
            if not layer.built:
                raise NotYet(f"after {what} a {type(layer).__name__} layer is still unbuilt")
        batch = np.zeros((2,) + tuple(shape[1:]), "float32")
        with quiet():
            out = call(model, batch, what=f"the built model on a {batch.shape} batch")
        expect_equal(tuple(np.asarray(out).shape), (2, args[1]),
                     f"the output of the built model on a {batch.shape} batch")
        expect_equal(model.count_params(), expected,
                     "the number of parameters after the first call",
                     "build must create the same weights that call would, and no others")
    return ("model.build(input_shape) now creates all 175,898 weights, with no warning, for any "
            "block_list and image shape.")
