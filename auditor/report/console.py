"""The console summary ``auditor audit`` prints: built here, never printed here.

The terminal is the CLI's business, so this module only builds text; the CLI
chooses between :func:`render_console` (a rich renderable, for a terminal) and
:func:`~auditor.report.consolelines.render_console_lines` (plain lines, for CI logs and
pipes, in a module of its own that does not import rich). Both answer a
reader's questions in order: the verdict and the counts by severity, the top fixes
with their framework IDs, then every policy that needs attention, what could not be
collected, and the verdict again (CI logs are read from the end).

Policy IDs are never wrapped or cut (people copy them into ``policies show`` and
waivers); long messages are never cut: on a terminal they wrap at word boundaries with a
hanging indent, in a pipe each is one whole line.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from auditor.report._common import (
    GATE_LABELS,
    STATUS_ICONS,
    STATUS_LABELS,
    Doc,
    Result,
    fail_on,
    failing_findings,
    failing_subject_count,
    framework_ids,
    gate,
    is_new,
    new_failure_count,
    one_line,
    printable_view,
    short_hash,
    since_block,
    tenant_label,
    triage_order,
)
from auditor.report.consolelines import (
    COLLAPSE_PASSES_OVER,
    NEW_MARK,
    SUBJECTS_SHOWN,
    counts_line,
    fix_lines,
    notes,
    severity_line,
    verdict_line,
)
from auditor.report.fixfirst import who_text

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


def _header(doc: Doc) -> Text:
    snap = doc["snapshot"]
    baseline = doc["baseline"]["name"] or "none (whole policy set)"
    t = Text()
    t.append("auditor ", style="bold")
    t.append(str(doc["tool"]["version"]), style="dim")
    t.append("\nTenant      ", style="dim")
    t.append(tenant_label(doc), style="bold")
    t.append("\nSnapshot    ", style="dim")
    t.append(f"{short_hash(snap['sha256'])}  collected {snap['collectedAt']}")
    t.append("\nBaseline    ", style="dim")
    t.append(f"{baseline}  fail-on {fail_on(doc)}")
    since = since_block(doc)
    if since:
        t.append("\nSince       ", style="dim")
        t.append(
            f"{since.get('generatedAt', '?')} (results {short_hash(str(since.get('integrity') or ''))}): "
            f"{new_failure_count(doc)} policies with new failures"
        )
    return t


def _status_text(status: str) -> Text:
    return Text(
        f"{STATUS_ICONS.get(status, '?')} {STATUS_LABELS.get(status, status)}",
        style=STATUS_STYLES.get(status, ""),
    )


def hanging(prefix: str, body: Text, indent: int, prefix_style: str = "") -> Table:
    """``prefix`` then ``body`` wrapped at word boundaries, continuation lines indented under
    the body (a hanging indent): a long message stays whole and readable at any width."""
    grid = Table.grid(padding=0)
    grid.add_column(no_wrap=True, width=indent + len(prefix))
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(Text(" " * indent + prefix, style=prefix_style), body)
    return grid


def _message_rows(doc: Doc, r: Result, verbose: bool) -> list[RenderableType]:
    """The message, framework IDs and failing subjects of a policy, each whole, wrapped
    with a hanging indent (never cut: the cut part was who is affected and why)."""
    rows: list[RenderableType] = [hanging("", Text(one_line(r["message"])), 2)]
    fw = framework_ids(r)
    if fw:
        rows.append(hanging("", Text(", ".join(fw), style="cyan"), 4))
    if r["status"] in ("fail", "error"):
        shown = failing_findings(r, None if verbose else SUBJECTS_SHOWN)
        for f in shown:
            mark = f" {NEW_MARK}" if is_new(doc, str(r["policyId"]), str(f["subject"])) else ""
            line = Text(f"{f['subject']}{mark}", style="bold")
            msg = one_line(f["message"])
            if msg:
                line.append(f": {msg}", style="dim")
            rows.append(hanging("• ", line, 4))
        more = failing_subject_count(r) - len(shown)
        if more > 0:
            rows.append(hanging("", Text(f"… and {more} more", style="dim"), 4))
    return rows


def _policy_blocks(doc: Doc, verbose: bool) -> tuple[list[RenderableType], int]:
    """One block per policy that needs attention (status, severity and ID on a line that is
    never wrapped, then the title, message, framework IDs and failing subjects, wrapped), and
    the number of passing policies collapsed out of the list."""
    ordered = triage_order(doc["results"])
    passes = [r for r in ordered if r["status"] == "pass"]
    collapse = not verbose and len(passes) > COLLAPSE_PASSES_OVER
    blocks: list[RenderableType] = []
    for r in ordered:
        if collapse and r["status"] == "pass":
            continue
        pid = str(r["policyId"])
        head = Text(no_wrap=True, overflow="ignore")
        head.append_text(_status_text(str(r["status"])))
        head.append(" " * max(1, 9 - len(head.plain)))
        head.append(f"{r['severity']:<9}", style=SEVERITY_STYLES.get(str(r["severity"]), ""))
        head.append(pid, style="bold")
        if r["status"] == "fail" and is_new(doc, pid):
            head.append(f" {NEW_MARK}", style="bold red")
        blocks += [
            head,
            hanging("", Text(one_line(r["title"]), style="bold" if r["status"] != "pass" else ""), 2),
        ]
        if r["message"] and r["status"] != "pass":
            blocks += _message_rows(doc, r, verbose)
    return blocks, (len(passes) if collapse else 0)


def _verdict(doc: Doc) -> Text:
    g = gate(doc)
    t = Text("Gate: ", style="bold")
    t.append(GATE_LABELS.get(g, g.upper()), style=GATE_STYLES.get(g, "bold"))
    rest = verdict_line(doc).split("  ", 1)[1]
    t.append(f"  {rest}", style="dim")
    return t


def _fixes_renderable(doc: Doc) -> RenderableType | None:
    fixes = fix_lines(doc)
    if not fixes:
        return None
    parts: list[RenderableType] = [Text("Fix first", style="bold")]
    for item in fixes:
        r = item.result
        pid = str(r["policyId"])
        head = Text(no_wrap=True, overflow="ignore")
        head.append(f"{r['severity']:<8} ", style=SEVERITY_STYLES.get(str(r["severity"]), ""))
        head.append(pid, style="bold")
        if item.new:
            head.append(f" {NEW_MARK}", style="bold red")
        parts.append(head)
        fw = framework_ids(r)
        if fw:  # on a line of their own, wrapped: the ID line is never wrapped
            parts.append(hanging("", Text(", ".join(fw), style="cyan"), 2))
        parts.append(hanging("who: ", Text(who_text(item)), 2, "dim"))
        parts.append(hanging("fix: ", Text(item.fix), 2, "dim"))
        if item.url:
            link = Text(item.portal + " ")
            link.append(item.url, style=f"link {item.url}")
            parts.append(hanging("in:  ", link, 2, "dim"))
    return Group(*parts)


def render_console(doc: Doc, *, verbose: bool = False) -> RenderableType:
    """The console summary of a results document, as a rich renderable (control characters removed)."""
    raw, doc = doc, printable_view(doc)
    blocks, collapsed = _policy_blocks(doc, verbose)
    parts: list[RenderableType] = [_header(doc), Text(""), _verdict(doc)]
    parts += [Text(counts_line(doc)), Text(severity_line(doc))]
    fixes = _fixes_renderable(doc)
    if fixes is not None:
        parts += [Text(""), fixes]
    parts += [Text(""), *blocks]
    if collapsed:
        parts.append(
            Text(f"{collapsed} passing policies not shown (use --verbose to list them)", style="dim green")
        )
    for note in notes(raw, verbose):
        parts.append(Text(note, style="bold yellow" if not note.startswith(" ") else ""))
    parts += [Text(""), Text(counts_line(doc)), _verdict(doc)]
    return Group(*parts)


def render_console_text(doc: Doc, width: int = 100, *, verbose: bool = False) -> str:
    """The rich console summary as plain text (no colour, no terminal codes)."""
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
    console.print(render_console(doc, verbose=verbose), crop=False)
    return buf.getvalue()
