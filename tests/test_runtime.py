"""helpers.runtime: profiles, seeding, quiet start-up."""

import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import runtime

ROOT = Path(__file__).resolve().parent.parent


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


def run_child(code, **env):
    """Run ``code`` in a fresh Python with ``env`` (None removes a variable); return stdout, stderr."""
    child_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    child_env.update(env)
    child_env = {k: v for k, v in child_env.items() if v is not None}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, result.stderr


def test_setup_on_jax_prints_jax_and_never_imports_tensorflow():
    code = """
import json, sys, tempfile
import helpers
cfg = helpers.setup(seed=3, backend="jax")
import jax, keras

def draw():
    layer = keras.layers.Dense(4)
    layer.build((None, 3))
    return keras.random.normal((3,)).tolist() + layer.kernel.numpy().ravel().tolist()

first = draw()
helpers.runtime.seed_everything(3)
again = draw()
helpers.runtime.seed_everything(4)
found = {"jax": jax.__version__, "devices": len(jax.devices()), "keras": keras.__version__,
         "kind": jax.devices()[0].platform, "tf": "tensorflow" in sys.modules,
         "same": first == again, "other": first == draw()}
# Keras's saving code imports TensorFlow when it is installed: quietly, after setup().
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
with tempfile.TemporaryDirectory() as folder:
    model.save(f"{folder}/m.keras")
    found["reloaded"] = keras.saving.load_model(f"{folder}/m.keras").count_params()
found["tf_after_save"] = "tensorflow" in sys.modules
print(json.dumps(found))
"""
    out, err = run_child(code, KERAS_BACKEND=None)
    lines = out.splitlines()
    found = json.loads(lines[-1])
    n = found["devices"]
    expected = f"JAX {found['jax']} ({n} CPU device{'s' if n != 1 else ''})"
    assert (
        found["kind"] == "cpu" and lines[0] == f"{expected} | Keras {found['keras']} (backend: jax)"
    )
    assert lines[1] == "Profile: class (the committed sample, minutes on a laptop CPU) | seed: 3"
    assert found["tf"] is False, "setup(backend='jax') imported TensorFlow"
    assert found["same"] is True and found["other"] is False  # seeded, and by the seed
    assert found["reloaded"] == 8 and found["tf_after_save"] is True
    assert err == "", err  # TensorFlow's C++ start-up lines included


def test_backend_is_the_argument_else_keras_backend_else_tensorflow():
    assert runtime.backend_from_env(None, {}) == "tensorflow"
    assert runtime.backend_from_env(None, {"KERAS_BACKEND": " "}) == "tensorflow"
    assert runtime.backend_from_env(None, {"KERAS_BACKEND": "jax"}) == "jax"
    assert runtime.backend_from_env("tensorflow", {"KERAS_BACKEND": "jax"}) == "tensorflow"
    # ... and setup() hands it to Keras: here $KERAS_BACKEND=jax, in a fresh process.
    code = (
        "import os, helpers; helpers.setup(verbose=False); import keras;"
        "print(keras.backend.backend(), os.environ['KERAS_BACKEND'])"
    )
    out, _ = run_child(code, KERAS_BACKEND="jax")
    assert out.split() == ["jax", "jax"]


def test_switching_backend_after_keras_is_imported_is_a_clear_error():
    code = """
import keras, helpers
helpers.setup(backend="jax", verbose=False)   # the backend already loaded: fine
try:
    helpers.setup(backend="tensorflow", verbose=False)
except ValueError as err:
    print(err)
"""
    out, _ = run_child(code, KERAS_BACKEND="jax")
    for part in (
        "Keras is already imported with the 'jax' backend",
        "Keras reads KERAS_BACKEND once, when it is first imported",
        "Restart the kernel",
        "helpers.setup(backend='tensorflow') before anything imports keras",
        "keras.config.set_backend",
    ):
        assert part in out, out


def test_unknown_backend_names_the_valid_ones(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    with pytest.raises(
        ValueError, match=r"backend='pytorch' is not a Keras backend.*'tensorflow'.*'jax'"
    ):
        runtime.setup(backend="pytorch")
    assert os.environ["KERAS_BACKEND"] == "tensorflow"  # nothing changed
    with pytest.raises(ValueError, match=r"KERAS_BACKEND='numpy' is not a Keras backend"):
        runtime.backend_from_env(environ={"KERAS_BACKEND": "numpy"})
    assert runtime.backend_from_env(" JAX ") == "jax"


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="PyTorch is installed")
def test_torch_backend_without_pytorch_says_how_to_install_it():
    code = """
import helpers
try:
    helpers.setup(backend="torch")
except ImportError as err:
    print(err)
"""
    out, _ = run_child(code, KERAS_BACKEND=None)
    assert "the 'torch' Keras backend needs the 'torch' package, which is not installed" in out
    assert "pip install torch" in out
