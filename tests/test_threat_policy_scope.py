"""Defender threat policies and Teams controls judged from imported PowerShell exports, end to end.

The rule collections (``Get-AntiPhishRule``, ``Get-SafeAttachmentRule``, ``Get-ATPBuiltInProtectionRule``, ...) and
the Teams org-wide app settings come in through ``auditor import`` as ``ConvertTo-Json`` writes them (a single
object for one result, an array for several); the audit then judges each policy by whom its rules reach.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.cli import main
from auditor.snapshot import load_snapshot

DEMO = Path(str(resources.files("auditor.data").joinpath("demo-snapshot.json")))

_EMPTY_SCOPE = {
    "SentTo": None,
    "SentToMemberOf": None,
    "RecipientDomainIs": None,
    "ExceptIfSentTo": None,
    "ExceptIfSentToMemberOf": None,
    "ExceptIfRecipientDomainIs": None,
}


def _preset_rule(kind: str, **scope: Any) -> dict[str, Any]:
    return {
        "Identity": f"{kind} Preset Security Policy",
        "Name": f"{kind} Preset Security Policy",
        "State": "Enabled",
        "Priority": 1,
        **_EMPTY_SCOPE,
        **scope,
    }


def _import(tmp_path: Path, snapshot: Path, **collections: Any) -> None:
    args = ["import", str(snapshot)]
    for name, value in collections.items():
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(value, indent=4), "utf-8")
        args.append(f"{name}={f}")
    assert main(args) == 0


def _audit(tmp_path: Path, snapshot: Path) -> dict[str, dict[str, Any]]:
    out = tmp_path / "out"
    assert main(["audit", str(snapshot), "--out", str(out), "--format", "json"]) in (0, 1, 3)
    doc = json.loads((out / "results.json").read_text("utf-8"))
    return {r["policyId"]: r for r in doc["results"]}


def _snapshot(tmp_path: Path) -> Path:
    snap = tmp_path / "tenant.json"
    shutil.copyfile(DEMO, snap)
    return snap


def test_a_preset_scoped_to_one_mailbox_protects_only_that_mailbox(tmp_path: Path) -> None:
    """The demo's default anti-phishing policy does not protect the organisation's domains; a Standard preset that
    does, but whose Defender rule reaches one mailbox, must not pass MS.SECURITYSUITE.2.2 (ScubaGear
    PresetPolicyCoversAllRecipients), while the same preset for everyone passes."""
    snap = _snapshot(tmp_path)
    demo = load_snapshot(DEMO).data
    default = {**demo["exchangeAntiPhishPolicies"][0], "EnableOrganizationDomainsProtection": False}
    preset = {
        **demo["exchangeAntiPhishPolicies"][0],
        "Identity": "Standard Preset Security Policy1622588477123",
        "Name": "Standard Preset Security Policy1622588477123",
        "IsDefault": False,
        "RecommendedPolicyType": "Standard",
        "EnableOrganizationDomainsProtection": True,
    }
    # one rule each: ConvertTo-Json writes a bare object, which import fits back into a list
    _import(
        tmp_path,
        snap,
        exchangeAntiPhishPolicies=[default, preset],
        exchangeEOPProtectionPolicyRules=_preset_rule("Standard"),
        exchangeATPProtectionPolicyRules=_preset_rule("Standard", SentTo=["adm-skhan@contosopharma.com"]),
    )
    loaded = load_snapshot(snap)
    assert isinstance(loaded.data["exchangeATPProtectionPolicyRules"], list)
    results = _audit(tmp_path, snap)
    assert results["DEFENDER.IMPERSONATION.ORG-DOMAINS"]["status"] == "fail"
    assert "Office365 AntiPhish Default" in results["DEFENDER.IMPERSONATION.ORG-DOMAINS"]["message"]

    _import(tmp_path, snap, exchangeATPProtectionPolicyRules=[_preset_rule("Standard")])
    results = _audit(tmp_path, snap)
    assert results["DEFENDER.IMPERSONATION.ORG-DOMAINS"]["status"] == "pass"


def test_built_in_protection_with_an_exception_covers_nobody_for_all(tmp_path: Path) -> None:
    """MS.SECURITYSUITE.1.3 (ScubaGear test_BuiltInHasExceptions_NullActivePolicy_1_3): the built-in rule, imported
    as a one-element array, is fitted to its object shape and its exception is read."""
    snap = _snapshot(tmp_path)
    rule = {
        **load_snapshot(DEMO).data["exchangeATPBuiltInProtectionRule"],
        "ExceptIfSentToMemberOf": ["Research"],
    }
    _import(tmp_path, snap, exchangeATPBuiltInProtectionRule=[rule])
    assert load_snapshot(snap).data["exchangeATPBuiltInProtectionRule"] == rule
    results = _audit(tmp_path, snap)
    assert results["DEFENDER.SAFE-ATTACHMENTS.BLOCK"]["status"] == "fail"
    assert (
        "No Safe Attachments policy applies to all recipients"
        in results["DEFENDER.SAFE-ATTACHMENTS.BLOCK"]["message"]
    )
    assert results["DEFENDER.SAFE-LINKS.ENABLED"]["status"] == "fail"


def test_a_disabled_custom_rule_applies_to_nobody(tmp_path: Path) -> None:
    """A custom anti-malware policy without ZAP whose rule is disabled does not fail MS.SECURITYSUITE.1.2;
    enabled for everyone, it does."""
    snap = _snapshot(tmp_path)
    default = load_snapshot(DEMO).data["exchangeMalwareFilterPolicies"][0]
    custom = {
        **default,
        "Identity": "Lab malware",
        "Name": "Lab malware",
        "IsDefault": False,
        "ZapEnabled": False,
    }
    rule = {
        "Identity": "Lab malware rule",
        "Name": "Lab malware rule",
        "MalwareFilterPolicy": "Lab malware",
        "State": "Disabled",
        "Priority": 0,
        **_EMPTY_SCOPE,
    }
    _import(tmp_path, snap, exchangeMalwareFilterPolicies=[default, custom], exchangeMalwareFilterRules=rule)
    assert _audit(tmp_path, snap)["DEFENDER.MALWARE.ZAP-ENABLED"]["status"] == "pass"
    _import(tmp_path, snap, exchangeMalwareFilterRules={**rule, "State": "Enabled"})
    result = _audit(tmp_path, snap)["DEFENDER.MALWARE.ZAP-ENABLED"]
    assert result["status"] == "fail" and "Lab malware" in result["message"]


def test_teams_gcc_tenant_and_org_wide_app_settings(tmp_path: Path) -> None:
    """MS.TEAMS.4.1, 2.2 and 2.3 are not applicable on a GCC tenant (ScubaGear IsUSGovTenantRegion); the org-wide
    app setting decides MS.TEAMS.5.2 over the legacy policies (GlobalAppTenantSettingCompliant)."""
    snap = _snapshot(tmp_path)
    demo = load_snapshot(DEMO).data
    before = _audit(tmp_path, snap)
    assert before["TEAMS.UNMANAGED.NO-OUTBOUND"]["status"] == "fail"
    assert before["TEAMS.APPS.THIRD-PARTY-APPROVED"]["status"] == "fail"  # a legacy block-list policy
    tenant = {**demo["teamsTenant"], "AssignedPlan": ["MCOEV_GCC", "TEAMS_GCC", "MCOSTANDARD_GOV"]}
    settings = [{"SettingName": "GlobalApp", "SettingValue": "None"}]
    _import(tmp_path, snap, teamsTenant=tenant, teamsM365UnifiedTenantSettings=settings)
    after = _audit(tmp_path, snap)
    for policy_id in (
        "TEAMS.UNMANAGED.NO-OUTBOUND",
        "TEAMS.UNMANAGED.NO-INBOUND",
        "TEAMS.EMAIL-INTEGRATION.DISABLED",
    ):
        assert after[policy_id]["status"] == "not_applicable", policy_id
    assert after["TEAMS.APPS.THIRD-PARTY-APPROVED"]["status"] == "pass"
    entry = load_snapshot(snap).sources["teamsM365UnifiedTenantSettings"]
    assert entry["endpoint"] == "import" and entry["count"] == 1
