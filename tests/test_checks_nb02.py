"""Notebook 02's checkers accept other right answers and reject each common mistake.

The worked solutions themselves are run by tests/test_checks.py. The builders below make a
right answer by default (written another way than the solution), so each mistake changes
one thing in a right answer, and the test says which message it must get.
"""

import re

import keras
import pytest
from keras import layers

from helpers import checks


def verdict_of(checker, answer, capsys):
    passed = checker(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    return bool(passed), out


def expect(checker, answer, message, capsys):
    """``message`` None: the answer passes; otherwise it fails with a line matching ``message``."""
    passed, out = verdict_of(checker, answer, capsys)
    assert passed == (message is None), out
    if message is None:
        assert out.startswith("✅ "), out
    else:
        assert out.startswith("❌ Not yet: "), out
        assert re.search(message, out), out


# --- Exercise 1: the article's network for 64 features ---------------------------------------


def article_mlp(
    n_features=64,
    units=(256, 512, 128, 64),
    last="softmax",
    optimizer="default",
    loss="categorical_crossentropy",
    metrics=("accuracy",),
    compile=True,
    sequential=False,
):
    if sequential:
        model = keras.Sequential(
            [keras.Input(shape=(n_features,))]
            + [layers.Dense(u, activation="relu") for u in units]
            + [layers.Dense(10, activation=last)]
        )
    else:
        inputs = keras.Input(shape=(n_features,))
        x = inputs
        for u in units:
            x = layers.Dense(u, activation="relu")(x)
        model = keras.Model(inputs, layers.Dense(10, activation=last)(x))
    if compile:
        optimizer = (
            keras.optimizers.RMSprop(learning_rate=0.001) if optimizer == "default" else optimizer
        )
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def tf1_optimizer():
    import tensorflow as tf

    model = article_mlp(compile=False)
    model.compile(optimizer=tf.train.RMSPropOptimizer(0.001), loss="categorical_crossentropy")
    return model


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda: article_mlp(sequential=True, optimizer="rmsprop"), None),
        (
            lambda: article_mlp(
                loss=keras.losses.CategoricalCrossentropy(),
                metrics=[keras.metrics.CategoricalAccuracy()],
            ),
            None,
        ),
        (tf1_optimizer, r"build_article_mlp_64\(\) raised AttributeError: .*RMSPropOptimizer"),
        (
            lambda: article_mlp(n_features=128),
            r"the input shape: expected \(None, 64\), found \(None, 128\)",
        ),
        (
            lambda: article_mlp(units=(256, 128, 64)),
            r"units, in order: expected \[256, 512, 128, 64, 10\], found \[256, 128, 64, 10\]",
        ),
        (lambda: article_mlp(last="relu"), "the Dense layers' activations: expected"),
        (lambda: article_mlp(compile=False), "the model is not compiled; expected model.compile"),
        (lambda: article_mlp(optimizer="adam"), "the optimizer: expected RMSprop, found Adam"),
        (
            lambda: article_mlp(optimizer=keras.optimizers.RMSprop(learning_rate=0.01)),
            "the learning rate: expected 0.001, found 0.01",
        ),
        (
            lambda: article_mlp(loss="sparse_categorical_crossentropy"),
            "the loss: expected categorical_crossentropy, found sparse_categorical_crossentropy.*one-hot",
        ),
        (lambda: article_mlp(metrics=()), r"the metrics: expected \['accuracy'\], found \[\]"),
    ],
)
def test_article_mlp_64(capsys, answer, message):
    expect(checks.article_mlp_64, answer, message, capsys)


# --- Exercise 2: two heads, one input ----------------------------------------------------------


def two_heads(
    histogram=False,
    input_name="image",
    names=("clothing_class", "footwear"),
    footwear=(1, "sigmoid"),
    as_dict=True,
    compile=True,
    loss="default",
):
    image = keras.Input(shape=(28, 28), name=input_name)
    x = layers.Dense(128, activation="relu")(layers.Flatten()(image))
    inputs = image
    if histogram:
        hist = keras.Input(shape=(16,), name="histogram")
        x = layers.Concatenate()([x, layers.Dense(16, activation="relu")(hist)])
        inputs = {"image": image, "histogram": hist}
    trunk = layers.Dense(64, activation="relu")(x)
    outputs = [
        layers.Dense(10, activation="softmax", name=names[0])(trunk),
        layers.Dense(footwear[0], activation=footwear[1], name=names[1])(trunk),
    ]
    if as_dict:
        outputs = dict(zip(names, outputs))
    model = keras.Model(inputs, outputs)
    if compile:
        if loss == "default":
            loss = {
                "clothing_class": "sparse_categorical_crossentropy",
                "footwear": "binary_crossentropy",
            }
        model.compile(optimizer="rmsprop", loss=loss, metrics=None)
    return model


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            lambda: two_heads(
                as_dict=False, loss=["sparse_categorical_crossentropy", "binary_crossentropy"]
            ),
            None,
        ),
        (
            lambda: two_heads(
                loss={
                    "clothing_class": keras.losses.CategoricalCrossentropy(),
                    "footwear": keras.losses.BinaryCrossentropy(),
                }
            ),
            None,
        ),
        (
            lambda: two_heads(histogram=True),
            r"expected one input, 'image', found 2: \[.*'histogram'.*\]\. Hint: drop the histogram input",
        ),
        (
            lambda: two_heads(input_name="picture"),
            "the input's name: expected image, found picture",
        ),
        (
            lambda: two_heads(names=("classes", "shoe"), loss=None, compile=False),
            r"the output names: expected \['clothing_class', 'footwear'\], found \['classes', 'shoe'\]",
        ),
        (
            lambda: two_heads(footwear=(2, "softmax")),
            r"the shape of output 'footwear': expected \(None, 1\), found \(None, 2\)",
        ),
        (lambda: two_heads(footwear=(1, "softmax")), "a softmax over one unit always gives 1"),
        (lambda: two_heads(compile=False), "the model is not compiled"),
        (
            lambda: two_heads(loss="binary_crossentropy"),
            "expected one loss per output, found a single loss, 'binary_crossentropy'",
        ),
        (
            lambda: two_heads(loss={"clothing_class": "sparse_categorical_crossentropy"}),
            r"expected a loss for each output, found none for \['footwear'\]",
        ),
        (
            lambda: two_heads(
                loss={"clothing_class": "sparse_categorical_crossentropy", "footwear": None}
            ),
            r"found none for \['footwear'\]",
        ),
        (
            lambda: two_heads(
                loss={
                    "clothing_class": "sparse_categorical_crossentropy",
                    "shoe": "binary_crossentropy",
                }
            ),
            r"loss has keys \['shoe'\] but the model has no output by that name",
        ),
        (
            lambda: two_heads(as_dict=False, loss=["sparse_categorical_crossentropy"]),
            "expected one loss per output \\(2\\), found a list of 1",
        ),
        (
            lambda: two_heads(
                loss={
                    "clothing_class": "sparse_categorical_crossentropy",
                    "footwear": "sparse_categorical_crossentropy",
                }
            ),
            "the loss for 'footwear': expected 'binary_crossentropy', found 'sparse_categorical_crossentropy'",
        ),
        (
            lambda: two_heads(loss={"clothing_class": "mse", "footwear": "binary_crossentropy"}),
            "the loss for 'clothing_class': expected 'sparse_categorical_crossentropy', found 'mse'",
        ),
    ],
)
def test_image_only_two_heads(capsys, answer, message):
    expect(checks.image_only_two_heads, answer, message, capsys)


# --- Exercise 3: a second residual block -------------------------------------------------------


def block(x, n_dense=2):
    y = x
    for i in range(n_dense):
        y = layers.Dense(64, activation="relu" if i < n_dense - 1 else None)(y)
    return layers.Activation("relu")(layers.Add()([x, y]))


def residual(n_blocks=2, n_dense=2, last="softmax", extra=False):
    image = keras.Input(shape=(28, 28), name="image")
    x = layers.Dense(64, activation="relu")(layers.Flatten()(image))
    for _ in range(n_blocks):
        x = block(x, n_dense)
    if extra:
        x = layers.Dense(64, activation="relu")(x)
    return keras.Model(image, layers.Dense(10, activation=last)(x))


def residual_with(second_block):
    """dense_in, a right first block, then ``second_block(dense_in_output, first_block_output)``."""
    image = keras.Input(shape=(28, 28), name="image")
    x0 = layers.Dense(64, activation="relu")(layers.Flatten()(image))
    x1 = block(x0)
    return keras.Model(image, layers.Dense(10, activation="softmax")(second_block(x0, x1)))


def self_added(x0, x1):
    y = layers.Dense(64)(layers.Dense(64, activation="relu")(x1))
    return layers.Activation("relu")(layers.Add()([y, y]))


def parallel_branches(x0, x1):
    left = layers.Dense(64, activation="relu")(x1)
    right = layers.Dense(64)(x1)
    return layers.Add()([left, right])


def skip_from_dense_in(x0, x1):
    y = layers.Dense(64)(layers.Dense(64, activation="relu")(x1))
    return layers.Activation("relu")(layers.Add()([x0, y]))


def side_by_side(x0, x1):
    return layers.Average()([x1, block(x0)])


def nested_blocks():
    """Each block a small keras.Model of its own (a right answer, written another way)."""

    def block_model():
        x = keras.Input(shape=(64,))
        return keras.Model(x, block(x))

    image = keras.Input(shape=(28, 28), name="image")
    x = layers.Dense(64, activation="relu")(layers.Flatten()(image))
    x = block_model()(block_model()(x))
    return keras.Model(image, layers.Dense(10, activation="softmax")(x))


def sequential_shaped():
    return keras.Sequential(
        [keras.Input(shape=(28, 28)), layers.Flatten()]
        + [layers.Dense(64, activation="relu") for _ in range(5)]
        + [layers.Dense(10, activation="softmax")]
    )


@pytest.mark.parametrize(
    "answer, message",
    [
        (residual, None),  # the solution's model, built by a loop instead of a helper
        (nested_blocks, None),
        (
            sequential_shaped,
            r"the number of Add layers: expected 2, found 0\. Hint: .*as in Sequential",
        ),
        (
            lambda: residual(n_blocks=1),
            "the number of Add layers: expected 2, found 1. Hint: .*add a second block",
        ),
        (
            lambda: residual_with(self_added),
            "is not a skip connection: .*found a tensor added to itself",
        ),
        (
            lambda: residual_with(parallel_branches),
            "is not a skip connection: .*found two tensors, neither computed from the other",
        ),
        (
            lambda: residual_with(skip_from_dense_in),
            r"skips over the Dense layers \[64, 64, 64, 64\]; expected \[64, 64\]",
        ),
        (lambda: residual(n_dense=1), r"skips over the Dense layers \[64\]; expected \[64, 64\]"),
        (lambda: residual_with(side_by_side), "the two blocks are side by side"),
        (lambda: residual(extra=True), "the number of parameters: expected 67,530, found 71,690"),
        (lambda: residual(last=None), "probabilities summing to 1"),
    ],
)
def test_two_block_residual(capsys, answer, message):
    expect(checks.two_block_residual, answer, message, capsys)


# --- Exercise 4: a projection shortcut ---------------------------------------------------------


def projection(
    skip="projection",
    relu=True,
    bias=True,
    order="skip_first",
    main_out=32,
    extra=False,
    n_inputs=64,
):
    inputs = keras.Input(shape=(n_inputs,))
    h = layers.Dense(32, activation="relu")(inputs)
    y = layers.Dense(main_out)(h)
    if skip == "projection":
        s = layers.Dense(32, use_bias=bias)(inputs)
    elif skip == "two_dense":
        s = layers.Dense(32)(layers.Dense(32)(inputs))
    elif skip == "from_main":
        s = h
    else:  # no projection
        s = inputs
    y = layers.Add()([s, y] if order == "skip_first" else [y, s])
    if relu:
        y = layers.ReLU()(y)
    if extra:
        y = layers.Dense(32, activation="relu")(y)
    return keras.Model(inputs, y)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda: projection(order="main_first"), None),
        (
            lambda: projection(skip="none"),
            r"raised ValueError: Inputs have incompatible shapes.*Hint: Add needs two tensors of the same "
            r"shape; pass the skip through its own Dense\(32\)",
        ),
        (
            lambda: projection(skip="none", main_out=64),
            r"the output shape: expected \(None, 32\), found \(None, 64\)",
        ),
        (
            lambda: projection(n_inputs=32),
            r"the input shape: expected \(None, 64\), found \(None, 32\)",
        ),
        (lambda: projection(skip="from_main"), "one input of Add is computed from the other"),
        (
            lambda: projection(skip="two_dense"),
            r"the Dense layers on the skip path: expected \[32\], found \[32, 32\]",
        ),
        (lambda: projection(relu=False), "negative values; expected it to finish with a ReLU"),
        (lambda: projection(bias=False), "the number of parameters: expected 5,216, found 5,184"),
        (lambda: projection(extra=True), "the number of parameters: expected 5,216, found 6,272"),
    ],
)
def test_projection_block(capsys, answer, message):
    expect(checks.projection_block, answer, message, capsys)
