"""The cache folder's trust rules: who may have written an entry, and proof that we did.

Why: an entry of the compiled-policy cache is a pickle or a table of Python code objects, and
loading one runs whatever it holds. Another local user who can write a shared cache folder
(a persistent CI runner, a shared build host) could otherwise plant code that turns a failing
control into a pass. So, before anything is deserialised:

* the folder must be an absolute path, owned by the current user and writable by nobody else
  (a relative ``$XDG_CACHE_HOME`` is ignored, as the XDG specification says); its ``policies``
  and ``code`` subfolders and every entry likewise, and entries are opened without following
  links;
* every entry carries an HMAC-SHA256 of its kind, its name and its bytes under a per-user
  random key kept in the folder (``key``, mode 0600, which must not be readable by anyone
  else); an entry whose HMAC does not match is never deserialised.

A folder or key that breaks a rule is not used at all: the run compiles everything, as with
``AUDITOR_CACHE_DIR=off``, and says why in one warning line. POSIX ownership and modes are
not checked on Windows (the HMAC still is).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import sys
import tempfile
import warnings
from pathlib import Path

from auditor.errors import AuditWarning

#: starts every entry: the format of what follows (HMAC, then the payload)
MAGIC = b"auditor-cache/2\n"
KEY_FILE = "key"
KEY_BYTES = 32
TAG_BYTES = hashlib.sha256().digest_size
#: an entry larger than this is not read (the built-in library's is under 1 MiB)
MAX_ENTRY = 256 * 1024 * 1024
_POSIX = os.name == "posix"
_WARNED: set[str] = set()


def warn_once(text: str) -> None:
    """One warning line per problem and process (a run opens the cache several times)."""
    if text not in _WARNED:
        _WARNED.add(text)
        warnings.warn(text, AuditWarning, stacklevel=3)


def cache_dir() -> Path | None:
    """The user's cache folder for auditor, or None when caching is off (or no folder is usable).

    ``$AUDITOR_CACHE_DIR`` (``off`` disables the cache; a relative path is refused), else the
    platform's user cache folder: ``$XDG_CACHE_HOME/auditor`` when that is absolute, else
    ``~/.cache/auditor``; ``~/Library/Caches/auditor``; ``%LOCALAPPDATA%\\auditor``.
    """
    chosen = os.environ.get("AUDITOR_CACHE_DIR")
    if chosen:
        if chosen.lower() == "off":
            return None
        if not os.path.isabs(chosen):
            warn_once(
                f"AUDITOR_CACHE_DIR={chosen!r} is not an absolute path; running without the policy cache"
            )
            return None
        return Path(chosen)
    try:
        if sys.platform == "win32":
            local = os.environ.get("LOCALAPPDATA", "")
            base = Path(local) if os.path.isabs(local) else Path.home() / "AppData" / "Local"
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:
            xdg = os.environ.get("XDG_CACHE_HOME", "")
            base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    except RuntimeError:  # no home folder to be found
        return None
    return base / "auditor" if base.is_absolute() else None


def _unsafe(st: os.stat_result, what: str, path: Path, kind: int) -> str | None:
    """Why ``st`` may not be trusted (wrong type, another owner, writable by others), or None."""
    if stat.S_IFMT(st.st_mode) != kind:
        return f"{what} {path} is not a {'folder' if kind == stat.S_IFDIR else 'regular file'}"
    if not _POSIX:
        return None
    if st.st_uid != os.getuid():
        return f"{what} {path} is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"{what} {path} is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _make_folder(path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)


class Store:
    """An open, checked cache folder with its key: reads and writes authenticated entries."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self._key = key

    def _tag(self, kind: str, name: str, payload: bytes) -> bytes:
        mac = hmac.new(self._key, f"{kind}\0{name}\0".encode(), hashlib.sha256)
        mac.update(payload)
        return mac.digest()

    def _subfolder(self, kind: str, *, create: bool) -> Path | None:
        sub = self.folder / kind
        try:
            if create:
                _make_folder(sub)
            problem = _unsafe(os.lstat(sub), "cache folder", sub, stat.S_IFDIR)
        except OSError:
            return None
        if problem:
            warn_once(f"{problem}; not using it")
            return None
        return sub

    def read(self, kind: str, name: str) -> bytes | None:
        """The payload of entry ``kind/name`` if it exists, is ours and its HMAC matches; else None."""
        sub = self._subfolder(kind, create=False)
        if sub is None:
            return None
        path = sub / name
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags)
        except OSError:
            return None  # missing (the usual miss), a link, or unreadable
        try:
            st = os.fstat(fd)
            problem = _unsafe(st, "cache entry", path, stat.S_IFREG)
            if problem:
                warn_once(f"{problem}; ignored")
                return None
            if st.st_size > MAX_ENTRY:
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                blob = fh.read(MAX_ENTRY + 1)
        except OSError:
            return None
        finally:
            os.close(fd)
        head = len(MAGIC) + TAG_BYTES
        if len(blob) < head or not blob.startswith(MAGIC):
            return None  # another format or a torn file: rewritten by this run
        payload = blob[head:]
        if not hmac.compare_digest(blob[len(MAGIC) : head], self._tag(kind, name, payload)):
            warn_once(
                f"cache entry {path} failed authentication (not written by this user's auditor); ignored"
            )
            return None
        return payload

    def write(self, kind: str, name: str, payload: bytes) -> None:
        """Write entry ``kind/name`` atomically, readable by its owner alone; failures are skipped."""
        sub = self._subfolder(kind, create=True)
        if sub is None:
            return
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{name[:8]}.", dir=sub)
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + self._tag(kind, name, payload) + payload)
            os.replace(tmp, sub / name)
            tmp = None
        except Exception:
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def _read_key(path: Path) -> bytes | str:
    """The key, or why it cannot be used."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        problem = _unsafe(st, "cache key", path, stat.S_IFREG)
        if problem:
            return problem
        if _POSIX and st.st_mode & 0o077:
            return f"cache key {path} is readable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
        key = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_BYTES:
        return f"cache key {path} is damaged"
    return key


def _create_key(folder: Path) -> None:
    """Create the key atomically: a complete file appears under its name, or none (a
    concurrent run that created it first wins, and both use its key)."""
    fd, tmp = tempfile.mkstemp(prefix=".key.", dir=folder)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, folder / KEY_FILE)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def open_store() -> Store | None:
    """The checked cache folder and its key, creating both when missing; None when caching is
    off or the folder may not be trusted (then one warning line says why)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if not folder.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            _make_folder(folder)
        problem = _unsafe(os.stat(folder), "cache folder", folder, stat.S_IFDIR)
        if problem is None:
            keyfile = folder / KEY_FILE
            if keyfile.is_symlink():
                problem = f"cache key {keyfile} is a symbolic link"
            else:
                if not keyfile.exists():
                    _create_key(folder)
                key = _read_key(keyfile)
                if isinstance(key, bytes):
                    return Store(folder, key)
                problem = key
    except OSError:
        return None  # no writable cache folder (a read-only home, say): simply no cache
    warn_once(f"{problem}; running without the policy cache (remove {folder} to start afresh)")
    return None
