"""``findings.csv``: one row per finding, for spreadsheets and ticketing imports.

A result with no findings (a tenant-wide policy) still gets one row, so the file
lists every policy. Cells are guarded against formula injection: tenant data
(display names, UPNs) is attacker-influenced, and a spreadsheet would evaluate a
cell such as ``=HYPERLINK(...)``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from auditor.report._common import (
    Doc,
    Finding,
    Result,
    frameworks_text,
    one_line,
    sev_rank,
    since_block,
    status_rank,
)
from auditor.results.types import WaiverEntry

#: rows per write
_BATCH = 2000
#: characters of the remediation on each row of a per-subject policy
SUBJECT_REMEDIATION = 240

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


def cell(text: str) -> str:
    """One RFC 4180 cell: quoted (quotes doubled) when it holds a comma, quote or line break.

    The same rule as ``csv.writer`` with ``QUOTE_MINIMAL``, written out so that a policy's
    long constant cells (remediation, frameworks) are quoted once per policy, not per row.
    """
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _waiver(w: WaiverEntry | None) -> tuple[str, str]:
    if w:
        reason = w["reason"]
        if w["expired"]:
            reason = f"[expired, not applied] {reason}"
        return reason, w["expires"]
    return "", ""


def _policy_rows(doc: Doc, r: Result, status: str, findings: list[Finding], tail: str) -> Iterator[str]:
    """The rows of one policy with one status, in subject order (the findings' own order)."""
    pid = str(r["policyId"])
    head = ",".join(cell(guard_cell(c)) for c in (r["severity"], pid, r["title"], r["status"]))
    remediation = one_line(r["remediation"])
    if findings:
        remediation = _first_part(remediation)
    policy = ",".join(cell(guard_cell(c)) for c in (remediation, frameworks_text(r["frameworks"])))
    since = since_block(doc)
    entry = since["newFailures"].get(pid) if since else None
    new_policy = entry is not None and entry["policy"]
    new_subjects = frozenset(entry["subjects"]) if entry is not None else frozenset()
    # the cells after the message are the same on every row without a waiver of its own
    after = _after(policy, r["waiver"], tail)
    if not findings:
        mark = "yes" if status == "fail" and entry is not None else ""
        yield _row(head, "", status, mark, str(r["message"]), after)
        return
    for f in findings:
        subject = str(f["subject"])
        mark = "yes" if status == "fail" and (new_policy or subject in new_subjects) else ""
        own = _after(policy, f["waiver"], tail) if f.get("waiver") else after
        yield _row(head, subject, status, mark, str(f["message"]), own)


def _first_part(text: str) -> str:
    """A subject row's remediation: the start of the policy's, up to :data:`SUBJECT_REMEDIATION`
    characters. Why: a first audit of a large tenant lists a million users, and the whole
    text on every row made the file gigabytes for one repeated paragraph; the policy's
    row in results.json and report.html carry it whole."""
    if len(text) <= SUBJECT_REMEDIATION:
        return text
    cut = text.rfind(" ", 0, SUBJECT_REMEDIATION)
    return text[: cut if cut > 0 else SUBJECT_REMEDIATION] + " … (full text: report.html, results.json)"


def _after(policy: str, waiver: WaiverEntry | None, tail: str) -> str:
    """The cells after a row's message: the policy's, the waiver's and the tenant's, and the line end."""
    reason, expires = _waiver(waiver)
    return f"{policy},{cell(guard_cell(reason))},{cell(guard_cell(expires))},{tail}\r\n"


def _row(head: str, subject: str, status: str, new: str, message: str, after: str) -> str:
    return f"{head},{cell(guard_cell(subject))},{status},{new},{cell(guard_cell(message))},{after}"


def iter_rows(doc: Doc) -> Iterator[str]:
    """Every row after the header, sorted by severity (highest first), status, policy ID and
    subject, without building the rows first: results are in policy ID order and each
    result's findings in subject order, so the rows are merged in that order as written."""
    tenant = doc["snapshot"]["tenant"] or {}
    tail = ",".join(
        cell(guard_cell(c))
        for c in (
            tenant.get("displayName") or tenant.get("defaultDomain") or "",
            tenant.get("id") or "",
            doc["snapshot"]["collectedAt"],
        )
    )
    by_severity: dict[int, list[tuple[Result, dict[str, list[Finding]]]]] = {}
    statuses: set[str] = set()
    for r in doc["results"]:
        groups: dict[str, list[Finding]] = {}
        for f in r["findings"]:
            groups.setdefault(str(f["status"]), []).append(f)
        if not groups:
            groups[str(r["status"])] = []
        statuses.update(groups)
        by_severity.setdefault(-sev_rank(str(r["severity"])), []).append((r, groups))
    for _sev, results in sorted(by_severity.items()):
        for status in sorted(statuses, key=lambda s: (status_rank(s), s)):
            for r, groups in results:
                if status in groups:
                    yield from _policy_rows(doc, r, status, groups[status], tail)


class CsvFormat:
    """RFC 4180 CSV (CRLF line ends, quotes where needed) with a header row.

    The file starts with a UTF-8 byte order mark: without it Excel reads the file as the
    local ANSI code page and mangles accented names. Rows are sorted by severity (highest
    first), then status, policy ID and subject; every row carries the remediation (on a
    subject's row its first 240 characters), the framework IDs, the tenant and the
    collection date, so a filtered or pasted extract still says what to do, where and when. Written streaming: a tenant where every user
    fails yields millions of rows, and none of them is held longer than one batch.
    """

    name = "csv"
    filename = "findings.csv"

    def write(self, doc: Doc, fh: BinaryIO) -> None:
        """Write the file into ``fh`` in batches of rows."""
        fh.write("\ufeff".encode() + (",".join(HEADER) + "\r\n").encode("utf-8"))
        batch: list[str] = []
        for row in iter_rows(doc):
            batch.append(row)
            if len(batch) >= _BATCH:
                fh.write("".join(batch).encode("utf-8"))
                batch.clear()
        fh.write("".join(batch).encode("utf-8"))

    def render(self, doc: Doc) -> bytes:
        buf = io.BytesIO()
        self.write(doc, buf)
        return buf.getvalue()
