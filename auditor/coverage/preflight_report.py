"""The rollout pre-flight's reports: text (counts first, then named users grouped by reason),
a JSON document (schema: ``auditor/data/preflight-schema.json``) and Markdown for a
pull-request comment or a job summary. All three render from :func:`document`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.coverage.preflight import Finding, Result

#: named users per reason in the text and Markdown reports (JSON names every one)
SHOWN = 20
STATUS_WORDS = {
    "uncovered": "not covered",
    "error": "cannot be decided",
    "loses": "lose coverage",
    "gains": "gain coverage",
}
KIND_WORDS = {"wave": "wave user", "future": "future user", "user": "user"}


def document(result: Result, context: Mapping[str, Any], exit_code: int) -> dict[str, Any]:
    """The JSON document: what was judged, counts per requirement, and every finding."""
    flips = {c.label(): (b, a) for c, b, a in result.flips}
    requirements = []
    for check in result.checks:
        req = check.requirement
        label = check.label()
        requirements.append(
            {
                "policy": check.policy,
                "title": check.title,
                "severity": check.severity,
                "require": req.kind,
                "roles": list(req.roles) if req.roles is not None else None,
                "label": label,
                "counts": dict(sorted(result.counts.get(label, {}).items())),
                "flip": {"before": flips[label][0], "after": flips[label][1]} if label in flips else None,
            }
        )
    return {
        "kind": "auditor-whatif-preflight",
        "version": 1,
        **{k: context.get(k) for k in ("snapshot", "tenant", "collectedAt", "baseline", "failOn")},
        "wave": context.get("wave"),
        "skipped": list(context.get("skipped") or []),
        "change": context.get("change"),
        "exitCode": exit_code,
        "outcome": {0: "covered", 1: "gaps", 3: "undecidable"}.get(exit_code, "error"),
        "requirements": requirements,
        "findings": [
            {
                "policy": f.check.policy,
                "requirement": f.check.label(),
                "subjects": f.subjects,
                "count": len(f.subjects),
                "kind": f.kind,
                "status": f.status,
                "where": f.where,
                "why": f.why,
            }
            for f in result.findings
        ],
    }


def _grouped(findings: Sequence[Mapping[str, Any]]) -> list[tuple[tuple[str, str, str, str, str], list[str]]]:
    groups: dict[tuple[str, str, str, str, str], list[str]] = {}
    for f in findings:
        key = (f["requirement"], f["status"], f["kind"], f["where"], f["why"])
        groups.setdefault(key, []).extend(f["subjects"])
    order = ("loses", "uncovered", "error", "gains")
    return sorted(groups.items(), key=lambda kv: (order.index(kv[0][1]), -len(kv[1]), kv[0]))


def _headline(doc: Mapping[str, Any]) -> list[str]:
    what = []
    if doc.get("wave"):
        what.append(f"wave {doc['wave']['file']} ({doc['wave']['rows']} rows)")
    if doc.get("change"):
        ch = doc["change"]
        what.append("change " + ", ".join([*ch["files"], *(f"remove {i}" for i in ch["removed"])]))
    if not what:
        what.append("future users")
    lines = [
        f"Pre-flight of {' and '.join(what)} against {doc.get('snapshot')} "
        f"(baseline {doc.get('baseline')}, fail on {doc.get('failOn')}):"
    ]
    totals: dict[str, int] = {}
    for f in doc["findings"]:
        key = f"{STATUS_WORDS[f['status']]}"
        totals[key] = totals.get(key, 0) + f["count"]
    lines.append(
        f"  {len(doc['requirements'])} conditional access requirements judged; "
        + (", ".join(f"{n} finding(s) {k}" for k, n in totals.items()) or "every subject covered")
        + f"; outcome: {doc['outcome']} (exit {doc['exitCode']})"
    )
    return lines


def _count_words(counts: Mapping[str, int]) -> str:
    parts = []
    if "waveSubjects" in counts:
        parts.append(
            f"{counts.get('waveUncovered', 0)} of {counts['waveSubjects']} wave users not covered"
            + (f", {counts['waveErrors']} undecidable" if counts.get("waveErrors") else "")
        )
    if "futureSubjects" in counts and (counts.get("futureUncovered") or counts.get("futureErrors")):
        parts.append(
            f"{counts.get('futureUncovered', 0)} of {counts['futureSubjects']} future users not covered"
        )
    if "subjects" in counts:
        parts.append(
            f"{counts.get('loses', 0)} lose coverage, {counts.get('gains', 0)} gain it "
            f"(uncovered {counts.get('uncoveredBefore', 0)} -> {counts.get('uncoveredAfter', 0)} "
            f"of {counts['subjects']})"
        )
    if counts.get("errors"):
        parts.append(f"{counts['errors']} cannot be decided")
    return "; ".join(parts) or "all covered"


def text(doc: Mapping[str, Any]) -> str:
    lines = _headline(doc)
    for s in doc["skipped"]:
        lines.append(f"  {s['policy']} could not be judged: {s['why']}")
    lines.append("")
    lines.append("By requirement:")
    for r in doc["requirements"]:
        flip = f" [verdict {r['flip']['before']} -> {r['flip']['after']}]" if r["flip"] else ""
        lines.append(f"  {r['label']} ({r['severity']}): {_count_words(r['counts'])}{flip}")
    groups = _grouped(doc["findings"])
    if groups:
        lines.append("")
        lines.append("Who, grouped by reason:")
    for (label, status, kind, where, why), names in groups:
        lines.append(f"  {len(names)} {KIND_WORDS[kind]}(s) {STATUS_WORDS[status]} — {label}")
        if where:
            lines.append(f"    on {where}")
        if why:
            lines.append(f"    why: {why}")
        shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
        lines.append(f"    {shown}")
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def markdown(doc: Mapping[str, Any]) -> str:
    icon = {0: "✅", 1: "❌", 3: "⚠️"}.get(int(doc["exitCode"]), "⚠️")
    lines = [f"### {icon} Conditional access pre-flight: {doc['outcome']}", ""]
    lines += [_md(line.strip()) for line in _headline(doc)]
    lines += ["", "| Requirement | Severity | Result |", "| --- | --- | --- |"]
    for r in doc["requirements"]:
        flip = f" (verdict {r['flip']['before']} → {r['flip']['after']})" if r["flip"] else ""
        lines.append(f"| {_md(r['label'])} | {r['severity']} | {_md(_count_words(r['counts']))}{flip} |")
    for (label, status, kind, where, why), names in _grouped(doc["findings"]):
        lines += [
            "",
            f"<details><summary>{len(names)} {KIND_WORDS[kind]}(s) {STATUS_WORDS[status]}: {_md(label)}</summary>",
            "",
        ]
        if where:
            lines.append(f"- **where:** {_md(where)}")
        if why:
            lines.append(f"- **why:** {_md(why)}")
        shown = ", ".join(f"`{_md(n)}`" for n in names[:50])
        lines.append(f"- **who:** {shown}" + (f" and {len(names) - 50} more" if len(names) > 50 else ""))
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def finding_count(findings: Sequence[Finding]) -> int:
    """How many subjects the findings name."""
    return sum(len(f.subjects) for f in findings)
