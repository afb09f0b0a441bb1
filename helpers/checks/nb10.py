"""Checkers for the exercises of notebook 10 (choosing an API): the API choices are compared with
the decision guide's answers, ``API_ANSWERS``; the models are built, compared with a spec and run
next to the reference ``helpers.models.ResNet``."""

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["api_choices", "functional_face", "hybrid_resnet"]

# fmt: off
API_ANSWERS = {  # the decision guide's answer for each situation, and why
    "an MLP classifier: Flatten, Dense, Dense": ("sequential", "a straight stack with one input and one output is what Sequential is for"),
    "an image and a text length in, a class and a price out": ("functional", "several inputs and outputs make a graph, not a stack"),
    "a siamese network: one encoder applied to two images": ("functional", "a shared layer is called twice in one graph (notebook 02)"),
    "a forward pass that repeats a block until its output stops changing": ("subclassing", "a loop whose length depends on the data is a program, not a fixed graph"),
    "the article's ResNet, when you want summary() and plot_model to show every stage": ("functional", "the ResNet is a fixed graph; subclassed blocks wired functionally keep the view"),
}
# fmt: on
# conv 3x3x1x16 + the three blocks (as notebook 04 counts them) + BN(64) + Dense(64 -> 10)
HYBRID_PARAMS = 144 + 4_736 + 14_592 + 57_856 + 256 + 650


def blocks(model):
    """The ResnetBlocks that are layers of the model, in order."""
    from helpers.models import ResnetBlock

    return [layer for layer in model.layers if isinstance(layer, ResnetBlock)]


# fmt: off
HYBRID_RESNET = [  # (what, measure, expected, hint)
    ("the input shape", core.input_shape, (None, 28, 28, 1), ""),
    ("the output shape", lambda m: tuple(m.output_shape), (None, 10), ""),
    ("the blocks as (channels, strides, residual_path), in order", lambda m: [(b.channels, b.strides, b.residual_path) for b in blocks(m)], [(16, 1, False), (32, 2, True), (64, 2, True)], "each block must be its own layer in model.layers"),
    ("the blocks' output shapes", lambda m: [tuple(b.output.shape) for b in blocks(m)], [(None, 28, 28, 16), (None, 14, 14, 32), (None, 7, 7, 64)], ""),
]
FUNCTIONAL_FACE = [  # (symptom, hint) over the model to_functional() returned
    (lambda f: not f.wrapped.inputs or tuple(f.input_shape) != (None, 8, 8, 1), "expected an input of shape (None, 8, 8, 1) from keras.Input(shape=input_shape), found {input_shape}"),
    (lambda f: not {id(v) for v in f.wrapped.weights} <= {id(v) for v in f.subclassed.weights}, "the Functional model has weights of its own; reuse the subclassed model's layers (call model.call on the keras.Input) instead of new ones"),
    (lambda f: f.params != f.expected_params, "the number of parameters: expected {expected_params}, found {params}."),
    (lambda f: f.layers <= 2, "the Functional model has {layers} layer(s), so summary() still shows one box; call `model.call(inputs)` rather than `model(inputs)` so each inner layer becomes a node"),
    (lambda f: not core.close(core.to_numpy(f.wrapped(f.x, training=False)), f.expected), "the Functional model's outputs differ from the subclassed model's"),
]
# fmt: on


@verdict
def api_choices(choices):
    """Exercise 10.1: match each situation to the API the decision guide recommends. Compares each
    answer with ``API_ANSWERS`` and explains a wrong one. Example::

        checks.api_choices(api_choices)
    """
    if not isinstance(choices, dict):
        raise NotYet(f"expected a dict of situation -> answer, found {type(choices).__name__}")
    missing = [situation for situation in API_ANSWERS if situation not in choices]
    if missing:
        raise NotYet(f"keep every situation as a key; missing: {missing[0]!r}")
    for situation, (answer, why) in API_ANSWERS.items():
        given = choices[situation]
        if given is None:
            raise NotYet(
                f"no answer yet for {situation!r}; choose 'sequential', 'functional' or 'subclassing'"
            )
        if str(given).strip().lower() != answer:
            raise NotYet(f"{situation!r}: expected {answer!r}, found {given!r} — {why}")
    return f"all {len(API_ANSWERS)} situations matched the decision guide."


@verdict
def functional_face(to_functional):
    """Exercise 10.2: wrap a subclassed model in a Functional model that shares its layers. Wraps a
    small ``helpers.models.ResNet`` and reads the table ``FUNCTIONAL_FACE``: a new model on an input
    of shape (None, 8, 8, 1), with the subclassed model's own weights, a node per inner layer, and
    the same predictions. Example::

        checks.functional_face(to_functional)
    """
    from helpers.models import ResNet

    subclassed = ResNet([1, 1], 10, initial_filters=4, name="subclassed")
    x = core.random_array(2, 8, 8, 1)
    expected = core.to_numpy(subclassed(x, training=False))
    wrapped = core.model_from(to_functional, subclassed, (8, 8, 1), what="to_functional()")
    if wrapped is subclassed:
        raise NotYet(
            "to_functional() returned the subclassed model itself; build a new keras.Model on keras.Input(shape=input_shape)"
        )
    facts = dict(wrapped=wrapped, subclassed=subclassed, x=x, expected=expected)
    shape, layers = getattr(wrapped, "input_shape", None), len(wrapped.layers)
    counts = dict(params=wrapped.count_params(), expected_params=subclassed.count_params())
    core.diagnose(FUNCTIONAL_FACE, input_shape=shape, layers=layers, **counts, **facts)
    return f"a Functional face with {len(wrapped.layers)} layers and the same {wrapped.count_params():,} parameters, predicting identically."


@verdict
def hybrid_resnet(build_hybrid_resnet):
    """Exercise 10.3: a Functional ResNet of three subclassed ResnetBlocks. Checks the spec
    ``HYBRID_RESNET`` (shapes, the three blocks as separate layers), a BatchNormalization and
    pooling after the blocks, and 78,234 parameters. Example::

        checks.hybrid_resnet(build_hybrid_resnet)
    """
    model = core.model_from(build_hybrid_resnet, what="build_hybrid_resnet()")
    if not model.inputs:
        raise NotYet(
            "build the model with keras.Input and keras.Model(inputs, outputs), not by subclassing"
        )
    core.expect(model, HYBRID_RESNET)
    for name in ("BatchNormalization", "GlobalAveragePooling2D"):
        if not core.layers_of_type(model, name):
            raise NotYet(f"expected a {name} layer after the last block")
    core.expect_equal(core.params(model), HYBRID_PARAMS, "the number of parameters")
    return f"a Functional ResNet of three subclassed blocks, {HYBRID_PARAMS:,} parameters, every stage visible."
