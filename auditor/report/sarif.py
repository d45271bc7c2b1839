"""``results.sarif``: SARIF 2.1.0 for code-scanning dashboards (GitHub, Azure DevOps).

Choices, documented because a dashboard's behaviour depends on them:

* One rule per policy in the document (passing ones too, so a dashboard can show
  what was checked); ``defaultConfiguration.level`` comes from the severity.
* Results are emitted only for policies whose status is ``fail``, ``error`` or
  ``waived``: one per failing / erroring / waived finding, or one for the policy
  itself when it has no such finding. Passing, manual and not-applicable policies
  produce no result (SARIF results are problems, not a checklist).
* ``level`` follows the policy's severity for every emitted result: critical/high
  -> ``error``, medium -> ``warning``, low/info -> ``note``. An ``error`` status
  (the control could not be evaluated, e.g. data missing) keeps the severity's
  level rather than always ``error``, so an unevaluable info control does not
  outrank a failing high one; its message starts with "Not evaluated" and
  ``properties.auditorStatus`` says ``error``.
* Every result is anchored to a file that exists in the repository being scanned, so
  that code scanning accepts and displays it: the baseline file when the audit used
  one from disk, else the snapshot file, as a path relative to the working directory
  of the audit (recorded by the CLI as ``invocation.reportAnchor``). A tenant setting
  has no source line, so the region is line 1. Without an anchor (``--demo``) results
  point at the policy file. The policy file is always named in
  ``properties.policyFile``.
* A policy with more than :data:`GROUP_OVER` failing (or erroring, or waived) subjects
  becomes one result per status that names the first :data:`NAMED_SUBJECTS` subjects
  and the count, so a 1.5-million-user tenant stays within GitHub's limits (25,000
  results per run, 10 MB gzipped); the full list is in ``results.json`` and
  ``findings.csv``. Smaller sets give one result per subject, so each alert can be
  dismissed on its own.
* With ``audit --since``, ``baselineState`` is ``new`` for a new failure and
  ``unchanged`` for an earlier one.
* ``partialFingerprints["auditorFinding/v1"]`` = sha256(policyId + NUL + subject),
  subject empty for a policy-level result: stable across runs and snapshots, so an
  alert keeps its identity while the problem persists.
* A waived result carries ``suppressions: [{kind: external, justification}]``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from auditor.report._common import Doc, Result, is_new, one_line, since_block
from auditor.results.types import WaiverEntry

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "auditorFinding/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: GitHub code scanning ranks security alerts by this property (0.0 - 10.0)
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
EMITTED = ("fail", "error", "waived")
INDENT_MAX_RESULTS = 2000
#: a policy with more subjects than this (per status) is reported as one grouped result
GROUP_OVER = 10
#: subjects named in a grouped result's message and properties
NAMED_SUBJECTS = 20
#: GitHub code scanning's limit of results per run
MAX_RESULTS = 25_000


def fingerprint(policy_id: str, subject: str) -> str:
    """Stable identity of one finding: sha256 of policy ID, NUL, subject."""
    return hashlib.sha256(f"{policy_id}\u0000{subject}".encode()).hexdigest()


def _rule(r: Result) -> dict[str, Any]:
    severity = str(r["severity"])
    remediation = str(r["remediation"] or "")
    rule: dict[str, Any] = {
        "id": r["policyId"],
        "name": "".join(part.capitalize() for part in str(r["policyId"]).replace("-", ".").split(".")),
        "shortDescription": {"text": r["title"]},
        "fullDescription": {"text": str(r.get("description") or r["title"])},
        "help": {"text": remediation or r["title"], "markdown": remediation or r["title"]},
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
        "properties": {
            "severity": severity,
            "security-severity": SECURITY_SEVERITY.get(severity, "0.0"),
            "frameworks": {k: list(v) for k, v in sorted((r["frameworks"] or {}).items())},
            "tags": sorted({"security", *(r.get("tags") or [])}),
        },
    }
    refs = r.get("references") or []
    if refs:
        rule["helpUri"] = refs[0]
    return rule


def anchor_uri(doc: Doc, r: Result) -> str:
    """The file a result points at: the recorded anchor, else the policy file."""
    anchor = (doc.get("invocation") or {}).get("reportAnchor")
    uri = str(anchor or r.get("policyFile") or f"policies/{r['policyId']}.yaml")
    return uri.replace("\\", "/")


def _result(
    doc: Doc,
    r: Result,
    rule_index: int,
    subjects: list[str],
    status: str,
    message: str,
    waiver: WaiverEntry | None,
    total: int = 0,
) -> dict[str, Any]:
    """One SARIF result for one subject, for the policy itself (no subject), or for a
    group of ``total`` subjects of which ``subjects`` are named."""
    pid = str(r["policyId"])
    text = one_line(message) or str(r["title"])
    if status == "error":
        text = f"Not evaluated: {text}"
    grouped = total > 0
    if grouped:
        shown = ", ".join(subjects)
        verb = {"fail": "fail", "error": "could not be evaluated", "waived": "are waived"}.get(status, status)
        text = (
            f"{total} subjects {verb}: {shown}"
            + (f" and {total - len(subjects)} more" if total > len(subjects) else "")
            + f" (full list in results.json and findings.csv). {text}"
        )
        subject = ""
        key = f"*{status}"
    else:
        subject = subjects[0] if subjects else ""
        key = subject
        if subject:
            text = f"{subject}: {text}"
    out: dict[str, Any] = {
        "ruleId": pid,
        "ruleIndex": rule_index,
        "level": LEVELS.get(str(r["severity"]), "warning"),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": anchor_uri(doc, r)},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [{"name": subject or pid, "kind": "object" if subject else "module"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(pid, key)},
        "properties": {
            "auditorStatus": status,
            "policyStatus": r["status"],
            "subject": subject,
            "policyFile": str(r.get("policyFile") or ""),
        },
    }
    if grouped:
        out["properties"].update(subjectCount=total, subjects=list(subjects))
    if since_block(doc) and status == "fail":
        new = is_new(doc, pid, None if grouped or not subject else subject)
        out["baselineState"] = "new" if new else "unchanged"
    if status == "waived":
        justification = (waiver["reason"] if waiver else "") or "waived"
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return out


def _policy_results(doc: Doc, r: Result, index: int) -> list[dict[str, Any]]:
    emitted = [f for f in r["findings"] if f["status"] in EMITTED]
    if not emitted:
        return [_result(doc, r, index, [], str(r["status"]), str(r["message"]), r["waiver"])]
    out: list[dict[str, Any]] = []
    omitted = int(r.get("findingsOmitted", 0) or 0)
    for status in EMITTED:
        group = [f for f in emitted if f["status"] == status]
        if not group:
            continue
        counted = (r.get("subjectCounts") or {}).get(status)
        total = max(len(group) + (omitted if status == "fail" else 0), int(counted or 0))
        if total > GROUP_OVER:
            out.append(
                _result(
                    doc,
                    r,
                    index,
                    [str(f["subject"]) for f in group[:NAMED_SUBJECTS]],
                    status,
                    str(r["message"]),
                    r["waiver"],
                    total=total,
                )
            )
            continue
        out.extend(
            _result(
                doc,
                r,
                index,
                [str(f["subject"])],
                status,
                str(f["message"] or r["message"]),
                f.get("waiver") or r["waiver"],
            )
            for f in group
        )
    return out


def build_sarif(doc: Doc) -> dict[str, Any]:
    """The SARIF log as a dict (exposed for tests and for tools that post-process it)."""
    results_in = list(doc["results"])
    rules = [_rule(r) for r in results_in]
    out_results: list[dict[str, Any]] = []
    for index, r in enumerate(results_in):
        if r["status"] in EMITTED:
            out_results.extend(_policy_results(doc, r, index))
    # grouping keeps this far below the limit; the cut is a last guard, never silent
    truncated = max(len(out_results) - MAX_RESULTS, 0)
    out_results = out_results[:MAX_RESULTS]
    snapshot = doc["snapshot"]
    tool = doc["tool"]
    summary = doc["summary"]
    integrity = doc.get("integrity")
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "auditor",
                "version": str(tool["version"]),
                "semanticVersion": str(tool["version"]),
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"auditor/{(snapshot['tenant'] or {}).get('id', 'tenant')}/"},
        "invocations": [
            {
                "executionSuccessful": summary["gate"] != "incomplete",
                "properties": {"gate": summary["gate"], "failOn": summary.get("failOn")},
            }
        ],
        "results": out_results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "snapshotSha256": snapshot["sha256"],
            "collectedAt": snapshot["collectedAt"],
            "tenant": snapshot["tenant"],
            "baseline": doc["baseline"]["name"],
            "generatedAt": doc["generatedAt"],
            "resultsIntegrity": integrity["value"] if integrity else None,
            "resultsTruncated": truncated,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


class SarifFormat:
    """SARIF 2.1.0 log with one run."""

    name = "sarif"
    filename = "results.sarif"

    def render(self, doc: Doc) -> bytes:
        log = build_sarif(doc)
        # json's C encoder only runs without indentation: a large log (tens of thousands of
        # findings) is written compact, which is 20x faster; small logs stay readable
        indent = 2 if len(log["runs"][0]["results"]) <= INDENT_MAX_RESULTS else None
        return (json.dumps(log, indent=indent, ensure_ascii=False) + "\n").encode()
