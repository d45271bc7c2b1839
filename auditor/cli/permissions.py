"""``auditor permissions``: what collection for the selected policies needs, no more.

Selected policies' ``requires`` give the collections; the source catalog gives each
collection's least-privilege application permission, directory role and licence.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from auditor.cli import EXIT_OK
from auditor.vocab import counted


def required_collections(baseline: str | None) -> tuple[list[str], int]:
    """The collections the selected policies read, and how many policies were selected."""
    from auditor.policy import load_library

    policies = list(load_library(None))
    if baseline:
        from auditor.baseline import load_baseline

        selected = load_baseline(baseline)
        policies = [p for p in policies if selected.selects(p.id)]
    names: set[str] = set()
    for policy in policies:
        names.update(policy.requires)
        names.update(policy.reads)
    return sorted(names), len(policies)


def permissions_document(collections: list[str], policy_count: int, baseline: str | None) -> dict[str, Any]:
    from auditor.collect.catalog import CATALOG, permissions_for, with_prerequisites

    needs = permissions_for(collections)
    # collect always reads organization (tenant block), and a dependent collection's prerequisites
    collections = sorted(with_prerequisites({*collections, "organization"}))
    return {
        "baseline": baseline,
        "policies": policy_count,
        "collections": [
            {
                "name": n,
                "endpoint": CATALOG[n].endpoint,
                "permissions": list(CATALOG[n].permissions),
                "directoryRole": CATALOG[n].directory_role,
                "azureRole": CATALOG[n].azure_role,
                "licence": CATALOG[n].licence,
            }
            for n in collections
        ],
        "applicationPermissions": [n.name for n in needs if n.kind == "application permission"],
        "directoryRoles": [n.name for n in needs if n.kind == "directory role"],
        "azureRoles": [n.name for n in needs if n.kind == "azure role"],
        "licences": [
            {"licence": n.name, "collections": list(n.collections)} for n in needs if n.kind == "licence"
        ],
        "needs": [{"kind": n.kind, "name": n.name, "collections": list(n.collections)} for n in needs],
    }


def _print_table(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 120))
    title = f"permissions for {counted(int(doc['policies']), 'policy')}" + (
        f" (baseline {doc['baseline']})" if doc["baseline"] else ""
    )
    table = Table(title=title)
    table.add_column("kind", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("needed by", overflow="fold")
    for need in doc["needs"]:
        table.add_row(need["kind"], need["name"], ", ".join(need["collections"]))
    console.print(table)


def _run(args: argparse.Namespace) -> int:
    collections, count = required_collections(args.baseline)
    doc = permissions_document(collections, count, args.baseline)
    if args.json:
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(doc)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "permissions",
        help="least-privilege read-only permissions that collection needs",
        description="List the application permissions, directory roles and licences that collecting the data "
        "for the selected policies needs (all built-in policies, or a baseline's selection).",
    )
    parser.add_argument("--baseline", metavar="NAME|FILE", help="only the policies this baseline selects")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run)
