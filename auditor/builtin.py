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
