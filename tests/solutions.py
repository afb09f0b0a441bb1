"""The worked answers and the lessons' stubs, read from the notebooks' jupytext sources.

A source is a percent-format script: every cell starts with a ``# %%`` line. In
``notebooks/src/solutions/NN_*_solutions.py`` the answers are the cells tagged
``# %% tags=["solution"]``; in ``notebooks/src/NN_*.py`` the stubs are the cells
that start with ``# EXERCISE``. :func:`load` runs those cells whole and, from
every other code cell, only what they may need: ``import``, ``def`` and ``class``
statements (the article's ``ResNet``, ``TrainStepResNet``, ...) and constants
(``BASE_BATCH = 128``). Nothing trains, loads data, writes files or calls a
checker, and a solution file may change its imports freely. :func:`checker_calls`
lists each ``checks.name(answer)`` cell with the output committed in the matching
notebook, for the tests to compare.

Example::

    answers = load("03")                   # the solutions of notebook 03, once per session
    checks.resnet_block_layer(answers.ResnetBlock)
    stubs = load("03", part="lesson")      # the unanswered exercises
"""

import ast
import functools
import json
import re
import sys
import types
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECKER_CALL = re.compile(r"^checks\.(\w+)\((\w+)\)$")
KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)


def _is_set_up(node):
    """An import, a def, a class, or a constant (``BASE_BATCH = 128``) that defaults may use."""
    if isinstance(node, ast.Assign):
        targets = [t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t] for t in node.targets]
        if not all(isinstance(name, ast.Name) for group in targets for name in group):
            return False  # e.g. an attribute of an object the lesson made
        try:
            ast.literal_eval(node.value)
        except ValueError:
            return False
        return True
    return isinstance(node, KEPT)


def source(number, part="solutions"):
    """The jupytext source of notebook ``number`` ("03"): its lesson or its solutions."""
    if part == "solutions":
        return next((NOTEBOOKS / "src" / "solutions").glob(f"{number}_*_solutions.py"))
    return next((NOTEBOOKS / "src").glob(f"{number}_*.py"))


def cells(path):
    """(header, code, line) for every cell: its ``# %%`` line, the code below it, and the
    number of the header line in the file (so tracebacks and ``inspect`` point at the file)."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("# %%"):
            found.append((line, [], number))
        elif found:
            found[-1][1].append(line)
    return [(header, "\n".join(lines), number) for header, lines, number in found]


def _is_answer(header, code, part):
    """A solution cell is tagged "solution" (among its tags); a stub starts with # EXERCISE."""
    if part == "solutions":
        tags = re.search(r"tags=\[([^\]]*)\]", header)
        return bool(tags) and "solution" in re.findall(r"[\"']([^\"']*)[\"']", tags.group(1))
    return code.startswith("# EXERCISE")


@functools.cache
def load(number, part="solutions"):
    """Notebook ``number``'s answers (or, with ``part="lesson"``, its stubs) as a module."""
    path = source(number, part)
    module = types.ModuleType(f"{part}_{number}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # classes get a module Keras and pickle can find
    for header, code, line in cells(path):
        if re.match(r"# %%\s*\[", header):  # [markdown] or [raw]: not code
            continue
        tree = ast.parse(code)
        ast.increment_lineno(tree, line)
        if not _is_answer(header, code.strip(), part):
            tree.body = [node for node in tree.body if _is_set_up(node)]
        exec(compile(tree, str(path), "exec"), module.__dict__)
    return module


def committed_outputs(number, part="solutions"):
    """{checker call: the text it printed} for the checker cells of the committed notebook."""
    name = source(number, part).stem + ".ipynb"
    path = NOTEBOOKS / ("solutions" if part == "solutions" else "") / name
    outputs = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        code = "".join(cell["source"]).strip()
        if cell["cell_type"] == "code" and CHECKER_CALL.match(code):
            outputs[code] = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    return outputs


def checker_calls(part="solutions"):
    """(number, checker name, answer name, committed output) for every checker cell."""
    calls = []
    for number in [f"{n:02d}" for n in range(1, 11)]:
        for call, output in committed_outputs(number, part).items():
            checker, answer = CHECKER_CALL.match(call).groups()
            calls.append((number, checker, answer, output))
    return calls


def mistake(number, base, change):
    """A common mistake, made from notebook ``number``'s solution class ``base``: a subclass
    with the methods of the class ``change`` in front (where ``super()`` reaches the
    solution's). Returns a function of the ``solutions`` fixture, for ``parametrize``.

    Example::

        class NoAdd:
            def call(self, inputs, training=None):
                return self.conv2(self.conv1(inputs))

        make = mistake("04", "PostActivationBlock", NoAdd)   # later: make(solutions)
    """
    return lambda load: type(change.__name__, (change, getattr(load(number), base)), {})
