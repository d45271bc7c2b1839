"""``findings.csv``: one row per finding, for spreadsheets and ticketing imports.

A result with no findings (a tenant-wide policy) still gets one row, so the file
lists every policy. Cells are guarded against formula injection: tenant data
(display names, UPNs) is attacker-influenced, and a spreadsheet would evaluate a
cell such as ``=HYPERLINK(...)``.
"""

from __future__ import annotations

import csv
import io

from auditor.report._common import Doc, Finding, frameworks_text, is_new, one_line, sev_rank, status_rank
from auditor.results.types import WaiverEntry

HEADER = (
    "severity",
    "policyId",
    "title",
    "policyStatus",
    "subject",
    "status",
    "new",
    "message",
    "remediation",
    "frameworks",
    "waiverReason",
    "waiverExpires",
    "tenant",
    "tenantId",
    "collectedAt",
)

#: a cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: object) -> str:
    """Text of a cell, prefixed with ``'`` when a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _waiver(w: WaiverEntry | None) -> tuple[str, str]:
    if w:
        reason = w["reason"]
        if w["expired"]:
            reason = f"[expired, not applied] {reason}"
        return reason, w["expires"]
    return "", ""


def _rows(doc: Doc) -> list[tuple[tuple[int, int, str, str], list[str]]]:
    """(sort key, guarded cells) for every row: each finding, or the policy itself when it
    has none. The policy's own cells are guarded once per policy, not once per subject."""
    tenant = doc["snapshot"]["tenant"] or {}
    tenant_cells = [
        guard_cell(c)
        for c in (
            tenant.get("displayName") or tenant.get("defaultDomain") or "",
            tenant.get("id") or "",
            doc["snapshot"]["collectedAt"],
        )
    ]
    out: list[tuple[tuple[int, int, str, str], list[str]]] = []
    for r in doc["results"]:
        pid = str(r["policyId"])
        head = [guard_cell(c) for c in (r["severity"], pid, r["title"], r["status"])]
        policy_cells = [
            guard_cell(one_line(r["remediation"])),
            guard_cell(frameworks_text(r["frameworks"])),
        ]
        sev = -sev_rank(str(r["severity"]))
        findings: list[Finding | None] = [*r["findings"]] or [None]
        for f in findings:
            status = str(r["status"] if f is None else f["status"])
            subject = "" if f is None else str(f["subject"])
            new = status == "fail" and is_new(doc, pid, subject if f is not None else None)
            reason, expires = _waiver(r["waiver"] if f is None else (f.get("waiver") or r["waiver"]))
            message = r["message"] if f is None else f["message"]
            cells = [
                *head,
                guard_cell(subject),
                status,
                "yes" if new else "",
                guard_cell(message),
                *policy_cells,
                guard_cell(reason),
                guard_cell(expires),
                *tenant_cells,
            ]
            out.append(((sev, status_rank(status), pid, subject), cells))
    out.sort(key=lambda row: row[0])
    return out


class CsvFormat:
    """RFC 4180 CSV (CRLF line ends, quotes where needed) with a header row.

    The file starts with a UTF-8 byte order mark: without it Excel reads the file as the
    local ANSI code page and mangles accented names. Rows are sorted by severity (highest
    first), then status, policy ID and subject; every row carries the remediation, the
    framework IDs, the tenant and the collection date, so a filtered or pasted extract
    still says where and when it comes from.
    """

    name = "csv"
    filename = "findings.csv"

    def render(self, doc: Doc) -> bytes:
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(HEADER)
        writer.writerows(cells for _key, cells in _rows(doc))
        return "\ufeff".encode() + buf.getvalue().encode("utf-8")
