"""``--format xlsx`` (action-plan.xlsx) and ``--format ocsf`` (results.ocsf.json).

The OCSF events are checked two ways: against the Compliance Finding model of
py-ocsf-models (Prowler's pydantic models of OCSF 1.5.0, installed with the test extras; no
network), and against the required attributes of the class as OCSF 1.5.0 documents them
(``compliance_finding``: activity_id, category_uid, class_uid, type_uid = class_uid * 100 +
activity_id, time, severity_id, metadata with product.vendor_name and version, finding_info
with uid and title, compliance with standards), which the pydantic models do not all enforce
(they accept extra keys and leave ``compliance.standards`` optional).
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from report_builders import results_doc

from auditor.cli import main
from auditor.report import FORMATS
from auditor.results import seal

XLSX = FORMATS["xlsx"]
OCSF = FORMATS["ocsf"]


def _book(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def _plan(data: bytes) -> list[dict[str, Any]]:
    ws = _book(data)["Action plan"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(policyId, subject) of every row the plan must have."""
    out = []
    for r in doc["results"]:
        if r["status"] not in ("fail", "error"):
            continue
        subjects = [f["subject"] for f in r["findings"] if f["status"] in ("fail", "error")]
        out += [(r["policyId"], s) for s in subjects] or [(r["policyId"], "")]
    return out


def test_action_plan_rows_columns_and_summary() -> None:
    doc = results_doc()
    data = XLSX.render(doc)
    book = _book(data)
    assert book.sheetnames == ["Action plan", "Summary"]
    rows = _plan(data)
    assert sorted((r["Policy ID"], r["Subject"] or "") for r in rows) == sorted(_problems(doc))
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    sevs = [ranks[r["Severity"]] for r in rows]
    assert sevs == sorted(sevs, reverse=True)  # most severe first
    header = list(next(book["Action plan"].iter_rows(values_only=True)))
    assert header[-4:] == ["Owner", "Due date", "Progress", "Notes"]
    assert "Fix" not in header  # no policy in this document has a one-line fix
    for r in rows:
        assert r["Owner"] is None and r["Due date"] is None and r["Progress"] is None
        assert r["Remediation"]  # what to do, on every row
    by_policy = {r["Policy ID"]: r for r in rows}
    admins = next(x for x in doc["results"] if x["policyId"] == "AAD.ADMINS.MFA-REGISTERED")
    assert by_policy["AAD.ADMINS.MFA-REGISTERED"]["Remediation"] == " ".join(admins["remediation"].split())
    summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["Tenant ID"] == doc["snapshot"]["tenant"]["id"]
    assert summary["Gate"] == doc["summary"]["gate"]
    assert summary["Rows in the action plan"] == len(rows)
    keys = [k for k in summary if k and k.strip() in ("critical", "high", "medium", "low", "info")]
    assert [k.strip() for k in keys] == ["critical", "high", "medium", "low", "info"]


def test_action_plan_has_a_fix_column_when_policies_carry_one() -> None:
    doc = results_doc(sealed=False)
    for r in doc["results"]:
        r["fix"] = f"Do the one thing for {r['policyId']}."
    rows = _plan(XLSX.render(doc))
    assert rows and all(r["Fix"] == f"Do the one thing for {r['Policy ID']}." for r in rows)


def test_action_plan_cells_are_text_never_formulas() -> None:
    doc = results_doc()
    data = XLSX.render(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    subjects = [r["Subject"] for r in _plan(data)]
    assert "=cmd|' /C calc'!A0" in subjects  # kept as the text it is
    cell = next(
        c for row in _book(data)["Action plan"].iter_rows() for c in row if c.value == "=cmd|' /C calc'!A0"
    )
    assert cell.data_type == "s"


def test_action_plan_is_deterministic_bytes() -> None:
    doc = results_doc()
    first = XLSX.render(doc)
    assert XLSX.render(copy.deepcopy(doc)) == first
    # generated later from the same snapshot and policies: the same file
    later = {k: copy.deepcopy(v) for k, v in doc.items() if k != "integrity"}
    later["generatedAt"] = "2030-01-01T00:00:00Z"
    assert XLSX.render(seal(later)) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 23, 12, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    stamps = re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core)
    assert stamps == ["2026-11-23T12:00:00Z", "2026-11-23T12:00:00Z"]


def test_action_plan_marks_new_failures() -> None:
    doc = results_doc(sealed=False)
    doc["since"] = {
        "newFailures": {"AAD.ADMINS.MFA-REGISTERED": {"policy": False, "subjects": ["bob@contoso.com"]}},
        "gate": "failed",
        "exitCode": 1,
    }
    rows = _plan(XLSX.render(doc))
    new = {(r["Policy ID"], r["Subject"]) for r in rows if r["New"] == "yes"}
    assert new == {("AAD.ADMINS.MFA-REGISTERED", "bob@contoso.com")}


# --- OCSF -------------------------------------------------------------------------------------

REQUIRED = ("activity_id", "category_uid", "class_uid", "type_uid", "time", "severity_id", "metadata")


def _events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    data = OCSF.render(doc)
    events = json.loads(data)
    assert isinstance(events, list)
    return events


def _check_required(event: dict[str, Any]) -> None:
    for key in REQUIRED:
        assert key in event, key
    assert event["class_uid"] == 2003 and event["category_uid"] == 2
    assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
    assert event["severity_id"] in (0, 1, 2, 3, 4, 5, 6, 99)
    assert event["metadata"]["version"] == "1.5.0"
    assert event["metadata"]["product"]["vendor_name"]
    assert event["finding_info"]["uid"] and event["finding_info"]["title"]
    assert event["compliance"]["standards"]  # required by the class
    assert event["compliance"]["status_id"] in (0, 1, 2, 3, 99)
    assert isinstance(event["time"], int) and event["time"] > 0
    assert event["cloud"]["provider"]  # the cloud profile, listed in metadata.profiles
    assert event["metadata"]["profiles"] == ["cloud"]


def test_ocsf_events_validate_against_the_compliance_finding_model() -> None:
    doc = results_doc()
    events = _events(doc)
    not_passing = sum(
        1 for r in doc["results"] for f in r["findings"] if f["status"] in ("fail", "error", "waived")
    )
    assert len(events) == len(doc["results"]) + not_passing
    for event in events:
        ComplianceFinding.model_validate(event)
        _check_required(event)
    by_control = {}
    for e in events:
        by_control.setdefault(e["compliance"]["control"], []).append(e)
    statuses = {r["policyId"]: r["status"] for r in doc["results"]}
    expected_ids = {"pass": 1, "fail": 3, "error": 0, "manual": 0, "waived": 99, "not_applicable": 99}
    for pid, status in statuses.items():
        policy_event = by_control[pid][0]
        assert policy_event["compliance"]["status_id"] == expected_ids[status]
        assert policy_event["unmapped"]["auditor"]["policyStatus"] == status
    crit = by_control["AAD.ADMINS.MFA-REGISTERED"][0]
    assert crit["severity_id"] == 5 and crit["severity"] == "Critical"


def test_ocsf_a_broken_event_fails_the_checks() -> None:
    """The checks are not vacuous: an event without its compliance object or with a wrong
    type_uid is rejected."""
    event = _events(results_doc())[0]
    broken = {k: v for k, v in event.items() if k != "compliance"}
    with pytest.raises(Exception, match="compliance"):
        ComplianceFinding.model_validate(broken)
    wrong = dict(event, type_uid=200399 + 1)
    with pytest.raises(AssertionError):
        _check_required(wrong)


def test_ocsf_uids_are_stable_and_the_file_deterministic() -> None:
    doc = results_doc()
    first = OCSF.render(doc)
    assert OCSF.render(copy.deepcopy(doc)) == first
    other = results_doc(snapshot_sha="c" * 64)
    a, b = _events(doc), _events(other)
    # a later snapshot of the same tenant: the same finding uids (a SIEM correlates them),
    # other event uids (each run's events are distinct)
    assert [e["finding_info"]["uid"] for e in a] == [e["finding_info"]["uid"] for e in b]
    assert not {e["metadata"]["uid"] for e in a} & {e["metadata"]["uid"] for e in b}
    assert len({e["finding_info"]["uid"] for e in a}) == len(a)
    assert first.startswith(b"[\n{") and first.endswith(b"}\n]\n")


def test_cli_writes_them_on_request_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--demo", "--out", "default", "-q"]) == 1
    written = {p.name for p in (tmp_path / "default").iterdir()}
    assert "action-plan.xlsx" not in written and "results.ocsf.json" not in written
    assert main(["audit", "--demo", "--out", "r", "-q", "--format", "json,xlsx,ocsf"]) == 1
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    xlsx = (tmp_path / "r" / "action-plan.xlsx").read_bytes()
    assert xlsx == XLSX.render(doc)  # from the results document alone
    assert (tmp_path / "r" / "results.ocsf.json").read_bytes() == OCSF.render(doc)
    rows = _plan(xlsx)
    assert sorted((r["Policy ID"], r["Subject"] or "") for r in rows) == sorted(_problems(doc))
    for event in json.loads((tmp_path / "r" / "results.ocsf.json").read_text()):
        ComplianceFinding.model_validate(event)
        _check_required(event)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["audit", "--help"])
    helptext = capsys.readouterr().out
    assert "xlsx" in helptext and "ocsf" in helptext
