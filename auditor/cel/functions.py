"""Standard functions, declared into a :class:`~auditor.cel.registry.FunctionTable`.

Why a table: the checker needs names and arities at compile time (``sizee(x)`` must be a
load error, not a runtime surprise), the code generator needs result types and inline
forms, and the interpreter and the compiled fast path must run literally the same
implementation, so each function is declared once (:func:`standard_functions`).

Extensions beyond the CEL standard library (documented in DEVIATIONS.md):
``lowerAscii()`` and ``upperAscii()`` on strings (as in cel-go's strings extension), and
``error(message)``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import re2

from .errors import EvalFailure
from .nodes import Call, Literal
from .ops import no_overload, size
from .registry import Emitter, Function, FunctionTable, Overload
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


def error(message: Any) -> Any:
    """``error(message)``: an error value carrying ``message`` (an extension, see DEVIATIONS.md)."""
    if message.__class__ is str:
        raise EvalFailure(message)
    raise no_overload("error", message)


# -- fast paths (inline forms for the code generator; see registry.FastPath) ---------------


def _fast_size(gen: Emitter, node: Call, operands: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    t = gen.tmp()
    return f"(len({t}) if ({t} := {operands[0][0]}).__class__ in _SIZED else _fail())", "int"


_STR_METHODS = {"startsWith": "startswith", "endsWith": "endswith"}


def _fast_string_test(
    gen: Emitter, node: Call, operands: Sequence[tuple[str, str]]
) -> tuple[str, str] | None:
    """``s.contains('x')``, ``s.startsWith('x')``, ``s.endsWith('x')``, ``s.matches('re')`` and
    ``matches(s, 're')`` with a literal second operand: a Python string operation (a regex
    compiled once, when the code is generated)."""
    lit = node.args[-1] if node.args else None
    if not isinstance(lit, Literal) or lit.value.__class__ is not str:
        return None
    fn, t = node.function, gen.tmp()
    if fn == "contains":
        test = f"({lit.value!r} in {t})"
    elif fn == "matches":
        try:
            regex = _regex(lit.value)
        except Exception:
            return "_fail()", "bool"
        test = f"({gen.const(regex)}.search({t}) is not None)"
    else:
        test = f"{t}.{_STR_METHODS[fn]}({lit.value!r})"
    return f"({test} if ({t} := {operands[0][0]}).__class__ is _str else _fail())", "bool"


def _fast_dyn(gen: Emitter, node: Call, operands: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    return operands[0][0], "dyn"


def _sig(*types: str) -> Overload:
    """An overload written as argument types then the result type: ``_sig('string', 'bool')``."""
    return Overload(tuple(types[:-1]), types[-1])


_SIZED_TYPES = ("string", "bytes", "list", "map")


def _standard() -> list[Function]:
    conversions = {
        "int": (to_int, ("int", "uint", "double", "string", "timestamp")),
        "uint": (to_uint, ("uint", "int", "double", "string")),
        "double": (to_double, ("double", "int", "uint", "string")),
        "string": (to_string, ("string", "bool", "int", "uint", "double", "bytes", "timestamp", "duration")),
        "bool": (to_bool, ("bool", "string")),
        "bytes": (to_bytes, ("bytes", "string")),
        "timestamp": (to_timestamp, ("string", "timestamp", "int")),
        "duration": (to_duration, ("string", "duration")),
    }
    out = [
        Function(name, impl, tuple(_sig(t, name) for t in sources))
        for name, (impl, sources) in conversions.items()
    ]
    out += [
        Function("size", size, tuple(_sig(t, "int") for t in _SIZED_TYPES), fast=_fast_size),
        Function("size", size, tuple(_sig(t, "int") for t in _SIZED_TYPES), style="member", fast=_fast_size),
        Function("matches", matches, (_sig("string", "string", "bool"),), fast=_fast_string_test),
        Function("type", type_of, (_sig("dyn", "type"),)),
        Function("dyn", dyn, (_sig("dyn", "dyn"),), fast=_fast_dyn),
        Function("error", error, (_sig("string", "dyn"),), doc="an error value with this message"),
    ]
    for name, impl in (
        ("contains", contains),
        ("startsWith", starts_with),
        ("endsWith", ends_with),
        ("matches", matches),
    ):
        out.append(
            Function(name, impl, (_sig("string", "string", "bool"),), style="member", fast=_fast_string_test)
        )
    out += [
        Function("lowerAscii", lower_ascii, (_sig("string", "string"),), style="member"),
        Function("upperAscii", upper_ascii, (_sig("string", "string"),), style="member"),
    ]
    for name in _TS_ACCESSORS:
        sigs = [_sig("timestamp", "int"), _sig("timestamp", "string", "int")]
        if name in _DURATION_ACCESSORS:
            sigs.append(_sig("duration", "int"))
        out.append(Function(name, _accessor(name), tuple(sigs), style="member"))
    return out


def standard_functions() -> FunctionTable:
    """A new, unfrozen table holding the standard library and the language's extensions."""
    return FunctionTable(_standard(), standard=True)
