"""Print each lesson's size: words of prose and lines of code, against one sitting's budget.

Usage: .venv/bin/python tools/lesson_size.py

A lesson is one sitting: at most about 2,500 words of prose (markdown cells, words split
at white space) and 250 lines of code (non-blank lines of code cells, comments included).
README's notebook table shows these figures; tests/test_notebooks.py keeps every lesson
within the budget.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_WORDS, MAX_CODE_LINES = 2_500, 250


def lesson_size(path):
    """Return ``(words of prose, lines of code)`` of the notebook at ``path``.

    Example::

        lesson_size("notebooks/01_sequential.ipynb")   # e.g. (1501, 113)
    """
    cells = json.loads(Path(path).read_text())["cells"]
    words = sum(len("".join(c["source"]).split()) for c in cells if c["cell_type"] == "markdown")
    lines = sum(
        1
        for c in cells
        if c["cell_type"] == "code"
        for line in "".join(c["source"]).splitlines()
        if line.strip()
    )
    return words, lines


def main():
    over = 0
    print(
        f"{'lesson':<32} {'words':>6} {'code lines':>11}   budget {MAX_WORDS:,} / {MAX_CODE_LINES}"
    )
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        words, lines = lesson_size(path)
        flag = "" if words <= MAX_WORDS and lines <= MAX_CODE_LINES else "  over"
        over += bool(flag)
        print(f"{path.name:<32} {words:>6,} {lines:>11}{flag}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
