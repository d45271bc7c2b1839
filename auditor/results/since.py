"""``audit --since OLD_RESULTS``: which failures are new against an earlier results document.

A rollout wave must not regress, but a tenant rarely starts clean: gating on every
failure would block each wave on debt that predates it. With ``--since``, the gate
fails only on failures that are new (defined once, in ``auditor.results.newfailures``,
for ``diff --fail-on-new`` too): a policy that did not fail before, or a subject that was
not among the policy's earlier failing subjects. Errors at or above the
fail-on severity still make the run incomplete (missing data never passes). The
answer is recorded in the document's ``since`` member, so every report can mark what is
new and ``verify`` can still check everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.results.document import gate_exit_code
from auditor.results.newfailures import new_failures
from auditor.results.types import Gate, SinceInfo
from auditor.vocab import severity_rank


def since_member(doc: Mapping[str, Any], old: Mapping[str, Any], source: str) -> SinceInfo:
    """The ``since`` member: what the earlier document was, what is new, and the gate on it."""
    new = new_failures(doc, old)
    fail_on = str(doc.get("summary", {}).get("failOn") or "high")
    bar = severity_rank(fail_on)
    by_id = {str(r["policyId"]): r for r in doc.get("results", [])}
    verdict: Gate
    if any(severity_rank(str(by_id[pid]["severity"])) >= bar for pid in new):
        verdict = "failed"
    elif any(
        r.get("status") == "error" and severity_rank(str(r["severity"])) >= bar
        for r in doc.get("results", [])
    ):
        verdict = "incomplete"
    else:
        verdict = "passed"
    return {
        "results": source,
        "generatedAt": old.get("generatedAt"),
        "integrity": (old.get("integrity") or {}).get("value"),
        "snapshotSha256": (old.get("snapshot") or {}).get("sha256"),
        "newFailures": new,
        "gate": verdict,
        "exitCode": gate_exit_code(verdict),
    }
