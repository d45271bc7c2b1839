"""The fleet roll-up rendered for people: ``fleet.html``, ``fleet.md``, ``fleet.csv`` (and json).

Rendered from the fleet document alone (:mod:`auditor.fleet.rollup`). Every text that came
from a tenant (names, tags, errors, policy titles) is escaped for its format: a vendor's
results document is untrusted input in a CISO's browser.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from typing import Any

FILES = {"json": "fleet.json", "html": "fleet.html", "markdown": "fleet.md", "csv": "fleet.csv"}
ALIASES = {"md": "markdown"}
STATUS_MARK = {"pass": "✓", "fail": "✗", "error": "!", "waived": "w", "manual": "m", "not_applicable": "–"}
SEVERITIES = ("critical", "high", "medium", "low", "info")


def _shown_controls(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The matrix columns: controls that failed or erred somewhere (the rest pass everywhere)."""
    return [c for c in doc["controls"] if c["failed"] or c["errors"]]


def _trend_by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in (doc.get("trend") or {}).get("tenants", [])}


def _trend_text(change: dict[str, Any] | None) -> str:
    if not change or change["failBefore"] is None:
        return "new"
    delta = change["failNow"] - change["failBefore"]
    return "=" if delta == 0 else f"{delta:+d}"


def render_json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def render_markdown(doc: dict[str, Any]) -> bytes:
    s = doc["summary"]
    esc = _md
    lines = [
        f"# Fleet {esc(doc['fleet'])}: exit code {doc['exitCode']}",
        "",
        f"{s['tenants']} tenants: {s['byGate']['failed']} failed, {s['byGate']['incomplete']} incomplete, "
        f"{s['byGate']['error']} not audited, {s['byGate']['passed']} passed. "
        "Failures by severity: "
        + ", ".join(f"{k} {s['failBySeverity'].get(k, 0)}" for k in SEVERITIES)
        + ".",
        "",
        "| Tenant | Gate | Exit | Failing | Critical | High | Trend | Report |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    trend = _trend_by_id(doc) if doc.get("trend") else {}
    for t in doc["tenants"]:
        sev = t.get("failBySeverity") or {}
        gate = t["gate"] if t["gate"] != "error" else f"error: {esc(t.get('error') or '')}"
        link = f"[report]({t['report']})" if t.get("report") else ""
        lines.append(
            f"| {esc(t['name'])} (`{esc(t['id'])}`) | {gate} | {t['exitCode']} | {len(t.get('failing') or [])} | "
            f"{sev.get('critical', 0)} | {sev.get('high', 0)} | {_trend_text(trend.get(t['id'])) if trend else ''} | {link} |"
        )
    lines += [
        "",
        "## Most-failed controls",
        "",
        "| Control | Severity | Tenants failing | Errors |",
        "| --- | --- | --- | --- |",
    ]
    for c in _shown_controls(doc)[:50]:
        lines.append(
            f"| `{esc(c['policyId'])}` {esc(c['title'])} | {c['severity']} | {c['failed']} | {c['errors']} |"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _md(text: str) -> str:
    """Markdown-safe inline text: no table breaks, links, HTML or code spans from tenant data."""
    out = " ".join(str(text).split())
    for ch in "\\|`*_[]()<>#!":
        out = out.replace(ch, "\\" + ch)
    return out


def render_csv(doc: dict[str, Any]) -> bytes:
    """One row per tenant, one column per control that failed somewhere (its status there)."""
    from auditor.report.csvfmt import guard_cell

    controls = _shown_controls(doc)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    head = ["tenant", "name", "tags", "gate", "exitCode", "failing", *SEVERITIES, "error", "report"]
    writer.writerow(head + [c["policyId"] for c in controls])
    for t in doc["tenants"]:
        sev = t.get("failBySeverity") or {}
        row = [
            t["id"],
            t["name"],
            " ".join(t.get("tags") or []),
            t["gate"],
            t["exitCode"],
            len(t.get("failing") or []),
            *(sev.get(k, 0) for k in SEVERITIES),
            t.get("error") or "",
            t.get("report") or "",
        ]
        row += [c["statuses"].get(t["id"], "") for c in controls]
        writer.writerow([guard_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


_CSS = """body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}th.v{writing-mode:vertical-rl;font-weight:normal}
.fail{background:#f8d0d0}.error{background:#fde9b8}.pass{background:#d8f0d8}.gate-failed{color:#a00;font-weight:bold}
.gate-error,.gate-incomplete{color:#a60;font-weight:bold}.m{text-align:center}"""


def render_html(doc: dict[str, Any]) -> bytes:
    """One self-contained offline page: summary, tenants (worst first), the matrix, the controls."""
    e = html.escape
    s = doc["summary"]
    controls = _shown_controls(doc)
    trend = _trend_by_id(doc) if doc.get("trend") else {}
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Fleet {e(doc['fleet'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>Fleet {e(doc['fleet'])}</h1>",
        f"<p>Exit code <b>{doc['exitCode']}</b>. {s['tenants']} tenants: {s['byGate']['failed']} failed, "
        f"{s['byGate']['incomplete']} incomplete, {s['byGate']['error']} not audited, {s['byGate']['passed']} passed. "
        f"Generated {e(doc['generatedAt'])}"
        + (
            f"; compared with the run of {e(str(doc['trend']['previousGeneratedAt']))}"
            if doc.get("trend")
            else ""
        )
        + ".</p>",
        "<table><tr>"
        + "".join(f"<th>{k}</th>" for k in SEVERITIES)
        + "</tr><tr>"
        + "".join(f"<td>{s['failBySeverity'].get(k, 0)}</td>" for k in SEVERITIES)
        + "</tr></table>",
        "<h2>Tenants &times; controls</h2><table><tr><th>Tenant</th><th>Gate</th><th>Failing</th><th>Trend</th>"
        + "".join(f"<th class='v' title='{e(c['title'])}'>{e(c['policyId'])}</th>" for c in controls)
        + "</tr>",
    ]
    for t in doc["tenants"]:
        name = e(t["name"])
        cell = f"<a href='{e(t['report'])}'>{name}</a>" if t.get("report") else name
        gate = e(t["gate"]) + (f": {e(t.get('error') or '')}" if t["gate"] == "error" else "")
        row = f"<tr><td>{cell}<br><small>{e(t['id'])} {e(' '.join(t.get('tags') or []))}</small></td>"
        row += f"<td class='gate-{e(t['gate'])}'>{gate}</td><td>{len(t.get('failing') or [])}</td>"
        row += f"<td>{e(_trend_text(trend.get(t['id']))) if trend else ''}</td>"
        for c in controls:
            st = c["statuses"].get(t["id"], "")
            row += f"<td class='m {e(st)}' title='{e(st)}'>{STATUS_MARK.get(st, '')}</td>"
        parts.append(row + "</tr>")
    parts.append(
        "</table><h2>Most-failed controls</h2><table><tr><th>Control</th><th>Severity</th><th>Tenants failing</th><th>Errors</th></tr>"
    )
    parts.extend(
        f"<tr><td><b>{e(c['policyId'])}</b> {e(c['title'])}</td><td>{e(c['severity'])}</td>"
        f"<td>{c['failed']}</td><td>{c['errors']}</td></tr>"
        for c in controls
    )
    parts.append(
        f"</table><p>{len(doc['controls']) - len(controls)} further controls passed (or did not apply) everywhere.</p></body></html>\n"
    )
    return "".join(parts).encode("utf-8")


RENDERERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "json": render_json,
    "html": render_html,
    "markdown": render_markdown,
    "csv": render_csv,
}


def render(doc: dict[str, Any], fmt: str) -> bytes:
    """``doc`` in ``fmt`` (json, html, markdown/md, csv)."""
    return RENDERERS[ALIASES.get(fmt, fmt)](doc)
