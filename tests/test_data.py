"""helpers.data: IDX parsing, checksums, where the data is looked for, the sample, ArrayBatches."""

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.backends import run_on_backend
from helpers.data import CorruptDataError, MissingDataError

ROOT = Path(__file__).resolve().parent.parent


def idx_bytes(array, dtype_code=0x08):
    header = bytes([0, 0, dtype_code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def make_dataset(folder, n_train=20, n_test=10, seed=0):
    """Write four tiny synthetic Fashion-MNIST-shaped files; return their content hashes."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": (np.arange(n_test) % 10).astype(np.uint8),
    }
    sums = {}
    for role, array in arrays.items():
        name = data.FILES[role]
        data.write_idx(folder / name, array)
        sums[name] = hashlib.sha256(idx_bytes(array)).hexdigest()
    return arrays, sums


def test_write_then_read_round_trips_and_is_reproducible(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data.write_idx(tmp_path / "a.gz", images)
    data.write_idx(tmp_path / "b.gz", images)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    assert np.array_equal(data.read_idx(tmp_path / "a.gz"), images)


def test_reads_uncompressed_idx(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    (tmp_path / "labels").write_bytes(idx_bytes(labels))
    assert data.read_idx(tmp_path / "labels").tolist() == [3, 1, 4]


def test_checksum_accepts_right_and_rejects_wrong(tmp_path):
    labels = np.array([1, 2, 3], dtype=np.uint8)
    data.write_idx(tmp_path / "l.gz", labels)
    good = hashlib.sha256(idx_bytes(labels)).hexdigest()
    assert data.read_idx(tmp_path / "l.gz", good).tolist() == [1, 2, 3]
    with pytest.raises(CorruptDataError, match="checksum mismatch.*expected " + "0" * 64):
        data.read_idx(tmp_path / "l.gz", "0" * 64)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "not an IDX file"),
        (b"\x01\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc", "magic number"),
        (b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abc", "element type 0x0d; expected 0x08"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03" + (3).to_bytes(4, "big"), "truncated header: expected 16 bytes"),
        (
            b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc",
            r"shape \(5,\), i.e. 5 bytes.*holds 3",
        ),
        (
            b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + b"abc",
            r"shape \(2,\), i.e. 2 bytes.*holds 3",
        ),
    ],
)
def test_malformed_idx_names_file_and_problem(tmp_path, raw, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(raw)
    with pytest.raises(CorruptDataError, match=message) as err:
        data.read_idx(path)
    assert "bad-idx1-ubyte" in str(err.value)


def test_truncated_gzip_is_reported(tmp_path):
    data.write_idx(tmp_path / "x.gz", np.zeros((50, 28, 28), np.uint8) + 7)
    raw = (tmp_path / "x.gz").read_bytes()
    (tmp_path / "x.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptDataError, match=r"x\.gz: the gzip stream is truncated"):
        data.read_idx(tmp_path / "x.gz")


def test_corrupted_byte_fails_checksum(tmp_path):
    arrays, sums = make_dataset(tmp_path)
    name = data.FILES["train_images"]
    raw = bytearray(gzip.decompress((tmp_path / name).read_bytes()))
    raw[500] ^= 0xFF  # one flipped pixel: still a valid IDX file
    (tmp_path / name).write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(CorruptDataError, match="checksum mismatch"):
        data.read_idx(tmp_path / name, sums[name])


def test_loads_full_from_explicit_path_with_shapes_checked(tmp_path, monkeypatch):
    arrays, sums = make_dataset(tmp_path / "fm")
    monkeypatch.setattr(data, "FULL_SHA256", sums)
    (x, y), (xt, yt) = data.load_fashion_mnist("full", path=tmp_path / "fm")
    assert x.shape == (20, 28, 28) and x.dtype == np.uint8
    assert np.array_equal(x, arrays["train_images"]) and np.array_equal(yt, arrays["test_labels"])


def test_label_count_mismatch_and_range_are_reported(tmp_path, monkeypatch):
    make_dataset(tmp_path)
    data.write_idx(tmp_path / data.FILES["test_labels"], np.zeros(9, np.uint8))
    with pytest.raises(CorruptDataError, match=r"expected 10 labels .* found shape \(9,\)"):
        data.load_fashion_mnist("full", path=tmp_path, verify=False)
    data.write_idx(tmp_path / data.FILES["test_labels"], np.full(10, 12, np.uint8))
    with pytest.raises(CorruptDataError, match=r"labels must be in 0\.\.9, found 12"):
        data.load_fashion_mnist("full", path=tmp_path, verify=False)


def test_wrong_image_size_is_reported(tmp_path):
    make_dataset(tmp_path)
    data.write_idx(tmp_path / data.FILES["train_images"], np.zeros((20, 32, 32), np.uint8))
    with pytest.raises(
        CorruptDataError, match=r"expected images of shape \(n, 28, 28\), found \(20, 32, 32\)"
    ):
        data.load_fashion_mnist("full", path=tmp_path, verify=False)


def test_search_order_env_then_keras_then_debian_unless_a_path_is_given(tmp_path, monkeypatch):
    for name in ("explicit", "env", "keras/datasets/fashion-mnist", "debian"):
        make_dataset(tmp_path / name)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "debian")
    assert data.find_full_dataset(tmp_path / "explicit") == tmp_path / "explicit"
    assert data.find_full_dataset() == tmp_path / "env"
    monkeypatch.delenv("FASHION_MNIST_DIR")
    assert data.find_full_dataset() == tmp_path / "keras/datasets/fashion-mnist"
    (tmp_path / "keras/datasets/fashion-mnist" / data.FILES["test_labels"]).unlink()
    assert data.find_full_dataset() == tmp_path / "debian"


def test_missing_data_error_lists_every_place_and_the_remedy(tmp_path, monkeypatch):
    partial = tmp_path / "partial"
    make_dataset(partial)
    (partial / data.FILES["train_labels"]).unlink()
    monkeypatch.setenv("FASHION_MNIST_DIR", str(partial))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "nokeras"))
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "nodebian")
    with pytest.raises(MissingDataError) as err:
        data.load_fashion_mnist("full")
    message = str(err.value)
    for expected in (
        "$FASHION_MNIST_DIR",
        "missing train-labels-idx1-ubyte.gz",
        "the Keras cache",
        "Debian's dataset-fashion-mnist package",
        "folder does not exist",
        "apt install dataset-fashion-mnist",
    ):
        assert expected in message
    assert (
        message.index("$FASHION_MNIST_DIR")
        < message.index("the Keras cache")
        < message.index("Debian's")
    )


def test_unknown_source_is_a_clear_error():
    with pytest.raises(ValueError, match="source must be 'sample' or 'full', got 'tiny'"):
        data.load_fashion_mnist("tiny")


def test_default_source_follows_profile(monkeypatch, tmp_path):
    arrays, sums = make_dataset(tmp_path / "fm")
    monkeypatch.setattr(data, "FULL_SHA256", sums)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "fm"))
    monkeypatch.setenv("KERAS_MODELS_PROFILE", "full")
    (x, _), _ = data.load_fashion_mnist()
    assert len(x) == 20
    monkeypatch.setenv("KERAS_MODELS_PROFILE", "class")
    (x, _), _ = data.load_fashion_mnist()
    assert len(x) == 12_000


def test_committed_sample_is_stratified_and_verified():
    (x, y), (xt, yt) = data.load_fashion_mnist("sample")
    assert x.shape == (12_000, 28, 28) and xt.shape == (2_000, 28, 28)
    assert np.bincount(y, minlength=10).tolist() == [1_200] * 10
    assert np.bincount(yt, minlength=10).tolist() == [200] * 10
    assert x.dtype == np.uint8 and 200 < x.max() <= 255
    # No image repeats within the training split of the sample.
    assert len(np.unique(x.reshape(len(x), -1), axis=0)) == len(x)


def test_committed_sample_size_is_a_few_megabytes():
    size = sum(f.stat().st_size for f in data.SAMPLE_DIR.glob("*.gz"))
    assert 1_000_000 < size < 10_000_000


def test_stratified_indices_are_deterministic_and_balanced():
    labels = np.repeat(np.arange(10), 30)[np.random.default_rng(1).permutation(300)]
    a = data.stratified_indices(labels, per_class=5, seed=7)
    b = data.stratified_indices(labels, per_class=5, seed=7)
    assert np.array_equal(a, b) and np.all(np.diff(a) > 0)
    assert np.bincount(labels[a]).tolist() == [5] * 10
    assert not np.array_equal(a, data.stratified_indices(labels, per_class=5, seed=8))
    with pytest.raises(ValueError, match="fewer than per_class=31"):
        data.stratified_indices(labels, per_class=31, seed=7)


def test_sample_regenerates_byte_for_byte_from_official_files(tmp_path):
    try:
        data.find_full_dataset()
    except MissingDataError:
        pytest.skip("the full Fashion-MNIST files are not installed (make installs them)")
    subprocess.run(
        [sys.executable, str(ROOT / "data" / "make_sample.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    for committed in sorted(data.SAMPLE_DIR.iterdir()):
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes(), committed.name


def test_sample_checksums_match_files():
    sums = data.read_sample_checksums()
    assert sorted(sums) == sorted(data.FILES.values())
    for name, digest in sums.items():
        raw = gzip.decompress((data.SAMPLE_DIR / name).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == digest


def test_official_files_load_with_checksums_when_installed():
    try:
        data.find_full_dataset()
    except MissingDataError:
        pytest.skip("the full Fashion-MNIST files are not installed (make installs them)")
    (x, y), (xt, yt) = data.load_fashion_mnist("full")
    assert x.shape == (60_000, 28, 28) and xt.shape == (10_000, 28, 28)
    assert np.bincount(y).tolist() == [6_000] * 10 and np.bincount(yt).tolist() == [1_000] * 10


def test_an_explicit_path_without_the_files_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    # The data exists elsewhere, but the learner named a folder: use it or say why not.
    make_dataset(tmp_path / "env")
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "env"))
    for folder, what in ((tmp_path / "typo", "folder does not exist"), (tmp_path, "missing")):
        with pytest.raises(MissingDataError) as err:
            data.load_fashion_mnist("full", path=folder)
        message = str(err.value)
        assert (
            f"not in the folder you passed:\n  - the path you passed: {folder} ({what}" in message
        )
        assert "train-images-idx3-ubyte.gz" in message and "$FASHION_MNIST_DIR" in message


# ---------------------------------------------- ArrayBatches (NumPy batches, any backend) ----


def fake_images(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def read_epoch(batches):
    """Every batch of the current epoch, concatenated: (images, labels)."""
    xs, ys = zip(*(batches[i] for i in range(len(batches))))
    return np.concatenate(xs), np.concatenate(ys)


def test_array_batches_give_make_datasets_test_batches():
    images, labels = fake_images(40)
    batches = data.ArrayBatches(images, labels, batch_size=16)
    assert len(batches) == 3 and [batches[i][0].shape for i in range(3)] == [
        (16, 28, 28, 1),
        (16, 28, 28, 1),
        (8, 28, 28, 1),
    ]
    x, y = read_epoch(batches)
    assert x.dtype == np.float32 and y.dtype == np.int32 and 0 <= x.min() and x.max() <= 1
    ds = data.make_dataset(images, labels, batch_size=16)
    tf_x = np.concatenate([b[0].numpy() for b in ds])
    assert np.array_equal(x, tf_x) and np.array_equal(y, labels)  # in order, bit for bit
    _, hot = read_epoch(data.ArrayBatches(images, labels, 16, one_hot=True))
    assert hot.dtype == np.float32 and hot.shape == (40, 10)
    assert np.array_equal(hot.argmax(axis=1), labels) and np.array_equal(
        hot.sum(axis=1), np.ones(40)
    )
    with pytest.raises(IndexError, match="ArrayBatches has 3 batches; got index 3"):
        batches[3]


def test_array_batches_epochs_are_a_function_of_seed_and_epoch():
    images, labels = fake_images(40)
    run = data.ArrayBatches(images, labels, 8, training=True, augment=True, seed=1)
    epoch0 = read_epoch(run)
    assert all(np.array_equal(a, b) for a, b in zip(epoch0, read_epoch(run)))  # reread: same
    run.on_epoch_end()
    epoch1 = read_epoch(run)
    assert run.epoch == 1 and not np.array_equal(epoch0[1], epoch1[1])  # a new order
    assert not np.array_equal(epoch0[0], epoch1[0])
    # Another object (another process) with the same seed, from epoch 0 or from epoch 1.
    for first_epoch, expected in ((0, epoch0), (1, epoch1)):
        again = data.ArrayBatches(images, labels, 8, True, True, seed=1, first_epoch=first_epoch)
        assert all(np.array_equal(a, b) for a, b in zip(read_epoch(again), expected))
    other_seed = read_epoch(data.ArrayBatches(images, labels, 8, True, True, seed=2))
    assert not np.array_equal(other_seed[1], epoch0[1])
    plain = read_epoch(data.ArrayBatches(images, labels, 8, training=True, seed=1))
    assert np.array_equal(plain[1], epoch0[1])  # the order does not depend on augment


def test_array_batches_augmentation_is_a_shift_of_at_most_two_pixels_or_its_mirror():
    images, labels = fake_images(60, seed=3)
    run = data.ArrayBatches(images, labels, 16, training=True, augment=True, seed=5)
    x, y = read_epoch(run)
    order = run.plan()[0]
    assert np.array_equal(y, labels[order])
    padded = np.pad(images[order], ((0, 0), (2, 2), (2, 2))).astype(np.float32) / np.float32(255)
    moves = set()
    for i, image in enumerate(x[..., 0]):
        found = [
            (dy, dx, flip)
            for dy in range(5)
            for dx in range(5)
            for flip in (False, True)
            if np.array_equal(
                image, (lambda c: c[:, ::-1] if flip else c)(padded[i, dy : dy + 28, dx : dx + 28])
            )
        ]
        assert found, f"image {i} is not a shift of at most 2 pixels of its original, or its mirror"
        moves.update(found)
    # 60 images use many of the 25 shifts, mirrored and not.
    assert len({(dy, dx) for dy, dx, _ in moves}) > 15 and {f for *_, f in moves} == {False, True}


def test_an_epoch_ends_only_once_all_its_batches_were_read():
    images, labels = fake_images(40)
    run = data.ArrayBatches(images, labels, 8, training=True, first_epoch=4)
    run[0], run[1]
    run.on_epoch_end()  # as Keras does before training: not a whole epoch
    assert run.epoch == 4
    read_epoch(run)
    run.on_epoch_end()
    assert run.epoch == 5
    run.on_epoch_end()  # nothing read since
    assert run.epoch == 5


def test_array_batches_count_keras_epochs_on_tensorflow_and_fit_must_not_shuffle():
    import keras

    reads = []

    class Recording(data.ArrayBatches):
        def __getitem__(self, index):
            reads.append(index)
            return super().__getitem__(index)

    images, labels = fake_images(40)
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    run = Recording(images, labels, 8, training=True, augment=True, first_epoch=2)
    model.fit(run, epochs=3, shuffle=False, verbose=0)
    assert run.epoch == 5 and reads[-15:] == [0, 1, 2, 3, 4] * 3
    # fit's default, shuffle=True, reorders the batches (with Python's random): not (seed, epoch).
    reads.clear()
    model.fit(Recording(images, labels, 8, training=True), epochs=3, verbose=0)
    assert sorted(reads[-15:]) == sorted([0, 1, 2, 3, 4] * 3) and reads[-15:] != [0, 1, 2, 3, 4] * 3


@pytest.mark.parametrize(
    "images, labels, kwargs, error",
    [
        (np.zeros((4, 28, 28), np.float32), np.zeros(4, int), {}, TypeError),
        (np.zeros((4, 28, 27), np.uint8), np.zeros(4, int), {}, ValueError),
        (np.zeros((4, 28, 28), np.uint8), np.zeros(3, int), {}, ValueError),
        (np.zeros((4, 28, 28), np.uint8), np.full(4, 10), {}, ValueError),
        (np.zeros((4, 28, 28), np.uint8), np.zeros(4, int), {"batch_size": 0}, ValueError),
        (np.zeros((4, 28, 28), np.uint8), np.zeros(4, int), {"first_epoch": -1}, ValueError),
        (np.zeros((4, 28, 28), np.uint8), np.zeros(4, int), {"augment": True}, ValueError),
    ],
)
def test_array_batches_bad_input_gets_make_datasets_message(images, labels, kwargs, error):
    with pytest.raises(error) as from_make_dataset:
        data.make_dataset(images, labels, **kwargs)
    with pytest.raises(error) as from_array_batches:
        data.ArrayBatches(images, labels, **kwargs)
    expected = str(from_make_dataset.value).replace("make_dataset", "ArrayBatches")
    assert str(from_array_batches.value) == expected


def test_make_dataset_without_tensorflow_names_array_batches(monkeypatch):
    from helpers import runtime

    def no_tensorflow():
        raise ImportError("No module named 'tensorflow'")

    monkeypatch.setattr(runtime, "import_tensorflow_quietly", no_tensorflow)
    images, labels = fake_images(8)
    with pytest.raises(ImportError, match=r"needs TensorFlow.*helpers\.data\.ArrayBatches"):
        data.make_dataset(images, labels)


def test_both_pipelines_train_on_jax():
    code = """
import json, os, sys, tempfile
log = tempfile.TemporaryFile("w+")
os.dup2(log.fileno(), 2)  # what this process writes to stderr, read back at the end
import numpy as np
import helpers

helpers.setup(verbose=False)
import keras
from helpers.data import ArrayBatches, make_dataset

rng = np.random.default_rng(0)
images, labels = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), np.arange(40) % 10

def model():
    layers = [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    model = keras.Sequential(layers)
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model

run = ArrayBatches(images, labels, 8, training=True, augment=True, first_epoch=3)
losses = model().fit(run, epochs=2, shuffle=False, verbose=0).history["loss"]
tf_loaded = "tensorflow" in sys.modules
ds = make_dataset(images, labels, 8, training=True, seed=1)
losses += model().fit(ds, epochs=2, shuffle=False, verbose=0).history["loss"]
after = np.concatenate([y for _, y in ds.as_numpy_iterator()])
fresh = make_dataset(images, labels, 8, training=True, seed=1)
passes = [np.concatenate([y for _, y in fresh.as_numpy_iterator()]) for _ in range(4)]
sys.stderr.flush()
log.seek(0)
print(json.dumps({"epoch": run.epoch, "tf": tf_loaded, "losses": losses, "stderr": log.read(),
                  "next": [k for k, p in enumerate(passes) if np.array_equal(p, after)]}))
"""
    found = json.loads(run_on_backend("jax", code, timeout=300).splitlines()[-1])
    assert found["epoch"] == 5 and found["tf"] is False  # ArrayBatches: no TensorFlow
    assert len(found["losses"]) == 4 and all(np.isfinite(found["losses"]))
    # make_dataset works too, but fit's first pass to build the model counts as an epoch (its
    # docstring says so): after 2 epochs of training the next pass is epoch 3, not 2.
    assert found["next"] == [3]
    assert found["stderr"] == ""  # TensorFlow started quietly after JAX
