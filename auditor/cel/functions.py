"""Standard functions: the table the checker validates against and both evaluators call.

Why a table: the checker needs names and arities at compile time (``sizee(x)`` must be a
load error, not a runtime surprise) and the interpreter and the compiled fast path must
run literally the same implementation, so there is one place to get a function right.

Extensions beyond the CEL standard library (documented in DEVIATIONS.md):
``lowerAscii()`` and ``upperAscii()`` on strings (as in cel-go's strings extension).
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable
from typing import Any

import re2

from .errors import EvalFailure
from .ops import no_overload, size
from .timeutil import (
    duration_part,
    format_duration,
    format_timestamp,
    parse_duration,
    parse_timestamp,
    timestamp_from_seconds,
    timestamp_part,
    timestamp_seconds,
)
from .values import INT64_MAX, INT64_MIN, UINT64_MAX, Uint, format_double, type_of

_INT_RE = re.compile(r"[+-]?\d+\Z")
_UINT_RE = re.compile(r"\+?\d+\Z")
_DOUBLE_RE = re.compile(
    r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)\Z", re.I
)
_TRUE = frozenset(("true", "True", "TRUE", "t", "1"))
_FALSE = frozenset(("false", "False", "FALSE", "f", "0"))
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except Exception as exc:
        detail = (
            exc.args[0].decode("utf-8", "replace")
            if exc.args and isinstance(exc.args[0], bytes)
            else str(exc)
        )
        raise EvalFailure(f"invalid regular expression '{pattern}': {detail}") from None


def matches(text: Any, pattern: Any) -> bool:
    """RE2 search (unanchored), linear time whatever the pattern."""
    if text.__class__ is str and pattern.__class__ is str:
        return _regex(pattern).search(text) is not None
    raise no_overload("matches", text, pattern)


def contains(text: Any, sub: Any) -> bool:
    if text.__class__ is str and sub.__class__ is str:
        return sub in text
    raise no_overload("contains", text, sub)


def starts_with(text: Any, prefix: Any) -> bool:
    if text.__class__ is str and prefix.__class__ is str:
        return text.startswith(prefix)
    raise no_overload("startsWith", text, prefix)


def ends_with(text: Any, suffix: Any) -> bool:
    if text.__class__ is str and suffix.__class__ is str:
        return text.endswith(suffix)
    raise no_overload("endsWith", text, suffix)


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def lower_ascii(text: Any) -> str:
    if text.__class__ is str:
        return text.translate(_LOWER)
    raise no_overload("lowerAscii", text)


def upper_ascii(text: Any) -> str:
    if text.__class__ is str:
        return text.translate(_UPPER)
    raise no_overload("upperAscii", text)


def to_int(x: Any) -> int:
    cx = x.__class__
    if cx is int:
        return x  # type: ignore[no-any-return]  # narrowed by the class check above
    if cx is Uint:
        if x > INT64_MAX:
            raise EvalFailure("uint out of int64 range")
        return int(x)
    if cx is float:
        if not (-9.223372036854775808e18 < x < 9.223372036854775808e18):
            raise EvalFailure("double out of int64 range")
        return int(x)
    if cx is str:
        if not _INT_RE.match(x):
            raise EvalFailure(f"cannot convert string '{x}' to int")
        v = int(x)
        if not INT64_MIN <= v <= INT64_MAX:
            raise EvalFailure("string out of int64 range")
        return v
    if isinstance(x, _dt.datetime):
        return timestamp_seconds(x)
    raise no_overload("int", x)


def to_uint(x: Any) -> Uint:
    cx = x.__class__
    if cx is Uint:
        return x  # type: ignore[no-any-return]  # narrowed by the class check above
    if cx is int:
        if not 0 <= x <= UINT64_MAX:
            raise EvalFailure("int out of uint64 range")
        return Uint(x)
    if cx is float:
        if not (-1.0 < x < 1.8446744073709551616e19):
            raise EvalFailure("double out of uint64 range")
        return Uint(int(x))
    if cx is str:
        if not _UINT_RE.match(x):
            raise EvalFailure(f"cannot convert string '{x}' to uint")
        v = int(x)
        if v > UINT64_MAX:
            raise EvalFailure("string out of uint64 range")
        return Uint(v)
    raise no_overload("uint", x)


def to_double(x: Any) -> float:
    cx = x.__class__
    if cx is float:
        return x  # type: ignore[no-any-return]  # narrowed by the class check above
    if cx is int or cx is Uint:
        return float(x)
    if cx is str:
        if not _DOUBLE_RE.match(x):
            raise EvalFailure(f"cannot convert string '{x}' to double")
        return float(x)
    raise no_overload("double", x)


def to_string(x: Any) -> str:
    cx = x.__class__
    if cx is str:
        return x  # type: ignore[no-any-return]  # narrowed by the class check above
    if cx is bool:
        return "true" if x else "false"
    if cx is int or cx is Uint:
        return str(int(x))
    if cx is float:
        return format_double(x)
    if cx is bytes:
        try:
            text: str = x.decode("utf-8")
            return text
        except UnicodeDecodeError:
            raise EvalFailure("invalid UTF-8 in bytes to string conversion") from None
    if isinstance(x, _dt.datetime):
        return format_timestamp(x)
    if isinstance(x, _dt.timedelta):
        return format_duration(x)
    raise no_overload("string", x)


def to_bool(x: Any) -> bool:
    if x.__class__ is bool:
        return x
    if x.__class__ is str:
        if x in _TRUE:
            return True
        if x in _FALSE:
            return False
        raise EvalFailure(f"cannot convert string '{x}' to bool")
    raise no_overload("bool", x)


def to_bytes(x: Any) -> bytes:
    if x.__class__ is bytes:
        return x
    if x.__class__ is str:
        return x.encode("utf-8")
    raise no_overload("bytes", x)


def to_timestamp(x: Any) -> _dt.datetime:
    if x.__class__ is str:
        return parse_timestamp(x)
    if isinstance(x, _dt.datetime):
        return x
    if x.__class__ is int:
        return timestamp_from_seconds(x)
    raise no_overload("timestamp", x)


def to_duration(x: Any) -> _dt.timedelta:
    if x.__class__ is str:
        return parse_duration(x)
    if isinstance(x, _dt.timedelta):
        return x
    raise no_overload("duration", x)


def dyn(x: Any) -> Any:
    return x


def _accessor(name: str) -> Callable[..., int]:
    def get(target: Any, *tz: Any) -> int:
        if isinstance(target, _dt.datetime):
            if tz and tz[0].__class__ is not str:
                raise no_overload(name, target, *tz)
            return timestamp_part(target, name, tz[0] if tz else None)
        if isinstance(target, _dt.timedelta) and not tz and name in _DURATION_ACCESSORS:
            return duration_part(target, name)
        raise no_overload(name, target, *tz)

    get.__name__ = name
    return get


_DURATION_ACCESSORS = ("getHours", "getMinutes", "getSeconds", "getMilliseconds")
_TS_ACCESSORS = (
    "getFullYear",
    "getMonth",
    "getDayOfYear",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
)

# name -> (min args, max args, implementation); member functions receive the target first.
GLOBAL_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "size": (1, 1, size),
    "matches": (2, 2, matches),
    "int": (1, 1, to_int),
    "uint": (1, 1, to_uint),
    "double": (1, 1, to_double),
    "string": (1, 1, to_string),
    "bool": (1, 1, to_bool),
    "bytes": (1, 1, to_bytes),
    "type": (1, 1, type_of),
    "dyn": (1, 1, dyn),
    "timestamp": (1, 1, to_timestamp),
    "duration": (1, 1, to_duration),
}
MEMBER_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "size": (0, 0, size),
    "contains": (1, 1, contains),
    "startsWith": (1, 1, starts_with),
    "endsWith": (1, 1, ends_with),
    "matches": (1, 1, matches),
    "lowerAscii": (0, 0, lower_ascii),
    "upperAscii": (0, 0, upper_ascii),
}
for _name in _TS_ACCESSORS:
    MEMBER_FUNCTIONS[_name] = (0, 1, _accessor(_name))
