"""The embedded demo tenant (Contoso Pharma): valid, complete, and a demo of every status."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml

from auditor.cli import main
from auditor.snapshot import load_snapshot
from auditor.snapshot.collections import COLLECTIONS

DEMO = Path(str(resources.files("auditor.data").joinpath("demo-snapshot.json")))
WAIVERS = Path(str(resources.files("auditor.data").joinpath("demo-waivers.yaml")))


@pytest.fixture(scope="module")
def snapshot():
    return load_snapshot(DEMO)


def test_demo_snapshot_validates(snapshot) -> None:
    assert snapshot.document["schemaVersion"] == 1
    assert snapshot.tenant["defaultDomain"] == "contosopharma.onmicrosoft.com"
    assert snapshot.collected_at == "2026-11-20T09:30:00Z"


def test_every_collection_is_in_data_or_marked_not_ok(snapshot) -> None:
    for name in COLLECTIONS:
        entry = snapshot.sources.get(name)
        assert entry is not None, f"{name}: no sources entry"
        if entry["status"] == "ok":
            assert name in snapshot.data, f"{name}: marked ok but has no data"
            if isinstance(snapshot.data[name], list):
                assert entry.get("count") == len(snapshot.data[name]), (
                    f"{name}: count does not match the data"
                )
        else:
            assert name not in snapshot.data, f"{name}: {entry['status']} but has data"
    assert set(snapshot.data) <= set(COLLECTIONS)
    assert set(snapshot.sources) <= set(COLLECTIONS)


def test_one_source_is_forbidden_with_its_reason(snapshot) -> None:
    failed = {n: e for n, e in snapshot.sources.items() if e["status"] != "ok"}
    assert list(failed) == ["accessReviews"]
    entry = failed["accessReviews"]
    assert entry["status"] == "forbidden" and entry["httpStatus"] == 403
    assert "AccessReview.Read.All" in entry["error"]


def test_demo_data_is_shaped_like_the_apis(snapshot) -> None:
    data = snapshot.data
    users = data["users"]
    assert 30 <= len(users) <= 50
    assert {u["userType"] for u in users} == {"Member", "Guest"}
    assert any(u["onPremisesSyncEnabled"] is True for u in users)
    assert all("signInActivity" in u for u in users)
    user_ids = {u["id"] for u in users}
    assert {r["id"] for r in data["userRegistrationDetails"]} == user_ids
    # real role template IDs
    role_ids = {r["id"] for r in data["roleDefinitions"]}
    assert "62e90394-69f5-4237-9190-012177145e10" in role_ids
    assert all(a["roleDefinitionId"] in role_ids for a in data["roleAssignments"])
    group_ids = {g["id"] for g in data["groups"]}
    assert all(a["principalId"] in user_ids | group_ids for a in data["roleAssignments"])
    # a role-assignable group holds a role; its members are in groupMembers
    assert any(a["principalId"] in group_ids for a in data["roleAssignments"])
    # persona design: every group a CA policy names has its members collected (an empty one too)
    named = {
        g
        for p in data["conditionalAccessPolicies"]
        for g in p["conditions"]["users"]["includeGroups"] + p["conditions"]["users"]["excludeGroups"]
    }
    assert named <= set(data["groupMembers"])
    assert [] in [data["groupMembers"][g] for g in named]
    # conditional access: Graph's nulls and report-only states kept
    states = {p["state"] for p in data["conditionalAccessPolicies"]}
    assert {"enabled", "enabledForReportingButNotEnforced", "disabled"} <= states
    assert any(p["grantControls"] is None for p in data["conditionalAccessPolicies"])
    # Exchange and Purview objects keep PowerShell's PascalCase names
    assert data["exchangeAdminAuditLogConfig"]["UnifiedAuditLogIngestionEnabled"] is True
    assert data["exchangeOrganizationConfig"]["AuditDisabled"] is False


def test_demo_waivers_file_is_well_formed() -> None:
    doc = yaml.safe_load(WAIVERS.read_text("utf-8"))
    assert len(doc["waivers"]) >= 1
    for waiver in doc["waivers"]:
        assert {"policy", "reason", "owner", "expires"} <= set(waiver)


def _audit(tmp_path: Path, *extra: str) -> dict:
    code = main(["audit", "--demo", "--out", str(tmp_path), "--format", "json", *extra])
    assert code in (0, 1, 3)
    return json.loads((tmp_path / "results.json").read_text("utf-8"))


def test_demo_audit_produces_every_status(tmp_path: Path) -> None:
    doc = _audit(tmp_path)
    statuses = {r["status"] for r in doc["results"]}
    assert {"pass", "fail", "error", "waived", "manual", "not_applicable"} <= statuses
    summary = doc["summary"]
    assert summary["pass"] >= 5 and summary["fail"] >= 5
    assert summary["gate"] == "failed"
    assert any(r["status"] == "fail" and r["severity"] in ("critical", "high") for r in doc["results"])
    errors = [r for r in doc["results"] if r["status"] == "error"]
    assert errors and all("accessReviews" in (r.get("message") or "") for r in errors)


def test_demo_audit_tells_the_story(tmp_path: Path) -> None:
    results = {r["policyId"]: r for r in _audit(tmp_path)["results"]}
    expected = {
        "AUDIT.UNIFIED-AUDIT-LOG.ENABLED": "pass",  # UAL on
        "AUDIT.MAILBOX-AUDITING.ENABLED": "pass",
        "AUDIT.RETENTION.MINIMUM": "fail",  # 180 days on an E3 tenant
        "AUDIT.ENTRA-LOGS.STREAMED": "fail",  # NonInteractiveUserSignInLogs only archived
        "AUDIT.MAILBOX-AUDIT-BYPASS.NONE": "fail",  # svc-mailarchiver
        "AAD.MFA.ALL-USERS": "fail",  # report-only pilot
        "AAD.LEGACY-AUTH.BLOCKED": "waived",  # printers' service account excluded, waived
        "AAD.ROLES.ADMIN-PHISHING-RESISTANT-METHODS": "fail",  # one admin without a key
        "AAD.APPS.PASSWORD-ADDITION-BLOCKED": "pass",  # new client secrets are blocked outright,
        "AAD.APPS.PASSWORD-LIFETIME-RESTRICTED": "not_applicable",  # so a lifetime cap does not apply
        # near-real-time logging: DLP.All never subscribed, the SharePoint feed stale since 02:10
        "AUDIT.MGMT-ACTIVITY.CONTENT-TYPES-ENABLED": "fail",
        "AUDIT.LOGS.FLOWING": "fail",
        "AUDIT.SENTINEL.CONNECTORS-CONNECTED": "pass",
    }
    for policy_id, status in expected.items():
        if policy_id in results:
            assert results[policy_id]["status"] == status, policy_id
    if "AUDIT.ENTRA-LOGS.STREAMED" in results:
        assert "NonInteractiveUserSignInLogs" in results["AUDIT.ENTRA-LOGS.STREAMED"]["message"]
    if "AUDIT.MAILBOX-AUDIT-BYPASS.NONE" in results:
        findings = results["AUDIT.MAILBOX-AUDIT-BYPASS.NONE"]["findings"]
        assert [f["subject"] for f in findings if f["status"] == "fail"] == ["svc-mailarchiver"]


def test_demo_judges_locations_and_eligible_admins_as_conditional_access_does(tmp_path: Path) -> None:
    """The printers' egress /28 lies inside the HQ/Stein location (concept-assignment-network: a
    sign-in has one address, in every range containing it), and adm-fmeier is an eligible-only
    Exchange Administrator judged before activation too (concept-conditional-access-users-groups:
    role conditions match active holders only)."""
    results = {r["policyId"]: r for r in _audit(tmp_path)["results"]}
    legacy = results["AAD.LEGACY-AUTH.BLOCKED"]["message"]
    assert (
        "from 'Stein plant printers egress' (203.0.113.128/28), which is inside 'Basel HQ and Stein plant egress'"
        in (legacy)
    )
    session = results["AAD.SESSION.ADMIN-SIGNIN-FREQUENCY"]
    assert session["status"] == "fail"
    assert "adm-fmeier@contosopharma.com" in session["message"]
    assert "before activating eligible role 'Exchange Administrator'" in session["message"]
    assert (
        results["AAD.MFA.ADMINS"]["status"] == "pass"
    )  # covered by the internals policy before, CA100 after


def test_demo_shows_a_stale_feed_and_a_missing_content_type(tmp_path: Path) -> None:
    results = {r["policyId"]: r for r in _audit(tmp_path)["results"]}
    failing = {
        policy: {f["subject"]: f["message"] for f in results[policy]["findings"] if f["status"] == "fail"}
        for policy in ("AUDIT.MGMT-ACTIVITY.CONTENT-TYPES-ENABLED", "AUDIT.LOGS.FLOWING")
    }
    assert list(failing["AUDIT.MGMT-ACTIVITY.CONTENT-TYPES-ENABLED"]) == ["DLP.All"]
    flowing = failing["AUDIT.LOGS.FLOWING"]
    assert sorted(flowing) == ["Audit.SharePoint", "DLP.All"]
    # collectedAt 09:30, newest SharePoint blob 02:10:47 -> 439 whole minutes
    assert "439 minutes old (limit 60)" in flowing["Audit.SharePoint"]
    assert "no enabled Management Activity subscription" in flowing["DLP.All"]


def test_demo_audit_with_the_rollout_gate(tmp_path: Path) -> None:
    doc = _audit(tmp_path, "--baseline", "rollout-gate")
    assert doc["baseline"]["name"] == "rollout-gate"
    statuses = {r["status"] for r in doc["results"]}
    assert {"pass", "fail", "error", "waived"} <= statuses
    assert doc["summary"]["gate"] == "failed"


def test_demo_tenant_has_exchange_sharepoint_teams_and_dns(snapshot) -> None:
    """Exchange through the admin API, SharePoint from its REST endpoint, Purview and Teams imported
    from PowerShell, DNS TXT records for every accepted domain."""
    sources, data = snapshot.sources, snapshot.data
    assert sources["exchangeTransportConfig"]["endpoint"].endswith("InvokeCommand Get-TransportConfig")
    assert (
        sources["authenticationMethodsPolicy"]["endpoint"] == "GET /beta/policies/authenticationMethodsPolicy"
    )
    for name in ("teamsMeetingPolicies", "complianceDlpCompliancePolicies"):
        assert sources[name]["endpoint"] == "import" and sources[name]["importedFrom"] == f"{name}.json"
    assert isinstance(data["sharepointTenant"]["SharingCapability"], int)  # enums as integers
    domains = {d["DomainName"] for d in data["exchangeAcceptedDomains"]}
    assert {f"_dmarc.{d}" for d in domains} <= set(data["dnsTxtRecords"])


def test_demo_audit_tells_the_exchange_sharepoint_teams_story(tmp_path: Path) -> None:
    results = {r["policyId"]: r for r in _audit(tmp_path)["results"]}
    expected = {
        "EXO.SMTP-AUTH.DISABLED": "fail",  # a legacy scanner still sends with SMTP AUTH
        "EXO.EXTERNAL-SENDER.TAGGED-BY-RULE": "pass",
        "EXO.DMARC.PUBLISHED": "fail",  # the onmicrosoft.com domain has none
        "EXO.DMARC.REJECT": "fail",  # p=quarantine
        "EXO.DKIM.ENABLED": "fail",  # lab.contosopharma.com not signed
        "DEFENDER.SAFE-LINKS.ENABLED": "pass",  # built-in protection
        "DEFENDER.CONNECTION-FILTER.NO-IP-ALLOW-LIST": "fail",
        "PURVIEW.DLP.SENSITIVE-TYPES": "pass",
        "PURVIEW.DLP.ALL-LOCATIONS": "fail",  # no Teams or devices
        "SPO.SHARING.SHAREPOINT-LIMITED": "fail",  # new and existing guests
        "SPO.ANYONE-LINKS.EXPIRE-30-DAYS": "not_applicable",  # Anyone links are off
        "TEAMS.MEETINGS.RECORDING-DISABLED": "fail",
        "TEAMS.UNMANAGED.NO-INBOUND": "fail",
        "TEAMS.MEETINGS.ANONYMOUS-CANNOT-START": "pass",
        "PURVIEW.DLP.RESTRICTED-APPS": "manual",
    }
    assert {k: results[k]["status"] for k in expected} == expected
    dkim = {f["subject"]: f["status"] for f in results["EXO.DKIM.ENABLED"]["findings"]}
    assert dkim.get("lab.contosopharma.com") == "fail"


def test_demo_results_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Same snapshot, policies and baseline give the same results, whatever Python's hash seed
    (set iteration order must never leak into names listed in messages)."""
    import os
    import subprocess
    import sys

    documents = []
    for seed in ("1", "3"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed, "AUDITOR_CACHE_DIR": "off"}
        subprocess.run(
            [sys.executable, "-m", "auditor", "audit", "--demo", "--format", "json", "--out", str(out), "-q"],
            env=env,
            capture_output=True,
            check=False,
        )
        doc = json.loads((out / "results.json").read_text("utf-8"))
        doc.pop("generatedAt", None)
        documents.append(doc)
    assert documents[0] == documents[1]
