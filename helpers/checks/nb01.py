"""Checkers for the exercises of notebook 01 (Sequential): each builds the learner's model,
compares it with a declared spec and runs it on a few random images."""

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["deeper_mlp", "dropout_mlp", "early_stopping"]

DEEPER_PARAMS = 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10

# fmt: off
DEEPER_MLP = [  # (what, measure, expected, hint)
    ("the Dense layers' units, in order", core.units, [128, 64, 10], "Flatten, then Dense(128), Dense(64), Dense(10)"),
    ("the Dense layers' activations", core.activations, ["relu", "relu", "softmax"], ""),
    ("the input shape", core.input_shape, (None, 28, 28), "start from keras.Input(shape=(28, 28))"),
    ("the number of parameters", core.params, DEEPER_PARAMS, ""),
]
DROPOUT_MLP = [  # (symptom, hint)
    (lambda f: f.dropouts != 1, "expected one Dropout layer, found {dropouts}"),
    (lambda f: f.rate != 0.2, "the dropout rate: expected 0.2, found {rate}."),
    (lambda f: f.names.index("Dropout") != f.names.index("Dense") + 1, "put Dropout right after the hidden Dense layer; the layers are {names}"),
    (lambda f: f.params != 101_770, "the number of parameters: expected 101770, found {params}. Hint: Dropout has no weights, so the count is the same as notebook 01's MLP"),
]
DROPOUT_BEHAVIOUR = [  # (symptom, hint)
    (lambda f: not f.inference_agrees, "with training=False two calls should give the same output"),
    (lambda f: not f.training_varies, "with training=True the output should change: Dropout zeroes random units"),
]
EARLY_STOPPING = [  # (symptom, hint)
    (lambda f: not f.monitor.startswith("val_"), "monitor a validation metric (e.g. 'val_accuracy'), not {monitor!r}: training metrics keep improving while the model overfits"),
    (lambda f: f.patience < 1, "patience={patience} stops at the first bad epoch; allow a few (2-5)"),
    (lambda f: not f.restore_best_weights, "set restore_best_weights=True, or you keep the last epoch's weights, not the best"),
]
# fmt: on


@verdict
def deeper_mlp(build_deeper_mlp):
    """Exercise 01.1: a second hidden layer, Dense(64, relu), and its parameters by hand. Checks the
    spec ``DEEPER_MLP`` and that each output row is a probability distribution. Example::

        checks.deeper_mlp(build_deeper_mlp)
    """
    model = core.model_from(build_deeper_mlp, what="build_deeper_mlp()")
    core.expect(model, DEEPER_MLP)
    core.expect_probabilities(core.output_of(model, core.random_array(3, 28, 28), "model(x)"))
    return f"a 784-128-64-10 MLP with {DEEPER_PARAMS:,} parameters (8,256 + 650 for the new and changed layers)."


@verdict
def dropout_mlp(build_dropout_mlp):
    """Exercise 01.2: Dropout(0.2) after the hidden layer; active only in training. Reads the tables
    ``DROPOUT_MLP`` (one Dropout of rate 0.2 right after the hidden Dense layer, no new parameters)
    and ``DROPOUT_BEHAVIOUR`` (random in training, off at inference). Example::

        checks.dropout_mlp(build_dropout_mlp)
    """
    model = core.model_from(build_dropout_mlp, what="build_dropout_mlp()")
    dropouts = core.layers_of_type(model, "Dropout")
    rate = round(float(dropouts[0].rate), 3) if dropouts else None
    names = [type(layer).__name__ for layer in model.layers]
    facts = dict(dropouts=len(dropouts), rate=rate, names=names, params=model.count_params())
    core.diagnose(DROPOUT_MLP, **facts)
    core.diagnose(DROPOUT_BEHAVIOUR, **core.dropout_facts(model, core.random_array(4, 28, 28)))
    return "Dropout(0.2) after the hidden layer: random in training, off at inference, no new parameters."


@verdict
def early_stopping(make_early_stopping):
    """Exercise 01.3: an EarlyStopping callback that keeps the best epoch's weights. Reads the table
    ``EARLY_STOPPING``: a validation metric, some patience, the best weights. Example::

        checks.early_stopping(make_early_stopping)
    """
    import keras

    callback = core.run_learner_code(make_early_stopping, what="make_early_stopping()")
    if not isinstance(callback, keras.callbacks.EarlyStopping):
        raise NotYet(f"expected a keras.callbacks.EarlyStopping, found {type(callback).__name__}")
    names = ("monitor", "patience", "restore_best_weights")
    core.diagnose(EARLY_STOPPING, **{name: getattr(callback, name) for name in names})
    return f"EarlyStopping(monitor={callback.monitor!r}, patience={callback.patience}, restore_best_weights=True)."
