"""Write a set of report files so that readers see the old set or the new one, never a mix.

Every report is rendered first, then written into a temporary folder beside
``--out`` (same parent, so same file system), then moved into place with
``os.replace`` while SIGINT and SIGTERM are held back: an interrupt before the move
leaves the old reports untouched, and the temporary folder is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from auditor.errors import InputError
from auditor.snapshot.write import PRIVATE

_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT/SIGTERM for the few renames that publish the set (POSIX; elsewhere a no-op)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _problem(out: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write reports: {exc.strerror or exc}", source=f"--out {out}")


@contextlib.contextmanager
def staged_report_set(out: str | Path, mode: int = PRIVATE) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write reports into (streaming, one at a time);
    on leaving the block without an error, its files replace those of ``out`` as one set,
    each with permissions ``mode`` (default 0600: reports hold personal data)."""
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise InputError("exists and is not a folder", source=f"--out {target}")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    except OSError as exc:
        raise _problem(target, exc) from None
    try:
        yield staging
        names = sorted(p.name for p in staging.iterdir())
        if not names:
            return
        umask = os.umask(0)
        os.umask(umask)
        for name in names:
            os.chmod(staging / name, mode)
        with _signals_held():
            if not target.exists():
                os.chmod(staging, 0o777 & ~umask)
                os.replace(staging, target)
            else:
                for name in names:
                    os.replace(staging / name, target / name)
    except OSError as exc:
        raise _problem(target, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_report_set(out: str | Path, files: Mapping[str, bytes], mode: int = PRIVATE) -> list[Path]:
    """Write ``files`` (name → bytes) into folder ``out`` as one set; returns the paths written."""
    if not files:
        return []
    with staged_report_set(out, mode) as staging:
        for name, payload in files.items():
            with open(staging / name, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
    return [Path(out) / name for name in files]
