"""CEL operators over plain Python values: equality, ordering, arithmetic, access.

These functions are the single definition of the operators' semantics. They return
the exact CEL result or raise ``EvalFailure`` for a CEL error value; the interpreter
converts that into an error value, the compiled fast path lets it trigger a fallback.
Python's own operators are *not* CEL's (``True == 1``, ``[1][-1]``, ``'a' in 'abc'``,
unbounded ints), hence the explicit type dispatch on ``__class__``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .errors import EvalFailure
from .meter import charge
from .runtime import _CURRENT
from .timeutil import check_duration
from .values import INT64_MAX, INT64_MIN, UINT64_MAX, CelType, Uint, type_name

# NaN as the hardware produces it for 0/0 (sign bit set on x86), so that IEEE division
# in Python (which raises instead) matches C++ implementations bit for bit.
_DEFAULT_NAN = float("inf") - float("inf")
MAX_SIZE = 50_000_000  # elements / characters / bytes: guards against memory bombs

_DT = _dt.datetime
_TD = _dt.timedelta
_NUMERIC = frozenset((int, float, Uint))
_SCALAR_EQ = frozenset((str, int, float, bool, type(None), bytes, Uint))


def no_overload(op: str, *args: Any) -> EvalFailure:
    """The standard message for an operator/function applied to unsupported types."""
    types = ", ".join(type_name(a) for a in args)
    return EvalFailure(f"no matching overload for '{op}' applied to ({types})")


def eq(a: Any, b: Any) -> bool:
    """Heterogeneous equality: numbers on one number line, other types equal only to themselves."""
    ca = a.__class__
    cb = b.__class__
    if ca is cb and ca in _SCALAR_EQ:
        return bool(a == b)
    if ca in _NUMERIC and cb in _NUMERIC:
        a, b = _numeric_pair(a, b)
        return bool(a == b)
    if ca is list or ca is tuple:
        if cb is not list and cb is not tuple:
            return False
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if not eq(x, y):
                return False
        return True
    if ca is dict:
        if cb is not dict or len(a) != len(b):
            return False
        for k, v in a.items():
            found, other = map_lookup(b, k)
            if not found or not eq(v, other):
                return False
        return True
    if isinstance(a, _DT) and isinstance(b, _DT):
        return bool(a == b)
    if isinstance(a, _TD) and isinstance(b, _TD):
        return bool(a == b)
    if isinstance(a, CelType) and isinstance(b, CelType):
        return a == b
    if isinstance(a, bytes | bytearray) and isinstance(b, bytes | bytearray):
        return bytes(a) == bytes(b)
    return False


def _numeric_pair(a: Any, b: Any) -> tuple[Any, Any]:
    """Mixed int/double comparisons convert the integer to double, as the conformance suite expects."""
    if a.__class__ is float:
        if b.__class__ is not float:
            return a, _to_float(b)
    elif b.__class__ is float:
        return _to_float(a), b
    return a, b


def _to_float(x: int) -> Any:
    try:
        return float(x)
    except OverflowError:  # beyond any double: exact comparison is then equivalent
        return x


def _orderable(a: Any, b: Any) -> bool:
    ca = a.__class__
    cb = b.__class__
    if ca in _NUMERIC:
        return cb in _NUMERIC
    if ca is cb:
        return ca in (str, bool, bytes) or ca is _DT or ca is _TD
    if isinstance(a, _DT):
        return isinstance(b, _DT)
    if isinstance(a, _TD):
        return isinstance(b, _TD)
    return False


def lt(a: Any, b: Any) -> bool:
    if _orderable(a, b):
        if a.__class__ is float or b.__class__ is float:
            a, b = _numeric_pair(a, b)
        return bool(a < b)
    raise no_overload("_<_", a, b)


def le(a: Any, b: Any) -> bool:
    if _orderable(a, b):
        if a.__class__ is float or b.__class__ is float:
            a, b = _numeric_pair(a, b)
        return bool(a <= b)
    raise no_overload("_<=_", a, b)


def gt(a: Any, b: Any) -> bool:
    if _orderable(a, b):
        if a.__class__ is float or b.__class__ is float:
            a, b = _numeric_pair(a, b)
        return bool(a > b)
    raise no_overload("_>_", a, b)


def ge(a: Any, b: Any) -> bool:
    if _orderable(a, b):
        if a.__class__ is float or b.__class__ is float:
            a, b = _numeric_pair(a, b)
        return bool(a >= b)
    raise no_overload("_>=_", a, b)


def _int(r: int) -> int:
    if INT64_MIN <= r <= INT64_MAX:
        return r
    raise EvalFailure("integer overflow")


def _uint(r: int) -> Uint:
    if 0 <= r <= UINT64_MAX:
        return Uint(r)
    raise EvalFailure("unsigned integer overflow")


def _sized(r: Any) -> Any:
    if len(r) > MAX_SIZE:
        raise EvalFailure(f"result larger than {MAX_SIZE} elements")
    return r


def add(a: Any, b: Any) -> Any:
    ca = a.__class__
    cb = b.__class__
    if ca is int and cb is int:
        return _int(a + b)
    if ca is float and cb is float:
        return a + b
    if ca is str and cb is str:
        charge(len(a) + len(b))
        return _sized(a + b) if len(a) + len(b) > MAX_SIZE else a + b
    if ca is list and cb is list:
        if len(a) + len(b) > MAX_SIZE:
            raise EvalFailure(f"result larger than {MAX_SIZE} elements")
        charge(len(a) + len(b))
        return a + b
    if ca is Uint and cb is Uint:
        return _uint(a + b)
    if ca is bytes and cb is bytes:
        charge(len(a) + len(b))
        return _sized(a + b)
    if isinstance(a, _TD) and isinstance(b, _DT):
        a, b = b, a
    if isinstance(a, _DT) and isinstance(b, _TD):
        try:
            return a + b
        except OverflowError:
            raise EvalFailure("timestamp overflow") from None
    if isinstance(a, _TD) and isinstance(b, _TD):
        return check_duration(a + b)
    raise no_overload("_+_", a, b)


def sub(a: Any, b: Any) -> Any:
    ca = a.__class__
    cb = b.__class__
    if ca is int and cb is int:
        return _int(a - b)
    if ca is float and cb is float:
        return a - b
    if ca is Uint and cb is Uint:
        return _uint(a - b)
    if isinstance(a, _DT):
        if isinstance(b, _DT):
            return check_duration(a - b)
        if isinstance(b, _TD):
            try:
                return a - b
            except OverflowError:
                raise EvalFailure("timestamp overflow") from None
    if isinstance(a, _TD) and isinstance(b, _TD):
        return check_duration(a - b)
    raise no_overload("_-_", a, b)


def mul(a: Any, b: Any) -> Any:
    ca = a.__class__
    cb = b.__class__
    if ca is int and cb is int:
        return _int(a * b)
    if ca is float and cb is float:
        return a * b
    if ca is Uint and cb is Uint:
        return _uint(a * b)
    raise no_overload("_*_", a, b)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def div(a: Any, b: Any) -> Any:
    ca = a.__class__
    cb = b.__class__
    if ca is int and cb is int:
        if b == 0:
            raise EvalFailure("divide by zero")
        return _int(_trunc_div(a, b))
    if ca is float and cb is float:
        if b == 0.0:
            if a != a or a == 0.0:
                return _DEFAULT_NAN
            negative = (a < 0) != (str(b)[0] == "-")
            return float("-inf") if negative else float("inf")
        return a / b
    if ca is Uint and cb is Uint:
        if b == 0:
            raise EvalFailure("divide by zero")
        return Uint(a // b)
    raise no_overload("_/_", a, b)


def mod(a: Any, b: Any) -> Any:
    ca = a.__class__
    cb = b.__class__
    if ca is int and cb is int:
        if b == 0:
            raise EvalFailure("modulus by zero")
        if a == INT64_MIN and b == -1:
            raise EvalFailure("integer overflow")
        return _int(a - b * _trunc_div(a, b))
    if ca is Uint and cb is Uint:
        if b == 0:
            raise EvalFailure("modulus by zero")
        return Uint(a % b)
    raise no_overload("_%_", a, b)


def neg(a: Any) -> Any:
    ca = a.__class__
    if ca is int:
        return _int(-a)
    if ca is float:
        return -a
    raise no_overload("-_", a)


def logical_not(a: Any) -> bool:
    if a.__class__ is bool:
        return not a
    raise no_overload("!_", a)


def map_lookup(m: dict[Any, Any], key: Any) -> tuple[bool, Any]:
    """Find ``key`` in a CEL map: numeric keys match across int/uint/double, bools only bools."""
    kc = key.__class__
    if kc is str:
        if key in m:
            return True, m[key]
        return False, None
    if kc is float:
        if key != key or key in (float("inf"), float("-inf")) or key != int(key):
            return False, None
        key = int(key)
        kc = int
    if kc is int or kc is Uint or kc is bool:
        if key not in m:
            return False, None
        if key in (0, 1):
            # Python conflates True/1 and False/0; confirm the stored key's kind.
            for k, v in m.items():
                if k == key and (k.__class__ is bool) == (kc is bool):
                    return True, v
            return False, None
        return True, m[key]
    raise EvalFailure(f"unsupported map key type: {type_name(key)}")


def select(obj: Any, field: str) -> Any:
    """``obj.field`` on a map; CEL has no attribute access on other values here."""
    if obj.__class__ is dict:
        try:
            return obj[field]
        except KeyError:
            raise EvalFailure(f"no such key: '{field}'") from None
    raise EvalFailure(f"type '{type_name(obj)}' does not support field selection ('.{field}')")


def has_field(obj: Any, field: str) -> bool:
    if obj.__class__ is dict:
        return field in obj
    raise EvalFailure(f"type '{type_name(obj)}' does not support field presence test (has(.{field}))")


def index(obj: Any, key: Any) -> Any:
    """``obj[key]``: lists by integral index (int, uint or integral double), maps by key."""
    oc = obj.__class__
    if oc is list or oc is tuple:
        kc = key.__class__
        if kc is float:
            if key != key or key in (float("inf"), float("-inf")) or key != int(key):
                raise EvalFailure("invalid list index: expected an integer, got double")
            key = int(key)
        elif kc is not int and kc is not Uint:
            raise EvalFailure(f"invalid list index of type '{type_name(key)}'")
        if 0 <= key < len(obj):
            return obj[key]
        raise EvalFailure(f"index out of range: {int(key)} (size {len(obj)})")
    if oc is dict:
        found, value = map_lookup(obj, key)
        if found:
            return value
        raise EvalFailure(f"no such key: {_key_text(key)}")
    raise no_overload("_[_]", obj, key)


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return repr(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


#: lists at least this long that ``in`` meets a second time are looked up in a set of their strings
_SET_FROM = 8


def _string_members(container: list[Any] | tuple[Any, ...]) -> frozenset[str] | None:
    """The string elements of a list that ``in`` keeps meeting (``x in holderIds`` inside a
    filter over every user), as a set; None the first time (and outside an evaluation). A
    string is in the list by CEL equality exactly when it is in this set, so the answer is
    the scan's, in O(1). The sets, and the lists met once (kept so that their ids stay
    theirs), live in the active runtime."""
    rt = _CURRENT.get()
    if rt is None:
        return None
    key = id(container)
    hit = rt.member_sets.get(key)
    if hit is not None and hit[0] is container:
        return hit[1]
    met_once = rt.met_once
    if met_once.get(key) is container:
        if len(rt.member_sets) >= 256:
            rt.member_sets.clear()
        members = frozenset(x for x in container if x.__class__ is str)
        rt.member_sets[key] = (container, members)
        return members
    if len(met_once) >= 1024:
        met_once.clear()
    met_once[key] = container
    return None


def contains_in(elem: Any, container: Any) -> bool:
    """``elem in container``: list membership by CEL equality, or map key presence."""
    cc = container.__class__
    if cc is list or cc is tuple:
        if elem.__class__ is str:
            if len(container) >= _SET_FROM:
                members = _string_members(container)
                if members is not None:
                    return elem in members
            for x in container:
                if x.__class__ is str and x == elem:
                    return True
            return False
        for x in container:
            if eq(elem, x):
                return True
        return False
    if cc is dict:
        return map_lookup(container, elem)[0]
    raise no_overload("@in", elem, container)


_KEY_TYPES = (str, int, Uint, bool)


def make_map(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """Build a map literal: keys must be int, uint, bool or string, and unique."""
    out: dict[Any, Any] = {}
    for k, v in pairs:
        if k.__class__ not in _KEY_TYPES:
            raise EvalFailure(f"unsupported map key type: {type_name(k)}")
        if k in out:
            raise EvalFailure(f"duplicate map key: {_key_text(k)}")
        out[k] = v
    return out


def size(x: Any) -> int:
    cx = x.__class__
    if cx is str or cx is list or cx is dict or cx is bytes or cx is tuple:
        return len(x)
    raise no_overload("size", x)
