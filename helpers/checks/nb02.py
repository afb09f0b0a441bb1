"""Checkers for the exercises of notebook 02 (the Functional API): each runs the learner's model
on a few random inputs and reads its graph of layers: inputs and outputs, how each ``Add`` is
wired (a skip connection adds a tensor to something computed *from* it), parameters, compile."""

import re

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["article_mlp_64", "image_only_two_heads", "two_block_residual", "projection_block"]

ARTICLE_PARAMS = 64 * 256 + 256 + 256 * 512 + 512 + 512 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
RESIDUAL_PARAMS = (784 * 64 + 64) + 2 * 2 * (64 * 64 + 64) + (64 * 10 + 10)
PROJECTION_PARAMS = 2 * (64 * 32 + 32) + (32 * 32 + 32)
ONE_LOSS_EACH = "loss={{'clothing_class': 'sparse_categorical_crossentropy', 'footwear': 'binary_crossentropy'}}"
IMAGE_INPUT = "keras.Input(shape=(28, 28), name='image')"
ONE_ADD_EACH = "each residual block ends with its own layers.Add()([x, y])"
NO_SKIP = "; Dense layers stacked one after another, as in Sequential, have no skip connection"


def counted(model):
    """A measure: the parameter count as the learner reads it, e.g. ``'222,794'``."""
    return f"{model.count_params():,}"


def _normalise(name):
    return re.sub(r"[^a-z]", "", str(name).lower())


# fmt: off
ARTICLE_MLP_64 = [  # (what, measure, expected, hint)
    ("the input shape", core.input_shape, (None, 64), "keras.Input(shape=(64,)): 64 features instead of the article's 128"),
    ("the Dense layers' units, in order", core.units, [256, 512, 128, 64, 10], "keep the article's layers; only the input changes"),
    ("the Dense layers' activations", core.activations, ["relu"] * 4 + ["softmax"], "relu in the four hidden layers, softmax at the output"),
    ("the number of parameters", counted, f"{ARTICLE_PARAMS:,}", "only the first Dense changes: 64 × 256 + 256 = 16,640 instead of 33,024"),
]
ARTICLE_COMPILE = [  # (symptom, hint) over how the model was compiled
    (lambda f: not f.compiled, "the model is not compiled; expected model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001), loss='categorical_crossentropy', metrics=['accuracy']) before `return model`"),
    (lambda f: f.optimizer != "RMSprop", "the optimizer: expected RMSprop, found {optimizer}. Hint: keras.optimizers.RMSprop(learning_rate=0.001); the article's tf.train.RMSPropOptimizer is TensorFlow 1"),
    (lambda f: f.learning_rate != 0.001, "the learning rate: expected 0.001, found {learning_rate}. Hint: RMSprop(learning_rate=0.001), the article's 0.001"),
    (lambda f: _normalise(f.loss) != "categoricalcrossentropy", "the loss: expected categorical_crossentropy, found {loss}. Hint: the article's labels are one-hot rows, so its loss is loss='categorical_crossentropy'"),
    (lambda f: not any("acc" in _normalise(name) for name in f.metrics), "the metrics: expected ['accuracy'], found {metrics}. Hint: metrics=['accuracy'], as in the article"),
]
TWO_HEADS = [  # (what, measure, expected, hint), once the model has one input
    ("the input's name", lambda m: m.inputs[0].name, "image", IMAGE_INPUT),
    ("the input shape", lambda m: tuple(m.inputs[0].shape), (None, 28, 28), IMAGE_INPUT),
    ("the output names", lambda m: sorted(m.output_names), ["clothing_class", "footwear"], "name the output layers (name='clothing_class', name='footwear') or give keras.Model a dict of outputs with those keys"),
]
TWO_HEADS_OUTPUTS = [  # (symptom, hint) over the two outputs on 4 images
    (lambda f: f.classes_shape != (None, 10), "the shape of output 'clothing_class': expected (None, 10), found {classes_shape}. Hint: its Dense layer needs 10 units"),
    (lambda f: f.footwear_shape != (None, 1), "the shape of output 'footwear': expected (None, 1), found {footwear_shape}. Hint: its Dense layer needs 1 unit"),
    (lambda f: not np.allclose(np.sum(f.classes, axis=1), 1.0, atol=1e-4), "each 'clothing_class' row should be 10 probabilities summing to 1: use activation='softmax'"),
    (lambda f: np.any(f.footwear < 0) or np.any(f.footwear > 1), "'footwear' should be a probability between 0 and 1: use activation='sigmoid'"),
    (lambda f: np.allclose(f.footwear, 1.0), "'footwear' is 1.0 for every image: a softmax over one unit always gives 1; use activation='sigmoid'"),
    (lambda f: not f.compiled, "the model is not compiled; expected model.compile(optimizer=..., loss={{'clothing_class': ..., 'footwear': ...}}, metrics=...) before `return model`"),
]
HEAD_LOSSES = [  # (symptom, hint) over model.loss
    (lambda f: f.unknown, "loss has keys {unknown} but the model has no output by that name; expected the keys ['clothing_class', 'footwear']"),
    (lambda f: isinstance(f.loss, (list, tuple)) and len(f.loss) != 2, "expected one loss per output (2), found a list of {count}. Hint: loss={{'clothing_class': ..., 'footwear': ...}}"),
    (lambda f: not isinstance(f.loss, (dict, list, tuple)), "expected one loss per output, found a single loss, {single!r}. Hint: " + ONE_LOSS_EACH),
    (lambda f: f.missing, "expected a loss for each output, found none for {missing}. Hint: " + ONE_LOSS_EACH),
    (lambda f: not _normalise(f.clothing_class).endswith("categoricalcrossentropy"), "the loss for 'clothing_class': expected 'sparse_categorical_crossentropy', found {clothing_class!r}. Hint: 10 classes need a (sparse) categorical cross-entropy"),
    (lambda f: not _normalise(f.footwear).endswith("binarycrossentropy"), "the loss for 'footwear': expected 'binary_crossentropy', found {footwear!r}. Hint: a yes/no answer from one sigmoid unit needs binary cross-entropy"),
]
SKIP_CONNECTION = [  # (symptom, hint) over Add layer number {number} of a residual block
    (lambda f: f.pair is None and f.self_added, "Add layer {number} ({name!r}) is not a skip connection: expected Add([x, y]) with y = F(x) computed from the block's input x, found a tensor added to itself. Hint: keep the block's input in a variable and add it to the output of the block's two Dense layers"),
    (lambda f: f.pair is None, "Add layer {number} ({name!r}) is not a skip connection: expected Add([x, y]) with y = F(x) computed from the block's input x, found two tensors, neither computed from the other. Hint: keep the block's input in a variable and add it to the output of the block's two Dense layers"),
    (lambda f: f.skipped != [64, 64], "Add layer {number} ({name!r}) skips over the Dense layers {skipped}; expected [64, 64], the block's F(x). Hint: the skip starts at the block's input, right before its first Dense(64)"),
]
PROJECTION_ADD = [  # (symptom, hint) over the Add of the projection block
    (lambda f: len(f.inputs) != 2 or f.inputs[0] is f.inputs[1], "expected Add([main, skip]) with two different tensors"),
    (lambda f: _skip_and_branch(f.inputs) is not None, "one input of Add is computed from the other, so the skip does not start at the block's input. Hint: skip = Dense(32)(inputs), a separate layer called on the block's input, beside the main path"),
    (lambda f: any(id(f.start) not in _ancestors(t) for t in f.inputs), "both inputs of Add should be computed from the block's input"),
]
PROJECTION_PATHS = [  # (what, measure, expected, hint) over (skip path, main path) Dense units
    ("the Dense layers on the skip path", lambda paths: paths[0], [32], "the projection is one Dense(32) called on the block's input"),
    ("the Dense layers on the main path", lambda paths: paths[1], [32, 32], "Dense(32, activation='relu') then Dense(32)"),
]
PROJECTION_END = [  # (symptom, hint) over the block's output and parameter count
    (lambda f: np.any(f.outputs < 0), "the block's output has negative values; expected it to finish with a ReLU after the Add (layers.Activation('relu') or layers.ReLU())"),
    (lambda f: f.params != PROJECTION_PARAMS, "the number of parameters: expected 5,216, found {params:,}. Hint: main path 64 × 32 + 32 = 2,080 and 32 × 32 + 32 = 1,056, projection 2,080"),
]
# fmt: on


def _outputs(model, x):
    """``model(x)`` as NumPy, ``x`` packed the way the model's inputs were given."""
    struct = getattr(model, "_inputs_struct", None)
    if isinstance(struct, dict):
        x = {name: x for name in struct}
    elif isinstance(struct, (list, tuple)):
        x = [x]
    return core.output_of(model, x, "model(x)")


def _name_of(thing):
    """A readable name for a loss or a metric given as a string, an object or a function."""
    if thing is None or isinstance(thing, str):
        return thing
    fn = getattr(thing, "fn", None)  # keras.losses.LossFunctionWrapper
    if fn is not None and hasattr(fn, "__name__"):
        return fn.__name__
    name = getattr(thing, "name", None)
    return name if isinstance(name, str) else getattr(thing, "__name__", type(thing).__name__)


def _metric_names(model):
    """The names of the metrics given to ``compile`` (as strings, objects or their configs)."""
    metrics = (model.get_compile_config() or {}).get("metrics") or []
    names = []
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        if isinstance(metric, dict):  # a serialised object {"class_name": ..., "config": ...}
            config = metric.get("config")
            named = isinstance(config, dict)
            metric = config.get("name") if named else config or metric.get("class_name")
        names.append(_name_of(metric))
    return names


# --- reading the graph -------------------------------------------------------------------


def _parents(tensor):
    """The operation that produced ``tensor`` and the tensors it was called on."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None, []
    node = history.operation._inbound_nodes[history.node_index]
    return history.operation, list(node.input_tensors)


def _ancestors(tensor, memo=None):
    """ids of every tensor that ``tensor`` was computed from."""
    memo = {} if memo is None else memo
    if id(tensor) not in memo:
        memo[id(tensor)] = set()  # guards against cycles, which a graph cannot have anyway
        found = set()
        for parent in _parents(tensor)[1]:
            found |= {id(parent)} | _ancestors(parent, memo)
        memo[id(tensor)] = found
    return memo[id(tensor)]


def _units_between(start, end):
    """The units of the Dense layers on the paths from tensor ``start`` to ``end``, inputs first."""
    memo, seen, operations, stack = {}, set(), [], [end]
    while stack:
        tensor = stack.pop()
        if tensor is start or id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if id(start) in _ancestors(tensor, memo):
            operation, parents = _parents(tensor)
            operations.append((len(_ancestors(tensor, memo)), operation))
            stack.extend(parents)
    operations = [op for _, op in sorted(operations, key=lambda pair: pair[0])]
    return [op.units for op in operations if type(op).__name__ == "Dense"]


def _add_calls(model):
    """(the Add layer, its input tensors, its output tensor) for every call of an Add layer."""
    adds = core.layers_of_type(model, "Add")
    return [(a, list(n.input_tensors), n.output_tensors[0]) for a in adds for n in a._inbound_nodes]


def _skip_and_branch(inputs):
    """For Add([x, y]) with y computed from x: (x, y); otherwise None."""
    if len(inputs) != 2 or inputs[0] is inputs[1]:
        return None
    a, b = inputs
    return (a, b) if id(a) in _ancestors(b) else (b, a) if id(b) in _ancestors(a) else None


# --- the checkers ------------------------------------------------------------------------


@verdict
def article_mlp_64(build_article_mlp_64):
    """Exercise 02.1: the corrected article network for 64 input features, compiled as in the
    article. Checks the spec ``ARTICLE_MLP_64``, that each output row is a probability distribution,
    and the table ``ARTICLE_COMPILE``: RMSprop at 0.001, categorical cross-entropy, accuracy.
    Example::

        checks.article_mlp_64(build_article_mlp_64)
    """
    model = core.model_from(build_article_mlp_64, what="build_article_mlp_64()")
    core.expect(model, ARTICLE_MLP_64)
    core.expect_probabilities(_outputs(model, core.random_array(3, 64)))
    compiled = getattr(model, "compiled", False)
    optimizer = type(model.optimizer).__name__ if compiled else None
    learning_rate = round(float(model.optimizer.learning_rate), 6) if compiled else None
    facts = dict(optimizer=optimizer, learning_rate=learning_rate, metrics=_metric_names(model))
    core.diagnose(ARTICLE_COMPILE, compiled=compiled, loss=_name_of(model.loss), **facts)
    return f"the article's network for 64 features: {ARTICLE_PARAMS:,} parameters (the first Dense has 64 × 256 + 256 = 16,640 instead of 33,024), compiled with RMSprop(learning_rate=0.001), categorical cross-entropy and accuracy."


def _loss_facts(loss, names):
    """Facts for ``HEAD_LOSSES``: the loss given to compile, and the one for each output."""
    if isinstance(loss, dict):
        by_output = {name: loss.get(name) for name in names}
    else:
        by_output = dict(zip(names, loss)) if isinstance(loss, (list, tuple)) else {}
    unknown = sorted(set(loss) - set(names)) if isinstance(loss, dict) else []
    missing = [name for name in ("clothing_class", "footwear") if by_output.get(name) is None]
    count = len(loss) if isinstance(loss, (list, tuple)) else 1
    heads = {name: _name_of(by_output.get(name)) for name in ("clothing_class", "footwear")}
    return dict(
        loss=loss, unknown=unknown, missing=missing, count=count, single=_name_of(loss), **heads
    )


@verdict
def image_only_two_heads(build_image_only_two_heads):
    """Exercise 02.2: the two-output model without the ``histogram`` input, one loss per output.
    Checks one input, the spec ``TWO_HEADS`` (an ``image`` input, the outputs ``clothing_class`` and
    ``footwear``), then the tables ``TWO_HEADS_OUTPUTS`` (softmax probabilities, one sigmoid
    probability) and ``HEAD_LOSSES`` (a loss for each output). Example::

        checks.image_only_two_heads(build_image_only_two_heads)
    """
    model = core.model_from(build_image_only_two_heads, what="build_image_only_two_heads()")
    inputs = [tensor.name for tensor in model.inputs]
    if len(inputs) != 1:
        raise NotYet(
            f"expected one input, 'image', found {len(inputs)}: {inputs}. Hint: drop the histogram input and its branch (and the Concatenate that joined them)"
        )
    core.expect(model, TWO_HEADS)
    names = list(model.output_names)
    outputs = _outputs(model, core.random_array(4, 28, 28))
    outputs = outputs if isinstance(outputs, dict) else dict(zip(names, outputs))
    compiled = getattr(model, "compiled", False)
    heads = dict(classes=outputs["clothing_class"], footwear=outputs["footwear"])
    shapes = {f"{k}_shape": (None, *v.shape[1:]) for k, v in heads.items()}
    core.diagnose(TWO_HEADS_OUTPUTS, compiled=compiled, **heads, **shapes)
    facts = _loss_facts(model.loss, names)
    core.diagnose(HEAD_LOSSES, **facts)
    return f"one input, 'image' (None, 28, 28); outputs 'clothing_class' (None, 10) with {facts['clothing_class']} and 'footwear' (None, 1) with {facts['footwear']}; {model.count_params():,} parameters."


def _expect_blocks_in_a_row(model, adds):
    """The second block starts from the first block's output (when both Adds are in this graph)."""
    (_, inputs_1, output_1), (_, inputs_2, output_2) = adds
    if all(layer in model.layers for layer, _, _ in adds):  # not inside sub-models

        def feeds(tensor, inputs):
            return any(tensor is t or id(tensor) in _ancestors(t) for t in inputs)

        if not (feeds(output_1, inputs_2) or feeds(output_2, inputs_1)):
            raise NotYet(
                "the two blocks are side by side; expected the second block to start from the first block's output (after its ReLU)"
            )


@verdict
def two_block_residual(build_two_block_residual):
    """Exercise 02.3: ``residual_model`` with a second residual block after the first. Checks the
    input (None, 28, 28) and output (None, 10, softmax); two ``Add`` layers, each a skip connection
    around two ``Dense(64)`` (the table ``SKIP_CONNECTION``); the second block fed by the first; and
    67,530 parameters. Example::

        checks.two_block_residual(build_two_block_residual)
    """
    model = core.model_from(build_two_block_residual, what="build_two_block_residual()")
    hint = "keras.Input(shape=(28, 28), name='image'), as in residual_model"
    core.expect_equal(core.input_shape(model), (None, 28, 28), "the input shape", hint)
    probabilities = _outputs(model, core.random_array(3, 28, 28))
    shape = (None, *probabilities.shape[1:])
    core.expect_equal(shape, (None, 10), "the output shape", "end with Dense(10, softmax)")
    core.expect_probabilities(probabilities)
    adds = _add_calls(model)
    hint = ONE_ADD_EACH + (": add a second block after the first" if adds else NO_SKIP)
    core.expect_equal(len(adds), 2, "the number of Add layers", hint)
    for number, (layer, inputs, _) in enumerate(adds, start=1):
        pair = _skip_and_branch(inputs)
        facts = dict(pair=pair, self_added=len(inputs) == 2 and inputs[0] is inputs[1])
        skipped = _units_between(*pair) if pair else None
        core.diagnose(SKIP_CONNECTION, number=number, name=layer.name, skipped=skipped, **facts)
    _expect_blocks_in_a_row(model, adds)
    hint = "dense_in 50,240 + 8,320 per block (two Dense(64): 2 × 4,160) + 650 for the output"
    core.expect_equal(counted(model), f"{RESIDUAL_PARAMS:,}", "the number of parameters", hint)
    return f"two residual blocks in a row, each Add([x, F(x)]) around two Dense(64); {RESIDUAL_PARAMS:,} parameters (each block adds 8,320)."


def _projection_model(build):
    """The learner's block; Add's complaint about two shapes gets the projection hint."""
    try:
        return core.model_from(build, what="build_projection_block()")
    except NotYet as problem:
        if "incompatible shapes" not in str(problem):
            raise
        hint = "Add needs two tensors of the same shape; pass the skip through its own Dense(32), the projection, before adding"
        raise NotYet(f"{problem}. Hint: {hint}") from None


@verdict
def projection_block(build_projection_block):
    """Exercise 02.4: a residual block from 64 to 32 features with a projection shortcut. Checks the
    input (None, 64) and output (None, 32); one ``Add`` (the table ``PROJECTION_ADD``) of the main
    path, ``Dense(32, relu)`` then ``Dense(32)``, and the skip, its own ``Dense(32)`` on the block's
    input; then ``PROJECTION_END``: a ReLU, 5,216 parameters. Example::

        checks.projection_block(build_projection_block)
    """
    model = _projection_model(build_projection_block)
    if len(model.inputs) != 1:
        raise NotYet(f"expected one input, found {len(model.inputs)}")
    hint = "keras.Input(shape=(64,))"
    core.expect_equal(core.input_shape(model), (None, 64), "the input shape", hint)
    outputs = _outputs(model, core.random_array(8, 64, normal=True))
    if not isinstance(outputs, np.ndarray):
        raise NotYet(f"expected one output, found {len(outputs)}")
    hint = "the block changes the width from 64 to 32"
    core.expect_equal((None, *outputs.shape[1:]), (None, 32), "the output shape", hint)
    adds = _add_calls(model)
    core.expect_equal(len(adds), 1, "the number of Add layers", "one layers.Add()([main, skip])")
    start, inputs = model.inputs[0], adds[0][1]
    core.diagnose(PROJECTION_ADD, start=start, inputs=inputs)
    paths = sorted((_units_between(start, tensor) for tensor in inputs), key=len)
    core.expect(paths, PROJECTION_PATHS)
    core.diagnose(PROJECTION_END, outputs=outputs, params=model.count_params())
    return f"a 64 → 32 residual block with a Dense(32) projection on the skip: {PROJECTION_PARAMS:,} parameters (2,080 + 1,056 main path, 2,080 projection), against 8,320 for the 64-wide block."
