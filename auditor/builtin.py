"""Where the built-in policy library and baselines live.

In a wheel they are packaged under ``auditor/_builtin/`` (see pyproject's
force-include); in a source checkout or an editable install they are the
repository's own ``policies/`` and ``baselines/`` folders next to the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def builtin_dir(kind: str) -> Path:
    """The folder of built-in ``policies`` or ``baselines``."""
    packaged = _PACKAGE / "_builtin" / kind
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / kind


def display_path(path: Path) -> str:
    """A stable, relative name for a file: ``policies/…`` for built-ins, else relative to cwd."""
    resolved = path.resolve()
    for kind in ("policies", "baselines"):
        root = builtin_dir(kind).resolve()
        if resolved.is_relative_to(root):
            return f"{kind}/{resolved.relative_to(root).as_posix()}"
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
