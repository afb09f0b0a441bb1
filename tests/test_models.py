"""Tests for helpers/models.py: the article's ResNet, ported to Keras 3.

The article's code, verbatim, is helpers/article.py (it uses TensorFlow, as the
article does); the reference version is checked against it, and it against the
lessons that show it.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import ast
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import jupytext
import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras

from helpers import models
from helpers.article import ResNet, ResnetBlock

ROOT = Path(__file__).resolve().parent.parent

PARAMS_2_2_2 = 175_898


def images(n=4, size=28, channels=1, seed=0):
    return np.random.default_rng(seed).random((n, size, size, channels), dtype=np.float32)


def assert_same_outputs(model_a, model_b, x):
    """Same outputs in inference and in training mode (batch statistics)."""
    for training in (False, True):
        np.testing.assert_allclose(
            np.asarray(model_a(x, training=training)),
            np.asarray(model_b(x, training=training)),
            rtol=1e-6,
            atol=1e-6,
            err_msg=f"training={training}",
        )


@pytest.fixture(scope="module")
def resnet():
    """A built ResNet([2, 2, 2], 10); tests must not change its weights."""
    model = models.ResNet([2, 2, 2], 10)
    model.build((None, 28, 28, 1))
    return model


@pytest.fixture(scope="module")
def article_resnet():
    model = ResNet([2, 2, 2], 10)
    model(tf.zeros((1, 28, 28, 1)))
    return model


# ---- Same network as the article ---------------------------------------------


def test_parameter_count_is_175898(resnet, article_resnet):
    assert article_resnet.count_params() == PARAMS_2_2_2
    assert resnet.count_params() == PARAMS_2_2_2
    fresh = models.ResNet([2, 2, 2], 10)
    fresh(np.zeros((1, 28, 28, 1), np.float32))
    assert fresh.count_params() == PARAMS_2_2_2


def test_build_creates_weights_unlike_the_article():
    article = ResNet([2, 2, 2], 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        article.build(input_shape=(None, 28, 28, 1))
    assert len(article.weights) == 0  # the article's surprise under Keras 3
    ours = models.ResNet([2, 2, 2], 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning either
        ours.build(input_shape=(None, 28, 28, 1))
    assert ours.count_params() == PARAMS_2_2_2


def test_weights_line_up_with_the_article(resnet, article_resnet):
    ours = [(tuple(w.shape), w.trainable) for w in resnet.weights]
    theirs = [(tuple(w.shape), w.trainable) for w in article_resnet.weights]
    assert len(ours) == 77
    assert ours == theirs


def test_same_outputs_as_the_article_after_copying_weights():
    article = ResNet([2, 2, 2], 10)
    article(tf.zeros((1, 28, 28, 1)))
    ours = models.ResNet([2, 2, 2], 10)
    ours.build((None, 28, 28, 1))
    ours.set_weights(article.get_weights())
    assert_same_outputs(ours, article, images())
    # Training mode updated BatchNorm's moving statistics the same way.
    for a, b in zip(ours.get_weights(), article.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_same_classes_and_attributes_as_the_article(resnet, article_resnet):
    assert isinstance(resnet, keras.Model)
    for name in ["num_blocks", "block_list", "in_channels", "out_channels"]:
        assert getattr(resnet, name) == getattr(article_resnet, name), name
    for name in ["conv_initial", "final_bn", "avg_pool", "fc"]:
        assert type(getattr(resnet, name)) is type(getattr(article_resnet, name)), name
    assert isinstance(resnet.blocks, keras.Sequential)
    assert resnet.blocks.name == "dynamic-blocks"
    assert len(resnet.blocks.layers) == len(article_resnet.blocks.layers) == 6
    for ours, theirs in zip(resnet.blocks.layers, article_resnet.blocks.layers):
        assert isinstance(ours, models.ResnetBlock)
        assert isinstance(ours, keras.Model)
        for name in ["channels", "strides", "residual_path"]:
            assert getattr(ours, name) == getattr(theirs, name), name
        for name in ["conv1", "bn1", "conv2", "bn2"]:
            assert type(getattr(ours, name)) is type(getattr(theirs, name))
        for name in ["down_conv", "down_bn"]:
            assert hasattr(ours, name) == theirs.residual_path
            assert hasattr(theirs, name) == theirs.residual_path


def test_block_alone_matches_the_article_block():
    article = ResnetBlock(32, strides=2, residual_path=True)
    x = images(n=2, size=8, channels=16)
    article(x)
    ours = models.ResnetBlock(32, strides=2, residual_path=True)
    ours(x)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in article.weights]
    ours.set_weights(article.get_weights())
    assert_same_outputs(ours, article, x)
    assert tuple(ours(x).shape) == (2, 4, 4, 32)


def test_model_takes_other_image_sizes_after_build(resnet):
    assert tuple(resnet(images(n=2, size=32)).shape) == (2, 10)
    assert tuple(resnet(images(n=1, size=4)).shape) == (1, 10)


# helpers.models imports `keras` only; TensorFlow only inside FusedBatchNormalization's
# fused path. Keras's TensorFlow backend (the only one installed) imports TensorFlow itself,
# so the probe records which modules import it and checks that helpers.models is not among
# them until a fused training call needs it.
IMPORT_PROBE = textwrap.dedent(
    """
    import builtins, json, sys
    importers = []
    real_import = builtins.__import__

    def probe(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__name__", "")
        if name.split(".")[0] == "tensorflow" and importer.startswith("helpers"):
            importers.append(importer)
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = probe
    import numpy as np
    import helpers
    import helpers.models as models
    report = {"import": sorted(set(importers)),
              "article": "helpers.article" in sys.modules}
    x = np.ones((2, 8, 8, 1), "float32")
    model = models.ResNet([1, 1], 3, initial_filters=4, fused_batchnorm=True)
    model(x, training=False)
    models.ResNet([1, 1], 3, initial_filters=4)(x, training=True)
    report["keras_paths"] = sorted(set(importers))
    model(x, training=True)
    report["fused_training"] = sorted(set(importers))
    print(json.dumps(report))
    """
)


def test_module_imports_tensorflow_only_for_fused_training():
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {
        "import": [],  # importing helpers and helpers.models imports no TensorFlow of theirs ...
        "article": False,  # ... and not the article's code either
        "keras_paths": [],  # inference, and training with Keras's BatchNormalization: none
        "fused_training": ["helpers.models"],  # the fused kernel: the one place it is used
    }


# ---- The article's code has one home -------------------------------------------


def definitions(source):
    """{name: AST dump} of the top-level functions and classes in Python source."""
    return {
        node.name: ast.dump(node)
        for node in ast.parse(source).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }


def lesson_cells(name):
    """The code cells' sources of notebooks/src/<name>.py."""
    notebook = jupytext.read(ROOT / "notebooks" / "src" / f"{name}.py")
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def lesson_definitions(name):
    """{name: AST dump} of what a lesson's code cells define (the first definition wins)."""
    found = {}
    for source in lesson_cells(name):
        for key, value in definitions(source).items():
            found.setdefault(key, value)
    return found


def test_lessons_show_exactly_the_article_code_in_helpers_article():
    from helpers import article

    ours = definitions(Path(article.__file__).read_text(encoding="utf-8"))
    assert sorted(ours) == sorted(article.__all__) == ["ResNet", "ResnetBlock", "conv3x3"]
    lesson_04, lesson_05 = lesson_definitions("04_resnet_block"), lesson_definitions("05_resnet")
    assert lesson_04["conv3x3"] == ours["conv3x3"]
    assert lesson_04["ResnetBlock"] == ours["ResnetBlock"]
    assert lesson_05["ResNet"] == ours["ResNet"]


def test_batchnorm_layers_is_the_function_notebook_05_writes():
    """helpers.models.batchnorm_layers is notebook 05's, with a longer docstring."""

    def body(source):
        node = next(
            node
            for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and node.name == "batchnorm_layers"
        )
        return [ast.dump(statement) for statement in node.body[1:]]  # after the docstring

    (lesson,) = [s for s in lesson_cells("05_resnet") if "def batchnorm_layers" in s]
    assert body(Path(models.__file__).read_text(encoding="utf-8")) == body(lesson)


# ---- Functional twin -----------------------------------------------------------


def test_functional_twin_equals_resnet(resnet):
    functional = models.build_functional_resnet(
        block_list=(2, 2, 2), num_classes=10, input_shape=(28, 28, 1)
    )
    assert functional.count_params() == PARAMS_2_2_2
    assert [layer.name for layer in functional.layers] == [
        "images",
        "conv_initial",
        "stage0_block0",
        "stage0_block1",
        "stage1_block0",
        "stage1_block1",
        "stage2_block0",
        "stage2_block1",
        "final_bn",
        "final_relu",
        "avg_pool",
        "fc",
    ]
    assert tuple(functional.get_layer("stage2_block1").output.shape) == (None, 7, 7, 64)
    functional.set_weights(resnet.get_weights())
    # training=True changes moving statistics, so compare on fresh copies.
    ours = models.ResNet([2, 2, 2], 10)
    ours.build((None, 28, 28, 1))
    ours.set_weights(resnet.get_weights())
    assert_same_outputs(functional, ours, images())


# ---- Block plan ------------------------------------------------------------------


def step(stage, block, in_channels, channels, strides, residual_path):
    return {
        "stage": stage,
        "block": block,
        "in_channels": in_channels,
        "channels": channels,
        "strides": strides,
        "residual_path": residual_path,
    }


def test_block_plan_for_2_2_2():
    assert models.resnet_block_plan([2, 2, 2]) == [
        step(0, 0, 16, 16, 1, False),
        step(0, 1, 16, 16, 1, False),
        step(1, 0, 16, 32, 2, True),
        step(1, 1, 32, 32, 1, False),
        step(2, 0, 32, 64, 2, True),
        step(2, 1, 64, 64, 1, False),
    ]


def test_block_plan_for_small_lists():
    assert models.resnet_block_plan([1, 1], initial_filters=8) == [
        step(0, 0, 8, 8, 1, False),
        step(1, 0, 8, 16, 2, True),
    ]
    assert models.resnet_block_plan((3,)) == [
        step(0, 0, 16, 16, 1, False),
        step(0, 1, 16, 16, 1, False),
        step(0, 2, 16, 16, 1, False),
    ]


def test_resnet_is_built_from_the_plan():
    model = models.ResNet([1, 3, 2], 5, initial_filters=4)
    plan = models.resnet_block_plan([1, 3, 2], initial_filters=4)
    got = [(b.channels, b.strides, b.residual_path) for b in model.blocks.layers]
    assert got == [(s["channels"], s["strides"], s["residual_path"]) for s in plan]
    article = ResNet([1, 3, 2], 5, initial_filters=4)
    assert got == [(b.channels, b.strides, b.residual_path) for b in article.blocks.layers]
    assert (
        (model.in_channels, model.out_channels)
        == (article.in_channels, article.out_channels)
        == (16, 32)
    )


# ---- Saving ----------------------------------------------------------------------


@pytest.mark.filterwarnings(
    "ignore:__array__ implementation:DeprecationWarning"
)  # inside Keras saving
def test_keras_file_round_trip(resnet, tmp_path):
    path = tmp_path / "resnet.keras"
    resnet.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is models.ResNet
    assert loaded.get_config() == resnet.get_config()
    x = images()
    np.testing.assert_array_equal(resnet.predict(x, verbose=0), loaded.predict(x, verbose=0))


@pytest.mark.filterwarnings(
    "ignore:__array__ implementation:DeprecationWarning"
)  # inside Keras saving
def test_keras_file_round_trip_functional_with_he_init(tmp_path):
    model = models.build_functional_resnet(
        [1, 1], 3, input_shape=(8, 8, 2), initial_filters=4, kernel_initializer="he_normal"
    )
    path = tmp_path / "functional.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = images(n=2, size=8, channels=2)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    block = loaded.get_layer("stage1_block0")
    assert isinstance(block, models.ResnetBlock)
    assert isinstance(block.conv1.kernel_initializer, keras.initializers.HeNormal)


def test_get_config_and_from_config():
    model = models.ResNet((3, 1), 7, initial_filters=8, kernel_initializer="he_normal", name="tiny")
    config = model.get_config()
    assert config["block_list"] == [3, 1]
    assert config["num_classes"] == 7
    assert config["initial_filters"] == 8
    assert config["kernel_initializer"]["class_name"] == "HeNormal"
    copy = models.ResNet.from_config(config)
    assert copy.get_config() == config
    assert copy.name == "tiny"
    copy.build((None, 8, 8, 3))
    model.build((None, 8, 8, 3))
    assert [tuple(w.shape) for w in copy.weights] == [tuple(w.shape) for w in model.weights]

    block = models.ResnetBlock(32, strides=2, residual_path=True)
    config = block.get_config()
    assert {
        k: config[k] for k in ("channels", "strides", "residual_path", "kernel_initializer")
    } == {"channels": 32, "strides": 2, "residual_path": True, "kernel_initializer": None}
    copy = models.ResnetBlock.from_config(config)
    assert (copy.channels, copy.strides, copy.residual_path) == (32, 2, True)
    assert hasattr(copy, "down_conv")


# ---- Initializers ------------------------------------------------------------------


def conv_layers(model):
    return [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.Conv2D)]


def test_default_initializer_is_random_normal_stddev_0_05():
    keras.utils.set_random_seed(1)
    model = models.ResNet([2, 2, 2], 10)
    model.build((None, 28, 28, 1))
    convs = conv_layers(model)
    assert len(convs) == 15
    for conv in convs:
        init = conv.kernel_initializer
        assert isinstance(init, keras.initializers.RandomNormal)
        assert (init.mean, init.stddev) == (0.0, 0.05)
    last_kernel = np.asarray(model.blocks.layers[-1].conv2.kernel)
    assert last_kernel.shape == (3, 3, 64, 64)
    assert abs(last_kernel.mean()) < 0.002
    assert last_kernel.std() == pytest.approx(0.05, rel=0.03)
    # Each conv draws its own values: same-shaped kernels differ.
    block = model.blocks.layers[-1]
    assert not np.allclose(block.conv1.kernel, block.conv2.kernel)


def test_he_initializer_when_asked():
    keras.utils.set_random_seed(1)
    model = models.ResNet([2, 2, 2], 10, kernel_initializer="he_normal")
    model.build((None, 28, 28, 1))
    for conv in conv_layers(model):
        assert isinstance(conv.kernel_initializer, keras.initializers.HeNormal)
    last_kernel = np.asarray(model.blocks.layers[-1].conv2.kernel)
    he_stddev = np.sqrt(2 / (3 * 3 * 64))  # 0.0589
    assert last_kernel.std() == pytest.approx(he_stddev, rel=0.03)
    block = model.blocks.layers[-1]
    assert not np.allclose(block.conv1.kernel, block.conv2.kernel)


def test_conv3x3_is_the_article_convolution():
    conv = models.conv3x3(16)
    assert (conv.filters, conv.kernel_size, conv.strides) == (16, (3, 3), (1, 1))
    assert conv.padding == "same" and conv.use_bias is False
    assert conv.kernel_initializer.stddev == 0.05
    down = models.conv3x3(32, 2, kernel=(1, 1), kernel_initializer="he_normal")
    assert (down.kernel_size, down.strides) == ((1, 1), (2, 2))
    assert isinstance(down.kernel_initializer, keras.initializers.HeNormal)


# ---- Argument errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"block_list": []}, ValueError, r"at least one stage, e\.g\. \[2, 2, 2\]"),
        ({"block_list": 3}, TypeError, r"block_list must be a list or tuple"),
        ({"block_list": "222"}, TypeError, r"block_list must be a list or tuple"),
        ({"block_list": [2, 2.0]}, TypeError, r"block_list\[1\] must be a positive int"),
        ({"block_list": [2, True]}, TypeError, r"block_list\[1\] must be a positive int"),
        ({"block_list": [2, 0]}, ValueError, r"block_list\[1\] must be a positive int.*got 0"),
        ({"block_list": [-1]}, ValueError, r"block_list\[0\] must be a positive int.*got -1"),
        ({"num_classes": 0}, ValueError, r"num_classes must be a positive int.*got 0"),
        ({"num_classes": "10"}, TypeError, r"num_classes must be a positive int"),
        ({"initial_filters": 0}, ValueError, r"initial_filters must be a positive int.*got 0"),
        ({"initial_filters": 16.0}, TypeError, r"initial_filters must be a positive int"),
    ],
)
def test_resnet_argument_errors(kwargs, error, message):
    arguments = {"block_list": [2, 2, 2], "num_classes": 10, **kwargs}
    with pytest.raises(error, match=message):
        models.ResNet(**arguments)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"channels": 0}, ValueError, r"channels must be a positive int.*got 0"),
        ({"channels": -4}, ValueError, r"channels must be a positive int.*got -4"),
        ({"channels": 16.5}, TypeError, r"channels must be a positive int"),
        ({"strides": 0}, ValueError, r"strides must be a positive int.*1 or 2"),
        ({"strides": (2, 2)}, TypeError, r"strides must be a positive int.*1 or 2"),
        ({"residual_path": "yes"}, TypeError, r"residual_path must be True or False"),
    ],
)
def test_block_argument_errors(kwargs, error, message):
    arguments = {"channels": 16, **kwargs}
    with pytest.raises(error, match=message):
        models.ResnetBlock(**arguments)


def test_conv3x3_and_plan_argument_errors():
    with pytest.raises(ValueError, match=r"channels must be a positive int"):
        models.conv3x3(0)
    with pytest.raises(ValueError, match=r"block_list must have at least one"):
        models.resnet_block_plan([])
    with pytest.raises(ValueError, match=r"initial_filters must be a positive"):
        models.resnet_block_plan([2], initial_filters=0)


# ---- Shape errors --------------------------------------------------------------------


@pytest.fixture
def tiny():
    """A small, unbuilt ResNet: two stages, so images need 2x2 or more."""
    return models.ResNet([1, 1], 3, initial_filters=4)


def test_rank_error_at_build_and_call(tiny):
    with pytest.raises(
        ValueError,
        match=r"rank 4, \(batch, height, width, "
        r"channels\).*got shape \(28, 28, 1\) of rank 3",
    ):
        tiny.build((28, 28, 1))
    with pytest.raises(ValueError, match=r"rank 4.*got shape \(2, 28, 28\)"):
        tiny(np.zeros((2, 28, 28), np.float32))
    tiny.build((None, 8, 8, 1))
    with pytest.raises(ValueError, match=r"rank 4.*of rank 3"):
        tiny(np.zeros((8, 8, 1), np.float32))


def test_channel_error_after_build(tiny):
    tiny.build((None, 8, 8, 1))
    with pytest.raises(
        ValueError,
        match=r"built for images with 1 channel"
        r".*got shape \(2, 8, 8, 3\)",
    ):
        tiny(np.zeros((2, 8, 8, 3), np.float32))


def test_channel_error_inside_predict_and_tf_function(tiny):
    tiny.build((None, 8, 8, 1))
    with pytest.raises(ValueError, match=r"built for images with 1 channel"):
        tiny.predict(np.zeros((2, 8, 8, 3), np.float32), verbose=0)
    with pytest.raises(ValueError, match=r"built for images with 1 channel"):
        tf.function(tiny)(tf.zeros((2, 8, 8, 3)))


def test_unknown_channels_cannot_build(tiny):
    with pytest.raises(
        ValueError,
        match=r"number of channels.*\(None, 8, 8, "
        r"None\)",
    ):
        tiny.build((None, 8, 8, None))


def test_image_too_small():
    model = models.ResNet([2, 2, 2], 10)
    message = (
        r"block_list=\[2, 2, 2\] has 2 stride-2 stage\(s\).*at least "
        r"4; got height 3 and width 8"
    )
    with pytest.raises(ValueError, match=message):
        model.build((None, 3, 8, 1))
    with pytest.raises(ValueError, match=message):
        model(np.zeros((1, 3, 8, 1), np.float32))
    model.build((None, 28, 28, 1))
    with pytest.raises(ValueError, match=r"at least 4; got height 2"):
        model(np.zeros((1, 2, 2, 1), np.float32))
    # Unknown sizes pass the static check; a one-stage net takes 1x1 images.
    models.ResNet([2, 2, 2], 10).build((None, None, None, 1))
    one_stage = models.ResNet([1], 2, initial_filters=4)
    assert tuple(one_stage(np.zeros((1, 1, 1, 1), np.float32)).shape) == (1, 2)


def test_block_without_residual_path_needs_matching_input():
    with pytest.raises(
        ValueError,
        match=r"needs 16 channels and strides=1; "
        r"got 8 channels",
    ):
        models.ResnetBlock(16)(np.zeros((1, 8, 8, 8), np.float32))
    with pytest.raises(
        ValueError,
        match=r"needs 16 channels and strides=1; "
        r"got 16 channels and strides=2",
    ):
        models.ResnetBlock(16, strides=2)(np.zeros((1, 8, 8, 16), np.float32))
    block = models.ResnetBlock(16)
    block(np.zeros((1, 8, 8, 16), np.float32))
    with pytest.raises(ValueError, match=r"built for images with 16 channel"):
        block(np.zeros((1, 8, 8, 4), np.float32))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"input_shape": (28, 28)},
            ValueError,
            r"input_shape must be \(height, width, channels\), e\.g\. \(28, 28, 1\)",
        ),
        ({"input_shape": 28}, ValueError, r"input_shape must be \(height, width"),
        ({"input_shape": (3, 3, 1)}, ValueError, r"at least 4; got height 3"),
        ({"input_shape": (28, 28, None)}, ValueError, r"number of channels"),
        ({"num_classes": 0}, ValueError, r"num_classes must be a positive int"),
        ({"block_list": []}, ValueError, r"at least one stage"),
    ],
)
def test_functional_builder_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        models.build_functional_resnet(**kwargs)


# ---- BatchNormalization options: bn_momentum and fused_batchnorm -----------------


batchnorm_layers = models.batchnorm_layers


def test_batchnorm_layers_walks_nested_models_in_order(resnet):
    # Block by block, each block's in attribute order, then final_bn.
    expected = [
        getattr(block, attribute)
        for block in resnet.blocks.layers
        for attribute in ("bn1", "bn2", "down_bn")
        if hasattr(block, attribute)
    ] + [resnet.final_bn]
    assert len(expected) == 15
    assert [id(layer) for layer in batchnorm_layers(resnet)] == [id(layer) for layer in expected]
    # Any depth, any style; subclasses count; other layers and models do not.
    inner = keras.Sequential([keras.layers.Dense(3), models.FusedBatchNormalization()])
    inputs = keras.Input((4,))
    x = keras.layers.BatchNormalization(name="outer_bn")(inputs)
    x = keras.Sequential([inner, keras.layers.BatchNormalization(name="deep_bn")])(x)
    nested = keras.Model(inputs, keras.layers.Dense(2)(x))
    assert [type(layer).__name__ for layer in batchnorm_layers(nested)] == [
        "BatchNormalization",
        "FusedBatchNormalization",
        "BatchNormalization",
    ]
    assert batchnorm_layers(nested)[0].name == "outer_bn"
    assert batchnorm_layers(nested)[2].name == "deep_bn"
    assert batchnorm_layers(keras.Sequential([keras.layers.Dense(2)])) == []


def test_default_batchnorm_is_keras_with_the_article_momentum(resnet):
    layers = batchnorm_layers(resnet)
    assert len(layers) == 15  # 2 in each of the 6 blocks, 2 projections, final_bn
    assert {type(layer) for layer in layers} == {keras.layers.BatchNormalization}
    assert {layer.momentum for layer in layers} == {0.99}
    assert resnet.get_config()["bn_momentum"] == 0.99
    assert resnet.get_config()["fused_batchnorm"] is False


@pytest.mark.filterwarnings(
    "ignore:__array__ implementation:DeprecationWarning"
)  # inside Keras saving
@pytest.mark.parametrize("builder", ["subclassed", "functional"])
def test_bn_options_reach_every_layer_and_survive_saving(builder, tmp_path):
    if builder == "subclassed":
        model = models.ResNet([1, 1], 3, initial_filters=4, bn_momentum=0.9, fused_batchnorm=True)
        model.build((None, 8, 8, 1))
    else:
        model = models.build_functional_resnet(
            [1, 1],
            3,
            input_shape=(8, 8, 1),
            initial_filters=4,
            bn_momentum=0.9,
            fused_batchnorm=True,
        )
    layers = batchnorm_layers(model)
    assert len(layers) == 6
    assert {type(layer) for layer in layers} == {models.FusedBatchNormalization}
    assert {layer.momentum for layer in layers} == {0.9}

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [(type(layer), layer.momentum) for layer in batchnorm_layers(loaded)] == [
        (type(layer), layer.momentum) for layer in layers
    ]
    x = images(n=2, size=8)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def fused_op_count(model, x):
    """How many FusedBatchNormV3 ops a traced training call contains."""
    graph = (
        tf.function(lambda x: model(x, training=True))
        .get_concrete_function(tf.TensorSpec(x.shape, x.dtype))
        .graph
    )
    return sum(op.type == "FusedBatchNormV3" for op in graph.get_operations())


def test_fused_batchnorm_uses_the_fused_kernel_only_in_training():
    fused = models.ResNet([2, 2, 2], 10, fused_batchnorm=True)
    fused.build((None, 28, 28, 1))
    plain = models.ResNet([2, 2, 2], 10)
    plain.build((None, 28, 28, 1))
    x = tf.constant(images())
    assert fused_op_count(fused, x) == 15
    assert fused_op_count(plain, x) == 0
    inference = tf.function(lambda x: fused(x, training=False)).get_concrete_function(x).graph
    assert not any(op.type.startswith("FusedBatchNorm") for op in inference.get_operations())


@pytest.mark.parametrize("shape", [(2, 2, 2, 3), (16, 7, 7, 32)])
def test_fused_layer_gradients_equal_keras(shape):
    """One layer, training: same output, same gradients, same moving statistics."""
    x = tf.constant(np.random.default_rng(0).normal(size=shape).astype("float32"))
    weights = tf.constant(np.random.default_rng(1).normal(size=shape).astype("float32"))
    results = []
    for layer in (
        keras.layers.BatchNormalization(momentum=0.9),
        models.FusedBatchNormalization(momentum=0.9),
    ):
        layer.build(shape)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * weights)
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append([y] + grads + [layer.moving_mean, layer.moving_variance])
    for name, a, b in zip(
        ["y", "d/dx", "d/dgamma", "d/dbeta", "moving mean", "moving variance"], *results
    ):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_fused_resnet_gives_keras_results(policy):
    """The whole network in training mode: same outputs and moving statistics."""
    keras.mixed_precision.set_global_policy(policy)
    try:
        plain = models.ResNet([2, 2, 2], 10, bn_momentum=0.9)
        plain.build((None, 28, 28, 1))
        fused = models.ResNet([2, 2, 2], 10, bn_momentum=0.9, fused_batchnorm=True)
        fused.build((None, 28, 28, 1))
        fused.set_weights(plain.get_weights())
        x = tf.constant(images(n=16))
        # Inference runs Keras's own code in both, so it is identical.
        np.testing.assert_array_equal(fused(x, training=False), plain(x, training=False))
        y_plain = np.asarray(plain(x, training=True), "float32")
        y_fused = np.asarray(fused(x, training=True), "float32")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    tol = 1e-5 if policy == "float32" else 3e-2  # bfloat16 keeps 8 bits
    np.testing.assert_allclose(y_fused, y_plain, rtol=tol, atol=tol)
    for a, b in zip(fused.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    # A real update happened: the last moving variance left its start value 1.
    assert not np.allclose(fused.get_weights()[-3], 1.0)


def test_fused_layer_falls_back_where_it_cannot_fuse():
    bn = models.FusedBatchNormalization(momentum=0.5)
    x = tf.constant(np.arange(12, dtype="float32").reshape(3, 4))  # rank 2: no fused kernel
    y = bn(x, training=True)
    ref = keras.layers.BatchNormalization(momentum=0.5)
    np.testing.assert_allclose(y, ref(x, training=True), rtol=1e-6)
    np.testing.assert_allclose(bn.moving_mean, ref.moving_mean, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"bn_momentum": 1.0}, ValueError, r"bn_momentum must be a number in \[0, 1\).*0\.99"),
        ({"bn_momentum": -0.1}, ValueError, r"bn_momentum must be a number in \[0, 1\)"),
        ({"bn_momentum": "0.9"}, ValueError, r"bn_momentum must be a number.*got '0\.9'"),
        ({"bn_momentum": True}, ValueError, r"bn_momentum must be a number"),
        ({"fused_batchnorm": "yes"}, TypeError, r"fused_batchnorm must be True or False"),
    ],
)
def test_bn_option_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        models.ResNet([2, 2, 2], 10, **kwargs)
    with pytest.raises(error, match=message):
        models.ResnetBlock(16, **kwargs)
    with pytest.raises(error, match=message):
        models.build_functional_resnet(**kwargs)
