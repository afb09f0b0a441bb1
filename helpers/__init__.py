"""Plumbing for the keras-models notebook series.

Each module has one job: ``runtime`` (set-up: the Keras backend, seeds,
profiles), ``data`` (Fashion-MNIST loading, the tf.data pipeline and its NumPy
twin ``ArrayBatches``), ``models`` (reference versions of the models the
notebooks teach), ``resume`` (training that survives being killed),
``backends`` (code run on a given backend in a fresh process), ``plots``
(pictures), ``checks`` (exercise checkers) and ``article`` (the source
article's code, verbatim, as a yardstick; never imported here). Importing
``helpers`` imports neither Keras nor TensorFlow: ``helpers.setup()`` must run
first so that Keras gets the chosen backend and TensorFlow starts quietly.

Example::

    import helpers
    cfg = helpers.setup()                  # TensorFlow
    cfg = helpers.setup(backend="jax")     # or JAX, in a fresh kernel (notebook 11)
"""

from helpers.runtime import setup

__all__ = ["setup"]
