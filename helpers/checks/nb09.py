"""Checkers for the exercises of notebook 09 (scaling out)."""
import math

import numpy as np

from helpers.checks.core import NotYet, call, expect_equal, expect_model, layers_of_type, quiet, verdict

__all__ = ["replica_scaling", "float32_output_classifier", "distributed_train_step"]


@verdict
def replica_scaling(scale_for_replicas):
    """Exercise 09.1: global batch = per replica x replicas; learning rate scaled linearly.

    Example::

        checks.replica_scaling(scale_for_replicas)
    """
    for per_replica, replicas, base_lr, base_batch in ((64, 2, 1e-3, 128), (64, 8, 1e-3, 128),
                                                       (32, 1, 0.1, 256), (128, 4, 0.05, 128)):
        found = call(scale_for_replicas, per_replica, replicas, base_learning_rate=base_lr,
                     base_batch=base_batch, what="scale_for_replicas()")
        if not isinstance(found, (tuple, list)) or len(found) != 2:
            raise NotYet(f"expected a pair (global_batch, learning_rate), found {found!r}")
        global_batch, learning_rate = found
        expect_equal(global_batch, per_replica * replicas,
                     f"the global batch for {per_replica} images on each of {replicas} replicas",
                     "every replica takes its share of one global batch")
        expected = base_lr * per_replica * replicas / base_batch
        if not math.isclose(float(learning_rate), expected, rel_tol=1e-6):
            raise NotYet(f"learning rate for a global batch of {global_batch} (base {base_lr} at "
                         f"{base_batch}): expected {expected:g}, found {learning_rate!r}. Hint: the "
                         "linear scaling rule multiplies by global_batch / base_batch")
    return "global batch = per-replica batch × replicas, learning rate scaled by global / base batch."


@verdict
def float32_output_classifier(make_classifier):
    """Exercise 09.2: layers compute in the mixed policy, logits come out float32.

    Example::

        checks.float32_output_classifier(float32_output_classifier)
    """
    import keras

    for policy, compute in (("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")):
        before = keras.mixed_precision.global_policy().name
        try:
            with quiet():
                model = expect_model(call(make_classifier, policy, what="float32_output_classifier()"),
                                     "float32_output_classifier()")
            after = keras.mixed_precision.global_policy().name
        finally:
            keras.mixed_precision.set_global_policy(before)
        if after != before:
            raise NotYet(f"the global policy was {before!r} before and {after!r} after; restore it "
                         "(try/finally) so later models are not built in mixed precision by accident")
        expect_equal(tuple(model.input_shape), (None, 28, 28, 1), "the input shape")
        expect_equal(tuple(model.output_shape), (None, 10), "the output shape")
        convs = layers_of_type(model, "Conv2D")
        if not convs:
            raise NotYet("expected a Conv2D(8, 3, activation='relu') layer")
        expect_equal(convs[0].compute_dtype, compute, f"the Conv2D's compute dtype under {policy!r}",
                     "set the policy before you create the layers")
        expect_equal(convs[0].kernel.dtype, "float32", "the Conv2D kernel's dtype (variables stay float32)")
        logits = model(np.zeros((2, 28, 28, 1), np.float32))
        expect_equal(keras.backend.standardize_dtype(logits.dtype), "float32",
                     f"the dtype of the logits under {policy!r}",
                     "end with a layer whose dtype is 'float32', e.g. Activation('linear', dtype='float32')")
    expect_equal(model.count_params(), 8 * 9 + 8 + 8 * 10 + 10, "the number of parameters")
    return "mixed-precision layers, float32 logits, and the global policy left as it was."


def _strategy():
    import tensorflow as tf
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    return tf.distribute.MirroredStrategy(gpus or devices)


@verdict
def distributed_train_step(make_distributed_train_step):
    """Exercise 09.3: one distributed step equals one step on one device.

    Runs the learner's step once under ``MirroredStrategy`` (over every logical
    CPU, or the GPUs) on a tiny model, and compares the weights with one plain
    step on the whole global batch: a loss averaged per replica instead of over
    the global batch moves the weights ``replicas`` times too far.

    Example::

        checks.distributed_train_step(make_distributed_train_step)
    """
    import keras
    import tensorflow as tf

    global_batch = 8
    rng = np.random.default_rng(0)
    x = rng.normal(size=(global_batch, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("int32")

    def tiny_model():
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])

    reference = tiny_model()
    start = [w.copy() for w in reference.get_weights()]
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        expected_loss = loss_fn(y, reference(x, training=True))
    grads = tape.gradient(expected_loss, reference.trainable_variables)
    keras.optimizers.SGD(learning_rate=0.1).apply(grads, reference.trainable_variables)
    expected = reference.get_weights()

    with quiet():
        strategy = _strategy()
        with strategy.scope():
            model = tiny_model()
            optimizer = keras.optimizers.SGD(learning_rate=0.1)
            optimizer.build(model.trainable_variables)
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch).repeat()
        batches = iter(strategy.experimental_distribute_dataset(dataset))
        step = call(make_distributed_train_step, strategy, model, optimizer, global_batch,
                    what="make_distributed_train_step()")
        if not callable(step):
            raise NotYet(f"make_distributed_train_step() should return the step function, found {step!r}")
        loss = call(step, batches, what="train_step(batches)")
    moved = sum(float(np.abs(w - s).sum()) for w, s in zip(model.get_weights(), start))
    wanted = sum(float(np.abs(w - s).sum()) for w, s in zip(expected, start))
    if moved == 0:
        raise NotYet("the weights did not change: apply the gradients with optimizer.apply")
    replicas = strategy.num_replicas_in_sync
    if not all(np.allclose(a, b, atol=1e-5) for a, b in zip(model.get_weights(), expected)):
        ratio = moved / wanted
        if replicas > 1 and abs(ratio - replicas) < 0.2:
            raise NotYet(f"the weights moved {replicas} times too far: each replica averaged its loss "
                         "over its own share; divide by the global batch instead "
                         "(tf.nn.compute_average_loss(per_example, global_batch_size=...))")
        raise NotYet(f"after one step the weights differ from one step on one device (they moved "
                     f"{ratio:.2f} times as far); compute per-example losses, average them over the "
                     "global batch, and apply the gradients once per replica")
    try:
        loss_value = float(loss)
    except (TypeError, ValueError):
        raise NotYet("train_step should return one number: reduce the replicas' losses with "
                     "strategy.reduce('SUM', per_replica_losses, axis=None)") from None
    if not math.isclose(loss_value, float(expected_loss), rel_tol=1e-4):
        raise NotYet(f"train_step returned a loss of {loss_value:.4f}; the loss of the global batch is "
                     f"{float(expected_loss):.4f}. Hint: SUM the replicas' losses, each divided by "
                     "the global batch")
    return f"one step on {replicas} replica(s) equals one step on one device, loss included."
