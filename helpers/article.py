"""The source article's ResNet code, verbatim: ``conv3x3``, ``ResnetBlock``, ``ResNet``.

This is the code the series is built around, exactly as the article wrote it
for TensorFlow 2.0 (``tf.nn.relu``, ``tf.random_normal_initializer()``, a
``tf.keras`` layer among ``keras`` ones, no ``build``, no ``get_config``),
laid out as notebooks 04 and 05 show it. It is kept unchanged, bugs and
all, as the yardstick for everything else: ``tests/test_models.py`` proves
``helpers.models`` is the same network (same weights in the same order, same
outputs), ``bench/throughput.py`` times it as the "article" configuration,
and solution notebooks that build on the article's classes import them from
here instead of copying them. The lessons (04, 05) still write the code out
in full in front of the learner, where they teach it.

Use ``helpers.models`` for real work. This module imports TensorFlow (the
article's code calls it directly), so run ``helpers.setup()`` first for a
quiet start-up; importing ``helpers`` or ``helpers.models`` does not import
this module.

Example::

    import helpers
    cfg = helpers.setup()
    import numpy as np
    from helpers.article import ResNet

    model = ResNet([2, 2, 2], 10)
    model.build(input_shape=(None, 28, 28, 1))   # warns ...
    len(model.weights)                           # ... 0: under Keras 3 it made no weights
    model(np.zeros((1, 28, 28, 1), "float32"))   # the first call makes them
    model.count_params()                         # 175898
"""

import tensorflow as tf
from tensorflow import keras

__all__ = ["conv3x3", "ResnetBlock", "ResNet"]

# The article's layout is kept too (the formatter would rewrap it).
# fmt: off


def conv3x3(channels, stride=1, kernel=(3, 3)):
    return keras.layers.Conv2D(channels, kernel, strides=stride, padding='same',
                               use_bias=False,
                               kernel_initializer=tf.random_normal_initializer())


class ResnetBlock(keras.Model):

    def __init__(self, channels, strides=1, residual_path=False):
        super().__init__()

        self.channels = channels
        self.strides = strides
        self.residual_path = residual_path

        self.conv1 = conv3x3(channels, strides)
        self.bn1 = keras.layers.BatchNormalization()
        self.conv2 = conv3x3(channels)
        self.bn2 = keras.layers.BatchNormalization()

        if residual_path:
            self.down_conv = conv3x3(channels, strides, kernel=(1, 1))
            self.down_bn = tf.keras.layers.BatchNormalization()

    def call(self, inputs, training=None):
        residual = inputs

        x = self.bn1(inputs, training=training)
        x = tf.nn.relu(x)
        x = self.conv1(x)
        x = self.bn2(x, training=training)
        x = tf.nn.relu(x)
        x = self.conv2(x)

        if self.residual_path:
            residual = self.down_bn(inputs, training=training)
            residual = tf.nn.relu(residual)
            residual = self.down_conv(residual)

        x = x + residual
        return x


class ResNet(keras.Model):

    def __init__(self, block_list, num_classes, initial_filters=16, **kwargs):
        super().__init__(**kwargs)

        self.num_blocks = len(block_list)
        self.block_list = block_list

        self.in_channels = initial_filters
        self.out_channels = initial_filters
        self.conv_initial = conv3x3(self.out_channels)

        self.blocks = keras.models.Sequential(name='dynamic-blocks')

        for block_id in range(len(block_list)):
            for layer_id in range(block_list[block_id]):

                if block_id != 0 and layer_id == 0:
                    block = ResnetBlock(self.out_channels,
                                        strides=2, residual_path=True)
                else:
                    if self.in_channels != self.out_channels:
                        residual_path = True
                    else:
                        residual_path = False
                    block = ResnetBlock(self.out_channels,
                                        residual_path=residual_path)

                self.in_channels = self.out_channels

                self.blocks.add(block)

            self.out_channels *= 2

        self.final_bn = keras.layers.BatchNormalization()
        self.avg_pool = keras.layers.GlobalAveragePooling2D()
        self.fc = keras.layers.Dense(num_classes)

    def call(self, inputs, training=None):
        out = self.conv_initial(inputs)
        out = self.blocks(out, training=training)
        out = self.final_bn(out, training=training)
        out = tf.nn.relu(out)
        out = self.avg_pool(out)
        out = self.fc(out)
        return out
