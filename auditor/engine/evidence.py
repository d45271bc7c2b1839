"""Turn CEL values into bounded, JSON-safe evidence for findings.

Evidence is what an auditor reads to see *why*; it must not grow with the
tenant (a variable holding 1.5 million users would make the report unusable),
so lists, maps and strings are truncated with a visible marker.
"""

from __future__ import annotations

import math
from typing import Any

from auditor import cel

MAX_ITEMS = 20
MAX_KEYS = 60
MAX_STRING = 400
MAX_DEPTH = 6


_SCALARS = (int, bool, type(None))


def _fits(value: Any, depth: int) -> bool:
    """Whether ``value`` is already plain bounded JSON (then it is used as is, not copied)."""
    kind = value.__class__
    if kind is str:
        return len(value) <= MAX_STRING
    if kind in _SCALARS:
        return True
    if kind is list:
        return depth < MAX_DEPTH and len(value) <= MAX_ITEMS and all(_fits(v, depth + 1) for v in value)
    if kind is dict:
        return (
            depth < MAX_DEPTH
            and len(value) <= MAX_KEYS
            and all(
                k.__class__ is str and not k.startswith("@odata.") and _fits(v, depth + 1)
                for k, v in value.items()
            )
        )
    return False


def compact(value: Any, depth: int = 0) -> Any:
    """``value`` as bounded JSON: long lists, maps and strings cut short with a visible marker.

    Values that are already within bounds are returned as they are, shared with the
    snapshot rather than copied: evidence is read-only from here on, and copying every
    failing record of a large tenant was a sixth of an audit's time.
    """
    if _fits(value, depth):
        return value
    kind = type(value)
    if kind is str:
        return (
            value
            if len(value) <= MAX_STRING
            else value[:MAX_STRING] + f"… (+{len(value) - MAX_STRING} chars)"
        )
    if kind in _SCALARS:
        return value
    if kind is float:
        # NaN and ±Infinity (e.g. 0.0 / 0.0 in a variable) are not JSON: results.json must stay strict
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):  # list subclasses too (a coverage result's lazily named findings)
        if depth >= MAX_DEPTH:
            return f"[list of {len(value)}]"
        head = [compact(v, depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            head.append(f"… and {len(value) - MAX_ITEMS} more")
        return head
    if kind is dict:
        if depth >= MAX_DEPTH:
            return f"{{map of {len(value)}}}"
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_KEYS:
                out["…"] = f"and {len(value) - MAX_KEYS} more keys"
                break
            if isinstance(k, str) and k.startswith("@odata."):
                continue
            out[str(k)] = compact(v, depth + 1)
        return out
    converted = cel.to_json(value)  # timestamps, durations, uints, bytes, types
    return converted if type(converted) is not kind else str(converted)


def subject_evidence(item: Any, fields: tuple[str, ...] | None) -> Any:
    """A subject's evidence: the fields its policy reads (``fields``, sorted), or all of it when None.

    Runs once per failing subject (a million on a first audit): short strings, booleans
    and nulls, most of what a directory record holds, are kept without further checks.
    """
    if fields is None or item.__class__ is not dict:
        return compact(item)
    out: dict[str, Any] = {}
    for k in fields:
        if k in item:
            v = item[k]
            kind = v.__class__
            out[k] = (
                v if (kind is str and len(v) <= MAX_STRING) or kind is bool or v is None else compact(v, 1)
            )
    return out
