"""helpers.plots: each function draws the figure a notebook expects, or says what is wrong."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import plots


@pytest.fixture(autouse=True)
def close_figures():
    plt.close("all")
    yield
    plt.close("all")


def test_show_images_titles_with_class_names_and_marks_mistakes():
    images = np.zeros((3, 28, 28, 1), np.float32)
    assert plots.show_images(images, [0, 9, 2], predictions=[0, 9, 3], ncols=2) is None
    axes = plt.gcf().axes
    assert len(axes) == 4  # 2 x 2 grid, the last one blank
    titles = [ax.get_title() for ax in axes[:3]]
    assert titles == ["T-shirt/top\n(T-shirt/top)", "Ankle boot\n(Ankle boot)", "Dress\n(Pullover)"]
    colors = [ax.title.get_color() for ax in axes[:3]]
    assert colors == ["green", "green", "red"]


def test_show_images_rejects_wrong_shapes():
    with pytest.raises(
        ValueError, match=r"expected images of shape \(n, height, width\).*got \(28, 28\)"
    ):
        plots.show_images(np.zeros((28, 28)))


def test_plot_history_draws_training_and_validation_per_metric():
    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8]}
    plots.plot_history(history)
    loss_ax, acc_ax = plt.gcf().axes
    assert [l.get_label() for l in loss_ax.get_lines()] == ["training", "validation"]
    assert list(loss_ax.get_lines()[1].get_ydata()) == [1.1, 0.7, 0.6]
    assert [l.get_label() for l in acc_ax.get_lines()] == ["training"]


def test_plot_history_names_what_was_logged_when_nothing_matches():
    with pytest.raises(ValueError, match=r"the history has \['mae'\]"):
        plots.plot_history({"mae": [1.0]})


def test_plot_probabilities_colors_truth_and_wrong_guess():
    probs = np.full((2, 10), 0.02)
    probs[0, 3], probs[1, 5] = 0.82, 0.82
    plots.plot_probabilities(np.zeros((2, 28, 28)), probs, labels=[3, 4])
    bars = [ax for ax in plt.gcf().axes if ax.patches]
    first, second = (
        [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches] for ax in bars
    )
    assert first[3] == matplotlib.colors.to_hex("tab:green")
    assert second[4] == matplotlib.colors.to_hex("tab:green") and second[
        5
    ] == matplotlib.colors.to_hex("tab:red")


def test_plot_probabilities_checks_shape():
    with pytest.raises(
        ValueError, match=r"expected probabilities of shape \(2, 10\), got \(2, 5\)"
    ):
        plots.plot_probabilities(np.zeros((2, 28, 28)), np.zeros((2, 5)), [0, 1])


def test_confusion_matrix_counts_truth_by_prediction():
    cm = plots.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert cm.trace() == 4 and cm.sum() == 6


def test_confusion_matrix_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"predictions must be in 0\.\.2, found 0\.\.3"):
        plots.confusion_matrix([0, 1], [0, 3], num_classes=3)
    with pytest.raises(ValueError, match="same shape"):
        plots.confusion_matrix([0, 1], [0], num_classes=3)


def test_plot_confusion_matrix_annotates_counts():
    plots.plot_confusion_matrix([0, 0, 1], [0, 1, 1])
    texts = sorted(t.get_text() for t in plt.gcf().axes[0].texts)
    assert texts == ["1", "1", "1"]


def test_show_misclassified_shows_only_mistakes():
    plots.show_misclassified(np.zeros((5, 28, 28)), [0, 1, 2, 3, 4], [0, 2, 2, 5, 4])
    titles = [ax.get_title() for ax in plt.gcf().axes if ax.get_title()]
    assert titles == ["Pullover\n(Trouser)", "Sandal\n(Dress)"]
    with pytest.raises(ValueError, match="no misclassified images"):
        plots.show_misclassified(np.zeros((2, 28, 28)), [1, 2], [1, 2])
