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
import html
import json
import re
from collections.abc import Mapping
from typing import Any

from auditor.errors import InputError
from auditor.report._common import (
    GATE_LABELS,
    STATUS_LABELS,
    STATUS_ORDER,
    counts,
    exit_code,
    expired_waivers,
    fail_on,
    status_rank,
    tenant_label,
    triage_order,
    waiver_text,
)
from auditor.report._html_assets import CSS, SCRIPT

EMBED_ID = "auditor-results"
_EMBED_RE = re.compile(r'<script type="application/json" id="' + EMBED_ID + r'">(.*?)</script>', re.DOTALL)
#: a control's status is the worst of its policies', in this order
_WORST = ("fail", "error", "waived", "manual", "pass", "not_applicable")


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def embed_json(doc: Mapping[str, Any]) -> str:
    """The document as JSON safe inside a <script> element (no ``<`` at all)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def extract_results(text: str, source: str = "<html>") -> dict[str, Any]:
    """The results document embedded in a report.html; :class:`InputError` if absent."""
    m = _EMBED_RE.search(text)
    if not m:
        raise InputError(f"no embedded results document (script#{EMBED_ID}) found", source=source)
    try:
        doc = json.loads(m.group(1))
    except json.JSONDecodeError as exc:
        raise InputError(f"embedded results document is not valid JSON: {exc.msg}", source=source) from None
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


def _summary(doc: Mapping[str, Any]) -> str:
    g = str((doc.get("summary") or {}).get("gate", "incomplete"))
    c = counts(doc)
    cards = "".join(
        f'<div class="card {s}"><div class="n">{c[s]}</div><div class="l">{e(STATUS_LABELS[s])}</div></div>'
        for s in STATUS_ORDER
    )
    total = sum(c.values())
    return (
        f'<div class="verdict {e(g)}"><div class="big">Gate {e(GATE_LABELS.get(g, g.upper()))}</div>'
        f"<div>exit code {exit_code(doc)} &middot; fail-on <b>{e(fail_on(doc))}</b> &middot; "
        f"{total} policies evaluated</div></div>"
        f'<div class="cards">{cards}</div>'
    )


def _meta(doc: Mapping[str, Any]) -> str:
    snap = doc.get("snapshot") or {}
    tenant = snap.get("tenant") or {}
    base = doc.get("baseline") or {}
    integ = doc.get("integrity") or {}
    rows = [
        ("Tenant", tenant.get("displayName") or ""),
        ("Tenant ID", tenant.get("id") or ""),
        ("Default domain", tenant.get("defaultDomain") or ""),
        ("Snapshot collected", snap.get("collectedAt", "")),
        ("Snapshot sha256", snap.get("sha256", "")),
        ("Baseline", base.get("name") or "none (whole policy set)"),
        ("Baseline sha256", base.get("sha256") or ""),
        ("Fail-on", fail_on(doc)),
        (
            "Tool",
            f"{(doc.get('tool') or {}).get('name', 'auditor')} {(doc.get('tool') or {}).get('version', '')}",
        ),
        ("Generated", doc.get("generatedAt", "")),
        (
            "Results integrity",
            f"{integ.get('algorithm', '')} {integ.get('value', '')}".strip() or "not sealed",
        ),
    ]
    mono = ' class="mono"'
    body = "".join(
        f"<tr><td>{e(k)}</td><td{mono if 'sha' in k or 'integrity' in k else ''}>{e(v)}</td></tr>"
        for k, v in rows
        if v
    )
    params = base.get("params") or {}
    if params:
        body += f"<tr><td>Baseline params</td><td>{_pre(params)}</td></tr>"
    return f'<table class="meta">{body}</table>'


def _coverage(doc: Mapping[str, Any]) -> str:
    """Per framework: controls mapped, and how many are met, failed, ... (a control
    takes the worst status of the policies mapped to it)."""
    controls: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for r in doc.get("results", []):
        for key, ids in (r.get("frameworks") or {}).items():
            for cid in ids:
                controls.setdefault(key, {}).setdefault(str(cid), []).append(
                    (str(r["policyId"]), str(r["status"]))
                )
    if not controls:
        return '<p class="muted">No policy in this run maps to a framework.</p>'
    head = "".join(f'<th class="num">{e(STATUS_LABELS[s])}</th>' for s in STATUS_ORDER)
    rows, details = [], []
    for key in sorted(controls):
        per: dict[str, int] = dict.fromkeys(STATUS_ORDER, 0)
        lines = []
        for cid in sorted(controls[key], key=_natural):
            pols = sorted(controls[key][cid])
            worst = min((p[1] for p in pols), key=lambda s: _WORST.index(s) if s in _WORST else 99)
            per[worst] = per.get(worst, 0) + 1
            lines.append(
                f'<tr><td class="mono">{e(cid)}</td><td>{_badge(worst)}</td><td>'
                + ", ".join(f'<span class="mono">{e(p)}</span> {_badge(s)}' for p, s in pols)
                + "</td></tr>"
            )
        cells = "".join(f'<td class="num">{per[s]}</td>' for s in STATUS_ORDER)
        rows.append(f'<tr><td><b>{e(key)}</b></td><td class="num">{len(controls[key])}</td>{cells}</tr>')
        details.append(
            f'<details class="ev"><summary>{e(key)}: {len(controls[key])} controls</summary>'
            f"<table><tr><th>Control</th><th>Status</th><th>Policies</th></tr>{''.join(lines)}"
            f"</table></details>"
        )
    return (
        f'<table><tr><th>Framework</th><th class="num">Controls</th>{head}</tr>{"".join(rows)}</table>'
        + "".join(details)
    )


def _natural(text: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def _sources(doc: Mapping[str, Any]) -> str:
    sources = (doc.get("snapshot") or {}).get("sources") or {}
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
        '<table><tr><th>Collection</th><th>Status</th><th class="num">Objects</th><th>Endpoint</th>'
        f"<th>Retrieved</th><th>Problem</th></tr>{''.join(rows)}</table>"
    )


def _findings(r: Mapping[str, Any]) -> str:
    findings = sorted(
        r.get("findings") or [], key=lambda f: (status_rank(str(f.get("status"))), str(f.get("subject")))
    )
    if not findings:
        return ""
    rows = []
    for f in findings:
        ev = f.get("evidence")
        ev_html = (
            f'<details class="ev"><summary>evidence</summary>{_pre(ev)}</details>'
            if "evidence" in f and ev is not None
            else ""
        )
        w = f.get("waiver")
        rows.append(
            f"<tr><td>{e(f.get('subject'))}</td><td>{_badge(str(f.get('status')))}</td>"
            f"<td>{e(f.get('message'))}{ev_html}</td><td>{e(waiver_text(w))}</td></tr>"
        )
    omitted = int(r.get("findingsOmitted", 0) or 0)
    more = (
        f'<p class="muted">{omitted} further findings omitted from the results document.</p>'
        if omitted
        else ""
    )
    return (
        f"<h3>Findings ({len(findings)})</h3><table><tr><th>Subject</th><th>Status</th><th>Message / evidence"
        f"</th><th>Waiver</th></tr>{''.join(rows)}</table>{more}"
    )


def _result(r: Mapping[str, Any]) -> str:
    status = str(r["status"])
    fw = "".join(
        f'<span class="fw">{e(k)}: {e(cid)}</span>'
        for k in sorted(r.get("frameworks") or {})
        for cid in r["frameworks"][k]
    )
    kv: list[tuple[str, str]] = []
    for label, key in (("Description", "description"), ("Rationale", "rationale")):
        if r.get(key):
            kv.append((label, e(r[key])))
    if fw:
        kv.append(("Frameworks", fw))
    if r.get("manual"):
        kv.append(("Manual review", e(r["manual"])))
    w = r.get("waiver")
    if w:
        flag = ' <span class="badge s-fail">EXPIRED</span>' if w.get("expired") else ""
        kv.append(("Waiver", e(waiver_text(w)) + flag))
    sc = r.get("subjectCounts")
    if sc:
        kv.append(("Subjects", e(", ".join(f"{k} {v}" for k, v in sorted(sc.items())))))
    if r.get("references"):
        kv.append(("References", "<br>".join(_link(str(u)) for u in r["references"])))
    kv.append(
        (
            "Policy",
            f'<span class="mono">{e(r.get("policyFile") or "")} sha256 {e(r.get("policySha256"))}</span>',
        )
    )
    dl = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in kv)
    rem = f"<h3>Remediation</h3>{_pre(str(r.get('remediation') or ''))}" if r.get("remediation") else ""
    ev = (
        f'<details class="ev"><summary>evidence</summary>{_pre(r["evidence"])}</details>'
        if r.get("evidence") is not None
        else ""
    )
    is_open = " open" if status in ("fail", "error") else ""
    return (
        f'<details class="result st-{e(status)}" data-status="{e(status)}"{is_open}>'
        f'<summary>{_badge(status)} {_sev(str(r["severity"]))} <span class="pid">{e(r["policyId"])}</span>'
        f'<span class="title">{e(r["title"])}</span></summary><div class="body">'
        f'<p class="msg">{e(r.get("message"))}</p>{ev}<dl class="kv">{dl}</dl>{rem}{_findings(r)}</div></details>'
    )


def _toolbar(doc: Mapping[str, Any]) -> str:
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


def _expired(doc: Mapping[str, Any]) -> str:
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


def render_html(doc: Mapping[str, Any]) -> str:
    """The full page as text."""
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:"
    tenant = (doc.get("snapshot") or {}).get("tenant") or {}
    title = f"Security audit: {tenant.get('displayName') or tenant.get('defaultDomain') or tenant_label(doc)}"
    results = "".join(_result(r) for r in triage_order(doc.get("results", [])))
    fw_keys = sorted({k for r in doc.get("results", []) for k in (r.get("frameworks") or {})})
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="auditor {e((doc.get("tool") or {}).get("version", ""))}">'
        f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{e(title)}</h1>"
        f'<p class="sub">Microsoft 365 / Entra ID policy audit &middot; snapshot collected '
        f"{e((doc.get('snapshot') or {}).get('collectedAt', ''))} &middot; baseline "
        f"{e((doc.get('baseline') or {}).get('name') or 'none')}</p>"
        f"{_summary(doc)}{_expired(doc)}"
        f"<h2>Audit details</h2>{_meta(doc)}"
        f"<h2>Framework coverage</h2>{_coverage(doc)}"
        f"<h2>Collection status</h2>{_sources(doc)}"
        f"<h2>Results</h2>{_toolbar(doc)}{results}"
        f"<footer>Generated by auditor {e((doc.get('tool') or {}).get('version', ''))} at "
        f"{e(doc.get('generatedAt', ''))}. Frameworks: {e(', '.join(fw_keys) or 'none')}. "
        "The complete results document is embedded in this file; check it with "
        "<code>auditor verify report.html SNAPSHOT</code>.</footer></main>"
        f'<script type="application/json" id="{EMBED_ID}">{embed_json(doc)}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


class HtmlFormat:
    """Self-contained HTML report with the results document embedded."""

    name = "html"
    filename = "report.html"

    def render(self, doc: Mapping[str, Any]) -> bytes:
        return render_html(doc).encode("utf-8")


__all__ = ["HtmlFormat", "embed_json", "extract_results", "render_html"]
