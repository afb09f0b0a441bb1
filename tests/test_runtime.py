"""helpers.runtime: profiles, seeding, quiet start-up."""

import os
import random
import subprocess
import sys

import numpy as np
import pytest

from helpers import runtime


def test_profile_defaults_to_class():
    assert runtime.profile_from_env({}) == "class"
    assert runtime.profile_from_env({"KERAS_MODELS_PROFILE": ""}) == "class"
    assert runtime.profile_from_env({"KERAS_MODELS_PROFILE": " Full "}) == "full"


def test_unknown_profile_names_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"KERAS_MODELS_PROFILE='gpu' is not a profile.*'class'.*'full'"
    ):
        runtime.profile_from_env({"KERAS_MODELS_PROFILE": "gpu"})


def test_profile_pick_takes_named_values():
    assert runtime.Profile("class", 1).pick(class_=3, full=30) == 3
    assert runtime.Profile("full", 1).pick(class_=3, full=30) == 30
    with pytest.raises(TypeError):
        runtime.Profile("class", 1).pick(3, 30)  # positional: which one is which?


def test_setup_returns_profile_and_prints_versions(capsys, monkeypatch):
    monkeypatch.delenv("KERAS_MODELS_PROFILE", raising=False)
    cfg = runtime.setup(seed=7)
    out = capsys.readouterr().out
    assert cfg == runtime.Profile("class", 7)
    import keras
    import tensorflow as tf

    assert f"TensorFlow {tf.__version__}" in out and f"Keras {keras.__version__}" in out
    assert "backend: tensorflow" in out and "Profile: class" in out and "seed: 7" in out


def test_full_profile_without_data_is_a_clear_error(monkeypatch, tmp_path):
    from helpers import data

    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "none"))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("KERAS_MODELS_PROFILE", "full")
    assert runtime.setup(verbose=False).name == "full"
    with pytest.raises(data.MissingDataError, match="full Fashion-MNIST dataset was not found"):
        data.load_fashion_mnist()


def test_seeding_repeats_python_numpy_and_keras_randomness():
    import keras

    def draw():
        runtime.seed_everything(123)
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return (
            random.random(),
            np.random.rand(3).tolist(),
            keras.random.normal((3,), seed=None).numpy().tolist(),
            layer.kernel.numpy().tolist(),
        )

    first, second = draw(), draw()
    assert first == second
    runtime.seed_everything(124)
    assert random.random() != first[0]


def test_seeding_makes_training_repeatable():
    import keras

    def train():
        runtime.seed_everything(0)
        x = np.random.rand(64, 8).astype("float32")
        y = (x.sum(axis=1) > 4).astype("int32")
        model = keras.Sequential(
            [
                keras.Input((8,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(2),
            ]
        )
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, epochs=2, batch_size=16, shuffle=True, verbose=0)
        return model.predict(x, verbose=0)

    assert np.array_equal(train(), train())


def test_tensorflow_starts_quietly_in_a_fresh_process():
    """TensorFlow's C++ start-up lines must not reach stderr (Jupyter would show them)."""
    code = (
        "import helpers; helpers.setup(); import keras, numpy as np;"
        "m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]);"
        "m.compile('sgd', 'mse'); m.fit(np.zeros((4, 2)), np.zeros(4), verbose=0);"
        "from tensorflow.python.util import _pywrap_util_port;"
        "print('oneDNN on:', _pywrap_util_port.IsMklEnabled())"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
    }
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    assert "TensorFlow" in result.stdout
    # Quiet, but not by turning oneDNN off (TF_ENABLE_ONEDNN_OPTS=0 costs ~3x speed).
    assert "oneDNN on: True" in result.stdout, result.stdout
