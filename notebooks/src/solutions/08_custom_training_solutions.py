# %% [markdown]
# # 08 · Custom training — solutions
#
# Worked answers to the exercises of [08 · Custom training](../08_custom_training.ipynb), each
# followed by the checker the notebook uses. Try the exercises first!

# %%
import helpers

cfg = helpers.setup()

# %%
import keras
import tensorflow as tf

from helpers import checks
from helpers.models import ResNet

# %% [markdown]
# Exercises 2 and 3 build on the notebook's way 2, `TrainStepResNet`:

# %%
class TrainStepResNet(ResNet):
    """The article's ResNet with the training and evaluation steps written out."""

    def _update_loss_metric(self, loss, images):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=tf.shape(images)[0])

    def train_step(self, data):
        images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = self.compute_loss(x=images, y=labels, y_pred=logits,
                                     sample_weight=sample_weight, training=True)
            scaled_loss = self.optimizer.scale_loss(loss)  # unchanged unless loss scaling is on
        gradients = tape.gradient(scaled_loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits, sample_weight=sample_weight)

    def test_step(self, data):
        images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        logits = self(images, training=False)
        loss = self.compute_loss(x=images, y=labels, y_pred=logits,
                                 sample_weight=sample_weight, training=False)
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits, sample_weight=sample_weight)


# %% [markdown]
# ## Exercise 1: one training step by hand
#
# The step of the notebook's `make_train_step`, as a function of everything it needs.
# `training=True` makes BatchNormalization normalise with the batch and update its moving
# statistics; the loss is computed inside the tape, before `optimizer.apply` changes the
# weights, and returned unscaled; the gradients are those of the scaled loss, which a
# `LossScaleOptimizer` divides back in `apply` (for any other optimizer the scale is 1).
# A copy without `training=True` leaves `final_bn.moving_mean` at zero: in inference mode
# BatchNormalization only reads its statistics (the notebook's trap section shows it).

# %% tags=["solution"]
def one_training_step(model, optimizer, loss_fn, images, labels):
    """One optimisation step on (images, labels); return the batch's loss before the update."""
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        loss = loss_fn(labels, logits)
        scaled_loss = optimizer.scale_loss(loss)
    gradients = tape.gradient(scaled_loss, model.trainable_variables)
    optimizer.apply(gradients, model.trainable_variables)
    return loss


# %%
checks.one_training_step(one_training_step)

# %% [markdown]
# ## Exercise 2: report the gradient norm from `train_step`
#
# `compute_metrics` returns a plain dict; whatever we add to it reaches the log, the callbacks
# and `History`. With `validation_data`, `fit` calls `test_step`, which computes `val_loss`
# and `val_accuracy` — and no gradients, so there is no `val_grad_norm`. The gradients are
# those of the scaled loss; `self.optimizer.scale_loss(1.0)` is the scale (1 without loss
# scaling), so dividing by it reports the true norm under mixed precision too.

# %% tags=["solution"]
class GradNormResNet(TrainStepResNet):
    """TrainStepResNet whose train_step also reports the gradients' global norm as grad_norm."""

    def train_step(self, data):
        images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = self.compute_loss(x=images, y=labels, y_pred=logits,
                                     sample_weight=sample_weight, training=True)
            scaled_loss = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        self._update_loss_metric(loss, images)
        logs = self.compute_metrics(images, labels, logits, sample_weight=sample_weight)
        logs["grad_norm"] = tf.linalg.global_norm(gradients) / self.optimizer.scale_loss(1.0)
        return logs


# %%
checks.grad_norm_train_step(GradNormResNet)

# %% [markdown]
# ## Exercise 3: gradient accumulation
#
# The running sums are non-trainable variables of the model, created in `build` next to the
# ResNet's own weights. In the graph, `tf.cond` decides per batch whether to apply the mean
# and reset the sums. The sums hold gradients of the scaled loss, which a
# `LossScaleOptimizer` divides back when they are applied. (Keras optimizers can also
# accumulate for you: `keras.optimizers.Adam(gradient_accumulation_steps=4)`.)

# %% tags=["solution"]
class AccumulatingResNet(TrainStepResNet):
    """Applies the mean gradient of every `accumulate` batches: one optimizer step per group."""

    def __init__(self, *args, accumulate=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.accumulate = accumulate

    def build(self, input_shape):
        super().build(input_shape)
        self.gradient_sums = [
            self.add_weight(shape=variable.shape, initializer="zeros", trainable=False,
                            name=f"gradient_sum_{i}")
            for i, variable in enumerate(self.trainable_variables)]
        self.batches_seen = self.add_weight(shape=(), initializer="zeros", dtype="int32",
                                            trainable=False, name="batches_seen")

    def train_step(self, data):
        images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = self.compute_loss(x=images, y=labels, y_pred=logits,
                                     sample_weight=sample_weight, training=True)
            scaled_loss = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, self.trainable_variables)
        for total, gradient in zip(self.gradient_sums, gradients):
            total.assign_add(gradient)
        self.batches_seen.assign_add(1)

        def apply_mean():
            self.optimizer.apply([total / self.accumulate for total in self.gradient_sums],
                                 self.trainable_variables)
            for total in self.gradient_sums:
                total.assign(tf.zeros_like(total))
            return tf.constant(True)

        tf.cond(self.batches_seen % self.accumulate == 0, apply_mean, lambda: tf.constant(False))
        self._update_loss_metric(loss, images)
        return self.compute_metrics(images, labels, logits, sample_weight=sample_weight)


# %%
checks.accumulating_train_step(AccumulatingResNet)

# %% [markdown]
# Back to [08 · Custom training](../08_custom_training.ipynb).
