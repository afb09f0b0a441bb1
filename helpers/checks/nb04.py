"""Checkers for the exercises of notebook 04 (ResnetBlock)."""
import numpy as np

from helpers.checks.core import NotYet, call, expect_equal, layers_of_type, verdict

__all__ = ["down_block_params", "post_activation_block", "bottleneck_block"]


def _images(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _block(cls, *args, what, **kwargs):
    """Instantiate the learner's block class and check it is a Keras layer or model."""
    import keras

    block = call(cls, *args, what=what, **kwargs)
    if not isinstance(block, keras.layers.Layer):
        raise NotYet(f"{what} gave a {type(block).__name__}; expected a keras.Model "
                     "(or keras.layers.Layer) subclass")
    return block


def _run(block, x, what, **kwargs):
    """Call the learner's block on x and return a NumPy array, or raise NotYet."""
    out = call(block, x, what=what, **kwargs)
    if out is None:
        raise NotYet(f"{what} returned None; did `call` forget to `return` its output?")
    return np.asarray(out)


def _zero_kernels(block):
    for conv in layers_of_type(block, "Conv2D"):
        conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))


@verdict
def down_block_params(down_block_64_params):
    """Exercise 04.1: the parameters of ResnetBlock(64, strides=2, residual_path=True) on 32 channels.

    Example::

        checks.down_block_params(down_block_64_params)
    """
    answer = call(down_block_64_params, what="down_block_64_params()")
    if answer is None:
        raise NotYet("down_block_64_params() returned None; expected three numbers, "
                     "(total, trainable, non_trainable)")
    try:
        total, trainable, non_trainable = (int(n) for n in answer)
    except (TypeError, ValueError):
        raise NotYet(f"expected three numbers (total, trainable, non_trainable), found {answer!r}") from None
    convs = 3 * 3 * 32 * 64 + 3 * 3 * 64 * 64 + 1 * 1 * 32 * 64      # conv1, conv2, down_conv
    bn = 2 * 32 + 2 * 64 + 2 * 32                                     # per pair: bn1, bn2, down_bn
    expected = (convs + 2 * bn, convs + bn, bn)
    if (total, trainable, non_trainable) != expected:
        if non_trainable == 2 * (64 + 64 + 64) or trainable == convs + 2 * (64 + 64 + 64):
            raise NotYet("bn1 and down_bn see the block's input, which has 32 channels, not 64: "
                         f"expected non-trainable {expected[2]}, found {non_trainable}")
        if total == expected[0] - 32 * 64 - 4 * 32:
            raise NotYet("residual_path=True adds the shortcut's layers: down_conv (1 x 1 x 32 x 64) "
                         f"and down_bn (4 x 32); expected total {expected[0]:,}, found {total:,}")
        if (trainable, non_trainable) == (expected[2], expected[1]):
            raise NotYet("trainable and non-trainable are swapped: gamma, beta and the kernels are "
                         "trainable; only the moving mean and variance are not")
        expect_equal(non_trainable, expected[2], "non-trainable parameters",
                     "2 per channel of each BatchNormalization (moving mean and variance)")
        expect_equal(trainable, expected[1], "trainable parameters",
                     "k*k*c_in*c_out for each conv (no bias) + 2 per channel of each BatchNormalization")
        expect_equal(total, expected[0], "total parameters", "total = trainable + non-trainable")
    return (f"{expected[0]:,} parameters: {expected[1]:,} trainable, {expected[2]:,} non-trainable. "
            "strides=1 gives the same counts: a kernel's size does not depend on its stride.")


@verdict
def post_activation_block(PostActivationBlock):
    """Exercise 04.2: the 2015 block, conv -> BN -> ReLU -> conv -> BN, + x, then ReLU.

    Example::

        checks.post_activation_block(PostActivationBlock)
    """
    what = "PostActivationBlock(8)"
    x = _images((4, 6, 6, 8))
    block = _block(PostActivationBlock, 8, what=what)
    out = _run(block, x, what)
    expect_equal(out.shape, x.shape, "the output shape", "stride 1 and 8 filters keep the shape")
    expect_equal(len(layers_of_type(block, "Conv2D")), 2, "the number of Conv2D layers")
    expect_equal(len(layers_of_type(block, "BatchNormalization")), 2,
                 "the number of BatchNormalization layers")
    if out.min() < 0:
        raise NotYet("the output has negative values: the 2015 block ends with a ReLU *after* "
                     "the addition, relu(F(x) + x)")
    # With zero kernels the branch is BN(0) = beta = 0 (fresh running averages), so the block
    # gives relu(x). A fresh block: training-mode calls would move the running averages.
    fresh = _block(PostActivationBlock, 8, what=what)
    _run(fresh, x, what)
    _zero_kernels(fresh)
    if not np.allclose(_run(fresh, x, what, training=False), np.maximum(x, 0), atol=1e-5):
        raise NotYet("with all kernels at zero the output should be relu(x): is the input added "
                     "to the branch before the final ReLU?")
    # Each conv is followed by BN: in training mode, scaling a kernel changes (almost) nothing.
    before = _run(block, x, what, training=True)
    for conv in layers_of_type(block, "Conv2D"):
        conv.kernel.assign(conv.kernel * 10.0)
    after = _run(block, x, what, training=True)
    if not np.allclose(before, after, rtol=0.05, atol=0.05):
        raise NotYet("in training mode, making the kernels 10 times larger changed the output, so "
                     "a convolution is not followed by BatchNormalization; the 2015 order is "
                     "conv -> BN -> ReLU -> conv -> BN, then add x, then ReLU")
    return ("conv -> BN -> ReLU -> conv -> BN, + x, ReLU: the ReLU after the addition clips the "
            "shortcut, which pre-activation avoids.")


def _bottleneck_params(c_in, channels, residual_path):
    mid = channels // 4
    convs = c_in * mid + 3 * 3 * mid * mid + mid * channels
    bn_channels = [c_in, mid, mid]
    if residual_path:
        convs += c_in * channels
        bn_channels.append(c_in)
    return convs + 4 * sum(bn_channels)


@verdict
def bottleneck_block(BottleneckBlock):
    """Exercise 04.3: a pre-activation bottleneck block, 1x1 -> 3x3 -> 1x1, plus the shortcut.

    Example::

        checks.bottleneck_block(BottleneckBlock)
    """
    for c_in, channels, strides, residual_path in ((16, 16, 1, False), (16, 32, 2, True)):
        what = f"BottleneckBlock({channels}, strides={strides}, residual_path={residual_path})"
        x = _images((4, 8, 8, c_in))
        block = _block(BottleneckBlock, channels, strides=strides, residual_path=residual_path,
                       what=what)
        out = _run(block, x, what)
        size = 8 // strides
        expect_equal(out.shape, (4, size, size, channels), f"{what}: the output shape on {x.shape}",
                     "stride the 3x3 conv and the shortcut's 1x1 conv; the last 1x1 conv has "
                     "`channels` filters")
        convs = layers_of_type(block, "Conv2D")
        sizes = sorted(conv.kernel_size[0] for conv in convs)
        expect_equal(sizes, [1, 1, 1, 3] if residual_path else [1, 1, 3],
                     f"{what}: the kernel sizes of its convolutions",
                     "1x1 down to channels // 4, 3x3, 1x1 back up (and a 1x1 on the shortcut)")
        if any(conv.use_bias for conv in convs):
            raise NotYet(f"{what}: use conv3x3 (or use_bias=False): BatchNormalization follows "
                         "every convolution, so a bias is wasted")
        expect_equal(block.count_params(), _bottleneck_params(c_in, channels, residual_path),
                     f"{what}: the number of parameters",
                     "one BatchNormalization before each conv, on the channels that conv reads")
        if not residual_path:
            _zero_kernels(block)
            if not np.allclose(_run(block, x, what, training=False), x, atol=1e-5):
                raise NotYet(f"{what}: with all kernels at zero the output should be the input "
                             "itself: add the shortcut, and put nothing (no ReLU) after the sum")
    basic = 2 * (9 * 64 * 64 + 4 * 64)
    bottleneck = _bottleneck_params(64, 64, False)
    return (f"at 64 channels a bottleneck block has {bottleneck:,} parameters, "
            f"a basic ResnetBlock {basic:,}.")
