"""``auditor run``: collect, then audit the fresh snapshot; the exit code is the audit's.

The snapshot goes to ``--snapshot FILE`` (``--out`` belongs to the audit: the report
folder). A collection problem that prevents writing a snapshot exits 2 before any audit.
"""

from __future__ import annotations

import argparse

from auditor.cli import audit
from auditor.cli.collect import add_collect_arguments, run_collect


def _run(args: argparse.Namespace) -> int:
    run_collect(args)
    return int(audit.run_audit(args, args.snapshot_out))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "run",
        help="collect then audit, one command for CI",
        description="Collect a snapshot (written to --snapshot, default snapshot.json), then audit it. "
        "Takes the collect flags and the audit flags; exits with the audit's code.",
    )
    add_collect_arguments(parser, out_flag="--snapshot", out_required=False)
    audit.add_audit_arguments(parser, positional_snapshot=False)
    parser.set_defaults(func=_run)
