"""Write snapshot files atomically.

A crash or Ctrl-C while writing must never leave a half file where the snapshot
should be, so the document goes to a temporary file in the same folder first and
is moved into place with ``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import Any, BinaryIO

from auditor.snapshot.load import validate_document


def encode_document(doc: dict[str, Any], *, compress: bool) -> bytes:
    """Serialise a snapshot: compact UTF-8 JSON, gzip when asked (mtime 0: reproducible)."""
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if compress:
        return gzip.compress(raw, compresslevel=6, mtime=0)
    return raw


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


def write_snapshot(path: str | Path, doc: dict[str, Any]) -> bytes:
    """Validate and atomically write a snapshot; gzip if the name ends in ``.gz``.

    Returns the bytes written (their sha256 is the snapshot's hash).
    """
    validate_document(doc, str(path))
    payload = encode_document(doc, compress=str(path).endswith(".gz"))
    write_atomic(path, payload)
    return payload
