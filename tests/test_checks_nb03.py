"""Notebook 03's checkers reject each common mistake with the right message.

Each mistake is the worked solution (run from notebooks/src/solutions by the ``solutions``
fixture) with one thing changed: a small class whose methods replace the solution's, put in
front of it by ``solutions.mistake``. tests/test_checks.py runs the solutions and the stubs.
"""

import os

import keras
import pytest
from keras.ops import relu
from solutions import mistake

from helpers import checks


def verdict_of(checker, answer, capsys):
    passed = checker(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    assert out.startswith("✅" if passed else "❌ Not yet: "), out
    return bool(passed), out


def expect(checker, make, message, solutions, capsys):
    """``make(solutions)`` gives the answer; ``message`` None: it passes, else it fails with it."""
    passed, out = verdict_of(checker, make(solutions), capsys)
    assert passed == (message is None), out
    assert message is None or message in out, out
    return out


# --- Exercise 1: Dropout in the subclassed MLP ----------------------------------------------


class NoTrainingArgument:
    def call(self, inputs):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs))))


class NotPassedOn:
    def call(self, inputs, training=None):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs))))


class HardCodedFalse:
    def call(self, inputs, training=None):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs)), training=False))


class HardCodedTrue:
    def call(self, inputs, training=None):
        return self.classifier(self.dropout(self.hidden(self.flatten(inputs)), training=True))


class DropoutOnImage:
    def call(self, inputs, training=None):
        return self.classifier(self.hidden(self.dropout(self.flatten(inputs), training=training)))


class DropoutOnProbabilities:
    def call(self, inputs, training=None):
        return self.dropout(self.classifier(self.hidden(self.flatten(inputs))), training=training)


class DropoutNeverCalled:
    def call(self, inputs, training=None):
        return self.classifier(self.hidden(self.flatten(inputs)))


class WrongRate:
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dropout.rate = 0.5


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda load: load("03", part="lesson").MLP,
            "expected one keras.layers.Dropout attribute, found 0",
        ),
        (mistake("03", "DropoutMLP", WrongRate), "the dropout rate: expected 0.2, found 0.5"),
        (mistake("03", "DropoutMLP", NoTrainingArgument), "`call` has no `training` argument"),
        (mistake("03", "DropoutMLP", NotPassedOn), "does not pass it to the Dropout"),
        (
            mistake("03", "DropoutMLP", HardCodedFalse),
            "two calls model(x, training=True) gave the same output",
        ),
        (
            mistake("03", "DropoutMLP", DropoutNeverCalled),
            "two calls model(x, training=True) gave the same output",
        ),
        (mistake("03", "DropoutMLP", HardCodedTrue), "two calls model(x) gave different outputs"),
        (
            mistake("03", "DropoutMLP", DropoutOnImage),
            "applied to 784 features (on the flattened image, before `hidden`)",
        ),
        (
            mistake("03", "DropoutMLP", DropoutOnProbabilities),
            "applied to 10 features (on the classifier's probabilities",
        ),
        (lambda load: load("03").DropoutMLP(), "expected DropoutMLP to be a class"),
        (lambda load: keras.layers.Dense, "expected DropoutMLP to subclass keras.Model"),
    ],
)
def test_subclassed_dropout_mlp(solutions, capsys, make, message):
    expect(checks.subclassed_dropout_mlp, make, message, solutions, capsys)


# --- Exercise 2: SimpleDense with use_bias --------------------------------------------------


class NoGetConfig:  # right too: Keras 3 records plain constructor arguments of a layer by itself
    get_config = keras.layers.Layer.get_config


class ConfigWithoutUseBias:
    def get_config(self):
        config = keras.layers.Layer.get_config(self)
        config.update(
            {"units": self.units, "activation": keras.activations.serialize(self.activation)}
        )
        return config


class BiasInInit:
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(units, activation, use_bias, **kwargs)
        if use_bias:
            self.bias = self.add_weight(shape=(units,), initializer="zeros", name="bias")

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")


class BiasAlwaysCreated:
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")


class BiasNeverAdded:
    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel))


class KernelSizeHardCoded:
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(3, self.units), name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        x = keras.ops.matmul(inputs[:, :3], self.kernel)
        return self.activation(x + self.bias if self.use_bias else x)


class ActivationIgnored:
    def call(self, inputs):
        x = keras.ops.matmul(inputs, self.kernel)
        return x + self.bias if self.use_bias else x


class NoUseBiasArgument(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)


@pytest.mark.parametrize(
    "make, message",
    [
        (mistake("03", "OptionalBiasDense", NoGetConfig), None),
        (
            mistake("03", "OptionalBiasDense", ConfigWithoutUseBias),
            "get_config() returned ['activation', 'dtype', 'name', 'trainable', 'units'], "
            "without 'use_bias'",
        ),
        (
            mistake("03", "OptionalBiasDense", BiasInInit),
            "use_bias=True) already has weights (bias) before it is built",
        ),
        (
            mistake("03", "OptionalBiasDense", BiasAlwaysCreated),
            "expected 12 parameters, one (3, 4) kernel and no bias; found 16",
        ),
        (
            mistake("03", "OptionalBiasDense", BiasNeverAdded),
            "relu(inputs @ kernel + bias); its output differs",
        ),
        (
            mistake("03", "OptionalBiasDense", KernelSizeHardCoded),
            "on 5 features: expected 20, found 12",
        ),
        (
            mistake("03", "OptionalBiasDense", ActivationIgnored),
            "should compute relu(inputs @ kernel); its output differs",
        ),
        (
            lambda load: NoUseBiasArgument,
            "use_bias=False) raised ValueError: Unrecognized keyword arguments passed "
            "to NoUseBiasArgument: {'use_bias': False}",
        ),
        (lambda load: keras.Model, "raised TypeError"),
        (lambda load: load("03").DropoutMLP, "raised TypeError"),
    ],
)
def test_simple_dense_use_bias(solutions, capsys, make, message):
    expect(checks.simple_dense_use_bias, make, message, solutions, capsys)


# --- Exercise 3: DeepMLP with build and get_config ------------------------------------------


class Unregistered:  # right too: the checker's load_model passes the class in custom_objects
    pass


class NoBuild:
    build = keras.Model.build


class NoDeepGetConfig:
    get_config = keras.Model.get_config


class RequiredUnits:
    def __init__(self, hidden_units, **kwargs):
        super().__init__(hidden_units, **kwargs)


class RequiredUnitsNoGetConfig(RequiredUnits, NoDeepGetConfig):
    pass


class HardCodedLayers:
    def __init__(self, hidden_units=(256, 128), **kwargs):
        super().__init__((256, 128), **kwargs)
        self.hidden_units = hidden_units


class BuildSkipsClassifier:
    def build(self, input_shape):
        shape = input_shape
        for layer in [self.flatten, *self.hidden]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)


class NoSoftmax:
    def __init__(self, hidden_units=(256, 128), **kwargs):
        super().__init__(hidden_units, **kwargs)
        self.classifier.activation = keras.activations.linear


class SaveFails:
    def save(self, filepath, *args, **kwargs):
        raise OSError(f"cannot write {filepath}")


@pytest.mark.parametrize(
    "make, message",
    [
        (mistake("03", "DeepMLP", Unregistered), None),
        (
            mistake("03", "DeepMLP", NoBuild),
            "has 0 parameters, expected 6,404: Keras's default build builds nothing",
        ),
        (
            mistake("03", "DeepMLP", BuildSkipsClassifier),
            "after build((None, 28, 28)): expected 6404, found 6334",
        ),
        (
            mistake("03", "DeepMLP", HardCodedLayers),
            "of DeepMLP(hidden_units=(8, 6)) (sorted): expected [6, 8, 10], found [10, 128, 256]",
        ),
        (
            mistake("03", "DeepMLP", NoDeepGetConfig),
            "(sorted): expected [6, 8, 10], found [10, 128, 256]. Hint: without your own get_config",
        ),
        (
            mistake("03", "DeepMLP", RequiredUnitsNoGetConfig),
            "get_config() raised NotImplementedError",
        ),
        (
            mistake("03", "DeepMLP", RequiredUnits),
            "DeepMLP() raised TypeError: RequiredUnits.__init__() missing 1 required positional",
        ),
        (mistake("03", "DeepMLP", NoSoftmax), "probabilities summing to 1"),
    ],
)
def test_serializable_deep_mlp(solutions, capsys, make, message):
    out = expect(checks.serializable_deep_mlp, make, message, solutions, capsys)
    assert "/tmp" not in out and "deep_mlp.keras" not in out


def test_serializable_deep_mlp_hides_the_temporary_folder(solutions, capsys):
    make = mistake("03", "DeepMLP", SaveFails)
    out = expect(
        checks.serializable_deep_mlp,
        make,
        "the .keras round trip (save, then load_model) raised OSError",
        solutions,
        capsys,
    )
    assert "/tmp" not in out and os.sep + "deep_mlp" not in out, out


# --- Exercise 4: ResnetBlock as a Layer -----------------------------------------------------


class BlockAsModel(keras.Model):
    pass


class NoBlockBuild:
    build = keras.layers.Layer.build


class BuildsConv2OnInput:
    def build(self, input_shape):
        for layer in (self.bn1, self.conv1, self.bn2, self.conv2):
            layer.build(input_shape)
        if self.residual_path:
            self.down_bn.build(input_shape)
            self.down_conv.build(input_shape)


class ConvWithBias:
    def __init__(self, channels, strides=1, residual_path=False, **kwargs):
        super().__init__(channels, strides, residual_path, **kwargs)
        self.conv1 = keras.layers.Conv2D(
            channels, 3, strides=strides, padding="same", use_bias=True
        )


def strides_on(conv1, conv2, down_conv):
    """A mistake that gives the block's ``strides`` to other convolutions (True: it gets them)."""

    class WrongStrides:
        def __init__(self, channels, strides=1, residual_path=False, **kwargs):
            super().__init__(channels, strides, residual_path, **kwargs)

            def conv(kernel, gets_strides):
                stride = strides if gets_strides else 1
                return keras.layers.Conv2D(
                    channels, kernel, strides=stride, padding="same", use_bias=False
                )

            self.conv1, self.conv2 = conv(3, conv1), conv(3, conv2)
            if residual_path:
                self.down_conv = conv(1, down_conv)

    return WrongStrides


class NoResidualAdd:
    def call(self, inputs, training=None):
        x = self.conv1(relu(self.bn1(inputs, training=training)))
        return self.conv2(relu(self.bn2(x, training=training)))


class ReluAfterAdd:
    def call(self, inputs, training=None):
        return relu(super().call(inputs, training=training))


class NoProjection:
    def __init__(self, channels, strides=1, residual_path=False, **kwargs):
        super().__init__(channels, strides, False, **kwargs)
        self.residual_path = residual_path

    def build(self, input_shape):
        residual_path, self.residual_path = self.residual_path, False
        super().build(input_shape)
        self.residual_path = residual_path

    def call(self, inputs, training=None):
        x = self.conv1(relu(self.bn1(inputs, training=training)))
        return self.conv2(relu(self.bn2(x, training=training))) + inputs


class PostActivation:  # conv → BN → ReLU instead of BN → ReLU → conv
    def call(self, inputs, training=None):
        x = self.conv2(relu(self.bn2(self.conv1(inputs), training=training)))
        residual = inputs
        if self.residual_path:
            residual = self.down_conv(relu(self.down_bn(inputs, training=training)))
        return x + residual


class BNHardCodedFalse:
    def call(self, inputs, training=None):
        return super().call(inputs, training=False)


class NoTrainingArgumentBlock:  # right too: Keras 3 hands the mode down
    def call(self, inputs):
        x = self.conv2(relu(self.bn2(self.conv1(relu(self.bn1(inputs))))))
        residual = inputs
        if self.residual_path:
            residual = self.down_conv(relu(self.down_bn(inputs)))
        return x + residual


@pytest.mark.parametrize(
    "make, message",
    [
        (mistake("03", "ResnetBlock", NoTrainingArgumentBlock), None),
        (lambda load: BlockAsModel, "found a keras.Model subclass"),
        (mistake("03", "ResnetBlock", NoBlockBuild), "the block has 0 parameters, expected 320"),
        (
            mistake("03", "ResnetBlock", BuildsConv2OnInput),
            "residual_path=True) on 4 channels: expected 960 parameters",
        ),
        (
            mistake("03", "ResnetBlock", ConvWithBias),
            "ResnetBlock(4) on 4 channels: expected 320 parameters",
        ),
        (
            mistake("03", "ResnetBlock", NoProjection),
            "residual_path=True) on 4 channels: expected 960 parameters",
        ),
        (
            mistake("03", "ResnetBlock", NoResidualAdd),
            "returned zeros: the residual add `x + residual` is missing",
        ),
        (
            mistake("03", "ResnetBlock", ReluAfterAdd),
            "returned relu(input): nothing follows the add",
        ),
        (
            mistake("03", "ResnetBlock", strides_on(conv1=True, conv2=True, down_conv=True)),
            "Incompatible shapes: [2,2,2,8] vs. [2,3,3,8] [Op:AddV2]. Hint: the branch "
            "and the shortcut must both come out 3 × 3 × 8 to be added: give `strides` to "
            "conv1 and to the 1×1 down_conv only (conv2 keeps stride 1)",
        ),
        (
            mistake("03", "ResnetBlock", strides_on(conv1=False, conv2=False, down_conv=False)),
            "on a (2, 6, 6, 4) batch: expected (2, 3, 3, 8), found (2, 6, 6, 8). Hint: strides=2",
        ),
        (
            mistake("03", "ResnetBlock", strides_on(conv1=True, conv2=False, down_conv=False)),
            "on a (2, 6, 6, 4) batch raised InvalidArgumentError: Incompatible shapes: "
            "[2,3,3,8] vs. [2,6,6,8] [Op:AddV2]. Hint: the branch and the shortcut",
        ),
        (
            mistake("03", "ResnetBlock", PostActivation),
            "computes something else than the article's block",
        ),
        (
            mistake("03", "ResnetBlock", BNHardCodedFalse),
            "no BatchNormalization moved its running mean",
        ),
    ],
)
def test_resnet_block_layer(solutions, capsys, make, message):
    expect(checks.resnet_block_layer, make, message, solutions, capsys)
