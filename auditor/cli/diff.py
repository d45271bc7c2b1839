"""``auditor diff OLD NEW``: what changed between two audits, or two snapshots.

Informational by default (exit 0), so it can run in any pipeline step;
``--fail-on-new`` makes it a "no regressions" gate that exits exactly as
``audit NEW --since OLD`` would: 1 when a new failure is at or above the fail-on
severity recorded in NEW, 3 when a policy at or above it errs, else 0. A new
failure is a policy failing now that did not fail before, or a failing policy's
subject that did not fail before (docs/reports.md). Two results documents of
different tenants are refused (exit 2) unless ``--allow-other-tenant``. The kind of input is detected from its keys: a results
document has ``results``, a snapshot has ``data``; both inputs must be of the
same kind. Bad input exits 2.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.console import Console

from auditor.cli import plain
from auditor.errors import InputError
from auditor.report.diff import diff_results, diff_snapshots, render_markdown, render_text
from auditor.report.htmlreport import extract_results
from auditor.results import validate_results
from auditor.results.newfailures import check_same_tenant
from auditor.snapshot import load_snapshot
from auditor.snapshot.load import decode_bytes

if TYPE_CHECKING:
    from auditor.results.types import ResultsDocument


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diff",
        help="compare two results documents (new failures, fixed, changed) or two snapshots",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("old", metavar="OLD", help="results.json, report.html or snapshot file")
    p.add_argument("new", metavar="NEW", help="results.json, report.html or snapshot file (same kind as OLD)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format")
    p.add_argument(
        "--fail-on-new",
        action="store_true",
        help="exit as 'audit NEW --since OLD' would: 1 on a new failure at or above NEW's fail-on "
        "severity, 3 when such a policy errs",
    )
    p.add_argument(
        "--allow-other-tenant",
        action="store_true",
        help="compare results documents of different tenants (refused by default)",
    )
    p.set_defaults(func=run)


def _load(path: str) -> tuple[str, dict[str, Any]]:
    """("results" | "snapshots", document); InputError when unreadable or neither kind."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
    if path.lower().endswith((".html", ".htm")):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text: {exc}", source=path) from None
        doc = extract_results(text, source=path)
        validate_results(doc, path)
        return "results", doc
    doc = decode_bytes(raw, path)
    if "results" in doc:
        validate_results(doc, path)
        return "results", doc
    if "data" in doc:
        return "snapshots", load_snapshot(path).document
    raise InputError("neither a results document (no 'results') nor a snapshot (no 'data')", source=path)


def compute(old_path: str, new_path: str, *, allow_other_tenant: bool = False) -> dict[str, Any]:
    """The diff of two files of the same kind (results of one tenant unless allowed)."""
    kind_a, old = _load(old_path)
    kind_b, new = _load(new_path)
    if kind_a != kind_b:
        raise InputError(
            f"cannot compare a {kind_a.rstrip('s')} document with a {kind_b.rstrip('s')} "
            f"({old_path} vs {new_path})"
        )
    if kind_a == "results":
        check_same_tenant(old, new, old_path, new_path, allow=allow_other_tenant)
        # both passed the results schema in _load: from here on they are results documents
        return diff_results(cast("ResultsDocument", old), cast("ResultsDocument", new))
    return diff_snapshots(old, new)


def render(d: dict[str, Any], fmt: str, width: int = 100) -> str:
    if fmt == "json":
        return json.dumps(d, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if fmt == "markdown":
        return render_markdown(d)
    buf = io.StringIO()
    Console(
        file=buf, width=width, color_system=None, no_color=True, highlight=False, emoji=False, soft_wrap=True
    ).print(render_text(d))
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    from auditor.report._common import printable_doc
    from auditor.report.safetext import guard_lines, json_text

    d = compute(args.old, args.new, allow_other_tenant=args.allow_other_tenant)
    if args.format == "json":  # the data whole, with control and bidi characters as \u escapes
        sys.stdout.write(json_text(render(d, args.format)))
    else:
        # tenant text without control or bidi characters, and no line a CI log reads as a command
        d = printable_doc(d)
        if args.format == "text" and sys.stdout.isatty():
            buf = io.StringIO()
            Console(
                file=buf,
                force_terminal=True,
                color_system="auto",
                width=Console().width,
                highlight=False,
                emoji=False,
            ).print(render_text(d))
            sys.stdout.write(guard_lines(buf.getvalue()))
        else:
            sys.stdout.write(guard_lines(render(d, args.format)))
    if args.fail_on_new and d["kind"] == "results":
        return int(d["newGate"]["exitCode"])
    return 0
