"""The machinery every checker shares: verdicts, safe calls, small comparisons."""
import contextlib
import functools
import re
import warnings

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TF_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")


class Verdict:
    """What a checker returns: truthy when the answer passed.

    The checker has already printed the message; in a notebook this object
    displays as nothing, so the cell shows the message exactly once.
    """

    def __init__(self, passed, message):
        self.passed, self.message = passed, message

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"Verdict(passed={self.passed}, message={self.message!r})"

    def _ipython_display_(self):
        pass


class NotYet(Exception):
    """Raised inside a checker to stop at the first problem, with a friendly message."""


def verdict(check):
    """Turn a function that raises ``NotYet`` into a checker that prints a verdict.

    The wrapped function returns the success message. Any other exception
    (from the learner's code) becomes a one-line "your code raised" message.
    The checker prints the message and returns a :class:`Verdict`.

    Example::

        @verdict
        def positive(x):
            if x <= 0:
                raise NotYet(f"expected a positive number, found {x}")
            return f"{x} is positive"
    """
    @functools.wraps(check)
    def checker(*args, **kwargs):
        try:
            message = check(*args, **kwargs)
        except NotYet as problem:
            message, passed = f"❌ Not yet: {problem}", False
        except Exception as error:  # the learner's code failed: say so in one line
            message = f"❌ Not yet: your code raised {type(error).__name__}: {first_line(error)}"
            passed = False
        else:
            message, passed = f"✅ {message}", True
        print(message)
        return Verdict(passed, message)

    return checker


def first_line(error, limit=300):
    """The informative line of an error message, without colours or TensorFlow node names.

    Keras wraps errors raised inside ``call`` in a first line, "Exception
    encountered when calling X.call().", that says nothing; the next line is the
    reason, so that is the one kept.
    """
    lines = [ANSI.sub("", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        lines = lines[1:]
    text = re.sub(r"\s*name:\s*$", "", TF_NODE.sub("", lines[0])) if lines else ""
    return text if len(text) <= limit else text[:limit] + "…"


def quiet():
    """Silence Keras's UserWarnings (unbuilt sublayers, ...) while a checker runs."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


def call(function, *args, what="your function", **kwargs):
    """Call the learner's ``function``; a failure becomes ``NotYet`` naming ``what``."""
    if not callable(function):
        raise NotYet(f"expected {what} to be a function or class, found {type(function).__name__}")
    try:
        return function(*args, **kwargs)
    except NotYet:
        raise
    except Exception as error:
        raise NotYet(f"{what} raised {type(error).__name__}: {first_line(error)}") from None


def expect_model(obj, what="your function"):
    import keras
    if obj is None:
        raise NotYet(f"{what} returned None; expected a keras.Model (did you forget `return model`?)")
    if not isinstance(obj, keras.Model):
        raise NotYet(f"{what} returned a {type(obj).__name__}; expected a keras.Model")
    return obj


def expect_equal(found, expected, what, hint=""):
    if found != expected:
        raise NotYet(f"{what}: expected {expected}, found {found}." + (f" Hint: {hint}" if hint else ""))


def layers_of_type(model, name):
    """All layers (nested ones included) whose class is called ``name``."""
    return [layer for layer in model._flatten_layers(include_self=False) if type(layer).__name__ == name]
