"""The near-real-time logging collections against the local server: Management Activity API
subscriptions, the newest record of every audit feed, and Sentinel data connectors, through
the real credential and request paths, with paging, faults and imports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.snapshot import load_snapshot
from tests.collect.conftest import SECRET_TOKEN, cli_args, run_collect
from tests.graphserver import TENANT_ID, Fault, GraphServer
from tests.graphserver.feeds import CONTENT_PAGE, WORKSPACE, make_feeds

LOGGING = ["managementActivitySubscriptions", "recentAuditActivity", "sentinelDataConnectors"]


def _requests(server: GraphServer, fragment: str) -> list[dict[str, Any]]:
    return [r for r in server.requests if fragment in r["path"]]


def test_subscriptions_and_connectors_are_collected_verbatim(server: GraphServer, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    run_collect(server, LOGGING, out=out)
    snap = load_snapshot(out)
    assert snap.data["managementActivitySubscriptions"] == server.tenant["managementActivitySubscriptions"]
    assert snap.sources["managementActivitySubscriptions"]["endpoint"] == (
        "GET /api/v1.0/{tenantId}/activity/feed/subscriptions/list"
    )
    assert snap.data["sentinelDataConnectors"] == server.tenant["sentinelDataConnectors"]
    entry = snap.sources["sentinelDataConnectors"]
    assert entry["pages"] == 2  # one connector per page: the ARM nextLink was followed
    assert entry["workspaces"] == {WORKSPACE: "ok"}
    connectors = _requests(server, "/providers/Microsoft.SecurityInsights/dataConnectors")
    assert connectors[0]["path"] == f"{WORKSPACE}/providers/Microsoft.SecurityInsights/dataConnectors"
    assert connectors[0]["query"]["api-version"] == ["2024-03-01"]
    assert all(r["authorized"] for r in server.requests)
    # the subscription list is read once although recentAuditActivity reads it too
    assert len(_requests(server, "/subscriptions/list")) == 1
    assert len(_requests(server, "/diagnosticSettings")) == 1


def test_recent_activity_holds_the_newest_record_of_every_feed(server: GraphServer) -> None:
    doc = run_collect(server, ["recentAuditActivity"])
    assert set(doc["data"]) == {"recentAuditActivity"}  # the prerequisite is read, not written
    recent = doc["data"]["recentAuditActivity"]
    newest_audit = max(server.tenant["directoryAudits"], key=lambda r: r["activityDateTime"])
    newest_sign_in = max(server.tenant["signIns"], key=lambda r: r["createdDateTime"])
    assert recent["directoryAudits"]["status"] == "ok"
    assert recent["directoryAudits"]["value"] == [newest_audit]
    assert recent["signIns"]["value"] == [newest_sign_in]
    audits = _requests(server, "/auditLogs/directoryAudits")[0]["query"]
    assert audits["$top"] == ["1"] and audits["$orderby"] == ["activityDateTime desc"]
    assert _requests(server, "/auditLogs/signIns")[0]["query"]["$orderby"] == ["createdDateTime desc"]
    # only enabled subscriptions are listed (DLP.All is disabled on the server)
    assert sorted(recent["contentTypes"]) == [
        "Audit.AzureActiveDirectory",
        "Audit.Exchange",
        "Audit.General",
        "Audit.SharePoint",
    ]
    for content_type, part in recent["contentTypes"].items():
        blobs = server.tenant["activityContent"][content_type]
        assert part["status"] == "ok"
        assert part["count"] == len(blobs)
        assert part["newest"] == max(blobs, key=lambda b: b["contentCreated"])
        assert part["pages"] == -(-len(blobs) // CONTENT_PAGE)  # every NextPageUri followed
        start = datetime.fromisoformat(part["startTime"])
        assert datetime.fromisoformat(part["endTime"]) - start == timedelta(hours=24)
    listing = _requests(server, "/subscriptions/content")[0]
    assert listing["path"] == f"/api/v1.0/{TENANT_ID}/activity/feed/subscriptions/content"
    assert doc["sources"]["recentAuditActivity"]["parts"]["Audit.Exchange"] == "ok"


def test_a_forbidden_feed_is_recorded_in_its_part_and_others_still_answer(server: GraphServer) -> None:
    server.add_fault("recentAuditActivity.signIns", Fault.licence())
    server.add_fault("content:Audit.Exchange", Fault.throttle(0, times=1))
    doc = run_collect(server, ["recentAuditActivity"])
    recent = doc["data"]["recentAuditActivity"]
    assert recent["signIns"]["status"] == "not_licensed"
    assert "value" not in recent["signIns"]
    assert "premium license" in recent["signIns"]["error"]
    assert recent["directoryAudits"]["status"] == "ok"
    assert recent["contentTypes"]["Audit.Exchange"]["status"] == "ok"
    assert recent["contentTypes"]["Audit.Exchange"]["retries"] == 1
    assert doc["sources"]["recentAuditActivity"]["status"] == "ok"
    assert doc["sources"]["recentAuditActivity"]["parts"]["signIns"] == "not_licensed"


def test_a_malformed_content_listing_is_an_error_in_its_part(server: GraphServer) -> None:
    server.add_fault("content:Audit.General", Fault("malformed"))
    doc = run_collect(server, ["recentAuditActivity"])
    part = doc["data"]["recentAuditActivity"]["contentTypes"]["Audit.General"]
    assert part["status"] == "error" and "malformed JSON" in part["error"]
    assert "newest" not in part and "count" not in part


def test_dlp_content_forbidden_names_the_dlp_permission() -> None:
    with GraphServer(users=5, token=SECRET_TOKEN) as srv:
        for sub in srv.tenant["managementActivitySubscriptions"]:
            sub["status"] = "enabled"
        srv.add_fault("content:DLP.All", Fault.forbidden())
        doc = run_collect(srv, ["recentAuditActivity"])
    dlp = doc["data"]["recentAuditActivity"]["contentTypes"]["DLP.All"]
    assert dlp["status"] == "forbidden" and "newest" not in dlp
    assert "ActivityFeed.ReadDlp (Office 365 Management APIs)" in dlp["error"]
    assert dlp["endpoint"].endswith("contentType=DLP.All")


def test_no_feed_answering_fails_the_collection(server: GraphServer) -> None:
    server.add_fault("recentAuditActivity.directoryAudits", Fault.forbidden())
    server.add_fault("recentAuditActivity.signIns", Fault.forbidden())
    server.add_fault("managementActivitySubscriptions", Fault.forbidden())
    doc = run_collect(server, LOGGING)
    assert "recentAuditActivity" not in doc["data"]
    assert "managementActivitySubscriptions" not in doc["data"]
    entry = doc["sources"]["recentAuditActivity"]
    assert entry["status"] == "forbidden" and entry["httpStatus"] == 403
    assert "AuditLog.Read.All" in entry["error"]
    subs = doc["sources"]["managementActivitySubscriptions"]
    assert subs["status"] == "forbidden"
    assert "ActivityFeed.Read (Office 365 Management APIs)" in subs["error"]


def test_sentinel_faults(server: GraphServer) -> None:
    server.add_fault("sentinelDataConnectors", Fault.forbidden())
    doc = run_collect(server, ["sentinelDataConnectors"])
    entry = doc["sources"]["sentinelDataConnectors"]
    assert entry["status"] == "forbidden" and "sentinelDataConnectors" not in doc["data"]
    assert WORKSPACE in entry["error"] and entry["workspaces"] == {WORKSPACE: "forbidden"}


def test_a_workspace_without_sentinel_adds_no_connectors() -> None:
    with GraphServer(users=5, token=SECRET_TOKEN) as srv:
        srv.tenant["sentinelWorkspaces"] = {}
        doc = run_collect(srv, ["sentinelDataConnectors"])
    assert doc["data"]["sentinelDataConnectors"] == []
    assert doc["sources"]["sentinelDataConnectors"]["workspaces"] == {WORKSPACE: "not_supported"}


def test_diagnostic_settings_failing_fails_sentinel_with_the_reason(server: GraphServer) -> None:
    server.add_fault("entraDiagnosticSettings", Fault("status", 403, "AuthorizationFailed", "no read"))
    doc = run_collect(server, ["entraDiagnosticSettings", "sentinelDataConnectors"])
    entry = doc["sources"]["sentinelDataConnectors"]
    assert entry["status"] == "forbidden"
    assert "entraDiagnosticSettings" in entry["error"]
    assert len(_requests(server, "/diagnosticSettings")) == 1  # reused, not asked twice


def test_cli_collects_the_feeds_and_imports_an_az_rest_page(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    out = tmp_path / "s.json"
    assert main(cli_args(server, out, "--sources", "managementActivitySubscriptions")) == 0
    page = tmp_path / "connectors.json"
    page.write_text(json.dumps({"value": server.tenant["sentinelDataConnectors"]}), encoding="utf-8")
    assert main(["import", str(out), f"sentinelDataConnectors={page}"]) == 0
    snap = load_snapshot(out)
    assert snap.data["sentinelDataConnectors"] == server.tenant["sentinelDataConnectors"]
    assert snap.sources["sentinelDataConnectors"]["importedFrom"] == "connectors.json"
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"value": [], "nextLink": "https://management.azure.com/x"}))
    assert main(["import", str(out), f"sentinelDataConnectors={partial}"]) == 2


def test_imported_diagnostic_settings_name_the_workspaces(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    settings = tmp_path / "diag.json"
    settings.write_text(json.dumps(server.tenant["entraDiagnosticSettings"]), encoding="utf-8")
    out = tmp_path / "s.json"
    args = cli_args(
        server, out, "--sources", "sentinelDataConnectors", "--import", f"entraDiagnosticSettings={settings}"
    )
    assert main(args) == 0
    assert not _requests(server, "/diagnosticSettings")
    assert load_snapshot(out).data["sentinelDataConnectors"] == server.tenant["sentinelDataConnectors"]


def _audit_logging(snapshot: Path, reports: Path) -> dict[str, Any]:
    policies = Path(__file__).resolve().parents[2] / "policies" / "audit"
    code = main(["audit", str(snapshot), "--policies", str(policies), "--out", str(reports), "--quiet"])
    assert code in (0, 1)
    doc = json.loads((reports / "results.json").read_text("utf-8"))
    return {r["policyId"]: r for r in doc["results"]}


def test_collected_feeds_are_judged_end_to_end(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Collector output and policies agree: fresh feeds pass, DLP.All (disabled on the server) fails."""
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    out = tmp_path / "s.json"
    sources = (
        "managementActivitySubscriptions,recentAuditActivity,sentinelDataConnectors,entraDiagnosticSettings"
    )
    assert main(cli_args(server, out, "--sources", sources)) == 0
    results = _audit_logging(out, tmp_path / "r")
    assert results["AUDIT.SENTINEL.CONNECTORS-CONNECTED"]["status"] == "pass"
    for policy in ("AUDIT.MGMT-ACTIVITY.CONTENT-TYPES-ENABLED", "AUDIT.LOGS.FLOWING"):
        findings = {f["subject"]: f["status"] for f in results[policy]["findings"]}
        assert results[policy]["status"] == "fail"
        assert {s for s, status in findings.items() if status != "pass"} == {"DLP.All"}, policy


def test_a_stale_tenant_fails_and_a_forbidden_feed_errors_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    with GraphServer(users=5, token=SECRET_TOKEN) as srv:
        srv.tenant.update(make_feeds(datetime.now(UTC) - timedelta(hours=3)))  # nothing newer than 3 h
        srv.add_fault("recentAuditActivity.signIns", Fault.licence())
        out = tmp_path / "s.json"
        assert main(cli_args(srv, out, "--sources", "recentAuditActivity")) == 0
    flowing = _audit_logging(out, tmp_path / "r")["AUDIT.LOGS.FLOWING"]
    findings = {f["subject"]: f for f in flowing["findings"]}
    assert flowing["status"] == "fail"
    assert findings["directoryAudits"]["status"] == "fail"
    assert "minutes old (limit 60)" in findings["directoryAudits"]["message"]
    assert findings["Audit.Exchange"]["status"] == "fail"
    assert findings["signIns"]["status"] == "error"
    assert "not_licensed" in findings["signIns"]["message"]


def test_permissions_name_the_feed_permissions_and_the_sentinel_role(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["permissions", "--baseline", "rollout-gate", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {c["name"]: c for c in doc["collections"]}
    assert rows["managementActivitySubscriptions"]["permissions"] == [
        "ActivityFeed.Read (Office 365 Management APIs)"
    ]
    assert "AuditLog.Read.All" in rows["recentAuditActivity"]["permissions"]
    assert "Microsoft Sentinel Reader" in rows["sentinelDataConnectors"]["azureRole"]
    assert rows["sentinelDataConnectors"]["licence"] == "Microsoft Sentinel on the Log Analytics workspace"
    assert "ActivityFeed.ReadDlp (Office 365 Management APIs)" in doc["applicationPermissions"]


def test_prerequisites_selected_too_are_awaited_not_refetched_even_one_at_a_time(
    server: GraphServer,
) -> None:
    names = [*LOGGING, "entraDiagnosticSettings"]
    doc = run_collect(server, names, concurrency=1)
    assert {doc["sources"][n]["status"] for n in names} == {"ok"}
    assert len(_requests(server, "/subscriptions/list")) == 1
    assert len(_requests(server, "/diagnosticSettings")) == 1
