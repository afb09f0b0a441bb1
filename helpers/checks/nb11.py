"""Checkers for the exercises of notebook 11 (beyond TensorFlow), run on the JAX backend.

Each checker runs the learner's function on a tiny model with BatchNormalization and a few
random images, and compares the result with the same computation done the way the lesson
does it: ``stateless_call`` for inference, way 3's jitted step for training, and
``keras.distribution.DataParallel`` over ``list_devices()``.
"""

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["predict_statelessly", "jitted_step", "data_parallel"]

JAX_ONLY = 'this exercise runs on the JAX backend: run the notebook\'s first cell, helpers.setup(backend="jax"), in a fresh kernel'

# fmt: off
PREDICT = [  # (symptom, hint) over the learner's logits for the given variable values
    (lambda f: f.is_tuple, "predict_statelessly returned a tuple; stateless_call returns (outputs, non_trainable values): return only the outputs"),
    (lambda f: f.shape != (4, 10), "expected logits of shape (4, 10), found {shape}"),
    (lambda f: f.used_model_variables, "the logits are those of the model's own variables, not of the values passed in. Hint: model.stateless_call(trainable, non_trainable, images, ...)"),
    (lambda f: f.training_mode, "the logits are those of training mode (BatchNormalization used the batch's statistics). Hint: training=False"),
    (lambda f: not f.right, "the logits differ from model.stateless_call(trainable, non_trainable, images, training=False)"),
]
STEP = [  # (symptom, hint) over three steps of the learner's jitted step
    (lambda f: not f.pair, "step(state, images, labels) returned {kind}; expected a pair (loss, new_state)"),
    (lambda f: not f.loss_right, "the first step's loss: expected {expected_loss:.4f}, found {loss}. Hint: loss_fn(labels, logits), with logits from stateless_call(..., training=True)"),
    (lambda f: not f.weights_moved, "after three steps the weights have not changed. Hint: return the trainable values optimizer.stateless_apply gives back, in new_state"),
    (lambda f: not f.statistics_moved, "after three steps BatchNormalization's moving statistics have not changed. Hint: return the non-trainable values stateless_call gives back, in new_state"),
    (lambda f: not f.optimizer_moved, "after three steps the optimizer's state has not changed. Hint: return the optimizer values stateless_apply gives back, in new_state"),
    (lambda f: not f.right, "after three steps the weights differ from way 3's recipe (value_and_grad with has_aux=True, then stateless_apply)"),
]
# fmt: on


def _expect_jax():
    import keras

    if keras.backend.backend() != "jax":
        raise NotYet(JAX_ONLY)


def _state(model, optimizer=None):
    """The variables' values: (trainable, non_trainable[, optimizer]) lists of arrays."""
    groups = [model.trainable_variables, model.non_trainable_variables]
    groups += [optimizer.variables] if optimizer is not None else []
    return tuple([v.value for v in group] for group in groups)


def _small_model():
    """A seeded tiny classifier with BatchNormalization, its moving statistics not yet 0 and 1."""
    model = core.tiny_model((8, 8, 1), hidden=16)
    images, _ = core.tiny_data(32, (8, 8, 1), seed=1)
    model(images, training=True)
    return model


@verdict
def predict_statelessly(predict):
    """Exercise 11.1: a model's inference-mode logits from given variable values.

    Calls ``predict(model, trainable, non_trainable, images)`` on a tiny model with
    values that differ from the model's own, and compares the result with
    ``model.stateless_call(..., training=False)`` (table ``PREDICT``).

    Example::

        checks.predict_statelessly(predict_statelessly)
    """
    _expect_jax()
    model = _small_model()
    images, _ = core.tiny_data(4, (8, 8, 1), seed=2)
    trainable, non_trainable = _state(model)
    trainable = [value * 1.5 for value in trainable]
    found = core.run_learner_code(
        predict, model, trainable, non_trainable, images, what="predict_statelessly"
    )
    is_tuple = isinstance(found, tuple)
    found = None if is_tuple else core.to_numpy(found, "predict_statelessly", "return the logits")

    def logits(training, values=(trainable, non_trainable)):
        return core.to_numpy(model.stateless_call(*values, images, training=training)[0])

    expected = logits(False)
    core.diagnose(
        PREDICT,
        is_tuple=is_tuple,
        shape=None if is_tuple else found.shape,
        used_model_variables=not is_tuple and core.close(found, logits(False, _state(model))),
        training_mode=not is_tuple and core.close(found, logits(True)),
        right=not is_tuple and core.close(found, expected),
    )
    return "inference-mode logits computed from the values you pass, not the model's variables"


def _reference_steps(model, images, labels, steps):
    """Way 3's recipe for ``steps`` steps on a copy of the state; returns (first loss, state)."""
    import jax
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    optimizer.build(model.trainable_variables)
    loss_fn = core.logits_loss()

    def loss_and_updates(trainable, non_trainable):
        logits, non_trainable = model.stateless_call(
            trainable, non_trainable, images, training=True
        )
        return loss_fn(labels, logits), non_trainable

    state, first = _state(model, optimizer), None
    for _ in range(steps):
        trainable, non_trainable, optimizer_vars = state
        gradient_fn = jax.value_and_grad(loss_and_updates, has_aux=True)
        (loss, non_trainable), gradients = gradient_fn(trainable, non_trainable)
        trainable, optimizer_vars = optimizer.stateless_apply(optimizer_vars, gradients, trainable)
        state, first = (trainable, non_trainable, optimizer_vars), first or float(loss)
    return first, state


def _changed(new, old):
    return not all(np.array_equal(np.asarray(n), np.asarray(o)) for n, o in zip(new, old))


@verdict
def jitted_step(make_step):
    """Exercise 11.2: a ``jax.jit`` training step that takes the state and returns the new one.

    Builds ``make_step(model, optimizer, loss_fn)`` for a tiny model with
    BatchNormalization and SGD with momentum, runs the step three times on one batch, and
    compares the loss, the weights, the moving statistics and the optimizer's
    state with way 3's recipe (table ``STEP``).

    Example::

        checks.jitted_step(make_jitted_step)
    """
    import keras

    _expect_jax()
    images, labels = core.tiny_data(16, (8, 8, 1))
    model = _small_model()
    expected_loss, expected = _reference_steps(model, images, labels, steps=3)
    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    optimizer.build(model.trainable_variables)
    step = core.run_learner_code(
        make_step, model, optimizer, core.logits_loss(), what="make_jitted_step"
    )
    if not hasattr(
        step, "lower"
    ):  # what jax.jit returns can be lowered to XLA; a plain function can't
        raise NotYet(
            "make_jitted_step returned a function that is not compiled: decorate step "
            "with @jax.jit, or return jax.jit(step)"
        )
    start = state = _state(model, optimizer)
    for number in range(3):
        result = core.run_learner_code(step, state, images, labels, what="your step")
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            core.diagnose(STEP[:1], pair=False, kind=type(result).__name__)
        loss, state = result
        if number == 0:
            loss = float(np.asarray(loss)) if np.size(loss) == 1 else loss
            loss_right = isinstance(loss, float) and np.isclose(loss, expected_loss, rtol=1e-4)
            core.diagnose(
                STEP[:2], pair=True, loss_right=loss_right, loss=loss, expected_loss=expected_loss
            )
    if not (isinstance(state, (tuple, list)) and len(state) == 3):
        raise NotYet("new_state should be (trainable, non_trainable, optimizer_vars), like state")
    core.diagnose(
        STEP,
        pair=True,
        loss_right=True,
        weights_moved=_changed(state[0], start[0]),
        statistics_moved=_changed(state[1], start[1]),
        optimizer_moved=_changed(state[2], start[2]),
        right=core.close(
            [np.asarray(v) for v in state[0]],
            [np.asarray(v) for v in expected[0]],
            rtol=1e-4,
            atol=1e-5,
        ),
    )
    return (
        "three jitted steps with the loss, weights, moving statistics and optimizer state of way 3"
    )


@verdict
def data_parallel(make_distribution):
    """Exercise 11.3: ``keras.distribution.DataParallel`` over every device.

    Checks the learner's distribution (its class and devices), then trains a
    tiny model for one step under it and checks that a kernel is replicated;
    the previous distribution is restored afterwards.

    Example::

        checks.data_parallel(data_parallel)
    """
    import keras

    _expect_jax()
    distribution = core.run_learner_code(make_distribution, what="data_parallel()")
    if not isinstance(distribution, keras.distribution.DataParallel):
        raise NotYet(
            f"expected a keras.distribution.DataParallel, found {type(distribution).__name__}"
        )
    devices = keras.distribution.list_devices()
    core.expect_equal(
        [str(d) for d in np.ravel(distribution.device_mesh.devices)],
        devices,
        "the devices",
        "DataParallel(devices=keras.distribution.list_devices())",
    )
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(distribution)
    try:
        model = core.tiny_model((8, 8, 1), hidden=16, optimizer="sgd")
        model.fit(*core.tiny_data(16, (8, 8, 1)), batch_size=8, epochs=1, verbose=0)
        spec = tuple(model.trainable_variables[0].value.sharding.spec)
    finally:
        keras.distribution.set_distribution(previous)
    core.expect_equal(spec, (None, None), "the sharding of a Dense kernel (None: not split)")
    return f"data parallelism over {len(devices)} devices: batches split, every variable replicated"
