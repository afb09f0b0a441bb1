"""Checkers for the exercises of notebook 03 (model subclassing): each takes the learner's *class*,
builds it on tiny inputs and checks what it does: shapes, parameter counts, outputs in training and
inference mode, a config or ``.keras`` round trip."""

import inspect

import numpy as np

from helpers.checks import core
from helpers.checks.core import NotYet, verdict

__all__ = [
    "subclassed_dropout_mlp",
    "simple_dense_use_bias",
    "serializable_deep_mlp",
    "resnet_block_layer",
]

BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default
DENSE = "OptionalBiasDense(4, activation='relu', use_bias={})"
DOWN = "ResnetBlock(8, strides=2, residual_path=True)"
DEEP = "DeepMLP(hidden_units=(8, 6))"
KERNELS = [(3, 3, 4, 8), (3, 3, 8, 8), (1, 1, 4, 8)]  # conv1, conv2, down_conv of DOWN
DEFAULT_BUILD = "Keras's default build builds nothing. Write build(input_shape): build each layer in turn and pass the shape on with layer.compute_output_shape(shape)"
BLOCK_BUILD = "build(input_shape) must build each sublayer (self.bn1.build(input_shape), ...), passing conv1's output shape (self.conv1.compute_output_shape) to bn2 and conv2"
DROPOUT_PLACES = {784: "on the flattened image, before `hidden`", 10: "on the classifier's probabilities, after `classifier`"}  # fmt: skip


# fmt: off
DROPOUT_MLP = [  # (what, measure, expected, hint)
    ("the Dense layers' units, in order", core.units, [128, 10], "create flatten, hidden = Dense(128, relu), dropout and classifier = Dense(10, softmax) in __init__, as attributes (self.hidden = ...)"),
    ("the Dense layers' activations", core.activations, ["relu", "softmax"], ""),
]
DROPOUT_MISTAKES = [  # (symptom, hint)
    (lambda f: not f.inference_agrees, "two calls model(x) gave different outputs: at inference Dropout must be off (is training=True hard-coded somewhere?)"),
    (lambda f: not f.training_varies, "two calls model(x, training=True) gave the same output: the Dropout never drops anything. Is it called in `call`, and not with training=False?"),
    (lambda f: f.features != 128, "the Dropout is applied to {features} features ({where}); expected the 128 outputs of `hidden`: hidden → dropout → classifier"),
    (lambda f: not f.takes_training, "`call` has no `training` argument: write `def call(self, inputs, training=None)` and pass it on with `self.dropout(x, training=training)`"),
    (lambda f: not f.passes_training, "`call` takes `training` but does not pass it to the Dropout: calling model.call(x, training=True) directly gives the same output twice. (Through model(x, training=True) Keras 3 hands the mode down anyway, but only then.) Write `self.dropout(x, training=training)`"),
]
DENSE_MISTAKES = [  # (symptom, hint), in order: a symptom is read only if those above are absent
    (lambda f: f.shapes != [(3, 4)], "with use_bias=False on 3 features expected 12 parameters, one (3, 4) kernel and no bias; found {count} in weights of shapes {shapes}. Hint: only call add_weight for the bias when use_bias is True"),
    (lambda f: not _computes_dense(f.layer, f.x, bias=None), DENSE.format(False) + " should compute relu(inputs @ kernel); its output differs (is the activation applied to the result?)"),
]
BIASED_MISTAKES = [  # (symptom, hint) for OptionalBiasDense(..., use_bias=True) on 3 features
    (lambda f: f.count != 16, "the parameters of " + DENSE.format(True) + " on 3 features: expected 16, found {count}. Hint: 3 × 4 kernel + 4 biases"),
    (lambda f: not _computes_dense(f.layer, f.x, bias=core.random_array(4, seed=2, normal=True)), DENSE.format(True) + " should compute relu(inputs @ kernel + bias); its output differs (is the bias added when use_bias is True?)"),
]
ZERO_KERNELS = [  # (symptom, hint): what ResnetBlock(4) returned for x, every kernel at zero
    (lambda f: core.close(f.y, 0, atol=1e-8), "it returned zeros: the residual add `x + residual` is missing"),
    (lambda f: core.close(f.y, np.maximum(f.x, 0), atol=1e-6), "it returned relu(input): nothing follows the add in the article's block"),
    (lambda f: True, "it returned something else: the output should be F(x) + x"),
]
PROJECTION_BLOCK = [  # (symptom, hint) over DOWN on x, with its kernels by shape
    (lambda f: f.y.shape != (2, 3, 3, 8), "the output shape of " + DOWN + " on a (2, 6, 6, 4) batch: expected (2, 3, 3, 8), found {y.shape}. Hint: strides=2 goes on conv1 and on the 1×1 shortcut conv; conv2 keeps stride 1"),
    (lambda f: sorted(f.kernels) != sorted(KERNELS), DOWN + " on 4 channels: expected convolution kernels of shapes " + str(KERNELS) + " (conv1, conv2, down_conv), found {found}"),
    (lambda f: not core.close(f.y, _reference_block(f.x, *(f.kernels[s] for s in KERNELS)), atol=1e-4), DOWN + " computes something else than the article's block: relu(bn1(x)) → conv1 (strides) → relu(bn2) → conv2, plus the shortcut relu(down_bn(x)) → down_conv (1×1, strides), added; BN before ReLU before each conv"),
    (lambda f: not _moves_statistics(f.block, f.x), "after block(x, training=True) no BatchNormalization moved its running mean: they never run in training mode. Take `training=None` in call and pass `training=training` to every BatchNormalization (never False)"),
]
# fmt: on


def _spy_features(layer, model, x):
    """The feature count ``layer`` is called on while ``model(x, training=True)`` runs."""
    original, seen = layer.call, []

    def spy(inputs, *args, **kwargs):
        seen.append(inputs.shape[-1])
        return original(inputs, *args, **kwargs)

    object.__setattr__(layer, "call", spy)
    try:
        model(x, training=True)
    finally:
        object.__delattr__(layer, "call")
    return seen[-1] if seen else None


def _training_facts(model, dropout, x):
    """Facts for ``DROPOUT_MISTAKES``: the model's behaviour in and out of training."""
    facts = core.dropout_facts(model, x)
    facts["features"] = features = _spy_features(dropout, model, x)
    facts["where"] = DROPOUT_PLACES.get(features, "not to the hidden layer")
    facts["takes_training"] = takes = "training" in inspect.signature(model.call).parameters
    direct = [
        core.to_numpy(model.call(x, training=True), "model.call(x)") for _ in range(2 * takes)
    ]
    facts["passes_training"] = not direct or not np.array_equal(*direct)
    return facts


@verdict
def subclassed_dropout_mlp(DropoutMLP):
    """Exercise 03.1: the notebook's MLP with Dropout(0.2) between hidden and classifier. Checks the
    spec ``DROPOUT_MLP``, one Dropout of rate 0.2, the shape and 101,770 parameters, then the table
    ``DROPOUT_MISTAKES``: Dropout on the 128 hidden units, only in training, and ``training`` passed
    on by ``call`` (calling ``model.call`` directly). Example::

        checks.subclassed_dropout_mlp(DropoutMLP)
    """
    core.expect_subclass(DropoutMLP, "keras.Model", "DropoutMLP")
    model = core.run_learner_code(DropoutMLP, what="DropoutMLP()")
    core.expect(model, DROPOUT_MLP)
    dropouts = core.layers_of_type(model, "Dropout")
    if len(dropouts) != 1:
        raise NotYet(f"expected one keras.layers.Dropout attribute, found {len(dropouts)}")
    core.expect_equal(round(float(dropouts[0].rate), 3), 0.2, "the dropout rate")
    x = core.random_array(4, 28, 28)
    y = core.to_numpy(model(x), "model(x)")
    core.expect_equal(y.shape, (4, 10), "the output shape of model(x) on 4 images of 28 × 28")
    hint = "Dropout has no weights, so the count is the same as the MLP's"
    core.expect_equal(model.count_params(), 101_770, "the number of parameters", hint)
    core.diagnose(DROPOUT_MISTAKES, **_training_facts(model, dropouts[0], x))
    return "DropoutMLP: Dropout(0.2) on the 128 hidden units, random with training=True, off at inference, `training` passed on; still 101,770 parameters."


def _fresh_dense(cls, use_bias, x):
    """OptionalBiasDense(4, relu, use_bias): no weights before it is built, then run on x."""
    what = DENSE.format(use_bias)
    layer = core.run_learner_code(cls, 4, activation="relu", use_bias=use_bias, what=what)
    if layer.weights:
        names = ", ".join(w.name for w in layer.weights)
        raise NotYet(
            f"{what} already has weights ({names}) before it is built: create them in build(input_shape) with self.add_weight, not in __init__"
        )
    return layer


def _computes_dense(layer, x, bias):
    """Whether the layer, given a known kernel (and bias), computes relu(x @ kernel + bias)."""
    kernel = core.random_array(3, 4, seed=1, normal=True)
    for weight in layer.weights:
        weight.assign(kernel if tuple(weight.shape) == (3, 4) else bias)
    expected = np.maximum(x @ kernel + (0 if bias is None else bias), 0)
    return core.close(core.to_numpy(layer(x), "OptionalBiasDense"), expected, atol=1e-5)


def _expect_use_bias_in_config(cls, layer, x):
    config = core.run_learner_code(layer.get_config, what="get_config()")
    if "use_bias" not in config:
        raise NotYet(
            f"get_config() returned {sorted(config)}, without 'use_bias': from_config would re-create the layer with a bias. Add config.update({{'use_bias': self.use_bias}}) (and units, activation)"
        )
    clone = core.run_learner_code(cls.from_config, config, what="from_config(get_config())")
    core.run_learner_code(clone, x, what="the re-created layer")
    if clone.count_params() != 12:
        raise NotYet(
            f"from_config(get_config()) re-created a layer with {clone.count_params()} parameters, expected 12: use_bias=False was lost on the way"
        )


@verdict
def simple_dense_use_bias(OptionalBiasDense):
    """Exercise 03.2: SimpleDense with a ``use_bias=True`` argument. The layer
    ``OptionalBiasDense(4, activation="relu", use_bias=...)`` must have no weights before it is
    built; then the tables ``DENSE_MISTAKES`` (12 parameters, no bias, relu(x @ kernel)) and
    ``BIASED_MISTAKES`` (16 with the bias, added); the kernel follows the input size; and
    ``from_config(get_config())`` keeps ``use_bias``. Example::

        checks.simple_dense_use_bias(OptionalBiasDense)
    """
    core.expect_subclass(OptionalBiasDense, "keras.layers.Layer", "OptionalBiasDense")
    x = core.random_array(2, 3, normal=True)
    layer, biased = (_fresh_dense(OptionalBiasDense, use_bias, x) for use_bias in (False, True))
    what = f"{DENSE.format(False)} on a (2, 3) batch"
    core.expect_equal(core.output_of(layer, x, what).shape, (2, 4), f"the output shape of {what}")
    shapes = sorted(tuple(w.shape) for w in layer.weights)
    core.diagnose(DENSE_MISTAKES, layer=layer, x=x, shapes=shapes, count=layer.count_params())
    core.run_learner_code(biased, x, what=f"{DENSE.format(True)} on a (2, 3) batch")
    core.diagnose(BIASED_MISTAKES, layer=biased, x=x, count=biased.count_params())
    what = "OptionalBiasDense(4, use_bias=False)"
    wide = core.run_learner_code(OptionalBiasDense, 4, use_bias=False, what=what)
    core.run_learner_code(wide, np.ones((2, 5), "float32"), what=f"{what} on 5 features")
    hint = "the kernel's shape is (input_shape[-1], units)"
    core.expect_equal(wide.count_params(), 20, f"the parameters of {what} on 5 features", hint)
    _expect_use_bias_in_config(OptionalBiasDense, layer, x)
    return "OptionalBiasDense: 12 parameters without bias (3 × 4), 16 with, the same outputs as Dense, and use_bias survives get_config/from_config."


def _built(layer, what, shape, kind, expected, hint):
    """Build ``layer`` on ``shape`` (no data); stop unless parameters appeared; their count."""
    core.run_learner_code(layer.build, shape, what=f"{what}.build({shape})")
    try:
        found = int(layer.count_params())
    except ValueError:  # Keras refuses to count an unbuilt layer
        raise NotYet(
            f"{what} is not built after build(); does your build() end up calling the sublayers' build?"
        ) from None
    if found == 0:
        raise NotYet(
            f"after {what}.build({shape}) the {kind} has 0 parameters, expected {expected:,}: {hint}"
        )
    return found


def _built_deep_mlp(DeepMLP, hidden):
    what = f"DeepMLP(hidden_units={hidden})"
    model = core.run_learner_code(DeepMLP, hidden_units=hidden, what=what)
    hint = "create one Dense per entry of hidden_units, in a loop"
    units = f"the Dense layers' units of {what} (sorted)"
    core.expect_equal(core.sorted_units(model), sorted([*hidden, 10]), units, hint)
    sizes = [784, *hidden, 10]
    expected = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    found = _built(model, what, (None, 28, 28), "model", expected, DEFAULT_BUILD)
    hint = "Flatten (784), the hidden Dense layers in order, then Dense(10)"
    params = f"the parameters of {what} after build((None, 28, 28))"
    core.expect_equal(found, expected, params, hint)


def _expect_round_trip(model, DeepMLP, x, before):
    import keras

    try:
        config = model.get_config()
    except NotImplementedError:
        raise NotYet(
            "get_config() raised NotImplementedError: Keras cannot record hidden_units by itself. Write get_config: config = super().get_config(); config.update({'hidden_units': ...})"
        ) from None
    what = "DeepMLP.from_config(model.get_config())"
    clone = core.run_learner_code(DeepMLP.from_config, config, what=what)
    hint = "without your own get_config Keras records the default hidden_units, not the value passed: write get_config and put hidden_units in it"
    what = f"the Dense units of from_config(get_config()) for {DEEP} (sorted)"
    core.expect_equal(core.sorted_units(clone), [6, 8, 10], what, hint)

    def save_and_load(path):
        model.save(path)
        reloaded = keras.models.load_model(path, custom_objects={DeepMLP.__name__: DeepMLP})
        return core.to_numpy(reloaded(x), "the reloaded model")

    what = "the .keras round trip (save, then load_model)"
    after = core.run_learner_code(save_and_load, core.scratch_path("deep_mlp.keras"), what=what)
    if not np.array_equal(before, after):
        raise NotYet(
            "the model reloaded from the .keras file predicts differently from the original: are all the weights created in build?"
        )


@verdict
def serializable_deep_mlp(DeepMLP):
    """Exercise 03.3: a DeepMLP(hidden_units) with a real build and a get_config. After
    ``DeepMLP(hidden_units=(8, 6)).build((None, 28, 28))`` (no data) every parameter must exist,
    6,404, and likewise for ``(5,)``; it must classify (softmax rows), keep ``hidden_units`` through
    ``from_config(get_config())`` and a ``.keras`` file, and ``DeepMLP()`` must have Dense layers of
    256, 128 and 10 units. Example::

        checks.serializable_deep_mlp(DeepMLP)
    """
    core.expect_subclass(DeepMLP, "keras.Model", "DeepMLP")
    _built_deep_mlp(DeepMLP, (8, 6))
    _built_deep_mlp(DeepMLP, (5,))
    model = core.run_learner_code(DeepMLP, hidden_units=(8, 6), what=DEEP)
    model.build((None, 28, 28))
    x = core.random_array(3, 28, 28)
    y = core.run_learner_code(model, x, what="the model on 3 images")
    before = core.to_numpy(y, "the model")
    core.expect_equal(before.shape, (3, 10), "the output shape of DeepMLP on 3 images of 28 × 28")
    core.expect_probabilities(before, "is the last layer Dense(10, activation='softmax')?")
    _expect_round_trip(model, DeepMLP, x, before)
    default = core.run_learner_code(DeepMLP, what="DeepMLP()")
    hint = "hidden_units=(256, 128) by default, then Dense(10, softmax)"
    what = "the Dense layers' units of DeepMLP() (sorted)"
    core.expect_equal(core.sorted_units(default), [10, 128, 256], what, hint)
    return "DeepMLP: one Dense per hidden unit count, build() creates all 6,404 parameters of DeepMLP((8, 6)) without data, and get_config/.keras round trips keep it identical."


def _built_block(ResnetBlock, what, channels, **kwargs):
    """The learner's block, built on (None, 6, 6, 4), with exactly the article's parameters."""
    block = core.run_learner_code(ResnetBlock, channels, what=what, **kwargs)
    parts = [
        (f"conv1 3×3 4→{channels}", 9 * 4 * channels),
        ("bn1 (4)", 16),
        (f"conv2 3×3 {channels}→{channels}", 9 * channels * channels),
        (f"bn2 ({channels})", 4 * channels),
    ] + ([("down_bn (4)", 16), (f"down_conv 1×1 4→{channels}", 4 * channels)] if kwargs else [])
    expected = sum(n for _, n in parts)
    found = _built(block, what, (None, 6, 6, 4), "block", expected, BLOCK_BUILD)
    if found != expected:
        detail = ", ".join(f"{name}: {n}" for name, n in parts)
        raise NotYet(
            f"{what} on 4 channels: expected {expected} parameters ({detail}; BN counts gamma, beta and the two moving statistics), found {found}. Hint: the article's convolutions have no bias (use_bias=False); bn2 and conv2 see conv1's output; with residual_path=True the shortcut is down_bn then a 1×1 conv"
        )
    return block


def _reference_block(x, k1, k2, kd, strides=2):
    """The article's block at inference, with fresh BatchNormalization layers."""
    import keras

    def bn_relu(t):
        return keras.ops.relu(t / float(np.sqrt(1.0 + BN_EPSILON)))

    branch = keras.ops.conv(bn_relu(x), k1, strides=strides, padding="same")
    branch = keras.ops.conv(bn_relu(branch), k2, strides=1, padding="same")
    return core.to_numpy(branch + keras.ops.conv(bn_relu(x), kd, strides=strides, padding="same"))


def _moves_statistics(block, x):
    """Whether block(x, training=True) moves a BatchNormalization's running mean."""
    means = [w.numpy().copy() for w in block.weights if w.name == "moving_mean"]
    core.run_learner_code(block, x, training=True, what=f"{DOWN}(x, training=True)")
    moved = [w.numpy() for w in block.weights if w.name == "moving_mean"]
    return not all(np.array_equal(a, b) for a, b in zip(moved, means))


def _expect_identity_block(same, x):
    what = "ResnetBlock(4) on a (2, 6, 6, 4) batch"
    y = core.to_numpy(core.run_learner_code(same, x, what=what), "ResnetBlock(4)")
    hint = "with strides=1 and no projection the block keeps the shape"
    core.expect_equal(y.shape, x.shape, f"the output shape of {what}", hint)
    y = core.to_numpy(core.zero_kernels(same)(x), "ResnetBlock(4)")
    if not core.close(y, x, atol=1e-6):
        prefix = "with every convolution kernel set to zero the branch F(x) is 0, so ResnetBlock(4) should return its input; "
        core.diagnose(ZERO_KERNELS, prefix, x=x, y=y)


def _projection_output(down, x):
    try:
        y = core.run_learner_code(down, x, what=f"{DOWN} on a (2, 6, 6, 4) batch")
        return core.to_numpy(y, DOWN)
    except NotYet as problem:
        raise NotYet(
            f"{problem}. Hint: the branch and the shortcut must both come out 3 × 3 × 8 to be added: give `strides` to conv1 and to the 1×1 down_conv only (conv2 keeps stride 1), and `channels` to every conv"
        ) from None


def _expect_functional_blocks(ResnetBlock):
    import keras

    def functional():
        inputs = keras.Input(shape=(6, 6, 4))
        outputs = ResnetBlock(8, strides=2, residual_path=True)(ResnetBlock(4)(inputs))
        return keras.Model(inputs, outputs)

    model = core.run_learner_code(functional, what="two blocks inside a Functional model")
    what = "the output shape of a Functional model with ResnetBlock(4), then ResnetBlock(8, 2, True), on keras.Input((6, 6, 4))"
    core.expect_equal(tuple(model.output.shape), (None, 3, 3, 8), what)
    core.expect_equal(model.count_params(), 1280, "that Functional model's parameters")


@verdict
def resnet_block_layer(ResnetBlock):
    """Exercise 03.4: the article's ResnetBlock as a keras.layers.Layer with a real build.
    ``ResnetBlock(channels, strides=1, residual_path=False)`` must be a Layer whose
    ``build((None, 6, 6, 4))`` creates every parameter (320 for ``ResnetBlock(4)``, 960 for the
    projection block); then the tables ``ZERO_KERNELS`` (with zeroed kernels it returns its input)
    and ``PROJECTION_BLOCK`` (strides, the article's computation, ``training`` reaching
    BatchNormalization); and two blocks must work inside a Functional model. Example::

        checks.resnet_block_layer(ResnetBlock)
    """
    import keras

    core.expect_subclass(ResnetBlock, "keras.layers.Layer", "ResnetBlock")
    if issubclass(ResnetBlock, keras.Model):
        raise NotYet(
            "expected ResnetBlock to subclass keras.layers.Layer, found a keras.Model subclass: the exercise asks for a layer"
        )
    same = _built_block(ResnetBlock, "ResnetBlock(4)", 4)
    down = _built_block(ResnetBlock, DOWN, 8, strides=2, residual_path=True)
    x = core.random_array(2, 6, 6, 4, normal=True)
    _expect_identity_block(same, x)
    y = _projection_output(down, x)
    kernels = {tuple(w.shape): w.numpy() for w in down.weights if len(w.shape) == 4}
    core.diagnose(PROJECTION_BLOCK, block=down, x=x, y=y, kernels=kernels, found=sorted(kernels))
    _expect_functional_blocks(ResnetBlock)
    return "ResnetBlock as a Layer: build() creates all 320 / 960 parameters, F(x) + x with the 1×1 projection and strides, training reaches BN, and it works in a Functional model."
