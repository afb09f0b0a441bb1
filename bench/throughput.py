"""Training throughput (images/s) of ResNet([2, 2, 2], 10): the article's code vs ours.

Prints the steady-state training speed of the article's network on this machine,
side by side, with the ratio to the first:

* ``article``: the article's classes verbatim (``helpers.article``; TF 2.0 era:
  ``tf.nn.relu``, ``tf.random_normal_initializer()``), compiled the obvious way (Adam,
  SparseCategoricalCrossentropy(from_logits=True), accuracy) and trained with
  ``model.fit(x, y, batch_size=128)`` on in-memory float32 arrays;
* ``recommended``: ``helpers.models.ResNet`` with the settings that measurably
  help on a CPU (bench/README.md says what each one buys), above all
  ``fused_batchnorm=True`` (TensorFlow's one-kernel BatchNormalization), and
  ``mixed_bfloat16`` only where the CPU has bfloat16 instructions (``auto_precision``);
* ``recommended-keras-bn``: the same with Keras's own BatchNormalization, i.e.
  what the other backends get.

Steady state: a callback stamps the clock at the end of every train step (of
every execution when ``steps_per_execution`` > 1, divided by its steps); the
first ``--warmup`` steps (tracing, warm-up) are dropped and images/s = batch /
median step time. The data are the committed Fashion-MNIST sample, repeated as
needed. Each config runs in its own subprocess (thread settings must precede
TensorFlow's first op), ``--rounds`` times, alternating, so all see the same load.

    .venv/bin/python bench/throughput.py                 # the three above, ~2 min
    .venv/bin/python bench/throughput.py --rounds 3      # on a shared machine
    .venv/bin/python bench/throughput.py --configs ablations   # the article + one change at a time
    .venv/bin/python bench/throughput.py --configs article recommended:batch=256,steps_per_execution=1
    .venv/bin/python bench/throughput.py --list          # the named configs
    .venv/bin/python bench/throughput.py --backends tensorflow jax   # both, side by side
    KERAS_BACKEND=jax python bench/throughput.py         # JAX: recommended only, TF-only settings skipped

A config is a name from CONFIGS, optionally with overrides ``NAME:key=value,...``
(the keys of ARTICLE). ``--backends`` (default: ``$KERAS_BACKEND``, else tensorflow)
measures every config on each backend, each run in its own process, and prints one
table with a column group per backend; the article's code runs on TensorFlow only.
This script prints figures; it is not a test.
"""

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The article's setup: every key a config may set, with the article's value.
ARTICLE = dict(
    model="article",  # "article": helpers.article, verbatim; "helpers": helpers.models.ResNet
    batch=128,
    pipeline="arrays",  # "arrays": fit(x, y) on float32 arrays; "tfdata": helpers.data.make_dataset
    optimizer="adam",  # "adam" or "sgd" (SGD + Nesterov momentum 0.9, the series' recipe)
    steps_per_execution=1,
    jit_compile=False,  # TensorFlow only; JAX always compiles
    precision="float32",  # Keras dtype policy, e.g. "mixed_bfloat16"; "auto": see auto_precision()
    intra=0,
    inter=0,  # TensorFlow op threads (0 = TensorFlow's default)
    env="",  # environment of the run, "VAR=VALUE;VAR=VALUE" (set before the import)
    fused_bn=False,  # TensorFlow only: helpers.models.ResNet(fused_batchnorm=True)
    deterministic=False,  # TensorFlow only: op determinism, as helpers.setup() turns on
)
TF_ONLY = ("pipeline", "jit_compile", "intra", "inter", "fused_bn", "deterministic")

CONFIGS = {
    "article": ARTICLE,
    # The settings that measurably help on a CPU. What each one buys, and what was tried and
    # left out (bigger batches, threads, XLA, oneDNN options), is measured in bench/README.md;
    # README.md quotes the headline figures.
    "recommended": dict(
        ARTICLE,
        model="helpers",  # the same network and ops as the article's classes
        fused_bn=True,  # BatchNormalization in one TensorFlow kernel: most of the gain
        precision="auto",  # bf16 (convolutions and fused BatchNorm) only where the CPU has it
        optimizer="sgd",  # the series' recipe (SGD + Nesterov momentum)
        pipeline="tfdata",  # the series' input pipeline, helpers.data.make_dataset
        steps_per_execution=16,  # neutral on a CPU; pays where steps are short (GPU, JAX)
    ),
}
# The same without the fused kernel: what JAX and PyTorch backends get.
CONFIGS["recommended-keras-bn"] = dict(CONFIGS["recommended"], fused_bn=False)
# One change from the article's setup each: what every setting buys alone (--configs ablations).
# fused_bn needs helpers.models, so that row changes the model too.
ABLATIONS = [
    {"model": "helpers"},
    {"optimizer": "sgd"},
    {"batch": 256},
    {"batch": 512},
    {"pipeline": "tfdata"},
    {"steps_per_execution": 16},
    {"jit_compile": True},
    {"precision": "mixed_bfloat16"},
    {"inter": 1},
    {"model": "helpers", "fused_bn": True},
]
for _change in ABLATIONS:
    CONFIGS["article+" + "+".join(k if v is True else f"{k}={v}" for k, v in _change.items())] = (
        dict(ARTICLE, **_change)
    )


def auto_precision():
    """The dtype policy ``precision="auto"`` stands for on this machine, and why.

    ``mixed_bfloat16`` pays only where oneDNN has bfloat16 instructions (AMX, AVX512-BF16,
    AVX-NE-CONVERT): without them every bf16 kernel converts to float32 inside and trains
    slower than float32 (bench/README.md). ``helpers.runtime.bfloat16_support`` reads the CPU
    flags and ``ONEDNN_MAX_CPU_ISA``; on an unknown CPU the answer is float32. On JAX it is
    bf16 on an accelerator (GPU, TPU) and float32 on the CPU.
    """
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "jax":
        import jax

        device = jax.default_backend()
        return ("float32" if device == "cpu" else "mixed_bfloat16"), f"JAX on {device}"
    from helpers.runtime import bfloat16_support

    support = bfloat16_support()
    return ("mixed_bfloat16" if support.native else "float32"), support.reason


def parse_config(spec):
    """'NAME' or 'NAME:key=value,...' -> settings dict (unknown names/keys exit)."""
    name, _, overrides = spec.partition(":")
    if name not in CONFIGS:
        sys.exit(f"unknown config {name!r}; known: {', '.join(CONFIGS)}")
    config = dict(CONFIGS[name])
    for item in filter(None, overrides.split(",")):
        key, _, text = item.partition("=")
        if key not in ARTICLE:
            sys.exit(f"unknown setting {key!r} in {spec!r}; known: {', '.join(ARTICLE)}")
        kind = type(ARTICLE[key])
        config[key] = (text.lower() in ("1", "true", "yes")) if kind is bool else kind(text)
    if config["fused_bn"] and config["model"] == "article":
        sys.exit(
            f"{spec!r}: fused_bn needs model=helpers (the article's classes use Keras's layer)"
        )
    return config


def measure(config, steps, warmup):
    """Train one config in this process; return wall and CPU seconds per step, notes."""
    backend = os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    notes = []
    os.environ.update(item.split("=", 1) for item in filter(None, config["env"].split(";")))
    if backend == "tensorflow":
        from helpers.runtime import import_tensorflow_quietly

        tf = import_tensorflow_quietly()
        tf.get_logger().setLevel("ERROR")
        if config["intra"]:
            tf.config.threading.set_intra_op_parallelism_threads(config["intra"])
        if config["inter"]:
            tf.config.threading.set_inter_op_parallelism_threads(config["inter"])
        if config["deterministic"]:
            tf.config.experimental.enable_op_determinism()
    else:
        if config["model"] == "article":
            raise SystemExit("the article's code is TensorFlow-only")
        skipped = [k for k in TF_ONLY if config[k] != ARTICLE[k]]
        notes.append(f"skipped TF-only {', '.join(skipped)}" if skipped else "")
        config = dict(config, **{k: ARTICLE[k] for k in TF_ONLY})
    import keras
    import numpy as np

    from helpers.data import load_fashion_mnist, make_dataset
    from helpers.runtime import seed_everything

    if backend == "tensorflow":
        keras.utils.set_random_seed(0)  # op determinism is the `deterministic` setting's
    else:
        seed_everything(0)  # keras.utils.set_random_seed would import TensorFlow
    if config["precision"] == "auto":
        precision, reason = auto_precision()
        config = dict(config, precision=precision)
        notes.append(f"precision auto -> {precision} ({reason})")
    keras.mixed_precision.set_global_policy(config["precision"])
    spe, batch = config["steps_per_execution"], config["batch"]
    skip, keep = -(-warmup // spe), -(-steps // spe)  # in executions, rounded up
    n_batches = (1 + skip + keep) * spe  # the first one has no interval
    (x, y), _ = load_fashion_mnist("sample")
    index = np.arange(n_batches * batch) % len(x)  # repeat the sample as needed
    x, y = x[index], y[index].astype("int32")

    if config["model"] == "article":  # the article's classes, verbatim (TensorFlow)
        from helpers.article import ResNet
    else:
        from helpers.models import ResNet

        ResNet = functools.partial(ResNet, fused_batchnorm=config["fused_bn"])
    model = ResNet([2, 2, 2], 10)
    optimizer = (
        keras.optimizers.Adam()
        if config["optimizer"] == "adam"
        else keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=spe,
        jit_compile=config["jit_compile"] if backend == "tensorflow" else "auto",
    )

    stamps, cpu = [], []  # wall clock and CPU time (all threads) at the end of each execution
    stamp = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch_index, logs: (
            stamps.append(time.perf_counter()),
            cpu.append(time.process_time()),
        )
    )
    if config["pipeline"] == "tfdata":
        data = make_dataset(x, y, batch, training=True)
        model.fit(data, epochs=1, verbose=0, callbacks=[stamp])
    else:
        model.fit(
            (x / 255.0).astype("float32")[..., None],
            y,
            batch_size=batch,
            epochs=1,
            verbose=0,
            callbacks=[stamp],
        )
    wall = [(b - a) / spe for a, b in zip(stamps, stamps[1:])][skip : skip + keep]
    cpu = [(b - a) / spe for a, b in zip(cpu, cpu[1:])][skip : skip + keep]
    return wall, cpu, notes


def machine_lines():
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    names = [
        line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")
    ]
    isa = [flag for flag in ("avx512f", "avx512_bf16", "amx_bf16") if f" {flag}" in info]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"machine: {names[0] if names else platform.machine()}, {cores} cores "
        f"({', '.join(isa) or 'no AVX-512'}), Python {platform.python_version()}",
        "load average at start (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    ]


def versions(backend):
    """Backend and Keras versions (and the device JAX uses), from a fresh interpreter."""
    code = (
        "import os, keras\n"
        "if keras.backend.backend() == 'jax':\n"
        "    import jax; d = jax.devices()\n"
        "    print(f'JAX {jax.__version__} on {d[0].device_kind} x{len(d)}, Keras {keras.__version__}')\n"
        "else:\n"
        "    import tensorflow as tf\n"
        "    onednn = os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default: on')\n"
        "    print(f'TensorFlow {tf.__version__} (oneDNN {onednn}), Keras {keras.__version__}')\n"
    )
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument(
        "--configs",
        nargs="+",
        default=["article", "recommended", "recommended-keras-bn"],
        help="NAME or NAME:key=value,...; 'ablations' = the article + one change each "
        "(default: article recommended recommended-keras-bn)",
    )
    p.add_argument(
        "--steps", type=int, default=64, help="measured steps per run after warm-up (default 64)"
    )
    p.add_argument("--warmup", type=int, default=10, help="steps dropped first (default 10)")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs per config, alternating configs (default 1; 3 on a shared machine)",
    )
    p.add_argument(
        "--backends",
        "--backend",
        nargs="+",
        choices=("tensorflow", "jax"),
        default=[os.environ.get("KERAS_BACKEND") or "tensorflow"],
        help="measure on each, in separate processes (default: $KERAS_BACKEND, else tensorflow)",
    )
    p.add_argument("--list", action="store_true", help="print every named config and exit")
    p.add_argument("--config", help=argparse.SUPPRESS)  # internal: measure one config, print JSON
    args = p.parse_args(argv)

    if args.list:
        for name, config in CONFIGS.items():
            print(
                f"{name:32} " + ", ".join(f"{k}={v}" for k, v in config.items() if v != ARTICLE[k])
            )
        return
    if args.config:
        load = os.getloadavg()[0]
        times, cpu, notes = measure(parse_config(args.config), args.steps, args.warmup)
        print(json.dumps({"times": times, "cpu": cpu, "load": load, "notes": notes}))
        return

    specs = [
        name
        for spec in args.configs
        for name in (
            ["article"] + [n for n in CONFIGS if n.startswith("article+")]
            if spec == "ablations"
            else [spec]
        )
    ]
    for spec in specs:
        parse_config(spec)  # fail early on typos
    backends = list(dict.fromkeys(args.backends))
    # The article's code is TensorFlow code: it runs on no other backend.
    runs = [(s, b) for s in specs for b in backends if b == "tensorflow" or _runs_off_tf(s)]
    if not runs:
        sys.exit(f"nothing to run: {', '.join(specs)} run on TensorFlow only")
    skipped = [s for s in specs if not _runs_off_tf(s)]
    if skipped and backends != ["tensorflow"]:
        print(f"TensorFlow only (the article's code), not run on JAX: {', '.join(skipped)}")
    specs = [s for s in specs if any(s == spec for spec, _ in runs)]
    print("\n".join(machine_lines()))
    for backend in backends:
        print(f"versions ({backend}):", versions(backend))
    print(
        f"steady state: median of {args.steps} steps after {args.warmup} warm-up steps, "
        f"{args.rounds} round(s) per config and backend\n",
        flush=True,
    )

    results = {run: {"times": [], "cpu": [], "loads": [], "notes": set()} for run in runs}
    for round_ in range(args.rounds):
        for spec, backend in runs:
            env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
            cmd = [sys.executable, __file__, "--config", spec]
            cmd += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{spec} on {backend} failed:\n{out.stderr[-3000:]}")
            run = json.loads(out.stdout.strip().splitlines()[-1])
            median = statistics.median(run["times"])
            print(
                f"round {round_ + 1} {backend:10} {spec:40} "
                f"{parse_config(spec)['batch'] / median:7.0f} img/s (load {run['load']:.1f})",
                flush=True,
            )
            result = results[(spec, backend)]
            result["times"] += run["times"]
            result["cpu"] += run["cpu"]
            result["loads"].append(run["load"])
            result["notes"].update(n for n in run["notes"] if n)
    print_table(specs, backends, results)


def _runs_off_tf(spec):
    return parse_config(spec)["model"] != "article"


def print_table(specs, backends, results):
    """One row per config, one column group per backend: img/s, ms/step, ratio, cores, load."""
    group = f"{'img/s':>7} {'ms/step':>8} {'ratio':>6} {'cores':>6} {'load':>5}"
    width = len(group)
    print("\n" + " " * 47 + " | ".join(f"{b:^{width}}" for b in backends))
    print(f"{'config':40} {'batch':>5} " + " | ".join(group for _ in backends))
    rates = {
        run: parse_config(run[0])["batch"] / statistics.median(r["times"])
        for run, r in results.items()
    }
    first = {b: next(s for s in specs if (s, b) in rates) for b in backends}
    notes = []
    for spec in specs:
        batch, cells = parse_config(spec)["batch"], []
        for backend in backends:
            if (spec, backend) not in results:
                cells.append(f"{'TensorFlow only':^{width}}")
                continue
            r, rate = results[(spec, backend)], rates[(spec, backend)]
            cores = statistics.median(r["cpu"]) / statistics.median(r["times"])
            ratio = rate / rates[(first[backend], backend)]
            cells.append(
                f"{rate:7.0f} {batch / rate * 1e3:8.1f} {ratio:6.2f} {cores:6.2f} "
                f"{statistics.mean(r['loads']):5.1f}"
            )
            if r["notes"]:
                notes.append(f"{spec} on {backend}: {'; '.join(sorted(r['notes']))}")
        print(f"{spec:40} {batch:5} " + " | ".join(cells))
    for note in notes:
        print("  " + note)
    print(
        "\nimg/s = batch / median step time; ratio: to the first config run on that backend; "
        "cores: CPU seconds per second (below ~1.7 on 2 cores: other jobs took CPU); load: "
        "1-min load average when each run started (mean over rounds)"
    )


if __name__ == "__main__":
    main()
