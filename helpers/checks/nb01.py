"""Checkers for the exercises of notebook 01 (Sequential)."""
import numpy as np

from helpers.checks.core import NotYet, call, expect_equal, expect_model, layers_of_type, verdict

__all__ = ["deeper_mlp", "dropout_mlp", "early_stopping"]


@verdict
def deeper_mlp(build_deeper_mlp):
    """Exercise 01.1: a second hidden layer, Dense(64, relu), and its parameters by hand.

    Example::

        checks.deeper_mlp(build_deeper_mlp)
    """
    model = expect_model(call(build_deeper_mlp, what="build_deeper_mlp()"), "build_deeper_mlp()")
    dense = layers_of_type(model, "Dense")
    units = [layer.units for layer in dense]
    expect_equal(units, [128, 64, 10], "the Dense layers' units, in order",
                 "Flatten, then Dense(128), Dense(64), Dense(10)")
    activations = [layer.activation.__name__ for layer in dense]
    expect_equal(activations, ["relu", "relu", "softmax"], "the Dense layers' activations")
    expect_equal(tuple(model.input_shape), (None, 28, 28), "the input shape",
                 "start from keras.Input(shape=(28, 28))")
    expected = 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    expect_equal(model.count_params(), expected, "the number of parameters")
    probabilities = np.asarray(model(np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)))
    if not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4):
        raise NotYet("each output row should be probabilities summing to 1: is the last layer a softmax?")
    return f"a 784-128-64-10 MLP with {expected:,} parameters (8,256 + 650 for the new and changed layers)."


@verdict
def dropout_mlp(build_dropout_mlp):
    """Exercise 01.2: Dropout(0.2) after the hidden layer; active only in training.

    Example::

        checks.dropout_mlp(build_dropout_mlp)
    """
    model = expect_model(call(build_dropout_mlp, what="build_dropout_mlp()"), "build_dropout_mlp()")
    dropouts = layers_of_type(model, "Dropout")
    if len(dropouts) != 1:
        raise NotYet(f"expected one Dropout layer, found {len(dropouts)}")
    expect_equal(round(float(dropouts[0].rate), 3), 0.2, "the dropout rate")
    names = [type(layer).__name__ for layer in model.layers]
    if names.index("Dropout") != names.index("Dense") + 1:
        raise NotYet(f"put Dropout right after the hidden Dense layer; the layers are {names}")
    expect_equal(model.count_params(), 101_770, "the number of parameters",
                 "Dropout has no weights, so the count is the same as notebook 01's MLP")
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    if not np.array_equal(np.asarray(model(x, training=False)), np.asarray(model(x, training=False))):
        raise NotYet("with training=False two calls should give the same output")
    if np.allclose(np.asarray(model(x, training=True)), np.asarray(model(x, training=False))):
        raise NotYet("with training=True the output should change: Dropout zeroes random units")
    return "Dropout(0.2) after the hidden layer: random in training, off at inference, no new parameters."


@verdict
def early_stopping(make_early_stopping):
    """Exercise 01.3: an EarlyStopping callback that keeps the best epoch's weights.

    Example::

        checks.early_stopping(make_early_stopping)
    """
    import keras

    callback = call(make_early_stopping, what="make_early_stopping()")
    if not isinstance(callback, keras.callbacks.EarlyStopping):
        raise NotYet(f"expected a keras.callbacks.EarlyStopping, found {type(callback).__name__}")
    if not callback.monitor.startswith("val_"):
        raise NotYet(f"monitor a validation metric (e.g. 'val_accuracy'), not {callback.monitor!r}: "
                     "training metrics keep improving while the model overfits")
    if callback.patience < 1:
        raise NotYet(f"patience={callback.patience} stops at the first bad epoch; allow a few (2-5)")
    if not callback.restore_best_weights:
        raise NotYet("set restore_best_weights=True, or you keep the last epoch's weights, not the best")
    return (f"EarlyStopping(monitor={callback.monitor!r}, patience={callback.patience}, "
            "restore_best_weights=True).")
