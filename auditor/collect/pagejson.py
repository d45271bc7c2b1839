"""Decode one API page strictly, at msgspec's speed, and give back its items' canonical bytes.

Why: every page must be as strict as the snapshot reader (no ``NaN``, duplicate keys, lone
surrogates, runaway nesting or integers), or a snapshot could be written that no audit can
read. :func:`auditor.strictjson.loads` checks all of that with Python hooks on every object,
which made it most of the collector's time. msgspec's decoder is several times faster and
already refuses ``NaN``, ``Infinity``, lone surrogates, bad UTF-8 and out-of-range floats; the
remaining rules (duplicate keys, nesting depth, integer digits) are checked here on bytes, with
C-speed byte operations only, and conservatively: a page these checks cannot vouch for is
parsed again by :func:`auditor.strictjson.loads`, which gives the exact verdict and message.

The items are then re-encoded with :data:`auditor.snapshot.encoding.encode_value`, the one
canonical encoding of snapshot text, so that they can be spooled to disk as the snapshot's own
bytes and never held as Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from auditor import limits, strictjson
from auditor.snapshot.encoding import encode_value

_BOM = b"\xef\xbb\xbf"
#: keep only what matters for nesting: brackets, and quotes to find strings; objects and
#: arrays nest alike, so ``{}`` become ``[]`` (deleting to five kinds of byte is the fast case)
_ONE_BRACKET = bytes.maketrans(b"{}", b"[]")
_NOT_NESTING = bytes(b for b in range(256) if b not in b'"[]{}')
#: every digit becomes ``0``, so that a long run of digits is one substring search
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_decode = msgspec.json.decode


@dataclass(frozen=True)
class Page:
    """A decoded page; ``items`` holds the canonical bytes of its ``value`` list when it has one."""

    #: the page as parsed: an object, unless the server sent something else
    doc: Any
    #: ``encode_value(doc["value"])``: ``[`` item ``,`` item ... ``]``; None if there is no list
    items: bytes | None


class MalformedPage(ValueError):
    """The page is not JSON the snapshot reader would accept; the message says why."""


class ResponseTooLarge(Exception):
    """A response body passed ``--limit response-bytes`` while it was read; the message says so."""


def shape_within(canonical: bytes, depth: int, digits: int) -> bool:
    """Whether canonical JSON nests at most ``depth`` levels and has no integer over ``digits`` digits.

    Conservative, in a few C-speed passes over bytes: False whenever the bytes cannot vouch
    (a string holding a quote or a bracket; a run of digits that might be one integer, which
    includes digits in a string); the caller then asks
    the strict parser. Each removal pass takes away the innermost brackets, one level a pass.
    """
    if b"\\" in canonical and b'\\"' in canonical:
        return False
    if b"0" * (digits + 1) in canonical.translate(_DIGITS):
        return False
    shape = canonical.translate(_ONE_BRACKET, _NOT_NESTING).replace(b'""', b"")
    if b'"' in shape:  # a string held a bracket: its quotes did not pair up
        return False
    for _ in range(depth):
        if not shape:
            return True
        shape = shape.replace(b"[]", b"")
    return not shape


def _fast(body: bytes) -> Page | None:
    """The page, if msgspec and the byte checks can vouch for it; None to ask the strict parser."""
    budget = limits.current()
    if len(body) > budget.snapshot_bytes or (b"\\" in body and (b'\\"' in body or b"\\u003" in body)):
        # an escaped quote or colon would make the key count below ambiguous; rare in API output
        return None
    try:
        doc = _decode(body)
    except (msgspec.DecodeError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    values = doc.get("value")
    items: bytes | None = None
    if isinstance(values, list):
        listed = encode_value(values)
        rest = encode_value({k: v for k, v in doc.items() if k != "value"})
        colons = rest.count(b":") + 1 + listed.count(b":")  # 1: the key "value" itself
        items = listed
    else:
        rest = encode_value(doc)
        colons = rest.count(b":")
    # Duplicate keys: a colon is either a key's or inside a string (no escaped colon in the
    # body, checked above). The decoded page keeps every key once and every string of the kept
    # entries, so the canonical text has as many colons as the body exactly when no key was
    # dropped for a duplicate.
    if colons != body.count(b":"):
        return None
    limit = budget.json_depth
    # the item list is one level inside the page object
    for part, room in ((rest, limit), (items, limit - 1)):
        if part is not None and not shape_within(part, room, budget.int_digits):
            return None
    return Page(doc, items)


def too_large(cap: int) -> str:
    """The message for a response body over ``--limit response-bytes`` (``cap``)."""
    for unit, size in (("GiB", limits.GIB), ("MiB", limits.MIB), ("KiB", limits.KIB)):
        if cap >= size and cap % size == 0:
            return f"the response is larger than {cap // size} {unit} (--limit response-bytes)"
    return f"the response is larger than {cap} bytes (--limit response-bytes)"


def decode_page(body: bytes, source: str = "response") -> Page:
    """Decode a page strictly (fast path first); raises :class:`MalformedPage`.

    Every API answer that anything reads goes through here: the pager's pages, the bare
    arrays and ``nextLink`` objects that :func:`auditor.collect.fetching.odata_paged` adapts,
    and error bodies. A body over ``--limit response-bytes`` is refused before decoding.
    """
    cap = limits.current().response_bytes
    if len(body) > cap:
        raise MalformedPage(too_large(cap))
    if body.startswith(_BOM):
        body = body[len(_BOM) :]
    page = _fast(body)
    if page is not None:
        return page
    from auditor.errors import InputError

    try:
        doc = strictjson.loads(body.decode("utf-8"), source)
    except UnicodeDecodeError as exc:
        raise MalformedPage(str(exc)) from None
    except InputError as exc:
        raise MalformedPage(exc.detail) from None
    values = doc.get("value") if isinstance(doc, dict) else None
    return Page(doc, encode_value(values) if isinstance(values, list) else None)
