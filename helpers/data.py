"""Fashion-MNIST, offline: find the files, check them, parse them.

Fashion-MNIST is 70,000 grayscale 28x28 pictures of clothes in 10 classes,
stored as four gzipped IDX files. This module reads those files itself (no
download), checks every file against a SHA-256 checksum of its contents, and
returns plain uint8 NumPy arrays, like ``keras.datasets.fashion_mnist``.

Two sources:

* ``"sample"``: the small stratified sample committed in ``data/`` (1,200
  training and 200 test images per class). Every machine has it, so the
  default ``class`` profile always uses it and prints the same outputs.
* ``"full"``: the official 60,000 + 10,000 images, read from the folder you
  pass, or else looked for (in order) in ``$FASHION_MNIST_DIR``, the Keras
  cache and Debian's ``dataset-fashion-mnist`` package.

Checksums are of the *decompressed* IDX bytes: Debian re-compresses the
official ``.gz`` files, so their bytes differ while the images are identical.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# The four files of the dataset, by role. The sample uses the same names.
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# SHA-256 of each official file's decompressed IDX bytes (`zcat FILE | sha256sum`).
FULL_SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "fashion-mnist-sample"
SAMPLE_PER_CLASS = {"train": 1_200, "test": 200}
SAMPLE_SEED = 20_240_601
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

_IDX_DTYPES = {0x08: np.uint8}


class MissingDataError(FileNotFoundError):
    """The full Fashion-MNIST files were not found in any place we looked."""


class CorruptDataError(ValueError):
    """A data file exists but is truncated, malformed or fails its checksum."""


def read_idx(path, expected_sha256=None):
    """Read one IDX file (gzipped or not) into a uint8 NumPy array.

    The header is checked (magic number, element type, number of dimensions)
    and so is the size of the data against the shape the header promises. If
    ``expected_sha256`` is given, the decompressed bytes must hash to it. Any
    problem raises :class:`CorruptDataError` naming the file and what was wrong.

    Example::

        labels = read_idx("data/fashion-mnist-sample/t10k-labels-idx1-ubyte.gz")
        labels.shape        # (2000,)
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise CorruptDataError(
            f"{path}: the gzip stream is truncated or damaged ({err}); "
            "delete the file and get it again"
        ) from None
    if expected_sha256 is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != expected_sha256:
            raise CorruptDataError(
                f"{path}: checksum mismatch: the decompressed file has SHA-256 "
                f"{digest}, expected {expected_sha256}; the file is corrupt or "
                "not the official Fashion-MNIST file"
            )
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise CorruptDataError(
            f"{path}: not an IDX file: expected the magic number to start with two "
            f"zero bytes, found {raw[:4].hex() or 'an empty file'}"
        )
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code not in _IDX_DTYPES:
        raise CorruptDataError(
            f"{path}: unsupported IDX element type 0x{dtype_code:02x}; "
            "expected 0x08 (unsigned bytes)"
        )
    if ndim < 1:
        raise CorruptDataError(f"{path}: IDX header says 0 dimensions; expected at least 1")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CorruptDataError(
            f"{path}: truncated header: expected {header} bytes for {ndim} "
            f"dimensions, found {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64))
    found = len(raw) - header
    if found != expected:
        raise CorruptDataError(
            f"{path}: the header promises shape {shape}, i.e. {expected} bytes of "
            f"data, but the file holds {found}; it is truncated or malformed"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path, array):
    """Write a uint8 array as a gzipped IDX file, byte-for-byte reproducibly.

    The gzip header carries no time stamp and no file name, so writing the
    same array twice gives identical bytes (the committed sample relies on it).

    Example::

        write_idx("labels.gz", np.array([0, 1, 2], dtype=np.uint8))
    """
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"write_idx expects a uint8 array, got dtype {array.dtype}")
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    with (
        open(path, "wb") as f,
        gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(header + array.tobytes())


def places_to_look(path=None):
    """List, in order, the folders searched for the full dataset.

    Each entry is ``(description, Path)``. An explicit ``path`` is an
    instruction, so it is the only entry; without one the list is
    ``$FASHION_MNIST_DIR``, the Keras cache, and Debian's package folder.

    Example::

        for where, folder in places_to_look():
            print(where, folder)
    """
    if path is not None:
        return [("the path you passed", Path(path))]
    places = []
    if os.environ.get("FASHION_MNIST_DIR"):
        places.append(("$FASHION_MNIST_DIR", Path(os.environ["FASHION_MNIST_DIR"])))
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    places.append(("the Keras cache", keras_home / "datasets" / "fashion-mnist"))
    places.append(("Debian's dataset-fashion-mnist package", DEBIAN_DIR))
    return places


def find_full_dataset(path=None):
    """Return the folder that holds all four official files.

    With ``path`` given, that folder must hold them; otherwise the first of
    :func:`places_to_look` that does is returned. Raises
    :class:`MissingDataError` listing every place looked at, what was missing
    there, and how to get the data. Nothing is downloaded.

    Example::

        folder = find_full_dataset()    # e.g. /usr/share/datasets/fashion-mnist
    """
    report = []
    for where, folder in places_to_look(path):
        missing = [name for name in FILES.values() if not (folder / name).is_file()]
        if not missing:
            return folder
        what = "folder does not exist" if not folder.is_dir() else "missing " + ", ".join(missing)
        report.append(f"  - {where}: {folder} ({what})")
    if path is not None:
        raise MissingDataError(
            f"The full Fashion-MNIST dataset is not in the folder you passed:\n{report[0]}\n"
            "It must hold the four official files: " + ", ".join(FILES.values()) + ". "
            "Pass a folder that holds them, or pass no path to search $FASHION_MNIST_DIR, "
            "the Keras cache and Debian's package."
        )
    raise MissingDataError(
        "The full Fashion-MNIST dataset was not found. Looked in, in order:\n"
        + "\n".join(report)
        + "\nTo get it: `sudo apt install dataset-fashion-mnist` (Debian/Ubuntu), or, "
        "when online, `keras.datasets.fashion_mnist.load_data()` once to fill the "
        "Keras cache, or set FASHION_MNIST_DIR to a folder holding the four files: "
        + ", ".join(FILES.values())
        + "."
    )


def read_sample_checksums(folder=SAMPLE_DIR):
    """Read ``SHA256SUMS`` beside the sample: ``{file name: sha256}``.

    The file lists the SHA-256 of each file's decompressed IDX bytes, so
    ``zcat FILE.gz | sha256sum`` reproduces it.

    Example::

        read_sample_checksums()["t10k-labels-idx1-ubyte.gz"]
    """
    sums_file = Path(folder) / "SHA256SUMS"
    if not sums_file.is_file():
        raise MissingDataError(f"{sums_file}: the sample's checksum file is missing")
    sums = {}
    for line in sums_file.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            sums[name + ".gz"] = digest
    return sums


def _read_split(folder, checksums, split):
    images_file = folder / FILES[f"{split}_images"]
    labels_file = folder / FILES[f"{split}_labels"]
    for file in (images_file, labels_file):
        if not file.is_file():
            raise MissingDataError(f"{file}: file not found")
    images = read_idx(images_file, checksums.get(images_file.name) if checksums else None)
    labels = read_idx(labels_file, checksums.get(labels_file.name) if checksums else None)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise CorruptDataError(
            f"{images_file}: expected images of shape (n, 28, 28), found {images.shape}"
        )
    if labels.shape != (images.shape[0],):
        raise CorruptDataError(
            f"{labels_file}: expected {images.shape[0]} labels (one per image in "
            f"{images_file.name}), found shape {labels.shape}"
        )
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise CorruptDataError(
            f"{labels_file}: labels must be in 0..{len(CLASS_NAMES) - 1}, found {labels.max()}"
        )
    return images, labels


def load_fashion_mnist(source=None, path=None, verify=True):
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)`` uint8 arrays.

    ``source`` is ``"sample"`` (the committed 12,000 + 2,000 images) or
    ``"full"`` (60,000 + 10,000, found by :func:`find_full_dataset`); by
    default it follows the profile (``KERAS_MODELS_PROFILE``: ``class`` ->
    sample, ``full`` -> full). Images are ``(n, 28, 28)`` in 0..255, labels
    ``(n,)`` in 0..9; :data:`CLASS_NAMES` names them. ``verify=True`` checks
    every file's SHA-256.

    Example::

        (x_train, y_train), (x_test, y_test) = load_fashion_mnist("sample")
        x_train.shape, CLASS_NAMES[y_train[0]]     # ((12000, 28, 28), 'Ankle boot')
    """
    if source is None:
        from helpers.runtime import profile_from_env

        source = "full" if profile_from_env() == "full" else "sample"
    if source == "sample":
        folder, checksums = SAMPLE_DIR, read_sample_checksums(SAMPLE_DIR)
    elif source == "full":
        folder, checksums = find_full_dataset(path), FULL_SHA256
    else:
        raise ValueError(f"source must be 'sample' or 'full', got {source!r}")
    train = _read_split(Path(folder), checksums if verify else None, "train")
    test = _read_split(Path(folder), checksums if verify else None, "test")
    return train, test


def stratified_indices(labels, per_class, seed):
    """Pick ``per_class`` indices of each class at random, returned sorted.

    The choice depends only on ``labels``, ``per_class`` and ``seed``, so the
    same sample comes out on every machine. Sorting keeps the official order,
    in which the classes are already mixed.

    Example::

        idx = stratified_indices(y_train, per_class=1200, seed=0)
        np.bincount(y_train[idx])       # array([1200, 1200, ...])
    """
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in range(len(CLASS_NAMES)):
        members = np.flatnonzero(labels == cls)
        if len(members) < per_class:
            raise ValueError(
                f"class {cls} has {len(members)} examples, fewer than per_class={per_class}"
            )
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def write_sample(out_dir, full_dir=None, per_class=None, seed=SAMPLE_SEED):
    """Write the stratified sample (four IDX ``.gz`` files + ``SHA256SUMS``).

    Reads the official files (via :func:`find_full_dataset` unless
    ``full_dir`` is given), picks ``per_class`` images of each class from each
    split and writes them reproducibly to ``out_dir``. ``data/make_sample.py``
    calls this; the committed sample is its output.

    Example::

        write_sample("data/fashion-mnist-sample")
    """
    per_class = per_class or SAMPLE_PER_CLASS
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist("full", path=full_dir)
    lines = ["# SHA-256 of each file's decompressed IDX bytes: zcat FILE.gz | sha256sum"]
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        idx = stratified_indices(y, per_class[split], seed)
        for role, array in (("images", x[idx]), ("labels", y[idx])):
            name = FILES[f"{split}_{role}"]
            write_idx(out_dir / name, array)
            digest = hashlib.sha256(gzip.decompress((out_dir / name).read_bytes())).hexdigest()
            lines.append(f"{digest}  {name[:-3]}")
    (out_dir / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return out_dir


def _checked_inputs(owner, images, labels, batch_size, training, augment, first_epoch):
    """Check what make_dataset and ArrayBatches are given; return (images, labels) as arrays.

    ``owner`` names the caller in the messages.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype != np.uint8:
        raise TypeError(f"{owner} expects uint8 images (pixels 0..255), got dtype {images.dtype}")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{owner} expects images of shape (n, 28, 28), got {images.shape}")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{owner} expects integer labels of shape (n,), got shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    if len(labels) != len(images):
        raise ValueError(
            f"{owner} expects one label per image: {len(images)} images, but {len(labels)} labels"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise ValueError(
            f"{owner} expects labels in 0..{len(CLASS_NAMES) - 1}, found "
            f"{labels.min()}..{labels.max()}"
        )
    for name, value, least in (("batch_size", batch_size, 1), ("first_epoch", first_epoch, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            kind = "a positive int" if least else "an int >= 0"
            raise ValueError(f"{owner} expects {name} to be {kind}, got {value!r}")
    if augment and not training:
        raise ValueError(f"{owner}: augment=True needs training=True (never augment test data)")
    return images, labels


def make_dataset(
    images,
    labels,
    batch_size=128,
    training=False,
    augment=False,
    seed=42,
    one_hot=False,
    first_epoch=0,
):
    """Turn uint8 images and int labels into a batched, prefetched ``tf.data.Dataset``.

    Images ``(n, 28, 28)`` uint8 become float32 ``(batch, 28, 28, 1)`` in 0..1;
    labels ``(n,)`` in 0..9 stay int32, or become float32 one-hot rows with
    ``one_hot=True`` (what ``CategoricalCrossentropy(label_smoothing=...)`` needs).
    Without ``training`` the images come in order. With ``training=True`` every
    pass over the dataset is one epoch, numbered ``first_epoch``,
    ``first_epoch + 1``, ...: epoch *k* takes the images in an order that is a
    pure function of ``(seed, k)``, and with ``augment=True`` shifts each image
    by up to 2 pixels (a random 28x28 crop of the image padded by 2, zero fill)
    and mirrors it left-right half the time, with choices that are a pure
    function of ``(seed, k, position in the epoch)``. So a new process that
    resumes at epoch *k* (``first_epoch=k``) sees exactly the batches the
    interrupted one would have seen; ``helpers.resume`` relies on it. The
    images are held in memory; the last batch may be smaller. TensorFlow is
    imported only when this runs, and must be installed: on the JAX backend
    Keras's ``fit`` still takes the dataset (it iterates it with TensorFlow and
    hands each batch over as NumPy arrays), but the first ``fit`` of a model
    there reads one batch of a fresh pass to build the model, and that pass
    counts, so its epochs are ``first_epoch + 1``, ... Without TensorFlow, or to
    count only whole epochs, use :class:`ArrayBatches` (NumPy, any backend).

    Example::

        (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
        train_ds = make_dataset(x_train, y_train, 128, training=True, augment=True)
        test_ds = make_dataset(x_test, y_test, 256)
        model.fit(train_ds, validation_data=test_ds, epochs=5)
    """
    images, labels = _checked_inputs(
        "make_dataset", images, labels, batch_size, training, augment, first_epoch
    )
    from helpers.runtime import import_tensorflow_quietly

    try:
        tf = import_tensorflow_quietly()
    except ImportError as err:
        raise ImportError(
            f"make_dataset builds a tf.data pipeline and needs TensorFlow, which failed to "
            f"import ({err}). Without TensorFlow (on JAX or PyTorch), use "
            "helpers.data.ArrayBatches(images, labels, ...), which makes such batches in NumPy."
        ) from err
    n, batch_size = len(images), int(batch_size)
    all_images, all_labels = tf.constant(images), tf.constant(labels.astype(np.int32))

    def load(index):
        image = tf.cast(tf.gather(all_images, index), tf.float32)[..., tf.newaxis] / 255.0
        label = tf.gather(all_labels, index)
        if one_hot:
            label = tf.one_hot(label, len(CLASS_NAMES), dtype=tf.float32)
        return image, label

    def shift_and_flip(image, epoch, position):
        # Stateless random ops: the same seed gives the same choice, in any process.
        where = tf.stack([tf.cast(epoch, tf.int64), position])
        padded = tf.pad(image, [[2, 2], [2, 2], [0, 0]])
        image = tf.image.stateless_random_crop(padded, [28, 28, 1], seed=where + [seed, 0])
        return tf.image.stateless_random_flip_left_right(image, seed=where + [seed + 1, 0])

    def one_epoch(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        ds = tf.data.Dataset.from_tensor_slices(order).enumerate()

        def example(position, index):
            image, label = load(index)
            if augment:
                image = shift_and_flip(image, epoch, position)
            return image, label

        ds = ds.map(example, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
        return ds.prefetch(tf.data.AUTOTUNE)

    if not training:
        ds = tf.data.Dataset.range(n).map(load, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    # Each new pass (iterator) over the dataset reads and advances this epoch counter, so
    # passes are epochs first_epoch, first_epoch + 1, ... (tf.data's own reshuffling counts
    # passes too, but always from 0 in a new process). Under op determinism the counter's
    # update makes tf.data drop a prefetch placed after it, so each epoch prefetches inside.
    next_epoch = tf.Variable(int(first_epoch), dtype=tf.int64, trainable=False)
    ds = tf.data.Dataset.from_tensors(0).flat_map(lambda _: one_epoch(next_epoch.assign_add(1) - 1))
    return ds.apply(tf.data.experimental.assert_cardinality(-(-n // batch_size)))


def __getattr__(name):
    # ArrayBatches subclasses keras.utils.PyDataset, so it is defined on first use: importing
    # helpers.data must not import Keras before helpers.setup() has chosen the backend.
    if name == "ArrayBatches":
        globals()["ArrayBatches"] = _define_array_batches()
        return globals()["ArrayBatches"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _define_array_batches():
    import keras

    class ArrayBatches(keras.utils.PyDataset):
        """:func:`make_dataset`'s batches made in NumPy, for any backend, without TensorFlow.

        Same arguments, checks and outputs as :func:`make_dataset`: float32
        ``(batch, 28, 28, 1)`` images in 0..1, int32 (or one-hot float32) labels.
        With ``training=True`` epoch *k* (from ``first_epoch``) takes the images in
        an order that is a pure function of ``(seed, k)``, and ``augment=True``
        crops each zero-padded image back to 28x28 (a shift of up to 2 pixels) and
        mirrors it half the time, choices a pure function of ``(seed, k, position)``.
        NumPy's random numbers are not TensorFlow's, so the batches are not
        bit-identical to make_dataset's. Pass ``shuffle=False`` to ``fit``: by
        default it reorders a PyDataset's batches with Python's ``random``. Keras
        calls ``on_epoch_end`` after every epoch but also when ``fit`` starts, so an
        epoch counts (and the next one begins) only once all its batches were read.

        Example::

            train = ArrayBatches(x_train, y_train, 128, training=True, augment=True)
            model.fit(train, epochs=5, shuffle=False)   # epochs 0..4, each from (42, k)
        """

        def __init__(self, images, labels, batch_size=128, training=False, augment=False,
                     seed=42, one_hot=False, first_epoch=0):  # fmt: skip
            super().__init__()
            self.images, self.labels = _checked_inputs(
                "ArrayBatches", images, labels, batch_size, training, augment, first_epoch
            )
            self.batch_size, self.training, self.augment = int(batch_size), training, augment
            self.seed, self.one_hot, self.epoch = seed, one_hot, int(first_epoch)
            self._read, self._plan = set(), (None,)

        def __len__(self):
            return -(-len(self.images) // self.batch_size)

        def plan(self):
            """This epoch's order, crop offsets (rows, columns) and flips: from (seed, epoch)."""
            if self._plan[0] != self.epoch:
                n = len(self.images)
                rng = np.random.default_rng([self.seed, self.epoch])
                order = rng.permutation(n) if self.training else np.arange(n)
                self._plan = (self.epoch, order, rng.integers(0, 5, (2, n)), rng.random(n) < 0.5)
            return self._plan[1:]

        def __getitem__(self, index):
            if not 0 <= index < len(self):
                raise IndexError(f"ArrayBatches has {len(self)} batches; got index {index}")
            self._read.add(index)
            where = slice(index * self.batch_size, (index + 1) * self.batch_size)
            order, (rows, cols), flips = self.plan()
            images, labels = self.images[order[where]], self.labels[order[where]].astype(np.int32)
            if self.augment:
                padded, span = np.pad(images, ((0, 0), (2, 2), (2, 2))), np.arange(28)
                r, c = rows[where, None] + span, cols[where, None] + span
                images = padded[np.arange(len(images))[:, None, None], r[:, :, None], c[:, None]]
                images = np.where(flips[where, None, None], images[:, :, ::-1], images)
            if self.one_hot:
                labels = np.eye(len(CLASS_NAMES), dtype=np.float32)[labels]
            return images.astype(np.float32)[..., None] / np.float32(255.0), labels

        def on_epoch_end(self):
            # Before an epoch Keras may read a batch or two (to build the model on JAX, to
            # learn the batch's dtypes on TensorFlow), then calls this: not a whole epoch
            # unless the data hold one or two batches.
            if self.training and len(self._read) == len(self):
                self.epoch += 1
            self._read = set()

    return ArrayBatches
