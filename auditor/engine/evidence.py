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


def compact(value: Any, depth: int = 0) -> Any:
    """A JSON-compatible copy of ``value`` with long lists, maps and strings cut short."""
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
    if kind is list:
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
