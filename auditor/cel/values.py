"""CEL values as plain Python objects.

Why plain objects: policies run over snapshots of millions of JSON records, and any
per-value wrapping would dominate the cost. So JSON data *is* CEL data: ``None`` is
null, ``bool``/``int``/``float``/``str`` are bool/int/double/string, ``list`` and
``dict`` are list and map. The few CEL types JSON lacks get small representations:
``Uint`` (an ``int`` subclass, so arithmetic code must re-wrap results), ``bytes``,
aware UTC ``datetime`` for timestamps, ``timedelta`` for durations and ``CelType``
for type values.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
from typing import Any

from .errors import EvalFailure
from .timeutil import format_duration, format_timestamp


class Uint(int):
    """A CEL ``uint`` value (64-bit unsigned); distinct from ``int`` for typing and equality of types."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Uint({int(self)})"


class CelType:
    """A CEL type value such as ``int`` or ``google.protobuf.Timestamp`` (``type(1) == int``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CelType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("CelType", self.name))

    def __repr__(self) -> str:
        return f"CelType({self.name!r})"

    def __str__(self) -> str:
        return self.name


INT = CelType("int")
UINT = CelType("uint")
DOUBLE = CelType("double")
BOOL = CelType("bool")
STRING = CelType("string")
BYTES = CelType("bytes")
LIST = CelType("list")
MAP = CelType("map")
NULL_TYPE = CelType("null_type")
TYPE = CelType("type")
TIMESTAMP = CelType("google.protobuf.Timestamp")
DURATION = CelType("google.protobuf.Duration")

# Identifiers that denote type values when not declared as variables.
TYPE_NAMES: dict[str, CelType] = {
    t.name: t
    for t in (INT, UINT, DOUBLE, BOOL, STRING, BYTES, LIST, MAP, NULL_TYPE, TYPE, TIMESTAMP, DURATION)
}

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


def type_of(value: Any) -> CelType:
    """The CEL type of a Python value; anything outside the value model is an error."""
    cls = value.__class__
    if cls is str:
        return STRING
    if cls is bool:
        return BOOL
    if cls is int:
        return INT
    if cls is float:
        return DOUBLE
    if cls is dict:
        return MAP
    if cls is list:
        return LIST
    if value is None:
        return NULL_TYPE
    if cls is Uint:
        return UINT
    if isinstance(value, _dt.datetime):
        return TIMESTAMP
    if isinstance(value, _dt.timedelta):
        return DURATION
    if isinstance(value, (bytes, bytearray)):
        return BYTES
    if isinstance(value, CelType):
        return TYPE
    # Lenient for subclasses and tuples handed in by host code.
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, str):
        return STRING
    if isinstance(value, (list, tuple)):
        return LIST
    if isinstance(value, dict):
        return MAP
    raise EvalFailure(f"unsupported value of Python type '{cls.__name__}'")


def type_name(value: Any) -> str:
    """Short CEL type name for error messages (timestamps/durations without the package)."""
    try:
        t = type_of(value)
    except EvalFailure:
        return type(value).__name__
    if t is TIMESTAMP:
        return "timestamp"
    if t is DURATION:
        return "duration"
    return t.name


def format_double(value: float) -> str:
    """Format a double as CEL's ``string(double)`` does: shortest digits, exponent outside 1e-4..1e6."""
    if value != value:
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    text = repr(value)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    # Decimal exponent of the first significant digit.
    lead_zeros = len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    point = len(int_part) + exponent - lead_zeros - 1
    digits = digits.rstrip("0") or "0"
    if -4 <= point < 6:
        if point >= 0:
            whole = digits[: point + 1].ljust(point + 1, "0")
            frac = digits[point + 1 :]
        else:
            whole = "0"
            frac = "0" * (-point - 1) + digits
        return sign + whole + ("." + frac if frac else "")
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{body}e{'-' if point < 0 else '+'}{abs(point):02d}"


def to_json(value: Any) -> Any:
    """Convert a CEL value to JSON-compatible data (for results documents)."""
    cls = value.__class__
    if value is None or cls in (str, bool, int, float):
        return value
    if cls is Uint:
        return int(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {_json_key(k): to_json(v) for k, v in value.items()}
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, _dt.timedelta):
        return format_duration(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, CelType):
        return value.name
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(int(key)) if isinstance(key, int) else format_value(key)


def format_value(value: Any) -> str:
    """Render a value for a human message: strings as-is, everything else CEL-literal-like."""
    if isinstance(value, str):
        return value
    return _literal(value)


def _literal(value: Any, nested: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Uint):
        return f"{int(value)}u"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes | bytearray):
        return "b" + json.dumps(bytes(value).decode("latin-1"), ensure_ascii=True)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v, True) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k, True)}: {_literal(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, _dt.datetime | _dt.timedelta):
        text = format_timestamp(value) if isinstance(value, _dt.datetime) else format_duration(value)
        return json.dumps(text) if nested else text
    if isinstance(value, CelType):
        return value.name
    return repr(value)
