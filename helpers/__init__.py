"""Plumbing for the keras-models notebook series.

Each module has one job: ``runtime`` (set-up, seeds, profiles), ``data``
(Fashion-MNIST loading), ``models`` (reference versions of the models the
notebooks teach), ``plots`` (pictures) and ``checks`` (exercise checkers).
Importing ``helpers`` does not import TensorFlow: ``helpers.setup()`` must run
first so that TensorFlow starts quietly.

Example::

    import helpers
    cfg = helpers.setup()
"""
from helpers.runtime import setup

__all__ = ["setup"]
