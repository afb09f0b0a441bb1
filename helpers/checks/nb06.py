"""Checkers for the exercises of notebook 06 (training the ResNet): each runs the learner's
callback, function or schedule on a tiny model and a few hand-made numbers (a second or two) and
compares what it does with what it should do; the tables say what each common mistake looks like."""

import functools

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["stop_at_accuracy", "reestimate_batchnorm", "one_cycle"]

EPOCH_LOGS = [  # what fit would pass to on_epoch_end, epoch by epoch
    {"loss": 0.3, "accuracy": 0.95, "val_loss": 0.9, "val_accuracy": 0.5},
    {"loss": 0.2, "accuracy": 0.97, "val_loss": 0.5, "val_accuracy": 0.89},
    {"loss": 0.2, "accuracy": 0.97, "val_loss": 0.4, "val_accuracy": 0.9},
]

# fmt: off
WARMUP = "the warm-up rises linearly from peak_lr / 25 at step 0 to peak_lr at step int(0.3 * total_steps) = 30"
DECAY = "after the warm-up the rate falls linearly from peak_lr at step 30 to 0 at total_steps = 100"
STOP_AT_ACCURACY = [  # (symptom, hint) over StopAtAccuracy(0.9) fed EPOCH_LOGS
    (lambda f: f.stopped_after == 1, "it stopped after epoch 1, where val_accuracy was 0.5 but accuracy 0.95: compare logs['val_accuracy'] (images the model does not train on), not logs['accuracy']"),
    (lambda f: f.stopped_after == 2, "it stopped after epoch 2, where val_accuracy was 0.89, below the target 0.9"),
    (lambda f: f.stopped_after is None and f.own_flag, "set self.model.stop_training = True (fit reads the model's flag), not self.stop_training"),
    (lambda f: f.stopped_after is None, "expected fit to be told to stop (self.model.stop_training = True) at the end of epoch 3, where val_accuracy reached the target 0.9 exactly; it was not (reaching the target counts: use >=)"),
    (lambda f: f.reached == 2, "expected reached_epoch to be 3 (counting from 1), found {reached!r}. Keras counts epochs from 0: record epoch + 1"),
    (lambda f: f.reached != 3, "expected reached_epoch to be 3 (counting from 1), found {reached!r}."),
]
WITHOUT_VALIDATION = [  # (symptom, hint) over a fresh StopAtAccuracy(0.9) fed logs without val_accuracy
    (lambda f: f.error, "when the logs have no 'val_accuracy' (fit without validation data) it should do nothing, but it raised {error}: use logs.get('val_accuracy')"),
    (lambda f: f.stopped, "it stopped although the logs had no 'val_accuracy' (only accuracy 0.99): without validation data it should do nothing"),
]
REESTIMATE_MISTAKES = [  # (batches run, momentum for batch k, hint): what a mistaken re-estimation leaves
    (6, lambda k, m: k / (k + 1), "it used every batch of the dataset; expected only the first num_batches=4 (dataset.take(num_batches))"),
    (4, lambda k, m: 0.0, "only the last batch counts: momentum 0 for every batch throws the earlier ones away. Use momentum k / (k + 1) for the k-th batch (k = 0, 1, ...) so that every batch weighs the same"),
    (4, lambda k, m: m, "the stale starting values still weigh in: with the layers' own momentum each new batch only nudges the averages. Use momentum k / (k + 1) for the k-th batch, so the first batch replaces them"),
]
REESTIMATE = [  # (symptom, hint) over the model after the learner's re-estimation
    (lambda f: f.trainable_changed, "the trainable weights (kernels, gamma, beta) changed: only the moving statistics may change. Call the model on the batches with training=True; do not fit it"),
    (lambda f: f.momenta != f.saved_momenta, "afterwards each layer's momentum must be what it was, {saved_momenta}; found {momenta}. Save them first and put them back"),
    (lambda f: _same(f.found, f.stale), "the moving statistics did not change: run each batch through the model with training=True (that is when BatchNormalization updates them)"),
    (lambda f: _same(f.found[:1], f.expected[:1]) and not _same(f.found[1:], f.expected[1:]), "the BatchNormalization inside the nested model 'inner' was not re-estimated (it kept its own momentum): look inside nested models too (their .layers)"),
]
ONE_CYCLE = [  # (step, expected rate, hint when the rate differs) for OneCycle(0.2, 100)
    (0, 0.008, "at step 0 expected 0.008 (peak_lr / 25: start low, then warm up), found {got:.4g}"),
    (15, 0.104, "at step 15 expected 0.104, found {got:.4g}: " + WARMUP),
    (30, 0.2, "at step 30 expected 0.2, found {got:.4g}: " + WARMUP),
    (65, 0.1, "at step 65 expected 0.1, found {got:.4g}: " + DECAY),
    (100, 0.0, "at step 100 expected 0, found {got:.4g}: " + DECAY),
    (130, 0.0, "after total_steps the rate must stay at 0, found {got:.4g} at step 130: clip it (keras.ops.maximum(..., 0))"),
]
# fmt: on


def _fit_tiny_model(x, y, optimizer="sgd", **fit_arguments):
    """Train a tiny classifier on (x, y) with ``optimizer``, reporting accuracy."""
    model = core.tiny_model(x.shape[1:], classes=2, optimizer=optimizer, metrics=["accuracy"])
    return model.fit(x, y, verbose=0, **fit_arguments)


def _fresh_callback(StopAtAccuracy, what):
    """``StopAtAccuracy(0.9)``, set on a tiny model that is not told to stop yet."""
    callback = core.new_instance(StopAtAccuracy, 0.9, what=what, base="keras.callbacks.Callback")
    model = core.tiny_model((2,), classes=2)
    callback.set_model(model)
    model.stop_training = False
    return callback, model


def _callback_facts(StopAtAccuracy, what):
    """Feed ``EPOCH_LOGS`` to a fresh callback; after which epoch (from 1) did it stop fit?"""
    callback, model = _fresh_callback(StopAtAccuracy, what)
    core.run_learner_code(callback.on_train_begin, {}, what=f"{what}.on_train_begin")
    for epoch, logs in enumerate(EPOCH_LOGS, start=1):
        end = f"{what}.on_epoch_end"
        core.run_learner_code(callback.on_epoch_end, epoch - 1, dict(logs), what=end)
        if model.stop_training:
            break
    return {
        "stopped_after": epoch if model.stop_training else None,
        "own_flag": getattr(callback, "stop_training", False),
        "reached": getattr(callback, "reached_epoch", None),
    }


def _without_validation(StopAtAccuracy, what):
    callback, model = _fresh_callback(StopAtAccuracy, what)
    try:
        callback.on_epoch_end(0, {"loss": 0.1, "accuracy": 0.99})
    except Exception as error:
        return {"error": type(error).__name__, "stopped": False}
    return {"error": None, "stopped": model.stop_training}


@verdict
def stop_at_accuracy(StopAtAccuracy):
    """Exercise 06.1: a callback that stops ``fit`` once ``val_accuracy`` reaches a target. Feeds
    ``StopAtAccuracy(0.9)`` three epochs of logs (``EPOCH_LOGS``) and logs without validation data,
    reads the tables ``STOP_AT_ACCURACY`` and ``WITHOUT_VALIDATION``, then runs it in a real
    ``fit``. Example::

        checks.stop_at_accuracy(StopAtAccuracy)
    """
    what = "StopAtAccuracy(0.9)"
    core.diagnose(STOP_AT_ACCURACY, **_callback_facts(StopAtAccuracy, what))
    core.diagnose(WITHOUT_VALIDATION, **_without_validation(StopAtAccuracy, what))
    # And inside a real fit: a target of 0 is reached at the end of the first epoch.
    x, y = core.tiny_data(64, (2,), classes=2)
    fit = dict(validation_data=(x, y), epochs=4, callbacks=[StopAtAccuracy(0.0)])
    what = "fit with StopAtAccuracy(0.0)"
    history = core.run_learner_code(_fit_tiny_model, x, y, what=what, **fit)
    if len(history.epoch) != 1:
        raise NotYet(
            f"in a real fit with StopAtAccuracy(0.0), expected training to stop after epoch 1, but it ran {len(history.epoch)} epochs"
        )
    return "stops fit at the end of the first epoch whose val_accuracy reaches the target (>=), records that epoch counting from 1, and ignores logs without val_accuracy. bench/time_to_accuracy.py measures exactly this moment."


def _bn_setup():
    """A model with a nested BN, stale statistics, and a dataset of 6 batches of 16."""
    import keras

    from helpers.models import batchnorm_layers
    from helpers.runtime import import_tensorflow_quietly

    tf = import_tensorflow_quietly()

    def dense(units, seed):
        return keras.layers.Dense(
            units, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=seed)
        )

    BN = keras.layers.BatchNormalization
    inner = keras.Sequential([dense(4, 1), BN(momentum=0.9)], name="inner")
    model = keras.Sequential([keras.Input(shape=(3,)), dense(4, 0), BN(), inner, dense(2, 2)])
    for layer in batchnorm_layers(model):  # stale: nothing like the real statistics
        layer.moving_mean.assign(np.full(layer.moving_mean.shape, 5.0, "float32"))
        layer.moving_variance.assign(np.full(layer.moving_variance.shape, 100.0, "float32"))
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(96, 3)).astype("float32")
    return model, tf.data.Dataset.from_tensor_slices((x, np.zeros(96, "int32"))).batch(16)


def _stats(model):
    from helpers.models import batchnorm_layers

    return [(bn.moving_mean.numpy(), bn.moving_variance.numpy()) for bn in batchnorm_layers(model)]


def _same(a, b):
    return core.close(a, b, rtol=1e-4, atol=1e-5)


def _reestimated(model, dataset, num_batches, momentum_for):
    """The statistics after running batches in training mode with momentum_for(k, momentum);
    the model's weights and momenta are put back afterwards."""
    from helpers.models import batchnorm_layers

    layers, start = batchnorm_layers(model), model.get_weights()
    saved = [layer.momentum for layer in layers]
    for k, (images, _) in enumerate(dataset.take(num_batches)):
        for layer, original in zip(layers, saved):
            layer.momentum = momentum_for(k, original)
        model(images, training=True)
    stats = _stats(model)
    for layer, original in zip(layers, saved):
        layer.momentum = original
    model.set_weights(start)
    return stats


@functools.cache
def _references():
    """The statistics the right re-estimation leaves, and each of ``REESTIMATE_MISTAKES``
    with its hint: the same every time (the set-up is seeded), so computed once."""
    model, dataset = _bn_setup()
    expected = _reestimated(model, dataset, 4, lambda k, m: k / (k + 1))
    mistakes = [(_reestimated(model, dataset, n, m), hint) for n, m, hint in REESTIMATE_MISTAKES]
    return expected, mistakes


def _explain_statistics(found, expected, mistakes):
    """Say which mistake gives the statistics ``found``, or how they differ from ``expected``."""
    for result, hint in mistakes:
        if _same(found, result):
            raise NotYet(hint)
    raise NotYet(
        f"expected each moving mean and variance to be the plain average of the batch means and variances over the first 4 batches (momentum k / (k + 1) for batch k); found, for the first layer, mean {np.round(found[0][0], 3)} instead of {np.round(expected[0][0], 3)}"
    )


@verdict
def reestimate_batchnorm(reestimate):
    """Exercise 06.2: ``reestimate(model, dataset, num_batches)`` recomputes BN statistics. Runs it
    on a small model with a nested BatchNormalization and stale statistics, reads the table
    ``REESTIMATE``, then compares the statistics with the plain average over the first 4 batches,
    and with what each of ``REESTIMATE_MISTAKES`` would give. Example::

        checks.reestimate_batchnorm(reestimate_batchnorm)
    """
    from helpers.models import batchnorm_layers

    expected, mistakes = _references()
    model, dataset = _bn_setup()
    trainable = [w.numpy() for w in model.trainable_weights]
    saved_momenta, stale = [layer.momentum for layer in batchnorm_layers(model)], _stats(model)
    what = "reestimate_batchnorm(model, dataset, 4)"
    core.run_learner_code(reestimate, model, dataset, 4, what=what)
    found, momenta = _stats(model), [layer.momentum for layer in batchnorm_layers(model)]
    weights = zip(model.trainable_weights, trainable)
    changed = any(not np.array_equal(w.numpy(), before) for w, before in weights)
    facts = dict(found=found, stale=stale, expected=expected, momenta=momenta)
    core.diagnose(REESTIMATE, trainable_changed=changed, saved_momenta=saved_momenta, **facts)
    if not _same(found, expected):
        _explain_statistics(found, expected, mistakes)
    return "the moving statistics are now the average over the first num_batches batches, nested layers included; the weights and each layer's momentum are unchanged."


def _rate(schedule, step, label):
    """The schedule's rate at ``step``, given as the optimizer gives it: an int64 tensor."""
    import keras

    step_tensor = keras.ops.convert_to_tensor(step, "int64")
    value = core.run_learner_code(schedule, step_tensor, what=f"{label} at step {step}")
    if value is None:
        raise NotYet(f"{label} returned None at step {step}; __call__ must return the rate")
    try:
        return float(keras.ops.convert_to_numpy(value))
    except Exception:
        raise NotYet(f"{label} at step {step} returned {value!r}; expected a number") from None


def _expect_compiled_training(OneCycle):
    """Inside compiled training the step is a symbolic tensor: no Python `if` on it."""
    import keras

    x, y = core.tiny_data(16, (2,), classes=2)
    try:
        optimizer = keras.optimizers.SGD(learning_rate=OneCycle(0.2, 10))
        _fit_tiny_model(x, y, optimizer=optimizer, batch_size=8, epochs=1)
    except Exception as error:
        raise NotYet(
            f"training with the schedule failed: in compiled training the step is a symbolic tensor, so use keras.ops (ops.where, ops.minimum, ops.maximum) instead of a Python `if` on it ({type(error).__name__}: {core.first_line(error, 120)})"
        ) from None


def _expect_config_round_trip(OneCycle, schedule):
    try:
        config = schedule.get_config()
    except NotImplementedError:
        config = None
    except Exception as error:
        raise NotYet(f"get_config() raised {type(error).__name__}") from None
    if not isinstance(config, dict):
        raise NotYet(
            "get_config() must return a dict of the constructor arguments, e.g. {'peak_lr': 0.2, 'total_steps': 100, 'warmup_fraction': 0.3}: Keras needs it to save the optimizer in a .keras file (ModelCheckpoint)"
        )
    rebuild = OneCycle.from_config if hasattr(OneCycle, "from_config") else OneCycle
    what = "OneCycle.from_config(schedule.get_config())"
    copy = core.run_learner_code(rebuild, config, what=what)
    if abs(_rate(copy, 65, "the schedule rebuilt from get_config()") - 0.1) > 1e-6:
        raise NotYet(
            f"the schedule rebuilt from get_config() ({config}) gives another rate at step 65: return every constructor argument"
        )


@verdict
def one_cycle(OneCycle):
    """Exercise 06.3: a one-cycle ``LearningRateSchedule`` with linear warm-up and decay. Reads the
    rate of ``OneCycle(0.2, 100)`` at the steps of the table ``ONE_CYCLE``, trains a tiny model with
    it (compiled, so no Python ``if`` on the step), and rebuilds it from ``get_config()``. Example::

        checks.one_cycle(OneCycle)
    """
    what = "OneCycle(0.2, 100)"
    base = "keras.optimizers.schedules.LearningRateSchedule"
    schedule = core.new_instance(OneCycle, 0.2, 100, what=what, base=base)
    for step, expected, hint in ONE_CYCLE:
        got = _rate(schedule, step, what)
        if abs(got - expected) >= 1e-6:
            raise NotYet(hint.format(got=got))
    _expect_compiled_training(OneCycle)
    _expect_config_round_trip(OneCycle, schedule)
    return "peak_lr / 25 at step 0, linear up to peak_lr at 30 % of the steps, linear down to 0 at total_steps, 0 after; works inside compiled training and survives get_config."
