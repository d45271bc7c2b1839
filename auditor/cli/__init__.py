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
import os
import re
import signal
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any, NoReturn

from auditor import __version__, limits
from auditor.errors import AuditWarning, InputError

_ORIGINAL_SHOWWARNING = warnings.showwarning

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
    "attest": ("auditor.cli.attest", "sign a results document: writes results.intoto.jsonl beside it"),
    "verify": (
        "auditor.cli.verify",
        "re-evaluate and confirm that results match the snapshot, policies and hashes",
    ),
    "fleet": ("auditor.cli.fleet", "audit many tenants on a Dask cluster, and roll them up"),
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
    words = iter(argv)
    for word in words:
        if word == "--limit":  # its value is the next word, not the command
            next(words, None)
        elif not word.startswith("-"):
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
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_command(argv) if argv is not None else None
    for name, (module_name, summary) in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module_name).register(sub)
        else:
            sub.add_parser(name, help=summary, add_help=False)
    _add_common_everywhere(sub)
    _plain_help(parser)
    return parser


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--debug`` and ``--limit``, accepted before or after the command name."""
    default: object = False if top else argparse.SUPPRESS
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="print the full traceback when auditor stops on an unexpected error",
    )
    parser.add_argument(
        "--limit",
        action="append",
        default=None if top else argparse.SUPPRESS,
        metavar="NAME=VALUE",
        help="raise or lower a safety budget, e.g. snapshot-bytes=4GiB (see docs/limits.md); repeatable",
    )


def _add_common_everywhere(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for child in dict.fromkeys(sub.choices.values()):
        if "--debug" not in child._option_string_actions:
            _add_common(child, top=False)
        for action in child._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_common_everywhere(action)


#: commands whose exit code is a gate verdict: a closed pipe must never turn it into 0
GATE_COMMANDS = frozenset({"audit", "run", "verify", "diff", "test", "fleet"})


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` and temporary-file cleanup runs."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like SIGINT while a command runs (main thread only; restored afterwards)."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main thread, or a platform without SIGTERM
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def silence_stdout() -> None:
    """After the reader closed our stdout, stop Python from failing again when it flushes at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def say(text: str) -> None:
    """One line on stderr, if stderr can still take it: a full or closed stderr must not turn
    an error report into a second, unreported failure (or a traceback and exit 1)."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def printable(text: str) -> str:
    """Error text may quote file content: keep terminal control characters out of it, and
    keep any of its lines from reading as a CI workflow command."""
    from auditor.report.safetext import guard_lines

    return guard_lines(text)


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    if issubclass(category, AuditWarning):
        say(f"auditor: warning: {printable(str(message))}")
    else:
        _ORIGINAL_SHOWWARNING(message, category, *args, **kwargs)


def _unexpected(exc: BaseException, debug: bool) -> int:
    """The net under every command: one line and exit 2, the traceback only with ``--debug``."""
    if debug:
        with suppress(OSError, ValueError):
            traceback.print_exception(exc, file=sys.stderr)
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    say(f"auditor: error: unexpected failure ({printable(detail)}); rerun with --debug for the traceback")
    return EXIT_USAGE


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


#: set by :func:`run`: the command ends the process, so what it holds need never be freed
_ENDS_PROCESS = [False]


def ends_process() -> bool:
    """Whether this command is the process's last act (``auditor`` on the command line), and not
    a call of :func:`main` from Python that carries on afterwards (tests, embedding programs)."""
    return _ENDS_PROCESS[0]


def run() -> NoReturn:
    """The ``auditor`` command: :func:`main`, then leave without tearing the heap down.

    Why: an audit of a large tenant ends holding tens of millions of objects (the snapshot,
    findings, reports' rows), and a normal exit frees them one by one (about a twentieth of
    the run at 100,000 users) for nothing: by now every file is written, closed and renamed into
    place (reports, snapshots, spool and staging folders are finished in ``finally``
    blocks), and no thread is left running. Only the standard streams are still buffered.
    """
    _ENDS_PROCESS[0] = True
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: what was printed may be incomplete
        code = code or EXIT_USAGE
    os._exit(code)


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
    debug = bool(getattr(args, "debug", False))
    previous = limits.current()
    try:
        limits.configure(limits.parse_limits(getattr(args, "limit", None), previous))
        with _sigterm_as_interrupt(), warnings.catch_warnings():
            warnings.simplefilter("always", AuditWarning)
            warnings.showwarning = _show_warning
            return int(func(args))
    except InputError as exc:
        say(f"auditor: error: {printable(str(exc))}")
        return EXIT_USAGE
    except BrokenPipeError:
        # `auditor policies list --json | head`: the reader has what it wanted. A gate command
        # still must not report success it could not fully print.
        silence_stdout()
        return EXIT_USAGE if args.command in GATE_COMMANDS else EXIT_OK
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        say(f"auditor: {what}")
        return 130
    except (Exception, RecursionError, MemoryError) as exc:
        return _unexpected(exc, debug)
    finally:
        limits.configure(previous)  # main() is also called in-process (tests, `run`)
