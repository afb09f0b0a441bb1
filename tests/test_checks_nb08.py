"""Notebook 08's checkers reject each common mistake with a message that says what was expected.

The worked solutions and the lesson's stubs are run by tests/test_checks.py. The mistaken
classes are the solutions' (``TrainStepResNet``, ``AccumulatingResNet``) with their
``train_step`` replaced (``solutions.mistake``); ``step`` writes a training step with one
thing switched to a mistake.
"""

import re

import pytest
import tensorflow as tf
from solutions import mistake

from helpers import checks


def expect(capsys, checker, answer, message):
    passed = bool(checker(answer))
    out = capsys.readouterr().out
    assert passed == (message is None), out
    if message:
        assert out.startswith("❌ Not yet:"), out
        assert re.search(message, out), out
    else:
        assert out.startswith("✅"), out


class Forward:
    """The first half of notebook 08's train_step: the forward pass and the gradients."""

    def forward(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = self.compute_loss(x=images, y=labels, y_pred=logits, training=True)
        return images, labels, logits, loss, tape.gradient(loss, self.trainable_variables)


# ------------------------------------------------------------ exercise 1 ----


def step(training=True, apply=True, returns="loss"):
    def one_training_step(model, optimizer, loss_fn, images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True) if training else model(images)
            loss = loss_fn(labels, logits)
        gradients = tape.gradient(loss, model.trainable_variables)
        if apply:
            optimizer.apply(gradients, model.trainable_variables)
        return {"loss": loss, "none": None}[returns]

    return one_training_step


@pytest.mark.parametrize(
    "answer, message",
    [
        (step(returns="none"), "returned None"),
        (step(training=False), "training=True"),
        (step(apply=False), "made 0 steps"),
    ],
)
def test_one_training_step(capsys, answer, message):
    expect(capsys, checks.one_training_step, answer, message)


# ------------------------------------------------------------ exercise 2 ----


class GradNormOnly(Forward):
    def train_step(self, data):
        images, labels, logits, loss, gradients = self.forward(data)
        self.optimizer.apply(gradients, self.trainable_variables)
        return {"grad_norm": tf.linalg.global_norm(gradients)}


class GradNormAfterClipping(Forward):
    def train_step(self, data):
        images, labels, logits, loss, gradients = self.forward(data)
        gradients, _ = tf.clip_by_global_norm(gradients, 1e-3)
        self.optimizer.apply(gradients, self.trainable_variables)
        self._update_loss_metric(loss, images)
        logs = self.compute_metrics(images, labels, logits)
        logs["grad_norm"] = tf.linalg.global_norm(gradients)
        return logs


@pytest.mark.parametrize(
    "make, message",
    [
        (mistake("08", "TrainStepResNet", GradNormOnly), "no longer updates them"),
        (mistake("08", "TrainStepResNet", GradNormAfterClipping), "grad_norm for one batch"),
    ],
)
def test_grad_norm_train_step(solutions, capsys, make, message):
    expect(capsys, checks.grad_norm_train_step, make(solutions), message)


# ------------------------------------------------------------ exercise 3 ----


class SumNotMean(Forward):
    """Applies the sum of the gradients of `accumulate` batches, not their mean."""

    def train_step(self, data):
        images, labels, logits, loss, gradients = self.forward(data)
        for total, gradient in zip(self.gradient_sums, gradients):
            total.assign_add(gradient)
        self.batches_seen.assign_add(1)

        def apply_sum():
            self.optimizer.apply(list(self.gradient_sums), self.trainable_variables)
            for total in self.gradient_sums:
                total.assign(tf.zeros_like(total))
            return tf.constant(True)

        tf.cond(self.batches_seen % self.accumulate == 0, apply_sum, lambda: tf.constant(False))
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits)


def test_accumulating_train_step_wants_the_mean(solutions, capsys):
    answer = mistake("08", "AccumulatingResNet", SumNotMean)(solutions)
    expect(capsys, checks.accumulating_train_step, answer, "mean of the 2")
