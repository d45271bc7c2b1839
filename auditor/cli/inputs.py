"""Command-line input parsing shared by ``audit`` and ``run``.

Loading and binding the audit's inputs is library work (:func:`auditor.api.prepare`);
this module only turns command-line text into the values the library takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditor.errors import InputError


def parse_param_value(name: str, text: str) -> Any:
    """One ``--param`` value: YAML under the same budgets as a file; text that is not YAML stays text."""
    from auditor.policy.yamlpos import load_yaml  # pyyaml only when a --param is given

    if not text.strip():
        return ""
    try:
        return load_yaml(text, f"--param {name}").value
    except InputError as exc:
        if exc.detail.startswith("invalid YAML:"):
            return text
        raise


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; VALUE is read as YAML (``365``, ``[a, b]``, ``true``) or kept as text."""
    out: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"expected NAME=VALUE, got {pair!r}", source="--param")
        if any("\ud800" <= ch <= "\udfff" for ch in pair):  # bytes that were not UTF-8 on the command line
            raise InputError(f"{name.strip()!r}: the value is not valid UTF-8 text", source="--param")
        out[name.strip()] = parse_param_value(name.strip(), text)
    return out
