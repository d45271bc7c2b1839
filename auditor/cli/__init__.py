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

#: command name -> (module, one-line help), in the order ``--help`` lists them. Only the
#: chosen command's module is imported: ``auditor --version`` and ``--help`` import none,
#: and ``auditor diff`` never loads the engine.
COMMANDS: dict[str, tuple[str, str]] = {
    "collect": ("auditor.cli.collect", "read-only collection into a snapshot"),
    "audit": ("auditor.cli.audit", "evaluate policies against a snapshot"),
    "run": ("auditor.cli.run", "collect then audit, one command for CI"),
    "whatif": (
        "auditor.cli.whatif",
        "which conditional access policies apply to a user, and what they demand (offline What If)",
    ),
    "import": ("auditor.cli.importcmd", "add a collection from a file to a snapshot"),
    "policies": ("auditor.cli.policies", "list, show and validate policies"),
    "test": ("auditor.cli.testcmd", "run policy test cases (*.test.yaml)"),
    "baselines": ("auditor.cli.baselines", "list and show baselines"),
    "permissions": ("auditor.cli.permissions", "least-privilege read-only permissions that collection needs"),
    "diff": (
        "auditor.cli.diff",
        "compare two results documents (new failures, fixed, changed) or two snapshots",
    ),
    "verify": (
        "auditor.cli.verify",
        "re-evaluate and confirm that results match the snapshot, policies and hashes",
    ),
}
#: every command module (for tools and tests that load them all)
COMMAND_MODULES = tuple(module for module, _ in COMMANDS.values())


def plain(doc: str | None) -> str:
    """A module docstring as help text: reStructuredText literals (two backquotes) become plain words,
    since ``--help`` is read in a terminal, not rendered."""
    return re.sub(r"``(.+?)``", r"\1", doc or "").strip()


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message short and on stderr."""


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the command it names is loaded (the others are listed)."""
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
    chosen = _chosen_command(argv) if argv is not None else None
    for name, (module_name, summary) in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module_name).register(sub)
        else:
            sub.add_parser(name, help=summary, add_help=False)
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
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
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
