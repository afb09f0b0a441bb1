"""helpers.resume: a training process killed with SIGKILL resumes to the very same model.

Real processes, a real kill: `run_small_model` starts `python -m helpers.resume`, which trains
a small conv net (BatchNormalization, Adam, a warm-up/cosine schedule, augmentation) for 3
epochs of 8 steps with a backup every 3 steps, and kills it after a chosen step.
"""

import json

import numpy as np
import pytest

from helpers.resume import fit_resumable, read_backup, run_small_model


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uninterrupted")
    assert run_small_model(folder / "backup", folder / "run.npz") == 24
    assert not (folder / "backup").exists()  # deleted when fit finishes
    return np.load(folder / "run.npz"), json.loads((folder / "run.json").read_text())


@pytest.mark.parametrize(
    "kill_at_step, resumes_at",
    [
        (11, (1, 1)),  # mid-epoch 2: the backup of step 9 holds 1 batch of epoch 2
        (20, (2, 2)),  # mid-epoch 3: end-of-epoch backup at step 16, then step 18
    ],
)
def test_killed_run_resumes_bit_identical(tmp_path, uninterrupted, kill_at_step, resumes_at):
    arrays, history = uninterrupted
    backup, out = tmp_path / "backup", tmp_path / "run.npz"
    assert run_small_model(backup, out, kill_at_step=kill_at_step) >= kill_at_step
    state = read_backup(backup)
    # The kill may land a step later, after the next backup: never before the step we waited for.
    assert (state["epoch"], state["batch"]) >= resumes_at
    assert run_small_model(backup, out) == 24
    resumed = np.load(out)
    assert sorted(resumed.files) == sorted(arrays.files)
    assert any(name.startswith("optimizer/") for name in arrays.files)
    different = [name for name in arrays.files if not np.array_equal(arrays[name], resumed[name])]
    assert different == [], f"differ after the resume: {different}"
    assert json.loads(out.with_suffix(".json").read_text()) == history
    assert len(history["loss"]) == 3


def test_fit_resumable_checks_its_arguments():
    import keras

    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="needs a built and compiled model"):
        fit_resumable(model, None, epochs=1, backup_dir="unused", save_freq=1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="save_freq must be a positive number of steps, got 0"):
        fit_resumable(model, None, epochs=1, backup_dir="unused", save_freq=0)
