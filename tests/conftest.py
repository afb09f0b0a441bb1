"""Shared test set-up: the TensorFlow backend and a quiet start-up.

Environment variables set here are inherited by the notebook kernels that nbval
starts in the same pytest session, so set nothing that changes what a notebook
shows (MPLBACKEND, for one, would stop inline figures): tests that draw pick the
Agg backend themselves.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
