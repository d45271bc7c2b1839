"""Runtime support for the generated fast-path code (``codegen``).

Small helpers the generated functions call when an operation cannot be written as a
plain Python expression. They either return the exact CEL result or raise (any
exception makes the caller fall back to the interpreter), so they never need to build
error messages: that is the interpreter's job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ops
from .budget import tick
from .meter import charged
from .runtime import _CURRENT, Many
from .values import Uint


class Fallback(Exception):
    """Raised by generated code when it cannot decide the result itself."""


def _fail() -> Any:
    raise Fallback()


def _index(o: Any, k: Any) -> Any:
    if o.__class__ is list and k.__class__ is int and k >= 0:
        return o[k]
    if o.__class__ is dict and k.__class__ is str:
        return o[k]
    return ops.index(o, k)


def _in_str(s: str, c: Any) -> bool:
    cc = c.__class__
    if cc is list or cc is dict:
        return s in c
    raise Fallback()


def _bool(x: Any) -> bool:
    if x.__class__ is bool:
        return bool(x)
    raise Fallback()


def _range(r: Any) -> Any:
    if r.__class__ is list:
        return r
    if r.__class__ is dict:
        return list(r)
    raise Fallback()


def _jexists(items: Any, field: str, key: Any) -> bool | None:
    """``items.exists(x, x.field == key)`` by index; None when the scan must decide."""
    return _jexists_in(items, field, (key,))


def _jfilter(items: Any, field: str, key: Any) -> list[Any] | None:
    """``items.filter(x, x.field == key)`` by index (a fresh list); None when the scan must decide."""
    return _jfilter_in(items, field, (key,))


def _string_keys(keys: Any) -> list[str] | None:
    """The elements of a list of strings (the right side of ``in``); None for anything else."""
    if keys.__class__ is not list and keys.__class__ is not tuple:
        return None
    for k in keys:
        if k.__class__ is not str:
            return None
    return list(keys)


def _jexists_in(items: Any, field: str, keys: Any) -> bool | None:
    """``items.exists(x, x.field in keys)`` by index; None when the scan must decide."""
    wanted = _string_keys(keys)
    rt = _CURRENT.get()
    if items.__class__ is not list or wanted is None or rt is None:
        return None
    index, bad = rt.joins.get(items, field)
    if any(k in index for k in wanted):
        return True
    return None if bad else False


def _jfilter_in(items: Any, field: str, keys: Any) -> list[Any] | None:
    """``items.filter(x, x.field in keys)`` by index, in the list's order; None when the scan must
    decide. A string is ``in`` a list of strings exactly when it equals one of them."""
    wanted = _string_keys(keys)
    rt = _CURRENT.get()
    if items.__class__ is not list or wanted is None or rt is None:
        return None
    index, bad = rt.joins.get(items, field)
    if bad:
        return None
    hits: set[int] = set()
    for k in set(wanted):
        found = index.get(k)
        if found is not None:
            hits.update(found if found.__class__ is Many else (found,))
    return [items[i] for i in sorted(hits)]


#: lists shorter than this are cheaper to scan again than to look up
_SHARE_FROM = 1000


def _shared(key: Any, items: Any, run: Callable[[Any], Any]) -> Any:
    """``run(items)``, once per list and macro: policies that filter the same collection the
    same way (``userRegistrationDetails.filter(u, u.userType != 'guest')``) share the result.

    Only for macros whose result depends on the list alone (the compiler decides), over
    lists that are never changed while they live; results are never changed either (CEL
    values are immutable), so one result can be handed to every caller. Errors are not
    kept: the next caller evaluates, and fails, again.
    """
    rt = _CURRENT.get()
    if items.__class__ is not list or len(items) < _SHARE_FROM or rt is None:
        return run(items)
    shared = rt.shared
    slot = (id(items), key)
    hit = shared.get(slot)
    if hit is not None and hit[0] is items:
        return hit[1]
    result = run(items)
    if len(shared) >= 256:
        shared.clear()
    shared[slot] = (items, result)
    return result


BASE_NAMESPACE: dict[str, Any] = {
    "_jexists": _jexists,
    "_jfilter": _jfilter,
    "_jexists_in": _jexists_in,
    "_shared": _shared,
    "_jfilter_in": _jfilter_in,
    "_fail": _fail,
    "_tick": tick,
    "_index": _index,
    "_in_str": _in_str,
    "_bool": _bool,
    "_range": _range,
    "_charged": charged,
    "_eq": ops.eq,
    "_lt": ops.lt,
    "_le": ops.le,
    "_gt": ops.gt,
    "_ge": ops.ge,
    "_add": ops.add,
    "_sub": ops.sub,
    "_mul": ops.mul,
    "_div": ops.div,
    "_mod": ops.mod,
    "_neg": ops.neg,
    "_not": ops.logical_not,
    "_in": ops.contains_in,
    "_mkmap": ops.make_map,
    "_has": ops.has_field,
    "_select": ops.select,
    "_SIZED": frozenset((str, list, dict, bytes)),
    "_NUM": frozenset((int, float, Uint)),
    "_str": str,
}
