"""``auditor audit``: evaluate policies against a snapshot, print a summary, write reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from auditor import api
from auditor.cli.inputs import parse_params
from auditor.errors import InputError
from auditor.policy import Policy
from auditor.results import SEVERITIES

CONSOLE = "console"


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
        help="evaluate the policies in these files or folders instead of the built-in library",
    )
    parser.add_argument(
        "--format",
        action="append",
        metavar="F[,F...]",
        help="reports to write: json, sarif, junit, markdown, csv, html, console "
        "(default: all files; the console summary is always printed)",
    )
    parser.add_argument(
        "--out", default="reports", metavar="DIR", help="folder for report files (default: reports)"
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
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
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time one policy may take before it is reported as error (default 60)",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="list every policy in the console summary"
    )
    if "--quiet" not in parser._option_string_actions:  # 'auditor run' shares one --quiet with collect
        parser.add_argument("--quiet", "-q", action="store_true", help="print only the gate verdict line")


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
    if args.demo and not args.waivers:
        args.waivers = api.demo_waivers_path()
    return run_audit(args, api.demo_snapshot() if args.demo else args.snapshot)


def chosen_formats(values: list[str] | None) -> list[str]:
    known = api.formats()
    if not values:
        return list(known)
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    for name in names:
        if name != CONSOLE and name not in known:
            raise InputError(
                f"unknown format {name!r}; choose from {', '.join([*known, CONSOLE])}", source="--format"
            )
    return [n for n in dict.fromkeys(names) if n != CONSOLE]


def _progress(policies: Sequence[Policy]) -> Iterable[Policy]:
    """A transient progress bar on stderr while policies are evaluated."""
    from rich.console import Console
    from rich.progress import track

    return track(policies, description="Evaluating policies", console=Console(stderr=True), transient=True)


def run_audit(args: argparse.Namespace, snapshot: api.SnapshotSource) -> int:
    """Audit ``snapshot`` with the audit options in ``args``; returns the gate's exit code."""
    from rich.console import Console

    from auditor.report.console import render_console
    from auditor.snapshot import write_atomic

    formats = chosen_formats(args.format)
    inputs = api.prepare(
        snapshot,
        policies=args.policies,
        baseline=args.baseline,
        waivers=args.waivers,
        params=parse_params(args.param),
        fail_on=args.fail_on,
    )
    if args.policy_timeout <= 0:
        raise InputError("must be a positive number of seconds", source="--policy-timeout")
    progress = _progress if sys.stderr.isatty() else None
    result = api.AuditResult(
        api.seal(api.evaluate(inputs, progress=progress, policy_timeout=args.policy_timeout))
    )
    rendered = {api.report_filename(name): result.render(name) for name in formats}
    out = Path(args.out)
    for filename, payload in rendered.items():
        write_atomic(out / filename, payload)
    console = Console()
    if args.quiet:
        console.print(f"gate {result.gate} (exit {result.exit_code})")
    else:
        console.print(render_console(result.document, verbose=args.verbose))
    if rendered:
        console.print(f"[dim]wrote {', '.join(str(out / f) for f in rendered)}[/dim]")
    return result.exit_code
