"""The console summary ``auditor audit`` prints: a rich renderable, never printed here.

The terminal is the CLI's business (DESIGN 7), so this module only builds the
renderable; :func:`render_console_text` renders it to plain text for tests and for
logs without a terminal. The layout answers a reader's questions in order: which
tenant and snapshot, what needs attention (failing and unevaluated policies first,
with their first failing subjects), what could not be collected, and the verdict.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from auditor.report._common import (
    GATE_LABELS,
    STATUS_ICONS,
    STATUS_LABELS,
    STATUS_ORDER,
    counts,
    exit_code,
    expired_waivers,
    fail_on,
    failing_findings,
    failing_subject_count,
    gate,
    one_line,
    printable_doc,
    short_hash,
    sources_not_ok,
    tenant_label,
    triage_order,
)

STATUS_STYLES = {
    "pass": "green",
    "fail": "bold red",
    "error": "bold yellow",
    "waived": "magenta",
    "manual": "cyan",
    "not_applicable": "dim",
}
SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue", "info": "dim"}
GATE_STYLES = {"passed": "bold green", "failed": "bold red", "incomplete": "bold yellow"}
#: with more passing policies than this, passes are summarised in one line unless verbose
COLLAPSE_PASSES_OVER = 10
SUBJECTS_SHOWN = 3


def _header(doc: Mapping[str, Any]) -> Text:
    snap = doc.get("snapshot", {})
    baseline = (doc.get("baseline") or {}).get("name") or "none (whole policy set)"
    t = Text()
    t.append("auditor ", style="bold")
    t.append(str((doc.get("tool") or {}).get("version", "")), style="dim")
    t.append("\nTenant      ", style="dim")
    t.append(tenant_label(doc), style="bold")
    t.append("\nSnapshot    ", style="dim")
    t.append(f"{short_hash(snap.get('sha256'))}  collected {snap.get('collectedAt', '?')}")
    t.append("\nBaseline    ", style="dim")
    t.append(f"{baseline}  fail-on {fail_on(doc)}")
    return t


def _status_text(status: str) -> Text:
    return Text(
        f"{STATUS_ICONS.get(status, '?')} {STATUS_LABELS.get(status, status)}",
        style=STATUS_STYLES.get(status, ""),
    )


def _message_cell(r: Mapping[str, Any], verbose: bool) -> Text:
    t = Text(one_line(r.get("message"), 0 if verbose else 90))
    if r["status"] in ("fail", "error"):
        bad = failing_findings(r)
        shown = bad if verbose else bad[:SUBJECTS_SHOWN]
        for f in shown:
            t.append(f"\n  • {f['subject']}", style="bold")
            msg = one_line(f.get("message"), 0 if verbose else 60)
            if msg:
                t.append(f": {msg}", style="dim")
        more = failing_subject_count(r) - len(shown)
        if more > 0:
            t.append(f"\n  … and {more} more", style="dim")
    return t


def _table(doc: Mapping[str, Any], verbose: bool) -> tuple[Table, int]:
    """Policies table and the number of passing policies collapsed out of it."""
    ordered = triage_order(doc.get("results", []))
    passes = [r for r in ordered if r["status"] == "pass"]
    collapse = not verbose and len(passes) > COLLAPSE_PASSES_OVER
    # the title column gets the room: policy IDs fold rather than squeeze it on narrow terminals
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=False, pad_edge=False)
    table.add_column("Status", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Policy", overflow="fold", ratio=2, max_width=44)
    table.add_column("Title / message", overflow="fold", ratio=5, min_width=30)
    for r in ordered:
        if collapse and r["status"] == "pass":
            continue
        title = Text(
            one_line(r["title"], 0 if verbose else 80), style="bold" if r["status"] != "pass" else ""
        )
        body = Text.assemble(title, "\n", _message_cell(r, verbose)) if r.get("message") else title
        table.add_row(
            _status_text(r["status"]),
            Text(str(r["severity"]), style=SEVERITY_STYLES.get(str(r["severity"]), "")),
            str(r["policyId"]),
            body,
        )
    return table, (len(passes) if collapse else 0)


def _counts_line(doc: Mapping[str, Any]) -> Text:
    c = counts(doc)
    t = Text()
    for i, s in enumerate(STATUS_ORDER):
        if i:
            t.append("  ")
        t.append(f"{STATUS_LABELS[s]} {c[s]}", style=STATUS_STYLES[s] if c[s] else "dim")
    return t


def _notes(doc: Mapping[str, Any]) -> list[RenderableType]:
    out: list[RenderableType] = []
    missing = sources_not_ok(doc)
    if missing:
        t = Text("Collections not collected:", style="bold yellow")
        for name, status, reason in missing:
            t.append(f"\n  {name}", style="bold")
            t.append(f"  {status}: {one_line(reason, 120)}" if reason != status else f"  {status}")
        out.append(t)
    expired = expired_waivers(doc)
    if expired:
        t = Text(f"Expired waivers (not applied): {len(expired)}", style="bold magenta")
        for pid, subject, w in expired:
            t.append(f"\n  {pid}" + (f" / {subject}" if subject else ""))
            t.append(f"  expired {w.get('expires', '?')}, owner {w.get('owner', '?')}", style="dim")
        out.append(t)
    return out


def _verdict(doc: Mapping[str, Any]) -> Text:
    g = gate(doc)
    t = Text("Gate: ", style="bold")
    t.append(GATE_LABELS.get(g, g.upper()), style=GATE_STYLES.get(g, "bold"))
    t.append(f"  (exit {exit_code(doc)}, fail-on {fail_on(doc)})", style="dim")
    return t


def render_console(doc: Mapping[str, Any], *, verbose: bool = False) -> RenderableType:
    """The console summary of a results document, as a rich renderable (control characters removed)."""
    doc = printable_doc(doc)
    table, collapsed = _table(doc, verbose)
    parts: list[RenderableType] = [_header(doc), Text(""), table]
    if collapsed:
        parts.append(
            Text(f"{collapsed} passing policies not shown (use --verbose to list them)", style="dim green")
        )
    parts += [Text(""), _counts_line(doc)]
    for note in _notes(doc):
        parts += [Text(""), note]
    parts += [Text(""), _verdict(doc)]
    return Group(*parts)


def render_console_text(doc: Mapping[str, Any], width: int = 100, *, verbose: bool = False) -> str:
    """The console summary as plain text (no colour, no terminal codes)."""
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    console.print(render_console(doc, verbose=verbose))
    return buf.getvalue()
