"""One call at the top of every notebook: backend, quiet start-up, seeds, versions, profile.

``setup()`` does, in order: picks the Keras backend (``tensorflow`` by default;
``jax`` for notebook 11) before Keras is imported, keeps TensorFlow's C++
start-up lines out of the notebook (without turning oneDNN off), seeds Python,
NumPy and the Keras backend, turns on deterministic ops (TensorFlow), prints
the versions in use and returns the active :class:`Profile`.

Profiles (``KERAS_MODELS_PROFILE``):

* ``class`` (default): the committed data sample; each notebook runs in
  minutes on a laptop CPU and prints the same outputs on every machine.
* ``full``: the whole dataset and longer training, for a GPU or a patient CPU.

Example::

    import helpers
    cfg = helpers.setup(backend="jax")   # JAX 0.10.2 (1 CPU device) | Keras 3.15.1 (backend: jax)
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

PROFILES = {
    "class": "the committed sample, minutes on a laptop CPU",
    "full": "all 70,000 images, longer training; best on a GPU",
}
DEFAULT_SEED = 42
BACKENDS = {
    "tensorflow": "TensorFlow, the series' default",
    "jax": "JAX, installed for notebook 11",
    "torch": "PyTorch, which the series does not install: see README",
}
# The module each backend needs, and how to get it when it is missing.
BACKEND_PACKAGES = {
    "tensorflow": ("tensorflow", "pip install -r requirements.txt"),
    "jax": ("jax", "pip install -r requirements.txt"),
    "torch": ("torch", "pip install torch (README says why the series does not)"),
}


@dataclass(frozen=True)
class Profile:
    """The active run profile: its ``name`` (``class`` or ``full``) and ``seed``.

    ``pick(class_=..., full=...)`` chooses a setting by profile, so a notebook
    reads ``epochs = cfg.pick(class_=3, full=30)``: 3 epochs in the default
    ``class`` profile, 30 in ``full``. Both are keyword-only, so a call always
    says which value belongs to which profile.

    Example::

        cfg = Profile("class", 42)
        cfg.pick(class_=3, full=30)     # 3
    """

    name: str
    seed: int

    def pick(self, *, class_, full):
        return full if self.name == "full" else class_


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
            f"profile. Expected one of: {valid}."
        )
    return name


def import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up log lines kept off stderr.

    TensorFlow writes lines such as "oneDNN custom operations are on" straight
    to the process's stderr before Python can filter them. Jupyter captures
    them into notebooks; so we point file descriptor 2 at /dev/null for the
    import and the search for devices, and set ``TF_CPP_MIN_LOG_LEVEL=3`` for
    lines logged later. oneDNN itself stays on (``TF_ENABLE_ONEDNN_OPTS=0`` would cost ~3x speed).

    Example::

        tf = import_tensorflow_quietly()
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if sys.modules.get("tensorflow") is not None:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow

        # Without a GPU, finding the devices logs a failed cuInit line once JAX is loaded.
        tensorflow.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow


def seed_everything(seed=DEFAULT_SEED):
    """Seed Python, NumPy and the Keras backend, and make TensorFlow ops deterministic.

    Call it again before any cell whose randomness should restart, e.g. before
    building two models that must start from the same weights. On JAX (or
    PyTorch) it seeds TensorFlow only if TensorFlow is already imported, so it
    never imports TensorFlow there.

    Example::

        seed_everything(42)
        a = np.random.rand(); seed_everything(42); a == np.random.rand()   # True
    """
    import keras

    if keras.backend.backend() == "tensorflow" or sys.modules.get("tensorflow") is not None:
        keras.utils.set_random_seed(seed)
    else:
        # keras.utils.set_random_seed also seeds TensorFlow whenever it is installed, importing
        # it (seconds, and its C++ log lines) for a backend that does not use it. Keras's lazy
        # handle on TensorFlow is told, for this one call, that there is none.
        from keras.src.utils.module_utils import tensorflow as lazy_tensorflow

        saved, lazy_tensorflow._available = lazy_tensorflow._available, False
        try:
            keras.utils.set_random_seed(seed)
        finally:
            lazy_tensorflow._available = saved
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def backend_from_env(backend=None, environ=None):
    """Return the Keras backend to use: ``backend``, else ``$KERAS_BACKEND``, else tensorflow.

    An unknown name raises a ``ValueError`` that lists the valid ones
    (:data:`BACKENDS`); case and spaces are ignored.

    Example::

        backend_from_env("JAX")                          # 'jax'
        backend_from_env(environ={"KERAS_BACKEND": ""})  # 'tensorflow'
    """
    environ = os.environ if environ is None else environ
    given = backend if backend is not None else environ.get("KERAS_BACKEND", "")
    name = given.strip().lower() if isinstance(given, str) else given
    name = name or "tensorflow"
    if name not in BACKENDS:
        where = f"backend={backend!r}" if backend is not None else f"KERAS_BACKEND={given!r}"
        valid = "; ".join(f"'{k}' ({v})" for k, v in BACKENDS.items())
        raise ValueError(
            f"{where} is not a Keras backend of this series. Expected one of: {valid}."
        )
    return name


def loaded_backend():
    """The backend of the Keras already imported in this process, or None if none is.

    Example::

        loaded_backend()    # None before `import keras`, then e.g. 'tensorflow'
    """
    keras = sys.modules.get("keras")
    backend = getattr(keras, "backend", None)
    return backend.backend() if hasattr(backend, "backend") else None


def use_backend(backend=None):
    """Set ``KERAS_BACKEND`` to the backend :func:`backend_from_env` picks, before Keras loads.

    Keras reads ``KERAS_BACKEND`` once, when it is first imported, so once
    Keras is loaded with another backend this raises a ``ValueError`` saying
    which one and to restart the kernel. A backend whose package is missing
    raises an ``ImportError`` saying how to install it. Returns the name.

    Example::

        use_backend("jax")      # 'jax'; `import keras` now loads the JAX backend
    """
    import importlib.util

    name = backend_from_env(backend)
    loaded = loaded_backend()
    if loaded is not None and loaded != name:
        raise ValueError(
            f"Keras is already imported with the {loaded!r} backend, so it cannot run on "
            f"{name!r} in this process: Keras reads KERAS_BACKEND once, when it is first "
            f"imported. Restart the kernel (or Python) and call helpers.setup(backend={name!r}) "
            "before anything imports keras. (keras.config.set_backend re-imports Keras, but "
            "every model, layer and tensor made before, and every module that had imported "
            "keras, helpers.models included, keeps the old backend's classes.)"
        )
    module, how = BACKEND_PACKAGES[name]
    if loaded is None and importlib.util.find_spec(module) is None:
        raise ImportError(
            f"the {name!r} Keras backend needs the {module!r} package, which is not "
            f"installed: {how}; or choose another backend: {', '.join(BACKENDS)}."
        )
    os.environ["KERAS_BACKEND"] = name
    return name


def setup(seed=DEFAULT_SEED, profile=None, verbose=True, backend=None):
    """Prepare a notebook: backend, quiet TensorFlow, seeds, versions; return the Profile.

    ``profile`` defaults to ``KERAS_MODELS_PROFILE`` (``class`` if unset). The
    Keras ``backend`` (``"tensorflow"`` or ``"jax"``; ``"torch"`` if you
    installed PyTorch) defaults to ``KERAS_BACKEND``, else TensorFlow; it is
    set before Keras is imported (see :func:`use_backend`). On JAX this
    imports no TensorFlow; if Keras imports it later (it does to save a
    ``.keras`` file, when TensorFlow is installed), it starts quietly too.
    (In the ``full`` profile, ``helpers.data.load_fashion_mnist()`` then
    loads the whole dataset, or says where it looked and how to get it.)

    Example::

        import helpers
        cfg = helpers.setup()   # prints versions and the profile
        cfg.name                # 'class'
    """
    name = profile_from_env({"KERAS_MODELS_PROFILE": profile} if profile else None)
    backend = use_backend(backend)
    versions = []
    if backend == "tensorflow":
        tf = import_tensorflow_quietly()
        # Python-side advice such as "triggered tf.function retracing" is noise in a lesson.
        tf.get_logger().setLevel("ERROR")
        versions.append(f"TensorFlow {tf.__version__}")
    import keras

    if backend == "jax":
        import jax

        devices = jax.devices()
        kind = devices[0].platform.upper()
        plural = "s" if len(devices) != 1 else ""
        versions.append(f"JAX {jax.__version__} ({len(devices)} {kind} device{plural})")
    elif backend == "torch":
        import torch

        versions.append(f"PyTorch {torch.__version__}")
    if backend != "tensorflow":
        # Keras imports TensorFlow by itself wherever it is installed, e.g. to save a .keras
        # file (keras/src/saving/serialization_lib.py); let that import be quiet too.
        from keras.src.utils.module_utils import tensorflow as lazy_tensorflow

        if lazy_tensorflow.module is None:
            lazy_tensorflow.initialize = lambda: setattr(
                lazy_tensorflow, "module", import_tensorflow_quietly()
            )
    seed_everything(seed)
    if verbose:
        versions.append(f"Keras {keras.__version__} (backend: {keras.backend.backend()})")
        print(" | ".join(versions))
        print(f"Profile: {name} ({PROFILES[name]}) | seed: {seed}")
    return Profile(name, seed)


# x86 CPU flags (as /proc/cpuinfo spells them) that compute or convert bfloat16 in hardware.
BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16", "avx_ne_convert")
# oneDNN's documented ONEDNN_MAX_CPU_ISA values (CPU dispatcher control): each limits oneDNN
# to that instruction set and older ones, which leaves it these bfloat16 flags. AVX2_VNNI_2
# (AVX-NE-CONVERT) is not below the AVX-512 sets in oneDNN's partial order.
ONEDNN_ISA_BFLOAT16 = {
    **dict.fromkeys(
        ["SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX512_MIC", "AVX512_MIC_4OPS", "AVX512_CORE"]
        + ["AVX512_CORE_VNNI"],
        (),
    ),
    "AVX2_VNNI_2": ("avx_ne_convert",),
    **dict.fromkeys(["AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512"], ("avx512_bf16",)),
    **dict.fromkeys(
        ["AVX512_CORE_AMX", "AVX10_1_512_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX_FP16"],
        ("amx_bf16", "avx512_bf16"),
    ),
    **dict.fromkeys(["ALL", "DEFAULT"], BFLOAT16_FLAGS),
}


@dataclass(frozen=True)
class Bfloat16Support:
    """What :func:`bfloat16_support` found.

    ``native`` is True or False, or None when the CPU's flags could not be read;
    ``reason`` says why in one sentence; ``flags`` are the bfloat16 flags the CPU
    lists; ``limit`` is ``ONEDNN_MAX_CPU_ISA`` (upper case) or None when unset.
    """

    native: bool | None
    reason: str
    flags: tuple[str, ...] = ()
    limit: str | None = None


def bfloat16_support(cpuinfo=None, environ=None, platform=None):
    """Say whether oneDNN (TensorFlow's CPU kernels) can use bfloat16 instructions here.

    Native bfloat16 needs a CPU flag from ``BFLOAT16_FLAGS`` (read from
    ``/proc/cpuinfo`` on Linux; elsewhere ``native`` is None, unknown) that
    oneDNN's documented ``ONEDNN_MAX_CPU_ISA`` limit, when set, does not
    exclude. Without one, bfloat16 still runs, more slowly: the kernels convert
    to float32 inside. One exception: a limit below AVX-512 on a CPU that has
    AVX-512. TensorFlow, which picks its bfloat16 kernels from the CPU's own
    flags, still hands bfloat16 to oneDNN, which then has no kernel for it.
    ``cpuinfo``, ``environ`` and ``platform`` stand in for the file's text,
    ``os.environ`` and ``sys.platform`` (for tests).

    Example::

        support = bfloat16_support()
        support.native    # False
        support.reason    # 'no native bfloat16: the CPU lists none of the flags ...'
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    limit = environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper() or None
    note = ""
    if limit and limit not in ONEDNN_ISA_BFLOAT16:
        note = f" (ONEDNN_MAX_CPU_ISA={limit} is not a value oneDNN documents; read as no limit)"
    if cpuinfo is None:
        if not platform.startswith("linux"):
            reason = f"unknown: the CPU flags are read from /proc/cpuinfo, which {platform} lacks"
            return Bfloat16Support(None, reason + note, limit=limit)
        try:
            with open("/proc/cpuinfo") as file:
                cpuinfo = file.read()
        except OSError:
            return Bfloat16Support(
                None, "unknown: /proc/cpuinfo could not be read" + note, (), limit
            )
    lines = [line for line in cpuinfo.splitlines() if line.split(":")[0].strip() == "flags"]
    if not lines:
        reason = "unknown: /proc/cpuinfo has no x86 'flags' line (this check knows x86-64 only)"
        return Bfloat16Support(None, reason + note, limit=limit)
    cpu_flags = set(lines[0].split(":", 1)[1].split())
    flags = tuple(flag for flag in BFLOAT16_FLAGS if flag in cpu_flags)
    allowed = ONEDNN_ISA_BFLOAT16.get(limit, BFLOAT16_FLAGS)
    usable = [flag for flag in flags if flag in allowed]
    if usable:
        by = f", and ONEDNN_MAX_CPU_ISA={limit} allows them" if note == "" and limit else ""
        reason = f"native bfloat16: the CPU has {', '.join(usable)}{by}"
    elif flags:
        reason = (
            f"no native bfloat16: the CPU has {', '.join(flags)}, but ONEDNN_MAX_CPU_ISA="
            f"{limit} limits oneDNN to older instruction sets without them"
        )
    else:
        reason = "no native bfloat16: the CPU lists none of the flags " + ", ".join(BFLOAT16_FLAGS)
        if limit and limit in ONEDNN_ISA_BFLOAT16:
            reason += f" (and ONEDNN_MAX_CPU_ISA={limit} is set)"
    return Bfloat16Support(bool(usable), reason + note, flags, limit)


# A tiny convolution, its gradient and a matrix product in the dtype named by argv[1].
KERNEL_PROBE = """
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
dtype = sys.argv[1]
images = tf.Variable(tf.ones((2, 8, 8, 4), dtype))
with tf.GradientTape() as tape:
    features = tf.nn.conv2d(images, tf.ones((3, 3, 4, 4), dtype), 1, "SAME")
    total = tf.reduce_sum(tf.matmul(tf.reshape(features, (2, -1)), tf.ones((256, 2), dtype)))
tape.gradient(total, images).numpy()
"""


def dtypes_that_run(dtypes=("bfloat16", "float16"), timeout=180, probe=KERNEL_PROBE):
    """Run ``probe`` once per dtype, each in a fresh Python process; return ``{dtype: ran?}``.

    A oneDNN with no kernel for a dtype (see :func:`bfloat16_support`) raises an
    error for a convolution but crashes the whole process for a matrix product,
    so we try them where a crash costs nothing. The processes run at the same
    time, with this process's environment variables (``ONEDNN_MAX_CPU_ISA``
    included); True means one exited cleanly within ``timeout`` seconds, and a
    process still running then is killed.

    Example::

        dtypes_that_run(["bfloat16", "float16"])   # {'bfloat16': True, 'float16': True}
        # ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512 CPU: {'bfloat16': False, 'float16': True}
    """
    import subprocess
    import time

    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    children = {d: subprocess.Popen([sys.executable, "-c", probe, d], **quiet) for d in dtypes}
    deadline = time.monotonic() + timeout
    runs = {}
    for dtype, child in children.items():
        try:
            runs[dtype] = child.wait(timeout=max(0.0, deadline - time.monotonic())) == 0
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            runs[dtype] = False
    return runs
