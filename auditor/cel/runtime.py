"""The evaluation runtime: everything evaluations of one audit share, in one object.

Why an object and not module globals: evaluations build things worth keeping between
expressions - join indexes over a collection, the result of a macro every policy runs over
the same list, the string set of a list ``in`` keeps meeting, a host library's model of the
snapshot (the conditional access model) - and they count the elements they create against
a size budget. Kept in module globals, two audits running at once (two threads of a
service, a notebook) would read each other's indexes and models. A :class:`Runtime` holds
all of it for one audit: the host creates one, makes it active around the evaluations
(:meth:`Runtime.active`, a context variable, so it belongs to the thread or asyncio task
that evaluates) and closes it afterwards, which lets go of the lists it holds.

An evaluation with no active runtime (``Program.evaluate`` called directly) runs in a
fresh one of its own, closed when it returns: the answers are the same, only nothing is
shared between calls. A runtime is used by one thread at a time.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class JoinIndexes:
    """Indexes of lists by one string field, for joins written as ``xs.exists(x, x.f == k)``.

    Why: policy authors write joins as scans (``users.filter(u, u.id == p.principalId)``
    inside a loop over principals); over 1.5 million users each scan costs a fraction of a
    second. The compiler turns such a macro into a lookup in an index built once per list
    and field, and kept while the list is in this small cache (keyed by identity, holding
    the list so that the identity stays valid). Evaluation never mutates its inputs, so an
    index stays exact for as long as the list lives.

    An index only holds string values: a string equals only an equal string in CEL, so a
    lookup of a string key is exact. Elements that would make the scan fail (not a map, or
    without the field) are remembered, and then the scan runs instead, so that errors
    surface exactly as before.
    """

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, str], tuple[list[Any], int, dict[str, Any], bool]] = (
            OrderedDict()
        )

    def get(self, items: list[Any], field: str) -> tuple[dict[str, Any], bool]:
        """The index of ``items`` by ``field`` and whether some element has no such field."""
        key = (id(items), field)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is items and entry[1] == len(items):
            self._entries.move_to_end(key)
            return entry[2], entry[3]
        index, bad = _build_index(items, field)
        self._entries[key] = (items, len(items), index, bad)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return index, bad

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


class Many(list):  # type: ignore[type-arg]
    """Several positions under one key of a join index."""


def _build_index(items: list[Any], field: str) -> tuple[dict[str, Any], bool]:
    """Positions of ``items`` by their string ``field``; ``bad`` when an element is no map or lacks it.

    Positions, not elements, so that a lookup of several keys can return its elements in
    the list's own order, as the scan would.
    """
    try:
        # the common case (unique string ids on every element) in one C-speed pass
        unique = {item[field]: i for i, item in enumerate(items)}
        if (
            len(unique) == len(items)
            and all(k.__class__ is str for k in unique)
            and all(item.__class__ is dict for item in items)
        ):
            return unique, False
    except (TypeError, KeyError, IndexError):
        pass
    index: dict[str, Any] = {}
    bad = False
    missing = object()
    for i, item in enumerate(items):
        if item.__class__ is not dict:
            bad = True
            continue
        value = item.get(field, missing)
        if value.__class__ is str:
            found = index.get(value)
            if found is None:
                index[value] = i
            elif found.__class__ is Many:
                found.append(i)
            else:
                index[value] = Many((found, i))
        elif value is missing:
            bad = True
    return index, bad


class Runtime:
    """What the evaluations of one audit share; see the module docstring.

    ``joins``: join indexes; ``shared``: macro results shared between policies, by list
    identity and macro shape; ``member_sets`` / ``met_once``: string sets of lists that
    ``in`` meets repeatedly; ``left`` / ``limit``: the size budget of the evaluation under
    way (None: none); ``evaluating``: evaluations running (the SIGALRM handler only
    interrupts inside one); ``cache``: what host libraries build from the data once per
    audit (:meth:`memo`).
    """

    __slots__ = ("cache", "evaluating", "joins", "left", "limit", "member_sets", "met_once", "shared")

    def __init__(self) -> None:
        self.joins = JoinIndexes()
        self.shared: dict[tuple[int, Any], tuple[list[Any], Any]] = {}
        self.member_sets: dict[int, tuple[Any, frozenset[str]]] = {}
        self.met_once: dict[int, Any] = {}
        self.left: int | None = None
        self.limit = 0
        self.evaluating = 0
        self.cache: dict[Any, Any] = {}

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """``build()``, once per key for the life of this runtime (a host library's model of the data)."""
        try:
            value: T = self.cache[key]
        except KeyError:
            value = self.cache[key] = build()
        return value

    @contextlib.contextmanager
    def active(self) -> Iterator[Runtime]:
        """Make this the runtime of the evaluations inside the block (in this thread or task)."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    @contextlib.contextmanager
    def size_budget(self, elements: int) -> Iterator[None]:
        """Bound the elements and characters created by all evaluations inside the block."""
        previous = (self.left, self.limit)
        self.left, self.limit = elements, elements
        try:
            yield
        finally:
            self.left, self.limit = previous

    def close(self) -> None:
        """Let go of every index, shared result and cached model (and the lists they hold)."""
        self.joins.clear()
        self.shared.clear()
        self.member_sets.clear()
        self.met_once.clear()
        self.cache.clear()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CURRENT: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar("cel_runtime", default=None)


def current() -> Runtime | None:
    """The runtime active in this thread or task, if any."""
    return _CURRENT.get()
