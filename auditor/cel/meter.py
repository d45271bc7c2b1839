"""A size budget shared by every value one evaluation creates.

A per-value cap (``ops.MAX_SIZE``) stops one huge list, but not twenty lists just
under the cap: ``[1, 2, ...].map(x, big)`` can still build gigabytes. The meter
counts every list element and string/bytes character that comprehensions and
concatenations create inside a :func:`size_budget` block, and stops the evaluation
once the total passes the budget. Outside a block nothing is counted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .errors import BudgetExceeded


class SizeBudgetExceeded(BudgetExceeded):
    """The evaluation created more elements than its budget (a BaseException: nothing absorbs it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(0.0)
        self.limit = limit

    def describe(self) -> str:
        return f"evaluation created more than {self.limit} list elements and characters in total"


class _Meter:
    __slots__ = ("left", "limit")

    def __init__(self) -> None:
        self.left: int | None = None
        self.limit = 0


_METER = _Meter()


def charge(n: int) -> None:
    """Count ``n`` new elements against the active budget, if any."""
    left = _METER.left
    if left is not None:
        left -= n
        _METER.left = left
        if left < 0:
            raise SizeBudgetExceeded(_METER.limit)


def charged(value: Any) -> Any:
    """Charge ``len(value)`` and return ``value`` (used where a comprehension returns its list)."""
    if _METER.left is not None:
        charge(len(value))
    return value


@contextlib.contextmanager
def size_budget(elements: int) -> Iterator[None]:
    """Bound the elements and characters created by all evaluations inside the block."""
    previous = (_METER.left, _METER.limit)
    _METER.left, _METER.limit = elements, elements
    try:
        yield
    finally:
        _METER.left, _METER.limit = previous
