"""``auditor whatif``: offline What If for one user, through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main

from .conftest import GA, ca, ip_location, member, user, where, write_snapshot

EXCL = "g-mfa-excl"


def _snapshot(tmp_path: Path) -> Path:
    data: dict[str, Any] = {
        "users": [
            user("u1", "alice@contoso.com"),
            user("u2", "svc@contoso.com"),
            user("a1", "admin@contoso.com"),
            user("off", "gone@contoso.com", accountEnabled=False),
        ],
        "groups": [{"id": EXCL, "displayName": "MFA exclusions"}],
        "groupMembers": {EXCL: [member("u2")]},
        "roleAssignments": [{"principalId": "a1", "roleDefinitionId": GA, "directoryScopeId": "/"}],
        "conditionalAccessPolicies": [
            ca("CA000 Global MFA", exclude_groups=(EXCL,)),
            ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
            ca(
                "CA100 Admins compliant device",
                include_users=(),
                include_roles=(GA,),
                controls=("compliantDevice",),
            ),
            ca("CA050 Report-only block", controls=("block",), state="enabledForReportingButNotEnforced"),
        ],
    }
    return write_snapshot(tmp_path, data)


def test_whatif_lists_each_policy_with_reason_and_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path)
    assert main(["whatif", str(snap), "--user", "svc@contoso.com"]) == 0
    out = capsys.readouterr().out
    assert "n/a      CA000 Global MFA: require MFA — excludes them through group 'MFA exclusions'" in out
    assert "CA002 Block legacy: block access — does not apply to browsers" in out
    # concept-conditional-access-report-only: report-only policies are evaluated but not enforced
    assert "CA050 Report-only block [enabledForReportingButNotEnforced: not enforced]" in out
    assert out.rstrip().endswith(
        "To sign in: no conditional access requirement: password (or the method the user has) only"
    )


def test_whatif_admin_gets_every_demand_and_legacy_is_blocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = _snapshot(tmp_path)
    assert main(["whatif", str(snap), "--user", "admin@contoso.com"]) == 0
    assert "To sign in: require MFA; and require a compliant device" in capsys.readouterr().out
    assert (
        main(["whatif", str(snap), "--user", "admin@contoso.com", "--client", "exchangeActiveSync", "--json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["outcome"] == "blocked" and doc["client"] == "exchangeActiveSync"
    assert {p["name"]: p["applies"] for p in doc["policies"]}["CA002 Block legacy"] is True


def test_whatif_app_excluded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path)
    doc = json.loads(snap.read_text())
    doc["data"]["conditionalAccessPolicies"][0]["conditions"]["applications"]["excludeApplications"] = [
        "00000002-0000-0ff1-ce00-000000000000"
    ]
    snap.write_text(json.dumps(doc))
    assert (
        main(
            [
                "whatif",
                str(snap),
                "--user",
                "alice@contoso.com",
                "--app",
                "00000002-0000-0ff1-ce00-000000000000",
            ]
        )
        == 0
    )
    assert "does not cover Office 365 Exchange Online" in capsys.readouterr().out


def test_whatif_disabled_and_unknown_users(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _snapshot(tmp_path)
    assert main(["whatif", str(snap), "--user", "gone@contoso.com"]) == 0
    assert "the account is disabled" in capsys.readouterr().out
    assert main(["whatif", str(snap), "--user", "nobody@contoso.com"]) == 2
    assert "no user 'nobody@contoso.com'" in capsys.readouterr().err


def _with(snap: Path, **data: Any) -> Path:
    doc = json.loads(snap.read_text())
    for name, value in data.items():
        doc["data"][name] = value
        doc["sources"][name] = {
            "status": "ok",
            "endpoint": f"GET /{name}",
            "retrievedAt": "2026-11-20T09:00:00Z",
        }
    snap.write_text(json.dumps(doc))
    return snap


def test_whatif_by_location_name_ip_address_and_outcome_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """concept-assignment-network: a policy excluding a named location does not apply from it;
    the outcome without a location says what the policy demands elsewhere."""
    snap = _snapshot(tmp_path)
    doc = json.loads(snap.read_text())
    policies = doc["data"]["conditionalAccessPolicies"]
    policies.append(ca("CA010 Block outside HQ", controls=("block",), locations=where(exclude=("loc-hq",))))
    snap = _with(
        snap, conditionalAccessPolicies=policies, namedLocations=[ip_location("loc-hq", "HQ", "10.1.2.0/24")]
    )
    assert main(["whatif", str(snap), "--user", "svc@contoso.com", "--location", "HQ"]) == 0
    out = capsys.readouterr().out
    assert "CA010 Block outside HQ: block access — does not apply from 'HQ' (10.1.2.0/24)" in out
    assert main(["whatif", str(snap), "--user", "svc@contoso.com", "--location", "192.0.2.7"]) == 0
    assert "To sign in: blocked" in capsys.readouterr().out
    assert main(["whatif", str(snap), "--user", "svc@contoso.com"]) == 0
    assert (
        "only - except only when from an address in no named IP range and in any country: block access"
        in (capsys.readouterr().out)
    )
    assert main(["whatif", str(snap), "--user", "svc@contoso.com", "--location", "Atlantis"]) == 2
    assert "no named location, IP address or country code 'Atlantis'" in capsys.readouterr().err


def test_whatif_shows_an_eligible_admin_before_and_after_activation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """concept-conditional-access-users-groups: role conditions match only active holders, so a
    PIM-eligible Global Administrator gets the admin policy only after activating the role."""
    snap = _with(
        _snapshot(tmp_path),
        roleAssignments=[],
        roleEligibilitySchedules=[{"principalId": "a1", "roleDefinitionId": GA, "directoryScopeId": "/"}],
    )
    assert main(["whatif", str(snap), "--user", "admin@contoso.com", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["state"] == "before activating eligible role 'Global Administrator'"
    assert doc["outcome"] == "require MFA"
    assert doc["activated"]["outcome"] == "require MFA; and require a compliant device"
    assert main(["whatif", str(snap), "--user", "admin@contoso.com"]) == 0
    assert ", after activating eligible role 'Global Administrator':" in capsys.readouterr().out
