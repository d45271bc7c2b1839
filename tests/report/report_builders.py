"""Hand-built results documents and snapshots for the report, verify and diff tests.

Built by hand (not by the engine) so that the report tests exercise exactly the
document format of docs/formats.md, independently of the engine's progress.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from auditor.results import seal, validate_results

XSS = "<script>alert(1)</script>"


def snapshot_doc() -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "tenant": {
            "id": "11111111-2222-3333-4444-555555555555",
            "displayName": "Contoso",
            "defaultDomain": "contoso.onmicrosoft.com",
        },
        "collectedAt": "2026-11-23T12:00:00Z",
        "collector": {"tool": "auditor", "version": "0.1.0", "principal": "app", "cloud": "global"},
        "sources": {
            "users": {"status": "ok", "endpoint": "GET /v1.0/users", "count": 3},
            "conditionalAccessPolicies": {
                "status": "ok",
                "endpoint": "GET /v1.0/identity/conditionalAccess/policies",
                "count": 1,
            },
            "authorizationPolicy": {"status": "ok", "endpoint": "GET /v1.0/policies/authorizationPolicy"},
            "roleEligibilitySchedules": {
                "status": "forbidden",
                "endpoint": "GET /v1.0/roleManagement/x",
                "httpStatus": 403,
                "error": "Authorization_RequestDenied",
            },
        },
        "data": {
            "users": [
                {"id": "u1", "userPrincipalName": "alice@contoso.com", "displayName": "Alice"},
                {"id": "u2", "userPrincipalName": "bob@contoso.com", "displayName": XSS},
                {"id": "u3", "userPrincipalName": "carol@contoso.com", "displayName": "Carol"},
            ],
            "conditionalAccessPolicies": [{"id": "ca1", "displayName": "Block legacy", "state": "enabled"}],
            "authorizationPolicy": {"id": "authorizationPolicy", "allowInvitesFrom": "everyone"},
        },
    }


def write_snapshot(path: Path, doc: dict[str, Any] | None = None) -> tuple[Path, str]:
    raw = json.dumps(doc or snapshot_doc(), indent=2).encode()
    path.write_bytes(raw)
    return path, hashlib.sha256(raw).hexdigest()


def _waiver(expired: bool = False, applied: bool = True, subjects: list[str] | None = None) -> dict[str, Any]:
    return {
        "reason": "Printers move to modern auth in CHG-1234",
        "owner": "secops@contoso.com",
        "expires": "2025-01-31" if expired else "2027-03-31",
        "subjects": subjects,
        "expired": expired,
        "applied": applied and not expired,
    }


def results_doc(snapshot_sha: str = "a" * 64, *, sealed: bool = True) -> dict[str, Any]:
    """A document with every status, per-subject findings, waivers (one expired) and
    untrusted text in the places a report prints."""
    h = "b" * 64
    results: list[dict[str, Any]] = [
        {
            "policyId": "AAD.ADMINS.MFA-REGISTERED",
            "title": "Admins registered phishing-resistant MFA",
            "severity": "critical",
            "status": "fail",
            "frameworks": {"cisa-scuba": ["MS.AAD.3.1v1"], "nist-800-53": ["IA-2"]},
            "message": "2 of 3 admins | lack MFA\nsee list",
            "remediation": "1. Register FIDO2.\n2. Enforce.",
            "description": "Admins use phishing-resistant MFA.",
            "rationale": "Phishing.",
            "references": ["https://learn.microsoft.com/entra/", "javascript:alert(1)"],
            "tags": ["identity"],
            "policyFile": "policies/aad/admins-mfa.yaml",
            "policySha256": h,
            "subjectCounts": {"pass": 1, "fail": 2, "error": 0},
            "findings": [
                {
                    "subject": "=cmd|' /C calc'!A0",
                    "status": "fail",
                    "message": "no methods",
                    "evidence": {"m": []},
                    "waiver": None,
                },
                {
                    "subject": "alice@contoso.com",
                    "status": "pass",
                    "message": "ok",
                    "evidence": {"m": ["fido2"]},
                    "waiver": None,
                },
                {
                    "subject": "bob@contoso.com",
                    "status": "fail",
                    "message": f"name {XSS}",
                    "evidence": {"displayName": XSS, "note": "</script><script>alert(2)</script>"},
                    "waiver": None,
                },
            ],
            "waiver": None,
        },
        {
            "policyId": "AAD.AUTHZ.GUEST-INVITES",
            "title": "Guest invitations are restricted",
            "severity": "medium",
            "status": "pass",
            "frameworks": {"cis-m365-v7": ["5.1.6.2"]},
            "message": "",
            "remediation": "Set allowInvitesFrom.",
            "policySha256": h,
            "policyFile": "policies/aad/guests.yaml",
            "findings": [],
            "waiver": None,
        },
        {
            "policyId": "AAD.LEGACY-AUTH.BLOCKED",
            "title": "Legacy authentication is blocked",
            "severity": "high",
            "status": "waived",
            "frameworks": {"cisa-scuba": ["MS.AAD.1.1v1"], "cis-m365-v7": ["5.2.2.3"]},
            "message": "no blocking policy",
            "remediation": "Create a CA policy.",
            "policySha256": h,
            "policyFile": "policies/aad/legacy.yaml",
            "findings": [],
            "waiver": _waiver(),
        },
        {
            "policyId": "AAD.PIM.ELIGIBLE-ONLY",
            "title": "Privileged roles are eligible, not active",
            "severity": "high",
            "status": "error",
            "frameworks": {"nist-800-53": ["AC-2"]},
            "message": "collection roleEligibilitySchedules: forbidden: HTTP 403",
            "remediation": "Use PIM.",
            "policySha256": h,
            "findings": [],
            "waiver": None,
        },
        {
            "policyId": "AAD.SECURITY-DEFAULTS.OFF",
            "title": "Security defaults",
            "severity": "low",
            "status": "not_applicable",
            "frameworks": {},
            "message": "CA in use",
            "remediation": "n/a",
            "policySha256": h,
            "findings": [],
            "waiver": None,
        },
        {
            "policyId": "AUDIT.LOG.REVIEWED",
            "title": "Audit logs are reviewed weekly",
            "severity": "info",
            "status": "manual",
            "frameworks": {"nist-800-53": ["AU-6"]},
            "message": "",
            "remediation": "Review.",
            "manual": "Ask the SOC for the last review record.",
            "policySha256": h,
            "findings": [],
            "waiver": None,
        },
        {
            "policyId": "AUDIT.UAL.ENABLED",
            "title": "Unified audit log is enabled",
            "severity": "high",
            "status": "fail",
            "frameworks": {"cis-m365-v7": ["3.1.1"]},
            "message": "UnifiedAuditLogIngestionEnabled is false",
            "remediation": "Enable it.",
            "policySha256": h,
            "findings": [],
            "waiver": _waiver(expired=True),
        },
    ]
    doc: dict[str, Any] = {
        "schemaVersion": 1,
        "tool": {"name": "auditor", "version": "0.1.0"},
        "generatedAt": "2026-11-23T12:05:00Z",
        "snapshot": {
            "sha256": snapshot_sha,
            "tenant": snapshot_doc()["tenant"],
            "collectedAt": "2026-11-23T12:00:00Z",
            "sources": snapshot_doc()["sources"],
        },
        "baseline": {
            "name": "rollout-gate",
            "sha256": "c" * 64,
            "failOn": "high",
            "params": {"auditRetentionDays": 365},
        },
        "invocation": {
            "policies": None,
            "baseline": "rollout-gate",
            "waivers": None,
            "waiversSha256": None,
            "params": {},
            "failOn": None,
        },
        "summary": {
            "pass": 1,
            "fail": 2,
            "error": 1,
            "waived": 1,
            "manual": 1,
            "not_applicable": 1,
            "gate": "failed",
            "failOn": "high",
            "exitCode": 1,
            "expiredWaivers": 1,
        },
        "results": results,
    }
    validate_results(doc)
    return seal(doc) if sealed else doc


def passing_doc() -> dict[str, Any]:
    doc = results_doc(sealed=False)
    doc["results"] = [r for r in doc["results"] if r["status"] == "pass"]
    doc["summary"] = {
        "pass": 1,
        "fail": 0,
        "error": 0,
        "waived": 0,
        "manual": 0,
        "not_applicable": 0,
        "gate": "passed",
        "failOn": "high",
        "exitCode": 0,
    }
    doc["snapshot"]["sources"] = {"users": {"status": "ok"}}
    validate_results(doc)
    return seal(doc)


def modified(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)
