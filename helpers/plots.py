"""Pictures the notebooks show: image grids, learning curves, predictions.

Every function draws one matplotlib figure and shows it, like ``plt.show()``,
and returns nothing, so a notebook cell shows the picture exactly once. (A
trailing ``;`` is not enough: nbval runs cells without history, where IPython
ignores it.) Drawing directly with matplotlib? End the cell with ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from helpers.data import CLASS_NAMES


def _finish(fig):
    """Lay the figure out and show it; outside a notebook it stays open (plt.gcf())."""
    fig.tight_layout()
    if "inline" in plt.get_backend():
        plt.show()


def _as_images(images):
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            f"expected images of shape (n, height, width) or (n, height, width, 1), "
            f"got {images.shape}"
        )
    return images


def show_images(images, labels=None, predictions=None, class_names=CLASS_NAMES, ncols=8):
    """Show images in a grid, titled with their class (and prediction, if given).

    With ``predictions`` each title reads ``predicted (true)`` in green when
    right and red when wrong, so mistakes stand out.

    Example::

        show_images(x_train[:16], y_train[:16])
    """
    images = _as_images(images)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.5 * ncols, 1.7 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r")
        if predictions is not None and labels is not None:
            right = predictions[i] == labels[i]
            ax.set_title(
                f"{class_names[predictions[i]]}\n({class_names[labels[i]]})",
                fontsize=8,
                color="green" if right else "red",
            )
        elif labels is not None:
            ax.set_title(class_names[labels[i]], fontsize=8)
    _finish(fig)


def plot_history(history, metrics=("loss", "accuracy")):
    """Plot learning curves: each metric per epoch, training vs validation.

    Takes the ``History`` that ``model.fit`` returns (or its ``.history``
    dict). Where training keeps improving but validation does not, the model
    has started to memorise the training set (overfitting).

    Example::

        history = model.fit(x, y, validation_split=0.1, epochs=5)
        plot_history(history)
    """
    logs = getattr(history, "history", history)
    metrics = [m for m in metrics if m in logs]
    if not metrics:
        raise ValueError(f"none of the metrics were logged; the history has {sorted(logs)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], "o-", label="training")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
        ax.legend()
    _finish(fig)


def plot_probabilities(images, probabilities, labels, class_names=CLASS_NAMES):
    """Show each image beside a bar chart of the model's class probabilities.

    The true class's bar is green and, if the model's top choice is wrong,
    that bar is red: a picture of how sure, and how wrong, the model is.

    Example::

        probs = keras.ops.softmax(model.predict(x_test[:4]))
        plot_probabilities(x_test[:4], probs, y_test[:4])
    """
    images = _as_images(images)
    probabilities = np.asarray(probabilities)
    if probabilities.shape != (len(images), len(class_names)):
        raise ValueError(
            f"expected probabilities of shape ({len(images)}, {len(class_names)}), "
            f"got {probabilities.shape}"
        )
    n = len(images)
    fig, axes = plt.subplots(
        n, 2, figsize=(8, 1.6 * n), squeeze=False, gridspec_kw={"width_ratios": [1, 4]}
    )
    for i in range(n):
        axes[i, 0].imshow(images[i], cmap="gray_r")
        axes[i, 0].axis("off")
        colors = ["lightgray"] * len(class_names)
        guess = int(np.argmax(probabilities[i]))
        if guess != labels[i]:
            colors[guess] = "tab:red"
        colors[labels[i]] = "tab:green"
        axes[i, 1].barh(range(len(class_names)), probabilities[i], color=colors)
        axes[i, 1].set_yticks(range(len(class_names)), class_names, fontsize=7)
        axes[i, 1].invert_yaxis()
        axes[i, 1].set_xlim(0, 1)
    axes[-1, 1].set_xlabel("probability")
    _finish(fig)


NUM_CLASSES = len(CLASS_NAMES)


def confusion_matrix(labels, predictions, num_classes=NUM_CLASSES):
    """Count how often each true class (row) was predicted as each class (column).

    The diagonal holds the right answers; everything off it is a mistake, and
    the largest off-diagonal cells are the pairs the model confuses most.

    Example::

        cm = confusion_matrix(y_test, model.predict(x_test).argmax(axis=1))
        cm.trace() / cm.sum()       # accuracy
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions must have the same shape, got {labels.shape} and "
            f"{predictions.shape}"
        )
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"{name} must be in 0..{num_classes - 1}, found {values.min()}..{values.max()}"
            )
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def plot_confusion_matrix(labels, predictions, class_names=CLASS_NAMES):
    """Draw the confusion matrix with counts, rows = truth, columns = prediction.

    Example::

        plot_confusion_matrix(y_test, predicted)
    """
    matrix = confusion_matrix(labels, predictions, len(class_names))
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    ticks = range(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2
    for i in ticks:
        for j in ticks:
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    matrix[i, j],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if matrix[i, j] > threshold else "black",
                )
    _finish(fig)


def show_misclassified(images, labels, predictions, n=16, class_names=CLASS_NAMES, ncols=8):
    """Show the first ``n`` images the model got wrong, titled *prediction (truth)*.

    Example::

        show_misclassified(x_test, y_test, predicted)
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    wrong = np.flatnonzero(labels != predictions)[:n]
    if len(wrong) == 0:
        raise ValueError("no misclassified images: every prediction is right")
    show_images(
        np.asarray(images)[wrong],
        labels[wrong],
        predictions[wrong],
        class_names=class_names,
        ncols=ncols,
    )
