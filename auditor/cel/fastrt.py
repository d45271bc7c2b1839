"""Runtime support for the generated fast-path code (``codegen``).

Small helpers the generated functions call when an operation cannot be written as a
plain Python expression. They either return the exact CEL result or raise (any
exception makes the caller fall back to the interpreter), so they never need to build
error messages: that is the interpreter's job.
"""

from __future__ import annotations

from typing import Any

from . import ops
from .budget import tick
from .meter import charged
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


BASE_NAMESPACE: dict[str, Any] = {
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
