"""Fixtures for the spine tests: small policy folders and snapshots written per test."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

GA = "62e90394-69f5-4237-9190-012177145e10"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def snapshot_doc(
    data: dict[str, Any], sources: dict[str, Any] | None = None, collected_at: str = "2026-11-20T09:30:00Z"
) -> dict[str, Any]:
    srcs = {
        name: {"status": "ok", "endpoint": f"GET /v1.0/{name}", "count": len(v) if isinstance(v, list) else 1}
        for name, v in data.items()
    }
    srcs.update(sources or {})
    return {
        "schemaVersion": 1,
        "tenant": {
            "id": "11111111-2222-3333-4444-555555555555",
            "displayName": "Fabrikam",
            "defaultDomain": "fabrikam.onmicrosoft.com",
        },
        "collectedAt": collected_at,
        "collector": {"tool": "auditor", "version": "test"},
        "sources": srcs,
        "data": data,
    }


@pytest.fixture
def write_snapshot(tmp_path: Path):
    def _write(
        data: dict[str, Any],
        sources: dict[str, Any] | None = None,
        name: str = "snap.json",
        collected_at: str = "2026-11-20T09:30:00Z",
    ) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(snapshot_doc(data, sources, collected_at)), encoding="utf-8")
        return path

    return _write


MFA_POLICY = """
id: TEST.MFA.ALL
title: MFA is required for all users
severity: high
description: A conditional access policy requires MFA for everyone.
rationale: Passwords alone are phished.
remediation: Create a CA policy requiring MFA for all users.
frameworks: {cisa-scuba: [MS.AAD.3.2v2], nist-800-53: [IA-2]}
requires: [conditionalAccessPolicies]
params: {breakGlassAccounts: []}
variables:
  enforcing: "conditionalAccessPolicies.filter(p, p.state == 'enabled' && p.grantControls != null && 'mfa' in p.grantControls.builtInControls)"
assert: "size(enforcing) > 0"
message: "no enabled policy requires MFA (of {{ size(conditionalAccessPolicies) }} policies)"
"""

ADMIN_POLICY = """
id: TEST.ADMINS.PHISHING-RESISTANT
title: Every admin has a phishing-resistant method
severity: high
description: Per admin check.
rationale: Admins are targeted.
remediation: Register a FIDO2 key.
requires: [userRegistrationDetails]
params:
  methods: [fido2, windowsHelloForBusiness]
forEach: "userRegistrationDetails.filter(u, u.isAdmin)"
as: admin
subject: "admin.userPrincipalName"
assert: "admin.methodsRegistered.exists(m, m in params.methods)"
message: "{{ admin.userPrincipalName }} has only {{ admin.methodsRegistered }}"
"""

RATIO_POLICY = """
id: TEST.MFA.REGISTERED-99
title: At least 99% of users are MFA registered
severity: medium
description: Ratio check.
rationale: Stragglers are the target.
remediation: Run a registration campaign.
requires: [userRegistrationDetails]
forEach: "userRegistrationDetails"
as: u
subject: "u.userPrincipalName"
passRatio: 0.99
assert: "u.isMfaRegistered"
message: "{{ u.userPrincipalName }} has no MFA method"
"""

MANUAL_POLICY = """
id: TEST.GUESTS.DOMAINS
title: Guest invitations are limited to allowed domains
severity: low
description: Manual review.
rationale: Limits oversharing.
remediation: Configure collaboration restrictions.
manual: "Open External collaboration settings and check the allow list."
"""


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    write(root / "ca" / "test-mfa-all.yaml", MFA_POLICY)
    write(root / "roles" / "test-admins.yaml", ADMIN_POLICY)
    write(root / "roles" / "test-ratio.yaml", RATIO_POLICY)
    write(root / "manual" / "test-manual.yaml", MANUAL_POLICY)
    return root


def ca_policy(name: str, state: str = "enabled", controls: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": f"id-{name}",
        "displayName": name,
        "state": state,
        "conditions": {
            "users": {"includeUsers": ["All"], "excludeUsers": []},
            "applications": {"includeApplications": ["All"]},
            "clientAppTypes": ["all"],
            "platforms": None,
            "locations": None,
        },
        "grantControls": {"operator": "OR", "builtInControls": controls if controls is not None else ["mfa"]},
        "sessionControls": None,
    }


def reg(upn: str, admin: bool, methods: list[str], mfa: bool = True) -> dict[str, Any]:
    return {
        "id": upn,
        "userPrincipalName": upn,
        "isAdmin": admin,
        "methodsRegistered": methods,
        "isMfaRegistered": mfa,
        "userType": "member",
    }
