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
from collections.abc import Callable
from typing import Any

import msgspec
import re2

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
#: the name of a thread that runs only C code that releases the interpreter lock (hashing a
#: buffer): it has no Python frames, so changing the recursion limit cannot break it
C_ONLY_THREAD = "auditor-c-only"
#: the probe's integer hook (the same kind of Python call as the real parse makes)
_PROBE_INT = int
#: the fast parser (C, no hooks)
_FAST_DECODE = msgspec.json.Decoder().decode
_BOM = b"\xef\xbb\xbf"
_NOT_PARSED = object()


def _room(decode: Callable[[int], object], upper: int) -> int:
    """How many nested levels ``decode`` can read from this frame (binary search, tiny texts)."""
    lo, hi = 0, upper
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            decode(mid)
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


def _bounded(probe: Callable[[int], object], parse: Callable[[], Any], depth: int) -> tuple[Any, bool]:
    """``parse()``, stopped by a RecursionError past ``depth`` levels; and whether the result
    is known to be within ``depth`` (else the caller walks it to check).

    The C parsers count each nesting level against the recursion limit (Python 3.11): set
    it so that exactly ``depth`` levels of the cheapest shape (nested arrays) fit above the
    current stack, then restore it. C functions on the stack count too but have no frame,
    so the room is measured (``probe(n)`` parses n nested arrays, called from the same depth
    as ``parse``), not computed. A document that fits is within ``depth``; one that does
    not may only be costlier per level (hooks at its leaves), so it is parsed again with
    some slack and then walked: exact either way, and the walk is needed only near the
    limit. The limit is process-wide: while another thread runs Python code (the
    collector's HTTP stack, a test server) it is left alone, and the caller walks.
    """
    alone = all(t is threading.current_thread() or t.name == C_ONLY_THREAD for t in threading.enumerate())
    if not alone:
        return _invoke(parse), False
    previous = sys.getrecursionlimit()
    try:
        limit = _stack_depth() + depth + _SLACK
        sys.setrecursionlimit(limit)
        room = _room(probe, depth + _SLACK)
        if room >= depth + _SLACK:  # the limit does not bound this parser here
            sys.setrecursionlimit(previous)
            return _invoke(parse), False
        limit -= room - depth
        sys.setrecursionlimit(limit)
        for _ in range(4):  # confirm from the same depth, and correct any rounding
            fits = _room(probe, depth + 1)
            if fits == depth:
                break
            limit += depth - fits
            sys.setrecursionlimit(limit)
        try:
            return _invoke(parse), True
        except RecursionError:
            sys.setrecursionlimit(limit + _SLACK)
            return _invoke(parse), False
    finally:
        sys.setrecursionlimit(previous)


def _invoke(parse: Callable[[], Any]) -> Any:
    # one frame, like _room's: the parse runs exactly as deep as the probe did
    return parse()


def _probe_stdlib(levels: int) -> object:
    return json.loads("[" * levels + "]" * levels, object_pairs_hook=_pairs, parse_int=_PROBE_INT)


def _probe_fast(levels: int) -> object:
    return _FAST_DECODE(b"[" * levels + b"]" * levels)


def _too_deep(limit: int, source: str) -> InputError:
    return InputError(
        f"JSON nested deeper than the limit of {limit} levels (--limit json-depth)", source=source
    )


def _too_large(limit: int, source: str) -> InputError:
    return InputError(f"larger than the limit of {limit} bytes (--limit snapshot-bytes)", source=source)


class _Background:
    """``first()`` and then a scan of ``raw`` for a run of more than ``digits`` digits, on one
    other thread.

    Why the scan: the fast parser reads integers of any length, so an integer over the
    ``--limit int-digits`` budget must be found in the text. A long run inside a string is
    harmless but also sends the text to the strict parser, which decides. Why a thread:
    RE2 and hashlib (the caller's ``first``: the file's sha256) work without the
    interpreter lock, so on two cores both run while the main thread parses.
    """

    def __init__(self, raw: bytes, digits: int, first: Callable[[], object] | None) -> None:
        self._found = False
        self._error: BaseException | None = None
        pattern = re2.compile(b"[0-9]{%d}" % (digits + 1))
        self._thread = threading.Thread(
            target=self._run, args=(first, pattern, raw), name=C_ONLY_THREAD, daemon=True
        )
        self._thread.start()

    def _run(self, first: Callable[[], object] | None, pattern: Any, raw: bytes) -> None:
        try:
            if first is not None:
                first()
            self._found = pattern.search(raw) is not None
        except BaseException as exc:  # handed to the main thread by result()
            self._error = exc

    def long_digit_run(self) -> bool:
        """Wait for the thread; whether the text holds a run of too many digits."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._found


def loads_canonical(
    raw: bytes,
    source: str,
    is_canonical: Callable[[bytes, Any], bool],
    *,
    alongside: Callable[[], object] | None = None,
) -> Any:
    """Parse JSON bytes: fast when ``is_canonical(raw, parsed)`` holds, else as :func:`loads`.

    Why: the strict parser's per-object hook (which finds duplicate keys) makes it slower
    than the standard library, and a fast parser silently keeps the last of two equal keys.
    Text that is exactly the canonical encoding of what the fast parser returned cannot
    hide a duplicate key (nor ``NaN``, a lone surrogate or a number the strict parser would
    refuse: the fast parser rejects those, and re-encoding would differ), so the fast parse
    is the strict parse's result. Anything else takes the strict path and its messages.
    ``alongside`` (C work that releases the interpreter lock, such as hashing the file) runs
    on the thread that scans the text, or here when there is no scan; it is done on return.
    """
    budget = limits.current()
    if len(raw) > budget.snapshot_bytes:
        raise _too_large(budget.snapshot_bytes, source)
    if raw.startswith(_BOM):
        if alongside is not None:
            alongside()
    else:
        background = _Background(raw, budget.int_digits, alongside)
        doc: Any = _NOT_PARSED
        enforced = False
        try:
            doc, enforced = _bounded(_probe_fast, lambda: _FAST_DECODE(raw), budget.json_depth)
        except (ValueError, RecursionError):  # msgspec's DecodeError is a ValueError
            pass
        finally:
            canonical = doc is not _NOT_PARSED and is_canonical(raw, doc)
            found = background.long_digit_run()
        if canonical and not found:
            if not enforced and _deeper_than(doc, budget.json_depth):
                raise _too_deep(budget.json_depth, source)
            return doc
        del doc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=source) from None
    return loads(text, source)


def loads(text: str, source: str) -> Any:
    """Parse ``text`` under the current budgets; any problem is an InputError naming ``source``."""
    budget = limits.current()
    if len(text) > budget.snapshot_bytes:
        raise _too_large(budget.snapshot_bytes, source)
    try:
        doc, enforced = _bounded(
            _probe_stdlib,
            lambda: json.loads(
                text,
                object_pairs_hook=_pairs,
                parse_constant=_constant,
                parse_int=_make_int(budget.int_digits),
                parse_float=_parse_float,
            ),
            budget.json_depth,
        )
    except RecursionError:
        raise _too_deep(budget.json_depth, source) from None
    except _Reject as exc:
        raise InputError(exc.message, source=source, line=_line_of(text, exc.needle)) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
        ) from None
    except ValueError as exc:  # e.g. Python's own integer-string conversion limit
        raise InputError(f"not valid JSON: {exc}", source=source) from None
    if not enforced and _deeper_than(doc, budget.json_depth):
        raise _too_deep(budget.json_depth, source)
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
