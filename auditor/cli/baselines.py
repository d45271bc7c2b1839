"""``auditor baselines list|show``: browse baselines."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor.errors import InputError
from auditor.vocab import counted


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "baselines",
        help="list and show baselines",
        description="Browse the built-in baselines: policy selection, params, waivers and gate.",
    )
    bsub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    bsub.add_parser(
        "list",
        help="list built-in baselines",
        description="List the built-in baselines with their gate (failOn) and title; full names, never "
        "truncated, to pass to --baseline.",
    ).set_defaults(func=_list)
    show = bsub.add_parser(
        "show",
        help="show one baseline and the policies it selects",
        description="Show a baseline (a built-in name or a baseline file): description, gate, params, "
        "waivers with their expiry, and every policy it selects.",
    )
    show.add_argument("name", metavar="NAME|FILE")
    show.set_defaults(func=_show)


def _list(args: argparse.Namespace) -> int:
    from auditor.baseline import builtin_baselines, load_baseline_file

    table = Table(title="Built-in baselines")
    for col in ("Name", "Fail on", "Title"):
        table.add_column(col)
    for name, path in builtin_baselines().items():
        b = load_baseline_file(path)
        table.add_row(escape(name), b.fail_on or "high", escape(b.title))
    Console().print(table)
    return 0


def _show(args: argparse.Namespace) -> int:
    from auditor.baseline import load_baseline
    from auditor.policy import load_library

    baseline = load_baseline(args.name)
    policies = load_library()
    selected = [p for p in policies if baseline.selects(p.id)]
    if not selected:
        raise InputError("selects no built-in policy", source=baseline.path)
    from auditor.cli.policies import listing_console

    console = listing_console()
    console.print(f"[bold]{escape(baseline.name or '')}[/bold] — {escape(baseline.title)}")
    if baseline.description:
        console.print(escape(baseline.description.strip()))
    console.print(f"failOn: {baseline.fail_on or 'high'}; params: {escape(str(dict(baseline.params)))}")
    for w in baseline.waivers:
        console.print(
            f"waiver: {escape(w.policy)} until {w.expires} — {escape(w.reason)} ({escape(w.owner)})"
        )
    table = Table(title=f"{counted(len(selected), 'policy')} selected")
    table.add_column("ID", no_wrap=True, min_width=max(len(p.id) for p in selected))
    table.add_column("Severity")
    table.add_column("Title")
    for p in selected:
        table.add_row(escape(p.id), p.severity, escape(p.title))
    console.print(table, crop=False)
    return 0
