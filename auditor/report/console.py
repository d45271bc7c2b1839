"""The console summary ``auditor audit`` prints: built here, never printed here.

The terminal is the CLI's business, so this module only builds text; the CLI
chooses between :func:`render_console` (a rich renderable, for a terminal) and
:func:`render_console_lines` (plain lines, for CI logs and pipes). Both answer a
reader's questions in order: the verdict and the counts by severity, the top fixes
with their framework IDs, then every policy that needs attention, what could not be
collected, and the verdict again (CI logs are read from the end).

Policy IDs are never wrapped or cut (people copy them into ``policies show`` and
waivers); long messages lose their middle, not their end, which is where the
actionable part usually is (the missing permission, the object to change).
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.text import Text

from auditor.report._common import (
    GATE_LABELS,
    STATUS_ICONS,
    STATUS_LABELS,
    STATUS_ORDER,
    Doc,
    Result,
    counts,
    exit_code,
    expired_waivers,
    fail_on,
    failing_findings_shown,
    failing_subject_count,
    framework_ids,
    gate,
    is_new,
    keep_end,
    new_failure_count,
    one_line,
    one_line_fix,
    printable_view,
    severity_counts,
    short_hash,
    since_block,
    sources_not_ok,
    tenant_label,
    top_fixes,
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
TOP_FIXES = 5
#: plain output (no terminal) is never narrower than this, whatever COLUMNS says
MIN_PLAIN_WIDTH = 120
NEW_MARK = "NEW"


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


def verdict_line(doc: Doc) -> str:
    """``Gate: FAILED  (exit 1, fail-on high)``, with ``--since`` noted."""
    g = gate(doc)
    extra = ", new failures only" if since_block(doc) else ""
    return f"Gate: {GATE_LABELS.get(g, g.upper())}  (exit {exit_code(doc)}, fail-on {fail_on(doc)}{extra})"


def counts_line(doc: Doc) -> str:
    """``FAIL 2  ERROR 1 ...`` in display order."""
    c = counts(doc)
    return "  ".join(f"{STATUS_LABELS[s]} {c[s]}" for s in STATUS_ORDER)


def severity_line(doc: Doc) -> str:
    """``Failing by severity: critical 2  high 5 ...``."""
    sev = severity_counts(doc)
    return "Failing by severity: " + "  ".join(f"{k} {v}" for k, v in sev.items())


def _fix_lines(doc: Doc) -> list[tuple[Result, str]]:
    """(result, one-line fix) for the top fixes."""
    return [(r, one_line_fix(r, 0) or one_line(r["title"])) for r in top_fixes(doc, TOP_FIXES)]


def _message_cell(doc: Doc, r: Result, verbose: bool) -> Text:
    t = Text(one_line(r["message"]) if verbose else keep_end(r["message"], 160))
    fw = framework_ids(r)
    if fw:
        t.append(f"\n  {', '.join(fw)}", style="cyan")
    if r["status"] in ("fail", "error"):
        shown = failing_findings_shown(r, None if verbose else SUBJECTS_SHOWN)
        for f in shown:
            mark = f" {NEW_MARK}" if is_new(doc, str(r["policyId"]), str(f["subject"])) else ""
            t.append(f"\n    • {f['subject']}{mark}", style="bold")
            msg = one_line(f["message"]) if verbose else keep_end(f["message"], 100)
            if msg:
                t.append(f": {msg}", style="dim")
        more = failing_subject_count(r) - len(shown)
        if more > 0:
            t.append(f"\n    … and {more} more", style="dim")
    return t


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
        body = Text("  ")
        body.append(one_line(r["title"]), style="bold" if r["status"] != "pass" else "")
        if r["message"] and r["status"] != "pass":
            body.append("\n  ")
            body.append_text(_message_cell(doc, r, verbose))
        blocks += [head, body]
    return blocks, (len(passes) if collapse else 0)


def _notes(raw: Doc, verbose: bool) -> list[str]:
    """Collections not collected and expired waivers, from the raw document (expired
    waivers are looked for in every finding: plain dicts are quicker to walk than a view)."""
    doc = printable_view(raw)
    out: list[str] = []
    missing = sources_not_ok(doc)
    if missing:
        out.append("Collections not collected:")
        for name, status, reason in missing:
            text = one_line(reason) if verbose else keep_end(reason, 140)
            out.append(f"  {name}  {status}: {text}" if reason != status else f"  {name}  {status}")
    expired = printable_view(expired_waivers(raw))
    if expired:
        out.append(f"Expired waivers (not applied): {len(expired)}")
        for pid, subject, w in expired:
            who = f"{pid}" + (f" / {subject}" if subject else "")
            out.append(f"  {who}  expired {w['expires']}, owner {w['owner']}")
    return out


def _verdict(doc: Doc) -> Text:
    g = gate(doc)
    t = Text("Gate: ", style="bold")
    t.append(GATE_LABELS.get(g, g.upper()), style=GATE_STYLES.get(g, "bold"))
    rest = verdict_line(doc).split("  ", 1)[1]
    t.append(f"  {rest}", style="dim")
    return t


def _fixes_renderable(doc: Doc) -> RenderableType | None:
    fixes = _fix_lines(doc)
    if not fixes:
        return None
    parts: list[RenderableType] = [Text("Fix first", style="bold")]
    for r, _text in fixes:
        pid = str(r["policyId"])
        head = Text(no_wrap=True, overflow="ignore")
        head.append(f"{r['severity']:<8} ", style=SEVERITY_STYLES.get(str(r["severity"]), ""))
        head.append(pid, style="bold")
        if is_new(doc, pid):
            head.append(f" {NEW_MARK}", style="bold red")
        fw = framework_ids(r)
        if fw:
            head.append(f"  {', '.join(fw)}", style="cyan")
        parts.append(head)
        fix = one_line_fix(r) or one_line(r["title"])
        parts.append(Text(f"  {fix}"))
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
    for note in _notes(raw, verbose):
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


def _fit(prefix: str, text: str, width: int, verbose: bool) -> str:
    """``prefix`` + ``text`` in ``width`` columns, ``text`` cut in its middle; the prefix
    (which holds the ID) is never cut, and ``verbose`` keeps everything."""
    if verbose:
        return (prefix + text).rstrip()
    room = max(width - len(prefix), 20)
    return (prefix + keep_end(text, room)).rstrip()


def render_console_lines(doc: Doc, width: int = MIN_PLAIN_WIDTH, *, verbose: bool = False) -> str:
    """The summary for logs without a terminal: one line per policy and per failing
    subject, no boxes, at least :data:`MIN_PLAIN_WIDTH` columns; every line that names a
    policy starts with its status and ID, so ``grep`` finds it. Control characters removed."""
    raw, doc = doc, printable_view(doc)
    width = max(width, MIN_PLAIN_WIDTH)
    snap = doc["snapshot"]
    lines = [
        f"auditor {doc['tool']['version']}: tenant {tenant_label(doc)}",
        f"snapshot {short_hash(snap['sha256'])} collected {snap['collectedAt']}; baseline "
        f"{doc['baseline']['name'] or 'none (whole policy set)'}; fail-on {fail_on(doc)}",
    ]
    since = since_block(doc)
    if since:
        lines.append(
            f"since {since.get('generatedAt', '?')}: {new_failure_count(doc)} policies with new failures"
        )
    lines += [verdict_line(doc), counts_line(doc), severity_line(doc)]
    fixes = _fix_lines(doc)
    if fixes:
        lines.append("Fix first:")
        for r, _text in fixes:
            new = f" {NEW_MARK}" if is_new(doc, str(r["policyId"])) else ""
            fw_text = ", ".join(framework_ids(r))
            lines.append(f"  {r['severity']:<8} {r['policyId']}{new}" + (f"  [{fw_text}]" if fw_text else ""))
            fix = one_line_fix(r, 0) or one_line(r["title"])
            lines.append(_fit("           fix: ", fix, width, verbose))
    lines.append("")
    ordered = triage_order(doc["results"])
    passes = [r for r in ordered if r["status"] == "pass"]
    collapse = not verbose and len(passes) > COLLAPSE_PASSES_OVER
    for r in ordered:
        if collapse and r["status"] == "pass":
            continue
        pid = str(r["policyId"])
        new = f" {NEW_MARK}" if r["status"] == "fail" and is_new(doc, pid) else ""
        label = STATUS_LABELS.get(str(r["status"]), str(r["status"]))
        fw = framework_ids(r)
        # status, severity, ID and framework IDs are never cut: only the message gives way
        prefix = f"{label:<6} {r['severity']:<8} {pid}{new}  " + (f"[{', '.join(fw)}] " if fw else "")
        text = one_line(r["message"]) or one_line(r["title"])
        lines.append(_fit(prefix, text, width, verbose))
        if r["status"] in ("fail", "error"):
            shown = failing_findings_shown(r, None if verbose else SUBJECTS_SHOWN)
            for f in shown:
                mark = f" {NEW_MARK}" if is_new(doc, pid, str(f["subject"])) else ""
                sub_prefix = f"{label:<6} {r['severity']:<8} {pid}  {f['subject']}{mark}: "
                lines.append(_fit(sub_prefix, one_line(f["message"]), width, verbose))
            more = failing_subject_count(r) - len(shown)
            if more > 0:
                lines.append(f"{label:<6} {r['severity']:<8} {pid}  … and {more} more")
    if collapse:
        lines.append(f"{len(passes)} passing policies not shown (use --verbose to list them)")
    notes = _notes(raw, verbose)
    if notes:
        lines.append("")
        lines += [
            _fit(note[: len(note) - len(note.lstrip())], note.lstrip(), width, verbose) for note in notes
        ]
    lines += ["", counts_line(doc), verdict_line(doc)]
    return "\n".join(lines) + "\n"
