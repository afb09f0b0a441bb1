"""Training that survives being killed, and resumes to the very same model.

Keras's ``BackupAndRestore`` callback saves the weights (the optimizer's state
with them) and the epoch number; after a crash, the next ``fit`` loads them and
starts that epoch again. For the resumed run to end *bit-identical* to one that
was never interrupted, three more things must survive a new process:

* the data: each epoch's order and augmentation (``helpers.data.make_dataset``
  derives them from ``(seed, epoch)``; tf.data's own reshuffling restarts at
  epoch 1's order in every new process);
* the position inside an epoch: Keras 3.15 writes the batch number into its
  backup but resumes at the start of the epoch, replaying batches the weights
  have already learned from;
* the running sums behind the epoch's logged loss and metrics, and the history
  of the epochs before the crash.

``fit_resumable`` trains with ``ExactBackup``, which saves all of that every
``save_freq`` steps and at the end of each epoch, atomically (a kill while it
writes leaves the previous backup intact). ``python -m helpers.resume`` trains
a small model this way; the tests and notebook 06 kill it with SIGKILL and
compare the result with a run that was never interrupted.

Example::

    history = fit_resumable(
        model,
        lambda first_epoch: make_dataset(x, y, 128, training=True, first_epoch=first_epoch),
        epochs=10, backup_dir="build/backup", save_freq=50,
    )
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

STATE_FILE = "latest.json"


def _metric_variables(model):
    return [v for metric in model.metrics for v in metric.variables]


def read_backup(backup_dir):
    """Return the saved training state in ``backup_dir``, or ``None`` if there is none.

    The state is a dict: ``epoch`` and ``batch`` (where training goes on: batch
    ``batch`` of epoch ``epoch``, both counted from 0), ``history`` (the logs of
    the finished epochs) and ``tag`` (the name of the weight and metric files).

    Example::

        read_backup("build/backup")   # {'epoch': 1, 'batch': 3, 'history': {...}, 'tag': ...}
    """
    path = Path(backup_dir) / STATE_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def _make_exact_backup_class():
    import keras

    class ExactBackup(keras.callbacks.Callback):
        """Saves weights, optimizer, metric sums, history and position every few steps."""

        def __init__(self, backup_dir, save_freq, steps_per_epoch, state, metric_values=None):
            super().__init__()
            self.backup_dir = Path(backup_dir)
            self.save_freq = save_freq
            self.steps_per_epoch = steps_per_epoch
            self.state = state
            self.metric_values = metric_values  # restored at the start of the next epoch
            self.first_batch = state["batch"]  # fit counts from 0 in a resumed epoch too

        def on_epoch_begin(self, epoch, logs=None):
            if self.metric_values is not None:  # fit has just reset them: put back the sums
                for variable, value in zip(_metric_variables(self.model), self.metric_values):
                    variable.assign(value)
                self.metric_values = None

        def on_train_batch_end(self, batch, logs=None):
            self.state["batch"] = self.first_batch + batch + 1
            step = self.state["epoch"] * self.steps_per_epoch + self.state["batch"]
            if step % self.save_freq == 0 and self.state["batch"] < self.steps_per_epoch:
                self.save()

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.state["history"].setdefault(key, []).append(float(value))
            self.state.update(epoch=epoch + 1, batch=0)
            self.first_batch = 0
            self.save()

        def save(self):
            tag = f"epoch{self.state['epoch']:04d}-batch{self.state['batch']:06d}"
            self.backup_dir.mkdir(parents=True, exist_ok=True)
            self.model.save_weights(self.backup_dir / f"{tag}.weights.h5")
            values = [np.asarray(v.numpy()) for v in _metric_variables(self.model)]
            np.savez(self.backup_dir / f"{tag}.metrics.npz", *values)
            temporary = self.backup_dir / (STATE_FILE + ".tmp")
            temporary.write_text(json.dumps(dict(self.state, tag=tag)))
            os.replace(temporary, self.backup_dir / STATE_FILE)  # atomic: old or new, never half
            for old in self.backup_dir.iterdir():
                if old.name.startswith("epoch") and not old.name.startswith(tag):
                    old.unlink()

    return ExactBackup


def fit_resumable(model, make_train_data, epochs, backup_dir, save_freq, **fit_kwargs):
    """``model.fit`` that a killed process resumes exactly; returns the history dict.

    ``make_train_data(first_epoch)`` must return the training dataset whose
    passes are epochs ``first_epoch``, ``first_epoch + 1``, ... with a known
    number of batches (``helpers.data.make_dataset(..., training=True,
    first_epoch=first_epoch)`` is one). The model must be built and compiled.
    Every ``save_freq`` steps and after every epoch the whole training state
    goes to ``backup_dir``; if a backup is there when this starts, training
    goes on from it: first the rest of the interrupted epoch, then the others.
    Other keyword arguments go to ``fit``. The backup is deleted at the end.

    Example::

        history = fit_resumable(model, lambda k: make_dataset(x, y, 64, training=True,
                                first_epoch=k), epochs=3, backup_dir="build/b", save_freq=5)
        history["loss"]     # one value per epoch, the same as if nothing had happened
    """
    if not model.built or model.optimizer is None:
        raise ValueError("fit_resumable needs a built and compiled model (call it, then compile)")
    if isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1:
        raise ValueError(f"save_freq must be a positive number of steps, got {save_freq!r}")
    steps = int(make_train_data(0).cardinality())
    if steps < 1:
        raise ValueError(
            "make_train_data(first_epoch) must return a dataset with a known number of batches"
        )
    backup_dir = Path(backup_dir)
    state, metric_values = read_backup(backup_dir), None
    if state is None:
        state = {"epoch": 0, "batch": 0, "history": {}}
    else:
        model.optimizer.build(model.trainable_variables)  # its variables must exist to load
        model.load_weights(backup_dir / f"{state['tag']}.weights.h5")
        with np.load(backup_dir / f"{state['tag']}.metrics.npz") as saved:
            metric_values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    backup_class = _make_exact_backup_class()
    callbacks = list(fit_kwargs.pop("callbacks", []))
    epoch = state["epoch"]
    if state["batch"]:  # killed inside an epoch: finish that epoch first
        x, y = next(iter(make_train_data(epoch)))
        model.evaluate(x, y, verbose=0)  # creates the metric variables we restore
        backup = backup_class(backup_dir, save_freq, steps, state, metric_values)
        data = make_train_data(epoch).skip(state["batch"])
        model.fit(
            data,
            initial_epoch=epoch,
            epochs=epoch + 1,
            callbacks=[backup, *callbacks],
            **fit_kwargs,
        )
        epoch += 1
    if epoch < epochs:
        backup = backup_class(backup_dir, save_freq, steps, state)
        model.fit(
            make_train_data(epoch),
            initial_epoch=epoch,
            epochs=epochs,
            callbacks=[backup, *callbacks],
            **fit_kwargs,
        )
    shutil.rmtree(backup_dir, ignore_errors=True)
    return state["history"]


# --- A small model trained in its own process, for the tests and notebook 06 ---------------


def train_small_model(backup_dir, out, epochs=3, images=512, batch_size=64, save_freq=3):
    """Train a small conv net on the sample with ``fit_resumable``; save the result to ``out``.

    It prints ``step N`` after every training step, so that another process
    can kill it at a chosen step. ``out`` (``.npz``) receives every weight and
    optimizer variable, and ``out`` with ``.json`` the history.

    Example::

        train_small_model("build/backup", "build/run.npz")   # usually: python -m helpers.resume
    """
    import helpers

    cfg = helpers.setup(verbose=False)
    import keras

    from helpers.data import load_fashion_mnist, make_dataset

    (x, y), _ = load_fashion_mnist("sample")
    x, y = x[:images], y[:images]
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, strides=2, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10),
        ]
    )
    steps = -(-images // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps * epochs, warmup_target=0.01, warmup_steps=steps
    )
    model.compile(
        keras.optimizers.Adam(schedule),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    announce = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: print(
            f"step {int(model.optimizer.iterations)}", flush=True
        )
    )
    history = fit_resumable(
        model,
        lambda first_epoch: make_dataset(
            x, y, batch_size, training=True, augment=True, seed=cfg.seed, first_epoch=first_epoch
        ),
        epochs=epochs,
        backup_dir=backup_dir,
        save_freq=save_freq,
        verbose=0,
        callbacks=[announce],
    )
    arrays = {v.path: np.asarray(v.numpy()) for v in model.variables}
    arrays.update({f"optimizer/{v.path}": np.asarray(v.numpy()) for v in model.optimizer.variables})
    np.savez(out, **arrays)
    Path(out).with_suffix(".json").write_text(json.dumps(history))


def run_small_model(backup_dir, out, kill_at_step=None, **options):
    """Run :func:`train_small_model` in a fresh Python process; SIGKILL it at a step.

    Returns the last step the process printed before it ended: the one it was
    killed after, or the final step. A kill lands a moment after the step is
    printed, so the process may be a little further on, even halfway through
    writing a backup; that is the point.

    Example::

        run_small_model("build/backup", "build/run.npz", kill_at_step=11)   # killed
        run_small_model("build/backup", "build/run.npz")                   # resumes, finishes
    """
    command = [sys.executable, "-m", "helpers.resume", str(backup_dir), str(out)]
    command += [f"--{name.replace('_', '-')}={value}" for name, value in options.items()]
    root = Path(__file__).resolve().parent.parent
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    )
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    last_step = None
    for line in process.stdout:
        if line.startswith("step "):
            last_step = int(line.split()[1])
            if last_step == kill_at_step:
                process.send_signal(signal.SIGKILL)
                break
    errors = process.stderr.read()
    process.wait()
    if kill_at_step is None and process.returncode != 0:
        raise RuntimeError(f"the training process failed:\n{errors}")
    if kill_at_step is not None and process.returncode != -signal.SIGKILL:
        raise RuntimeError(f"step {kill_at_step} never came (last: {last_step}):\n{errors}")
    return last_step


def main(argv=None):
    parser = argparse.ArgumentParser(description=train_small_model.__doc__.splitlines()[0])
    parser.add_argument("backup_dir")
    parser.add_argument("out")
    for name in ("epochs", "images", "batch_size", "save_freq"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int)
    args = vars(parser.parse_args(argv))
    train_small_model(**{k: v for k, v in args.items() if v is not None})


if __name__ == "__main__":
    main()
