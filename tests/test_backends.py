"""helpers.backends, and the series' models on TensorFlow and JAX: same numbers, portable files.

One child process per backend (Keras picks its backend once per process): the
TensorFlow child saves weights and a trained ``.keras`` file, the JAX child loads
them and saves its own, and this (TensorFlow) process loads that one.
"""

import os
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers.backends import run_on_backend, training_costs
from helpers.models import batchnorm_layers

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5

# Runs in each child, in the folder $CHECK_DIR. The TensorFlow child runs first and writes the
# weights and tensorflow.keras; the JAX child reads them and writes jax.keras. The JAX child
# cannot import TensorFlow, as on a machine with JAX alone (Keras's saving code would import it).
# TensorFlow's file has the fused kernel and momentum 0.9; JAX's, the defaults: the model
# training_costs trains, so the costs test finds that training step in JAX's compilation cache.
CHILD = """
import os, sys
import numpy as np

if os.environ["KERAS_BACKEND"] == "jax":
    sys.modules["tensorflow"] = None
import helpers

helpers.setup(seed=0, verbose=False)
import keras
from helpers.models import ResNet, ResnetBlock, batchnorm_layers, build_functional_resnet

folder, backend = os.environ["CHECK_DIR"], keras.backend.backend()
images = np.random.default_rng(1).uniform(size=(16, 28, 28, 1)).astype("float32")
labels = (np.arange(16) % 10).astype("int32")
features = np.random.default_rng(2).normal(size=(16, 28, 28, 16)).astype("float32")
models = {
    "resnet": (ResNet([2, 2, 2], 10), images),
    "block": (ResnetBlock(32, strides=2, residual_path=True), features),
    "functional": (build_functional_resnet([2, 2, 2], 10), images),
}
out = {}
for name, (model, x) in models.items():
    model.build(x.shape)
    path = f"{folder}/{name}.weights.h5"
    model.save_weights(path) if backend == "tensorflow" else model.load_weights(path)
    out[name] = keras.ops.convert_to_numpy(model(x, training=False))
    out[name + "_training"] = keras.ops.convert_to_numpy(model(x, training=True))

if backend == "jax":  # the file TensorFlow trained and saved
    loaded = keras.saving.load_model(f"{folder}/tensorflow.keras")
    out["loaded"] = keras.ops.convert_to_numpy(loaded(images, training=False))
    out["loaded_config"] = np.array(
        [loaded.get_config()["bn_momentum"], loaded.get_config()["fused_batchnorm"]]
    )
options = {"bn_momentum": 0.9, "fused_batchnorm": True} if backend == "tensorflow" else {}
model = ResNet([2, 2, 2], 10, **options)
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
model.compile(optimizer="adam", loss=loss)
model.fit(images, labels, batch_size=16, epochs=1, shuffle=False, verbose=0)
out["moving_mean"] = keras.ops.convert_to_numpy(batchnorm_layers(model)[0].moving_mean)
out["trained"] = keras.ops.convert_to_numpy(model(images, training=False))
model.save(f"{folder}/{backend}.keras")
np.savez(f"{folder}/{backend}.npz", **out)
"""


@pytest.fixture(scope="module")
def jax_cache(tmp_path_factory):
    """Environment variables that give the JAX children one compilation cache (faster tests)."""
    return {
        "JAX_COMPILATION_CACHE_DIR": str(tmp_path_factory.mktemp("jax-cache")),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory, jax_cache):
    """Both children run once: {backend: their outputs}, and the folder with their files."""
    folder = tmp_path_factory.mktemp("backends")
    for backend in ("tensorflow", "jax"):
        run_on_backend(backend, CHILD, timeout=300, env={"CHECK_DIR": str(folder), **jax_cache})
    return {b: dict(np.load(folder / f"{b}.npz")) for b in ("tensorflow", "jax")}, folder


@pytest.mark.parametrize("name", ["resnet", "block", "functional"])
@pytest.mark.parametrize("mode", ["", "_training"])
def test_same_weights_give_the_same_outputs_on_tensorflow_and_jax(runs, name, mode):
    outputs, _ = runs
    tf_out, jax_out = outputs["tensorflow"][name + mode], outputs["jax"][name + mode]
    assert tf_out.shape == jax_out.shape and np.abs(tf_out).max() > 1e-3
    assert np.abs(tf_out - jax_out).max() <= TOLERANCE, np.abs(tf_out - jax_out).max()


def test_keras_file_trained_on_tensorflow_predicts_the_same_on_jax(runs):
    outputs, _ = runs
    tf_run, jax_run = outputs["tensorflow"], outputs["jax"]
    # One training step moved the moving statistics (momentum 0.9) away from their start.
    assert np.abs(tf_run["moving_mean"]).max() > 1e-3
    assert jax_run["loaded_config"].tolist() == [0.9, 1.0]  # bn_momentum, fused_batchnorm
    diff = np.abs(tf_run["trained"] - jax_run["loaded"]).max()
    assert diff <= TOLERANCE, diff


# The file remembers compile(jit_compile=True) from JAX; under op determinism TensorFlow says it
# proceeds without XLA. Expected here, and what a learner sees when loading such a file.
@pytest.mark.filterwarnings("ignore:Model doesn't support `jit_compile=True`:UserWarning")
def test_keras_file_trained_on_jax_predicts_the_same_on_tensorflow(runs):
    outputs, folder = runs
    assert keras.backend.backend() == "tensorflow"
    loaded = keras.saving.load_model(folder / "jax.keras")
    layers = batchnorm_layers(loaded)
    assert len(layers) == 15 and all(layer.momentum == 0.99 for layer in layers)
    assert np.abs(layers[0].moving_mean.numpy()).max() > 1e-3
    images = np.random.default_rng(1).uniform(size=(16, 28, 28, 1)).astype("float32")
    diff = np.abs(loaded(images, training=False).numpy() - outputs["jax"]["trained"]).max()
    assert diff <= TOLERANCE, diff


def test_run_on_backend_returns_stdout_and_sets_the_backend():
    code = (
        "import os; print(os.environ['KERAS_BACKEND'], os.environ['PYTHONHASHSEED'], os.getcwd())"
    )
    out = run_on_backend("jax", code, env={"KERAS_BACKEND": "torch", "PYTHONHASHSEED": "5"})
    assert out.split() == ["jax", "5", str(ROOT)]


def test_run_on_backend_failure_names_the_backend_and_ends_with_the_error():
    code = "import sys\nfor i in range(100): print('noise', i, file=sys.stderr)\nraise KeyError('boom')"
    with pytest.raises(RuntimeError) as err:
        run_on_backend("jax", code)
    message = str(err.value)
    assert "'jax' backend failed (exit status 1)" in message
    assert message.rstrip().endswith("KeyError: 'boom'")
    assert "noise 99" in message and "noise 80" not in message  # the last lines only


def test_run_on_backend_stops_a_child_that_runs_too_long():
    with pytest.raises(RuntimeError, match=r"'tensorflow' backend did not finish within 1 s"):
        run_on_backend("tensorflow", "import time; time.sleep(30)", timeout=1)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: run_on_backend("pytorch", "pass"), ValueError, "backend='pytorch' is not a"),
        (lambda: run_on_backend(None, "pass"), TypeError, "backend must be a backend name"),
        (lambda: run_on_backend("jax", ["pass"]), TypeError, "code must be Python source"),
        (lambda: training_costs("jax", fused_batchnorm=True), ValueError, "needs the 'tensorfl"),
        (lambda: training_costs("jax", steps=6), ValueError, "steps must be an int >= 7"),
        (lambda: training_costs("jax", batch_size=0), ValueError, "batch_size must be an int"),
    ],
)
def test_bad_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_training_costs_reports_positive_figures(runs, jax_cache, monkeypatch):
    for name, value in jax_cache.items():  # after `runs`: its compiled steps are in the cache
        monkeypatch.setenv(name, value)
    costs = training_costs("jax", batch_size=16, steps=7)
    assert set(costs) == {"backend", "first_step_s", "step_ms", "peak_rss_mb", "images_per_s"}
    assert costs["backend"] == "jax"
    assert costs["first_step_s"] > 0 and costs["step_ms"] > 0
    assert costs["images_per_s"] == pytest.approx(16 / (costs["step_ms"] / 1000))
    assert 100 < costs["peak_rss_mb"] < 20_000
    assert os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"  # ours is untouched
