"""One tenant, one task: collect (or take the given snapshot), audit, write ``DIR/<id>/``.

Runs inside a Dask worker process, so everything it needs comes in as plain values and
everything it hands back is a small JSON-able summary: the results stay on the worker's
disk, never travel through the scheduler. Any failure is caught here and becomes the
tenant's ``error``: one tenant's broken credential never stops the others.

Files written (as ``auditor audit --out`` writes them): every report format, then
``snapshot.json`` when the task collected it, and last ``fleet-task.json``: its presence
with a matching ``key`` is what makes a re-run skip the tenant.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditor.errors import InputError
from auditor.fleet.model import TenantSpec

#: the marker written last into a tenant's folder
TASK_FILE = "fleet-task.json"
#: the snapshot a collecting task writes into the tenant's folder
SNAPSHOT_FILE = "snapshot.json"
STATUSES = ("pass", "fail", "error", "waived", "manual", "not_applicable")


def done_summary(folder: Path, key: str) -> dict[str, Any] | None:
    """The summary recorded by an earlier run of the same inputs, or None (re-run the tenant)."""
    try:
        marker = json.loads((folder / TASK_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("key") != key or marker.get("error"):
        return None
    if not (folder / "results.json").is_file():
        return None
    summary = marker.get("summary")
    return dict(summary) if isinstance(summary, dict) else None


def resume_key(spec: TenantSpec, run_id: str) -> str:
    """What must match for a re-run to skip the tenant.

    From a snapshot: :meth:`TenantSpec.audit_key` over the file's sha256 (same inputs, same
    results, whatever run made them). Collected: the same settings *and the same run* — an
    interrupted run resumed skips what it finished; the next scheduled run collects afresh.
    """
    if spec.snapshot:
        try:
            digest = hashlib.sha256(Path(spec.snapshot).read_bytes()).hexdigest()
        except OSError:
            return "unreadable"
        return spec.audit_key(digest)
    body = json.dumps(
        {
            "run": run_id,
            "auth": spec.auth,
            "graph": spec.graph_url,
            "sources": spec.sources,
            "env": spec.credentials_env,
        },
        sort_keys=True,
    )
    return spec.audit_key(hashlib.sha256(body.encode()).hexdigest())


def run_tenant(spec: TenantSpec, out_root: str, key: str) -> dict[str, Any]:
    """Audit one tenant into ``out_root/<id>/``; returns its summary (never raises)."""
    folder = Path(out_root) / spec.id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TASK_FILE).unlink(missing_ok=True)
    started = time.monotonic()
    summary: dict[str, Any] = {"id": spec.id, "name": spec.name, "tags": list(spec.tags)}
    try:
        snapshot = spec.snapshot or _collect(spec, folder)
        summary.update(_audit(spec, snapshot, folder))
        if spec.snapshot:
            summary["snapshot"] = spec.snapshot
    except InputError as exc:
        summary.update(_failed(str(exc)))
    except Exception as exc:  # isolate the tenant: any failure is its error, named, not the fleet's
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        summary.update(_failed(f"unexpected failure: {detail}"))
    summary["seconds"] = round(time.monotonic() - started, 3)
    summary["worker"] = _worker_usage()
    marker = {"key": key, "error": summary.get("error"), "summary": summary}
    from auditor.snapshot import write_atomic

    write_atomic(folder / TASK_FILE, json.dumps(marker, indent=1, sort_keys=True).encode("utf-8"))
    return summary


def _worker_usage() -> dict[str, int]:
    """This worker process and its peak memory so far (what ``benchmarks/bench_fleet.py`` reports)."""
    import os
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return {"pid": os.getpid(), "peakRssMB": peak * scale // 1_000_000}


def _failed(message: str) -> dict[str, Any]:
    return {
        "gate": "error",
        "exitCode": 3,
        "error": "; ".join(line.strip() for line in message.splitlines() if line.strip()),
    }


def _loopback_origin(url: str | None) -> str | None:
    """``scheme://host:port`` of a loopback ``url``: a local server answers every service then."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("localhost", "::1") or host.startswith("127."):
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _collect(spec: TenantSpec, folder: Path) -> str:
    """Collect the tenant into ``folder/snapshot.json`` with its own credential.

    One task per tenant and the collector's own concurrency (6 requests) keep each tenant
    within Graph's per-tenant limits however many tenants run at once.
    Incremental collection from the previous snapshot (``collect --since``) is left to the
    collector: when it lands, pass the folder's old snapshot here.
    """
    from auditor.collect.auth import build_credential
    from auditor.collect.catalog import select_sources
    from auditor.collect.runner import CollectOptions, collect

    assert spec.auth is not None
    auth = build_credential(spec.auth, tenant_id=spec.id, env=spec.environment())
    local = _loopback_origin(spec.graph_url)
    options = CollectOptions(
        sources=tuple(select_sources(list(spec.sources) if spec.sources else None)),
        graph_url=spec.graph_url,
        exchange_url=local,
        arm_url=local,
        activity_url=local,
        sharepoint_url=local,
        tenant_id=spec.id,
    )
    out = folder / SNAPSHOT_FILE
    try:
        collect(auth, options, out=out)
    finally:
        auth.credential.close()
    return str(out)


def _audit(spec: TenantSpec, snapshot: str, folder: Path) -> dict[str, Any]:
    from auditor import api
    from auditor.policy import cache
    from auditor.snapshot import write_atomic

    cache.load_code()  # the policies' compiled Python, shared with `auditor audit` through the user's cache
    result = api.audit(snapshot, baseline=spec.baseline, params=spec.params, fail_on=spec.fail_on)
    cache.store_code()
    doc = result.document
    # results.json last: a folder with it holds a complete set
    for fmt in [f for f in api.formats() if f != "json"] + ["json"]:
        write_atomic(folder / api.report_filename(fmt), result.render(fmt))
    attestation = _attest(spec, folder, snapshot)
    return {**tenant_counts(doc), **({"attestation": attestation} if attestation else {})}


def _attest(spec: TenantSpec, folder: Path, snapshot: str) -> str | None:
    """Sign the results when the fleet asks for it and this version of auditor can.

    The hook: an ``attest(results, snapshot, key=..., sigstore=...)`` function in
    ``auditor.api`` writes ``results.intoto.jsonl``; without it the tenant is marked
    ``unavailable`` rather than silently unsigned.
    """
    if not spec.attest:
        return None
    from auditor import api

    sign = getattr(api, "attest", None)
    if sign is None:
        return "unavailable"
    sign(str(folder / "results.json"), snapshot, **spec.attest)
    return "signed"


def tenant_counts(doc: Any) -> dict[str, Any]:
    """Gate, exit code, counts by status and by severity of failures, failing policy ids."""
    summary = doc["summary"]
    by_severity: dict[str, int] = {}
    failing: list[str] = []
    for r in doc["results"]:
        if r["status"] == "fail":
            by_severity[r["severity"]] = by_severity.get(r["severity"], 0) + 1
            failing.append(r["policyId"])
    gate = summary["gate"]
    return {
        "gate": gate,
        "exitCode": {"passed": 0, "failed": 1, "incomplete": 3}[gate],
        "failOn": summary.get("failOn") or doc["baseline"].get("failOn"),
        "counts": {s: int(summary.get(s, 0)) for s in STATUSES},
        "failBySeverity": by_severity,
        "failing": failing,
        "snapshotSha256": doc["snapshot"]["sha256"],
        "baseline": doc["baseline"]["name"],
        "error": None,
    }
