"""The evaluation deadline, checked in every comprehension step in any thread.

``time_budget`` sets a deadline in a context variable (so it belongs to the thread,
or asyncio task, that evaluates); the interpreter's comprehension loops and the
generated code's loops call :func:`tick`, which raises :class:`BudgetExceeded` once
the deadline has passed. On the POSIX main thread ``program.time_budget`` also arms
SIGALRM, which interrupts a single long operation that has no loop of ours in it.
"""

from __future__ import annotations

import contextvars
import time

from .errors import BudgetExceeded

#: (monotonic deadline, the budget in seconds it came from), or None without a budget
_DEADLINE: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "cel_deadline", default=None
)
_now = time.monotonic


#: the clock is read on one call of :func:`tick` in this many (a power of two)
_EVERY = 64
_calls = 0


def tick() -> None:
    """Raise :class:`BudgetExceeded` if the current deadline has passed.

    Called once per element of every comprehension, so it must cost next to nothing: the
    deadline and the clock are read on one call in ``_EVERY``, which delays noticing an
    expired deadline by at most that many loop steps.
    """
    global _calls
    _calls += 1
    if _calls & (_EVERY - 1):
        return
    deadline = _DEADLINE.get()
    if deadline is not None and _now() > deadline[0]:
        raise BudgetExceeded(deadline[1])


def push(seconds: float) -> contextvars.Token[tuple[float, float] | None]:
    """Set a deadline ``seconds`` from now; an enclosing earlier deadline stays in force."""
    mine = (_now() + seconds, seconds)
    outer = _DEADLINE.get()
    return _DEADLINE.set(outer if outer is not None and outer[0] <= mine[0] else mine)


def pop(token: contextvars.Token[tuple[float, float] | None]) -> None:
    """Restore the deadline that was in force before :func:`push`."""
    _DEADLINE.reset(token)
