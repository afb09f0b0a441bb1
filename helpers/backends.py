"""Run code on a given Keras backend in a fresh Python process.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, so one process
can only ever use one backend: comparing TensorFlow with JAX takes one
process each. ``run_on_backend(backend, code)`` runs a Python source string
in a new interpreter (this one, ``sys.executable``) with ``KERAS_BACKEND`` set,
TensorFlow's C++ log lines off, ``PYTHONHASHSEED=0`` and the repository root
as its working directory (so ``import helpers`` works), and returns what it
printed; a failure raises a ``RuntimeError`` with the end of its stderr.
``training_costs(backend)`` uses it to time a few training steps of the
series' ResNet: compile time, step time, memory.

Example::

    from helpers.backends import run_on_backend, training_costs
    run_on_backend("jax", "import keras; print(keras.backend.backend())")   # 'jax\\n'
    training_costs("jax")["step_ms"]                                        # e.g. 450.0
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.runtime import backend_from_env

ROOT = Path(__file__).resolve().parent.parent
STDERR_LINES = 15
WARMUP_STEPS = 5


def run_on_backend(backend, code, timeout=600, env=None):
    """Run ``code`` (Python source) on Keras backend ``backend`` in a new process; return its stdout.

    ``env`` adds or overrides environment variables (``KERAS_BACKEND`` is
    always ``backend``). A non-zero exit, or a run longer than ``timeout``
    seconds (then stopped), raises a ``RuntimeError`` that names the backend
    and quotes the last lines of the child's stderr.

    Example::

        run_on_backend("tensorflow", "import keras; print(keras.backend.backend())")
        # 'tensorflow\\n'
    """
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a backend name such as 'jax'; got {backend!r}")
    backend = backend_from_env(backend)
    if not isinstance(code, str):
        raise TypeError(f"code must be Python source as a str; got {type(code).__name__}")
    child_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0"}
    child_env.update(env or {})
    child_env["KERAS_BACKEND"] = backend
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=child_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as err:
        stderr = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else ""
        raise RuntimeError(
            f"the code run on the {backend!r} backend did not finish within {timeout} s and was "
            f"stopped; the last lines of its stderr:\n{_tail(stderr)}"
        ) from None
    if result.returncode != 0:
        raise RuntimeError(
            f"the code run on the {backend!r} backend failed (exit status {result.returncode}); "
            f"the last lines of its stderr:\n{_tail(result.stderr)}"
        )
    return result.stdout


def _tail(text, lines=STDERR_LINES):
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(nothing on stderr)"


# Runs in the child: trains ResNet([2, 2, 2], 10) for `steps` steps and prints the costs as JSON.
COSTS_CODE = r"""
import json, re, time
import numpy as np
import helpers

helpers.setup(seed=42, verbose=False)
import keras
from helpers.data import load_fashion_mnist
from helpers.models import ResNet

backend, batch_size, steps, fused, warmup = {args}
(x, y), _ = load_fashion_mnist("sample")
index = np.arange(batch_size * steps) % len(x)
x, y = (x[index, ..., None] / 255.0).astype("float32"), y[index].astype("int32")


class Clock(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        ends.append(time.perf_counter())


ends, clock = [], Clock()
model = ResNet([2, 2, 2], 10, fused_batchnorm=fused)
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
model.compile(optimizer="adam", loss=loss)
model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
step_s = float(np.median(np.diff(ends[warmup - 1 :])))
costs = {{
    "backend": keras.backend.backend(),
    "first_step_s": ends[0] - clock.start,
    "step_ms": 1000 * step_s,
    # VmHWM: this process's own peak (ru_maxrss would keep the parent's peak across exec).
    "peak_rss_mb": int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1]) / 1024,
    "images_per_s": batch_size / step_s,
}}
assert costs["backend"] == backend and len(ends) == steps, (costs, len(ends))
print(json.dumps(costs))
"""


def training_costs(backend, batch_size=128, steps=30, fused_batchnorm=False):
    """Time ``steps`` training steps of ``ResNet([2, 2, 2], 10)`` on ``backend``; return a dict.

    A fresh process (:func:`run_on_backend`) seeds through ``helpers.setup``,
    compiles the model (Adam, ``SparseCategoricalCrossentropy(from_logits=True)``)
    and runs ``model.fit`` on float32 arrays from the committed sample. Keys:
    ``backend``; ``first_step_s``, the wall time of the first step (tracing or
    compiling, then one step); ``step_ms``, the median wall time of the steps
    after the first 5; ``images_per_s`` (``batch_size`` / that median); and
    ``peak_rss_mb``, the child's peak resident memory (``VmHWM`` in /proc/self/status, Linux;
    ``ru_maxrss`` would report the parent's peak when it is larger, as it is from a notebook).
    ``fused_batchnorm=True`` (TensorFlow's fused kernel) needs ``"tensorflow"``.

    Example::

        costs = training_costs("jax", steps=30)    # about half a minute on 2 CPU cores
        costs["first_step_s"], costs["images_per_s"]
    """
    backend = backend_from_env(backend) if isinstance(backend, str) else backend
    for name, value, least in (("batch_size", batch_size, 1), ("steps", steps, WARMUP_STEPS + 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"training_costs: {name} must be an int >= {least}; got {value!r}")
    if not isinstance(fused_batchnorm, bool):
        raise TypeError(f"fused_batchnorm must be True or False; got {fused_batchnorm!r}")
    if fused_batchnorm and backend != "tensorflow":
        raise ValueError(
            f"fused_batchnorm=True needs the 'tensorflow' backend (the fused kernel is "
            f"TensorFlow's); on {backend!r} pass fused_batchnorm=False, the layer Keras runs there"
        )
    args = (backend, batch_size, steps, fused_batchnorm, WARMUP_STEPS)
    out = run_on_backend(backend, COSTS_CODE.format(args=repr(args)))
    return json.loads(out.strip().splitlines()[-1])
