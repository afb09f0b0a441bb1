"""Rebuild the committed Fashion-MNIST sample from the official files.

Usage (from the repository root, with the full dataset installed, e.g.
`sudo apt install dataset-fashion-mnist`):

    .venv/bin/python data/make_sample.py            # rewrite data/fashion-mnist-sample/
    .venv/bin/python data/make_sample.py OUT_DIR    # write elsewhere (the tests do this)

The output is byte-for-byte the committed sample: 1,200 training and 200 test
images per class, picked by a fixed seed, stored as gzipped IDX files with no
time stamps, plus SHA256SUMS.
"""

import sys

from helpers.data import SAMPLE_DIR, write_sample

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else SAMPLE_DIR
    print("wrote", write_sample(out))
