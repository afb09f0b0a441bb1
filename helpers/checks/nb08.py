"""Checkers for the exercises of notebook 08 (custom training).

Each checker runs the learner's function or class on a tiny model and a few
random images (seconds on a CPU), and compares what happened with the same
step computed independently: the loss, the gradients, the weights, the
BatchNormalization statistics, the optimizer's step count. ``fit`` logs and
Keras warnings are kept out, so a notebook cell shows only the verdict.
"""
import contextlib
import io

import numpy as np

from helpers.checks.core import NotYet, call, first_line, quiet, verdict

__all__ = ["one_training_step", "grad_norm_train_step", "accumulating_train_step"]


def _tiny_data(n=16, size=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, size, size, 1), dtype=np.float32)
    labels = rng.integers(0, 10, size=n).astype("int32")
    return images, labels


def _tiny_mlp(seed=0):
    """Flatten -> Dense(16) -> BatchNormalization -> ReLU -> Dense(10) logits, for 8x8x1 images."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(shape=(8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(16),
        keras.layers.BatchNormalization(momentum=0.5), keras.layers.ReLU(), keras.layers.Dense(10),
    ], name="tiny_mlp")


def _loss_fn():
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _reference_step(model, images, labels):
    """Loss and gradients of one training-mode step, computed on a copy of `model`."""
    import keras
    import tensorflow as tf

    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    with tf.GradientTape() as tape:
        loss = _loss_fn()(labels, twin(images, training=True))
    gradients = tape.gradient(loss, twin.trainable_variables)
    return float(loss), [g.numpy() for g in gradients]


def _values(variables):
    """The variables' current values as NumPy arrays (copies)."""
    return [np.array(v.numpy()) for v in variables]


def _moving_means(model):
    return _values([v for v in model.non_trainable_variables if "moving_mean" in v.path])


@verdict
def one_training_step(one_training_step):
    """Exercise 1: one optimisation step by hand, with BatchNormalization in training mode."""
    import keras

    images, labels = _tiny_data()
    model = _tiny_mlp()
    before = _values(model.trainable_variables)
    means_before = _moving_means(model)
    expected_loss, gradients = _reference_step(model, images, labels)
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    with quiet():
        loss = call(one_training_step, model, optimizer, _loss_fn(), images, labels,
                    what="one_training_step")
    if loss is None:
        raise NotYet("one_training_step returned None; expected the loss of the batch "
                      "(did you forget `return loss`?)")
    if int(optimizer.iterations) != 1:
        raise NotYet(f"the optimizer made {int(optimizer.iterations)} steps; expected exactly 1. "
                     "Hint: optimizer.apply(gradients, model.trainable_variables), once")
    if all(np.array_equal(m, b) for m, b in zip(_moving_means(model), means_before)):
        raise NotYet("BatchNormalization's moving mean did not move, so the model ran in "
                     "inference mode. Hint: call the model with training=True")
    try:
        loss = float(np.asarray(loss))
    except (TypeError, ValueError):
        raise NotYet(f"expected the loss as a scalar, found {type(loss).__name__}") from None
    if not np.isclose(loss, expected_loss, rtol=1e-4, atol=1e-5):
        raise NotYet(f"expected the loss of the batch before the update, {expected_loss:.4f}, "
                     f"found {loss:.4f}. Hint: compute it inside the GradientTape, with "
                     "training=True, from loss_fn(labels, logits)")
    after = _values(model.trainable_variables)
    for b, a, g in zip(before, after, gradients):
        if not np.allclose(a, b - 0.1 * g, rtol=1e-4, atol=1e-5):
            raise NotYet("the weights did not move by -learning_rate x gradient. Hint: take the "
                         "gradient of the loss with respect to model.trainable_variables and "
                         "pass both to optimizer.apply")
    return ("one step: the loss of the batch, one optimizer step along the gradient, and "
            "BatchNormalization in training mode")


def _fit_one_epoch(model, images, labels, batch_size, learning_rate=0.05):
    import keras

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=_loss_fn(),
                  metrics=["accuracy"])
    with contextlib.redirect_stdout(io.StringIO()):
        return model.fit(images, labels, batch_size=batch_size, epochs=1, shuffle=False,
                         verbose=0).history


def _new_resnet(model_class, what, **kwargs):
    import keras

    keras.utils.set_random_seed(0)
    model = call(model_class, [1], 10, initial_filters=4, what=what, **kwargs)
    if not isinstance(model, keras.Model):
        raise NotYet(f"{what}([1], 10) gave a {type(model).__name__}; expected a keras.Model")
    call(model.build, (None, 8, 8, 1), what=f"{what}.build")
    return model


@verdict
def grad_norm_train_step(GradNormResNet):
    """Exercise 2: a train_step that also reports the global norm of the gradients."""
    import tensorflow as tf

    from helpers.models import ResNet

    images, labels = _tiny_data()
    model = _new_resnet(GradNormResNet, "GradNormResNet")
    reference = _new_resnet(ResNet, "ResNet")
    reference.set_weights(model.get_weights())
    with tf.GradientTape() as tape:
        loss = _loss_fn()(labels, reference(images, training=True))
    expected = float(tf.linalg.global_norm(tape.gradient(loss, reference.trainable_variables)))
    with quiet():
        try:
            history = _fit_one_epoch(model, images, labels, len(images))
        except Exception as error:
            if "has not yet been built" in str(error):
                raise NotYet("fit could not report the metrics: your train_step no longer "
                             "updates them. Hint: keep the loss-metric update and "
                             "self.compute_metrics(...), and add grad_norm to the dict it "
                             "returns") from None
            raise NotYet(f"fit raised {type(error).__name__}: {first_line(error)}") from None
    if "grad_norm" not in history:
        raise NotYet(f"fit logged {sorted(history)}; expected 'grad_norm' too. Hint: add it to "
                     "the dict that train_step returns")
    missing = {"loss", "accuracy"} - set(history)
    if missing:
        raise NotYet(f"fit no longer logs {sorted(missing)}. Hint: start from the dict that "
                     "self.compute_metrics(...) returns and add grad_norm to it")
    found = float(history["grad_norm"][0])
    if not np.isclose(found, expected, rtol=1e-3):
        raise NotYet(f"grad_norm for one batch: expected {expected:.4f}, found {found:.4f}. Hint: "
                     "tf.linalg.global_norm(gradients), the gradients before the optimizer "
                     "applies them")
    return "fit logs grad_norm, the global norm of the gradients, next to loss and accuracy"


@verdict
def accumulating_train_step(AccumulatingResNet):
    """Exercise 3: gradient accumulation in train_step."""
    import keras
    import tensorflow as tf

    from helpers.models import ResNet

    learning_rate = 0.05
    images, labels = _tiny_data(n=8)
    model = _new_resnet(AccumulatingResNet, "AccumulatingResNet", accumulate=2)
    reference = _new_resnet(ResNet, "ResNet")
    start = _values(model.trainable_variables)
    if len(start) != len(reference.trainable_variables):
        raise NotYet(f"AccumulatingResNet has {len(start)} trainable variables, ResNet "
                     f"{len(reference.trainable_variables)}: keep your running sums "
                     "non-trainable (trainable=False)")
    for variable, value in zip(reference.trainable_variables, start):
        variable.assign(value)
    gradients = []
    for batch in (slice(0, 4), slice(4, 8)):
        with tf.GradientTape() as tape:
            loss = _loss_fn()(labels[batch], reference(images[batch], training=True))
        gradients.append([g.numpy() for g in tape.gradient(loss, reference.trainable_variables)])
    expected = [w - learning_rate * (g1 + g2) / 2 for w, g1, g2 in zip(start, *gradients)]

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=_loss_fn(),
                  metrics=["accuracy"])
    with quiet(), contextlib.redirect_stdout(io.StringIO()):
        call(model.fit, images[:4], labels[:4], batch_size=4, epochs=1, shuffle=False, verbose=0,
             what="fit on the first batch")
        steps = int(model.optimizer.iterations)
        unchanged = all(np.array_equal(v, w)
                        for v, w in zip(_values(model.trainable_variables), start))
        if steps != 0 or not unchanged:
            raise NotYet(f"after 1 batch with accumulate=2 the optimizer made {steps} step(s) and "
                         f"the weights {'did not change' if unchanged else 'changed'}; expected no "
                         "step yet: only add the gradients up until the 2nd batch")
        call(model.fit, images[4:], labels[4:], batch_size=4, epochs=1, shuffle=False, verbose=0,
             what="fit on the second batch")
    steps = int(model.optimizer.iterations)
    if steps != 1:
        raise NotYet(f"after 2 batches with accumulate=2 the optimizer made {steps} step(s); "
                     "expected 1")
    if not all(np.allclose(v, e, rtol=1e-4, atol=1e-6)
               for v, e in zip(_values(model.trainable_variables), expected)):
        raise NotYet("after 2 batches the weights are not w - learning_rate x (mean of the 2 "
                     "batches' gradients). Hint: divide the sums by `accumulate`, apply them, "
                     "then set the sums back to zero")
    return ("2 batches, accumulate=2: no step after the first, then one step with the mean "
            "of both gradients")
