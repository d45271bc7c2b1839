"""The ``auditor`` command line (DESIGN section 2).

Only the CLI knows about the terminal, the files the user chose and exit codes.
Each command lives in its own module exposing ``register(subparsers)``; the module
sets ``func`` on its parser, a callable taking the parsed arguments and returning
the exit code. Heavy imports (msgraph, azure-identity) stay inside the commands
that need them so that ``auditor audit`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, and map errors to the contract's exit codes."""
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
