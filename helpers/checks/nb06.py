"""Checkers for the exercises of notebook 06 (training the ResNet).

Each checker runs the learner's callback, function or schedule on a tiny model
and a few hand-made numbers, so it takes a second or two, and compares what it
does with what it should do. ``fit`` logs and Keras warnings are kept out, so a
notebook cell shows only the verdict.
"""
import contextlib
import io
import warnings

import numpy as np
from keras import ops

from helpers.checks.core import NotYet, call, verdict

__all__ = ["stop_at_accuracy", "reestimate_batchnorm", "one_cycle"]


@contextlib.contextmanager
def _quietly():
    """Keep Keras warnings and anything printed (fit logs) out of the verdict."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _tiny_model():
    import keras
    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2)])


def _tiny_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype("float32")
    return x, (x[:, 0] > 0).astype("int32")


# ------------------------------------------------------------- exercise 1 ----

@verdict
def stop_at_accuracy(StopAtAccuracy):
    """Exercise 06.1: a callback that stops ``fit`` once ``val_accuracy`` reaches a target.

    Example::

        checks.stop_at_accuracy(StopAtAccuracy)
    """
    import keras

    what = "StopAtAccuracy(0.9)"
    callback = call(StopAtAccuracy, 0.9, what=what)
    if not isinstance(callback, keras.callbacks.Callback):
        raise NotYet(f"{what} is a {type(callback).__name__}; expected a subclass of "
                     "keras.callbacks.Callback")
    model = _tiny_model()
    callback.set_model(model)
    model.stop_training = False
    call(callback.on_train_begin, {}, what=f"{what}.on_train_begin")
    epochs = [{"loss": 0.3, "accuracy": 0.95, "val_loss": 0.9, "val_accuracy": 0.5},
              {"loss": 0.2, "accuracy": 0.97, "val_loss": 0.5, "val_accuracy": 0.89}]
    for epoch, logs in enumerate(epochs):
        call(callback.on_epoch_end, epoch, dict(logs), what=f"{what}.on_epoch_end")
        if model.stop_training:
            if epoch == 0:
                raise NotYet("it stopped after epoch 1, where val_accuracy was 0.5 but accuracy "
                             "0.95: compare logs['val_accuracy'] (images the model does not "
                             "train on), not logs['accuracy']")
            raise NotYet("it stopped after epoch 2, where val_accuracy was 0.89, below the "
                         "target 0.9")
    logs = {"loss": 0.2, "accuracy": 0.97, "val_loss": 0.4, "val_accuracy": 0.9}
    call(callback.on_epoch_end, 2, logs, what=f"{what}.on_epoch_end")
    if not model.stop_training:
        if getattr(callback, "stop_training", False):
            raise NotYet("set self.model.stop_training = True (fit reads the model's flag), "
                         "not self.stop_training")
        raise NotYet("expected fit to be told to stop (self.model.stop_training = True) at the "
                     "end of epoch 3, where val_accuracy reached the target 0.9 exactly; it was "
                     "not (reaching the target counts: use >=)")
    reached = getattr(callback, "reached_epoch", None)
    if reached != 3:
        hint = (" Keras counts epochs from 0: record epoch + 1" if reached == 2 else "")
        raise NotYet(f"expected reached_epoch to be 3 (counting from 1), found {reached!r}.{hint}")

    # Without validation data there is no val_accuracy: nothing to do, and no crash.
    other = call(StopAtAccuracy, 0.9, what=what)
    model = _tiny_model()
    other.set_model(model)
    model.stop_training = False
    try:
        other.on_epoch_end(0, {"loss": 0.1, "accuracy": 0.99})
    except Exception as error:
        raise NotYet("when the logs have no 'val_accuracy' (fit without validation data) it "
                     f"should do nothing, but it raised {type(error).__name__}: use "
                     "logs.get('val_accuracy')") from None
    if model.stop_training:
        raise NotYet("it stopped although the logs had no 'val_accuracy' (only accuracy 0.99): "
                     "without validation data it should do nothing")

    # And inside a real fit: a target of 0 is reached at the end of the first epoch.
    x, y = _tiny_data()
    model = _tiny_model()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    with _quietly():
        history = call(model.fit, x, y, validation_data=(x, y), epochs=4, verbose=0,
                       callbacks=[StopAtAccuracy(0.0)], what="fit with StopAtAccuracy(0.0)")
    if len(history.epoch) != 1:
        raise NotYet(f"in a real fit with StopAtAccuracy(0.0), expected training to stop after "
                     f"epoch 1, but it ran {len(history.epoch)} epochs")
    return ("stops fit at the end of the first epoch whose val_accuracy reaches the target "
            "(>=), records that epoch counting from 1, and ignores logs without val_accuracy. "
            "bench/time_to_accuracy.py measures exactly this moment.")


# ------------------------------------------------------------- exercise 2 ----

def _bn_layers(model):
    import keras
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(_bn_layers(layer))
    return found


def _bn_setup():
    """A model with a nested BN, stale statistics, and a dataset of 6 batches of 16."""
    import keras
    from helpers.runtime import import_tensorflow_quietly
    tf = import_tensorflow_quietly()

    init = keras.initializers.RandomNormal(stddev=0.5, seed=1)
    inner = keras.Sequential([keras.layers.Dense(4, kernel_initializer=init),
                              keras.layers.BatchNormalization(momentum=0.9)], name="inner")
    model = keras.Sequential([
        keras.Input(shape=(3,)),
        keras.layers.Dense(4, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=0)),
        keras.layers.BatchNormalization(),
        inner,
        keras.layers.Dense(2, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=2)),
    ])
    for layer in _bn_layers(model):  # stale: nothing like the real statistics
        layer.moving_mean.assign(np.full(layer.moving_mean.shape, 5.0, "float32"))
        layer.moving_variance.assign(np.full(layer.moving_variance.shape, 100.0, "float32"))
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(96, 3)).astype("float32")
    y = np.zeros(96, "int32")
    return model, tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


def _stats(model):
    return [(layer.moving_mean.numpy(), layer.moving_variance.numpy())
            for layer in _bn_layers(model)]


def _run_momenta(model, dataset, num_batches, momentum_for):
    """Run batches in training mode with momentum_for(k, layer); restore the momenta."""
    layers = _bn_layers(model)
    saved = [layer.momentum for layer in layers]
    for k, (images, _) in enumerate(dataset.take(num_batches)):
        for layer, original in zip(layers, saved):
            layer.momentum = momentum_for(k, original)
        model(images, training=True)
    for layer, original in zip(layers, saved):
        layer.momentum = original
    return _stats(model)


def _same(a, b):
    return all(np.allclose(m1, m2, rtol=1e-4, atol=1e-5) and np.allclose(v1, v2, rtol=1e-4, atol=1e-5)
               for (m1, v1), (m2, v2) in zip(a, b))


@verdict
def reestimate_batchnorm(reestimate):
    """Exercise 06.2: ``reestimate(model, dataset, num_batches)`` recomputes BN statistics.

    Example::

        checks.reestimate_batchnorm(reestimate_batchnorm)
    """
    model, dataset = _bn_setup()
    start = model.get_weights()
    trainable_before = [w.numpy() for w in model.trainable_weights]
    momenta = [layer.momentum for layer in _bn_layers(model)]
    stale = _stats(model)
    # What the answer should give, and what common mistakes give instead.
    expected = _run_momenta(model, dataset, 4, lambda k, m: k / (k + 1))
    model.set_weights(start)
    every_batch = _run_momenta(model, dataset, 6, lambda k, m: k / (k + 1))
    model.set_weights(start)
    last_only = _run_momenta(model, dataset, 4, lambda k, m: 0.0)
    model.set_weights(start)
    default_momentum = _run_momenta(model, dataset, 4, lambda k, m: m)
    model.set_weights(start)

    with _quietly():
        call(reestimate, model, dataset, 4, what="reestimate_batchnorm(model, dataset, 4)")
    found = _stats(model)
    changed = [not np.array_equal(a, b) for a, b in
               zip([w.numpy() for w in model.trainable_weights], trainable_before)]
    if any(changed):
        raise NotYet("the trainable weights (kernels, gamma, beta) changed: only the moving "
                     "statistics may change. Call the model on the batches with "
                     "training=True; do not fit it")
    now = [layer.momentum for layer in _bn_layers(model)]
    if now != momenta:
        raise NotYet(f"afterwards each layer's momentum must be what it was, {momenta}; found "
                     f"{now}. Save them first and put them back")
    if _same(found, stale):
        raise NotYet("the moving statistics did not change: run each batch through the model "
                     "with training=True (that is when BatchNormalization updates them)")
    if _same(found[:1], expected[:1]) and not _same(found[1:], expected[1:]):
        raise NotYet("the BatchNormalization inside the nested model 'inner' was not "
                     "re-estimated (it kept its own momentum): look inside nested models too "
                     "(their .layers)")
    if not _same(found, expected):
        if _same(found, every_batch):
            raise NotYet("it used every batch of the dataset; expected only the first "
                         "num_batches=4 (dataset.take(num_batches))")
        if _same(found, last_only):
            raise NotYet("only the last batch counts: momentum 0 for every batch throws the "
                         "earlier ones away. Use momentum k / (k + 1) for the k-th batch "
                         "(k = 0, 1, ...) so that every batch weighs the same")
        if _same(found, default_momentum):
            raise NotYet("the stale starting values still weigh in: with the layers' own "
                         "momentum each new batch only nudges the averages. Use momentum "
                         "k / (k + 1) for the k-th batch, so the first batch replaces them")
        raise NotYet("expected each moving mean and variance to be the plain average of the "
                     "batch means and variances over the first 4 batches (momentum k / (k + 1) "
                     f"for batch k); found, for the first layer, mean {np.round(found[0][0], 3)} "
                     f"instead of {np.round(expected[0][0], 3)}")
    return ("the moving statistics are now the average over the first num_batches batches, "
            "nested layers included; the weights and each layer's momentum are unchanged.")


# ------------------------------------------------------------- exercise 3 ----

@verdict
def one_cycle(OneCycle):
    """Exercise 06.3: a one-cycle ``LearningRateSchedule`` with linear warm-up and decay.

    Example::

        checks.one_cycle(OneCycle)
    """
    import keras

    what = "OneCycle(0.2, 100)"
    schedule = call(OneCycle, 0.2, 100, what=what)
    if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        raise NotYet(f"{what} is a {type(schedule).__name__}; expected a subclass of "
                     "keras.optimizers.schedules.LearningRateSchedule")

    def rate(sched, step, label=what):
        # The optimizer passes its step counter as an int64 tensor.
        value = call(sched, ops.convert_to_tensor(step, "int64"), what=f"{label} at step {step}")
        if value is None:
            raise NotYet(f"{label} returned None at step {step}; __call__ must return the rate")
        try:
            return float(ops.convert_to_numpy(value))
        except Exception:
            raise NotYet(f"{label} at step {step} returned {value!r}; expected a number") from None

    expected = {0: 0.008, 15: 0.104, 30: 0.2, 65: 0.1, 100: 0.0, 130: 0.0}
    for step, want in expected.items():
        got = rate(schedule, step)
        if abs(got - want) < 1e-6:
            continue
        if step == 0:
            raise NotYet(f"at step 0 expected 0.008 (peak_lr / 25: start low, then warm up), "
                         f"found {got:.4g}")
        if step == 130:
            raise NotYet(f"after total_steps the rate must stay at 0, found {got:.4g} at step "
                         "130: clip it (keras.ops.maximum(..., 0))")
        phase = ("the warm-up rises linearly from peak_lr / 25 at step 0 to peak_lr at step "
                 "int(0.3 * total_steps) = 30" if step <= 30 else
                 "after the warm-up the rate falls linearly from peak_lr at step 30 to 0 at "
                 "total_steps = 100")
        raise NotYet(f"at step {step} expected {want:.4g}, found {got:.4g}: {phase}")

    # Inside compiled training the step is a symbolic tensor: no Python `if` on it.
    x, y = _tiny_data(16)
    model = _tiny_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=OneCycle(0.2, 10)),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    try:
        with _quietly():
            model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    except Exception as error:
        from helpers.checks.core import first_line
        raise NotYet("training with the schedule failed: in compiled training the step is a "
                     "symbolic tensor, so use keras.ops (ops.where, ops.minimum, ops.maximum) "
                     f"instead of a Python `if` on it ({type(error).__name__}: "
                     f"{first_line(error, 120)})") from None

    try:
        config = schedule.get_config()
    except NotImplementedError:
        config = None
    except Exception as error:
        raise NotYet(f"get_config() raised {type(error).__name__}") from None
    if not isinstance(config, dict):
        raise NotYet("get_config() must return a dict of the constructor arguments, e.g. "
                     "{'peak_lr': 0.2, 'total_steps': 100, 'warmup_fraction': 0.3}: Keras needs "
                     "it to save the optimizer in a .keras file (ModelCheckpoint)")
    copy = call(OneCycle.from_config if hasattr(OneCycle, "from_config") else OneCycle,
                config, what="OneCycle.from_config(schedule.get_config())")
    if abs(rate(copy, 65, "the schedule rebuilt from get_config()") - 0.1) > 1e-6:
        raise NotYet(f"the schedule rebuilt from get_config() ({config}) gives another rate at "
                     "step 65: return every constructor argument")
    return ("peak_lr / 25 at step 0, linear up to peak_lr at 30 % of the steps, linear down to "
            "0 at total_steps, 0 after; works inside compiled training and survives get_config.")
