"""Notebook 06's checkers reject each common mistake with a message that says what was expected.

The worked solutions and the lesson's stubs are run by tests/test_checks.py. The factories
below write an answer with one thing switched to a common mistake (by default, none).
"""

import re

import keras
import pytest
from keras import ops

from helpers import checks


def verdict_of(capsys, checker, answer):
    passed = checker(answer)
    return bool(passed), capsys.readouterr().out


def expect(capsys, checker, answer, message):
    passed, out = verdict_of(capsys, checker, answer)
    assert passed == (message is None), out
    if message:
        assert out.startswith("❌ Not yet:"), out
        assert re.search(message, out), out
    else:
        assert out.startswith("✅"), out


# ------------------------------------------------------------ exercise 1 ----


def stop_at(
    metric="val_accuracy",
    compare=lambda a, t: a >= t,
    offset=1,
    flag_on_model=True,
    strict_logs=False,
):
    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, target):
            super().__init__()
            self.target = target
            self.reached_epoch = None

        def on_epoch_end(self, epoch, logs=None):
            value = logs[metric] if strict_logs else (logs or {}).get(metric)
            if value is not None and compare(value, self.target):
                self.reached_epoch = epoch + offset
                if flag_on_model:
                    self.model.stop_training = True
                else:
                    self.stop_training = True

    return StopAtAccuracy


@pytest.mark.parametrize(
    "answer, message",
    [
        (stop_at(metric="accuracy"), r"compare logs\['val_accuracy'\].*not logs\['accuracy'\]"),
        (stop_at(compare=lambda a, t: a > t), r"use >="),
        (stop_at(offset=0), r"expected reached_epoch to be 3 .*found 2.*record epoch \+ 1"),
        (stop_at(flag_on_model=False), r"set self\.model\.stop_training = True"),
        (stop_at(strict_logs=True), r"no 'val_accuracy'.*raised KeyError.*logs\.get"),
        (lambda target: object(), r"expected a subclass of keras\.callbacks\.Callback"),
    ],
)
def test_stop_at_accuracy(capsys, answer, message):
    expect(capsys, checks.stop_at_accuracy, answer, message)


# ------------------------------------------------------------ exercise 2 ----


def bn_layers(model, nested=True):
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif nested and hasattr(layer, "layers"):
            found.extend(bn_layers(layer))
    return found


def reestimate(
    momentum=lambda k, m: k / (k + 1),
    batches=None,
    restore=True,
    nested=True,
    training=True,
    fit=False,
):
    def reestimate_batchnorm(model, dataset, num_batches=20):
        layers = bn_layers(model, nested)
        saved = [layer.momentum for layer in layers]
        for k, (images, _labels) in enumerate(dataset.take(batches or num_batches)):
            for layer, original in zip(layers, saved):
                layer.momentum = momentum(k, original)
            if fit:
                model.compile(optimizer="sgd", loss="mse")
                model.train_on_batch(images, keras.ops.zeros((images.shape[0], 2)))
            else:
                model(images, training=training)
        if restore:
            for layer, original in zip(layers, saved):
                layer.momentum = original
        else:
            for layer in layers:
                layer.momentum = 0.99

    return reestimate_batchnorm


@pytest.mark.parametrize(
    "answer, message",
    [
        (reestimate(training=False), r"moving statistics did not change.*training=True"),
        (reestimate(nested=False), r"nested model 'inner' was not re-estimated"),
        (reestimate(batches=6), r"used every batch.*only the first num_batches=4"),
        (reestimate(momentum=lambda k, m: 0.0), r"only the last batch counts"),
        (reestimate(momentum=lambda k, m: m), r"stale starting values still weigh in"),
        (reestimate(restore=False), r"each layer's momentum must be what it was"),
        (reestimate(fit=True), r"trainable weights .* changed"),
    ],
)
def test_reestimate_batchnorm(capsys, answer, message):
    expect(capsys, checks.reestimate_batchnorm, answer, message)


# ------------------------------------------------------------ exercise 3 ----


def one_cycle(start_div=25.0, clip=True, python_if=False, config=True, decay_to=0.0):
    class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak_lr, total_steps, warmup_fraction=0.3):
            self.peak_lr, self.total_steps = peak_lr, total_steps
            self.warmup_fraction = warmup_fraction

        def __call__(self, step):
            step = ops.cast(step, "float32")
            warmup = float(int(self.warmup_fraction * self.total_steps))
            start = self.peak_lr / start_div
            rising = start + (self.peak_lr - start) * step / warmup
            end = decay_to * self.peak_lr
            falling = end + (self.peak_lr - end) * (self.total_steps - step) / (
                self.total_steps - warmup
            )
            if python_if:
                return ops.maximum(rising if step < warmup else falling, 0.0)
            rate = ops.where(step < warmup, rising, falling)
            return ops.maximum(rate, 0.0) if clip else rate

        if config:

            def get_config(self):
                return {
                    "peak_lr": self.peak_lr,
                    "total_steps": self.total_steps,
                    "warmup_fraction": self.warmup_fraction,
                }

    return OneCycle


class HalfConfig(one_cycle()):
    def get_config(self):
        return {"peak_lr": self.peak_lr, "total_steps": 2 * self.total_steps}


@pytest.mark.parametrize(
    "answer, message",
    [
        (one_cycle(start_div=10.0), r"at step 0 expected 0\.008"),
        (one_cycle(decay_to=0.1), r"at step 65 expected 0\.1, found .*falls linearly"),
        (one_cycle(clip=False), r"after total_steps the rate must stay at 0"),
        (one_cycle(python_if=True), r"use keras\.ops .* instead of a Python `if`"),
        (one_cycle(config=False), r"get_config\(\) must return a dict"),
        (HalfConfig, r"rebuilt from get_config\(\).*gives another rate"),
        (lambda peak, total: lambda step: peak, r"expected a subclass of .*LearningRateSchedule"),
    ],
)
def test_one_cycle(capsys, answer, message):
    expect(capsys, checks.one_cycle, answer, message)
