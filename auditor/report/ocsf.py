"""``results.ocsf.json``: the results as OCSF Compliance Finding events, for a SIEM or a
security data lake (Amazon Security Lake, Microsoft Sentinel, Splunk, ...).

OCSF (Open Cybersecurity Schema Framework) 1.5.0, class Compliance Finding (``class_uid``
2003, category Findings, activity Create: ``type_uid`` 200301). The file is a JSON array:

- one event per policy result, whatever its status (a SIEM tracks posture over time, so a
  pass is reported as well: ``compliance.status_id`` 1 Pass, 3 Fail, 0 Unknown for an error
  or a manual check, 99 Other for waived and not applicable);
- and, for a policy that judges subjects, one more event per failing, erroring or waived
  subject, so each user or object can raise its own alert or ticket.

``finding_info.uid`` is stable across runs (tenant, policy ID and subject), so a SIEM can
correlate today's event with yesterday's; ``metadata.uid`` adds the snapshot, so each event
of one run is unique. ``time`` is the snapshot's collection time: the moment the tenant was
observed. Rendered from the results document alone, deterministic (keys sorted, one event per
line), and written as a stream: a first audit of a large tenant lists a million subjects.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from auditor.report._common import Doc, Finding, Result, framework_ids, one_line, since_block

OCSF_VERSION = "1.5.0"
CLASS_UID = 2003
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE

#: auditor severity -> OCSF severity_id (5 Critical ... 1 Informational)
SEVERITY_IDS = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
SEVERITY_CAPTIONS = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
#: auditor status -> OCSF compliance.status_id (0 Unknown, 1 Pass, 2 Warning, 3 Fail, 99 Other)
COMPLIANCE_STATUS = {"pass": 1, "fail": 3, "error": 0, "manual": 0, "waived": 99, "not_applicable": 99}
COMPLIANCE_CAPTIONS = {0: "Unknown", 1: "Pass", 2: "Warning", 3: "Fail", 99: "Other"}
#: auditor status -> the finding's own status_id (1 New, 3 Suppressed, 99 Other)
FINDING_STATUS = {"fail": 1, "error": 1, "waived": 3}
FINDING_CAPTIONS = {1: "New", 3: "Suppressed", 99: "Other"}


def _ms(when: str | None) -> int:
    """Milliseconds since the epoch (OCSF ``timestamp_t``); 0 when unknown."""
    try:
        return int(datetime.fromisoformat(str(when or "").replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _uid(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


class _Context:
    """What every event of one document shares."""

    def __init__(self, doc: Doc) -> None:
        tenant = doc["snapshot"]["tenant"] or {}
        self.tenant_id = str(tenant.get("id") or "")
        self.tenant_name = str(tenant.get("displayName") or tenant.get("defaultDomain") or self.tenant_id)
        self.time = _ms(doc["snapshot"].get("collectedAt"))
        self.snapshot = str(doc["snapshot"].get("sha256") or "")
        self.tool_version = str(doc["tool"]["version"])
        self.baseline = str((doc.get("baseline") or {}).get("name") or "")
        self.since = since_block(doc)


def _event(ctx: _Context, r: Result, finding: Finding | None) -> dict[str, Any]:
    pid = str(r["policyId"])
    status = str(finding["status"] if finding is not None else r["status"])
    subject = str(finding["subject"]) if finding is not None else ""
    severity_id = SEVERITY_IDS.get(str(r["severity"]), 0)
    compliance_id = COMPLIANCE_STATUS.get(status, 0)
    finding_id = FINDING_STATUS.get(status, 99)
    frameworks = r["frameworks"] or {}
    refs = [str(x) for x in r.get("references") or []]
    message = one_line(finding["message"] if finding is not None else r["message"])
    resources: list[dict[str, Any]] = []
    if subject:
        resources.append({"name": subject, "type": "Subject", "uid": subject})
    resources.append({"name": ctx.tenant_name, "type": "Microsoft 365 tenant", "uid": ctx.tenant_id})
    new = False
    if ctx.since and status == "fail":
        entry = ctx.since["newFailures"].get(pid)
        new = entry is not None and (entry["policy"] or subject in entry["subjects"] or not subject)
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_name": "Findings",
        "category_uid": CATEGORY_UID,
        "class_name": "Compliance Finding",
        "class_uid": CLASS_UID,
        "cloud": {
            "account": {"name": ctx.tenant_name, "uid": ctx.tenant_id},
            "provider": "Microsoft 365",
        },
        "compliance": {
            "control": pid,
            "requirements": framework_ids(r) or [pid],
            "standards": sorted(frameworks) or ["auditor"],
            "status": COMPLIANCE_CAPTIONS[compliance_id],
            "status_detail": status,
            "status_id": compliance_id,
        },
        "finding_info": {
            "created_time": ctx.time,
            "desc": one_line(r.get("description") or r["title"]),
            "title": one_line(r["title"]),
            "types": ["Compliance", "Microsoft 365 configuration"],
            "uid": _uid(ctx.tenant_id, pid, subject),
        },
        "message": message,
        "metadata": {
            "log_name": "auditor",
            "product": {"name": "auditor", "vendor_name": "auditor", "version": ctx.tool_version},
            "profiles": ["cloud"],
            "tenant_uid": ctx.tenant_id,
            "uid": _uid(ctx.snapshot, ctx.tenant_id, pid, subject),
            "version": OCSF_VERSION,
        },
        "remediation": {"desc": one_line(r["remediation"]) or "See the policy's references."},
        "resources": resources,
        "severity": SEVERITY_CAPTIONS.get(severity_id, "Unknown"),
        "severity_id": severity_id,
        "status": FINDING_CAPTIONS[finding_id],
        "status_detail": status,
        "status_id": finding_id,
        "time": ctx.time,
        "type_name": "Compliance Finding: Create",
        "type_uid": TYPE_UID,
        "unmapped": {
            "auditor": {
                "baseline": ctx.baseline,
                "new": new,
                "policyStatus": str(r["status"]),
                "snapshotSha256": ctx.snapshot,
            }
        },
    }
    if refs:
        event["remediation"]["references"] = refs
        event["finding_info"]["src_url"] = refs[0]
    return event


def iter_events(doc: Doc) -> Iterator[dict[str, Any]]:
    """Every event: per policy, the policy's own, then its not-passing subjects'."""
    ctx = _Context(doc)
    for r in doc["results"]:
        yield _event(ctx, r, None)
        for f in r["findings"]:
            if f["status"] in ("fail", "error", "waived"):
                yield _event(ctx, r, f)


class OcsfFormat:
    """OCSF 1.5.0 Compliance Finding events, a JSON array with one event per line."""

    name = "ocsf"
    filename = "results.ocsf.json"

    def write(self, doc: Doc, fh: BinaryIO) -> None:
        fh.write(b"[")
        sep = b"\n"
        for event in iter_events(doc):
            fh.write(sep + json.dumps(event, sort_keys=True, ensure_ascii=False).encode("utf-8"))
            sep = b",\n"
        fh.write(b"\n]\n")

    def render(self, doc: Doc) -> bytes:
        buf = io.BytesIO()
        self.write(doc, buf)
        return buf.getvalue()
