"""Plumbing for the keras-models notebook series.

Each module has one job: ``runtime`` (set-up, seeds, profiles), ``data``
(Fashion-MNIST loading, the tf.data pipeline), ``models`` (reference versions
of the models the notebooks teach), ``resume`` (training that survives being
killed), ``plots`` (pictures), ``checks`` (exercise checkers) and ``article``
(the source article's code, verbatim, as a yardstick; never imported here).
Importing ``helpers`` does not import TensorFlow: ``helpers.setup()`` must run
first so that TensorFlow starts quietly.

Example::

    import helpers
    cfg = helpers.setup()
"""

from helpers.runtime import setup

__all__ = ["setup"]
