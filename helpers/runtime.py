"""One call at the top of every notebook: quiet start-up, seeds, versions, profile.

``setup()`` does, in order: keeps TensorFlow's C++ start-up lines out of the
notebook (without turning oneDNN off), seeds Python, NumPy and the Keras
backend, turns on deterministic ops, prints the versions in use and returns
the active :class:`Profile`.

Profiles (``KERAS_MODELS_PROFILE``):

* ``class`` (default): the committed data sample; each notebook runs in
  minutes on a laptop CPU and prints the same outputs on every machine.
* ``full``: the whole dataset and longer training, for a GPU or a patient CPU.
"""
from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass

PROFILES = {
    "class": "the committed sample, minutes on a laptop CPU",
    "full": "all 70,000 images, longer training; best on a GPU",
}
DEFAULT_SEED = 42


@dataclass(frozen=True)
class Profile:
    """The active run profile: its ``name`` (``class`` or ``full``) and ``seed``.

    ``pick(class_value, full_value)`` chooses a setting by profile, so a
    notebook reads ``epochs = cfg.pick(3, 30)``.

    Example::

        cfg = Profile("class", 42)
        cfg.pick(3, 30)     # 3
    """

    name: str
    seed: int

    @property
    def data_source(self):
        return "full" if self.name == "full" else "sample"

    def pick(self, class_value, full_value):
        return full_value if self.name == "full" else class_value


def profile_from_env(environ=None):
    """Return the profile name from ``KERAS_MODELS_PROFILE`` (default ``class``).

    An unknown value raises a ``ValueError`` that lists the valid ones.

    Example::

        os.environ["KERAS_MODELS_PROFILE"] = "full"
        profile_from_env()      # 'full'
    """
    environ = os.environ if environ is None else environ
    name = environ.get("KERAS_MODELS_PROFILE", "").strip().lower() or "class"
    if name not in PROFILES:
        valid = "; ".join(f"'{k}' ({v})" for k, v in PROFILES.items())
        raise ValueError(
            f"KERAS_MODELS_PROFILE={environ.get('KERAS_MODELS_PROFILE')!r} is not a "
            f"profile. Expected one of: {valid}.")
    return name


def import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up log lines kept off stderr.

    TensorFlow writes lines such as "oneDNN custom operations are on" straight
    to the process's stderr before Python can filter them. Jupyter captures
    them into notebooks; so we point file descriptor 2 at /dev/null for the
    import alone, and set ``TF_CPP_MIN_LOG_LEVEL=3`` for lines logged later.
    oneDNN itself stays on (``TF_ENABLE_ONEDNN_OPTS=0`` would cost ~3x speed).

    Example::

        tf = import_tensorflow_quietly()
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow


def seed_everything(seed=DEFAULT_SEED):
    """Seed Python, NumPy and the Keras backend, and make TensorFlow ops deterministic.

    Call it again before any cell whose randomness should restart, e.g. before
    building two models that must start from the same weights.

    Example::

        seed_everything(42)
        a = np.random.rand(); seed_everything(42); a == np.random.rand()   # True
    """
    import keras
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


def setup(seed=DEFAULT_SEED, profile=None, verbose=True):
    """Prepare a notebook: quiet TensorFlow, seeds, versions; return the Profile.

    ``profile`` defaults to ``KERAS_MODELS_PROFILE`` (``class`` if unset). In
    the ``full`` profile the full dataset must be present, or a clear error
    lists where it was looked for. The Keras backend defaults to TensorFlow.

    Example::

        import helpers
        cfg = helpers.setup()   # prints versions and the profile
        cfg.name                # 'class'
    """
    name = profile_from_env({"KERAS_MODELS_PROFILE": profile} if profile else None)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if os.environ["KERAS_BACKEND"] == "tensorflow":
        tf = import_tensorflow_quietly()
        # Python-side advice such as "triggered tf.function retracing" is noise in a lesson.
        tf.get_logger().setLevel("ERROR")
    import keras

    if name == "full":
        from helpers.data import find_full_dataset
        find_full_dataset()
    seed_everything(seed)
    if verbose:
        versions = [f"Keras {keras.__version__} (backend: {keras.backend.backend()})"]
        if os.environ["KERAS_BACKEND"] == "tensorflow":
            versions.insert(0, f"TensorFlow {tf.__version__}")
        print(" | ".join(versions))
        print(f"Profile: {name} ({PROFILES[name]}) | seed: {seed}")
    return Profile(name, seed)
