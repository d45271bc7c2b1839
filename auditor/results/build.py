"""Build the results document from engine results (docs/formats.md).

Results are sorted by policy ID and findings by subject, and nothing depends on
the wall clock except ``generatedAt``, so two runs over the same inputs give
the same document but for that one field.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

from auditor import __version__
from auditor.engine.model import Finding, PolicyResult, WaiverUse
from auditor.results.document import gate_exit_code
from auditor.results.types import (
    BaselineInfo,
    FindingEntry,
    Gate,
    Invocation,
    ResultEntry,
    ResultsDocument,
    Summary,
    WaiverEntry,
)
from auditor.snapshot.model import Snapshot
from auditor.vocab import Status, severity_rank


def _waiver(use: WaiverUse | None) -> WaiverEntry | None:
    return cast(WaiverEntry, use.waiver.to_json(expired=use.expired, applied=use.applied)) if use else None


def _finding(f: Finding) -> FindingEntry:
    out: FindingEntry = {"subject": f.subject, "status": str(f.status), "message": f.message}
    if f.evidence is not None:
        out["evidence"] = f.evidence
    if f.waiver is not None:
        out["waiver"] = _waiver(f.waiver)
    return out


def result_entry(r: PolicyResult) -> ResultEntry:
    """One ``results`` entry; built in the order its members are written to results.json."""
    p = r.policy
    entry: dict[str, Any] = {
        "policyId": p.id,
        "title": p.title,
        "severity": p.severity,
        "status": str(r.status),
        "frameworks": {k: list(v) for k, v in p.frameworks.items()},
        "message": r.message,
        "remediation": p.remediation,
        "description": p.description,
        "rationale": p.rationale,
        "references": list(p.references),
        "tags": list(p.tags),
        "requires": list(p.requires),
        "policyFile": p.rel_path,
        "policySha256": p.sha256,
    }
    if p.fix:
        entry["fix"] = p.fix
    if p.manual is not None:
        entry["manual"] = p.manual
    if r.evidence is not None:
        entry["evidence"] = r.evidence
    if r.subject_counts is not None:
        entry["subjectCounts"] = dict(r.subject_counts)
        entry["findingsOmitted"] = r.findings_omitted
    # the engine returns findings sorted by subject (one sort, where they are made)
    entry["findings"] = [_finding(f) for f in r.findings]
    entry["waiver"] = _waiver(r.waiver)
    return cast(ResultEntry, entry)


def gate(results: Sequence[PolicyResult], fail_on: str) -> Gate:
    """failed: an unwaived fail at or above ``fail_on``; incomplete: no such fail but such an error."""
    bar = severity_rank(fail_on)
    relevant = [r for r in results if severity_rank(r.policy.severity) >= bar]
    if any(r.status == "fail" for r in relevant):
        return "failed"
    if any(r.status == "error" for r in relevant):
        return "incomplete"
    return "passed"


def build_document(
    results: Sequence[PolicyResult],
    *,
    snapshot: Snapshot,
    baseline: Mapping[str, Any],
    fail_on: str,
    invocation: Mapping[str, Any],
    generated_at: dt.datetime | None = None,
) -> ResultsDocument:
    """The unsealed results document (``auditor.results.seal`` adds the integrity hash)."""
    counts = Counter(r.status for r in results)
    verdict = gate(results, fail_on)
    expired = sum(
        1
        for r in results
        for use in [r.waiver, *(f.waiver for f in r.findings)]
        if use is not None and use.expired
    )
    summary: Summary = {
        "pass": counts.get(Status.PASS, 0),
        "fail": counts.get(Status.FAIL, 0),
        "error": counts.get(Status.ERROR, 0),
        "waived": counts.get(Status.WAIVED, 0),
        "manual": counts.get(Status.MANUAL, 0),
        "not_applicable": counts.get(Status.NOT_APPLICABLE, 0),
        "gate": verdict,
        "failOn": fail_on,
        "exitCode": gate_exit_code(verdict),
        "expiredWaivers": expired,
    }
    when = generated_at or dt.datetime.now(dt.UTC)
    return {
        "schemaVersion": 1,
        "tool": {"name": "auditor", "version": __version__},
        "generatedAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "snapshot": {
            "sha256": snapshot.sha256,
            "tenant": snapshot.tenant,
            "collectedAt": snapshot.collected_at,
            "sources": snapshot.sources,
        },
        "baseline": cast(BaselineInfo, dict(baseline)),
        "invocation": cast(Invocation, dict(invocation)),
        "summary": summary,
        "results": [result_entry(r) for r in sorted(results, key=lambda r: r.policy.id)],
    }
