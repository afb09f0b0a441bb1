"""Checkers for the exercises of notebook 02 (the Functional API).

Each checker calls the learner's ``build_...()`` function, runs the model it
returns on a few random inputs and reads its graph of layers: inputs and
outputs by name and shape, how each ``Add`` is wired (a skip connection adds a
tensor to something computed *from* it), the parameter count and, where the
exercise asks for it, how the model was compiled. Keras warnings are silenced
while it runs, so a notebook cell shows only the verdict.
"""
import contextlib
import re
import warnings

import numpy as np

from helpers.checks.core import NotYet, call, expect_equal, expect_model, layers_of_type, verdict

__all__ = ["article_mlp_64", "image_only_two_heads", "two_block_residual", "projection_block"]


# --- small tools -------------------------------------------------------------------------

def _quiet():
    """Silence Keras's UserWarnings (input structure, unbuilt layers) while a checker runs."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


def _build(build, what):
    with _quiet():
        return expect_model(call(build, what=what), what)


def _run(model, x, what="your model"):
    """``model(x)`` with ``x`` packed the way the model's inputs were given (tensor, list or dict)."""
    import keras

    struct = getattr(model, "_inputs_struct", None)
    if isinstance(struct, dict):
        x = {name: x for name in struct}
    elif isinstance(struct, (list, tuple)):
        x = [x]
    with _quiet():
        outputs = call(model, x, what=what)
    return keras.tree.map_structure(keras.ops.convert_to_numpy, outputs)


def _as_shape(array):
    return (None,) + tuple(np.shape(array))[1:]


def _random(*shape):
    return np.random.default_rng(0).random(shape, dtype=np.float32)


def _normalise(name):
    return re.sub(r"[^a-z]", "", name.lower())


def _name_of(thing):
    """A readable name for a loss or a metric given as a string, an object or a function."""
    if thing is None or isinstance(thing, str):
        return thing
    fn = getattr(thing, "fn", None)  # keras.losses.LossFunctionWrapper
    if fn is not None and hasattr(fn, "__name__"):
        return fn.__name__
    name = getattr(thing, "name", None)
    if isinstance(name, str):
        return name
    return getattr(thing, "__name__", type(thing).__name__)


def _metric_names(model):
    """The names of the metrics given to ``compile`` (as strings, objects or their configs)."""
    metrics = (model.get_compile_config() or {}).get("metrics") or []
    names = []
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        if isinstance(metric, dict):  # a serialised object {"class_name": ..., "config": ...}
            config = metric.get("config")
            metric = config.get("name") if isinstance(config, dict) else config or metric.get("class_name")
        names.append(_name_of(metric))
    return names


def _expect_parameters(model, expected, hint):
    found = model.count_params()
    if found != expected:
        raise NotYet(f"the number of parameters: expected {expected:,}, found {found:,}. Hint: {hint}")


def _expect_compiled(model, example):
    if not getattr(model, "compiled", False):
        raise NotYet(f"the model is not compiled; expected model.compile({example}) before `return model`")


# --- reading the graph -------------------------------------------------------------------

def _parents(tensor):
    """The operation that produced ``tensor`` and the tensors it was called on."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None, []
    operation = history.operation
    node = operation._inbound_nodes[history.node_index]
    return operation, list(node.input_tensors)


def _ancestors(tensor, memo=None):
    """ids of every tensor that ``tensor`` was computed from."""
    memo = {} if memo is None else memo
    key = id(tensor)
    if key not in memo:
        memo[key] = set()  # guards against cycles, which a graph cannot have anyway
        found = set()
        for parent in _parents(tensor)[1]:
            found |= {id(parent)} | _ancestors(parent, memo)
        memo[key] = found
    return memo[key]


def _operations_between(start, end):
    """The operations on the paths from tensor ``start`` to tensor ``end``, inputs first."""
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
    return [operation for _, operation in sorted(operations, key=lambda pair: pair[0])]


def _dense(operations):
    return [op for op in operations if type(op).__name__ == "Dense"]


def _add_calls(model):
    """(the Add layer, its input tensors, its output tensor) for every call of an Add layer."""
    calls = []
    for layer in layers_of_type(model, "Add"):
        for node in layer._inbound_nodes:
            calls.append((layer, list(node.input_tensors), node.output_tensors[0]))
    return calls


def _skip_and_branch(inputs):
    """For Add([x, y]) with y computed from x: (x, y); otherwise None."""
    if len(inputs) != 2 or inputs[0] is inputs[1]:
        return None
    a, b = inputs
    if id(a) in _ancestors(b):
        return a, b
    if id(b) in _ancestors(a):
        return b, a
    return None


# --- Exercise 1 --------------------------------------------------------------------------

ARTICLE_UNITS = [256, 512, 128, 64, 10]


@verdict
def article_mlp_64(build_article_mlp_64):
    """Exercise 02.1: the corrected article network for 64 input features, compiled as in the article.

    Checks the input shape (None, 64), the Dense layers 256-512-128-64 (relu) and 10 (softmax),
    the 222,794 parameters (only the first layer changes: 64 × 256 + 256 = 16,640), that each
    output row is a probability distribution, and the compile settings: RMSprop at learning rate
    0.001, categorical cross-entropy and accuracy.

    Example::

        checks.article_mlp_64(build_article_mlp_64)
    """
    what = "build_article_mlp_64()"
    model = _build(build_article_mlp_64, what)
    expect_equal(tuple(model.input_shape), (None, 64), "the input shape",
                 "keras.Input(shape=(64,)): 64 features instead of the article's 128")
    dense = layers_of_type(model, "Dense")
    expect_equal([layer.units for layer in dense], ARTICLE_UNITS, "the Dense layers' units, in order",
                 "keep the article's layers; only the input changes")
    expect_equal([layer.activation.__name__ for layer in dense], ["relu"] * 4 + ["softmax"],
                 "the Dense layers' activations", "relu in the four hidden layers, softmax at the output")
    expected = 64 * 256 + 256 + 256 * 512 + 512 + 512 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    _expect_parameters(model, expected,
                       "only the first Dense changes: 64 × 256 + 256 = 16,640 instead of 33,024")
    probabilities = _run(model, _random(3, 64), "model(x)")
    if not np.allclose(np.sum(probabilities, axis=1), 1.0, atol=1e-4):
        raise NotYet("each output row should be probabilities summing to 1: is the last layer a softmax?")

    _expect_compiled(model, "optimizer=keras.optimizers.RMSprop(learning_rate=0.001), "
                            "loss='categorical_crossentropy', metrics=['accuracy']")
    optimizer = type(model.optimizer).__name__
    expect_equal(optimizer, "RMSprop", "the optimizer",
                 "keras.optimizers.RMSprop(learning_rate=0.001); the article's "
                 "tf.train.RMSPropOptimizer is TensorFlow 1")
    expect_equal(round(float(model.optimizer.learning_rate), 6), 0.001, "the learning rate",
                 "RMSprop(learning_rate=0.001), the article's 0.001")
    loss = _name_of(model.loss)
    if loss is None or _normalise(loss) != "categoricalcrossentropy":
        raise NotYet(f"the loss: expected categorical_crossentropy, found {loss}. Hint: the article's "
                     "labels are one-hot rows, so its loss is loss='categorical_crossentropy'")
    names = _metric_names(model)
    if not any("acc" in _normalise(str(name)) for name in names):
        raise NotYet(f"the metrics: expected ['accuracy'], found {names}. Hint: metrics=['accuracy'], "
                     "as in the article")
    return (f"the article's network for 64 features: {expected:,} parameters (the first Dense has "
            "64 × 256 + 256 = 16,640 instead of 33,024), compiled with RMSprop(learning_rate=0.001), "
            "categorical cross-entropy and accuracy.")


# --- Exercise 2 --------------------------------------------------------------------------

HEADS = {"clothing_class": (10, "categoricalcrossentropy", "'sparse_categorical_crossentropy'"),
         "footwear": (1, "binarycrossentropy", "'binary_crossentropy'")}


def _losses_by_output(model, output_names):
    loss = model.loss
    if isinstance(loss, dict):
        unknown = sorted(set(loss) - set(output_names))
        if unknown:
            raise NotYet(f"loss has keys {unknown} but the model has no output by that name; "
                         f"expected the keys {sorted(HEADS)}")
        return {name: loss.get(name) for name in output_names}
    if isinstance(loss, (list, tuple)):
        if len(loss) != len(output_names):
            raise NotYet(f"expected one loss per output ({len(output_names)}), found a list of "
                         f"{len(loss)}. Hint: loss={{'clothing_class': ..., 'footwear': ...}}")
        return dict(zip(output_names, loss))
    raise NotYet(f"expected one loss per output, found a single loss, {_name_of(loss)!r}. Hint: "
                 "loss={'clothing_class': 'sparse_categorical_crossentropy', "
                 "'footwear': 'binary_crossentropy'}")


@verdict
def image_only_two_heads(build_image_only_two_heads):
    """Exercise 02.2: the two-output model without the ``histogram`` input, one loss per output.

    Checks that the model has one input, ``image``, of shape (None, 28, 28); two outputs named
    ``clothing_class`` (None, 10), softmax probabilities, and ``footwear`` (None, 1), a sigmoid
    probability; and that it is compiled with a loss for each output: a categorical cross-entropy
    (sparse or not) for the class, binary cross-entropy for footwear.

    Example::

        checks.image_only_two_heads(build_image_only_two_heads)
    """
    what = "build_image_only_two_heads()"
    model = _build(build_image_only_two_heads, what)
    inputs = [tensor.name for tensor in model.inputs]
    if len(inputs) != 1:
        raise NotYet(f"expected one input, 'image', found {len(inputs)}: {inputs}. Hint: drop the "
                     "histogram input and its branch (and the Concatenate that joined them)")
    expect_equal(inputs[0], "image", "the input's name", "keras.Input(shape=(28, 28), name='image')")
    expect_equal(tuple(model.inputs[0].shape), (None, 28, 28), "the input shape",
                 "keras.Input(shape=(28, 28), name='image')")
    names = list(model.output_names)
    expect_equal(sorted(names), sorted(HEADS), "the output names",
                 "name the output layers (name='clothing_class', name='footwear') or give "
                 "keras.Model a dict of outputs with those keys")

    outputs = _run(model, _random(4, 28, 28), "model(x)")
    outputs = outputs if isinstance(outputs, dict) else dict(zip(names, outputs))
    for name, (units, _, _) in HEADS.items():
        expect_equal(_as_shape(outputs[name]), (None, units), f"the shape of output {name!r}",
                     f"its Dense layer needs {units} unit{'s' * (units > 1)}")
    if not np.allclose(np.sum(outputs["clothing_class"], axis=1), 1.0, atol=1e-4):
        raise NotYet("each 'clothing_class' row should be 10 probabilities summing to 1: "
                     "use activation='softmax'")
    footwear = outputs["footwear"]
    if np.any(footwear < 0) or np.any(footwear > 1):
        raise NotYet("'footwear' should be a probability between 0 and 1: use activation='sigmoid'")
    if np.allclose(footwear, 1.0):
        raise NotYet("'footwear' is 1.0 for every image: a softmax over one unit always gives 1; "
                     "use activation='sigmoid'")

    _expect_compiled(model, "optimizer=..., loss={'clothing_class': ..., 'footwear': ...}, metrics=...")
    losses = _losses_by_output(model, names)
    missing = [name for name in sorted(HEADS) if losses.get(name) is None]
    if missing:
        raise NotYet(f"expected a loss for each output, found none for {missing}. Hint: "
                     "loss={'clothing_class': 'sparse_categorical_crossentropy', "
                     "'footwear': 'binary_crossentropy'}")
    for name, (_, kind, example) in HEADS.items():
        found = _name_of(losses[name])
        if not _normalise(found).endswith(kind):
            raise NotYet(f"the loss for {name!r}: expected {example}, found {found!r}. Hint: "
                         + ("10 classes need a (sparse) categorical cross-entropy" if name == "clothing_class"
                            else "a yes/no answer from one sigmoid unit needs binary cross-entropy"))
    found = {name: _name_of(losses[name]) for name in sorted(HEADS)}
    return (f"one input, 'image' (None, 28, 28); outputs 'clothing_class' (None, 10) with "
            f"{found['clothing_class']} and 'footwear' (None, 1) with {found['footwear']}; "
            f"{model.count_params():,} parameters.")


# --- Exercise 3 --------------------------------------------------------------------------

@verdict
def two_block_residual(build_two_block_residual):
    """Exercise 02.3: ``residual_model`` with a second residual block after the first.

    Checks the input (None, 28, 28) and output (None, 10, softmax); two ``Add`` layers, each
    adding a block's input ``x`` to ``F(x)``, two ``Dense(64)`` computed from ``x`` (not a tensor
    to itself, not two unrelated branches); the second block fed by the first; and 67,530
    parameters (50,240 + 8,320 per block + 650).

    Example::

        checks.two_block_residual(build_two_block_residual)
    """
    what = "build_two_block_residual()"
    model = _build(build_two_block_residual, what)
    expect_equal(tuple(model.input_shape), (None, 28, 28), "the input shape",
                 "keras.Input(shape=(28, 28), name='image'), as in residual_model")
    probabilities = _run(model, _random(3, 28, 28), "model(x)")
    expect_equal(_as_shape(probabilities), (None, 10), "the output shape", "end with Dense(10, softmax)")
    if not np.allclose(np.sum(probabilities, axis=1), 1.0, atol=1e-4):
        raise NotYet("each output row should be probabilities summing to 1: is the last layer a softmax?")

    adds = _add_calls(model)
    expect_equal(len(adds), 2, "the number of Add layers",
                 "each residual block ends with its own layers.Add()([x, y])" + (
                     "; Dense layers stacked one after another, as in Sequential, have no skip "
                     "connection" if not adds else ": add a second block after the first"))
    for number, (layer, inputs, _) in enumerate(adds, start=1):
        pair = _skip_and_branch(inputs)
        if pair is None:
            found = ("a tensor added to itself" if len(inputs) == 2 and inputs[0] is inputs[1]
                     else "two tensors, neither computed from the other")
            raise NotYet(f"Add layer {number} ({layer.name!r}) is not a skip connection: expected "
                         f"Add([x, y]) with y = F(x) computed from the block's input x, found {found}. "
                         "Hint: keep the block's input in a variable and add it to the output of "
                         "the block's two Dense layers")
        units = [op.units for op in _dense(_operations_between(*pair))]
        if units != [64, 64]:
            raise NotYet(f"Add layer {number} ({layer.name!r}) skips over the Dense layers {units}; "
                         "expected [64, 64], the block's F(x). Hint: the skip starts at the block's "
                         "input, right before its first Dense(64)")
    (_, inputs_1, output_1), (_, inputs_2, output_2) = adds
    if all(layer in model.layers for layer, _, _ in adds):  # both in this graph, not in sub-models
        def feeds(tensor, inputs):
            return any(tensor is t or id(tensor) in _ancestors(t) for t in inputs)
        if not (feeds(output_1, inputs_2) or feeds(output_2, inputs_1)):
            raise NotYet("the two blocks are side by side; expected the second block to start from "
                         "the first block's output (after its ReLU)")

    expected = (784 * 64 + 64) + 2 * 2 * (64 * 64 + 64) + (64 * 10 + 10)
    _expect_parameters(model, expected,
                       "dense_in 50,240 + 8,320 per block (two Dense(64): 2 × 4,160) + 650 for the output")
    return (f"two residual blocks in a row, each Add([x, F(x)]) around two Dense(64); "
            f"{expected:,} parameters (each block adds 8,320).")


# --- Exercise 4 --------------------------------------------------------------------------

@verdict
def projection_block(build_projection_block):
    """Exercise 02.4: a residual block from 64 to 32 features with a projection shortcut.

    Checks the input (None, 64) and output (None, 32); one ``Add`` whose inputs are the main path,
    ``Dense(32, relu)`` then ``Dense(32)``, and the skip, its own ``Dense(32)`` on the block's
    input; a ReLU at the end (no negative outputs); and 5,216 parameters (2,080 + 1,056 main path,
    2,080 projection).

    Example::

        checks.projection_block(build_projection_block)
    """
    import keras

    what = "build_projection_block()"
    try:
        model = _build(build_projection_block, what)
    except NotYet as problem:
        if "incompatible shapes" in str(problem):
            raise NotYet(f"{problem}. Hint: Add needs two tensors of the same shape; pass the skip "
                         "through its own Dense(32), the projection, before adding") from None
        raise
    if len(model.inputs) != 1:
        raise NotYet(f"expected one input, found {len(model.inputs)}")
    expect_equal(tuple(model.inputs[0].shape), (None, 64), "the input shape", "keras.Input(shape=(64,))")
    x = np.random.default_rng(0).normal(size=(8, 64)).astype("float32")
    outputs = _run(model, x, "model(x)")
    if not isinstance(outputs, np.ndarray):
        raise NotYet(f"expected one output, found {len(keras.tree.flatten(outputs))}")
    expect_equal(_as_shape(outputs), (None, 32), "the output shape",
                 "the block changes the width from 64 to 32")

    adds = _add_calls(model)
    expect_equal(len(adds), 1, "the number of Add layers", "one layers.Add()([main, skip])")
    _, inputs, _ = adds[0]
    if len(inputs) != 2 or inputs[0] is inputs[1]:
        raise NotYet("expected Add([main, skip]) with two different tensors")
    block_input = model.inputs[0]
    if _skip_and_branch(inputs) is not None:
        raise NotYet("one input of Add is computed from the other, so the skip does not start at the "
                     "block's input. Hint: skip = Dense(32)(inputs), a separate layer called on the "
                     "block's input, beside the main path")
    paths = []
    for tensor in inputs:
        if id(block_input) not in _ancestors(tensor):
            raise NotYet("both inputs of Add should be computed from the block's input")
        paths.append([op.units for op in _dense(_operations_between(block_input, tensor))])
    skip, main = sorted(paths, key=len)
    expect_equal(skip, [32], "the Dense layers on the skip path",
                 "the projection is one Dense(32) called on the block's input")
    expect_equal(main, [32, 32], "the Dense layers on the main path",
                 "Dense(32, activation='relu') then Dense(32)")
    if np.any(outputs < 0):
        raise NotYet("the block's output has negative values; expected it to finish with a ReLU "
                     "after the Add (layers.Activation('relu') or layers.ReLU())")

    expected = 2 * (64 * 32 + 32) + (32 * 32 + 32)
    _expect_parameters(model, expected,
                       "main path 64 × 32 + 32 = 2,080 and 32 × 32 + 32 = 1,056, projection 2,080")
    return (f"a 64 → 32 residual block with a Dense(32) projection on the skip: {expected:,} "
            "parameters (2,080 + 1,056 main path, 2,080 projection), against 8,320 for the "
            "64-wide block.")
