"""Command-line input parsing shared by ``audit`` and ``run``.

Loading and binding the audit's inputs is library work (:func:`auditor.api.prepare`);
this module only turns command-line text into the values the library takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from auditor.errors import InputError


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; VALUE is read as YAML (``365``, ``[a, b]``, ``true``) or kept as text."""
    out: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"expected NAME=VALUE, got {pair!r}", source="--param")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        out[name.strip()] = value
    return out
