"""Strict, bounded JSON parsing for every file the user hands us.

Python's ``json`` accepts things that are not JSON or that break later stages:
``NaN`` and ``Infinity``, duplicate keys (the last one silently wins), lone UTF-16
surrogates (``"\\ud800"``, which cannot be written back as UTF-8), integers of
thousands of digits and nesting deep enough to exhaust the stack. Each becomes an
:class:`~auditor.errors.InputError` naming the file and, where it can be found,
the line.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from typing import Any

from auditor import limits
from auditor.errors import InputError

_LONE_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class _Reject(ValueError):
    """Raised from inside the parser's hooks; carries the problem and a text to locate."""

    def __init__(self, message: str, needle: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.needle = needle


def _stack_depth() -> int:
    frame = sys._getframe()
    n = 0
    while frame is not None:
        n += 1
        frame = frame.f_back  # type: ignore[assignment]
    return n


_SLACK = 64
#: the probe's integer hook (the same kind of Python call as the real parse makes)
_PROBE_INT = int


def _room(upper: int) -> int:
    """How many nested objects the parser can read from this frame (binary search, tiny texts)."""
    lo, hi = 0, upper
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            # the costliest shape per level: objects with a hooked number inside
            json.loads(
                '{"a":' * mid + "1.5" + "}" * mid,
                object_pairs_hook=_pairs,
                parse_int=_PROBE_INT,
                parse_float=_parse_float,
            )
            lo = mid
        except RecursionError:
            hi = mid - 1
    return lo


def _line_of(text: str, needle: str | None) -> int | None:
    if not needle:
        return None
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Reject(f"duplicate key {json.dumps(key)[:80]} in one object", json.dumps(key) + ":")
            seen.add(key)
    return out


def _constant(name: str) -> Any:
    raise _Reject(f"{name} is not valid JSON (numbers must be finite)", name)


def _make_int(max_digits: int) -> Any:
    def parse_int(text: str) -> int:
        if len(text) > max_digits + 1:  # the sign
            raise _Reject(
                f"an integer of {len(text)} digits exceeds the limit of {max_digits} (--limit int-digits)",
                text[:40],
            )
        return int(text)

    return parse_int


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Reject(f"the number {text[:40]} is too large for a double", text[:40])
    return value


def _check_surrogates(text: str, doc: Any, source: str) -> None:
    """Only when the text holds a surrogate escape: confirm the value encodes as UTF-8."""
    m = _LONE_SURROGATE_HINT.search(text)
    if m is None:
        return
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            "a string holds a lone UTF-16 surrogate (such as \\ud800), which is not valid Unicode",
            source=source,
            line=text.count("\n", 0, m.start()) + 1,
        ) from None


def loads(text: str, source: str) -> Any:
    """Parse ``text`` under the current budgets; any problem is an InputError naming ``source``."""
    budget = limits.current()
    if len(text) > budget.snapshot_bytes:
        raise InputError(
            f"larger than the limit of {budget.snapshot_bytes} bytes (--limit snapshot-bytes)", source=source
        )
    previous = sys.getrecursionlimit()
    # The limit is process-wide: lowering it while another thread runs (the collector's
    # HTTP stack, a test server) could break that thread, so then depth is checked after.
    alone = threading.active_count() == 1
    if alone:
        # The C parser counts each nesting level against the recursion limit: set it so
        # that `json_depth` levels fit above the current stack, then restore it. C functions
        # on the stack count too but have no frame, so the room is measured, not computed.
        trial = _stack_depth() + budget.json_depth + _SLACK
        sys.setrecursionlimit(trial)
        room = _room(budget.json_depth + _SLACK) + 1  # the probe runs one frame deeper than here
        sys.setrecursionlimit(max(trial - (room - budget.json_depth), _stack_depth() + 8))
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_constant=_constant,
            parse_int=_make_int(budget.int_digits),
            parse_float=_parse_float,
        )
    except RecursionError:
        raise InputError(
            f"JSON nested deeper than the limit of {budget.json_depth} levels (--limit json-depth)",
            source=source,
        ) from None
    except _Reject as exc:
        raise InputError(exc.message, source=source, line=_line_of(text, exc.needle)) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
        ) from None
    except ValueError as exc:  # e.g. Python's own integer-string conversion limit
        raise InputError(f"not valid JSON: {exc}", source=source) from None
    finally:
        if alone:
            sys.setrecursionlimit(previous)
    if not alone and _deeper_than(doc, budget.json_depth):
        raise InputError(
            f"JSON nested deeper than the limit of {budget.json_depth} levels (--limit json-depth)",
            source=source,
        )
    _check_surrogates(text, doc, source)
    return doc


def _deeper_than(doc: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than ``limit`` levels (iterative: any depth is safe)."""
    stack: list[tuple[Any, int]] = [(doc, 1)] if isinstance(doc, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
