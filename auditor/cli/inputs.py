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


#: permission bits a written data file may have: read and write for owner, group and others
_MODE_BITS = 0o666


def file_mode(text: str) -> int:
    """``--mode``: octal permissions (``0640``, ``640``, ``0o640``) that keep the owner's read and write.

    Execute, setuid, setgid and sticky bits are refused: these are data files, and a mode
    without the owner's read and write would leave a snapshot that ``import`` cannot rewrite.
    """
    import argparse

    digits = text.strip().lower().removeprefix("0o")
    if not digits or len(digits) > 4 or any(c not in "01234567" for c in digits):
        raise argparse.ArgumentTypeError(f"expected octal permissions such as 0600 or 0640, got {text!r}")
    mode = int(digits, 8)
    if mode & ~_MODE_BITS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: only read and write bits (at most 0666); no execute, setuid or sticky bits"
        )
    if mode & 0o600 != 0o600:
        raise argparse.ArgumentTypeError(f"{text!r}: the owner must keep read and write (0600)")
    return mode


def add_mode_argument(parser: Any, what: str) -> None:
    """``--mode`` once per parser (``auditor run`` gets it from both its collect and audit halves)."""
    if "--mode" in parser._option_string_actions:
        return
    parser.add_argument(
        "--mode",
        type=file_mode,
        default=0o600,
        metavar="OCTAL",
        help=f"permissions of the {what} written (default 0600: the owner only, since they hold "
        "personal data); e.g. 0640 to let the group read them",
    )
