"""Exercise checkers: call one in the cell after your answer.

Each checker runs your function or class on small inputs and prints a short
verdict: ``✅`` and what it confirmed, or ``❌ Not yet:`` with what was
expected, what it found, and a hint. It never shows a raw traceback: if your
code raises, the checker reports the error in one line. It returns a verdict
that is truthy when the answer passed (``if checks.deeper_mlp(f): ...``).

There is one module per notebook (``nb01`` for notebook 01, ...); every
checker is also available here, as ``helpers.checks.<name>``. They share one
kit, ``helpers.checks.core``, and write what they expect as data: specs and
tables of (symptom, hint) at the top of each module.

Example::

    from helpers import checks
    checks.deeper_mlp(build_deeper_mlp)   # ✅ ... or ❌ Not yet: ...
"""

# One line per notebook; each module lists its checkers in __all__.
from helpers.checks.nb01 import *  # noqa: F403
from helpers.checks.nb02 import *  # noqa: F403
from helpers.checks.nb03 import *  # noqa: F403
from helpers.checks.nb04 import *  # noqa: F403
from helpers.checks.nb05 import *  # noqa: F403
from helpers.checks.nb06 import *  # noqa: F403
from helpers.checks.nb07 import *  # noqa: F403
from helpers.checks.nb08 import *  # noqa: F403
from helpers.checks.nb09 import *  # noqa: F403
from helpers.checks.nb10 import *  # noqa: F403
from helpers.checks.nb11 import *  # noqa: F403
