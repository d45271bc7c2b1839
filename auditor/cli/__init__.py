"""The ``auditor`` command line (commands: README; exit codes: docs/formats.md).

Only the CLI knows about the terminal, the files the user chose and exit codes.
Each command lives in its own module exposing ``register(subparsers)``; the module
sets ``func`` on its parser, a callable taking the parsed arguments and returning
the exit code. Heavy imports (msgraph, azure-identity) stay inside the commands
that need them so that ``auditor audit`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
from collections.abc import Sequence

from auditor import __version__
from auditor.errors import InputError

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3

#: command modules, in the order ``--help`` lists them
COMMAND_MODULES = (
    "auditor.cli.collect",
    "auditor.cli.audit",
    "auditor.cli.run",
    "auditor.cli.whatif",
    "auditor.cli.importcmd",
    "auditor.cli.policies",
    "auditor.cli.testcmd",
    "auditor.cli.baselines",
    "auditor.cli.permissions",
    "auditor.cli.diff",
    "auditor.cli.verify",
)


def plain(doc: str | None) -> str:
    """A module docstring as help text: reStructuredText literals (two backquotes) become plain words,
    since ``--help`` is read in a terminal, not rendered."""
    return re.sub(r"``(.+?)``", r"\1", doc or "").strip()


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message short and on stderr."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="auditor",
        description=(
            "Audit a Microsoft 365 / Entra ID tenant against policy-as-code controls.\n\n"
            "  auditor collect --out snapshot.json     read the tenant (read-only) into a snapshot\n"
            "  auditor audit snapshot.json             evaluate policies, print a summary, write reports\n"
            "  auditor audit --demo                    try it on the embedded demo tenant\n\n"
            "Exit codes: 0 gate passed, 1 gate failed, 2 usage or input error, 3 incomplete."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    _plain_help(parser)
    return parser


def _plain_help(parser: argparse.ArgumentParser) -> None:
    """Commands often take their description from a module docstring; strip its reStructuredText
    literals everywhere, so that no command's help shows markup."""
    parser.description = plain(parser.description) if parser.description else parser.description
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            action.help = plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _plain_help(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, and map errors to the contract's exit codes."""
    # azure-identity logs every failed credential as a warning; with no logging configured Python
    # would print those to stderr. The CLI reports a failed sign-in itself, in two lines.
    logging.getLogger("azure").addHandler(logging.NullHandler())
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(func(args))
    except InputError as exc:
        print(f"auditor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return 130
