"""``auditor import SNAPSHOT NAME=FILE ...``: add exported collections to a snapshot."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.cli import EXIT_OK
from auditor.cli.inputs import add_mode_argument


def _run(args: argparse.Namespace) -> int:
    from auditor.collect.importer import import_into_snapshot, parse_import_arg

    specs = [parse_import_arg(a) for a in args.imports]
    doc = import_into_snapshot(Path(args.snapshot), specs, args.mode)
    for spec in specs:
        print(
            f"auditor: imported {spec.name} ({doc['sources'][spec.name]['count']} objects) "
            f"from {spec.path.name} into {args.snapshot}",
            file=sys.stderr,
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "import",
        help="add a collection from a file to a snapshot",
        description="Add collections exported with PowerShell (e.g. Get-AdminAuditLogConfig | ConvertTo-Json "
        "> audit.json) to a snapshot. UTF-8 and UTF-16 (with BOM) are accepted; a single object "
        "or an array. The snapshot is re-validated and rewritten atomically.",
    )
    parser.add_argument("snapshot", metavar="SNAPSHOT", help="snapshot file to update")
    parser.add_argument("imports", nargs="+", metavar="NAME=FILE", help="collection name and JSON file")
    add_mode_argument(parser, "snapshot")
    parser.set_defaults(func=_run)
