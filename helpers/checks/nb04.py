"""Checkers for the exercises of notebook 04 (ResnetBlock): each builds the learner's block
on a few random images and reads what it did, with zeroed or scaled kernels too; a wrong
parameter count is matched with the common mistakes' counts first."""

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["down_block_params", "post_activation_block", "bottleneck_block"]

CONVS = 3 * 3 * 32 * 64 + 3 * 3 * 64 * 64 + 1 * 1 * 32 * 64  # conv1, conv2, down_conv
BN = 2 * 32 + 2 * 64 + 2 * 32  # two numbers per channel of bn1, bn2 and down_bn
TOTAL, TRAINABLE, NON_TRAINABLE = CONVS + 2 * BN, CONVS + BN, BN

STRIDES = (
    "stride the 3x3 conv and the shortcut's 1x1 conv; the last 1x1 conv has `channels` filters"
)
SIZES = "1x1 down to channels // 4, 3x3, 1x1 back up (and a 1x1 on the shortcut)"

# fmt: off
DOWN_BLOCK_MISTAKES = [  # (symptom, hint) over the learner's (total, trainable, non_trainable)
    (lambda f: f.non_trainable == 2 * 3 * 64 or f.trainable == CONVS + 2 * 3 * 64, "bn1 and down_bn see the block's input, which has 32 channels, not 64: expected non-trainable " + str(NON_TRAINABLE) + ", found {non_trainable}"),
    (lambda f: f.total == TOTAL - 32 * 64 - 4 * 32, "residual_path=True adds the shortcut's layers: down_conv (1 x 1 x 32 x 64) and down_bn (4 x 32); expected total " + f"{TOTAL:,}" + ", found {total:,}"),
    (lambda f: (f.trainable, f.non_trainable) == (NON_TRAINABLE, TRAINABLE), "trainable and non-trainable are swapped: gamma, beta and the kernels are trainable; only the moving mean and variance are not"),
]
DOWN_BLOCK = [  # (what, measure, expected, hint) over (total, trainable, non_trainable)
    ("non-trainable parameters", lambda n: n[2], NON_TRAINABLE, "2 per channel of each BatchNormalization (moving mean and variance)"),
    ("trainable parameters", lambda n: n[1], TRAINABLE, "k*k*c_in*c_out for each conv (no bias) + 2 per channel of each BatchNormalization"),
    ("total parameters", lambda n: n[0], TOTAL, "total = trainable + non-trainable"),
]
POST_ACTIVATION = [  # (what, measure, expected, hint)
    ("the number of Conv2D layers", lambda block: len(core.layers_of_type(block, "Conv2D")), 2, ""),
    ("the number of BatchNormalization layers", lambda block: len(core.layers_of_type(block, "BatchNormalization")), 2, ""),
]
POST_ACTIVATION_MISTAKES = [  # (symptom, hint)
    (lambda f: f.out.min() < 0, "the output has negative values: the 2015 block ends with a ReLU *after* the addition, relu(F(x) + x)"),
    (lambda f: not core.close(f.zero_kernels, np.maximum(f.x, 0), atol=1e-5), "with all kernels at zero the output should be relu(x): is the input added to the branch before the final ReLU?"),
    (lambda f: not core.close(f.scaled, f.trained, rtol=0.05, atol=0.05), "in training mode, making the kernels 10 times larger changed the output, so a convolution is not followed by BatchNormalization; the 2015 order is conv -> BN -> ReLU -> conv -> BN, then add x, then ReLU"),
]
BOTTLENECK_MISTAKES = [  # (symptom, hint) over one BottleneckBlock, {what}
    (lambda f: any(conv.use_bias for conv in f.convs), "{what}: use conv3x3 (or use_bias=False): BatchNormalization follows every convolution, so a bias is wasted"),
    (lambda f: f.found != f.params, "{what}: the number of parameters: expected {params}, found {found}. Hint: one BatchNormalization before each conv, on the channels that conv reads"),
    (lambda f: f.identity and not core.close(_run(core.zero_kernels(f.block), f.x, f.what, training=False), f.x, atol=1e-5), "{what}: with all kernels at zero the output should be the input itself: add the shortcut, and put nothing (no ReLU) after the sum"),
]
# fmt: on


def _block(cls, *args, what, **kwargs):
    """The learner's block, a Keras layer or model."""
    base, expected = "keras.layers.Layer", "a keras.Model (or keras.layers.Layer) subclass"
    return core.new_instance(cls, *args, what=what, base=base, expected=expected, **kwargs)


def _run(block, x, what, training=None):
    return core.output_of(block, x, what, training, "did `call` forget to `return` its output?")


@verdict
def down_block_params(down_block_64_params):
    """Exercise 04.1: the parameters of ResnetBlock(64, strides=2, residual_path=True) on 32
    channels. Matches the learner's (total, trainable, non_trainable) with ``DOWN_BLOCK_MISTAKES``,
    then compares it with the count by hand, ``DOWN_BLOCK``. Example::

        checks.down_block_params(down_block_64_params)
    """
    what, expected = "down_block_64_params()", "three numbers, (total, trainable, non_trainable)"
    answer = core.returned(down_block_64_params, what=what, expected=expected)
    try:
        total, trainable, non_trainable = (int(n) for n in answer)
    except (TypeError, ValueError):
        raise NotYet(
            f"expected three numbers (total, trainable, non_trainable), found {answer!r}"
        ) from None
    core.diagnose(
        DOWN_BLOCK_MISTAKES, total=total, trainable=trainable, non_trainable=non_trainable
    )
    core.expect((total, trainable, non_trainable), DOWN_BLOCK)
    return f"{TOTAL:,} parameters: {TRAINABLE:,} trainable, {NON_TRAINABLE:,} non-trainable. strides=1 gives the same counts: a kernel's size does not depend on its stride."


@verdict
def post_activation_block(PostActivationBlock):
    """Exercise 04.2: the 2015 block, conv -> BN -> ReLU -> conv -> BN, + x, then ReLU. Checks the
    spec ``POST_ACTIVATION`` and the table ``POST_ACTIVATION_MISTAKES``: no negative outputs,
    relu(x) with zeroed kernels, and a BatchNormalization after each convolution. Example::

        checks.post_activation_block(PostActivationBlock)
    """
    what, x = "PostActivationBlock(8)", core.random_array(4, 6, 6, 8, normal=True)
    block = _block(PostActivationBlock, 8, what=what)
    out = _run(block, x, what)
    hint = "stride 1 and 8 filters keep the shape"
    core.expect_equal(out.shape, x.shape, "the output shape", hint)
    core.expect(block, POST_ACTIVATION)
    # With zero kernels the branch is BN(0) = beta = 0 (fresh running averages), so the block
    # gives relu(x). A fresh block: training-mode calls would move the running averages.
    fresh = _block(PostActivationBlock, 8, what=what)
    _run(fresh, x, what)
    zero_kernels = _run(core.zero_kernels(fresh), x, what, training=False)
    # Each conv is followed by BN: in training mode, scaling a kernel changes (almost) nothing.
    trained = _run(block, x, what, training=True)
    for conv in core.layers_of_type(block, "Conv2D"):
        conv.kernel.assign(conv.kernel * 10.0)
    scaled = _run(block, x, what, training=True)
    facts = dict(out=out, x=x, zero_kernels=zero_kernels, trained=trained, scaled=scaled)
    core.diagnose(POST_ACTIVATION_MISTAKES, **facts)
    return "conv -> BN -> ReLU -> conv -> BN, + x, ReLU: the ReLU after the addition clips the shortcut, which pre-activation avoids."


def _bottleneck_params(c_in, channels, residual_path):
    mid, down = channels // 4, c_in if residual_path else 0  # down: the shortcut's 1x1 and BN
    convs = c_in * mid + 3 * 3 * mid * mid + mid * channels + down * channels
    return convs + 4 * (c_in + mid + mid + down)


@verdict
def bottleneck_block(BottleneckBlock):
    """Exercise 04.3: a pre-activation bottleneck block, 1x1 -> 3x3 -> 1x1, plus the shortcut. Runs
    ``BottleneckBlock(16)`` and ``BottleneckBlock(32, strides=2, residual_path=True)`` on 16
    channels: their shapes and kernel sizes, then ``BOTTLENECK_MISTAKES`` (no biases, the
    parameters, and the identity block returns its input with zeroed kernels). Example::

        checks.bottleneck_block(BottleneckBlock)
    """
    x = core.random_array(4, 8, 8, 16, normal=True)
    for channels, strides, residual_path in ((16, 1, False), (32, 2, True)):
        what = f"BottleneckBlock({channels}, strides={strides}, residual_path={residual_path})"
        kwargs = dict(strides=strides, residual_path=residual_path)
        block = _block(BottleneckBlock, channels, what=what, **kwargs)
        out, size, convs = _run(block, x, what), 8 // strides, core.layers_of_type(block, "Conv2D")
        shape, sizes = (4, size, size, channels), sorted(conv.kernel_size[0] for conv in convs)
        core.expect_equal(out.shape, shape, f"{what}: the output shape on {x.shape}", STRIDES)
        kernels = [1, 1, 1, 3] if residual_path else [1, 1, 3]
        core.expect_equal(sizes, kernels, f"{what}: the kernel sizes of its convolutions", SIZES)
        facts = dict(what=what, block=block, x=x, convs=convs, identity=not residual_path)
        params = _bottleneck_params(16, channels, residual_path)
        core.diagnose(BOTTLENECK_MISTAKES, params=params, found=block.count_params(), **facts)
    basic, bottleneck = 2 * (9 * 64 * 64 + 4 * 64), _bottleneck_params(64, 64, False)
    return f"at 64 channels a bottleneck block has {bottleneck:,} parameters, a basic ResnetBlock {basic:,}."
