"""``auditor policies list|show|validate``: browse and lint policies."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor.errors import InputError, InputErrors


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "policies",
        help="list, show and validate policies",
        description="Browse the built-in policy library (or --policies PATH) and lint policy files.",
    )
    psub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p_list = psub.add_parser("list", help="list policies with severity and framework mappings")
    p_list.add_argument("--policies", nargs="+", metavar="PATH", help="policy files or folders")
    p_list.add_argument("--framework", help="only policies mapped to this framework (e.g. cisa-scuba)")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_list.set_defaults(func=_list)
    p_show = psub.add_parser("show", help="show one policy in full")
    p_show.add_argument("id", metavar="ID")
    p_show.add_argument("--policies", nargs="+", metavar="PATH", help="policy files or folders")
    p_show.set_defaults(func=_show)
    p_val = psub.add_parser("validate", help="check policy files: schema and CEL compile errors, all of them")
    p_val.add_argument("paths", nargs="+", metavar="PATH", help="policy files or folders")
    p_val.set_defaults(func=_validate)


def _list(args: argparse.Namespace) -> int:
    from auditor.policy import load_library
    from auditor.policy.frameworks import coverage

    policies = load_library(args.policies)
    if args.framework:
        policies = tuple(p for p in policies if args.framework in p.frameworks)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": p.id,
                        "title": p.title,
                        "severity": p.severity,
                        "file": p.rel_path,
                        "frameworks": {k: list(v) for k, v in p.frameworks.items()},
                        "requires": list(p.requires),
                        "manual": p.is_manual,
                    }
                    for p in policies
                ],
                indent=2,
            )
        )
        return 0
    table = Table(title=f"{len(policies)} policies", show_lines=False)
    for col in ("ID", "Severity", "Title", "Frameworks"):
        table.add_column(col)
    for p in policies:
        fw = "; ".join(f"{k}: {', '.join(v)}" for k, v in p.frameworks.items())
        table.add_row(
            escape(p.id),
            p.severity,
            escape(p.title) + (" [dim](manual)[/dim]" if p.is_manual else ""),
            escape(fw),
        )
    console = Console()
    console.print(table)
    by_framework = Counter(k for p in policies for k in p.frameworks)
    console.print(
        "Policies by framework: " + ", ".join(f"{k} {n} policies" for k, n in sorted(by_framework.items()))
    )
    for cov in coverage(policies):
        manual = f", {len(cov.manual_only)} more as manual review" if cov.manual_only else ""
        unknown = f"; not controls of the framework: {', '.join(sorted(cov.unknown))}" if cov.unknown else ""
        console.print(
            escape(
                f"Coverage {cov.framework.key}: {len(cov.automated)}/{cov.total} controls automated{manual}"
                f" ({cov.framework.title}){unknown}"
            )
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    from auditor.policy import load_library

    policies = {p.id: p for p in load_library(args.policies)}
    policy = policies.get(args.id)
    if policy is None:
        raise InputError(f"no policy {args.id!r}; see 'auditor policies list'", source="policies show")
    console = Console()
    console.print(
        f"[bold]{escape(policy.id)}[/bold] — {escape(policy.title)}  [dim]({escape(policy.rel_path)})[/dim]"
    )
    console.print(Path(policy.path).read_text("utf-8"), markup=False, highlight=False)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from auditor.policy import load_policies

    try:
        policies = load_policies(args.paths)
    except InputErrors as exc:
        console = Console(stderr=True)
        for err in exc.errors:
            console.print(f"[red]error[/red] {escape(str(err))}")
        console.print(f"{len(exc.errors)} error(s)")
        return 2
    except InputError:
        raise
    Console().print(f"[green]✓[/green] {len(policies)} policies valid")
    return 0
