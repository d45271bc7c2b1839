"""Fixtures for attestation tests: signing keys made per test, a small tenant and policy folder
audited into a results.json, so each test can sign, tamper and verify."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from auditor.cli import main

MFA_POLICY = """
id: ATT.MFA.ALL
title: MFA is required for all users
severity: high
description: A conditional access policy requires MFA for everyone.
rationale: Passwords alone are phished.
remediation: Create a CA policy requiring MFA for all users.
frameworks: {nist-800-53: [IA-2]}
requires: [conditionalAccessPolicies]
variables:
  enforcing: "conditionalAccessPolicies.filter(p, p.state == 'enabled' && p.grantControls != null && 'mfa' in p.grantControls.builtInControls)"
assert: "size(enforcing) > 0"
message: "no enabled policy requires MFA (of {{ size(conditionalAccessPolicies) }} policies)"
"""

GUEST_POLICY = """
id: ATT.GUESTS.RESTRICTED
title: Guest access is restricted
severity: high
description: Guests see only their own membership.
rationale: Limits directory discovery.
remediation: Set guest user access to restricted.
requires: [authorizationPolicy]
assert: "authorizationPolicy.guestUserRoleId == '2af84b1e-32c8-42b7-82bc-daa82404023b'"
message: "guests have role {{ authorizationPolicy.guestUserRoleId }}"
"""


def snapshot(enforced: bool = True) -> dict[str, Any]:
    grant = {"operator": "OR", "builtInControls": ["mfa"]}
    return {
        "schemaVersion": 1,
        "tenant": {"id": "7d0c2b4e-1f3a-4c5d-9e8f-0a1b2c3d4e5f", "displayName": "Vendor Ltd"},
        "collectedAt": "2026-11-30T08:00:00Z",
        "collector": {
            "tool": "auditor",
            "version": "test",
            "principal": "0f9e8d7c-6b5a-4938-2716-05f4e3d2c1b0",
            "cloud": "global",
            "authMode": "workload-identity",
            "claims": {
                "tid": "7d0c2b4e-1f3a-4c5d-9e8f-0a1b2c3d4e5f",
                "appid": "0f9e8d7c-6b5a-4938-2716-05f4e3d2c1b0",
                "iat": 1764489600,
            },
            # a field no collector writes: must never be copied into a signed statement
            "accessToken": "eyJ.not-a-real-token.sig",
        },
        "sources": {
            "conditionalAccessPolicies": {
                "status": "ok",
                "endpoint": "GET /v1.0/identity/conditionalAccess/policies",
                "count": 1,
            },
            "authorizationPolicy": {
                "status": "ok",
                "endpoint": "GET /v1.0/policies/authorizationPolicy",
                "count": 1,
            },
        },
        "data": {
            "conditionalAccessPolicies": [
                {
                    "id": "p1",
                    "displayName": "MFA all",
                    "state": "enabled" if enforced else "disabled",
                    "grantControls": grant,
                }
            ],
            "authorizationPolicy": {
                "id": "authorizationPolicy",
                "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
            },
        },
    }


def write_key_pair(folder: Path, kind: str, name: str) -> tuple[Path, Path]:
    private = (
        ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else ec.generate_private_key(ec.SECP256R1())
    )
    key = folder / f"{name}.pem"
    pub = folder / f"{name}.pub"
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pub.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, pub


class Audited:
    """A vendor's run: the policy folder, snapshot, results and the keys."""

    def __init__(self, root: Path, kind: str = "ed25519") -> None:
        self.root = root
        self.policies = root / "policies"
        self.policies.mkdir()
        (self.policies / "mfa.yaml").write_text(textwrap.dedent(MFA_POLICY).lstrip(), encoding="utf-8")
        (self.policies / "guests.yaml").write_text(textwrap.dedent(GUEST_POLICY).lstrip(), encoding="utf-8")
        self.snapshot = root / "snapshot.json"
        self.snapshot.write_text(json.dumps(snapshot()), encoding="utf-8")
        self.key, self.pub = write_key_pair(root, kind, "vendor")
        self.out = root / "out"
        self.results = self.out / "results.json"
        self.attestation = self.out / "results.intoto.jsonl"

    def audit(self, *extra: str) -> int:
        return main(
            [
                "audit",
                str(self.snapshot),
                "--policies",
                str(self.policies),
                "--format",
                "json",
                "--out",
                str(self.out),
                *extra,
            ]
        )

    def verify(self, *extra: str) -> int:
        return main(
            ["verify", str(self.results), str(self.snapshot), "--attestation", str(self.attestation), *extra]
        )


@pytest.fixture(params=["ed25519", "p256"])
def vendor(tmp_path: Path, request: pytest.FixtureRequest) -> Audited:
    run = Audited(tmp_path, request.param)
    assert run.audit("--attest", "--key", str(run.key)) == 1  # guests are not restricted: the gate fails
    assert run.attestation.is_file()
    return run


@pytest.fixture
def ed_vendor(tmp_path: Path) -> Audited:
    run = Audited(tmp_path, "ed25519")
    assert run.audit("--attest", "--key", str(run.key)) == 1
    return run
