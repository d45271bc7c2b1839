"""Spool files: list collections go to disk page by page, as the snapshot's own bytes.

Why: a tenant of 1.5 million users is several gigabytes as Python objects. The collector
encodes each page's items once, canonically (:mod:`auditor.collect.pagejson`), appends the
bytes to a spool file in a private folder next to the snapshot, and forgets the page; writing
the snapshot then copies those bytes in. Peak memory no longer grows with the tenant.

The folder is made with ``mkdtemp`` (private to the user) and removed when the run ends, on
success, failure or Ctrl-C alike.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from auditor.snapshot.write import PreEncoded

#: bytes per read when copying a spool file into the snapshot
_CHUNK = 1 << 20


class LocalWriteError(OSError):
    """A spool file could not be written (disk full, file-size limit, permissions).

    A fault of this machine, not of the tenant: it must end the run as a local write failure
    (exit 2), never be recorded as that collection's ``error`` in a snapshot that exits 0.
    """


def _local(exc: OSError) -> LocalWriteError:
    return LocalWriteError(exc.errno, exc.strerror or str(exc))


class SpooledList(PreEncoded):
    """A collected list that lives in a spool file: ``[`` + the file's bytes + ``]``."""

    def __init__(self, path: Path, count: int) -> None:
        self.path = path
        self.count = count
        self.stub: list[Any] = []

    def pieces(self) -> Iterator[bytes]:
        yield b"["
        with open(self.path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                yield chunk
        yield b"]"

    def write_to(self, fh: BinaryIO) -> None:
        """``[`` + the spool file + ``]`` into ``fh``; the file's bytes copied in the kernel if it can."""
        fh.write(b"[")
        fh.flush()
        start = fh.tell()
        with open(self.path, "rb") as src:
            size = os.fstat(src.fileno()).st_size
            done = _kernel_copy(src.fileno(), fh.fileno(), size, start)
            fh.seek(start + done)
            src.seek(done)
            while chunk := src.read(_CHUNK):  # what the kernel could not copy (other systems)
                fh.write(chunk)
        fh.write(b"]")

    def __repr__(self) -> str:  # never the items: there may be millions
        return f"SpooledList({self.path.name!r}, count={self.count})"


def _kernel_copy(src: int, dst: int, size: int, at: int) -> int:
    """Copy ``size`` bytes of ``src`` to ``dst`` at offset ``at`` with ``copy_file_range``; bytes copied.

    Why: a spooled collection can be a gigabyte; copying it through Python reads and writes
    every byte twice more. Where the call does not exist or refuses (another OS, some file
    systems), it copies what it can and the caller copies the rest.
    """
    copy = getattr(os, "copy_file_range", None)
    done = 0
    if copy is None:
        return 0
    try:
        while done < size:
            n = copy(src, dst, size - done, done, at + done)
            if n <= 0:
                break
            done += n
    except OSError:
        pass
    return done


class SpoolWriter:
    """Appends pages of canonically encoded items to one spool file."""

    def __init__(self, path: Path, fh: BinaryIO) -> None:
        self.path = path
        self._fh = fh
        self.count = 0

    def append(self, encoded_list: bytes, count: int) -> None:
        """Add one page: ``encoded_list`` is ``encode_value(items)`` (brackets included)."""
        if count == 0:
            return
        try:
            self._fh.write(encoded_list[1:-1] if self.count == 0 else b"," + encoded_list[1:-1])
        except OSError as exc:
            raise _local(exc) from None
        self.count += count

    def finish(self) -> SpooledList:
        try:
            self._fh.close()
        except OSError as exc:
            raise _local(exc) from None
        return SpooledList(self.path, self.count)

    def discard(self) -> None:
        """A failed collection leaves nothing behind (its partial pages are not data)."""
        try:
            self._fh.close()
        except OSError:  # the buffered tail could not be written either; the file goes anyway
            pass
        self.path.unlink(missing_ok=True)


class Spool:
    """The private folder of one run's spool files, beside the snapshot being written."""

    def __init__(self, beside: str | Path) -> None:
        target = Path(beside)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".spool", dir=target.parent))

    def open(self, name: str) -> SpoolWriter:
        try:
            fd, path = tempfile.mkstemp(prefix=f"{name}.", suffix=".json", dir=self.folder)
        except OSError as exc:
            raise _local(exc) from None
        return SpoolWriter(Path(path), os.fdopen(fd, "wb", buffering=1 << 20))

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
