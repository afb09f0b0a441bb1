"""Notebook 09's checkers reject the common mistakes; the distributed step runs on two replicas.

The worked solutions and the lesson's stubs are run by tests/test_checks.py, except the
distributed step's solution, whose committed verdict names two replicas: the last test runs
it, and its mistake, on two logical CPUs in a fresh process.
"""

import os
import subprocess
import sys
import textwrap

import keras
import pytest
import tensorflow as tf
from solutions import committed_outputs

from helpers import checks


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            lambda p, r, base_learning_rate=1e-3, base_batch=128: (p, base_learning_rate),
            "expected 128, found 64",
        ),
        (
            lambda p, r, base_learning_rate=1e-3, base_batch=128: (p * r, base_learning_rate),
            "linear scaling rule",
        ),
        (lambda p, r, base_learning_rate=1e-3, base_batch=128: p * r, "expected a pair"),
    ],
)
def test_replica_scaling(capsys, answer, message):
    passed = checks.replica_scaling(answer)
    out = capsys.readouterr().out
    assert bool(passed) == (message is None), out
    if message:
        assert message in out


def classifier(policy_name, float32_logits=True, restore=True):
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy_name)
    try:
        inputs = keras.Input((28, 28, 1))
        x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
        x = keras.layers.GlobalAveragePooling2D()(x)
        x = keras.layers.Dense(10)(x)
        if float32_logits:
            x = keras.layers.Activation("linear", dtype="float32")(x)
        return keras.Model(inputs, x)
    finally:
        if restore:
            keras.mixed_precision.set_global_policy(before)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda p: classifier(p, float32_logits=False), "the dtype of the logits"),
        (lambda p: classifier(p, restore=False), "restore it"),
        (lambda p: classifier("float32"), "compute dtype under 'mixed_float16': expected float16"),
    ],
)
def test_float32_output_classifier(capsys, answer, message):
    passed = checks.float32_output_classifier(answer)
    out = capsys.readouterr().out
    assert keras.mixed_precision.global_policy().name == "float32"
    assert bool(passed) == (message is None), out
    if message:
        assert message in out


def make_step(strategy, model, optimizer, global_batch, per_replica_mean=False, apply=True):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    @tf.function
    def train_step(batches):
        def replica_step(images, labels):
            with tf.GradientTape() as tape:
                per_example = loss_fn(labels, model(images, training=True))
                loss = (
                    tf.reduce_mean(per_example)
                    if per_replica_mean
                    else tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
                )
            gradients = tape.gradient(loss, model.trainable_variables)
            if apply:
                optimizer.apply(gradients, model.trainable_variables)
            return loss

        return strategy.reduce("SUM", strategy.run(replica_step, args=next(batches)), axis=None)

    return train_step


def test_distributed_train_step_on_one_replica(solutions, capsys):
    assert checks.distributed_train_step(solutions("09").make_distributed_train_step)
    assert not checks.distributed_train_step(lambda *a: make_step(*a, apply=False))
    assert not checks.distributed_train_step(lambda *a: None)
    out = capsys.readouterr().out
    assert "did not change" in out and "should return the step function" in out


def test_distributed_train_step_on_two_replicas():
    """Needs two logical CPUs, which must be set before TensorFlow starts: a fresh process."""
    code = textwrap.dedent("""
        import sys
        import helpers
        helpers.setup(verbose=False)
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        sys.path.insert(0, "tests")
        from solutions import load
        from test_checks_nb09 import make_step
        from helpers import checks
        assert checks.distributed_train_step(load("09").make_distributed_train_step)
        assert not checks.distributed_train_step(lambda *a: make_step(*a, per_replica_mean=True))
    """)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    solution, mistake = result.stdout.splitlines()[-2:]
    committed = committed_outputs("09")[
        "checks.distributed_train_step(make_distributed_train_step)"
    ]
    assert solution + "\n" == committed
    assert "moved 2 times too far" in mistake
