"""A size budget shared by every value one evaluation creates.

A per-value cap (``ops.MAX_SIZE``) stops one huge list, but not twenty lists just
under the cap: ``[1, 2, ...].map(x, big)`` can still build gigabytes. The meter
counts every list element and string/bytes character that comprehensions and
concatenations create inside a :func:`size_budget` block, and stops the evaluation
once the total passes the budget. Outside a block nothing is counted. The count belongs
to the active evaluation runtime (``runtime.Runtime``), so two audits in two threads each
have their own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .errors import BudgetExceeded
from .runtime import _CURRENT, Runtime


class SizeBudgetExceeded(BudgetExceeded):
    """The evaluation created more elements than its budget (a BaseException: nothing absorbs it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(0.0)
        self.limit = limit

    def describe(self) -> str:
        return f"evaluation created more than {self.limit} list elements and characters in total"


def charge(n: int) -> None:
    """Count ``n`` new elements against the active budget, if any."""
    rt = _CURRENT.get()
    if rt is not None and rt.left is not None:
        left = rt.left - n
        rt.left = left
        if left < 0:
            raise SizeBudgetExceeded(rt.limit)


def charged(value: Any) -> Any:
    """Charge ``len(value)`` and return ``value`` (used where a comprehension returns its list)."""
    rt = _CURRENT.get()
    if rt is not None and rt.left is not None:
        charge(len(value))
    return value


@contextlib.contextmanager
def size_budget(elements: int) -> Iterator[None]:
    """Bound the elements and characters created by all evaluations inside the block.

    The count lives in the active :class:`~auditor.cel.runtime.Runtime`; without one, the
    block gets a runtime of its own.
    """
    rt = _CURRENT.get()
    if rt is not None:
        with rt.size_budget(elements):
            yield
        return
    with Runtime() as fresh, fresh.active(), fresh.size_budget(elements):
        yield
