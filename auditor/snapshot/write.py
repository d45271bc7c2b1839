"""Write snapshot files atomically.

A crash or Ctrl-C while writing must never leave a half file where the snapshot
should be, so the document goes to a temporary file in the same folder first and
is moved into place with ``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from auditor.snapshot.encoding import encode_value, iter_document
from auditor.snapshot.load import validate_document

__all__ = ["encode_value", "iter_document", "write_atomic", "write_atomic_stream", "write_snapshot"]
#: gzip level: the fastest, since a snapshot is written once per collection run and read often
GZIP_LEVEL = 1


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
    hashing = _Hashing(fh)
    if compress:
        with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            _write_pieces(doc, gz)
    else:
        _write_pieces(doc, hashing)
    return hashing.digest.hexdigest()


def _write_pieces(doc: dict[str, Any], out: Any) -> None:
    pending: list[bytes] = []
    size = 0
    for data in iter_document(doc):
        pending.append(data)
        size += len(data)
        if size >= 1 << 20:
            out.write(b"".join(pending))
            pending, size = [], 0
    out.write(b"".join(pending))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary sibling and an atomic rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file ordinary permissions
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomic_stream(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    """Like :func:`write_atomic`, for content produced piece by piece by ``write(fh)``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_snapshot(path: str | Path, doc: dict[str, Any]) -> str:
    """Validate and atomically write a snapshot, streaming; gzip (fast level) if the name ends in ``.gz``.

    Returns the sha256 of the bytes written (the snapshot's hash), computed while writing.
    """
    validate_document(doc, str(path))
    digest: list[str] = []
    compress = str(path).endswith(".gz")
    write_atomic_stream(path, lambda fh: digest.append(write_document(doc, fh, compress=compress)))
    return digest[0]
