"""``auditor policies list|show|validate``: browse and lint policies."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from auditor.errors import InputError, InputErrors
from auditor.policy.frameworks import RETIRED_FRAMEWORKS, Coverage, coverage, coverage_text, sort_ids
from auditor.report.safetext import printable
from auditor.suggest import did_you_mean
from auditor.vocab import counted

#: the framework versions shipped in auditor/data/frameworks/ (a test keeps this list in step)
FRAMEWORKS = ("cis-m365-v6", "cis-m365-v7", "cisa-scuba", "nist-800-53")
POLICIES_HELP = (
    "policy files or folders; the word 'builtin' adds the built-in library "
    "(--policies builtin ./mine, or builtin,./mine)"
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "policies",
        help="list, show, scaffold and validate policies",
        description="Browse the built-in policy library (or --policies PATH), scaffold a new policy with "
        "its test file, and lint policy files.",
    )
    psub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p_list = psub.add_parser(
        "list",
        help="list policies with severity and framework mappings",
        description="List policies (full IDs, never truncated) with severity, title and framework "
        "controls, then the count of policies and controls per framework.",
    )
    p_list.add_argument("--policies", nargs="+", metavar="PATH", help=POLICIES_HELP)
    p_list.add_argument(
        "--framework",
        help=f"only policies mapped to this framework ({', '.join(FRAMEWORKS)})",
    )
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_list.set_defaults(func=_list)
    p_show = psub.add_parser(
        "show",
        help="show one policy in full, by policy ID or framework control ID",
        description="Print a policy file in full. ID is a policy ID (AAD.LEGACY-AUTH.BLOCKED) or a "
        "framework control ID (MS.AAD.3.2v2, 5.2.2.2, IA-2): then every policy mapped to it is shown.",
    )
    p_show.add_argument("id", metavar="ID")
    p_show.add_argument("--policies", nargs="+", metavar="PATH", help=POLICIES_HELP)
    p_show.set_defaults(func=_show)
    p_new = psub.add_parser(
        "new",
        help="scaffold a policy and its test file",
        description="Write ID's policy file and its NAME.test.yaml into --dir (default: the current "
        "folder). The policy is valid as written; its passing test case fails until the assert states "
        "the real requirement, so an unedited scaffold cannot pass 'auditor test'.",
    )
    p_new.add_argument("id", metavar="ID", help="the new policy's ID: upper-case dotted words")
    p_new.add_argument("--dir", default=".", metavar="DIR", help="folder to write into (default: .)")
    p_new.set_defaults(func=_new)
    p_val = psub.add_parser(
        "validate",
        help="check policy files: schema and CEL compile errors, all of them",
        description="Load every policy under PATH and report every problem with file and line: schema, "
        "CEL syntax, undeclared collections and params, and Microsoft Graph field names checked against "
        "Graph's published metadata. Exit 0 valid, 2 errors.",
    )
    p_val.add_argument("paths", nargs="+", metavar="PATH", help="policy files or folders, or 'builtin'")
    p_val.set_defaults(func=_validate)


def listing_console() -> Console:
    """A console for listings: the terminal's width, or at least 120 columns in a log or pipe."""
    import shutil
    import sys

    if sys.stdout.isatty():
        return Console()
    return Console(width=max(shutil.get_terminal_size((120, 24)).columns, 120))


def _list(args: argparse.Namespace) -> int:
    from auditor.policy.load import summarise_library

    policies = summarise_library(args.policies)
    policies = tuple(_printable(p) for p in policies) if not args.json else policies
    if args.framework:
        check_framework(args.framework, {k for p in policies for k in p.frameworks} | set(FRAMEWORKS))
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
                        "manual": p.manual,
                    }
                    for p in policies
                ],
                indent=2,
            )
        )
        return 0
    console = listing_console()
    render_listing(policies, console)
    by_framework = Counter(k for p in policies for k in p.frameworks)
    console.print(
        "Policies by framework: "
        + ", ".join(f"{k} {counted(n, 'policy')}" for k, n in sorted(by_framework.items())),
        highlight=False,
    )
    for line in coverage_lines(coverage(policies)):
        console.print(escape(line), soft_wrap=True, highlight=False)
    return 0


#: below this width a table of four columns leaves the title a few characters wide: each
#: policy becomes a block instead (ID and severity, then title and mappings wrapped under it)
TABLE_MIN_WIDTH = 120


def render_listing(policies: Any, console: Console) -> None:
    """The policy table, or at narrow widths (an 80-column terminal) one block per policy.

    IDs are copied into commands and waivers: never wrapped or cut, in either layout.
    """
    if console.width >= TABLE_MIN_WIDTH:
        table = Table(title=counted(len(policies), "policy"), show_lines=False)
        table.add_column("ID", no_wrap=True, min_width=max((len(p.id) for p in policies), default=2))
        for col in ("Severity", "Title", "Frameworks"):
            table.add_column(col)
        for p in policies:
            table.add_row(
                escape(p.id),
                p.severity,
                escape(p.title) + (" [dim](manual)[/dim]" if p.manual else ""),
                escape(_mappings(p)),
            )
        console.print(table, crop=False)
        return
    console.print(f"[bold]{counted(len(policies), 'policy')}[/bold]", highlight=False)
    for p in policies:
        console.print(
            Text.assemble((p.id, "bold"), "  ", p.severity, (" (manual)" if p.manual else "", "dim")),
            no_wrap=True,
            crop=False,
        )
        console.print(Text(_indented(p.title, console.width)), soft_wrap=True)
        if p.frameworks:
            console.print(Text(_indented(_mappings(p), console.width), style="dim"), soft_wrap=True)


def _indented(text: str, width: int) -> str:
    """Wrapped under the ID with a hanging indent, between words only (a long word or a
    control ID such as ``MS.AAD.3.2v2`` is never split)."""
    import textwrap

    return textwrap.fill(
        text,
        width=max(width, 40),
        initial_indent="    ",
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _mappings(policy: Any) -> str:
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in policy.frameworks.items())


def coverage_lines(covs: list[Coverage]) -> list[str]:
    """The closing block of ``policies list``: per framework version, automated/total and the
    controls only a manual policy covers (the numbers come from :func:`coverage_text`, as in the
    HTML and Markdown reports)."""
    lines = ["Coverage per framework version (automated: a policy that is not manual maps the control):"]
    for cov in covs:
        fw = cov.framework
        lines.append(f"  {fw.key}: {coverage_text(cov)} — {fw.title}")
        if cov.manual_only:
            lines.append(f"    manual: {', '.join(sort_ids(cov.manual_only, fw))}")
        if cov.unknown:
            lines.append(f"    not controls of the framework: {', '.join(sorted(cov.unknown))}")
    return lines


def check_framework(name: str, known: set[str]) -> None:
    """An unknown ``--framework`` is an input error with a suggestion, never an empty list."""
    if name not in known and name in RETIRED_FRAMEWORKS:
        raise InputError(f"framework {name!r} is retired: {RETIRED_FRAMEWORKS[name]}", source="--framework")
    if name not in known:
        raise InputError(
            f"unknown framework {name!r}{did_you_mean(name, known)} (known: {', '.join(sorted(known))})",
            source="--framework",
        )


def _printable(policy: Any) -> Any:
    """The policy with the texts shown on a terminal stripped of control characters.

    A policy file from a stranger may spell an escape sequence in a quoted YAML string.
    """
    return dataclasses.replace(policy, title=printable(policy.title))


def _show(args: argparse.Namespace) -> int:
    from auditor.policy import load_library

    library = load_library(args.policies)
    policies = {p.id: p for p in library}
    chosen = [policies[args.id]] if args.id in policies else []
    if not chosen:
        wanted = args.id.lower()
        chosen = [p for p in library if any(wanted == c.lower() for cs in p.frameworks.values() for c in cs)]
    if not chosen:
        controls = {c for p in library for cs in p.frameworks.values() for c in cs}
        hint = did_you_mean(args.id, [*policies, *controls])
        raise InputError(
            f"no policy or framework control {args.id!r}{hint} (see 'auditor policies list')",
            source="policies show",
        )
    console = Console()
    for policy in map(_printable, chosen):
        mapped = "; ".join(f"{k}: {', '.join(v)}" for k, v in policy.frameworks.items())
        console.print(
            f"[bold]{escape(policy.id)}[/bold] — {escape(policy.title)}  "
            f"[dim]({escape(policy.rel_path)})[/dim]",
            soft_wrap=True,
        )
        if policy.id != args.id:
            console.print(f"[dim]mapped to {escape(args.id)}: {escape(mapped)}[/dim]", soft_wrap=True)
        console.print(
            printable(Path(policy.path).read_text("utf-8")), markup=False, highlight=False, soft_wrap=True
        )
    return 0


def _new(args: argparse.Namespace) -> int:
    from auditor.policy.scaffold import scaffold

    folder = Path(args.dir)
    made = scaffold(args.id, folder)
    folder.mkdir(parents=True, exist_ok=True)
    made.policy_path.write_text(made.policy_text, encoding="utf-8")
    made.test_path.write_text(made.test_text, encoding="utf-8")
    print(f"wrote {made.policy_path} and {made.test_path}")
    print(f"next: edit the TODOs, then 'auditor policies validate {made.policy_path}' and")
    print(f"      'auditor test {made.policy_path}' (its passing case fails until the assert is real)")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from auditor.policy import load_policies
    from auditor.policy.load import expand_policy_paths

    try:
        policies = load_policies(expand_policy_paths(args.paths))
    except InputErrors as exc:
        console = Console(stderr=True, soft_wrap=True)  # file:line:column must stay one copyable word
        for load_error in exc.errors:
            console.print(f"[red]error[/red] {escape(str(load_error))}")
        console.print(f"{len(exc.errors)} error(s)")
        return 2
    except InputError:
        raise
    from auditor.policy.fixlint import lint_fix

    errors: list[str] = []
    for policy in policies:
        bad, warnings = lint_fix(policy)
        errors += bad
        for warning in warnings:
            Console(stderr=True, soft_wrap=True).print(f"[yellow]warning[/yellow] {escape(warning)}")
    if errors:
        console = Console(stderr=True, soft_wrap=True)
        for err in errors:
            console.print(f"[red]error[/red] {escape(err)}")
        console.print(f"{len(errors)} error(s)")
        return 2
    Console().print(f"[green]✓[/green] {counted(len(policies), 'policy')} valid")
    return 0
