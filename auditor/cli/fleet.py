"""``auditor fleet run|report``: many tenants as Dask tasks, and the roll-up across them.

The CLI only wires: ``auditor.fleet`` reads FLEET.yaml, runs the tenants and builds the
roll-up; this module chooses the files, prints a line per tenant and returns the exit code
(the worst tenant's: 1 over 3 over 0; 2 only for an unusable FLEET.yaml).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from auditor.cli.collect import _positive_int
from auditor.errors import InputError

REPORT_FORMATS = ("html", "markdown", "csv", "json")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "fleet",
        help="audit many tenants on a Dask cluster, and roll them up",
        description="Audit the tenants listed in a fleet file, one Dask task per tenant, and write the "
        "roll-up across them (fleet.json, fleet.html, fleet.md, fleet.csv).",
    )
    fsub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = fsub.add_parser(
        "run",
        help="audit every tenant of FLEET.yaml into DIR/<tenant id>/",
        description="Collect (or take the given snapshot) and audit every tenant of FLEET.yaml, each as one "
        "task on Dask distributed: an embedded local cluster by default, the cluster at --scheduler when "
        "given. Tenants already done for the same inputs are skipped (resume after an interruption). "
        "Credentials come from the environment, never from the fleet file. Exit code: 1 if any tenant "
        "fails its gate, else 3 if any is incomplete or could not be audited, else 0; 2 for an unusable "
        "fleet file.",
    )
    run.add_argument("fleet_file", metavar="FLEET.yaml")
    run.add_argument(
        "--out", required=True, metavar="DIR", help="folder for the tenants' folders and the roll-up"
    )
    run.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (tcp://host:8786)")
    run.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="worker processes of the local cluster (default: cores)",
    )
    run.add_argument("--quiet", action="store_true", help="no line per tenant")
    run.set_defaults(func=_run)
    report = fsub.add_parser(
        "report",
        help="re-render the roll-up from DIR's tenant folders or received results documents",
        description="Build the roll-up from DIR/<name>/results.json (or DIR/<name>.json) files: tenants "
        "against controls, worst first, with the trend against the previous roll-up. Each document's "
        "integrity hash is checked, and it is re-verified against its snapshot when one lies beside it "
        "(DIR/<name>/snapshot.json, DIR/<name>.snapshot.json); otherwise it is marked unverified.",
    )
    report.add_argument("dir", metavar="DIR")
    report.add_argument(
        "--format",
        default="html,markdown,csv,json",
        metavar="F[,F...]",
        help="html, md, csv, json (default: all)",
    )
    report.add_argument("--no-verify", action="store_true", help="skip re-evaluating against snapshots")
    report.set_defaults(func=_report)


def _formats(text: str) -> list[str]:
    names = [{"md": "markdown"}.get(n.strip(), n.strip()) for n in text.split(",") if n.strip()]
    for name in names:
        if name not in REPORT_FORMATS:
            raise InputError(f"unknown format {name!r}; choose from html, md, csv, json", source="--format")
    return list(dict.fromkeys(names)) or list(REPORT_FORMATS)


def _line(summary: dict[str, Any]) -> None:
    what = summary.get("error") or f"gate {summary['gate']}, {len(summary.get('failing') or [])} failing"
    skipped = " (done earlier, skipped)" if summary.get("skipped") else ""
    print(f"{summary['id']}: {what}{skipped}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from auditor.fleet.model import load_fleet
    from auditor.fleet.rollup import build_rollup, write_rollup
    from auditor.fleet.run import run_fleet

    fleet = load_fleet(args.fleet_file)
    out = Path(args.out)
    summaries = run_fleet(
        fleet, out, scheduler=args.scheduler, workers=args.workers, on_done=None if args.quiet else _line
    )
    doc = build_rollup(out, name=fleet.name, only=[t.id for t in fleet.tenants])
    written = write_rollup(out, doc, list(REPORT_FORMATS))
    if not args.quiet:
        print(f"wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    failed = [s["id"] for s in summaries if s.get("error")]
    if failed:
        print(f"auditor: {len(failed)} tenants could not be audited: {', '.join(failed)}", file=sys.stderr)
    return int(doc["exitCode"])


def _verifier(results: Path, snapshot: Path) -> tuple[bool, str]:
    from auditor.cli.verify import verify

    lines: list[str] = []
    code = verify(str(results), str(snapshot), out=lines.append)
    problems = [line[1:].strip() for line in lines if line.startswith("✗")]
    return code == 0, (problems[0] if problems else (lines[-1].strip() if lines else "verification failed"))


def _report(args: argparse.Namespace) -> int:
    from auditor.fleet.rollup import build_rollup, write_rollup

    formats = _formats(args.format)
    doc = build_rollup(args.dir, verifier=None if args.no_verify else _verifier)
    for path in write_rollup(args.dir, doc, formats):
        print(f"wrote {path}", file=sys.stderr)
    return int(doc["exitCode"])
