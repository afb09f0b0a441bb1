"""Checkers for the exercises of notebook 08 (custom training): each runs the learner's function or
class on a tiny model and a few random images (seconds on a CPU) and compares what happened with
the same step computed independently: the loss, gradients, weights, BatchNormalization
statistics and the optimizer's step count."""

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["one_training_step", "grad_norm_train_step", "accumulating_train_step"]

# fmt: off
ONE_STEP = [  # (symptom, hint) over one call of the learner's step with SGD(learning_rate=0.1)
    (lambda f: f.loss is None, "one_training_step returned None; expected the loss of the batch (did you forget `return loss`?)"),
    (lambda f: f.steps != 1, "the optimizer made {steps} steps; expected exactly 1. Hint: optimizer.apply(gradients, model.trainable_variables), once"),
    (lambda f: not f.statistics_moved, "BatchNormalization's moving mean did not move, so the model ran in inference mode. Hint: call the model with training=True"),
    (lambda f: f.value is None, "expected the loss as a scalar, found {kind}"),
    (lambda f: not np.isclose(f.value, f.expected_loss, rtol=1e-4, atol=1e-5), "expected the loss of the batch before the update, {expected_loss:.4f}, found {value:.4f}. Hint: compute it inside the GradientTape, with training=True, from loss_fn(labels, logits)"),
    (lambda f: not f.weights_right, "the weights did not move by -learning_rate x gradient. Hint: take the gradient of the loss with respect to model.trainable_variables and pass both to optimizer.apply"),
]
GRAD_NORM = [  # (symptom, hint) over the history of one epoch of fit
    (lambda f: "grad_norm" not in f.logged, "fit logged {logged}; expected 'grad_norm' too. Hint: add it to the dict that train_step returns"),
    (lambda f: f.missing, "fit no longer logs {missing}. Hint: start from the dict that self.compute_metrics(...) returns and add grad_norm to it"),
    (lambda f: not np.isclose(f.found, f.expected, rtol=1e-3), "grad_norm for one batch: expected {expected:.4f}, found {found:.4f}. Hint: tf.linalg.global_norm(gradients), the gradients before the optimizer applies them"),
]
# fmt: on


def _values(variables):
    """The variables' current values as NumPy arrays (copies)."""
    return [np.array(v.numpy()) for v in variables]


def _moving_means(model):
    return _values([v for v in model.non_trainable_variables if "moving_mean" in v.path])


def _as_number(loss):
    try:
        return float(np.asarray(loss))
    except (TypeError, ValueError):
        return None


@verdict
def one_training_step(training_step):
    """Exercise 08.1: one optimisation step by hand, with BatchNormalization in training mode. Calls
    ``training_step(model, optimizer, loss_fn, images, labels)`` once on a tiny model and compares
    the loss, the optimizer's step count, the moving statistics and the new weights with a reference
    step (table ``ONE_STEP``). Example::

        checks.one_training_step(one_training_step)
    """
    import keras

    images, labels = core.tiny_data(16, (8, 8, 1))
    model = core.tiny_model((8, 8, 1), hidden=16)
    before, means = _values(model.trainable_variables), _moving_means(model)
    twin = keras.models.clone_model(model)  # the reference step, on a copy
    twin.set_weights(model.get_weights())
    expected_loss, gradients = core.loss_and_gradients(twin, images, labels)
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    arguments = (model, optimizer, core.logits_loss(), images, labels)
    loss = core.run_learner_code(training_step, *arguments, what="one_training_step")
    expected = [b - 0.1 * g for b, g in zip(before, gradients)]
    right = core.close(_values(model.trainable_variables), expected, rtol=1e-4, atol=1e-5)
    moved = not all(np.array_equal(m, b) for m, b in zip(_moving_means(model), means))
    facts = dict(steps=int(optimizer.iterations), statistics_moved=moved, weights_right=right)
    value, kind = _as_number(loss), type(loss).__name__
    core.diagnose(ONE_STEP, loss=loss, value=value, kind=kind, expected_loss=expected_loss, **facts)
    return "one step: the loss of the batch, one optimizer step along the gradient, and BatchNormalization in training mode"


def _new_resnet(model_class, what, **kwargs):
    """``model_class([1], 10, initial_filters=4)``, seeded, built for 8 x 8 x 1 images."""
    import keras

    keras.utils.set_random_seed(0)
    model = core.new_instance(
        model_class, [1], 10, initial_filters=4, what=f"{what}([1], 10)", **kwargs
    )
    core.run_learner_code(model.build, (None, 8, 8, 1), what=f"{what}.build")
    return model


def _compile(model, learning_rate=0.05):
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(optimizer=optimizer, loss=core.logits_loss(), metrics=["accuracy"])


@verdict
def grad_norm_train_step(GradNormResNet):
    """Exercise 08.2: a train_step that also reports the global norm of the gradients. Fits
    ``GradNormResNet([1], 10, initial_filters=4)`` for one batch and compares the logged
    ``grad_norm`` with the global norm of a reference ResNet's gradients (table ``GRAD_NORM``); loss
    and accuracy must still be logged. Example::

        checks.grad_norm_train_step(GradNormResNet)
    """
    from helpers.models import ResNet

    images, labels = core.tiny_data(16, (8, 8, 1))
    model, reference = _new_resnet(GradNormResNet, "GradNormResNet"), _new_resnet(ResNet, "ResNet")
    reference.set_weights(model.get_weights())
    gradients = core.loss_and_gradients(reference, images, labels)[1]
    expected = float(np.sqrt(sum(np.sum(g**2) for g in gradients)))
    _compile(model)
    try:
        history = model.fit(images, labels, batch_size=16, shuffle=False, verbose=0).history
    except Exception as error:
        if "has not yet been built" in str(error):
            raise NotYet(
                "fit could not report the metrics: your train_step no longer updates them. Hint: keep the loss-metric update and self.compute_metrics(...), and add grad_norm to the dict it returns"
            ) from None
        raise NotYet(f"fit raised {core.describe(error)}") from None
    logged, missing = sorted(history), sorted({"loss", "accuracy"} - set(history))
    found = float(history["grad_norm"][0]) if "grad_norm" in history else None
    core.diagnose(GRAD_NORM, logged=logged, missing=missing, found=found, expected=expected)
    return "fit logs grad_norm, the global norm of the gradients, next to loss and accuracy"


def _fit_batch(model, images, labels, what):
    fit = dict(batch_size=4, epochs=1, shuffle=False, verbose=0)
    core.run_learner_code(model.fit, images, labels, what=what, **fit)
    return int(model.optimizer.iterations)


def _mean_step_reference(model, images, labels):
    """The weights after one SGD(0.05) step with the mean gradient of the two halves of the
    batch, computed on a ResNet with the learner's starting weights."""
    from helpers.models import ResNet

    reference, start = _new_resnet(ResNet, "ResNet"), _values(model.trainable_variables)
    if len(start) != len(reference.trainable_variables):
        raise NotYet(
            f"AccumulatingResNet has {len(start)} trainable variables, ResNet {len(reference.trainable_variables)}: keep your running sums non-trainable (trainable=False)"
        )
    for variable, value in zip(reference.trainable_variables, start):
        variable.assign(value)
    halves = (slice(0, 4), slice(4, 8))
    first, second = (core.loss_and_gradients(reference, images[h], labels[h])[1] for h in halves)
    return start, [w - 0.05 * (g1 + g2) / 2 for w, g1, g2 in zip(start, first, second)]


@verdict
def accumulating_train_step(AccumulatingResNet):
    """Exercise 08.3: gradient accumulation in train_step. Fits
    ``AccumulatingResNet([1], 10, initial_filters=4, accumulate=2)`` on one batch of 4 images, then
    another: no optimizer step after the first, one step with the mean of both batches' gradients
    after the second. Example::

        checks.accumulating_train_step(AccumulatingResNet)
    """
    images, labels = core.tiny_data(8, (8, 8, 1))
    model = _new_resnet(AccumulatingResNet, "AccumulatingResNet", accumulate=2)
    start, expected = _mean_step_reference(model, images, labels)
    _compile(model)
    steps = _fit_batch(model, images[:4], labels[:4], "fit on the first batch")
    unchanged = core.close(_values(model.trainable_variables), start, rtol=0, atol=0)
    if steps != 0 or not unchanged:
        raise NotYet(
            f"after 1 batch with accumulate=2 the optimizer made {steps} step(s) and the weights {'did not change' if unchanged else 'changed'}; expected no step yet: only add the gradients up until the 2nd batch"
        )
    steps = _fit_batch(model, images[4:], labels[4:], "fit on the second batch")
    if steps != 1:
        raise NotYet(
            f"after 2 batches with accumulate=2 the optimizer made {steps} step(s); expected 1"
        )
    if not core.close(_values(model.trainable_variables), expected, rtol=1e-4, atol=1e-6):
        raise NotYet(
            "after 2 batches the weights are not w - learning_rate x (mean of the 2 batches' gradients). Hint: divide the sums by `accumulate`, apply them, then set the sums back to zero"
        )
    return "2 batches, accumulate=2: no step after the first, then one step with the mean of both gradients"
