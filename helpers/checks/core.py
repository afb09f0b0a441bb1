"""The one kit every checker uses: verdicts, a sandbox, safe calls, specs and mistake tables.

A checker is a function decorated with :func:`verdict`. It runs the learner's code with
:func:`run_learner_code` (an error becomes ``NotYet`` naming what was called) and stops at the
first problem with ``raise NotYet("expected …, found …; hint")``. What it expects is written as
data: a *spec*, rows of ``(what, measure, expected, hint)`` checked in order by :func:`expect`,
and a table of *mistakes*, rows of ``(symptom, hint)`` over named facts, read by
:func:`diagnose`. Importing this module does not import Keras or TensorFlow: the functions
import them when they run.

Example::

    @verdict
    def deeper_mlp(build):
        model = model_from(build, what="build()")
        expect(model, [("the input shape", input_shape, (None, 28, 28), "keras.Input((28, 28))")])
        return "a deeper MLP."
"""

import contextlib
import functools
import io
import os
import re
import tempfile
import types
import warnings

import numpy as np

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TF_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")
NO_TENSOR = "expected a tensor (does `call` end with `return ...`?)"
MODEL = "a keras.Model (did you forget `return model`?)"
_FOLDERS = []  # the temporary folder of each checker now running, innermost last


class Verdict:
    """What a checker returns: truthy when the answer passed. The checker has already printed
    the message, so in a notebook this object displays as nothing and the cell shows the
    message once. Example: ``if checks.deeper_mlp(build_deeper_mlp): ...``"""

    def __init__(self, passed, message):
        self.passed, self.message = passed, message

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"Verdict(passed={self.passed}, message={self.message!r})"

    def _ipython_display_(self):
        pass


class NotYet(Exception):
    """Raised inside a checker to stop at the first problem, with a friendly message."""


# --- running the learner's code --------------------------------------------------------------


@contextlib.contextmanager
def sandbox():
    """Where every checker runs: Keras warnings off, printed output (``fit`` logs) kept out of
    the cell, and a temporary folder, deleted afterwards and hidden from error messages.
    Example: ``with sandbox() as folder: model.save(os.path.join(folder, "m.keras"))``"""
    with (
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder,
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        _FOLDERS.append(folder)
        try:
            yield folder
        finally:
            _FOLDERS.pop()


def scratch_path(name):
    """A path in the running checker's temporary folder: ``model.save(scratch_path("m.keras"))``."""
    return os.path.join(_FOLDERS[-1], name)


def verdict(check):
    """Turn a function that raises ``NotYet`` into a checker that prints a verdict: it runs in
    the :func:`sandbox` and returns the success message; any other exception (from the
    learner's code) becomes a one-line "your code raised" message. Example::

        @verdict
        def positive(x):
            if x <= 0:
                raise NotYet(f"expected a positive number, found {x}")
            return f"{x} is positive"
    """

    @functools.wraps(check)
    def checker(*args, **kwargs):
        try:
            with sandbox():
                message = f"✅ {check(*args, **kwargs)}"
        except NotYet as problem:
            message = f"❌ Not yet: {problem}"
        except Exception as error:  # the learner's code failed: say so in one line
            message = f"❌ Not yet: your code raised {describe(error)}"
        print(message)
        return Verdict(message.startswith("✅"), message)

    return checker


def first_line(error, limit=300):
    """The informative line of an error message, without colours, TensorFlow node names or the
    sandbox's folder (Keras's first line, "Exception encountered when calling X.call().", says
    nothing). Example: ``first_line(ValueError("differ\\ndetail"))`` is ``'differ'``."""
    lines = [ANSI.sub("", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        lines = lines[1:]
    text = re.sub(r"\s*name:\s*$", "", TF_NODE.sub("", lines[0])) if lines else ""
    for folder in _FOLDERS:
        text = text.replace(folder + os.sep, "").replace(folder, "<folder>")
    return text if len(text) <= limit else text[:limit] + "…"


def describe(error):
    """The one error formatter: ``describe(KeyError("val_accuracy"))`` is ``"KeyError: 'val_accuracy'"``."""
    return f"{type(error).__name__}: {first_line(error)}"


def run_learner_code(function, *args, what="your function", **kwargs):
    """Call the learner's ``function``; a failure becomes ``NotYet`` naming ``what``.
    Example: ``model = run_learner_code(build_deeper_mlp, what="build_deeper_mlp()")``"""
    if not callable(function):
        raise NotYet(f"expected {what} to be a function or class, found {type(function).__name__}")
    try:
        return function(*args, **kwargs)
    except NotYet:
        raise
    except Exception as error:
        raise NotYet(f"{what} raised {describe(error)}") from None


def expect_function(function, signature):
    """Stop unless the learner passed a function: ``expect_function(resume, "resume(path, x, y)")``."""
    if not callable(function):
        raise NotYet(f"expected a function {signature}, found {type(function).__name__}")


def keras_class(name):
    """The Keras class called ``name``: ``keras_class("keras.layers.Layer")``."""
    import keras

    return functools.reduce(getattr, name.split(".")[1:], keras)


def expect_subclass(cls, base, what):
    """Stop unless ``cls`` is a class that subclasses ``base``: ``expect_subclass(DeepMLP,
    "keras.Model", "DeepMLP")``."""
    if not isinstance(cls, type):
        found = type(cls).__name__
        raise NotYet(f"expected {what} to be a class (a subclass of {base}), found {found}")
    if not issubclass(cls, keras_class(base)):
        bases = ", ".join(b.__name__ for b in cls.__bases__)
        raise NotYet(f"expected {what} to subclass {base}; it subclasses {bases}")


def new_instance(cls, *args, what, base="keras.Model", expected=None, **kwargs):
    """``cls(*args, **kwargs)`` from the learner's class, checked to be a ``base``.
    Example: ``block = new_instance(Block, 16, strides=2, what="Block(16, 2)")``"""
    obj = run_learner_code(cls, *args, what=what, **kwargs)
    if not isinstance(obj, keras_class(base)):
        expected = expected or f"a subclass of {base}"
        raise NotYet(f"{what} gave a {type(obj).__name__}; expected {expected}")
    return obj


def returned(function, *args, what, expected, **kwargs):
    """Run the learner's ``function``; a ``None`` result stops, saying what was ``expected``.
    Example: ``plan = returned(block_plan, [2, 2], what="block_plan([2, 2])", expected="a list")``"""
    value = run_learner_code(function, *args, what=what, **kwargs)
    if value is None:
        raise NotYet(f"{what} returned None; expected {expected}")
    return value


def model_from(function, *args, what):
    """Run the learner's model-building function; stop unless it returned a ``keras.Model``.
    Example: ``model = model_from(build_deeper_mlp, what="build_deeper_mlp()")``"""
    import keras

    obj = returned(function, *args, what=what, expected=MODEL)
    if not isinstance(obj, keras.Model):
        raise NotYet(f"{what} returned a {type(obj).__name__}; expected a keras.Model")
    return obj


def to_numpy(value, what="your model", if_none=NO_TENSOR):
    """The one tensor-to-NumPy: a tensor, or a dict or list of them; ``None`` stops.
    Example: ``y = to_numpy(model(x), "model(x)")``"""
    import keras

    if value is None:
        raise NotYet(f"{what} returned None; {if_none}")
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), value)


def output_of(model, inputs, what, training=None, if_none=NO_TENSOR):
    """The learner's ``model(inputs)`` (with ``training`` if given) as NumPy.
    Example: ``y = output_of(block, x, "ResnetBlock(4) on a batch", training=True)``"""
    kwargs = {} if training is None else {"training": training}
    return to_numpy(run_learner_code(model, inputs, what=what, **kwargs), what, if_none)


# --- specs, mistake tables and references ----------------------------------------------------


def expect_equal(found, expected, what, hint=""):
    """Stop with "what: expected …, found …. Hint: …" unless ``found == expected``.
    Example: ``expect_equal(model.count_params(), 101_770, "the number of parameters")``"""
    if found != expected:
        hint = f" Hint: {hint}" if hint else ""
        raise NotYet(f"{what}: expected {expected}, found {found}.{hint}")


def expect(subject, spec):
    """Check ``subject`` against a spec: rows ``(what, measure, expected, hint)``, in order;
    the first row where ``measure(subject) != expected`` stops, as :func:`expect_equal` does.
    Example: ``expect(model, [("the input shape", input_shape, (None, 64), "Input((64,))")])``"""
    for what, measure, expected, hint in spec:
        expect_equal(measure(subject), expected, what, hint)


def diagnose(mistakes, prefix="", **facts):
    """Stop with the hint of the first mistake whose symptom the facts show. ``mistakes`` is a
    table of rows ``(symptom, hint)``: ``symptom(f)`` is true when the facts (keyword
    arguments, read as ``f.name``) show that mistake; symptoms are read in order, so one may
    rely on those above being absent. A hint is a format string over the same names
    (``{found}``; a literal brace is written twice). Example::

        diagnose([(lambda f: f.patience < 1, "patience={patience} stops at once")], patience=0)
    """
    f = types.SimpleNamespace(**facts)
    for symptom, hint in mistakes:
        if symptom(f):
            raise NotYet(prefix + hint.format_map(facts))


def close(found, expected, rtol=1e-5, atol=1e-6):
    """Whether ``found`` matches the reference ``expected``: numbers, arrays or (nested) lists
    of them, of the same shapes (or ``expected`` a plain number). Example:
    ``close(model.get_weights(), reference.get_weights(), atol=1e-5)``"""
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(found, (list, tuple))
            and len(found) == len(expected)
            and all(close(f, e, rtol, atol) for f, e in zip(found, expected))
        )
    found, expected = np.asarray(found), np.asarray(expected)
    if expected.shape and found.shape != expected.shape:
        return False
    return bool(np.allclose(found, expected, rtol=rtol, atol=atol))


def expect_probabilities(rows, hint="is the last layer a softmax?"):
    """Stop unless each row sums to 1, as a softmax's does: ``expect_probabilities(y)``."""
    if not close(np.sum(rows, axis=-1), 1.0, atol=1e-4):
        raise NotYet(f"each output row should be probabilities summing to 1: {hint}")


def dropout_facts(model, x, what="model(x)"):
    """Facts for a mistake table: do two inference calls agree, and two training calls differ?
    Example: ``diagnose(TABLE, **dropout_facts(model, x))``"""
    inference = [output_of(model, x, what) for _ in range(2)]
    training = [output_of(model, x, what, training=True) for _ in range(2)]
    return {
        "inference_agrees": np.array_equal(*inference),
        "training_varies": not np.array_equal(*training),
    }


def zero_kernels(layer):
    """Set every convolution kernel (4-D weight) of ``layer`` to zero: ``zero_kernels(block)(x)``."""
    for weight in layer.weights:
        if len(weight.shape) == 4:
            weight.assign(np.zeros(weight.shape, "float32"))
    return layer


def layers_of_type(model, name):
    """All layers, nested ones included, whose class is ``name``: ``layers_of_type(m, "Dropout")``."""
    layers = model._flatten_layers(include_self=False)
    return [layer for layer in layers if type(layer).__name__ == name]


def units(model):
    """A measure: the units of the Dense layers, in order, e.g. ``[128, 10]``."""
    return [layer.units for layer in layers_of_type(model, "Dense")]


def sorted_units(model):
    """A measure: the units of the Dense layers, sorted, e.g. ``[10, 128]``."""
    return sorted(units(model))


def activations(model):
    """A measure: the Dense layers' activations, in order, e.g. ``['relu', 'softmax']``."""
    return [layer.activation.__name__ for layer in layers_of_type(model, "Dense")]


def input_shape(model):
    """A measure: the model's input shape as a tuple, e.g. ``(None, 28, 28)``."""
    return tuple(model.input_shape)


def params(model):
    """A measure: the model's number of parameters, e.g. ``101770``."""
    return model.count_params()


# --- tiny data and models --------------------------------------------------------------------


def random_array(*shape, seed=0, normal=False):
    """Reproducible float32 numbers, uniform in [0, 1) or standard normal.
    Example: ``x = random_array(4, 28, 28)``; ``random_array(2, 6, 6, 4, normal=True)``"""
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape).astype("float32") if normal else rng.random(shape, np.float32)


def tiny_data(n, shape, classes=10, seed=0):
    """``n`` random inputs of ``shape`` (uniform in [0, 1)) and integer labels below ``classes``.
    Example: ``images, labels = tiny_data(16, (8, 8, 1))``"""
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape), np.float32), rng.integers(0, classes, size=n).astype("int32")


def logits_loss():
    """The loss for integer labels and logits: ``model.compile("sgd", loss=logits_loss())``."""
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def loss_and_gradients(model, x, labels):
    """The :func:`logits_loss` of ``model(x, training=True)`` and its gradients with respect to the
    trainable variables, as NumPy; the weights are left alone. Example:
    ``loss, gradients = loss_and_gradients(model, images, labels)``"""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = logits_loss()(labels, model(x, training=True))
    return float(loss), [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def tiny_model(shape, classes=10, hidden=0, seed=0, optimizer=None, metrics=None):
    """A small seeded classifier that outputs logits: ``keras.Input(shape)``, ``Flatten`` for
    images, with ``hidden`` units a Dense → BatchNormalization(momentum=0.5) → ReLU, then
    ``Dense(classes)``; compiled with :func:`logits_loss` when an ``optimizer`` is given.
    Example: ``tiny_model((8, 8, 1), hidden=16)``; ``tiny_model((28, 28, 1), optimizer="adam")``"""
    import keras

    from helpers.runtime import seed_everything  # on JAX, without importing TensorFlow

    seed_everything(seed)
    layers = [keras.Input(shape=shape)] + ([keras.layers.Flatten()] if len(shape) > 1 else [])
    if hidden:
        BN = keras.layers.BatchNormalization
        layers += [keras.layers.Dense(hidden), BN(momentum=0.5), keras.layers.ReLU()]
    model = keras.Sequential([*layers, keras.layers.Dense(classes)])
    if optimizer is not None:
        model.compile(optimizer=optimizer, loss=logits_loss(), metrics=metrics)
    return model
