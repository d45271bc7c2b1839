"""The fleet results document (``fleet.json``): tenants by controls, built from tenant folders.

Built only from what is on disk — each tenant's ``results.json`` (or, for a tenant that could
not be audited, the error its task recorded) — so ``auditor fleet report DIR`` gives the same
roll-up as the run did, and works on a folder of results documents received from vendors:
``DIR/<name>/results.json`` or ``DIR/<name>.json`` (each checked for its integrity hash, and
re-verified against its snapshot when one lies beside it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.fleet.task import SNAPSHOT_FILE, TASK_FILE, tenant_counts

FLEET_FILE = "fleet.json"
PREVIOUS_FILE = "fleet.previous.json"
SCHEMA_FILE = "fleet.schema.json"
#: how bad a tenant's exit code is: a failed gate over an incomplete one over a pass
EXIT_RANK = {1: 2, 3: 1, 0: 0}
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
#: (results path, snapshot path) -> (matches, one-line reason); the CLI passes ``auditor verify``
Verifier = Callable[[Path, Path], tuple[bool, str]]


def fleet_schema() -> dict[str, Any]:
    """The JSON Schema of ``fleet.json`` (shipped in the package)."""
    return dict(json.loads(resources.files("auditor.fleet").joinpath(SCHEMA_FILE).read_text("utf-8")))


def worst_exit(codes: Sequence[int]) -> int:
    """``1`` over ``3`` over ``0``: any failed gate fails the fleet."""
    return max(codes, key=lambda c: EXIT_RANK.get(c, 1), default=0)


def _read_results(path: Path) -> dict[str, Any]:
    from auditor.results import compute_integrity
    from auditor.results.document import parse_results_json, read_results_text, validate_results

    doc = parse_results_json(read_results_text(path), str(path))
    validate_results(doc, str(path))
    integrity = doc.get("integrity") or {}
    if integrity.get("value") != compute_integrity(doc):
        raise InputError("integrity hash does not match the content (edited after sealing)", source=str(path))
    return doc


def _snapshot_beside(results: Path, recorded: str | None) -> Path | None:
    candidates = [Path(recorded)] if recorded else []
    if results.name == "results.json":
        candidates += [results.parent / SNAPSHOT_FILE, results.parent / (SNAPSHOT_FILE + ".gz")]
    else:
        stem = results.name.removesuffix(".json")
        candidates += [results.parent / f"{stem}.snapshot.json", results.parent / f"{stem}.snapshot.json.gz"]
    return next((c for c in candidates if c.is_file()), None)


def _entry(
    root: Path, key: str, results: Path, marker: dict[str, Any] | None, verifier: Verifier | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """One tenant's entry, and its results document when it has one."""
    summary = dict((marker or {}).get("summary") or {})
    entry: dict[str, Any] = {
        "id": key,
        "name": summary.get("name") or key,
        "tags": list(summary.get("tags") or []),
        "tenantId": None,
        "report": None,
        "results": None,
        "verification": "unverified",
    }
    if marker is not None and marker.get("error"):
        entry.update(gate="error", exitCode=3, error=str(marker["error"]))
        return entry, None
    try:
        doc = _read_results(results)
    except InputError as exc:
        entry.update(gate="error", exitCode=3, error=f"unreadable results: {exc}", verification="failed")
        return entry, None
    tenant = doc["snapshot"].get("tenant") or {}
    entry["tenantId"] = tenant.get("id")
    if entry["name"] == key and tenant.get("displayName"):
        entry["name"] = str(tenant["displayName"])
    entry["results"] = results.relative_to(root).as_posix()
    html = results.parent / "report.html" if results.name == "results.json" else None
    if html is not None and html.is_file():
        entry["report"] = html.relative_to(root).as_posix()
    entry.update(tenant_counts(doc))
    if summary.get("attestation"):
        entry["attestation"] = summary["attestation"]
    if verifier is not None:
        snapshot = _snapshot_beside(results, summary.get("snapshot"))
        if snapshot is not None:
            ok, reason = verifier(results, snapshot)
            entry["verification"] = "verified" if ok else "failed"
            if not ok:
                entry["verificationProblem"] = reason
    elif marker is not None:
        entry["verification"] = "produced"  # this run made it from the snapshot in the folder
    return entry, doc


def _discover(root: Path) -> list[tuple[str, Path, dict[str, Any] | None]]:
    """(key, results path, task marker) for every tenant folder and loose results file."""
    found: list[tuple[str, Path, dict[str, Any] | None]] = []
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            marker = None
            try:
                marker = json.loads((child / TASK_FILE).read_text("utf-8"))
            except (OSError, ValueError):
                pass
            if marker is not None or (child / "results.json").is_file():
                found.append(
                    (child.name, child / "results.json", marker if isinstance(marker, dict) else None)
                )
        elif (
            child.is_file()
            and child.suffix == ".json"
            and not child.name.startswith("fleet")
            and not child.name.endswith(".snapshot.json")
        ):
            found.append((child.name.removesuffix(".json"), child, None))
    return found


def build_rollup(
    root: str | Path,
    *,
    name: str | None = None,
    verifier: Verifier | None = None,
    only: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The fleet document for the tenants found under ``root`` (``only``: just those folders,
    as ``fleet run`` rolls up its own tenants); the previous roll-up gives the trend."""
    from auditor import __version__

    base = Path(root)
    if not base.is_dir():
        raise InputError("not a folder", source=str(base))
    tenants: list[dict[str, Any]] = []
    controls: dict[str, dict[str, Any]] = {}
    wanted = set(only) if only is not None else None
    for key, results, marker in _discover(base):
        if wanted is not None and key not in wanted:
            continue
        entry, doc = _entry(base, key, results, marker, verifier)
        tenants.append(entry)
        for r in (doc or {}).get("results", []):
            c = controls.setdefault(
                r["policyId"],
                {
                    "policyId": r["policyId"],
                    "title": r.get("title", ""),
                    "severity": r["severity"],
                    "failed": 0,
                    "errors": 0,
                    "statuses": {},
                },
            )
            c["statuses"][key] = r["status"]
            c["failed"] += r["status"] == "fail"
            c["errors"] += r["status"] == "error"
    if not tenants:
        raise InputError("no tenant folders or results documents found", source=str(base))
    tenants.sort(key=_badness)
    ordered = sorted(
        controls.values(),
        key=lambda c: (-c["failed"], -SEVERITY_RANK.get(c["severity"], 0), -c["errors"], c["policyId"]),
    )
    by_gate = {g: sum(t["gate"] == g for t in tenants) for g in ("failed", "incomplete", "error", "passed")}
    by_severity: dict[str, int] = dict.fromkeys(SEVERITY_RANK, 0)
    for t in tenants:
        for sev, n in (t.get("failBySeverity") or {}).items():
            by_severity[sev] = by_severity.get(sev, 0) + n
    exit_code = worst_exit([t["exitCode"] for t in tenants])
    content = _content_sha256(tenants)
    previous = _previous(base, content)
    doc = {
        "schemaVersion": 1,
        "kind": "auditor-fleet",
        "fleet": name or (previous or {}).get("fleet") or base.resolve().name,
        "tool": {"name": "auditor", "version": __version__},
        "generatedAt": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "contentSha256": content,
        "exitCode": exit_code,
        "summary": {
            "tenants": len(tenants),
            "byGate": by_gate,
            "failBySeverity": by_severity,
            "failingControls": sum(c["failed"] > 0 for c in ordered),
        },
        "tenants": tenants,
        "controls": ordered,
        "trend": _trend(tenants, previous),
    }
    return doc


def _content_sha256(tenants: list[dict[str, Any]]) -> str:
    """A fingerprint of the tenants' outcomes: re-rendering the same run keeps the same previous run."""
    import hashlib

    kept = ("id", "gate", "exitCode", "failing", "error", "snapshotSha256", "counts")
    body = sorted(json.dumps({k: t.get(k) for k in kept}, sort_keys=True, default=str) for t in tenants)
    return hashlib.sha256("\n".join(body).encode("utf-8")).hexdigest()


def _previous(base: Path, content: str) -> dict[str, Any] | None:
    """The run to compare with: ``fleet.json`` unless it is this very roll-up re-rendered."""
    current = _load(base / FLEET_FILE)
    if current is not None and current.get("contentSha256") != content:
        return current
    return _load(base / PREVIOUS_FILE)


def _badness(t: dict[str, Any]) -> tuple[Any, ...]:
    weight = sum(n * 10 ** SEVERITY_RANK.get(s, 0) for s, n in (t.get("failBySeverity") or {}).items())
    return (-EXIT_RANK.get(t["exitCode"], 1), -weight, t["id"])


def _load(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("kind") == "auditor-fleet" else None


def _trend(tenants: list[dict[str, Any]], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """Per tenant, the gate and failure count of the previous run; new and vanished tenants."""
    if previous is None:
        return None
    before = {t["id"]: t for t in previous.get("tenants", []) if isinstance(t, dict) and "id" in t}
    changes = []
    for t in tenants:
        old = before.get(t["id"])
        now_fail = len(t.get("failing") or [])
        old_fail = len(old.get("failing") or []) if old else None
        changes.append(
            {
                "id": t["id"],
                "gateBefore": old.get("gate") if old else None,
                "gateNow": t["gate"],
                "failBefore": old_fail,
                "failNow": now_fail,
                "newlyFailing": sorted(set(t.get("failing") or []) - set((old or {}).get("failing") or [])),
                "fixed": sorted(set((old or {}).get("failing") or []) - set(t.get("failing") or [])),
            }
        )
    current = {t["id"] for t in tenants}
    return {
        "previousGeneratedAt": previous.get("generatedAt"),
        "exitCodeBefore": previous.get("exitCode"),
        "tenants": changes,
        "gone": sorted(set(before) - current),
    }


def write_rollup(root: str | Path, doc: dict[str, Any], formats: Sequence[str]) -> list[Path]:
    """Keep the old ``fleet.json`` as ``fleet.previous.json``, then write the chosen formats."""
    from auditor.fleet.render import ALIASES, FILES, render
    from auditor.snapshot import write_atomic

    base = Path(root)
    written = []
    current = base / FLEET_FILE
    old = _load(current)
    if old is not None and old.get("contentSha256") != doc["contentSha256"] and "json" in formats:
        current.replace(base / PREVIOUS_FILE)
    for fmt in formats:
        path = base / FILES[ALIASES.get(fmt, fmt)]
        write_atomic(path, render(doc, fmt))
        written.append(path)
    return written
