"""A cache of compiled policies, keyed by the sha256 of the policy files (safe to delete).

Why: compiling the library (YAML with positions, JSON Schema, CEL parse and check) costs
a noticeable share of an audit of a small or medium tenant, and the library rarely
changes between runs. The key covers the tool's version and modules, Python's version
and every policy file's path and bytes, so any edit, move or upgrade misses the cache
and compiles afresh. The folder is ``$AUDITOR_CACHE_DIR``, else the platform's user cache
folder (``$XDG_CACHE_HOME/auditor``, ``~/Library/Caches/auditor``, ``%LOCALAPPDATA%\\auditor``);
``AUDITOR_CACHE_DIR=off`` disables it. Entries are written atomically, readable only by
their owner, and any entry that cannot be read is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

from auditor import __version__
from auditor.policy.model import Policy

#: bumped whenever the pickled shape of Policy or Program changes
FORMAT = 1


def cache_dir() -> Path | None:
    """The user's cache folder for auditor, or None when caching is off."""
    chosen = os.environ.get("AUDITOR_CACHE_DIR")
    if chosen:
        return None if chosen.lower() == "off" else Path(chosen)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "auditor"


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    """The package's own modules (path, size, mtime): a changed compiler never reuses old entries.

    The version alone is not enough: a development checkout, or a patched install, changes
    how policies compile without changing the version.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_key(files: Sequence[Path]) -> str:
    """sha256 over the tool's code and version, Python's version, and every policy file's path and bytes."""
    digest = hashlib.sha256(
        f"auditor {__version__} {_code_stamp()} format {FORMAT} python {sys.version}\n".encode()
    )
    for path in files:
        digest.update(f"{path}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def _entry(key: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / "policies" / f"{key}.pickle"


def load(key: str) -> tuple[Policy, ...] | None:
    """The cached policies for ``key``, or None (missing, unreadable or from another shape)."""
    entry = _entry(key)
    if entry is None:
        return None
    try:
        with entry.open("rb") as fh:
            value = pickle.load(fh)
    except Exception:
        return None
    if isinstance(value, tuple) and all(isinstance(p, Policy) for p in value):
        return value
    return None


def store(key: str, policies: tuple[Policy, ...]) -> None:
    """Write the entry atomically; a cache that cannot be written is silently skipped."""
    entry = _entry(key)
    if entry is not None:
        _write(entry, lambda: pickle.dumps(policies, protocol=pickle.HIGHEST_PROTOCOL))


def _code_entry() -> Path | None:
    """The file of generated code: one per tool build and Python (marshal is Python's own format)."""
    folder = cache_dir()
    if folder is None:
        return None
    stamp = hashlib.sha256(f"auditor {__version__} {_code_stamp()} python {sys.version}".encode())
    return folder / "code" / f"{stamp.hexdigest()}.marshal"


#: entries kept in the code file (the built-in library needs about 550); past this, only one
#: run's are kept, and a run that alone compiled more (a test suite, say) keeps none
CODE_ENTRIES = 5_000


def load_code() -> None:
    """Give the CEL engine the code compiled in earlier runs (missing or unreadable: nothing)."""
    from auditor import cel

    entry = _code_entry()
    if entry is None:
        return
    try:
        cel.import_code(entry.read_bytes())
    except Exception:
        return


def store_code() -> None:
    """Keep the code compiled in this run for the next (only when something new was compiled)."""
    from auditor import cel

    entry = _code_entry()
    if entry is None:
        return
    blob = cel.export_code(CODE_ENTRIES)
    if blob is not None:
        _write(entry, lambda: blob)


def _write(entry: Path, payload: Callable[[], bytes]) -> None:
    """Write ``entry`` atomically, readable by its owner alone; a failure is silently skipped."""
    tmp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = payload()
        fd, tmp = tempfile.mkstemp(prefix=f".{entry.stem[:8]}.", dir=entry.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, entry)
    except Exception:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except Exception:
                pass
