"""Rebuild notebooks from their jupytext sources and execute them in place.

Usage: .venv/bin/python tools/execute_notebooks.py [PREFIX ...]

For each notebooks/src/**/NN_topic.py (only those whose names start with one
of the PREFIXes, if given) this writes notebooks/**/NN_topic.ipynb, executes
it top to bottom in a fresh kernel from this environment (working directory:
the notebook's folder) and saves it with its outputs. `make notebooks` runs it
so that committed outputs are always produced the same way.
"""

import hashlib
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "notebooks" / "src"
# Paths in tracebacks differ per machine; keep the file names, drop the folders.
TRACEBACK_PATHS = [
    (re.compile(re.escape(str(ROOT)) + "/"), ""),
    (re.compile(r"[^\s\x1b'\"(]*/site-packages/"), "site-packages/"),
    (re.compile(r"[^\s\x1b'\"(]*/lib/python3\.\d+/"), "python/"),
]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def scrub(line):
    for pattern, replacement in TRACEBACK_PATHS:
        line = pattern.sub(replacement, line)
    return line


def stable_cell_ids(cells):
    """Cell ids from each cell's text (8 hex digits of its SHA-1, -2, -3... for repeats).

    jupytext makes random ids, so every rebuild would rewrite every id; ids from
    the text keep a rebuilt notebook's diff to the cells that really changed.
    """
    ids, seen = [], {}
    for cell in cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        ids.append(digest if seen[digest] == 1 else f"{digest}-{seen[digest]}")
    return ids


def execute(source):
    target = ROOT / "notebooks" / source.relative_to(SRC).with_suffix(".ipynb")
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.pop("jupytext", None)
    for cell, cell_id in zip(nb.cells, stable_cell_ids(nb.cells)):
        cell.id = cell_id
    target.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(target.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [scrub(line) for line in output.traceback]
    nbformat.write(nb, target)
    print(f"{target.relative_to(ROOT)}: executed in {seconds:.0f} s", flush=True)


def main(prefixes):
    os.environ.setdefault("KERAS_MODELS_PROFILE", "class")
    sources = sorted(SRC.rglob("[0-9][0-9]_*.py"))
    if prefixes:
        sources = [s for s in sources if s.name.startswith(tuple(prefixes))]
    if not sources:
        sys.exit(f"no notebook sources match {prefixes} under {SRC}")
    for source in sources:
        execute(source)


if __name__ == "__main__":
    main(sys.argv[1:])
