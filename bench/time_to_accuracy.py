"""Time to 94 % test accuracy: the article's ResNet on the full Fashion-MNIST.

Trains ``ResNet([2, 2, 2], 10)`` (helpers.models) with the ``full`` profile's
recipe from notebook 06 -- He initialisation, BatchNormalization momentum 0.9
(on TensorFlow with the fused kernel, ``fused_batchnorm=True``; ``--batchnorm keras``
for Keras's own layer), SGD + Nesterov (momentum 0.9), a one-cycle learning rate (linear warm-up over
30 % of the steps to 0.2, then cosine decay), batch 512, random 2-pixel shifts
(= a 28x28 crop of the image padded by 2) + horizontal flips, label smoothing
0.1 and weight decay -- on all 60,000 training images, and after every epoch
measures accuracy on the official 10,000 test images. It prints, per epoch,
the training seconds so far and the test accuracy, then the time to 94.0 %
(and 94.5 %, if reached), the epochs, the batch size, the machine and the backend.

Runs on the TensorFlow backend (input pipeline: helpers.data.make_dataset,
tf.data) and on the JAX backend (no TensorFlow needed: NumPy arrays,
augmented in NumPy before each epoch):

    .venv/bin/python bench/time_to_accuracy.py                       # ~40+ min on a 2-core CPU
    KERAS_BACKEND=jax python bench/time_to_accuracy.py               # e.g. on a GPU machine
    .venv/bin/python bench/time_to_accuracy.py --epochs 1 --limit 2000   # smoke run, ~1 min
    .venv/bin/python bench/time_to_accuracy.py --backends tensorflow jax  # both, one table

``--backends`` runs the script once per backend, one after the other, each in its
own process, and then prints their figures side by side.

The clock covers training only (every epoch's ``fit``, input pipeline
included); test evaluations are timed separately and reported beside it.
This script prints figures; it is not a test.
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS = (0.940, 0.945)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=30, help="epochs (one-cycle length); default 30")
    p.add_argument("--batch-size", type=int, default=512, help="default 512")
    p.add_argument(
        "--peak-lr", type=float, default=0.2, help="one-cycle peak learning rate; default 0.2"
    )
    p.add_argument(
        "--weight-decay",
        type=float,
        default=5e-3,
        help="Keras' decoupled weight decay (0 for none); default 5e-3, about "
        "PyTorch's coupled 5e-4 with momentum 0.9",
    )
    p.add_argument("--label-smoothing", type=float, default=0.1, help="default 0.1")
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        help="train on the first N training images and test on the first N // 6 "
        "test images (smoke runs); default: all",
    )
    p.add_argument(
        "--source",
        choices=("full", "sample"),
        default="full",
        help="full: the official 60,000 + 10,000 images (default); sample: the committed sample",
    )
    p.add_argument(
        "--pipeline",
        choices=("auto", "tfdata", "numpy"),
        default="auto",
        help="auto: tf.data on the TensorFlow backend, NumPy otherwise",
    )
    p.add_argument(
        "--batchnorm",
        choices=("fused", "keras"),
        default="fused",
        help="fused: helpers.models' fused_batchnorm=True, TensorFlow's one-kernel "
        "BatchNormalization (default; other backends use Keras's); keras: Keras's own layer",
    )
    p.add_argument(
        "--precision",
        default="float32",
        help="Keras dtype policy: float32 (default, the notebook's) or mixed_bfloat16 "
        "(bf16 compute, float32 weights: faster on CPUs with AVX-512 BF16/AMX)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--backends",
        nargs="+",
        choices=("tensorflow", "jax"),
        help="run on each backend in its own process and compare them in one table "
        "(default: this process, on $KERAS_BACKEND, else tensorflow)",
    )
    p.add_argument("--summary-json", action="store_true", help=argparse.SUPPRESS)  # internal
    return p.parse_args(argv)


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def accelerator_name(backend):
    """The GPU (or TPU) the backend will use, or None for the CPU."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"{details.get('device_name', gpus[0].name)} x{len(gpus)}"
        elif backend == "jax":
            import jax

            devices = jax.devices()
            if devices[0].platform != "cpu":
                return f"{devices[0].device_kind} x{len(devices)}"
    except Exception as err:  # a report line, never a crash
        return f"unknown ({type(err).__name__})"
    return None


def shift_and_flip(images, rng):
    """NumPy augmentation: a random 28x28 crop of each image zero-padded by 2, flipped half the time."""
    import numpy as np

    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    dy = rng.integers(0, 5, n)
    dx = rng.integers(0, 5, n)
    rows = (dy[:, None] + np.arange(h))[:, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, :]
    out = padded[np.arange(n)[:, None, None], rows, cols]
    flip = rng.random(n) < 0.5
    out[flip] = out[flip, :, ::-1]
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.backends:
        return compare(args)
    os.environ["KERAS_BACKEND"] = os.environ.get("KERAS_BACKEND") or "tensorflow"
    os.environ["KERAS_MODELS_PROFILE"] = "full" if args.source == "full" else "class"
    import helpers

    cfg = helpers.setup(seed=args.seed)
    import keras
    import numpy as np

    from helpers.data import load_fashion_mnist, make_dataset
    from helpers.models import ResNet

    backend = keras.backend.backend()
    pipeline = args.pipeline
    if pipeline == "auto":
        pipeline = "tfdata" if backend == "tensorflow" else "numpy"
    if pipeline == "tfdata" and backend != "tensorflow":
        sys.exit("--pipeline tfdata needs the TensorFlow backend (KERAS_BACKEND=tensorflow)")

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(args.source)
    if args.limit:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
        x_test, y_test = x_test[: max(args.limit // 6, 1)], y_test[: max(args.limit // 6, 1)]
    n_train, batch = len(x_train), args.batch_size
    steps_per_epoch = math.ceil(n_train / batch)
    total_steps = args.epochs * steps_per_epoch
    eval_batch = 1000

    # The model: the article's network, He initialisation, BN momentum 0.9 (PyTorch's 0.1).
    fused = args.batchnorm == "fused" and backend == "tensorflow"
    keras.mixed_precision.set_global_policy(args.precision)
    model = ResNet(
        [2, 2, 2], 10, kernel_initializer="he_normal", bn_momentum=0.9, fused_batchnorm=fused
    )
    model.build((None, 28, 28, 1))
    warmup = int(0.3 * total_steps)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=args.peak_lr / 25,
        warmup_target=args.peak_lr,
        warmup_steps=warmup,
        decay_steps=max(total_steps - warmup, 1),
        alpha=1e-3,
    )
    optimizer = keras.optimizers.SGD(
        schedule, momentum=0.9, nesterov=True, weight_decay=args.weight_decay or None
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=args.label_smoothing
        ),
        metrics=["accuracy"],
    )

    print(
        f"data: {args.source}, {n_train} training / {len(x_test)} test images | "
        f"epochs {args.epochs} x {steps_per_epoch} steps, batch {batch} | backend {backend}, "
        f"pipeline {pipeline}, BatchNormalization {'fused' if fused else 'Keras'}, "
        f"precision {args.precision}",
        flush=True,
    )

    x_test_f = (x_test.astype("float32") / 255.0)[..., None]
    if pipeline == "tfdata":
        train_ds = make_dataset(
            x_train, y_train, batch, training=True, augment=True, seed=args.seed, one_hot=True
        )
    else:
        rng = np.random.default_rng(args.seed)
        y_train_1hot = np.eye(10, dtype="float32")[y_train]

    print(f"{'epoch':>5} {'train s':>9} {'eval s':>7} {'test acc':>9}", flush=True)
    train_seconds = eval_seconds = 0.0
    reached, history = {}, []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        if pipeline == "tfdata":
            model.fit(train_ds, epochs=epoch + 1, initial_epoch=epoch, shuffle=False, verbose=0)
        else:
            x_epoch = (shift_and_flip(x_train, rng).astype("float32") / 255.0)[..., None]
            model.fit(
                x_epoch,
                y_train_1hot,
                batch_size=batch,
                epochs=epoch + 1,
                initial_epoch=epoch,
                shuffle=True,
                verbose=0,
            )
        train_seconds += time.perf_counter() - start
        start = time.perf_counter()
        logits = model.predict(x_test_f, batch_size=eval_batch, verbose=0)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
        eval_seconds += time.perf_counter() - start
        history.append((epoch + 1, train_seconds, accuracy))
        print(
            f"{epoch + 1:>5} {train_seconds:>9.1f} {eval_seconds:>7.1f} {accuracy:>9.4f}",
            flush=True,
        )
        for target in TARGETS:
            if target not in reached and accuracy >= target:
                reached[target] = (epoch + 1, train_seconds)

    accelerator = accelerator_name(backend)
    print()
    for target in TARGETS:
        if target in reached:
            epoch, seconds = reached[target]
            print(f"time to {target:.1%}: {seconds:.1f} s of training (epoch {epoch})")
        else:
            print(
                f"time to {target:.1%}: not reached in {args.epochs} epochs "
                f"(best {max(a for _, _, a in history):.2%})"
            )
    print(
        f"final test accuracy: {history[-1][2]:.2%} after {args.epochs} epochs, "
        f"{train_seconds:.1f} s of training + {eval_seconds:.1f} s of evaluation "
        f"(epoch 1 includes tracing/compilation)"
    )
    print(
        f"recipe: batch {batch}, one-cycle peak {args.peak_lr}, SGD+Nesterov 0.9, "
        f"weight decay {args.weight_decay}, label smoothing {args.label_smoothing}, He init, "
        f"BN momentum 0.9 ({'fused' if fused else 'Keras'}), shift+flip augmentation, {args.precision}"
    )
    print(f"machine: {accelerator or 'CPU only'} | CPU: {cpu_name()} ({os.cpu_count()} cores)")
    versions = f"Keras {keras.__version__}"
    if backend == "tensorflow":
        import tensorflow as tf

        versions = f"TensorFlow {tf.__version__}, " + versions
    elif backend == "jax":
        import jax

        versions = f"JAX {jax.__version__}, " + versions
    print(f"backend: {backend} ({versions}) | pipeline: {pipeline} | profile: {cfg.name}")
    if args.summary_json:
        summary = {
            "history": history,
            "reached": {f"{t:.3f}": reached.get(t) for t in TARGETS},
            "eval_seconds": eval_seconds,
            "versions": versions,
            "pipeline": pipeline,
            "batchnorm": "fused" if fused else "Keras",
            "machine": accelerator or "CPU only",
        }
        print(json.dumps(summary))
    return history


def compare(args):
    """Run this script once per backend (each in its own process); print one table."""
    options = ["--epochs", args.epochs, "--batch-size", args.batch_size, "--peak-lr", args.peak_lr]
    options += ["--weight-decay", args.weight_decay, "--label-smoothing", args.label_smoothing]
    options += ["--source", args.source, "--pipeline", args.pipeline]
    options += ["--batchnorm", args.batchnorm, "--precision", args.precision, "--seed", args.seed]
    options += ["--limit", args.limit] if args.limit else []
    runs = {}
    for backend in dict.fromkeys(args.backends):
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, __file__, *map(str, options), "--summary-json"]
        print(f"--- {backend} ---", flush=True)
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as child:
            lines = []
            for line in child.stdout:
                lines.append(line)
                if not line.startswith("{"):
                    print(f"[{backend}] {line}", end="", flush=True)
        if child.returncode != 0:
            sys.exit(f"the {backend} run failed (exit status {child.returncode})")
        runs[backend] = json.loads(lines[-1])

    names = list(runs)
    print("\n" + f"{'':24}" + "".join(f"{name:>34}" for name in names))
    rows = [("epoch: train s, test acc", None)]
    for epoch in range(args.epochs):
        cells = [runs[n]["history"][epoch] for n in names]
        rows.append((f"  {epoch + 1}", [f"{s:9.1f} s {a:8.2%}" for _, s, a in cells]))
    for target in TARGETS:
        cells = []
        for name in names:
            hit = runs[name]["reached"][f"{target:.3f}"]
            best = max(a for _, _, a in runs[name]["history"])
            cells.append(f"{hit[1]:.1f} s (epoch {hit[0]})" if hit else f"no (best {best:.2%})")
        rows.append((f"time to {target:.1%}", cells))
    rows.append(("evaluation s", [f"{runs[n]['eval_seconds']:.1f}" for n in names]))
    for key in ("pipeline", "batchnorm", "machine", "versions"):
        rows.append((key, [runs[n][key] for n in names]))
    for label, cells in rows:
        print(f"{label:24}" + ("".join(f"{c:>34}" for c in cells) if cells else ""))
    print(f"CPU: {cpu_name()} ({os.cpu_count()} cores); epoch 1 includes tracing/compilation")
    return runs


if __name__ == "__main__":
    main()
