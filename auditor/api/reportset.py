"""Write a set of report files so that readers see the old set or the new one, never a mix.

Every report is rendered first, then written into a temporary folder beside
``--out`` (same parent, so same file system), then moved into place with
``os.replace`` while SIGINT and SIGTERM are held back: an interrupt before the move
leaves the old reports untouched, and the temporary folder is removed.

A set replaces the previous set whole: the report files an earlier run wrote that this run
did not write again (a run with fewer ``--format``s) are removed, so that no report of an
earlier audit, perhaps of another tenant, sits beside the new ``results.json``. Only the
names in :data:`REPORT_FILES` are ever removed, only regular files of the user running
auditor, and for the names another tool might also use, only files that read as ours.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from auditor.errors import InputError
from auditor.snapshot.write import PRIVATE

_HELD = {signal.SIGINT, signal.SIGTERM}

#: every file auditor writes into ``--out``: the report formats, the optional ones, and the
#: attestation (docs/reports.md lists them)
REPORT_FILES = (
    "results.json",
    "results.sarif",
    "results.junit.xml",
    "summary.md",
    "findings.csv",
    "report.html",
    "results.oscal.json",
    "action-plan.xlsx",
    "results.ocsf.json",
    "results.intoto.jsonl",
)
#: generic names: removed only when their first bytes hold what auditor writes there
_SIGNATURES = {"summary.md": b"auditor", "findings.csv": b"policyId", "report.html": b"auditor-results"}


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


def _owned(path: Path) -> bool:
    """Whether ``path`` is a report file an earlier run of auditor left (never a folder, a
    link, another user's file, or a file of that name that auditor did not write)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    signature = _SIGNATURES.get(path.name)
    if signature is None:
        return True
    try:
        with open(path, "rb") as fh:
            return signature in fh.read(1 << 16)
    except OSError:
        return False


def stale_reports(target: Path, written: Iterable[str]) -> list[Path]:
    """The report files in ``target`` that the set ``written`` replaces without rewriting them."""
    keep = set(written)
    return [target / name for name in REPORT_FILES if name not in keep and _owned(target / name)]


@contextlib.contextmanager
def staged_report_set(out: str | Path, mode: int = PRIVATE, *, replaces: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write reports into (streaming, one at a time);
    on leaving the block without an error, its files replace those of ``out`` as one set,
    each with permissions ``mode`` (default 0600: reports hold personal data). With
    ``replaces``, the earlier set's other report files (:func:`stale_reports`) go too."""
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
                stale = stale_reports(target, names) if replaces else []
                for name in names:
                    os.replace(staging / name, target / name)
                for path in stale:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
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
