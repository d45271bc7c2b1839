"""A cache of compiled policies, keyed by the exact bytes compiled (safe to delete).

Why: compiling the library (YAML with positions, JSON Schema, CEL parse and check) costs
a noticeable share of an audit of a small or medium tenant, and the library rarely
changes between runs. The key covers the tool's version and modules, Python's version,
implementation and bytecode magic, every ``--limit`` budget, and every policy file's path,
name in results and bytes — the bytes this run read once and then compiled, so a file
edited during a run can never be stored under its old text's key. Any edit, move, upgrade
or tighter budget misses the cache and compiles afresh.

The folder is ``$AUDITOR_CACHE_DIR``, else the platform's user cache folder
(``$XDG_CACHE_HOME/auditor``, ``~/Library/Caches/auditor``, ``%LOCALAPPDATA%\\auditor``);
``AUDITOR_CACHE_DIR=off`` disables it. Entries are loaded only from a folder the user alone
owns and can write, and only when their HMAC under the user's key matches
(:mod:`auditor.policy.cachestore`); anything else is ignored and compiled again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import sys
from collections.abc import Sequence
from dataclasses import astuple
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from auditor import __version__, limits
from auditor.policy.cachestore import Store, cache_dir, open_store
from auditor.policy.model import Policy

__all__ = ["PolicySource", "cache_dir", "cache_key", "load", "load_code", "store", "store_code"]

#: bumped whenever the pickled shape of Policy or Program changes
FORMAT = 2
POLICIES, CODE = "policies", "code"


class PolicySource(NamedTuple):
    """One policy file as this run read it: where it is, its name in results, its bytes."""

    path: Path
    rel_path: str
    raw: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    """The package's own modules and data (path, size, mtime): a changed compiler never reuses
    old entries. The version alone is not enough: a development checkout, or a patched
    install, changes how policies compile without changing the version."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json")):
        st = path.stat()
        digest.update(f"{path.relative_to(package)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _build_stamp() -> str:
    """The tool and the interpreter that produce and read entries (pickles and bytecode)."""
    return (
        f"auditor {__version__} {_code_stamp()} format {FORMAT} "
        f"python {sys.version} {sys.implementation.name} {sys.implementation.cache_tag} "
        f"magic {importlib.util.MAGIC_NUMBER.hex()} optimize {sys.flags.optimize}"
    )


def cache_key(sources: Sequence[PolicySource]) -> str:
    """sha256 over the build stamp, every budget in force, and each file's path, name and bytes."""
    budgets = ",".join(map(str, astuple(limits.current())))
    digest = hashlib.sha256(f"{_build_stamp()} limits {budgets}\n".encode())
    for src in sources:
        digest.update(f"{src.path}\0{src.rel_path}\0{len(src.raw)}\0{src.sha256}\n".encode())
    return digest.hexdigest()


def _entry_name(key: str) -> str:
    return f"{key}.pickle"


def load(key: str, sources: Sequence[PolicySource]) -> tuple[Policy, ...] | None:
    """The cached policies for ``key``, or None (missing, not authenticated, or not matching).

    Every policy's path, name and sha256 must be the ones this run computed from the bytes it
    read: a cached value never stands in for a hash (``verify`` relies on that).
    """
    store = open_store()
    blob = None if store is None else store.read(POLICIES, _entry_name(key))
    if blob is None:
        return None
    try:
        value = pickle.loads(blob)  # authenticated: written by this user's auditor
    except Exception:
        return None
    if not isinstance(value, tuple) or not all(isinstance(p, Policy) for p in value):
        return None
    expected = {(str(s.path), s.rel_path, s.sha256) for s in sources}
    if len(value) != len(sources) or {(p.path, p.rel_path, p.sha256) for p in value} != expected:
        return None
    return value


def store(key: str, policies: tuple[Policy, ...]) -> None:
    """Write the entry atomically; a cache that cannot be written is silently skipped."""
    st = open_store()
    if st is not None:
        st.write(POLICIES, _entry_name(key), pickle.dumps(policies, protocol=pickle.HIGHEST_PROTOCOL))


def _code_name() -> str:
    """The file of generated code: one per tool build and Python (marshal is Python's own format)."""
    return f"{hashlib.sha256(_build_stamp().encode()).hexdigest()}.marshal"


def _code_entry() -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / CODE / _code_name()


#: entries kept in the code file (the built-in library needs about 550); past this, only one
#: run's are kept, and a run that alone compiled more (a test suite, say) keeps none
CODE_ENTRIES = 5_000


def load_code(st: Store | None = None) -> None:
    """Give the CEL engine the code compiled in earlier runs (missing, unreadable or not
    authenticated: nothing; the code is compiled again)."""
    from auditor import cel

    st = st or open_store()
    blob = None if st is None else st.read(CODE, _code_name())
    if blob is None:
        return
    try:
        cel.import_code(blob)
    except Exception:
        return


def store_code(st: Store | None = None) -> None:
    """Keep the code compiled in this run for the next (only when something new was compiled)."""
    from auditor import cel

    st = st or open_store()
    if st is None:
        return
    blob = cel.export_code(CODE_ENTRIES)
    if blob is not None:
        st.write(CODE, _code_name(), blob)
