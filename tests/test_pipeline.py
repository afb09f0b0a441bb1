"""helpers.data.make_dataset: the tf.data input pipeline of notebook 06 and bench/."""

import subprocess
import sys

import numpy as np
import pytest

from helpers.data import make_dataset

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def fake_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def collect(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(xs), np.concatenate(ys)


def test_helpers_data_does_not_import_tensorflow():
    code = "import sys, helpers.data; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_test_pipeline_scales_adds_channel_and_keeps_order():
    images, labels = fake_data(40)
    ds = make_dataset(images, labels, batch_size=16)
    shapes = [tuple(x.shape) for x, _ in ds]
    assert shapes == [(16, 28, 28, 1), (16, 28, 28, 1), (8, 28, 28, 1)]
    x, y = collect(ds)
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_allclose(x[..., 0], images / 255.0, atol=1e-7)  # no shuffle, no change
    np.testing.assert_array_equal(y, labels)


def test_one_hot_labels_are_float_rows():
    images, labels = fake_data(20)
    _, y = collect(make_dataset(images, labels, batch_size=8, one_hot=True))
    assert y.shape == (20, 10) and y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(axis=1), labels)
    np.testing.assert_array_equal(y.sum(axis=1), np.ones(20))


def test_training_pipeline_shuffles_each_epoch_and_is_deterministic_with_a_seed():
    images, labels = fake_data(40)
    a = make_dataset(images, labels, 8, training=True, seed=1)
    b = make_dataset(images, labels, 8, training=True, seed=1)
    a1, a2, b1, b2 = collect(a), collect(a), collect(b), collect(b)
    np.testing.assert_array_equal(a1[0], b1[0])  # same seed: same first epoch ...
    np.testing.assert_array_equal(a2[0], b2[0])  # ... and same second epoch
    assert not np.array_equal(a1[1], a2[1])  # a new order every epoch
    assert sorted(a1[1]) == sorted(labels)  # every example exactly once
    c1 = collect(make_dataset(images, labels, 8, training=True, seed=2))
    assert not np.array_equal(a1[1], c1[1])  # another seed: another order


def test_epoch_k_is_the_same_in_a_run_that_starts_at_k():
    # What a resumed process relies on: its first pass is the interrupted run's epoch k.
    images, labels = fake_data(40)
    run = make_dataset(images, labels, 8, training=True, augment=True, seed=5)
    epochs = [collect(run) for _ in range(3)]
    resumed = make_dataset(images, labels, 8, training=True, augment=True, seed=5, first_epoch=2)
    np.testing.assert_array_equal(collect(resumed)[0], epochs[2][0])
    np.testing.assert_array_equal(collect(resumed)[1], collect(run)[1])  # then epoch 3 in both
    assert int(run.cardinality()) == 5  # known, so Keras shows and checks steps per epoch


def test_augmentation_changes_images_keeps_labels_and_is_deterministic():
    images, labels = fake_data(64)
    plain = collect(make_dataset(images, labels, 16, training=True, seed=3))
    aug_a = make_dataset(images, labels, 16, training=True, augment=True, seed=3)
    aug_b = make_dataset(images, labels, 16, training=True, augment=True, seed=3)
    xa, ya = collect(aug_a)
    xb, yb = collect(aug_b)
    np.testing.assert_array_equal(xa, xb)  # same seed, same augmentations
    np.testing.assert_array_equal(ya, plain[1])  # same order, labels untouched
    assert xa.shape == (64, 28, 28, 1) and xa.dtype == np.float32
    changed = [not np.array_equal(xa[i], plain[0][i]) for i in range(64)]
    assert sum(changed) > 32  # most images are shifted or flipped
    # Shifts are whole pixels with zero fill, so pixel values stay on the 0..255 grid.
    np.testing.assert_allclose(xa * 255, np.round(xa * 255), atol=1e-4)
    assert 0.0 <= xa.min() and xa.max() <= 1.0
    xa2, _ = collect(aug_a)
    assert not np.array_equal(xa2, xa)  # new augmentations every epoch


def test_augmentation_is_a_shift_of_at_most_two_pixels_or_its_mirror():
    images, labels = fake_data(16, seed=5)
    plain = collect(make_dataset(images, labels, 16, training=True, seed=4))[0][..., 0]
    aug = collect(make_dataset(images, labels, 16, training=True, augment=True, seed=4))[0][..., 0]
    for original, augmented in zip(plain, aug):
        padded = np.pad(original, 2)
        candidates = [padded[dy : dy + 28, dx : dx + 28] for dy in range(5) for dx in range(5)]
        candidates += [c[:, ::-1] for c in candidates]
        assert any(np.array_equal(augmented, c) for c in candidates)


@pytest.mark.parametrize(
    "images, labels, kwargs, error, message",
    [
        (
            np.zeros((4, 28, 28), np.float32),
            np.zeros(4, np.uint8),
            {},
            TypeError,
            r"expects uint8 images \(pixels 0..255\), got dtype float32",
        ),
        (
            np.zeros((4, 28, 28), np.uint8),
            np.zeros(4, np.uint8),
            {"training": True, "first_epoch": -1},
            ValueError,
            r"expects first_epoch to be an int >= 0, got -1",
        ),
        (
            np.zeros((4, 28, 28, 1), np.uint8),
            np.zeros(4, np.uint8),
            {},
            ValueError,
            r"expects images of shape \(n, 28, 28\), got \(4, 28, 28, 1\)",
        ),
        (
            np.zeros((4, 28, 28), np.uint8),
            np.array([0, 1, 2, 10]),
            {},
            ValueError,
            r"expects labels in 0..9, found 0..10",
        ),
        (
            np.zeros((4, 28, 28), np.uint8),
            np.array([-1, 1, 2, 3]),
            {},
            ValueError,
            r"expects labels in 0..9, found -1..3",
        ),
        (
            np.zeros((4, 28, 28), np.uint8),
            np.zeros(3, np.uint8),
            {},
            ValueError,
            r"one label per image: 4 images, but 3 labels",
        ),
        (
            np.zeros((4, 28, 28), np.uint8),
            np.zeros((4, 10), np.uint8),
            {},
            ValueError,
            r"integer labels of shape \(n,\), got shape \(4, 10\)",
        ),
        (
            np.zeros((4, 28, 28), np.uint8),
            np.zeros(4, np.uint8),
            {"batch_size": 0},
            ValueError,
            r"batch_size to be a positive int, got 0",
        ),
        (
            np.zeros((4, 28, 28), np.uint8),
            np.zeros(4, np.uint8),
            {"augment": True},
            ValueError,
            r"augment=True needs training=True",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(images, labels, kwargs, error, message):
    with pytest.raises(error, match=message):
        make_dataset(images, labels, **kwargs)
