"""Saving the reference ResNet: a `.keras` round trip in a fresh process, weights-only files.

Notebook 07 teaches these round trips; these tests prove them for
``helpers.models.ResNet``. The model gets non-initial values in every variable
(BatchNormalization's moving statistics included), so a round trip that lost
any of them would change the outputs. Outputs are compared bit for bit.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from helpers import models

# Keras's own saving code converts variables with np.array(); NumPy 2 warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

ROOT = Path(__file__).resolve().parent.parent
INPUT_SHAPE = (None, 28, 28, 1)

# Run in a fresh interpreter: argv = model file, images .npy, outputs .npy.
# It first tries to load before the module that registers ResNet is imported.
FRESH_PROCESS = """
import json, sys
import numpy as np
import helpers
helpers.setup(verbose=False)
import keras
try:
    keras.models.load_model(sys.argv[1])
    print(json.dumps({"error_without_import": None}))
except TypeError as err:
    print(json.dumps({"error_without_import": str(err)}))
import helpers.models
model = keras.models.load_model(sys.argv[1])
outputs = keras.ops.convert_to_numpy(model(np.load(sys.argv[2]), training=False))
np.save(sys.argv[3], outputs)
print(json.dumps({"class": f"{type(model).__module__}.{type(model).__name__}",
                  "config": model.get_config(), "params": model.count_params()}))
"""


def perturbed_resnet(seed=7):
    """A built ResNet([2, 2, 2], 10) whose every variable holds a random, non-initial value."""
    keras.utils.set_random_seed(seed)
    model = models.ResNet([2, 2, 2], num_classes=10)
    model.build(INPUT_SHAPE)
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if "moving_variance" in variable.path:
            value = rng.uniform(0.5, 1.5, variable.shape)
        else:
            value = rng.normal(0.0, 0.1, variable.shape)
        variable.assign(value.astype("float32"))
    return model


@pytest.fixture(scope="module")
def model():
    return perturbed_resnet()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)


def outputs_of(model, images):
    return keras.ops.convert_to_numpy(model(images, training=False))


def test_keras_file_round_trip_in_a_fresh_process(model, images, tmp_path):
    model_path = tmp_path / "resnet.keras"
    model.save(model_path)
    np.save(tmp_path / "images.npy", images)
    with zipfile.ZipFile(model_path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        saved = json.loads(archive.read("config.json"))
    assert saved["registered_name"] == "keras_models>ResNet"
    assert saved["config"]["block_list"] == [2, 2, 2] and saved["config"]["num_classes"] == 10

    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            FRESH_PROCESS,
            str(model_path),
            str(tmp_path / "images.npy"),
            str(tmp_path / "outputs.npy"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    before_import, after_import = lines

    # Without `import helpers.models` the class is not registered: the real Keras error.
    assert before_import["error_without_import"].startswith("Could not locate class 'ResNet'")
    # With it, the same class, configuration and parameters come back ...
    assert after_import["class"] == "helpers.models.ResNet"
    assert after_import["config"] == json.loads(json.dumps(model.get_config()))
    assert after_import["params"] == model.count_params() == 175_898
    # ... and the same outputs, bit for bit.
    fresh = np.load(tmp_path / "outputs.npy")
    assert fresh.shape == (8, 10)
    assert np.array_equal(fresh, outputs_of(model, images))


def test_weights_only_round_trip(model, images, tmp_path):
    path = tmp_path / "resnet.weights.h5"
    model.save_weights(path)
    restored = models.ResNet([2, 2, 2], num_classes=10)
    restored.build(INPUT_SHAPE)
    restored.load_weights(path)
    # Variables are matched by attribute path, so they come back in the same order.
    assert len(restored.weights) == len(model.weights)
    for mine, theirs in zip(restored.weights, model.weights):
        assert mine.name == theirs.name
        assert np.array_equal(mine.numpy(), theirs.numpy())
    assert np.array_equal(outputs_of(restored, images), outputs_of(model, images))


def test_loading_weights_into_an_unbuilt_model_fails_clearly(model, tmp_path):
    path = tmp_path / "resnet.weights.h5"
    model.save_weights(path)
    unbuilt = models.ResNet([2, 2, 2], num_classes=10)
    with pytest.raises(ValueError, match="has not yet been built"):
        unbuilt.load_weights(path)


def test_loading_weights_into_another_architecture_fails(model, tmp_path):
    path = tmp_path / "resnet.weights.h5"
    model.save_weights(path)
    smaller = models.ResNet([1, 1, 1], num_classes=10)
    smaller.build(INPUT_SHAPE)
    # Weights are matched by attribute path: the smaller model's layers find none of theirs.
    with pytest.raises(
        ValueError,
        match=r"(?s)A total of 11 objects could not be loaded\..*"
        r"Layer '\w+' expected 4 variables, but received 0 variables during loading\. "
        r"Expected: \['gamma', 'beta', 'moving_mean', 'moving_variance'\]",
    ):
        smaller.load_weights(path)
