"""The one encoding of snapshot text, and how loading recognises it.

A snapshot is compact UTF-8 JSON with keys in document order, as msgspec's encoder writes
it. The collector writes exactly this text, piece by piece; the loader re-encodes what it
parsed, piece by piece, and compares: text that matches is exactly what its parse says
(no duplicate keys, no ``NaN``, no lone surrogates, nothing the strict parser would
refuse), so loading can use the fast parser and skip the strict one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import msgspec

#: the one encoder of snapshot text: compact UTF-8 JSON, keys in document order
encode_value = msgspec.json.Encoder().encode
#: list items per encoder call when a collection is encoded in pieces
_BATCH = 1000
#: depth to which containers are walked (document, data, collection, group); deeper: encoded whole
_STREAM_DEPTH = 4


class PreEncoded:
    """A document value whose canonical bytes already exist (e.g. spooled to disk as collected).

    Why: a collection of 1.5 million users need never be held as Python objects just to be
    encoded once; the collector encodes each page as it arrives and hands the bytes over.
    ``pieces()`` must yield exactly ``encode_value(value)`` for the value it stands for, and
    ``stub`` is an empty value of the same JSON type, for structural validation.
    """

    stub: list[Any] | dict[str, Any] = []  # noqa: RUF012 (overridden per instance; never mutated)

    def pieces(self) -> Iterable[bytes]:
        raise NotImplementedError

    def write_to(self, fh: BinaryIO) -> None:
        """Write the bytes into ``fh`` (a plain file: an override may copy in the kernel)."""
        for piece in self.pieces():
            fh.write(piece)


def iter_parts(value: Any, depth: int = 0) -> Iterator[bytes | PreEncoded]:
    """The compact JSON of ``value`` in pieces, a :class:`PreEncoded` value handed over whole.

    Why pieces: a 1.5-million-user snapshot is over a gigabyte of text; encoding it in one
    piece holds the text, its bytes and (for ``.json.gz``) the compressed bytes at once, next
    to the parsed data. In pieces, only one batch of items is ever held.
    """
    if isinstance(value, PreEncoded):
        yield value
    elif depth < _STREAM_DEPTH and value.__class__ is dict:
        sep = b"{"
        for key, item in value.items():
            yield sep + encode_value(key) + b":"
            yield from iter_parts(item, depth + 1)
            sep = b","
        yield b"}" if sep == b"," else b"{}"
    elif depth < _STREAM_DEPTH and value.__class__ is list and len(value) > _BATCH:
        for start in range(0, len(value), _BATCH):
            yield (b"[" if start == 0 else b",") + encode_value(value[start : start + _BATCH])[1:-1]
        yield b"]"
    else:
        yield encode_value(value)


def iter_document(value: Any) -> Iterator[bytes]:
    """The compact JSON of ``value`` in pieces: exactly ``encode_value(value)`` once joined, with
    each :class:`PreEncoded` value's own bytes in its place."""
    for part in iter_parts(value):
        if isinstance(part, PreEncoded):
            yield from part.pieces()
        else:
            yield part


def is_canonical(raw: bytes, doc: Any) -> bool:
    """Whether ``raw`` is exactly the canonical encoding of ``doc`` (a final newline allowed).

    Compared piece by piece against the bytes in place, so no second copy of the text is
    ever built.
    """
    pos = 0
    for piece in iter_document(doc):
        if not raw.startswith(piece, pos):
            return False
        pos += len(piece)
    rest = len(raw) - pos
    return rest == 0 or (rest == 1 and raw.endswith(b"\n")) or (rest == 2 and raw.endswith(b"\r\n"))
