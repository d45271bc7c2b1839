"""``report.html``: one self-contained, offline HTML report for people (a CISO, an auditor).

Everything on the page comes from the results document, and everything in it is
untrusted (policy files may come from anyone, tenant data from any user who can
set a display name), so every value goes through :func:`html.escape`, links are
emitted only for ``http(s)`` references, and a Content-Security-Policy allows only
the page's own inline script (by hash) and styles: even a missed escape cannot run
code. The whole results document is embedded in a
``<script type="application/json" id="auditor-results">`` element, with every
``<`` written as ``\\u003c`` so no ``</script>`` or ``<!--`` can end it early;
``auditor verify report.html SNAPSHOT`` reads it back with :func:`extract_results`.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import html
import json
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from auditor.errors import InputError
from auditor.policy.frameworks import coverage_text, sort_ids
from auditor.report._common import (
    GATE_LABELS,
    STATUS_LABELS,
    STATUS_ORDER,
    Doc,
    Finding,
    Result,
    counts,
    exit_code,
    expired_waivers,
    fail_on,
    failing_subject_count,
    framework_ids,
    gate,
    is_new,
    new_failure_count,
    severity_counts,
    since_block,
    status_rank,
    tenant_label,
    triage_order,
    waiver_text,
)
from auditor.report._coverage import framework_coverage
from auditor.report._html_assets import CSS, SCRIPT
from auditor.report._html_proof import proof_block
from auditor.report._html_text import evidence as evidence_html
from auditor.report._html_text import markdown, message
from auditor.report.fixfirst import FixItem, fix_first, fix_text, who_text
from auditor.report.products import product_counts
from auditor.vocab import WORST_FIRST, counted

EMBED_ID = "auditor-results"
_EMBED_RE = re.compile(
    r'<script type="application/json" id="' + EMBED_ID + r'"( data-complete="false")?>(.*?)</script>',
    re.DOTALL,
)
#: the results document is embedded whole up to this size; beyond it (a tenant with
#: hundreds of thousands of failing subjects) a shortened copy keeps the page openable
EMBED_MAX_BYTES = 4_000_000
#: a control's status is the worst of its policies', in this order
#: failing subjects listed per policy; the full list is in findings.csv and results.json
SUBJECTS_LISTED = 50
_NEW = '<span class="badge new">NEW</span>'
_PARTIAL = ' data-complete="false"'


_WORST = WORST_FIRST

#: subjects per failing policy on paper (the print style hides the other rows; the screen shows them)
PRINTED_SUBJECTS = 3


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def embed_json(doc: Mapping[str, Any]) -> str:
    """The document as JSON safe inside a <script> element (no ``<`` at all)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def shortened(doc: Doc) -> dict[str, Any]:
    """The document with each result's findings cut to the first :data:`SUBJECTS_LISTED`
    that need attention (what the page shows); counts stay whole."""
    out = dict(doc)
    results = []
    for r in doc["results"]:
        bad = [f for f in r["findings"] or [] if f["status"] != "pass"]
        results.append({**r, "findings": bad[:SUBJECTS_LISTED]})
    out["results"] = results
    return out


def _findings_fit(doc: Doc, limit: int) -> bool:
    """Whether the findings encode within ``limit`` bytes of UTF-8, found by encoding them in
    batches and stopping as soon as they do not: at most ``limit`` bytes are ever encoded to see.

    A first sieve only (the page's JSON is measured again whole), so it uses the fast encoder:
    this pass encoded four megabytes with ``json`` on every large audit, for a yes or no."""
    encode = msgspec.json.Encoder().encode
    size = 0
    for r in doc["results"]:
        findings = r["findings"] or []
        for start in range(0, len(findings), 256):
            size += len(encode(findings[start : start + 256]))
            if size > limit:
                return False
    return True


def _embedded(doc: Doc) -> tuple[str, bool]:
    """(JSON for the page, whether it is the whole document)."""
    if _findings_fit(doc, EMBED_MAX_BYTES):
        whole = embed_json(doc)
        if len(whole) <= EMBED_MAX_BYTES:
            return whole, True
        del whole
    return embed_json(shortened(doc)), False


def extract_results(text: str, source: str = "<html>") -> dict[str, Any]:
    """The results document embedded in a report.html; :class:`InputError` if absent or if
    the page holds only a shortened copy (then results.json is the document to check)."""
    m = _EMBED_RE.search(text)
    if not m:
        raise InputError(f"no embedded results document (script#{EMBED_ID}) found", source=source)
    if m.group(1):
        raise InputError(
            "this report embeds a shortened copy of the results (the audit was too large to embed "
            "whole); check results.json instead",
            source=source,
        )
    from auditor import strictjson

    doc = strictjson.loads(m.group(2), f"{source} (embedded results document)")
    if not isinstance(doc, dict):
        raise InputError("embedded results document is not a JSON object", source=source)
    return doc


def _badge(status: str) -> str:
    return f'<span class="badge s-{e(status)}">{e(STATUS_LABELS.get(status, status))}</span>'


def _sev(severity: str) -> str:
    return f'<span class="sev sev-{e(severity)}">{e(severity)}</span>'


def _pre(value: Any) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    )
    return f"<pre>{e(text)}</pre>"


def _link(url: str) -> str:
    if re.match(r"^https?://", url, re.IGNORECASE):
        return f'<a href="{e(url)}" rel="noopener noreferrer" target="_blank">{e(url)}</a>'
    return e(url)


def _summary(doc: Doc) -> str:
    c = counts(doc)
    cards = "".join(
        f'<div class="card {s}"><div class="n">{c[s]}</div><div class="l">{e(STATUS_LABELS[s])}</div></div>'
        for s in STATUS_ORDER
    )
    total = sum(c.values())
    g = gate(doc)
    sev = " &middot; ".join(f"{_sev(k)} {v}" for k, v in severity_counts(doc).items() if v)
    block = since_block(doc)
    since = (
        f" &middot; gating on <b>{new_failure_count(doc)}</b> policies with new failures since "
        f"{e(block.get('generatedAt', ''))}"
        if block
        else ""
    )
    return (
        f'<div class="verdict {e(g)}"><div class="big">Gate {e(GATE_LABELS.get(g, g.upper()))}</div>'
        f"<div>exit code {exit_code(doc)} &middot; fail-on <b>{e(fail_on(doc))}</b> &middot; "
        f"{total} policies evaluated{since}<br>Failing by severity: {sev or 'none'}</div></div>"
        f'<div class="cards">{cards}</div>'
    )


def _fix_first(doc: Doc) -> str:
    """The ten failures to fix first (by severity and subjects affected), each with who is
    affected (names in full), its one-line fix and a link into the admin portal."""
    fixes = fix_first(doc)
    if not fixes:
        return ""
    rows = "".join(
        f'<tr><td>{_sev(str(item.result["severity"]))}</td><td><a class="pid" href="#{e(_anchor(item.result))}">'
        f"{e(item.result['policyId'])}</a>{' ' + _NEW if item.new else ''}"
        f'<div class="small">{e(item.result["title"])}</div></td>'
        f'<td class="num">{item.affected}</td>'
        f'<td class="who">{_who(item)}</td>'
        f'<td class="fixtext">{e(item.fix)}'
        + (
            f'<div class="portal-line"><a href="{e(item.url)}" class="portal" rel="noopener noreferrer">'
            f"{e(item.portal)}</a></div>"
            if item.url
            else ""
        )
        + f'</td><td class="fwids">{"".join(f"<span class=fw>{e(c)}</span>" for c in framework_ids(item.result))}</td></tr>'
        for item in fixes
    )
    return (
        '<section class="fixfirst"><h2>Fix first</h2><div class="scroll"><table><tr><th>Severity</th>'
        '<th>Policy</th><th class="num">Affected</th><th>Who</th><th>Fix</th><th>Frameworks</th></tr>'
        f"{rows}</table></div></section>"
    )


def _who(item: FixItem) -> str:
    """Who is affected, each name whole (a name never wraps inside, on screen or paper)."""
    if not item.names:
        return e(who_text(item))
    more = item.affected - len(item.names)
    names = ", ".join(f'<span class="nm">{e(name)}</span>' for name in item.names)
    return f"{item.affected} affected: {names}" + (f" and {more} more" if more > 0 else "")


def _products(doc: Doc) -> str:
    """Pass, fail and error counts per product (Entra, Exchange, Defender, ...)."""
    rows = "".join(
        f"<tr><td>{e(product.name)}</td>"
        + "".join(f'<td class="num">{counts.get(s, 0)}</td>' for s in ("pass", "fail", "error"))
        + f'<td class="num">{sum(counts.values())}</td></tr>'
        for product, counts in product_counts(doc["results"])
    )
    return (
        '<section class="products"><h2>By product</h2><div class="scroll"><table><tr><th>Product</th>'
        '<th class="num">Pass</th><th class="num">Fail</th><th class="num">Error</th><th class="num">Policies</th></tr>'
        f"{rows}</table></div></section>"
    )


def _anchor(r: Result) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9_.-]", "_", str(r["policyId"]))


def _meta(doc: Doc) -> str:
    snap = doc["snapshot"]
    tenant = snap["tenant"] or {}
    base = doc["baseline"]
    integ = doc.get("integrity")
    rows = [
        ("Tenant", tenant.get("displayName") or ""),
        ("Tenant ID", tenant.get("id") or ""),
        ("Default domain", tenant.get("defaultDomain") or ""),
        ("Snapshot collected", snap["collectedAt"]),
        ("Snapshot sha256", snap["sha256"]),
        ("Baseline", base["name"] or "none (whole policy set)"),
        ("Baseline sha256", base["sha256"] or ""),
        ("Fail-on", fail_on(doc)),
        (
            "Tool",
            f"{doc['tool']['name']} {doc['tool']['version']}",
        ),
        ("Generated", doc["generatedAt"]),
        (
            "Results integrity",
            f"{integ['algorithm']} {integ['value']}" if integ else "not sealed",
        ),
    ]
    mono = ' class="mono hash"'
    body = "".join(
        f"<tr><td>{e(k)}</td><td{mono if 'sha' in k or 'integrity' in k else ''}>{e(v)}</td></tr>"
        for k, v in rows
        if v
    )
    params = base["params"] or {}
    if params:
        body += f"<tr><td>Baseline params</td><td>{_pre(params)}</td></tr>"
    return f'<div class="scroll"><table class="meta">{body}</table></div>'


def _coverage(doc: Doc) -> str:
    """Per framework: controls mapped, and how many are met, failed, ... (a control
    takes the worst status of the policies mapped to it)."""
    controls: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for r in doc["results"]:
        for key, ids in (r["frameworks"] or {}).items():
            for cid in ids:
                controls.setdefault(key, {}).setdefault(str(cid), []).append(
                    (str(r["policyId"]), str(r["status"]))
                )
    if not controls:
        return '<p class="muted">No policy in this run maps to a framework.</p>'
    covs = framework_coverage(doc)
    head = "".join(f'<th class="num">{e(STATUS_LABELS[s])}</th>' for s in STATUS_ORDER)
    rows, details = [], []
    for key in sorted(controls):
        per: dict[str, int] = dict.fromkeys(STATUS_ORDER, 0)
        lines, unmet = [], []
        cov = covs.get(key)
        for cid in sorted(controls[key], key=_natural):
            pols = sorted(controls[key][cid])
            worst = min((p[1] for p in pols), key=lambda s: _WORST.index(s) if s in _WORST else 99)
            per[worst] = per.get(worst, 0) + 1
            name = cov.framework.control(cid).title if cov else ""
            if worst in ("fail", "error"):
                unmet.append(f'<b class="mono">{e(cid)}</b> {e(name)} ({e(STATUS_LABELS[worst])})')
            lines.append(
                f'<tr><td><span class="mono">{e(cid)}</span>'
                f"{f'<div class=small>{e(name)}</div>' if name else ''}</td><td>{_badge(worst)}</td><td>"
                + ", ".join(f'<span class="mono">{e(p)}</span> {_badge(s)}' for p, s in pols)
                + "</td></tr>"
            )
        cells = "".join(f'<td class="num">{per[s]}</td>' for s in STATUS_ORDER)
        n = len(controls[key])
        of = e(coverage_text(cov)) if cov else f"{n} control{'' if n == 1 else 's'} mapped (no catalogue)"
        manual = (
            f'<div class="small">manual: {e(", ".join(sort_ids(cov.manual_only, cov.framework)))}</div>'
            if cov and cov.manual_only
            else ""
        )
        title = f'<div class="small">{e(cov.framework.title)}</div>' if cov else ""
        rows.append(f'<tr><td><b>{e(key)}</b><div class="small">{of}</div>{manual}{title}</td>{cells}</tr>')
        if unmet:  # on paper the per-control tables are folded away: the controls not met, with titles
            rows.append(
                f'<tr class="print-only unmet"><td colspan="{len(STATUS_ORDER) + 1}">Not met in {e(key)}: '
                + "; ".join(unmet)
                + "</td></tr>"
            )
        details.append(
            f'<details class="ev"><summary>{e(key)}: {len(controls[key])} controls mapped</summary>'
            f"<table><tr><th>Control</th><th>Status</th><th>Policies</th></tr>{''.join(lines)}"
            f"</table></details>"
        )
    return (
        f'<div class="scroll"><table><tr><th>Framework</th>{head}</tr>{"".join(rows)}</table></div>'
        + "".join(details)
    )


def _not_collected(doc: Doc) -> str:
    sources = doc["snapshot"]["sources"] or {}
    bad = sum(1 for v in sources.values() if isinstance(v, Mapping) and v.get("status") != "ok")
    return f' <span class="badge s-other">{bad} not collected</span>' if bad else ""


def _natural(text: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def _sources(doc: Doc) -> str:
    sources = doc["snapshot"]["sources"] or {}
    if not sources:
        return '<p class="muted">The snapshot records no collection status.</p>'
    rows = []
    for name in sorted(sources, key=lambda n: (sources[n].get("status") == "ok", n)):
        s = sources[name] if isinstance(sources[name], Mapping) else {}
        status = str(s.get("status", "?"))
        err = " ".join(
            str(x)
            for x in (f"HTTP {s['httpStatus']}" if s.get("httpStatus") else "", s.get("error") or "")
            if x
        )
        rows.append(
            f'<tr><td class="mono nowrap">{e(name)}</td><td><span class="badge '
            f'{"s-ok" if status == "ok" else "s-other"}">{e(status)}</span></td>'
            f'<td class="num">{e(s.get("count", ""))}</td><td class="mono wrap">{e(s.get("endpoint", ""))}</td>'
            f'<td class="nowrap">{e(s.get("retrievedAt", ""))}</td><td>{e(err)}</td></tr>'
        )
    return (
        '<div class="scroll"><table><tr><th>Collection</th><th>Status</th><th class="num">Objects</th>'
        f"<th>Endpoint</th><th>Retrieved</th><th>Problem</th></tr>{''.join(rows)}</table></div>"
    )


def _findings(doc: Doc, r: Result) -> str:
    """Failing and erroring subjects (the first :data:`SUBJECTS_LISTED`), with evidence;
    waived subjects listed; passing subjects only counted (evidence for them is not needed
    to act, and listing 1.5 million of them makes a page no browser opens)."""
    by_status: dict[str, list[Finding]] = {}
    for f in r["findings"] or ():
        by_status.setdefault(str(f["status"]), []).append(f)
    passing = len(by_status.pop("pass", ()))
    sc = r.get("subjectCounts") or {}
    passing = max(passing, int(sc.get("pass", 0) or 0))
    if not by_status:
        return (
            f'<p class="muted">{counted(passing, "subject passes", "subjects pass")}.</p>' if passing else ""
        )
    total = max(failing_subject_count(r), sum(map(len, by_status.values())))
    # the first SUBJECTS_LISTED by status, then subject: without sorting a million findings
    shown: list[Finding] = []
    for status in sorted(by_status, key=lambda s: (status_rank(s), s)):
        want = SUBJECTS_LISTED - len(shown)
        if want <= 0:
            break
        shown += heapq.nsmallest(want, by_status[status], key=lambda f: str(f["subject"]))
    pid = str(r["policyId"])
    rows = []
    for f in shown:
        status = str(f["status"])
        ev = f.get("evidence")
        ev_html = (
            f'<details class="ev{" bad" if status in ("fail", "error") else ""}"><summary>evidence</summary>'
            f"{evidence_html(ev)}</details>"
            if ev is not None
            else ""
        )
        new = " " + _NEW if status == "fail" and is_new(doc, pid, str(f["subject"])) else ""
        rows.append(
            f'<tr><td class="subject">{e(f["subject"])}{new}</td><td>{_badge(status)}</td>'
            f"<td>{message(f['message'])}{ev_html}</td><td>{e(waiver_text(f.get('waiver')))}</td></tr>"
        )
    more = total - len(shown)
    notes = []
    if more > 0:
        notes.append(f"{more} more not listed here: the full list is in findings.csv and results.json.")
    if passing:
        notes.append(f"{counted(passing, 'subject passes', 'subjects pass')}.")
    note = f'<p class="muted">{" ".join(notes)}</p>' if notes else ""
    if len(shown) > PRINTED_SUBJECTS:
        note += (
            f'<p class="muted print-only">Printed: the first {PRINTED_SUBJECTS} of {total}; the full list '
            "is in findings.csv and results.json.</p>"
        )
    return (
        f'<h3>Subjects ({total} not passing)</h3><div class="scroll"><table class="subjects"><tr><th>Subject</th><th>Status</th>'
        f"<th>Message / evidence</th><th>Waiver</th></tr>{''.join(rows)}</table></div>{note}"
    )


def _result(doc: Doc, r: Result) -> str:
    status = str(r["status"])
    fw = "".join(
        f'<span class="fw">{e(k)}: {e(cid)}</span>'
        for k in sorted(r["frameworks"] or {})
        for cid in r["frameworks"][k]
    )
    kv: list[tuple[str, str]] = []
    for label, text in (("Description", r.get("description")), ("Rationale", r.get("rationale"))):
        if text:
            kv.append((label, markdown(text)))
    if fw:
        kv.append(("Frameworks", fw))
    if r.get("manual"):
        kv.append(("Manual review", markdown(r["manual"])))
    w = r["waiver"]
    if w:
        flag = ' <span class="badge s-fail">EXPIRED</span>' if w["expired"] else ""
        kv.append(("Waiver", e(waiver_text(w)) + flag))
    sc = r.get("subjectCounts")
    if sc:
        kv.append(("Subjects", e(", ".join(f"{k} {v}" for k, v in sorted(sc.items())))))
    if r.get("references"):
        kv.append(("References", "<br>".join(_link(str(u)) for u in r["references"])))
    kv.append(
        (
            "Policy",
            f'<span class="mono hash">{e(r.get("policyFile") or "")} sha256 {e(r["policySha256"])}</span>',
        )
    )
    dl = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in kv)
    fix = fix_text(r)
    rem = (
        f'<h3>Remediation</h3><p class="fix">{e(fix)}</p><pre>{e(str(r["remediation"] or "").rstrip())}</pre>'
        if r["remediation"]
        else ""
    )
    bad = status in ("fail", "error")
    ev = (
        f'<details class="ev{" bad" if bad else ""}"><summary>evidence</summary>{evidence_html(r["evidence"])}</details>'
        if r.get("evidence") is not None
        else ""
    )
    is_open = " open" if bad else ""
    new = " " + _NEW if status == "fail" and is_new(doc, str(r["policyId"])) else ""
    return (
        f'<details id="{e(_anchor(r))}" class="result st-{e(status)}" data-status="{e(status)}"{is_open}>'
        f'<summary>{_badge(status)} {_sev(str(r["severity"]))} <span class="pid">{e(r["policyId"])}</span>{new}'
        f'<span class="title">{e(r["title"])}</span></summary><div class="body">'
        f'<div class="msg">{message(r["message"])}</div>{ev}<dl class="kv">{dl}</dl>{rem}'
        f"{_findings(doc, r)}</div></details>"
    )


def _toolbar(doc: Doc) -> str:
    c = counts(doc)
    boxes = "".join(
        f'<label><input type="checkbox" data-status="{s}" checked> {e(STATUS_LABELS[s])} ({c[s]})</label>'
        for s in STATUS_ORDER
    )
    return (
        f'<div class="toolbar"><input type="search" id="q" placeholder="Filter by text (ID, title, subject)"'
        f' aria-label="filter">{boxes}<button type="button" id="expand">Expand all</button>'
        f'<button type="button" id="collapse">Collapse</button></div>'
    )


def _expired(doc: Doc) -> str:
    expired = expired_waivers(doc)
    if not expired:
        return ""
    items = "".join(
        f'<li><span class="mono">{e(pid)}</span>{" / " + e(s) if s else ""}: {e(waiver_text(w))}</li>'
        for pid, s, w in expired
    )
    return (
        f'<div class="warn"><b>{len(expired)} expired waiver(s) were not applied.</b><ul>{items}</ul></div>'
    )


def render_html(doc: Doc) -> str:
    """The full page as text: the verdict and what to fix first, then every result, then
    coverage; audit details and collection status are folded away at the end."""
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:"
    tenant = doc["snapshot"]["tenant"] or {}
    title = f"Security audit: {tenant.get('displayName') or tenant.get('defaultDomain') or tenant_label(doc)}"
    results = "".join(_result(doc, r) for r in triage_order(doc["results"]))
    fw_keys = sorted({k for r in doc["results"] for k in (r["frameworks"] or {})})
    embedded, complete = _embedded(doc)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="auditor {e(doc["tool"]["version"])}">'
        f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{e(title)}</h1>"
        f'<p class="sub">Microsoft 365 / Entra ID policy audit &middot; snapshot collected '
        f"{e(doc['snapshot']['collectedAt'])} &middot; baseline "
        f"{e(doc['baseline']['name'] or 'none')}</p>"
        f'<section class="exec">{_summary(doc)}{proof_block(doc)}{_products(doc)}{_expired(doc)}{_fix_first(doc)}</section>'
        f'<section class="results"><h2>Results</h2>{_toolbar(doc)}{results}</section>'
        f'<section class="coverage"><h2>Framework coverage</h2>{_coverage(doc)}</section>'
        f'<details class="fold"><summary><h2>Audit details</h2></summary>{_meta(doc)}</details>'
        f'<details class="fold"><summary><h2>Collection status{_not_collected(doc)}</h2></summary>'
        f"{_sources(doc)}</details>"
        f"<footer>Generated by auditor {e(doc['tool']['version'])} at "
        f"{e(doc['generatedAt'])}. Frameworks: {e(', '.join(fw_keys) or 'none')}. "
        "The complete results document is embedded in this file; check it with "
        "<code>auditor verify report.html SNAPSHOT</code>.</footer></main>"
        f'<script type="application/json" id="{EMBED_ID}"{"" if complete else _PARTIAL}>{embedded}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


class HtmlFormat:
    """Self-contained HTML report with the results document embedded."""

    name = "html"
    filename = "report.html"

    def render(self, doc: Doc) -> bytes:
        return render_html(doc).encode("utf-8")


__all__ = ["HtmlFormat", "embed_json", "extract_results", "render_html"]
