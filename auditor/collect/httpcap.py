"""The per-response size cap (``--limit response-bytes``), applied while a body is read.

Why here and not after the read: a 256 MB page, or a small gzip body that inflates to
gigabytes, would be in memory (several times over once decoded) before any later check
could refuse it. Every HTTP client of a collection (msgraph-sdk's httpx client for Graph,
the bearer clients for Exchange, Resource Manager, the Management Activity API and
SharePoint) installs :func:`cap_response` as an httpx response hook: a ``Content-Length``
over the cap is refused before the body is read, and the body is counted as it arrives
(after decompression, which this module does itself for ``gzip`` and ``deflate``, so that
inflating is bounded too). Past the cap, reading stops with :class:`ResponseTooLarge`,
which :func:`auditor.collect.fetching.send_with_retries` records as that collection's
``error`` (never retried: the same page would be as large again).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from auditor import limits
from auditor.collect.pagejson import ResponseTooLarge, too_large

#: zlib window bits that accept a gzip or a zlib header (``Content-Encoding: gzip``)
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS


class _Counted(httpx.AsyncByteStream):
    """An async byte stream that stops once more than ``cap`` bytes came through."""

    def __init__(self, stream: Any, cap: int, wbits: int | None) -> None:
        self._stream = stream
        self._cap = cap
        self._seen = 0
        self._wbits = wbits
        self._inflate = zlib.decompressobj(wbits) if wbits is not None else None
        self._started = False

    def _count(self, data: bytes) -> bytes:
        self._seen += len(data)
        if self._seen > self._cap:
            raise ResponseTooLarge(too_large(self._cap))
        return data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        inflate = self._inflate
        async for raw in self._stream:
            if inflate is None:
                yield self._count(raw)
                continue
            data = raw
            while data:
                # never more than one byte past the cap out of one call: a bomb stays small
                try:
                    out = inflate.decompress(data, self._cap - self._seen + 1)
                except zlib.error as exc:
                    if self._started or self._wbits != zlib.MAX_WBITS:
                        raise httpx.DecodingError(f"the compressed body is corrupt: {exc}") from None
                    # "deflate" without the zlib header, as some servers send it (httpx does the same)
                    self._wbits = -zlib.MAX_WBITS
                    inflate = self._inflate = zlib.decompressobj(self._wbits)
                    continue
                self._started = True
                yield self._count(out)
                data = inflate.unconsumed_tail
        if inflate is not None:
            yield self._count(inflate.flush())

    async def aclose(self) -> None:
        await self._stream.aclose()


async def cap_response(response: Any) -> None:
    """httpx response hook: refuse a declared size over the cap, count the rest as it is read."""
    cap = limits.current().response_bytes
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > cap:
        raise ResponseTooLarge(too_large(cap))
    encoding = response.headers.get("content-encoding", "").strip().lower()
    wbits = {"gzip": _GZIP_OR_ZLIB, "x-gzip": _GZIP_OR_ZLIB, "deflate": zlib.MAX_WBITS}.get(encoding)
    if wbits is not None:
        # decompressed here, bounded; httpx must not decompress it a second time
        del response.headers["content-encoding"]
    response.stream = _Counted(response.stream, cap, wbits)


#: the ``event_hooks`` argument of every collector's ``httpx.AsyncClient``
EVENT_HOOKS = {"response": [cap_response]}
