"""Checkers for the exercises of notebook 03 (model subclassing).

Each checker takes the learner's *class*, builds it on tiny inputs and checks
what it does: shapes, parameter counts, outputs in training and inference mode,
a config or ``.keras`` round trip. Keras warnings are silenced while it runs, so
a notebook cell shows only the verdict.
"""
import inspect
import os
import tempfile

import numpy as np

from helpers.checks.core import NotYet, call, expect_equal, first_line, layers_of_type, quiet, verdict

__all__ = ["subclassed_dropout_mlp", "simple_dense_use_bias", "serializable_deep_mlp",
           "resnet_block_layer"]

BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default


# --- small tools -------------------------------------------------------------------------

def _subclass_of(cls, base, base_name, what):
    if not isinstance(cls, type):
        raise NotYet(f"expected {what} to be a class (a subclass of {base_name}), "
                     f"found {type(cls).__name__}")
    if not issubclass(cls, base):
        raise NotYet(f"expected {what} to subclass {base_name}; it subclasses "
                     f"{', '.join(b.__name__ for b in cls.__bases__)}")


def _numpy(tensor, what):
    import keras

    if tensor is None:
        raise NotYet(f"{what} returned None; expected a tensor (does `call` end with `return ...`?)")
    return np.asarray(keras.ops.convert_to_numpy(tensor))


def _expect_shape(array, expected, what, hint=""):
    expect_equal(tuple(array.shape), tuple(expected), f"the output shape of {what}", hint)


def _count(layer, what):
    try:
        return int(layer.count_params())
    except ValueError:  # Keras refuses to count an unbuilt layer
        raise NotYet(f"{what} is not built after build(); does your build() end up calling "
                     "the sublayers' build?") from None


class _CallSpy:
    """Records the last feature count a layer was called on, while in a ``with`` block."""

    def __init__(self, layer):
        self.layer, self.features = layer, None

    def __enter__(self):
        original = self.layer.call

        def spy(inputs, *args, **kwargs):
            self.features = inputs.shape[-1]
            return original(inputs, *args, **kwargs)

        object.__setattr__(self.layer, "call", spy)
        return self

    def __exit__(self, *exc):
        object.__delattr__(self.layer, "call")


# --- Exercise 1 ----------------------------------------------------------------------------

@verdict
def subclassed_dropout_mlp(DropoutMLP):
    """Exercise 03.1: the notebook's MLP with Dropout(0.2) between hidden and classifier.

    Checks the layers (Dense 128 relu, Dropout 0.2, Dense 10 softmax; 101,770
    parameters), that two calls ``model(x)`` agree and two ``model(x,
    training=True)`` differ, that the Dropout sees the 128 hidden units, and
    that ``call`` takes ``training`` and passes it on (tested by calling
    ``model.call(x, training=True)`` directly, where Keras hands nothing down).

    Example::

        checks.subclassed_dropout_mlp(DropoutMLP)
    """
    import keras

    _subclass_of(DropoutMLP, keras.Model, "keras.Model", "DropoutMLP")
    with quiet():
        model = call(DropoutMLP, what="DropoutMLP()")
        dense = layers_of_type(model, "Dense")
        expect_equal([layer.units for layer in dense], [128, 10], "the Dense layers' units, in order",
                     "create flatten, hidden = Dense(128, relu), dropout and classifier = "
                     "Dense(10, softmax) in __init__, as attributes (self.hidden = ...)")
        expect_equal([layer.activation.__name__ for layer in dense], ["relu", "softmax"],
                     "the Dense layers' activations")
        dropouts = layers_of_type(model, "Dropout")
        if len(dropouts) != 1:
            raise NotYet(f"expected one keras.layers.Dropout attribute, found {len(dropouts)}")
        expect_equal(round(float(dropouts[0].rate), 3), 0.2, "the dropout rate")

        x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
        first = _numpy(model(x), "model(x)")
        _expect_shape(first, (4, 10), "model(x) on 4 images of 28 × 28")
        expect_equal(model.count_params(), 101_770, "the number of parameters",
                     "Dropout has no weights, so the count is the same as the MLP's")
        if not np.array_equal(first, _numpy(model(x), "model(x)")):
            raise NotYet("two calls model(x) gave different outputs: at inference Dropout must "
                         "be off (is training=True hard-coded somewhere?)")
        if np.array_equal(_numpy(model(x, training=True), "model(x, training=True)"),
                          _numpy(model(x, training=True), "model(x, training=True)")):
            raise NotYet("two calls model(x, training=True) gave the same output: the Dropout "
                         "never drops anything. Is it called in `call`, and not with "
                         "training=False?")
        with _CallSpy(dropouts[0]) as spy:
            model(x, training=True)
        if spy.features != 128:
            where = {784: "on the flattened image, before `hidden`",
                     10: "on the classifier's probabilities, after `classifier`"}
            raise NotYet(f"the Dropout is applied to {spy.features} features "
                         f"({where.get(spy.features, 'not to the hidden layer')}); "
                         "expected the 128 outputs of `hidden`: hidden → dropout → classifier")

        if "training" not in inspect.signature(model.call).parameters:
            raise NotYet("`call` has no `training` argument: write `def call(self, inputs, "
                         "training=None)` and pass it on with `self.dropout(x, training=training)`")
        direct = [_numpy(model.call(x, training=True), "model.call(x, training=True)")
                  for _ in range(2)]
        if np.array_equal(*direct):
            raise NotYet("`call` takes `training` but does not pass it to the Dropout: calling "
                         "model.call(x, training=True) directly gives the same output twice. "
                         "(Through model(x, training=True) Keras 3 hands the mode down anyway, "
                         "but only then.) Write `self.dropout(x, training=training)`")
    return ("DropoutMLP: Dropout(0.2) on the 128 hidden units, random with training=True, off "
            "at inference, `training` passed on; still 101,770 parameters.")


# --- Exercise 2 ----------------------------------------------------------------------------

@verdict
def simple_dense_use_bias(OptionalBiasDense):
    """Exercise 03.2: SimpleDense with a ``use_bias=True`` argument.

    Checks that ``OptionalBiasDense(4, activation="relu", use_bias=False)`` has
    no weights before it is built, 12 parameters (3 × 4) and no bias on 3
    input features, and computes ``relu(x @ kernel)``; that with
    ``use_bias=True`` it has 16 and adds the bias; that the kernel follows the
    input size; and that ``from_config(get_config())`` keeps ``use_bias``.

    Example::

        checks.simple_dense_use_bias(OptionalBiasDense)
    """
    import keras

    _subclass_of(OptionalBiasDense, keras.layers.Layer, "keras.layers.Layer", "OptionalBiasDense")
    what = "OptionalBiasDense(4, activation='relu', use_bias=False)"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3)).astype("float32")
    with quiet():
        layer = call(OptionalBiasDense, 4, activation="relu", use_bias=False, what=what)
        biased_what = "OptionalBiasDense(4, activation='relu', use_bias=True)"
        biased = call(OptionalBiasDense, 4, activation="relu", use_bias=True, what=biased_what)
        for name, fresh in [(what, layer), (biased_what, biased)]:
            if fresh.weights:
                names = ", ".join(w.name for w in fresh.weights)
                raise NotYet(f"{name} already has weights ({names}) before it is built: create "
                             "them in build(input_shape) with self.add_weight, not in __init__")
        y = _numpy(call(layer, x, what=f"{what} on a (2, 3) batch"), f"{what} on a (2, 3) batch")
        _expect_shape(y, (2, 4), f"{what} on a (2, 3) batch")
        shapes = sorted(tuple(w.shape) for w in layer.weights)
        if shapes != [(3, 4)]:
            raise NotYet(f"with use_bias=False on 3 features expected 12 parameters, one (3, 4) "
                         f"kernel and no bias; found {layer.count_params()} in weights of shapes "
                         f"{shapes}. Hint: only call add_weight for the bias when use_bias is True")
        kernel = rng.normal(size=(3, 4)).astype("float32")
        layer.weights[0].assign(kernel)
        if not np.allclose(_numpy(layer(x), what), np.maximum(x @ kernel, 0), atol=1e-5):
            raise NotYet(f"{what} should compute relu(inputs @ kernel); its output differs "
                         "(is the activation applied to the result?)")

        what = biased_what
        call(biased, x, what=f"{what} on a (2, 3) batch")
        expect_equal(biased.count_params(), 16, f"the parameters of {what} on 3 features",
                     "3 × 4 kernel + 4 biases")
        bias = rng.normal(size=(4,)).astype("float32")
        for weight in biased.weights:
            weight.assign(kernel if tuple(weight.shape) == (3, 4) else bias)
        if not np.allclose(_numpy(biased(x), what), np.maximum(x @ kernel + bias, 0), atol=1e-5):
            raise NotYet(f"{what} should compute relu(inputs @ kernel + bias); its output differs "
                         "(is the bias added when use_bias is True?)")
        wide = call(OptionalBiasDense, 4, use_bias=False, what="OptionalBiasDense(4, use_bias=False)")
        call(wide, np.ones((2, 5), "float32"), what="OptionalBiasDense(4, use_bias=False) on 5 features")
        expect_equal(wide.count_params(), 20, "the parameters of OptionalBiasDense(4, use_bias=False) "
                     "on 5 features", "the kernel's shape is (input_shape[-1], units)")

        config = call(layer.get_config, what="get_config()")
        if "use_bias" not in config:
            raise NotYet(f"get_config() returned {sorted(config)}, without 'use_bias': "
                         "from_config would re-create the layer with a bias. Add "
                         "config.update({'use_bias': self.use_bias}) (and units, activation)")
        clone = call(OptionalBiasDense.from_config, config, what="from_config(get_config())")
        call(clone, x, what="the re-created layer")
        if clone.count_params() != 12:
            raise NotYet(f"from_config(get_config()) re-created a layer with "
                         f"{clone.count_params()} parameters, expected 12: use_bias=False "
                         "was lost on the way")
    return ("OptionalBiasDense: 12 parameters without bias (3 × 4), 16 with, the same outputs "
            "as Dense, and use_bias survives get_config/from_config.")


# --- Exercise 3 ----------------------------------------------------------------------------

def _mlp_params(hidden_units, inputs=784, outputs=10):
    sizes = [inputs, *hidden_units, outputs]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _dense_units(model):
    return sorted(layer.units for layer in layers_of_type(model, "Dense"))


@verdict
def serializable_deep_mlp(DeepMLP):
    """Exercise 03.3: a DeepMLP(hidden_units) with a real build and a get_config.

    Checks that after ``DeepMLP(hidden_units=(8, 6)).build((None, 28, 28))``
    (no data) every parameter exists, 6,404, and likewise for ``(5,)``; that
    it classifies (softmax rows); that ``from_config(get_config())`` keeps
    ``hidden_units``; that a ``.keras`` save and load (in a temporary folder)
    gives identical predictions; and that ``DeepMLP()`` has Dense layers of
    256, 128 and 10 units.

    Example::

        checks.serializable_deep_mlp(DeepMLP)
    """
    import keras

    _subclass_of(DeepMLP, keras.Model, "keras.Model", "DeepMLP")
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    with quiet():
        for hidden in [(8, 6), (5,)]:
            what = f"DeepMLP(hidden_units={hidden})"
            model = call(DeepMLP, hidden_units=hidden, what=what)
            expect_equal(_dense_units(model), sorted([*hidden, 10]), f"the Dense layers' units "
                         f"of {what} (sorted)", "create one Dense per entry of hidden_units, in a loop")
            call(model.build, (None, 28, 28), what=f"{what}.build((None, 28, 28))")
            found, expected = _count(model, what), _mlp_params(hidden)
            if found == 0:
                raise NotYet(f"after {what}.build((None, 28, 28)) the model has 0 parameters, "
                             f"expected {expected:,}: Keras's default build builds nothing. "
                             "Write build(input_shape): build each layer in turn and pass the "
                             "shape on with layer.compute_output_shape(shape)")
            expect_equal(found, expected, f"the parameters of {what} after build((None, 28, 28))",
                         "Flatten (784), the hidden Dense layers in order, then Dense(10)")
        model = call(DeepMLP, hidden_units=(8, 6), what="DeepMLP(hidden_units=(8, 6))")
        model.build((None, 28, 28))
        before = _numpy(call(model, x, what="the model on 3 images"), "the model")
        _expect_shape(before, (3, 10), "DeepMLP on 3 images of 28 × 28")
        if not np.allclose(before.sum(axis=1), 1.0, atol=1e-4):
            raise NotYet("each output row should be probabilities summing to 1: is the last layer "
                         "Dense(10, activation='softmax')?")

        try:
            config = model.get_config()
        except NotImplementedError:
            raise NotYet("get_config() raised NotImplementedError: Keras cannot record "
                         "hidden_units by itself. Write get_config: config = "
                         "super().get_config(); config.update({'hidden_units': ...})") from None
        clone = call(DeepMLP.from_config, config, what="DeepMLP.from_config(model.get_config())")
        expect_equal(_dense_units(clone), [6, 8, 10], "the Dense units of from_config(get_config()) "
                     "for DeepMLP(hidden_units=(8, 6)) (sorted)",
                     "without your own get_config Keras records the default hidden_units, not "
                     "the value passed: write get_config and put hidden_units in it")

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "deep_mlp.keras")
            try:
                model.save(path)
                reloaded = keras.models.load_model(path, custom_objects={DeepMLP.__name__: DeepMLP})
                after = _numpy(reloaded(x), "the reloaded model")
            except Exception as error:
                message = first_line(error).replace(folder + os.sep, "").replace(folder, "")
                raise NotYet(f"the .keras round trip (save, then load_model) raised "
                             f"{type(error).__name__}: {message}") from None
        if not np.array_equal(before, after):
            raise NotYet("the model reloaded from the .keras file predicts differently from the "
                         "original: are all the weights created in build?")
        default = call(DeepMLP, what="DeepMLP()")
        expect_equal(_dense_units(default), [10, 128, 256], "the Dense layers' units of DeepMLP() "
                     "(sorted)", "hidden_units=(256, 128) by default, then Dense(10, softmax)")
    return ("DeepMLP: one Dense per hidden unit count, build() creates all 6,404 parameters "
            "of DeepMLP((8, 6)) without data, and get_config/.keras round trips keep it identical.")


# --- Exercise 4 ----------------------------------------------------------------------------

def _block_parts(c_in, channels, residual_path):
    parts = [(f"conv1 3×3 {c_in}→{channels}", 9 * c_in * channels), (f"bn1 ({c_in})", 4 * c_in),
             (f"conv2 3×3 {channels}→{channels}", 9 * channels * channels),
             (f"bn2 ({channels})", 4 * channels)]
    if residual_path:
        parts += [(f"down_bn ({c_in})", 4 * c_in), (f"down_conv 1×1 {c_in}→{channels}", c_in * channels)]
    return parts


def _expect_block_params(block, what, c_in, channels, residual_path):
    found = _count(block, what)
    parts = _block_parts(c_in, channels, residual_path)
    expected = sum(n for _, n in parts)
    if found == 0:
        raise NotYet(f"after {what}.build((None, 6, 6, {c_in})) the block has 0 parameters, "
                     f"expected {expected}: build(input_shape) must build each sublayer "
                     "(self.bn1.build(input_shape), ...), passing conv1's output shape "
                     "(self.conv1.compute_output_shape) to bn2 and conv2")
    if found != expected:
        detail = ", ".join(f"{name}: {n}" for name, n in parts)
        raise NotYet(f"{what} on {c_in} channels: expected {expected} parameters ({detail}; "
                     f"BN counts gamma, beta and the two moving statistics), found {found}. Hint: "
                     "the article's convolutions have no bias (use_bias=False); bn2 and conv2 see "
                     "conv1's output; with residual_path=True the shortcut is down_bn then a 1×1 conv")
    return found


def _reference_block(x, k1, k2, kd, strides):
    """The article's block at inference, with fresh BatchNormalization layers."""
    import keras

    def bn_relu(t):
        return keras.ops.relu(t / float(np.sqrt(1.0 + BN_EPSILON)))

    branch = keras.ops.conv(bn_relu(x), k1, strides=strides, padding="same")
    branch = keras.ops.conv(bn_relu(branch), k2, strides=1, padding="same")
    shortcut = keras.ops.conv(bn_relu(x), kd, strides=strides, padding="same")
    return np.asarray(keras.ops.convert_to_numpy(branch + shortcut))


@verdict
def resnet_block_layer(ResnetBlock):
    """Exercise 03.4: the article's ResnetBlock as a keras.layers.Layer with a real build.

    ``ResnetBlock(channels, strides=1, residual_path=False)``. Checks that it is
    a Layer; that ``build((None, 6, 6, 4))`` alone creates every parameter
    (320 for ``ResnetBlock(4)``, 960 for ``ResnetBlock(8, 2, True)``); that
    with zeroed kernels ``ResnetBlock(4)`` returns its input (the residual
    add, nothing after it); that the projection block halves 6 × 6 to 3 × 3
    and computes BN→ReLU→conv twice plus BN→ReLU→1×1 conv; that
    ``training=True`` reaches the BatchNormalizations; and that two blocks
    work inside a Functional model.

    Example::

        checks.resnet_block_layer(ResnetBlock)
    """
    import keras

    _subclass_of(ResnetBlock, keras.layers.Layer, "keras.layers.Layer", "ResnetBlock")
    if issubclass(ResnetBlock, keras.Model):
        raise NotYet("expected ResnetBlock to subclass keras.layers.Layer, found a keras.Model "
                     "subclass: the exercise asks for a layer")
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 4)).astype("float32")
    with quiet():
        same = call(ResnetBlock, 4, what="ResnetBlock(4)")
        call(same.build, (None, 6, 6, 4), what="ResnetBlock(4).build((None, 6, 6, 4))")
        _expect_block_params(same, "ResnetBlock(4)", 4, 4, False)
        what = "ResnetBlock(8, strides=2, residual_path=True)"
        down = call(ResnetBlock, 8, strides=2, residual_path=True, what=what)
        call(down.build, (None, 6, 6, 4), what=f"{what}.build((None, 6, 6, 4))")
        _expect_block_params(down, what, 4, 8, True)

        y = _numpy(call(same, x, what="ResnetBlock(4) on a (2, 6, 6, 4) batch"), "ResnetBlock(4)")
        _expect_shape(y, x.shape, "ResnetBlock(4) on a (2, 6, 6, 4) batch",
                      "with strides=1 and no projection the block keeps the shape")
        for weight in same.weights:
            if len(weight.shape) == 4:
                weight.assign(np.zeros(weight.shape, "float32"))
        y = _numpy(same(x), "ResnetBlock(4)")
        if not np.allclose(y, x, atol=1e-6):
            if np.allclose(y, 0):
                problem = "it returned zeros: the residual add `x + residual` is missing"
            elif np.allclose(y, np.maximum(x, 0), atol=1e-6):
                problem = "it returned relu(input): nothing follows the add in the article's block"
            else:
                problem = "it returned something else: the output should be F(x) + x"
            raise NotYet("with every convolution kernel set to zero the branch F(x) is 0, so "
                         f"ResnetBlock(4) should return its input; {problem}")

        try:
            y = _numpy(call(down, x, what=f"{what} on a (2, 6, 6, 4) batch"), what)
        except NotYet as problem:
            raise NotYet(f"{problem}. Hint: the branch and the shortcut must both come out "
                         "3 × 3 × 8 to be added: give `strides` to conv1 and to the 1×1 down_conv "
                         "only (conv2 keeps stride 1), and `channels` to every conv") from None
        _expect_shape(y, (2, 3, 3, 8), f"{what} on a (2, 6, 6, 4) batch",
                      "strides=2 goes on conv1 and on the 1×1 shortcut conv; conv2 keeps stride 1")
        kernels = {tuple(w.shape): np.asarray(w.numpy()) for w in down.weights if len(w.shape) == 4}
        shapes = [(3, 3, 4, 8), (3, 3, 8, 8), (1, 1, 4, 8)]
        if sorted(kernels) != sorted(shapes):
            raise NotYet(f"{what} on 4 channels: expected convolution kernels of shapes {shapes} "
                         f"(conv1, conv2, down_conv), found {sorted(kernels)}")
        expected = _reference_block(x, *(kernels[shape] for shape in shapes), 2)
        if not np.allclose(y, expected, atol=1e-4):
            raise NotYet(f"{what} computes something else than the article's block: "
                         "relu(bn1(x)) → conv1 (strides) → relu(bn2) → conv2, plus the shortcut "
                         "relu(down_bn(x)) → down_conv (1×1, strides), added; BN before ReLU "
                         "before each conv")

        means = lambda: [np.asarray(w.numpy()).copy() for w in down.weights if w.name == "moving_mean"]
        start = means()
        call(down, x, training=True, what=f"{what}(x, training=True)")
        if all(np.array_equal(a, b) for a, b in zip(start, means())):
            raise NotYet("after block(x, training=True) no BatchNormalization moved its running "
                         "mean: they never run in training mode. Take `training=None` in call and "
                         "pass `training=training` to every BatchNormalization (never False)")

        inputs = keras.Input(shape=(6, 6, 4))
        try:
            outputs = ResnetBlock(8, strides=2, residual_path=True)(ResnetBlock(4)(inputs))
            functional = keras.Model(inputs, outputs)
        except Exception as error:
            raise NotYet("two blocks inside a Functional model raised "
                         f"{type(error).__name__}: {first_line(error)}") from None
        expect_equal(tuple(functional.output.shape), (None, 3, 3, 8),
                     "the output shape of a Functional model with ResnetBlock(4), then "
                     "ResnetBlock(8, 2, True), on keras.Input((6, 6, 4))")
        expect_equal(functional.count_params(), 1280, "that Functional model's parameters")
    return ("ResnetBlock as a Layer: build() creates all 320 / 960 parameters, F(x) + x with the "
            "1×1 projection and strides, training reaches BN, and it works in a Functional model.")
