"""``auditor audit``: evaluate policies against a snapshot, print a summary, write reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from auditor import api
from auditor.cli import ends_process
from auditor.cli.inputs import add_mode_argument, parse_params
from auditor.errors import InputError
from auditor.gcpause import gc_paused
from auditor.limits import is_time_budget
from auditor.vocab import SEVERITIES

if TYPE_CHECKING:
    from auditor.results.types import ResultsDocument

CONSOLE = "console"


def positive_seconds(text: str) -> float:
    """A finite, positive number of seconds: ``inf`` or ``nan`` would switch the budget off."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not is_time_budget(value):
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, got {text!r}")
    return value


def add_audit_arguments(parser: argparse.ArgumentParser, *, positional_snapshot: bool) -> None:
    """The audit options, shared with ``auditor run``."""
    if positional_snapshot:
        parser.add_argument(
            "snapshot",
            nargs="?",
            metavar="SNAPSHOT",
            help="snapshot file (.json or .json.gz) written by 'auditor collect'",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="audit the embedded demo tenant (with its demo waivers) instead of a snapshot",
        )
    parser.add_argument(
        "--baseline",
        metavar="NAME|FILE",
        help="built-in baseline name (see 'auditor baselines list') or a baseline file",
    )
    parser.add_argument(
        "--policies",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="evaluate the policies in these files or folders instead of the built-in library; the word "
        "'builtin' adds the built-in library (--policies builtin ./mine, or builtin,./mine)",
    )
    parser.add_argument(
        "--format",
        action="append",
        metavar="F[,F...]",
        help="reports to write: json, sarif, junit, markdown, csv, html, console, and on request "
        "xlsx (action-plan.xlsx) and ocsf (results.ocsf.json) (default: the six files from json "
        "to html; the console summary is always printed)",
    )
    parser.add_argument(
        "--out", default="reports", metavar="DIR", help="folder for report files (default: reports)"
    )
    parser.add_argument(
        "--fail-on",
        choices=[str(s) for s in SEVERITIES],
        metavar="SEVERITY",
        help="lowest severity that fails the gate (default: the baseline's failOn, else high)",
    )
    parser.add_argument("--waivers", metavar="FILE", help="extra waivers (YAML, same form as a baseline's)")
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="override a policy param (VALUE is YAML: 365, [a, b], true); repeatable",
    )
    parser.add_argument(
        "--policy-timeout",
        type=positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="time one policy may take before it is reported as error (default 60)",
    )
    parser.add_argument(
        "--evidence",
        choices=("needed", "all"),
        default="needed",
        help="needed (default): failing and erroring subjects keep the fields their policy reads; "
        "all: every subject is listed, with all of its fields",
    )
    parser.add_argument(
        "--since",
        metavar="OLD_RESULTS",
        help="gate on failures that are new against this earlier results.json; reports mark what is new",
    )
    parser.add_argument(
        "--allow-other-tenant",
        action="store_true",
        help="with --since: accept an earlier results document of another tenant (refused by default)",
    )
    parser.add_argument(
        "--redact",
        action="store_true",
        help="pseudonymise names, principal names, mail addresses and object IDs in every output "
        "(keyed by AUDITOR_REDACT_KEY or --redact-key-file, so runs with the same key map alike)",
    )
    parser.add_argument(
        "--redact-key-file",
        metavar="FILE",
        help="file holding the redaction key (implies --redact)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="list every policy and failing subject in the console summary, with whole messages",
    )
    from auditor.cli import attest

    attest.add_audit_arguments(parser)
    if "--quiet" not in parser._option_string_actions:  # 'auditor run' shares one --quiet with collect
        parser.add_argument("--quiet", "-q", action="store_true", help="print only the gate verdict line")
    add_mode_argument(parser, "report files")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "audit",
        help="evaluate policies against a snapshot",
        description="Evaluate policies against a snapshot, print a console summary and write the chosen "
        "reports into --out. Exit codes: 0 gate passed, 1 gate failed, 2 usage or input error, "
        "3 incomplete (an error result at or above --fail-on, e.g. data not collected).",
    )
    add_audit_arguments(parser, positional_snapshot=True)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.demo and args.snapshot:
        raise InputError("give either a SNAPSHOT or --demo, not both", source="audit")
    if not args.demo and not args.snapshot:
        raise InputError(
            "a SNAPSHOT file is required (or --demo to try the embedded demo tenant)", source="audit"
        )
    if args.demo and not args.waivers and _runs_builtin(args.policies):
        # the demo waivers name built-in policies; a run of the user's own policies alone has none
        args.waivers = api.demo_waivers_path()
    return run_audit(args, api.demo_snapshot() if args.demo else args.snapshot)


def _runs_builtin(policies: list[str] | None) -> bool:
    """Whether ``--policies`` (absent, or naming ``builtin``) includes the built-in library."""
    from auditor.policy.load import BUILTIN

    return not policies or any(BUILTIN in str(p).split(",") for p in policies)


def chosen_formats(values: list[str] | None) -> list[str]:
    if not values:
        return list(api.formats())
    known = api.formats(on_request=True)
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    for name in names:
        if name != CONSOLE and name not in known:
            import difflib

            close = difflib.get_close_matches(name.lower(), [*known, CONSOLE, "md", "xml"], n=1)
            alias = {"md": "markdown", "xml": "junit"}
            hint = f" (did you mean {alias.get(close[0], close[0])!r}?)" if close else ""
            raise InputError(
                f"unknown format {name!r}{hint}; choose from {', '.join([*known, CONSOLE])}",
                source="--format",
            )
    return [n for n in dict.fromkeys(names) if n != CONSOLE]


def run_audit(args: argparse.Namespace, snapshot: api.SnapshotSource) -> int:
    """Audit ``snapshot`` with the audit options in ``args`` (see :func:`auditor.api.run`),
    print the summary; returns the gate's exit code."""
    import os

    from auditor.cli import attest
    from auditor.cli.audit_progress import AuditProgress

    formats = chosen_formats(args.format)
    attest.check_audit_usage(args, formats)
    request = api.AuditRequest(
        snapshot,
        policies=args.policies,
        baseline=args.baseline,
        waivers=args.waivers,
        params=parse_params(args.param),
        fail_on=args.fail_on,
        evidence=args.evidence,
        policy_timeout=args.policy_timeout,
        since=getattr(args, "since", None),
        allow_other_tenant=bool(getattr(args, "allow_other_tenant", False)),
        redact=getattr(args, "redact", False),
        redact_key=os.environ.get("AUDITOR_REDACT_KEY"),
        redact_key_file=getattr(args, "redact_key_file", None),
        formats=formats,
        out=args.out,
        mode=getattr(args, "mode", 0o600),
        attest=getattr(args, "attest", False),
        attest_key=getattr(args, "key", None),
        attest_sigstore=getattr(args, "sigstore", False),
        # freeing a snapshot's millions of objects is a twentieth of the run, and the process
        # is about to end without freeing anything (see ``auditor.cli.run``)
        hold_inputs=ends_process(),
    )
    with gc_paused():  # the summary of a large audit makes millions of objects too
        done = api.run(request, AuditProgress())
        try:
            print_summary(done.result.document, quiet=args.quiet, verbose=args.verbose)
            if done.written:
                out = Path(args.out)
                _echo(f"wrote {', '.join(str(out / f) for f in done.written)}")
        except OSError as exc:  # stdout is full, closed or broken; the reports are written
            return output_failed(done.exit_code, exc)
    return done.exit_code


def output_failed(gate_code: int, exc: OSError) -> int:
    """The exit code when the console summary could not be written (a full device, a closed
    pipe): a failed or incomplete gate keeps its code, since the reports that say so are
    written; a passed gate becomes ``2``, never ``0`` (success that could not be shown is not
    claimed) and never ``1`` (the tenant did not fail)."""
    from auditor.cli import EXIT_USAGE, say, silence_stdout

    silence_stdout()
    say(f"auditor: error: cannot write the summary to standard output: {exc.strerror or exc}")
    return gate_code or EXIT_USAGE


def _echo(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def print_summary(doc: ResultsDocument, *, quiet: bool, verbose: bool) -> None:
    """The console summary: rich on a terminal (wrapped with hanging indents); whole plain
    lines (one per finding, never wrapped or cut) in CI logs and pipes."""
    from auditor.report.consolelines import MIN_PLAIN_WIDTH, render_console_lines, verdict_line

    if quiet:
        _echo(verdict_line(doc))
        return
    if sys.stdout.isatty():
        import io

        from rich.console import Console

        from auditor.report.console import render_console
        from auditor.report.safetext import guard_lines

        # rendered into text first: a wrapped or folded line must not start with a workflow
        # command either (a terminal is sometimes a CI log: `docker run -t` in a job step)
        buf = io.StringIO()
        Console(
            file=buf, force_terminal=True, color_system="auto", width=Console().width, highlight=False
        ).print(render_console(doc, verbose=verbose), crop=False)
        sys.stdout.write(guard_lines(buf.getvalue()))
        sys.stdout.flush()
        return
    import shutil

    width = max(shutil.get_terminal_size((MIN_PLAIN_WIDTH, 24)).columns, MIN_PLAIN_WIDTH)
    sys.stdout.write(render_console_lines(doc, width, verbose=verbose))
    sys.stdout.flush()
