"""``action-plan.xlsx``: the failures as a worksheet a team can plan the work in.

Modelled on what ScubaGear's action plan CSV and Maester's Excel export give their users: one
row per failing (or erroring) policy and subject, with the severity, the finding, what to do
and where to read more, then empty columns for the user to fill in (owner, due date,
progress, notes), and a summary sheet that says which tenant, which snapshot and what the gate
decided. Written on request only (``--format xlsx``).

Rendered from the results document alone, and deterministic: the same document gives the
same bytes. The workbook's own timestamps (``docProps/core.xml``) and every zip entry's
date are the snapshot's collection time, never the time of writing, so re-rendering a
``results.json`` reproduces the file exactly.

Tenant text (display names, principal names) is attacker-influenced: every cell is written
as text, never as a formula, so ``=HYPERLINK(...)`` in a display name stays a string.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from auditor.report._common import (
    Doc,
    Result,
    counts,
    fail_on,
    framework_ids,
    gate,
    one_line,
    sev_rank,
    severity_counts,
    since_block,
    status_rank,
    tenant_label,
)
from auditor.vocab import PROBLEM_STATUSES

#: the action plan's columns: (header, width); the last four are the user's to fill in
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Severity", 10),
    ("Policy ID", 34),
    ("Title", 48),
    ("Controls", 24),
    ("Subject", 36),
    ("Status", 8),
    ("New", 6),
    ("Finding", 60),
    ("Fix", 60),  # only when the document's policies carry a one-line ``fix``
    ("Remediation", 80),
    ("Reference", 40),
    ("Owner", 20),
    ("Due date", 12),
    ("Progress", 14),
    ("Notes", 40),
)
USER_COLUMNS = ("Owner", "Due date", "Progress", "Notes")
PROGRESS_CHOICES = ("Not started", "In progress", "Done", "Risk accepted")
#: a worksheet holds 1,048,576 rows: the header, the rows, and one line saying what was left out
MAX_ROWS = 1_048_574
#: a cell holds at most 32,767 characters
MAX_CELL = 32_767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EPOCH_ZIP = (1980, 1, 1, 0, 0, 0)


def _text(value: object) -> str:
    text = _ILLEGAL.sub("", "" if value is None else str(value))
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _collected(doc: Doc) -> datetime:
    """The snapshot's collection time (naive UTC): the workbook's timestamps."""
    raw = str(doc["snapshot"].get("collectedAt") or "")
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return datetime(1980, 1, 1)
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return max(when.replace(microsecond=0), datetime(1980, 1, 1))


def action_rows(doc: Doc) -> Iterator[list[str]]:
    """The action plan's rows (without the user's empty columns): failing and erroring
    policies, one row per failing or erroring subject (one row for a policy without any),
    most severe first, then failures before errors, policy ID and subject."""
    since = since_block(doc)
    results = sorted(
        (r for r in doc["results"] if r["status"] in PROBLEM_STATUSES),
        key=lambda r: (-sev_rank(str(r["severity"])), status_rank(str(r["status"])), str(r["policyId"])),
    )
    with_fix = any(_fix(r) for r in doc["results"])
    for r in results:
        pid = str(r["policyId"])
        entry = since["newFailures"].get(pid) if since else None
        new_subjects = set(entry["subjects"]) if entry else set()
        head = [str(r["severity"]), pid, one_line(r["title"]), ", ".join(framework_ids(r))]
        tail = [*([_fix(r)] if with_fix else []), one_line(r["remediation"]), _reference(r)]
        findings = [f for f in r["findings"] if f["status"] in PROBLEM_STATUSES]
        if not findings:
            new = "yes" if entry is not None and r["status"] == "fail" else ""
            yield [*head, "", str(r["status"]), new, one_line(r["message"]), *tail]
            continue
        for f in sorted(findings, key=lambda f: (status_rank(str(f["status"])), str(f["subject"]))):
            subject = str(f["subject"])
            is_new = (
                f["status"] == "fail" and entry is not None and (entry["policy"] or subject in new_subjects)
            )
            yield [*head, subject, str(f["status"]), "yes" if is_new else "", one_line(f["message"]), *tail]


def _fix(r: Result) -> str:
    """The policy's one-line ``fix``, where the document has one."""
    fix = cast("Mapping[str, Any]", r).get("fix")
    return one_line(fix) if isinstance(fix, str) else ""


def _columns(doc: Doc) -> tuple[tuple[str, int], ...]:
    """The columns of this document's plan: "Fix" only when some policy has a one-line fix
    (else it would repeat the remediation, or stay empty)."""
    if any(_fix(r) for r in doc["results"]):
        return COLUMNS
    return tuple(c for c in COLUMNS if c[0] != "Fix")


def _reference(r: Result) -> str:
    refs = r.get("references") or []
    return str(refs[0]) if refs else ""


def summary_rows(doc: Doc, planned: int) -> list[tuple[str, object]]:
    """The summary sheet: what was audited, what the gate decided, the counts."""
    tenant = doc["snapshot"]["tenant"] or {}
    base = doc.get("baseline") or {}
    rows: list[tuple[str, object]] = [
        ("Tenant", tenant_label(doc)),
        ("Tenant ID", str(tenant.get("id") or "")),
        ("Snapshot collected", str(doc["snapshot"].get("collectedAt") or "")),
        ("Snapshot sha256", str(doc["snapshot"].get("sha256") or "")),
        ("Baseline", str(base.get("name") or "(policies chosen on the command line)")),
        ("Fail on", fail_on(doc)),
        ("Gate", gate(doc)),
        ("Tool", f"{doc['tool']['name']} {doc['tool']['version']}"),
        ("Rows in the action plan", planned),
        ("", ""),
        ("Policies by status", ""),
    ]
    rows += [(f"  {status}", n) for status, n in counts(doc).items()]
    rows.append(("Failing policies by severity", ""))
    rows += [(f"  {sev}", n) for sev, n in severity_counts(doc).items()]
    since = since_block(doc)
    if since:
        rows.append(("New failures since", str(since.get("generatedAt") or since.get("results") or "")))
        rows.append(("Policies with new failures", len(since["newFailures"])))
    return rows


def _cell(ws: Any, value: object, *, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(value, int):
        c = WriteOnlyCell(ws, value=value)
    else:
        c = WriteOnlyCell(ws, value=_text(value))
        c.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        c.font = Font(bold=True)
    return c


def _build(doc: Doc) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    when = _collected(doc)
    wb = Workbook(write_only=True)
    wb.properties.creator = "auditor"
    wb.properties.title = "auditor action plan"
    wb.properties.created = when
    wb.properties.modified = when
    plan = wb.create_sheet("Action plan")
    summary = wb.create_sheet("Summary")
    columns = _columns(doc)
    for i, (_, width) in enumerate(columns, start=1):
        plan.column_dimensions[get_column_letter(i)].width = width
    plan.freeze_panes = "A2"
    last_col = get_column_letter(len(columns))
    progress_col = get_column_letter(1 + [h for h, _ in columns].index("Progress"))
    due_col = get_column_letter(1 + [h for h, _ in columns].index("Due date"))
    choices = DataValidation(type="list", formula1='"' + ",".join(PROGRESS_CHOICES) + '"', allow_blank=True)
    dates = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
    plan.data_validations.append(choices)
    plan.data_validations.append(dates)
    plan.append([_cell(plan, h, bold=True) for h, _ in columns])
    written = 0
    left_out = 0
    for row in action_rows(doc):
        if written >= MAX_ROWS:
            left_out += 1
            continue
        plan.append([_cell(plan, v) for v in row] + [None] * len(USER_COLUMNS))
        written += 1
    if left_out:
        plan.append([_cell(plan, f"{left_out} more rows: see findings.csv and results.json")])
    end = max(written + 1, 2)
    plan.auto_filter.ref = f"A1:{last_col}{end}"
    choices.add(f"{progress_col}2:{progress_col}{end}")
    dates.add(f"{due_col}2:{due_col}{end}")
    summary.column_dimensions["A"].width = 30
    summary.column_dimensions["B"].width = 70
    summary.append([_cell(summary, "auditor action plan", bold=True)])
    for key, value in summary_rows(doc, written):
        summary.append([_cell(summary, key, bold=not key.startswith("  ")), _cell(summary, value)])
    buf = io.BytesIO()
    wb.save(buf)
    return _normalised(buf.getvalue(), when)


def _normalised(data: bytes, when: datetime) -> bytes:
    """The same workbook with fixed timestamps: every zip entry dated ``when`` and the
    document properties' created/modified set to it (openpyxl stamps the time of saving)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    if when.year < 1980:
        date_time = _EPOCH_ZIP
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + stamp.encode() + m.group(2),
                    body,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, body)
    return out.getvalue()


class XlsxFormat:
    """``action-plan.xlsx`` (Office Open XML workbook): an action plan and a summary sheet."""

    name = "xlsx"
    filename = "action-plan.xlsx"

    def render(self, doc: Doc) -> bytes:
        return _build(doc)
