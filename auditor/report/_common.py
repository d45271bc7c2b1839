"""Helpers shared by the report formats: ordering, labels and small facts derived
from the results document.

Every format must tell the same story (the same verdict, the same ordering, the
same notion of "expired waiver" and "collection not collected"), so those
derivations live here once instead of being re-invented per format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditor.results import GATE_EXIT_CODES, SEVERITIES, STATUSES, severity_rank

Doc = Mapping[str, Any]
Result = Mapping[str, Any]

#: statuses that need someone's attention, most urgent first
PROBLEM_STATUSES = ("fail", "error")
#: display order of statuses in tables and counts
STATUS_ORDER = ("fail", "error", "waived", "manual", "not_applicable", "pass")

STATUS_LABELS = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "waived": "WAIVED",
    "manual": "MANUAL",
    "not_applicable": "N/A",
}
STATUS_ICONS = {
    "pass": "✔",
    "fail": "✘",
    "error": "!",
    "waived": "~",
    "manual": "?",
    "not_applicable": "-",
}
GATE_LABELS = {"passed": "PASSED", "failed": "FAILED", "incomplete": "INCOMPLETE"}

assert set(STATUS_ORDER) == set(STATUSES)


def status_rank(status: str) -> int:
    """Position of a status in :data:`STATUS_ORDER` (unknown statuses sort last)."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def sev_rank(severity: str) -> int:
    """Severity rank that tolerates unknown values (sorted below ``info``)."""
    return severity_rank(severity) if severity in SEVERITIES else -1


def triage_order(results: Iterable[Result]) -> list[Result]:
    """Results as a reader wants them: by status urgency, then severity (highest first),
    then policy ID so that the order is total and deterministic."""
    return sorted(
        results,
        key=lambda r: (
            status_rank(str(r.get("status"))),
            -sev_rank(str(r.get("severity"))),
            str(r.get("policyId")),
        ),
    )


def gate(doc: Doc) -> str:
    """The gate verdict: ``passed``, ``failed`` or ``incomplete``."""
    return str(doc.get("summary", {}).get("gate", "incomplete"))


def exit_code(doc: Doc) -> int:
    """The exit code the gate stands for (the document may record it; else derive it)."""
    summary = doc.get("summary", {})
    if isinstance(summary.get("exitCode"), int):
        return int(summary["exitCode"])
    return GATE_EXIT_CODES.get(gate(doc), 3)


def fail_on(doc: Doc) -> str:
    """The fail-on severity that decided the gate."""
    summary = doc.get("summary", {})
    return str(summary.get("failOn") or doc.get("baseline", {}).get("failOn") or "high")


def counts(doc: Doc) -> dict[str, int]:
    """Policy counts by status, in :data:`STATUS_ORDER`, recomputed from the results
    (the summary is checked by ``verify``; reports show what the results say)."""
    out = dict.fromkeys(STATUS_ORDER, 0)
    for r in doc.get("results", []):
        status = str(r.get("status"))
        out[status] = out.get(status, 0) + 1
    return out


def baseline_name(doc: Doc) -> str:
    """The baseline's name, or a phrase saying that none was used."""
    name = doc.get("baseline", {}).get("name")
    return str(name) if name else "(none: whole policy set)"


def tenant_label(doc: Doc) -> str:
    """``displayName (defaultDomain, id)`` with whatever parts the snapshot has."""
    tenant = doc.get("snapshot", {}).get("tenant", {}) or {}
    name = tenant.get("displayName") or tenant.get("defaultDomain") or tenant.get("id") or "unknown tenant"
    extras = [str(x) for x in (tenant.get("defaultDomain"), tenant.get("id")) if x and x != name]
    return f"{name} ({', '.join(extras)})" if extras else str(name)


def frameworks_text(frameworks: Mapping[str, Iterable[str]] | None, sep: str = ";") -> str:
    """``key:ID;key:ID`` in key order, IDs in document order."""
    if not frameworks:
        return ""
    return sep.join(f"{key}:{cid}" for key in sorted(frameworks) for cid in frameworks[key])


def sources_not_ok(doc: Doc) -> list[tuple[str, str, str]]:
    """Collections attempted but not collected: (name, status, reason), by name."""
    out: list[tuple[str, str, str]] = []
    sources = doc.get("snapshot", {}).get("sources", {}) or {}
    for name in sorted(sources):
        entry = sources[name] if isinstance(sources[name], Mapping) else {}
        status = str(entry.get("status", "error"))
        if status == "ok":
            continue
        reason_parts = []
        if entry.get("httpStatus") is not None:
            reason_parts.append(f"HTTP {entry['httpStatus']}")
        if entry.get("error"):
            reason_parts.append(str(entry["error"]))
        out.append((name, status, ": ".join(reason_parts) or status))
    return out


def expired_waivers(doc: Doc) -> list[tuple[str, str | None, Mapping[str, Any]]]:
    """Waivers that were not applied because they had expired: (policyId, subject or
    None for a policy-wide waiver, waiver). The report must say so (DESIGN 5)."""
    out: list[tuple[str, str | None, Mapping[str, Any]]] = []
    for r in doc.get("results", []):
        w = r.get("waiver")
        if isinstance(w, Mapping) and w.get("expired"):
            out.append((str(r["policyId"]), None, w))
        for f in r.get("findings", []):
            fw = f.get("waiver")
            if isinstance(fw, Mapping) and fw.get("expired"):
                out.append((str(r["policyId"]), str(f.get("subject")), fw))
    return out


def failing_findings(result: Result) -> list[Mapping[str, Any]]:
    """The findings that explain a non-passing policy: failing and erroring subjects."""
    return [f for f in result.get("findings", []) if f.get("status") in PROBLEM_STATUSES]


def failing_subject_count(result: Result) -> int:
    """How many subjects fail or error, counting those omitted from ``findings``."""
    sc = result.get("subjectCounts")
    if isinstance(sc, Mapping) and sc:
        return int(sc.get("fail", 0)) + int(sc.get("error", 0))
    return len(failing_findings(result)) + int(result.get("findingsOmitted", 0) or 0)


def waiver_text(waiver: Mapping[str, Any] | None) -> str:
    """One line describing a waiver, flagging an expired one."""
    if not waiver:
        return ""
    state = (
        "EXPIRED, not applied"
        if waiver.get("expired")
        else ("applied" if waiver.get("applied") else "not applied")
    )
    return f"{waiver.get('reason', '')} (owner {waiver.get('owner', '?')}, expires {waiver.get('expires', '?')}; {state})"


def id_prefix(policy_id: str, parts: int) -> str:
    """The first ``parts`` dot-separated segments of a policy ID (its area)."""
    return ".".join(policy_id.split(".")[:parts])


def short_hash(value: str | None, n: int = 12) -> str:
    return (value or "")[:n]


def one_line(text: str | None, limit: int = 0) -> str:
    """Collapse whitespace and newlines; cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text or "").split())
    if limit and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat
