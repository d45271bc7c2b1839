"""Differences between two results documents, or between two snapshots (``auditor diff``).

Computed as plain dicts (the ``--format json`` output) and rendered from them as
rich text or Markdown, so all three outputs agree. Ordering is deterministic
(policy IDs, collection names and object keys sorted) so a diff can itself be
diffed or committed.

Results: *new failures* follow the one definition ``audit --since`` uses too
(``auditor.results.newfailures``): a policy failing now that did not fail before (or did
not exist), or a policy failing on both sides with subjects failing now that did not
before. An ``error`` is not a failure: a policy that errs now is listed under *changed*,
and makes the ``--fail-on-new`` gate incomplete (exit 3) like ``--since`` does. *Fixed*
were failing or erroring and now pass; *changed* covers every other status change and,
for policies present on both sides, changes of failing subjects or findings. The gate is
computed exactly as ``audit NEW --since OLD`` computes it. Snapshots: list elements are matched by ``id``
(else by their canonical JSON) and compared whole; singleton objects are compared
whole; collection source statuses are compared too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from auditor.report._common import Doc, Result
from auditor.report.markdown import cell, code
from auditor.results import canonical_json
from auditor.results.newfailures import failing_subjects, tenant_id
from auditor.results.newfailures import new_failures as shared_new_failures
from auditor.results.since import since_member

BAD = ("fail", "error")


def _failing_subjects(r: Result) -> set[str]:
    return failing_subjects(r)


def _entry(r: Result, before: str | None) -> dict[str, Any]:
    return {
        "policyId": r["policyId"],
        "title": r["title"],
        "severity": r["severity"],
        "before": before,
        "after": r["status"],
    }


def diff_results(old: Doc, new: Doc) -> dict[str, Any]:
    """New failures, fixed, changed, added and removed policies, the gate change, and the gate
    on new failures (``newGate``: what ``audit NEW --since OLD`` would decide)."""
    a = {r["policyId"]: r for r in old["results"]}
    b = {r["policyId"]: r for r in new["results"]}
    fresh = shared_new_failures(new, old)
    new_failures, fixed, changed = [], [], []
    for pid in sorted(b):
        rb = b[pid]
        ra = a.get(pid)
        before = ra["status"] if ra else None
        subj_a = _failing_subjects(ra) if ra else set()
        subj_b = _failing_subjects(rb)
        entry = _entry(rb, before)
        entry["newFailingSubjects"] = sorted(subj_b - subj_a)
        entry["fixedSubjects"] = sorted(subj_a - subj_b)
        if pid in fresh:
            entry["newFailingSubjects"] = fresh[pid]["subjects"]
            entry["newPolicyFailure"] = fresh[pid]["policy"]
            new_failures.append(entry)
        elif before in BAD and rb["status"] == "pass":
            fixed.append(entry)
        elif ra is not None and (
            before != rb["status"]
            or entry["newFailingSubjects"]
            or entry["fixedSubjects"]
            or canonical_json(ra["findings"]) != canonical_json(rb["findings"])
        ):
            if before == rb["status"] and not entry["newFailingSubjects"] and not entry["fixedSubjects"]:
                entry["note"] = "findings changed"
            changed.append(entry)
    added = [_entry(b[pid], None) for pid in sorted(set(b) - set(a))]
    removed = [
        {
            "policyId": pid,
            "title": a[pid]["title"],
            "severity": a[pid]["severity"],
            "before": a[pid]["status"],
            "after": None,
        }
        for pid in sorted(set(a) - set(b))
    ]
    return {
        "kind": "results",
        "old": {
            "snapshotSha256": old["snapshot"]["sha256"],
            "generatedAt": old["generatedAt"],
            "gate": old["summary"]["gate"],
            "tenant": tenant_id(old),
        },
        "new": {
            "snapshotSha256": new["snapshot"]["sha256"],
            "generatedAt": new["generatedAt"],
            "gate": new["summary"]["gate"],
            "tenant": tenant_id(new),
        },
        "newGate": _new_gate(new, old),
        "newFailures": new_failures,
        "fixed": fixed,
        "changed": changed,
        "added": added,
        "removed": removed,
    }


def _new_gate(new: Doc, old: Doc) -> dict[str, Any]:
    """The gate on new failures, as ``audit --since`` records it (fail-on from NEW)."""
    since = since_member(new, old, "")
    return {
        "failOn": str(new["summary"].get("failOn") or "high"),
        "gate": since["gate"],
        "exitCode": since["exitCode"],
    }


def _label(obj: Any) -> str:
    if isinstance(obj, Mapping):
        for key in ("userPrincipalName", "displayName", "name", "id"):
            if isinstance(obj.get(key), str) and obj[key]:
                return (
                    f"{obj[key]} ({obj['id']})"
                    if key != "id" and isinstance(obj.get("id"), str)
                    else obj[key]
                )
    text = canonical_json(obj).decode()
    return text if len(text) <= 80 else text[:79] + "…"


def _keyed(items: list[Any]) -> dict[str, Any]:
    """Index list elements by ``id`` when every element has a string id, else by canonical JSON."""
    if items and all(isinstance(x, Mapping) and isinstance(x.get("id"), str) for x in items):
        return {x["id"]: x for x in items}
    return {canonical_json(x).decode(): x for x in items}


def _count(items: list[Any]) -> str:
    return f"{len(items)} item" + ("" if len(items) == 1 else "s")


def _is_object_of_lists(value: Any) -> bool:
    """``groupMembers``-shaped: an object whose values are all lists (id -> members)."""
    return isinstance(value, Mapping) and all(isinstance(v, list) for v in value.values())


def _diff_object_of_lists(va: Mapping[str, list[Any]], vb: Mapping[str, list[Any]]) -> dict[str, list[str]]:
    """Per key: a key added or removed as a whole, else the elements added, removed, changed in it.

    ``groupMembers`` diffs as "who joined or left which group", not as one changed object.
    """
    added: list[str] = []
    removed: list[str] = []
    changed: list[str] = []
    for key in sorted(set(va) | set(vb)):
        if key not in va:
            added.append(f"{key} ({_count(vb[key])})")
            continue
        if key not in vb:
            removed.append(f"{key} ({_count(va[key])})")
            continue
        if canonical_json(va[key]) == canonical_json(vb[key]):
            continue
        ka, kb = _keyed(va[key]), _keyed(vb[key])
        added.extend(f"{_label(kb[k])} in {key}" for k in set(kb) - set(ka))
        removed.extend(f"{_label(ka[k])} in {key}" for k in set(ka) - set(kb))
        changed.extend(
            f"{_label(kb[k])} in {key}"
            for k in set(ka) & set(kb)
            if canonical_json(ka[k]) != canonical_json(kb[k])
        )
    return {"added": sorted(added), "removed": sorted(removed), "changed": sorted(changed)}


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Per collection: objects added, removed, changed; collections whose status changed."""
    da, db = old.get("data", {}), new.get("data", {})
    collections: dict[str, Any] = {}
    for name in sorted(set(da) | set(db)):
        va, vb = da.get(name), db.get(name)
        if canonical_json(va) == canonical_json(vb):
            continue
        entry: dict[str, Any] = {"added": [], "removed": [], "changed": []}
        if name not in da:
            entry["collection"] = "added"
        elif name not in db:
            entry["collection"] = "removed"
        if _is_object_of_lists(va) and _is_object_of_lists(vb):
            entry.update(_diff_object_of_lists(va, vb))
        elif isinstance(va, list) and isinstance(vb, list):
            ka, kb = _keyed(va), _keyed(vb)
            entry["added"] = sorted(_label(kb[k]) for k in set(kb) - set(ka))
            entry["removed"] = sorted(_label(ka[k]) for k in set(ka) - set(kb))
            entry["changed"] = sorted(
                _label(kb[k]) for k in set(ka) & set(kb) if canonical_json(ka[k]) != canonical_json(kb[k])
            )
        elif va is None or vb is None:
            present = va if va is not None else vb
            items = present if isinstance(present, list) else [present]
            entry["added" if va is None else "removed"] = sorted(_label(x) for x in items)
        else:
            entry["changed"] = [_label(vb)]
        collections[name] = entry
    sa, sb = old.get("sources", {}) or {}, new.get("sources", {}) or {}
    statuses = [
        {"collection": n, "before": (sa.get(n) or {}).get("status"), "after": (sb.get(n) or {}).get("status")}
        for n in sorted(set(sa) | set(sb))
        if (sa.get(n) or {}).get("status") != (sb.get(n) or {}).get("status")
    ]
    return {
        "kind": "snapshots",
        "old": {"tenant": (old.get("tenant") or {}).get("id"), "collectedAt": old.get("collectedAt")},
        "new": {"tenant": (new.get("tenant") or {}).get("id"), "collectedAt": new.get("collectedAt")},
        "collections": collections,
        "sourceStatusChanges": statuses,
    }


def _subjects_note(e: Mapping[str, Any], limit: int = 10) -> str:
    parts = []
    for key, label in (("newFailingSubjects", "new failing"), ("fixedSubjects", "fixed")):
        subj = list(e.get(key) or [])
        if subj:
            more = f", and {len(subj) - limit} more" if len(subj) > limit else ""
            parts.append(f"{label}: {', '.join(subj[:limit])}{more}")
    if e.get("note"):
        parts.append(str(e["note"]))
    return "; ".join(parts)


def _new_gate_line(d: Mapping[str, Any]) -> str:
    g = d.get("newGate")
    if not g:
        return ""
    return (
        f"Gate on new failures (fail-on {g['failOn']}, as audit --since decides): "
        f"{g['gate']} (exit {g['exitCode']} with --fail-on-new)"
    )


RESULT_SECTIONS = (
    ("newFailures", "New failures", "bold red"),
    ("fixed", "Fixed", "bold green"),
    ("changed", "Changed", "bold yellow"),
    ("added", "Added policies", "bold"),
    ("removed", "Removed policies", "bold"),
)


def render_text(d: Mapping[str, Any]) -> RenderableType:
    """Rich renderable of either kind of diff."""
    parts: list[RenderableType] = []
    if d["kind"] == "results":
        parts.append(Text(f"Gate {d['old']['gate']} → {d['new']['gate']}", style="bold"))
        parts.append(Text(_new_gate_line(d)))
        for key, title, style in RESULT_SECTIONS:
            items = d[key]
            parts.append(Text(f"\n{title} ({len(items)})", style=style))
            for e in items:
                t = Text(f"  {e['policyId']}  ", style="bold")
                t.append(f"[{e['severity']}] {e['before'] or '-'} → {e['after'] or '-'}  {e['title']}")
                note = _subjects_note(e)
                if note:
                    t.append(f"\n      {note}", style="dim")
                parts.append(t)
        return Group(*parts)
    parts.append(Text(f"Snapshot {d['old']['collectedAt']} → {d['new']['collectedAt']}", style="bold"))
    if not d["collections"] and not d["sourceStatusChanges"]:
        parts.append(Text("No differences.", style="green"))
    for name, e in d["collections"].items():
        head = f"\n{name}" + (f" (collection {e['collection']})" if e.get("collection") else "")
        parts.append(
            Text(head + f": +{len(e['added'])} -{len(e['removed'])} ~{len(e['changed'])}", style="bold")
        )
        for sign, key, style in (
            ("+", "added", "green"),
            ("-", "removed", "red"),
            ("~", "changed", "yellow"),
        ):
            parts.extend(Text(f"  {sign} {label}", style=style) for label in e[key])
    if d["sourceStatusChanges"]:
        parts.append(Text("\nCollection status changes", style="bold"))
        parts.extend(
            Text(f"  {s['collection']}: {s['before'] or 'absent'} → {s['after'] or 'absent'}")
            for s in d["sourceStatusChanges"]
        )
    return Group(*parts)


def render_markdown(d: Mapping[str, Any]) -> str:
    """Markdown of either kind of diff (for pull-request comments)."""
    lines: list[str] = []
    if d["kind"] == "results":
        lines += [f"## auditor diff: gate {d['old']['gate']} → {d['new']['gate']}", "", _new_gate_line(d), ""]
        for key, title, _ in RESULT_SECTIONS:
            items = d[key]
            lines.append(f"### {title} ({len(items)})")
            lines.append("")
            if items:
                lines += [
                    "| Policy | Severity | Before | After | Title | Subjects |",
                    "|---|---|---|---|---|---|",
                ]
                lines += [
                    f"| {code(e['policyId'])} | {cell(e['severity'])} | {cell(e['before'] or '–')} | "
                    f"{cell(e['after'] or '–')} | {cell(e['title'])} | {cell(_subjects_note(e), 300)} |"
                    for e in items
                ]
                lines.append("")
        return "\n".join(lines) + "\n"
    lines += [
        f"## auditor diff: snapshot {cell(d['old']['collectedAt'])} → {cell(d['new']['collectedAt'])}",
        "",
    ]
    if not d["collections"] and not d["sourceStatusChanges"]:
        lines.append("No differences.")
    if d["collections"]:
        lines += ["| Collection | Added | Removed | Changed |", "|---|---:|---:|---:|"]
        lines += [
            f"| {code(n)} | {len(e['added'])} | {len(e['removed'])} | {len(e['changed'])} |"
            for n, e in d["collections"].items()
        ]
        lines.append("")
        for n, e in d["collections"].items():
            for sign, key in (("+", "added"), ("-", "removed"), ("~", "changed")):
                lines += [f"- {code(n)} {sign} {cell(label)}" for label in e[key][:50]]
                if len(e[key]) > 50:
                    lines.append(f"- {code(n)} {sign} and {len(e[key]) - 50} more")
        lines.append("")
    if d["sourceStatusChanges"]:
        lines.append(
            "Collection status changes: "
            + "; ".join(
                f"{code(s['collection'])} {cell(s['before'] or 'absent')} → {cell(s['after'] or 'absent')}"
                for s in d["sourceStatusChanges"]
            )
        )
    return "\n".join(lines) + "\n"
