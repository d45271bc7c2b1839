"""``summary.md``: a short Markdown report for pull-request comments and CI step summaries.

Those surfaces have size limits (GitHub: 65,536 characters for a comment, 1 MiB
for a step summary) and render tables and ``<details>``, so the report leads with
the verdict and counts, lists only the policies that need attention, folds the
remediation away, and truncates long lists with "and N more" to stay under
:data:`MAX_BYTES`. Table cells and list items are escaped: policy text and tenant data may
contain ``|``, newlines, HTML, or Markdown images and links.
"""

from __future__ import annotations

import html

from auditor.policy.frameworks import coverage_text, sort_ids
from auditor.report._common import (
    GATE_LABELS,
    STATUS_LABELS,
    STATUS_ORDER,
    Doc,
    Result,
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
    severity_counts,
    short_hash,
    since_block,
    sources_not_ok,
    tenant_label,
    triage_order,
)
from auditor.report._coverage import framework_coverage
from auditor.report.fixfirst import fix_first, who_text
from auditor.report.products import product_counts
from auditor.report.safetext import guard_lines, inert, markdown_code, markdown_text

MAX_BYTES = 60_000
MAX_TABLE_ROWS = 80
#: failing subjects listed per policy (the full list is in findings.csv and results.json)
MAX_SUBJECTS = 10
GATE_EMOJI = {"passed": "✅", "failed": "❌", "incomplete": "⚠️"}
STATUS_EMOJI = {
    "pass": "✅",
    "fail": "❌",
    "error": "⚠️",
    "waived": "🟡",
    "manual": "📝",
    "not_applicable": "➖",
}


def cell(text: object, limit: int = 200) -> str:
    """Text safe inside a Markdown table cell or list item: one line, cut to ``limit``
    characters, HTML escaped (GitHub renders inline HTML), and no image, link, emphasis,
    code span, table pipe or workflow command made from it (tenant names are anybody's text)."""
    return markdown_text(one_line(str(text) if text is not None else "", limit))


def code(text: object) -> str:
    """A code span holding ``text`` (an ID, a collection name): nothing inside it is
    interpreted, so only what could end it (a backtick, a table pipe, a line break) is
    replaced."""
    return f"`{markdown_code(str(text) if text is not None else '')}`"


def _block(text: str) -> str:
    """Multi-line text shown verbatim inside ``<details>``: HTML-escaped in a <pre>, so
    Markdown and HTML in policy text cannot break out of the fold."""
    return "<pre>\n" + html.escape(guard_lines(text.rstrip())) + "\n</pre>"


def _header(doc: Doc) -> list[str]:
    g = gate(doc)
    snapshot = doc["snapshot"]
    lines = [
        f"## {GATE_EMOJI.get(g, '⚠️')} auditor: gate {GATE_LABELS.get(g, g.upper())} "
        f"(exit {exit_code(doc)}, fail-on {fail_on(doc)})",
        "",
        f"Tenant **{cell(tenant_label(doc))}**, snapshot `{short_hash(snapshot['sha256'])}` "
        f"collected {cell(snapshot['collectedAt'])}, baseline "
        f"**{cell(doc['baseline']['name'] or 'none')}**.",
        "",
        "| " + " | ".join(f"{STATUS_EMOJI[s]} {STATUS_LABELS[s]}" for s in STATUS_ORDER) + " |",
        "|" + "---:|" * len(STATUS_ORDER),
        "| " + " | ".join(str(counts(doc)[s]) for s in STATUS_ORDER) + " |",
        "",
        "Failing by severity: " + ", ".join(f"{k} {v}" for k, v in severity_counts(doc).items() if v) + ".",
        "",
    ]
    since = since_block(doc)
    if since:
        lines += [
            f"**{new_failure_count(doc)}** policies have failures that are new since the results of "
            f"{cell(since.get('generatedAt'))} (marked **NEW**); the gate counts only those.",
            "",
        ]
    return lines


def _products(doc: Doc) -> list[str]:
    """Pass, fail and error counts per product (Entra, Exchange, Defender, ...)."""
    rows = product_counts(doc["results"])
    if not rows:
        return []
    lines = ["| Product | Pass | Fail | Error | Policies |", "|---|---:|---:|---:|---:|"]
    for product, c in rows:
        lines.append(
            f"| {product.name} | {c.get('pass', 0)} | {c.get('fail', 0)} | {c.get('error', 0)} | {sum(c.values())} |"
        )
    return [*lines, ""]


def _fix_first(doc: Doc) -> list[str]:
    """The ten failures to fix first: who is affected (names in full), the one-line fix and
    a link into the admin portal (the portal URLs are auditor's own, never tenant text)."""
    items = fix_first(doc)
    if not items:
        return []
    lines = ["### Fix first", ""]
    for n, item in enumerate(items, 1):
        r = item.result
        new = " **NEW**" if item.new else ""
        link = f" — [{item.portal}]({item.url})" if item.url else ""
        lines.append(f"{n}. **{cell(r['severity'])}** {code(r['policyId'])}{new}: {cell(item.fix, 0)}{link}")
        lines.append(f"   {cell(who_text(item), 0)}")
    return [*lines, ""]


def _problems_table(doc: Doc, problems: list[Result]) -> list[str]:
    if not problems:
        return ["No failing or unevaluated policies.", ""]
    lines = [
        "| Status | Severity | Policy | Title | Failing subjects | Message |",
        "|---|---|---|---|---:|---|",
    ]
    for r in problems[:MAX_TABLE_ROWS]:
        n = failing_subject_count(r)
        new = " **NEW**" if r["status"] == "fail" and is_new(doc, str(r["policyId"])) else ""
        fw = ", ".join(framework_ids(r))
        lines.append(
            f"| {STATUS_EMOJI.get(r['status'], '')} {STATUS_LABELS.get(r['status'], r['status'])}{new} "
            f"| {cell(r['severity'])} | {code(r['policyId'])}{'<br>' + cell(fw) if fw else ''} | {cell(r['title'])} "
            f"| {n if r['findings'] or r.get('subjectCounts') else '–'} | {cell(r['message'], 160)} |"
        )
    if len(problems) > MAX_TABLE_ROWS:
        lines.append(f"| | | | and {len(problems) - MAX_TABLE_ROWS} more | | |")
    return [*lines, ""]


def _details(doc: Doc, r: Result) -> str:
    parts = [
        f"<details><summary><b>{html.escape(inert(str(r['policyId'])))}</b>: "
        f"{html.escape(inert(one_line(r['title'], 200)))}</summary>",
        "",
    ]
    bad = failing_findings(r)
    if bad:
        parts.append("Failing subjects:")
        parts.append("")
        pid = str(r["policyId"])
        parts.extend(
            f"- {cell(f['subject'])}{' **NEW**' if is_new(doc, pid, str(f['subject'])) else ''}: "
            f"{cell(f['message'], 200)}"
            for f in bad[:MAX_SUBJECTS]
        )
        more = failing_subject_count(r) - min(len(bad), MAX_SUBJECTS)
        if more > 0:
            parts.append(f"- and {more} more (the full list is in findings.csv and results.json)")
        parts.append("")
    parts.append("Remediation:")
    parts.append("")
    parts.append(_block(str(r["remediation"] or "(none given)")))
    parts.append("")
    parts.append("</details>")
    return "\n".join(parts)


def _coverage(doc: Doc) -> list[str]:
    """Framework coverage of this run, one line per framework version (the numbers of
    ``auditor policies list`` and the HTML report: one definition)."""
    covs = framework_coverage(doc)
    if not covs:
        return []
    lines = ["**Framework coverage:**", ""]
    for key in sorted(covs):
        cov = covs[key]
        manual = (
            f" (manual: {cell(', '.join(sort_ids(cov.manual_only, cov.framework)), 400)})"
            if cov.manual_only
            else ""
        )
        lines.append(f"- `{cell(key)}`: {coverage_text(cov)}{manual}")
    return [*lines, ""]


def _footer(doc: Doc) -> list[str]:
    lines: list[str] = _coverage(doc)
    missing = sources_not_ok(doc)
    if missing:
        lines.append(
            "**Collections not collected:** "
            + "; ".join(f"{code(n)} ({cell(s)}: {cell(reason, 120)})" for n, s, reason in missing)
            + "."
        )
        lines.append("")
    expired = expired_waivers(doc)
    if expired:
        lines.append(
            "**Expired waivers (not applied):** "
            + "; ".join(
                f"{code(pid)}{' / ' + cell(subj) if subj else ''} (expired {cell(w['expires'])})"
                for pid, subj, w in expired[:20]
            )
            + (f"; and {len(expired) - 20} more" if len(expired) > 20 else "")
            + "."
        )
        lines.append("")
    return lines


class MarkdownFormat:
    """GitHub-flavoured Markdown summary, at most :data:`MAX_BYTES` bytes."""

    name = "markdown"
    filename = "summary.md"

    def render(self, doc: Doc) -> bytes:
        problems = [r for r in triage_order(doc["results"]) if r["status"] in ("fail", "error")]
        head = "\n".join(
            _header(doc) + _products(doc) + _fix_first(doc) + _problems_table(doc, problems) + _footer(doc)
        )
        tail = f"\n_Generated by auditor {cell(doc['tool']['version'])} at {cell(doc['generatedAt'])}._\n"
        budget = MAX_BYTES - len(head.encode()) - len(tail.encode()) - 200
        folds: list[str] = []
        failing = [r for r in problems if r["status"] == "fail"]
        for i, r in enumerate(failing):
            block = _details(doc, r)
            size = len(block.encode()) + 2
            if size > budget:
                folds.append(
                    f"_Remediation for {len(failing) - i} more failing policies is in the full report._"
                )
                break
            folds.append(block)
            budget -= size
        body = head
        if folds:
            body += "\n### Remediation\n\n" + "\n\n".join(folds) + "\n"
        return (body + tail).encode("utf-8")
