"""Checkers for the exercises of notebook 10 (choosing an API)."""
import numpy as np

from helpers.checks.core import NotYet, call, expect_equal, expect_model, layers_of_type, quiet, verdict

__all__ = ["api_choices", "functional_face", "hybrid_resnet"]

# The decision guide's answer for each situation, and why.
API_ANSWERS = {
    "an MLP classifier: Flatten, Dense, Dense": (
        "sequential", "a straight stack with one input and one output is what Sequential is for"),
    "an image and a text length in, a class and a price out": (
        "functional", "several inputs and outputs make a graph, not a stack"),
    "a siamese network: one encoder applied to two images": (
        "functional", "a shared layer is called twice in one graph (notebook 02)"),
    "a forward pass that repeats a block until its output stops changing": (
        "subclassing", "a loop whose length depends on the data is a program, not a fixed graph"),
    "the article's ResNet, when you want summary() and plot_model to show every stage": (
        "functional", "the ResNet is a fixed graph; subclassed blocks wired functionally keep the view"),
}


@verdict
def api_choices(choices):
    """Exercise 10.1: match each situation to the API the decision guide recommends.

    Example::

        checks.api_choices({"an MLP classifier: Flatten, Dense, Dense": "sequential", ...})
    """
    if not isinstance(choices, dict):
        raise NotYet(f"expected a dict of situation -> answer, found {type(choices).__name__}")
    missing = [situation for situation in API_ANSWERS if situation not in choices]
    if missing:
        raise NotYet(f"keep every situation as a key; missing: {missing[0]!r}")
    for situation, (answer, why) in API_ANSWERS.items():
        given = choices[situation]
        if given is None:
            raise NotYet(f"no answer yet for {situation!r}; choose 'sequential', 'functional' "
                         "or 'subclassing'")
        if str(given).strip().lower() != answer:
            raise NotYet(f"{situation!r}: expected {answer!r}, found {given!r} — {why}")
    return f"all {len(API_ANSWERS)} situations matched the decision guide."


@verdict
def functional_face(to_functional):
    """Exercise 10.2: wrap a subclassed model in a Functional model that shares its layers.

    Example::

        checks.functional_face(to_functional)
    """
    import keras

    from helpers.models import ResNet

    subclassed = ResNet([1, 1], 10, initial_filters=4, name="subclassed")
    x = np.random.default_rng(0).random((2, 8, 8, 1), dtype=np.float32)
    expected = np.asarray(subclassed(x, training=False))
    with quiet():
        wrapped = expect_model(call(to_functional, subclassed, (8, 8, 1), what="to_functional()"),
                               "to_functional()")
    if wrapped is subclassed:
        raise NotYet("to_functional() returned the subclassed model itself; build a new "
                     "keras.Model on keras.Input(shape=input_shape)")
    if not wrapped.inputs or tuple(wrapped.input_shape) != (None, 8, 8, 1):
        raise NotYet(f"expected an input of shape (None, 8, 8, 1) from keras.Input(shape=input_shape), "
                     f"found {getattr(wrapped, 'input_shape', None)}")
    ids = {id(v) for v in subclassed.weights}
    if not all(id(v) in ids for v in wrapped.weights):
        raise NotYet("the Functional model has weights of its own; reuse the subclassed model's "
                     "layers (call model.call on the keras.Input) instead of new ones")
    expect_equal(wrapped.count_params(), subclassed.count_params(), "the number of parameters")
    if len(wrapped.layers) <= 2:
        raise NotYet(f"the Functional model has {len(wrapped.layers)} layer(s), so summary() still "
                     "shows one box; call `model.call(inputs)` rather than `model(inputs)` so each "
                     "inner layer becomes a node")
    if not np.allclose(np.asarray(wrapped(x, training=False)), expected, atol=1e-6):
        raise NotYet("the Functional model's outputs differ from the subclassed model's")
    return (f"a Functional face with {len(wrapped.layers)} layers and the same "
            f"{wrapped.count_params():,} parameters, predicting identically.")


@verdict
def hybrid_resnet(build_hybrid_resnet):
    """Exercise 10.3: a Functional ResNet of three subclassed ResnetBlocks.

    Example::

        checks.hybrid_resnet(build_hybrid_resnet)
    """
    from helpers.models import ResnetBlock

    with quiet():
        model = expect_model(call(build_hybrid_resnet, what="build_hybrid_resnet()"),
                             "build_hybrid_resnet()")
    if not model.inputs:
        raise NotYet("build the model with keras.Input and keras.Model(inputs, outputs), "
                     "not by subclassing")
    expect_equal(tuple(model.input_shape), (None, 28, 28, 1), "the input shape")
    expect_equal(tuple(model.output_shape), (None, 10), "the output shape")
    blocks = [layer for layer in model.layers if isinstance(layer, ResnetBlock)]
    plan = [(b.channels, b.strides, b.residual_path) for b in blocks]
    expect_equal(plan, [(16, 1, False), (32, 2, True), (64, 2, True)],
                 "the blocks as (channels, strides, residual_path), in order",
                 "each block must be its own layer in model.layers")
    shapes = [tuple(b.output.shape) for b in blocks]
    expect_equal(shapes, [(None, 28, 28, 16), (None, 14, 14, 32), (None, 7, 7, 64)],
                 "the blocks' output shapes")
    for name in ("BatchNormalization", "GlobalAveragePooling2D"):
        if not layers_of_type(model, name):
            raise NotYet(f"expected a {name} layer after the last block")
    # conv 3x3x1x16 + the three blocks (as notebook 04 counts them) + BN(64) + Dense(64 -> 10)
    expected = 144 + 4_736 + 14_592 + 57_856 + 256 + 650
    expect_equal(model.count_params(), expected, "the number of parameters")
    return f"a Functional ResNet of three subclassed blocks, {expected:,} parameters, every stage visible."
