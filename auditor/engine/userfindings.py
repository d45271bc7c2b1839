"""Per-user findings for tenant-level policies judged user by user (conditional access).

A conditional access control (``caCoverage``) is one verdict over the tenant, but it judges
every user: when it fails, each uncovered user gets a finding of their own (subject = UPN,
status ``fail``, evidence = the gaps that leave them uncovered), so that a ticket can be
raised per user from the JSON, CSV or HTML report. The policy's status stays the assertion's
(an unknown group membership still makes it ``error``, never ``pass``); users who cannot be
judged are counted as ``error`` and covered users are counted, not listed, as passing
subjects of per-subject policies are.
"""

from __future__ import annotations

from typing import Any

from auditor import limits
from auditor.engine.evidence import compact
from auditor.engine.expressions import cap
from auditor.engine.model import ERROR, FAIL, PASS, Finding

#: gaps named in one user's message (all of them are in the evidence, bounded by compact)
GAPS_IN_MESSAGE = 2


def _coverage_value(policy: Any, activation: dict[str, Any]) -> dict[str, Any] | None:
    """The first variable holding a ``caCoverage`` result, if any."""
    for name, _expr in policy.variables:
        value = activation.get(name)
        if isinstance(value, dict) and isinstance(value.get("uncoveredFindings"), list):
            return value
    return None


def user_findings(
    policy: Any, activation: dict[str, Any]
) -> tuple[tuple[Finding, ...], dict[str, int]] | None:
    """(findings sorted by subject, subject counts) for a failing tenant-level policy whose
    verdict came from ``caCoverage``; None for any other policy."""
    value = _coverage_value(policy, activation)
    if value is None:
        return None
    limit = limits.current().message_bytes
    findings = []
    for entry in value["uncoveredFindings"]:
        gaps = entry["gaps"]
        shown = "; ".join(f"on {g['where']}: {g['why']}" for g in gaps[:GAPS_IN_MESSAGE])
        more = f" (and {len(gaps) - GAPS_IN_MESSAGE} more paths)" if len(gaps) > GAPS_IN_MESSAGE else ""
        message = cap(f"not covered {shown}{more}", limit)
        findings.append(Finding(str(entry["subject"]), FAIL, message, {"gaps": compact(gaps, 1)}))
    findings.sort(key=lambda f: (f.subject, f.message))
    subjects = int(value.get("subjects") or 0)
    undetermined = int(value.get("undetermined") or 0)
    counts = {FAIL: len(findings)}
    if undetermined:
        counts[ERROR] = undetermined
    passing = subjects - len(findings) - undetermined
    if passing > 0:
        counts[PASS] = passing
    return tuple(findings), dict(sorted(counts.items()))
