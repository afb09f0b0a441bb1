"""Checkers for the exercises of notebook 09 (scaling out): the replica arithmetic is compared with
a table of cases, the mixed-precision model with a spec per policy, and the distributed step with
one plain step on the whole global batch."""

import math

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = ["replica_scaling", "float32_output_classifier", "distributed_train_step"]

SCALING_CASES = [(64, 2, 1e-3, 128), (64, 8, 1e-3, 128), (32, 1, 0.1, 256), (128, 4, 0.05, 128)]
POLICIES = [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")]  # (policy, compute dtype)


# fmt: off
DISTRIBUTED = [  # (symptom, hint) after one distributed step, against one plain step
    (lambda f: f.moved == 0, "the weights did not change: apply the gradients with optimizer.apply"),
    (lambda f: not f.same and f.replicas > 1 and abs(f.ratio - f.replicas) < 0.2, "the weights moved {replicas} times too far: each replica averaged its loss over its own share; divide by the global batch instead (tf.nn.compute_average_loss(per_example, global_batch_size=...))"),
    (lambda f: not f.same, "after one step the weights differ from one step on one device (they moved {ratio:.2f} times as far); compute per-example losses, average them over the global batch, and apply the gradients once per replica"),
    (lambda f: f.loss is None, "train_step should return one number: reduce the replicas' losses with strategy.reduce('SUM', per_replica_losses, axis=None)"),
    (lambda f: not math.isclose(f.loss, f.expected_loss, rel_tol=1e-4), "train_step returned a loss of {loss:.4f}; the loss of the global batch is {expected_loss:.4f}. Hint: SUM the replicas' losses, each divided by the global batch"),
]
# fmt: on


def first_conv(attribute):
    """A measure: the given attribute of the model's first Conv2D layer."""
    return lambda model: getattr(core.layers_of_type(model, "Conv2D")[0], attribute)


def logits_dtype(model):
    """The dtype of the logits, from a symbolic batch: no 16-bit kernel runs, so the check
    works where the CPU cannot compute in bfloat16 (notebook 09)."""
    import keras

    return keras.backend.standardize_dtype(model(keras.KerasTensor((2, 28, 28, 1))).dtype)


SHAPES = [  # (what, measure, expected, hint)
    ("the input shape", core.input_shape, (None, 28, 28, 1), ""),
    ("the output shape", lambda model: tuple(model.output_shape), (None, 10), ""),
]


def dtypes(policy, compute):
    """The spec of the classifier's dtypes under ``policy``: (what, measure, expected, hint)."""
    # fmt: off
    return [
        (f"the Conv2D's compute dtype under {policy!r}", first_conv("compute_dtype"), compute, "set the policy before you create the layers"),
        ("the Conv2D kernel's dtype (variables stay float32)", lambda m: first_conv("kernel")(m).dtype, "float32", ""),
        (f"the dtype of the logits under {policy!r}", logits_dtype, "float32", "end with a layer whose dtype is 'float32', e.g. Activation('linear', dtype='float32')"),
        ("the number of parameters", core.params, 8 * 9 + 8 + 8 * 10 + 10, ""),
    ]
    # fmt: on


@verdict
def replica_scaling(scale_for_replicas):
    """Exercise 09.1: global batch = per replica x replicas; learning rate scaled linearly. Checks
    ``scale_for_replicas(per_replica, replicas, base_learning_rate=..., base_batch=...)`` on the
    cases of ``SCALING_CASES``. Example::

        checks.replica_scaling(scale_for_replicas)
    """
    for per_replica, replicas, base_lr, base_batch in SCALING_CASES:
        sizes = dict(base_learning_rate=base_lr, base_batch=base_batch)
        what = "scale_for_replicas()"
        found = core.run_learner_code(scale_for_replicas, per_replica, replicas, what=what, **sizes)
        if not isinstance(found, (tuple, list)) or len(found) != 2:
            raise NotYet(f"expected a pair (global_batch, learning_rate), found {found!r}")
        global_batch, learning_rate = found
        what = f"the global batch for {per_replica} images on each of {replicas} replicas"
        hint = "every replica takes its share of one global batch"
        core.expect_equal(global_batch, per_replica * replicas, what, hint)
        expected = base_lr * per_replica * replicas / base_batch
        if not math.isclose(float(learning_rate), expected, rel_tol=1e-6):
            raise NotYet(
                f"learning rate for a global batch of {global_batch} (base {base_lr} at {base_batch}): expected {expected:g}, found {learning_rate!r}. Hint: the linear scaling rule multiplies by global_batch / base_batch"
            )
    return (
        "global batch = per-replica batch × replicas, learning rate scaled by global / base batch."
    )


@verdict
def float32_output_classifier(make_classifier):
    """Exercise 09.2: layers compute in the mixed policy, logits come out float32. Builds the
    classifier under ``mixed_float16`` and ``mixed_bfloat16``; the global policy must be left as it
    was, and each model must meet the specs ``SHAPES`` and ``dtypes(policy, compute)``. Example::

        checks.float32_output_classifier(float32_output_classifier)
    """
    import keras

    for policy, compute in POLICIES:
        before = keras.mixed_precision.global_policy().name
        try:
            model = core.model_from(make_classifier, policy, what="float32_output_classifier()")
            after = keras.mixed_precision.global_policy().name
        finally:
            keras.mixed_precision.set_global_policy(before)
        if after != before:
            raise NotYet(
                f"the global policy was {before!r} before and {after!r} after; restore it (try/finally) so later models are not built in mixed precision by accident"
            )
        core.expect(model, SHAPES)
        if not core.layers_of_type(model, "Conv2D"):
            raise NotYet("expected a Conv2D(8, 3, activation='relu') layer")
        core.expect(model, dtypes(policy, compute))
    return "mixed-precision layers, float32 logits, and the global policy left as it was."


def _strategy():
    import tensorflow as tf

    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    return tf.distribute.MirroredStrategy(gpus or devices)


def _reference_step(x, y):
    """The weights before and after one plain SGD(0.1) step on the whole batch, and its loss."""
    reference = core.tiny_model((4,), classes=3)
    start = reference.get_weights()
    loss, gradients = core.loss_and_gradients(reference, x, y)
    return start, [w - 0.1 * g for w, g in zip(start, gradients)], loss


def _distributed_step(make_distributed_train_step, strategy, x, y):
    """Run the learner's step once under ``strategy``; return the model and the loss."""
    import keras
    import tensorflow as tf

    with strategy.scope():
        model = core.tiny_model((4,), classes=3)
        optimizer = keras.optimizers.SGD(learning_rate=0.1)
        optimizer.build(model.trainable_variables)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(len(x)).repeat()
    batches = iter(strategy.experimental_distribute_dataset(dataset))
    arguments = (strategy, model, optimizer, len(x))
    what = "make_distributed_train_step()"
    step = core.run_learner_code(make_distributed_train_step, *arguments, what=what)
    if not callable(step):
        raise NotYet(f"{what} should return the step function, found {step!r}")
    return model, core.run_learner_code(step, batches, what="train_step(batches)")


def _distance(weights, start):
    return sum(float(np.abs(w - s).sum()) for w, s in zip(weights, start))


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@verdict
def distributed_train_step(make_distributed_train_step):
    """Exercise 09.3: one distributed step equals one step on one device. Runs the learner's step
    once under ``MirroredStrategy`` (over every logical CPU, or the GPUs) on a tiny model, and
    compares it with one plain step on the whole global batch (table ``DISTRIBUTED``): a loss
    averaged per replica instead of over the global batch moves the weights ``replicas`` times too
    far. Example::

        checks.distributed_train_step(make_distributed_train_step)
    """
    x, y = core.tiny_data(8, (4,), classes=3)
    start, expected, expected_loss = _reference_step(x, y)
    strategy = _strategy()
    model, loss = _distributed_step(make_distributed_train_step, strategy, x, y)
    moved, replicas = _distance(model.get_weights(), start), strategy.num_replicas_in_sync
    same = core.close(model.get_weights(), expected, atol=1e-5)
    facts = dict(moved=moved, ratio=moved / _distance(expected, start), replicas=replicas)
    core.diagnose(DISTRIBUTED, same=same, loss=_number(loss), expected_loss=expected_loss, **facts)
    return f"one step on {replicas} replica(s) equals one step on one device, loss included."
