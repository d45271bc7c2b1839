"""``findings.csv``: one row per finding, for spreadsheets and ticketing imports.

A result with no findings (a tenant-wide policy) still gets one row, so the file
lists every policy. Cells are guarded against formula injection: tenant data
(display names, UPNs) is attacker-influenced, and a spreadsheet would evaluate a
cell such as ``=HYPERLINK(...)``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any, BinaryIO

from auditor.report._common import frameworks_text

HEADER = (
    "policyId",
    "title",
    "severity",
    "policyStatus",
    "subject",
    "status",
    "message",
    "waiverReason",
    "waiverExpires",
    "frameworks",
)

#: a cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: object) -> str:
    """Text of a cell, prefixed with ``'`` when a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _waiver(w: Any) -> tuple[str, str]:
    if isinstance(w, Mapping):
        reason = str(w.get("reason", ""))
        if w.get("expired"):
            reason = f"[expired, not applied] {reason}"
        return reason, str(w.get("expires", ""))
    return "", ""


class CsvFormat:
    """RFC 4180 CSV (CRLF line ends, quotes where needed) with a header row."""

    name = "csv"
    filename = "findings.csv"

    def render(self, doc: Mapping[str, Any]) -> bytes:
        buf = io.BytesIO()
        self.write(doc, buf)
        return buf.getvalue()

    def write(self, doc: Mapping[str, Any], fh: BinaryIO) -> None:
        """Stream the rows into ``fh``: a million findings never become one string."""
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=False)
        try:
            self._rows(
                doc, csv.writer(text, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
            )
        finally:
            text.flush()
            text.detach()

    def _rows(self, doc: Mapping[str, Any], writer: Any) -> None:
        writer.writerow(HEADER)
        for r in doc.get("results", []):
            base = [r["policyId"], r["title"], r["severity"], r["status"]]
            fw = frameworks_text(r.get("frameworks"))
            findings = r.get("findings") or []
            if not findings:
                reason, expires = _waiver(r.get("waiver"))
                row = [*base, "", r["status"], r.get("message", ""), reason, expires, fw]
                writer.writerow([guard_cell(c) for c in row])
                continue
            for f in findings:
                reason, expires = _waiver(f.get("waiver") or r.get("waiver"))
                row = [
                    *base,
                    f.get("subject", ""),
                    f.get("status", ""),
                    f.get("message", ""),
                    reason,
                    expires,
                    fw,
                ]
                writer.writerow([guard_cell(c) for c in row])
