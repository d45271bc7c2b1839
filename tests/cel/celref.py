"""Differential-testing support: run expressions through cel-expr-python and compare.

cel-expr-python (Google's C++ CEL wrapped for Python) is used as the oracle. It is
evaluated with type checking disabled so that, like our implementation, everything is
dynamically typed (policies read JSON, which is ``dyn``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_strings

from auditor.cel import CelError, CelType, Uint
from auditor.cel import compile as cel_compile

_TYPE_NAMES = {
    "INT": "int",
    "UINT": "uint",
    "DOUBLE": "double",
    "BOOL": "bool",
    "STRING": "string",
    "BYTES": "bytes",
    "NULL": "null_type",
    "TYPE": "type",
    "TIMESTAMP": "google.protobuf.Timestamp",
    "DURATION": "google.protobuf.Duration",
}
BUDGET_MARKERS = ("Iteration budget exceeded", "recursion limit exceeded", "max recursion depth")


@dataclass(frozen=True)
class Outcome:
    """Either a value or an error (message kept for diagnostics only)."""

    ok: bool
    value: Any = None
    error: str = ""


def _type_name(t: Any) -> str:
    name = t.name()
    if name.startswith("LIST"):
        return "list"
    if name.startswith("MAP"):
        return "map"
    return _TYPE_NAMES.get(name, name)


def from_cel(v: Any) -> Any:
    """Convert a cel-expr-python Value to our value model (Uint, CelType, bytes...)."""
    t = v.type()
    name = t.name()
    raw = v.value()
    if name == "UINT":
        return Uint(raw)
    if name == "TYPE":
        return CelType(_type_name(raw))
    if name == "BYTES":
        return bytes(raw)
    if name.startswith("LIST"):
        return [from_cel(x) for x in raw]
    if name.startswith("MAP"):
        return {k: from_cel(x) for k, x in raw.items()}
    return raw


_ENVS: dict[tuple[str, ...], Any] = {}


def reference(source: str, data: dict[str, Any]) -> Outcome:
    """Evaluate with cel-expr-python. Compile failures are reported as errors."""
    key = tuple(sorted(data))
    env = _ENVS.get(key)
    if env is None:
        env = cel.NewEnv(variables=dict.fromkeys(key, cel.Type.DYN), extensions=[ext_strings.ExtStrings()])
        _ENVS[key] = env
    try:
        expr = env.compile(source, disable_check=True)
        v = expr.eval(data=data)
    except Exception as exc:  # parse errors and budget limits arrive as exceptions
        return Outcome(False, error=str(exc))
    if v.type() == cel.Type.ERROR:
        return Outcome(False, error=str(v.value()))
    return Outcome(True, from_cel(v))


def ours(source: str, data: dict[str, Any], *, fast: bool) -> Outcome:
    try:
        program = cel_compile(source, list(data))
        program._fast_enabled = fast
        return Outcome(True, program.evaluate(data))
    except CelError as exc:
        return Outcome(False, error=str(exc))


def same(a: Any, b: Any) -> bool:
    """Strict CEL-value identity: same types (int vs uint vs double vs bool), NaN equals NaN."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Uint) or isinstance(b, Uint):
        return isinstance(a, Uint) and isinstance(b, Uint) and int(a) == int(b)
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, float) and isinstance(b, float)):
            return False
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        return all(k in b and same(v, b[k]) for k, v in a.items())
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        return bytes(a) == bytes(b)
    return type(a) is type(b) and a == b


def agree(ref: Outcome, got: Outcome) -> bool:
    if ref.ok != got.ok:
        return False
    return not ref.ok or same(ref.value, got.value)


def is_budget_limit(ref: Outcome) -> bool:
    """cel-expr-python stops after 10,000 comprehension iterations or deep nesting."""
    return not ref.ok and any(m.lower() in ref.error.lower() for m in BUDGET_MARKERS)
