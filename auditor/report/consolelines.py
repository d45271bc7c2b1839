"""The console summary as plain lines, for CI logs and pipes (no terminal, no rich).

One line per policy and per failing subject, never wrapped, so that ``grep`` finds a
policy ID and a CI log reads from the end: the verdict is printed first and last. The
rich rendering for a terminal (:mod:`auditor.report.console`) shares the lines' parts
(verdict, counts, top fixes, notes) from here; kept apart so that a CI run, which never
draws boxes, does not import rich.
"""

from __future__ import annotations

from auditor.report._common import (
    GATE_LABELS,
    STATUS_LABELS,
    STATUS_ORDER,
    Doc,
    counts,
    exit_code,
    expired_waivers,
    fail_on,
    failing_findings,
    failing_subject_count,
    framework_ids,
    gate,
    is_new,
    new_failure_count,
    one_line,
    printable_view,
    severity_counts,
    short_hash,
    since_block,
    sources_not_ok,
    tenant_label,
    triage_order,
)
from auditor.report.fixfirst import FIX_FIRST, FixItem, fix_first, who_text
from auditor.report.safetext import guard_lines

#: with more passing policies than this, passes are summarised in one line unless verbose
COLLAPSE_PASSES_OVER = 10
SUBJECTS_SHOWN = 3
TOP_FIXES = FIX_FIRST
#: kept for callers: plain output is never cut to a width (whole lines in pipes and CI logs)
MIN_PLAIN_WIDTH = 120
NEW_MARK = "NEW"


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


def fix_lines(doc: Doc) -> list[FixItem]:
    """The "Fix first" entries (see :mod:`auditor.report.fixfirst`)."""
    return fix_first(doc, TOP_FIXES)


def notes(raw: Doc, verbose: bool) -> list[str]:
    """Collections not collected and expired waivers, from the raw document (expired
    waivers are looked for in every finding: plain dicts are quicker to walk than a view)."""
    doc = printable_view(raw)
    out: list[str] = []
    missing = sources_not_ok(doc)
    if missing:
        out.append("Collections not collected:")
        for name, status, reason in missing:
            text = one_line(reason)
            out.append(f"  {name}  {status}: {text}" if reason != status else f"  {name}  {status}")
    expired = printable_view(expired_waivers(raw))
    if expired:
        out.append(f"Expired waivers (not applied): {len(expired)}")
        for pid, subject, w in expired:
            who = f"{pid}" + (f" / {subject}" if subject else "")
            out.append(f"  {who}  expired {w['expires']}, owner {w['owner']}")
    return out


def fit(prefix: str, text: str, width: int = 0, verbose: bool = False) -> str:
    """``prefix`` + ``text`` on one whole line: a CI log or a pipe has no width, so nothing
    is cut (a cut hid who is uncovered and which policy excludes them); ``width`` and
    ``verbose`` are kept for callers that still pass them."""
    return (prefix + text).rstrip()


def render_console_lines(doc: Doc, width: int = MIN_PLAIN_WIDTH, *, verbose: bool = False) -> str:
    """The summary for logs without a terminal: one line per policy and per failing
    subject, no boxes, each line whole (never cut to a width); every line that names a
    policy starts with its status and ID, so ``grep`` finds it. Tenant text is one line without
    control characters, and no line can be read as a CI workflow command."""
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
    fixes = fix_lines(doc)
    if fixes:
        lines.append("Fix first:")
        for item in fixes:
            r = item.result
            new = f" {NEW_MARK}" if item.new else ""
            fw_text = ", ".join(framework_ids(r))
            lines.append(f"  {r['severity']:<8} {r['policyId']}{new}" + (f"  [{fw_text}]" if fw_text else ""))
            lines.append(f"           who: {who_text(item)}")
            lines.append(f"           fix: {item.fix}")
            if item.url:
                lines.append(f"           in:  {item.portal} {item.url}")
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
        lines.append(fit(prefix, text, width, verbose))
        if r["status"] in ("fail", "error"):
            shown = failing_findings(r, None if verbose else SUBJECTS_SHOWN)
            for f in shown:
                mark = f" {NEW_MARK}" if is_new(doc, pid, str(f["subject"])) else ""
                sub_prefix = f"{label:<6} {r['severity']:<8} {pid}  {f['subject']}{mark}: "
                lines.append(fit(sub_prefix, one_line(f["message"]), width, verbose))
            more = failing_subject_count(r) - len(shown)
            if more > 0:
                lines.append(f"{label:<6} {r['severity']:<8} {pid}  … and {more} more")
    if collapse:
        lines.append(f"{len(passes)} passing policies not shown (use --verbose to list them)")
    shown_notes = notes(raw, verbose)
    if shown_notes:
        lines.append("")
        lines += [
            fit(note[: len(note) - len(note.lstrip())], note.lstrip(), width, verbose) for note in shown_notes
        ]
    lines += ["", counts_line(doc), verdict_line(doc)]
    # the last word: every field is one line already (printable_view); no line may read as a
    # CI workflow command whatever a policy or tenant text holds
    return guard_lines("\n".join(lines) + "\n")
