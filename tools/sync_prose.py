"""Carry prose edits from notebooks/src into the executed notebooks, keeping their outputs.

Usage: .venv/bin/python tools/sync_prose.py [PREFIX ...]

For each notebooks/src/**/NN_topic.py (only those whose names start with one of the
PREFIXes, if given) this rewrites notebooks/**/NN_topic.ipynb from the source, with the
committed outputs of its code cells, provided every code cell (text and tags) is unchanged:
then only markdown changed, and the outputs still are what the code prints. If any code
cell changed, it writes nothing for that notebook and says so: re-execute it with
tools/execute_notebooks.py (`make notebooks NB=NN`).
"""

import sys

import jupytext
import nbformat
from execute_notebooks import KERNELSPEC, ROOT, SRC, stable_cell_ids


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def sync(source):
    target = ROOT / "notebooks" / source.relative_to(SRC).with_suffix(".ipynb")
    old, new = nbformat.read(target, as_version=4), jupytext.read(source)
    old_code, new_code = code_cells(old), code_cells(new)
    same = len(old_code) == len(new_code) and all(
        a.source == b.source and a.metadata.get("tags", []) == b.metadata.get("tags", [])
        for a, b in zip(old_code, new_code)
    )
    if not same:
        return f"{target.relative_to(ROOT)}: code changed, not synced; re-execute it"
    for before, after in zip(old_code, new_code):
        after.outputs, after.execution_count = before.outputs, before.execution_count
        after.metadata = before.metadata
    new.metadata = old.metadata
    new.metadata["kernelspec"] = KERNELSPEC
    for cell, cell_id in zip(new.cells, stable_cell_ids(new.cells)):
        cell.id = cell_id
    changed = [a.source != b.source for a, b in zip(old.cells, new.cells)]
    nbformat.write(new, target)
    return f"{target.relative_to(ROOT)}: prose synced ({sum(changed)} cells differ in place)"


def main(prefixes):
    sources = sorted(SRC.rglob("*.py"))
    if prefixes:
        sources = [s for s in sources if s.name.startswith(tuple(prefixes))]
    failed = False
    for source in sources:
        message = sync(source)
        failed |= "not synced" in message
        print(message)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
