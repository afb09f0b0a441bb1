"""helpers.checks.nb08: notebook 08's checkers accept the worked answers and
reject the common mistakes with a message that says what was expected."""
import re

import pytest
import tensorflow as tf

from helpers import checks
from helpers.models import ResNet


def expect(capsys, checker, answer, message):
    passed = bool(checker(answer))
    out = capsys.readouterr().out
    assert passed == (message is None), out
    if message:
        assert out.startswith("❌ Not yet:"), out
        assert re.search(message, out), out
    else:
        assert out.startswith("✅"), out


class TrainStepResNet(ResNet):
    """Notebook 08's way 2, which exercises 2 and 3 build on."""

    def _update_loss_metric(self, loss, images):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(images)[0])

    def _forward(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = self.compute_loss(x=images, y=labels, y_pred=logits, training=True)
        return images, labels, logits, loss, tape.gradient(loss, self.trainable_variables)

    def train_step(self, data):
        images, labels, logits, loss, gradients = self._forward(data)
        self.optimizer.apply(gradients, self.trainable_variables)
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits)


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


@pytest.mark.parametrize("answer, message", [
    (step(), None),
    (step(returns="none"), "returned None"),
    (step(training=False), "training=True"),
    (step(apply=False), "made 0 steps"),
])
def test_one_training_step(capsys, answer, message):
    expect(capsys, checks.one_training_step, answer, message)


# ------------------------------------------------------------ exercise 2 ----

class GradNormResNet(TrainStepResNet):
    def train_step(self, data):
        images, labels, logits, loss, gradients = self._forward(data)
        self.optimizer.apply(gradients, self.trainable_variables)
        self._update_loss_metric(loss, images)
        logs = self.compute_metrics(images, labels, logits)
        logs["grad_norm"] = tf.linalg.global_norm(gradients)
        return logs


class GradNormOnly(TrainStepResNet):
    def train_step(self, data):
        images, labels, logits, loss, gradients = self._forward(data)
        self.optimizer.apply(gradients, self.trainable_variables)
        return {"grad_norm": tf.linalg.global_norm(gradients)}


class GradNormAfterClipping(TrainStepResNet):
    def train_step(self, data):
        images, labels, logits, loss, gradients = self._forward(data)
        gradients, _ = tf.clip_by_global_norm(gradients, 1e-3)
        self.optimizer.apply(gradients, self.trainable_variables)
        self._update_loss_metric(loss, images)
        logs = self.compute_metrics(images, labels, logits)
        logs["grad_norm"] = tf.linalg.global_norm(gradients)
        return logs


@pytest.mark.parametrize("answer, message", [
    (GradNormResNet, None),
    (TrainStepResNet, "expected 'grad_norm'"),
    (GradNormOnly, "no longer updates them"),
    (GradNormAfterClipping, "grad_norm for one batch"),
])
def test_grad_norm_train_step(capsys, answer, message):
    expect(capsys, checks.grad_norm_train_step, answer, message)


# ------------------------------------------------------------ exercise 3 ----

class AccumulatingResNet(TrainStepResNet):
    def __init__(self, *args, accumulate=4, mean=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.accumulate, self.mean = accumulate, mean

    def build(self, input_shape):
        super().build(input_shape)
        self.gradient_sums = [self.add_weight(shape=v.shape, initializer="zeros", trainable=False,
                                              name=f"gradient_sum_{i}")
                              for i, v in enumerate(self.trainable_variables)]
        self.batches_seen = self.add_weight(shape=(), initializer="zeros", dtype="int32",
                                            trainable=False, name="batches_seen")

    def train_step(self, data):
        images, labels, logits, loss, gradients = self._forward(data)
        for total, gradient in zip(self.gradient_sums, gradients):
            total.assign_add(gradient)
        self.batches_seen.assign_add(1)

        def apply():
            scale = self.accumulate if self.mean else 1
            self.optimizer.apply([t / scale for t in self.gradient_sums], self.trainable_variables)
            for total in self.gradient_sums:
                total.assign(tf.zeros_like(total))
            return tf.constant(True)

        tf.cond(self.batches_seen % self.accumulate == 0, apply, lambda: tf.constant(False))
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits)


class Stub(TrainStepResNet):
    def __init__(self, *args, accumulate=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.accumulate = accumulate


@pytest.mark.parametrize("answer, message", [
    (AccumulatingResNet, None),
    (Stub, "expected no step yet"),
    (lambda *a, **k: AccumulatingResNet(*a, mean=False, **k), "mean of the 2"),
])
def test_accumulating_train_step(capsys, answer, message):
    expect(capsys, checks.accumulating_train_step, answer, message)
