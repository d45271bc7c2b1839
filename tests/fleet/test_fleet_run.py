"""``auditor fleet run`` on a real Dask LocalCluster with two worker processes.

Tenants: one collected from a test server, one whose token the server refuses, one whose
server fails a collection mid-run (HTTP 500 on conditional access), two pre-collected
snapshots. Checks the folders, fleet.json against its schema, the roll-up files, the exit
code, that no credential is written anywhere, and what a second run skips.
"""

from __future__ import annotations

import json

import jsonschema

from auditor.cli import main
from auditor.fleet.rollup import fleet_schema
from tests.fleet.conftest import BADAUTH_ID, FAULTY_ID, GOOD_ID, SNAP_IDS, TOKEN, fleet_tenants, write_fleet

AUDIT_FILES = {
    "results.json",
    "results.sarif",
    "results.junit.xml",
    "summary.md",
    "findings.csv",
    "report.html",
}


def test_fleet_run_isolates_failures_and_rolls_up(tmp_path, servers, demo_snapshot, credentials, capsys):
    fleet = write_fleet(tmp_path / "fleet.yaml", fleet_tenants(servers, demo_snapshot))
    out = tmp_path / "out"

    code = main(["fleet", "run", str(fleet), "--out", str(out), "--workers", "2"])

    # the snapshot tenants fail their gate (the demo tenant has high failures): 1 beats 3
    assert code == 1
    err = capsys.readouterr().err
    assert f"tenants could not be audited: {BADAUTH_ID}" in err
    # collected tenant: what `audit --out` writes, plus the snapshot
    good = out / GOOD_ID
    assert AUDIT_FILES | {"snapshot.json", "fleet-task.json"} <= {p.name for p in good.iterdir()}
    snap = json.loads((good / "snapshot.json").read_text())
    assert snap["sources"]["users"]["status"] == "ok"
    # refused token: no results, the error recorded, the others unaffected
    bad = out / BADAUTH_ID
    assert not (bad / "results.json").exists()
    marker = json.loads((bad / "fleet-task.json").read_text())
    assert "authentication failed" in marker["error"]
    # the fault mid-collection is recorded in the snapshot and makes the tenant's verdicts errors
    faulty = json.loads((out / FAULTY_ID / "snapshot.json").read_text())
    assert faulty["sources"]["conditionalAccessPolicies"]["status"] == "error"
    assert faulty["sources"]["users"]["status"] == "ok"
    for sid in SNAP_IDS:
        assert AUDIT_FILES <= {p.name for p in (out / sid).iterdir()}
        assert not (out / sid / "snapshot.json").exists()  # given, not collected

    doc = json.loads((out / "fleet.json").read_text())
    jsonschema.Draft202012Validator(fleet_schema()).validate(doc)
    assert doc["exitCode"] == 1 and doc["fleet"] == "test-fleet"
    by_id = {t["id"]: t for t in doc["tenants"]}
    assert set(by_id) == {GOOD_ID, BADAUTH_ID, FAULTY_ID, *SNAP_IDS}
    assert by_id[BADAUTH_ID]["gate"] == "error" and by_id[BADAUTH_ID]["exitCode"] == 3
    assert by_id[FAULTY_ID]["counts"]["error"] > 0
    assert by_id[SNAP_IDS[0]]["report"] == f"{SNAP_IDS[0]}/report.html"
    # worst first: every failed-gate tenant before every other
    codes = [t["exitCode"] for t in doc["tenants"]]
    assert codes == sorted(codes, key=lambda c: {1: 0, 3: 1, 0: 2}[c])
    failed = [c["failed"] for c in doc["controls"]]
    assert failed == sorted(failed, reverse=True) and failed[0] >= 2
    assert doc["summary"]["byGate"]["error"] == 1
    assert doc["summary"]["failBySeverity"]["high"] > 0
    assert doc["trend"] is None  # first run

    html = (out / "fleet.html").read_text()
    assert f"href='{SNAP_IDS[0]}/report.html'" in html and "Bad Credentials" in html
    assert "Most-failed controls" in (out / "fleet.md").read_text()
    header = (out / "fleet.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["tenant", "name", "tags", "gate"] and doc["controls"][0]["policyId"] in header
    for path in out.rglob("*"):  # the credential never lands on disk
        if path.is_file():
            assert TOKEN not in path.read_text("utf-8", errors="replace"), path

    # second run: the snapshot tenants are done for the same inputs and skipped; the failed
    # tenant is retried; the finished run's collected tenants are collected afresh
    before = {sid: (out / sid / "results.json").stat().st_mtime_ns for sid in SNAP_IDS}
    good_before = (out / GOOD_ID / "snapshot.json").stat().st_mtime_ns
    code = main(["fleet", "run", str(fleet), "--out", str(out), "--workers", "2"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("(done earlier, skipped)") == 2
    assert {sid: (out / sid / "results.json").stat().st_mtime_ns for sid in SNAP_IDS} == before
    assert (out / GOOD_ID / "snapshot.json").stat().st_mtime_ns != good_before
    second = json.loads((out / "fleet.json").read_text())
    assert second["trend"] is not None and (out / "fleet.previous.json").is_file()
    trend = {t["id"]: t for t in second["trend"]["tenants"]}
    assert trend[SNAP_IDS[0]]["failBefore"] == trend[SNAP_IDS[0]]["failNow"]
