"""Pausing Python's cyclic garbage collector around work that allocates by the million.

Why: parsing a large snapshot, evaluating policies over it and writing its reports each
make millions of containers (parsed objects, findings, rows) that hold no reference
cycles. Every few hundred allocations the collector walks the young ones, and regularly
all of them, looking for cycles that are not there; reference counting frees everything
regardless. One context manager serves every such stage.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """The collector off inside the block, and as it was afterwards.

    ``freeze``: move everything allocated so far out of the collector's sight for good
    (``gc.freeze``), for objects that live long and can hold no cycle (parsed JSON).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()
