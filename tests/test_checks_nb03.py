"""Notebook 03's checkers accept the worked solutions and reject each common mistake.

The answers below mirror notebooks/src/solutions/03_subclassing_solutions.py; each
mistake is a small subclass of an answer that changes one thing.
"""
import os

import keras
import pytest

from helpers import checks


def verdict_of(checker, answer, capsys):
    passed = checker(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    return bool(passed), out


# --- Exercise 1: Dropout in the subclassed MLP ----------------------------------------------

class DropoutMLP(keras.Model):
    rate = 0.2  # a knob for the mistakes below (reassigning a layer attribute keeps both tracked)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(128, activation="relu")
        self.dropout = keras.layers.Dropout(self.rate)
        self.classifier = keras.layers.Dense(10, activation="softmax")

    def call(self, inputs, training=None):
        x = self.hidden(self.flatten(inputs))
        x = self.dropout(x, training=training)
        return self.classifier(x)


class NoTrainingArgument(DropoutMLP):
    def call(self, inputs):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs))))


class NotPassedOn(DropoutMLP):
    def call(self, inputs, training=None):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs))))


class HardCodedFalse(DropoutMLP):
    def call(self, inputs, training=None):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs)), training=False))


class HardCodedTrue(DropoutMLP):
    def call(self, inputs, training=None):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs)), training=True))


class DropoutOnImage(DropoutMLP):
    def call(self, inputs, training=None):
        return self.classifier(self.hidden(self.dropout(self.flatten(inputs), training=training)))


class DropoutOnProbabilities(DropoutMLP):
    def call(self, inputs, training=None):
        return self.dropout(self.classifier(self.hidden(self.flatten(inputs))), training=training)


class DropoutNeverCalled(DropoutMLP):
    def call(self, inputs, training=None):
        return self.classifier(self.hidden(self.flatten(inputs)))


class WrongRate(DropoutMLP):
    rate = 0.5


class NoDropout(keras.Model):  # the notebook's MLP, unchanged
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(128, activation="relu")
        self.classifier = keras.layers.Dense(10, activation="softmax")

    def call(self, inputs):
        return self.classifier(self.hidden(self.flatten(inputs)))


class Stub1(keras.Model):  # the lesson's stub
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        return None


@pytest.mark.parametrize("answer, message", [
    (DropoutMLP, None),
    (Stub1, r"units, in order: expected [128, 10], found []"),
    (NoDropout, "expected one keras.layers.Dropout attribute, found 0"),
    (WrongRate, "the dropout rate: expected 0.2, found 0.5"),
    (NoTrainingArgument, "`call` has no `training` argument"),
    (NotPassedOn, "does not pass it to the Dropout"),
    (HardCodedFalse, "two calls model(x, training=True) gave the same output"),
    (DropoutNeverCalled, "two calls model(x, training=True) gave the same output"),
    (HardCodedTrue, "two calls model(x) gave different outputs"),
    (DropoutOnImage, "applied to 784 features (on the flattened image, before `hidden`)"),
    (DropoutOnProbabilities, "applied to 10 features (on the classifier's probabilities"),
    (lambda: DropoutMLP(), "expected DropoutMLP to be a class"),
    (keras.layers.Dense, "expected DropoutMLP to subclass keras.Model"),
])
def test_subclassed_dropout_mlp(capsys, answer, message):
    passed, out = verdict_of(checks.subclassed_dropout_mlp, answer, capsys)
    assert passed == (message is None), out
    assert out.startswith("✅" if message is None else "❌ Not yet: "), out
    if message:
        assert message in out, out


# --- Exercise 2: SimpleDense with use_bias --------------------------------------------------

class OptionalBiasDense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        x = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            x = x + self.bias
        return self.activation(x)


class WithConfig(OptionalBiasDense):
    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "activation": keras.activations.serialize(self.activation),
                       "use_bias": self.use_bias})
        return config


class ConfigWithoutUseBias(OptionalBiasDense):
    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "activation": keras.activations.serialize(self.activation)})
        return config


class BiasInInit(OptionalBiasDense):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(units, activation, use_bias, **kwargs)
        if use_bias:
            self.bias = self.add_weight(shape=(units,), initializer="zeros", name="bias")

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")


class BiasAlwaysCreated(OptionalBiasDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")


class BiasNeverAdded(OptionalBiasDense):
    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel))


class KernelSizeHardCoded(OptionalBiasDense):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(units, activation, use_bias, **kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(3, self.units), name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        x = keras.ops.matmul(inputs[:, :3], self.kernel)
        return self.activation(x + self.bias if self.use_bias else x)


class ActivationIgnored(OptionalBiasDense):
    def call(self, inputs):
        x = keras.ops.matmul(inputs, self.kernel)
        return x + self.bias if self.use_bias else x


class NoUseBiasArgument(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)


class Stub2(keras.layers.Layer):  # the lesson's stub
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        pass

    def call(self, inputs):
        return None


@pytest.mark.parametrize("answer, message", [
    (OptionalBiasDense, None),   # Keras 3 records plain constructor arguments by itself
    (WithConfig, None),
    (Stub2, "on a (2, 3) batch returned None"),
    (ConfigWithoutUseBias, "get_config() returned ['activation', 'dtype', 'name', 'trainable', 'units'], "
                           "without 'use_bias'"),
    (BiasInInit, "use_bias=True) already has weights (bias) before it is built"),
    (BiasAlwaysCreated, "expected 12 parameters, one (3, 4) kernel and no bias; found 16"),
    (BiasNeverAdded, "relu(inputs @ kernel + bias); its output differs"),
    (KernelSizeHardCoded, "on 5 features: expected 20, found 12"),
    (ActivationIgnored, "should compute relu(inputs @ kernel); its output differs"),
    (NoUseBiasArgument, "use_bias=False) raised ValueError: Unrecognized keyword arguments passed "
                        "to NoUseBiasArgument: {'use_bias': False}"),
    (keras.Model, "raised TypeError"),
    (DropoutMLP, "raised TypeError"),
])
def test_simple_dense_use_bias(capsys, answer, message):
    passed, out = verdict_of(checks.simple_dense_use_bias, answer, capsys)
    assert passed == (message is None), out
    if message:
        assert message in out, out


# --- Exercise 3: DeepMLP with build and get_config ------------------------------------------

@keras.saving.register_keras_serializable(package="tests_nb03")
class DeepMLP(keras.Model):
    output_activation = "softmax"  # a knob for a mistake below

    def __init__(self, hidden_units=(256, 128), **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = tuple(hidden_units)
        self.flatten = keras.layers.Flatten()
        self.hidden = [keras.layers.Dense(units, activation="relu") for units in self.hidden_units]
        self.classifier = keras.layers.Dense(10, activation=self.output_activation)

    def build(self, input_shape):
        shape = input_shape
        for layer in [self.flatten, *self.hidden, self.classifier]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs):
        x = self.flatten(inputs)
        for layer in self.hidden:
            x = layer(x)
        return self.classifier(x)

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_units": list(self.hidden_units)})
        return config


class UnregisteredDeepMLP(DeepMLP):  # load_model finds it through custom_objects
    pass


class NoBuild(DeepMLP):
    build = keras.Model.build


class NoGetConfig(DeepMLP):
    get_config = keras.Model.get_config


class RequiredUnitsNoGetConfig(NoGetConfig):
    def __init__(self, hidden_units, **kwargs):
        super().__init__(hidden_units, **kwargs)


class RequiredUnits(DeepMLP):
    def __init__(self, hidden_units, **kwargs):
        super().__init__(hidden_units, **kwargs)


class HardCodedLayers(DeepMLP):
    def __init__(self, hidden_units=(256, 128), **kwargs):
        super().__init__((256, 128), **kwargs)
        self.hidden_units = hidden_units


class BuildSkipsClassifier(DeepMLP):
    def build(self, input_shape):
        shape = input_shape
        for layer in [self.flatten, *self.hidden]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)


class NoSoftmax(DeepMLP):
    output_activation = None


class Stub3(keras.Model):  # the lesson's stub
    def __init__(self, hidden_units=(256, 128), **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        pass

    def call(self, inputs):
        return None


@pytest.mark.parametrize("answer, message", [
    (DeepMLP, None),
    (UnregisteredDeepMLP, None),
    (Stub3, "the Dense layers' units of DeepMLP(hidden_units=(8, 6)) (sorted): "
            "expected [6, 8, 10], found []"),
    (NoBuild, "has 0 parameters, expected 6,404: Keras's default build builds nothing"),
    (BuildSkipsClassifier, "after build((None, 28, 28)): expected 6404, found 6334"),
    (HardCodedLayers, "of DeepMLP(hidden_units=(8, 6)) (sorted): expected [6, 8, 10], found [10, 128, 256]"),
    (NoGetConfig, "(sorted): expected [6, 8, 10], found [10, 128, 256]. Hint: without your own get_config"),
    (RequiredUnitsNoGetConfig, "get_config() raised NotImplementedError"),
    (RequiredUnits, "DeepMLP() raised TypeError: RequiredUnits.__init__() missing 1 required positional"),
    (NoSoftmax, "probabilities summing to 1"),
])
def test_serializable_deep_mlp(capsys, answer, message):
    passed, out = verdict_of(checks.serializable_deep_mlp, answer, capsys)
    assert passed == (message is None), out
    if message:
        assert message in out, out
    assert "/tmp" not in out and "deep_mlp.keras" not in out


def test_serializable_deep_mlp_hides_the_temporary_folder(capsys):
    class SaveFails(UnregisteredDeepMLP):
        def save(self, filepath, *args, **kwargs):
            raise OSError(f"cannot write {filepath}")

    passed, out = verdict_of(checks.serializable_deep_mlp, SaveFails, capsys)
    assert not passed and "the .keras round trip (save, then load_model) raised OSError" in out
    assert "/tmp" not in out and os.sep + "deep_mlp" not in out, out


# --- Exercise 4: ResnetBlock as a Layer -----------------------------------------------------

def conv3x3(channels, stride=1, kernel=(3, 3)):
    return keras.layers.Conv2D(channels, kernel, strides=stride, padding="same", use_bias=False)


class ResnetBlock(keras.layers.Layer):
    # knobs for the mistakes below (reassigning a layer attribute keeps both layers tracked)
    conv1_bias, conv2_gets_strides, shortcut_strides, ignore_strides = False, False, None, False

    def __init__(self, channels, strides=1, residual_path=False, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.strides, self.residual_path = channels, strides, residual_path
        if self.ignore_strides:
            strides = 1
        self.conv1 = keras.layers.Conv2D(channels, 3, strides=strides, padding="same",
                                         use_bias=self.conv1_bias)
        self.bn1 = keras.layers.BatchNormalization()
        self.conv2 = conv3x3(channels, strides if self.conv2_gets_strides else 1)
        self.bn2 = keras.layers.BatchNormalization()
        if residual_path:
            self.down_conv = conv3x3(channels, self.shortcut_strides or strides, kernel=(1, 1))
            self.down_bn = keras.layers.BatchNormalization()

    def build(self, input_shape):
        self.bn1.build(input_shape)
        self.conv1.build(input_shape)
        inner = self.conv1.compute_output_shape(input_shape)
        self.bn2.build(inner)
        self.conv2.build(inner)
        if self.residual_path:
            self.down_bn.build(input_shape)
            self.down_conv.build(input_shape)

    def call(self, inputs, training=None):
        x = self.conv1(keras.ops.relu(self.bn1(inputs, training=training)))
        x = self.conv2(keras.ops.relu(self.bn2(x, training=training)))
        residual = inputs
        if self.residual_path:
            residual = self.down_conv(keras.ops.relu(self.down_bn(inputs, training=training)))
        return x + residual


class BlockAsModel(keras.Model):
    pass


class NoBlockBuild(ResnetBlock):
    build = keras.layers.Layer.build


class BuildsConv2OnInput(ResnetBlock):
    def build(self, input_shape):
        for layer in (self.bn1, self.conv1, self.bn2, self.conv2):
            layer.build(input_shape)
        if self.residual_path:
            self.down_bn.build(input_shape)
            self.down_conv.build(input_shape)


class ConvWithBias(ResnetBlock):
    conv1_bias = True


class NoResidualAdd(ResnetBlock):
    def call(self, inputs, training=None):
        x = self.conv1(keras.ops.relu(self.bn1(inputs, training=training)))
        return self.conv2(keras.ops.relu(self.bn2(x, training=training)))


class ReluAfterAdd(ResnetBlock):
    def call(self, inputs, training=None):
        return keras.ops.relu(super().call(inputs, training=training))


class NoProjection(ResnetBlock):
    def __init__(self, channels, strides=1, residual_path=False, **kwargs):
        super().__init__(channels, strides, False, **kwargs)
        self.residual_path = residual_path

    def build(self, input_shape):
        residual_path, self.residual_path = self.residual_path, False
        super().build(input_shape)
        self.residual_path = residual_path

    def call(self, inputs, training=None):
        x = self.conv1(keras.ops.relu(self.bn1(inputs, training=training)))
        x = self.conv2(keras.ops.relu(self.bn2(x, training=training)))
        return x + inputs


class StrideOnConv2Too(ResnetBlock):
    conv2_gets_strides = True


class StridesIgnored(ResnetBlock):
    ignore_strides = True


class StrideNotOnShortcut(ResnetBlock):
    shortcut_strides = 1


class PostActivation(ResnetBlock):  # conv → BN → ReLU instead of BN → ReLU → conv
    def call(self, inputs, training=None):
        x = keras.ops.relu(self.bn2(self.conv1(inputs), training=training))
        x = self.conv2(x)
        residual = inputs
        if self.residual_path:
            residual = self.down_conv(keras.ops.relu(self.down_bn(inputs, training=training)))
        return x + residual


class BNHardCodedFalse(ResnetBlock):
    def call(self, inputs, training=None):
        return super().call(inputs, training=False)


class NoTrainingArgumentBlock(ResnetBlock):  # forgiven: Keras 3 hands the mode down
    def call(self, inputs):
        x = self.conv1(keras.ops.relu(self.bn1(inputs)))
        x = self.conv2(keras.ops.relu(self.bn2(x)))
        residual = inputs
        if self.residual_path:
            residual = self.down_conv(keras.ops.relu(self.down_bn(inputs)))
        return x + residual


class Stub4(keras.layers.Layer):  # the lesson's stub
    def __init__(self, channels, strides=1, residual_path=False, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        pass

    def call(self, inputs, training=None):
        return None


@pytest.mark.parametrize("answer, message", [
    (ResnetBlock, None),
    (NoTrainingArgumentBlock, None),
    (Stub4, "ResnetBlock(4).build((None, 6, 6, 4)) the block has 0 parameters, expected 320"),
    (BlockAsModel, "found a keras.Model subclass"),
    (NoBlockBuild, "the block has 0 parameters, expected 320"),
    (BuildsConv2OnInput, "residual_path=True) on 4 channels: expected 960 parameters"),
    (ConvWithBias, "ResnetBlock(4) on 4 channels: expected 320 parameters"),
    (NoProjection, "residual_path=True) on 4 channels: expected 960 parameters"),
    (NoResidualAdd, "returned zeros: the residual add `x + residual` is missing"),
    (ReluAfterAdd, "returned relu(input): nothing follows the add"),
    (StrideOnConv2Too, "Incompatible shapes: [2,2,2,8] vs. [2,3,3,8] [Op:AddV2]. Hint: the branch "
                       "and the shortcut must both come out 3 × 3 × 8 to be added: give `strides` to "
                       "conv1 and to the 1×1 down_conv only (conv2 keeps stride 1)"),
    (StridesIgnored, "on a (2, 6, 6, 4) batch: expected (2, 3, 3, 8), found (2, 6, 6, 8). Hint: strides=2"),
    (StrideNotOnShortcut, "on a (2, 6, 6, 4) batch raised InvalidArgumentError: Incompatible shapes: "
                          "[2,3,3,8] vs. [2,6,6,8] [Op:AddV2]. Hint: the branch and the shortcut"),
    (PostActivation, "computes something else than the article's block"),
    (BNHardCodedFalse, "no BatchNormalization moved its running mean"),
])
def test_resnet_block_layer(capsys, answer, message):
    passed, out = verdict_of(checks.resnet_block_layer, answer, capsys)
    assert passed == (message is None), out
    if message:
        assert message in out, out


def test_every_checker_is_exported_and_documented():
    from helpers.checks import nb03
    for name in nb03.__all__:
        checker = getattr(checks, name)
        assert checker is getattr(nb03, name)
        assert "Example::" in checker.__doc__ and f"checks.{name}(" in checker.__doc__
