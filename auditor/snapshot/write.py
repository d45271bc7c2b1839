"""Write snapshot files atomically.

A crash or Ctrl-C while writing must never leave a half file where the snapshot
should be, so the document goes to a temporary file in the same folder first and
is moved into place with ``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from auditor.snapshot.encoding import PreEncoded, encode_value, iter_document, iter_parts
from auditor.snapshot.load import validate_document

__all__ = [
    "PreEncoded",
    "encode_value",
    "iter_document",
    "write_atomic",
    "write_atomic_stream",
    "write_snapshot",
]
#: gzip level: the fastest, since a snapshot is written once per collection run and read often
GZIP_LEVEL = 1
#: the permissions of every file written (snapshots, results and reports hold personal data:
#: names, principal names, mail addresses); ``--mode`` widens them, e.g. to 0640
PRIVATE = 0o600


def stub_document(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with each pre-encoded collection replaced by an empty value of its type.

    The snapshot's structure and every collection's shape can then be validated without
    the collections' items: those only exist as bytes.
    """
    data = doc.get("data")
    if not isinstance(data, dict) or not any(isinstance(v, PreEncoded) for v in data.values()):
        return doc
    stubbed = {k: (v.stub if isinstance(v, PreEncoded) else v) for k, v in data.items()}
    return {**doc, "data": stubbed}


def encode_document(doc: dict[str, Any], *, compress: bool) -> bytes:
    """Serialise a snapshot: compact UTF-8 JSON, gzip when asked (mtime 0: reproducible)."""
    buf = io.BytesIO()
    write_document(doc, buf, compress=compress)
    return buf.getvalue()


class _Hashing(io.RawIOBase):
    """A write-only stream that hashes what passes through to ``target``."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.digest.update(data)
        self.target.write(data)
        return len(data)


def write_document(doc: dict[str, Any], fh: BinaryIO, *, compress: bool) -> str:
    """Encode ``doc`` into ``fh`` piece by piece (through gzip when asked); returns the bytes' sha256."""
    return write_pieces(iter_document(doc), fh, compress=compress)


def write_pieces(pieces: Iterable[bytes], fh: BinaryIO, *, compress: bool) -> str:
    """Write ``pieces`` into ``fh`` in ~1 MiB writes (through gzip when asked); returns the bytes' sha256."""
    hashing = _Hashing(fh)
    if compress:
        with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            _write_pieces(pieces, gz)
    else:
        _write_pieces(pieces, hashing)
    return hashing.digest.hexdigest()


def _write_pieces(pieces: Iterable[bytes], out: Any) -> None:
    pending: list[bytes] = []
    size = 0
    for data in pieces:
        pending.append(data)
        size += len(data)
        if size >= 1 << 20:
            out.write(b"".join(pending))
            pending, size = [], 0
    out.write(b"".join(pending))


def _write_parts(doc: dict[str, Any], fh: BinaryIO) -> None:
    """The document into a plain file, each :class:`PreEncoded` value by its ``write_to``."""
    for pre_encoded, run in itertools.groupby(iter_parts(doc), key=lambda part: isinstance(part, PreEncoded)):
        if pre_encoded:
            for part in run:
                cast(PreEncoded, part).write_to(fh)
        else:
            _write_pieces(cast("Iterator[bytes]", run), fh)


def write_collected_snapshot(path: str | Path, doc: dict[str, Any], mode: int = PRIVATE) -> None:
    """Validate and atomically write a freshly collected snapshot, with pre-encoded collections.

    The same bytes as :func:`write_snapshot`, without its hash (the collector has no use for
    it, and hashing a gigabyte costs seconds); into a plain file, pre-encoded collections are
    copied by their own ``write_to`` (a spool file: in the kernel, never through Python).
    """
    validate_document(stub_document(doc), str(path))
    if str(path).endswith(".gz"):

        def write(fh: BinaryIO) -> None:
            with gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=GZIP_LEVEL, mtime=0) as gz:
                _write_pieces(iter_document(doc), gz)

        write_atomic_stream(path, write, mode)
    else:
        write_atomic_stream(path, lambda fh: _write_parts(doc, fh), mode)


def write_atomic(path: str | Path, payload: bytes, mode: int = PRIVATE) -> None:
    """Write ``payload`` to ``path`` through a temporary sibling and an atomic rename."""
    write_atomic_stream(path, lambda fh: fh.write(payload), mode)


def write_atomic_stream(path: str | Path, write: Callable[[BinaryIO], object], mode: int = PRIVATE) -> None:
    """Like :func:`write_atomic`, for content produced piece by piece by ``write(fh)``.

    The file gets exactly ``mode`` (default 0600, the owner only), whatever the umask: it is
    set on the temporary file before the rename, so the data is never readable by others,
    not even for a moment.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_snapshot(path: str | Path, doc: dict[str, Any], mode: int = PRIVATE) -> str:
    """Validate and atomically write a snapshot, streaming; gzip (fast level) if the name ends in ``.gz``.

    Returns the sha256 of the bytes written (the snapshot's hash), computed while writing.
    Collections given as :class:`PreEncoded` are validated by type and copied in as bytes.
    """
    validate_document(stub_document(doc), str(path))
    digest: list[str] = []
    compress = str(path).endswith(".gz")
    write_atomic_stream(path, lambda fh: digest.append(write_document(doc, fh, compress=compress)), mode)
    return digest[0]
