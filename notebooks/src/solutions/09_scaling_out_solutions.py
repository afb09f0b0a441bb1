# %% [markdown]
# # 09 · Scaling out — solutions
#
# Worked answers to the exercises of [09 · Scaling out](../09_scaling_out.ipynb), each followed
# by the checker the notebook uses. As in the lesson, two logical CPUs stand in for two GPUs,
# and they must be configured before TensorFlow runs its first operation.

# %%
import helpers

cfg = helpers.setup()

# %%
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
print("logical CPUs:", len(tf.config.list_logical_devices("CPU")))

# %%
import keras

from helpers import checks

# %% [markdown]
# ## Exercise 1: batch size and learning rate for N replicas
#
# Each replica takes `per_replica_batch` images, so one step sees `per_replica_batch ×
# replicas`: that is the batch you pass to `fit`. The linear scaling rule (for SGD) multiplies
# the learning rate by the same factor as the batch. With 8 GPUs and 64 images each, only
# `GLOBAL_BATCH` (512) and the learning rate change: 4 × the base by this rule, though for the
# lesson's Adam a square-root rule (2 ×) or none is the more common choice. The model and
# `compile` code stay as they are, inside `strategy.scope()`.

# %% tags=["solution"]
def scale_for_replicas(per_replica_batch, replicas, base_learning_rate=1e-3, base_batch=128):
    global_batch = per_replica_batch * replicas
    return global_batch, base_learning_rate * global_batch / base_batch


# %%
checks.replica_scaling(scale_for_replicas)

# %% [markdown]
# ## Exercise 2: float32 logits under a mixed policy
#
# Set the policy before creating the layers (a layer takes the global policy when it is
# created), end with a float32 layer, and put the old policy back in a `finally` block so an
# error cannot leave the whole session in mixed precision.

# %% tags=["solution"]
def float32_output_classifier(policy_name):
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy_name)
    try:
        inputs = keras.Input((28, 28, 1))
        x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
        x = keras.layers.GlobalAveragePooling2D()(x)
        x = keras.layers.Dense(10)(x)
        logits = keras.layers.Activation("linear", dtype="float32")(x)
        return keras.Model(inputs, logits)
    finally:
        keras.mixed_precision.set_global_policy(before)


# %%
checks.float32_output_classifier(float32_output_classifier)

# %% [markdown]
# ## Exercise 3: a distributed training step for any strategy
#
# Each replica divides its summed loss by the *global* batch (`tf.nn.compute_average_loss`);
# the optimizer adds the replicas' gradients, so the update equals one step on the whole
# batch. With a plain `tf.reduce_mean`, each replica averages over its own half, and the sum
# of two such gradients is twice too large: the checker catches exactly that. As in notebook
# 08, the gradients are taken of `optimizer.scale_loss(loss)`, so the step stays right under
# a `LossScaleOptimizer`.

# %% tags=["solution"]
def make_distributed_train_step(strategy, model, optimizer, global_batch):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    @tf.function
    def train_step(batches):
        def replica_step(images, labels):
            with tf.GradientTape() as tape:
                per_example = loss_fn(labels, model(images, training=True))
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
                scaled_loss = optimizer.scale_loss(loss)
            gradients = tape.gradient(scaled_loss, model.trainable_variables)
            optimizer.apply(gradients, model.trainable_variables)
            return loss

        per_replica_losses = strategy.run(replica_step, args=next(batches))
        return strategy.reduce("SUM", per_replica_losses, axis=None)

    return train_step


# %%
checks.distributed_train_step(make_distributed_train_step)
