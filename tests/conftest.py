"""Shared test set-up: the TensorFlow backend and a quiet start-up.

Environment variables set here are inherited by the notebook kernels that nbval
starts in the same pytest session, so set nothing that changes what a notebook
shows (MPLBACKEND, for one, would stop inline figures): tests that draw pick the
Agg backend themselves.
"""

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def solutions():
    """The worked answers of a notebook, run from its jupytext source (``tests/solutions.py``)
    once per session: ``solutions("03").DropoutMLP``; ``solutions("03", part="lesson")`` gives
    the lesson's stubs (and its other classes, such as the MLP of notebook 03)."""
    from solutions import load

    return load
