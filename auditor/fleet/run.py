"""Run a fleet on Dask distributed: one task per tenant, memory declared per task.

Why Dask: tenants are independent, long (minutes of Graph paging) and uneven (a 1.5M-user
tenant needs ~6 GB while a small one needs 300 MB). Dask's worker *resources* let each task
declare the memory it needs so the scheduler only places it on a worker that has it, and
the same code runs on an embedded ``LocalCluster`` or on a cluster users already operate
(``dask scheduler``/``dask worker``, dask-kubernetes) by address.

Resources: every worker of the embedded cluster advertises ``MEMORY_MB`` equal to its memory
limit; a task asks for its estimate (:func:`memory_mb`). Workers of an external cluster are
started with ``--resources MEMORY_MB=<n>``; when none advertises it, tasks are submitted
without the constraint (and a warning says so) rather than waiting forever.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.errors import AuditWarning
from auditor.fleet.model import FleetSpec, TenantSpec
from auditor.fleet.task import done_summary, resume_key, run_tenant

RESOURCE = "MEMORY_MB"
#: a small tenant's audit (policies compiled, a few thousand objects)
BASE_MB = 300
#: measured: about 6 GB for 1.5M users while audited
MB_PER_1000_USERS = 4
#: an uncompressed snapshot's bytes held as Python objects
OBJECT_BYTES_PER_FILE_BYTE = 3
#: the marker of an unfinished run: its id keeps collected tenants skipped on resume
RUN_FILE = ".fleet-run.json"


def memory_mb(spec: TenantSpec) -> int:
    """The memory one tenant's task declares: from a ``users`` hint, else the snapshot's size."""
    if spec.users is not None:
        return BASE_MB + spec.users * MB_PER_1000_USERS // 1000
    if spec.snapshot:
        try:
            size = os.path.getsize(spec.snapshot)
        except OSError:
            return BASE_MB
        if spec.snapshot.endswith(".gz"):
            size *= 10
        return BASE_MB + size * OBJECT_BYTES_PER_FILE_BYTE // 1_000_000
    return BASE_MB


def run_id(out: Path) -> str:
    """The current run's id: the unfinished one's when resuming, else a new one."""
    try:
        recorded = json.loads((out / RUN_FILE).read_text("utf-8"))
        if isinstance(recorded, dict) and isinstance(recorded.get("run"), str):
            return str(recorded["run"])
    except (OSError, ValueError):
        pass
    new = uuid.uuid4().hex
    out.mkdir(parents=True, exist_ok=True)
    (out / RUN_FILE).write_text(json.dumps({"run": new}), "utf-8")
    return new


def finish_run(out: Path) -> None:
    """Every tenant has an outcome: the next run starts afresh."""
    (out / RUN_FILE).unlink(missing_ok=True)


def _client(scheduler: str | None, workers: int | None) -> Any:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)  # type: ignore[no-untyped-call]
    n = workers or os.cpu_count() or 1
    limit = _total_memory() // n  # what LocalCluster's "auto" gives each worker, stated as a resource
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=limit,
        resources={RESOURCE: max(limit // 1_000_000, BASE_MB)},
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    client.wait_for_workers(n, timeout=120)
    return client


def _total_memory() -> int:
    from distributed.system import MEMORY_LIMIT

    return int(MEMORY_LIMIT)


def _largest_worker_mb(client: Any) -> int | None:
    """The largest ``MEMORY_MB`` a worker advertises, or None when none does."""
    sizes = [
        w.get("resources", {}).get(RESOURCE) for w in client.scheduler_info().get("workers", {}).values()
    ]
    known = [int(s) for s in sizes if s]
    return max(known) if known else None


def run_fleet(
    fleet: FleetSpec,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Audit every tenant; returns their summaries in FLEET.yaml order.

    Tenants whose folder already holds a complete result for the same inputs are skipped
    (``skipped: true`` in their summary). ``on_done`` hears each summary as it arrives.
    """
    from dask.distributed import as_completed

    root = Path(out)
    current = run_id(root)
    summaries: dict[str, dict[str, Any]] = {}
    pending: list[tuple[TenantSpec, str]] = []
    for spec in fleet.tenants:
        key = resume_key(spec, current)
        previous = done_summary(root / spec.id, key)
        if previous is not None:
            summaries[spec.id] = {**previous, "skipped": True}
            if on_done:
                on_done(summaries[spec.id])
        else:
            pending.append((spec, key))
    if pending:
        logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO/WARNING chatter is not the user's
        with _client(scheduler, workers) as client:
            largest = _largest_worker_mb(client)
            if largest is None:
                warnings.warn(
                    f"no worker advertises the {RESOURCE} resource: tenants are placed without regard "
                    f"to memory (start workers with --resources {RESOURCE}=<megabytes>)",
                    AuditWarning,
                    stacklevel=2,
                )
            futures = {}
            for spec, key in pending:
                need = memory_mb(spec)
                if largest is not None and need > largest:
                    summaries[spec.id] = _too_big(spec, need, largest)
                    if on_done:
                        on_done(summaries[spec.id])
                    continue
                resources = {RESOURCE: need} if largest is not None else None
                future = client.submit(
                    run_tenant,
                    spec,
                    str(root),
                    key,
                    key=f"tenant-{spec.id}-{key[:12]}",
                    resources=resources,
                    pure=False,
                )
                futures[future] = spec
            for future in as_completed(list(futures)):  # type: ignore[no-untyped-call]
                spec = futures[future]
                try:
                    summary = future.result()
                except Exception as exc:  # a worker lost (killed, out of memory): this tenant's error
                    summary = {
                        "id": spec.id,
                        "name": spec.name,
                        "tags": list(spec.tags),
                        "gate": "error",
                        "exitCode": 3,
                        "error": f"task failed: {type(exc).__name__}: {exc}",
                    }
                summaries[spec.id] = summary
                if on_done:
                    on_done(summary)
                future.release()
            futures.clear()
            if scheduler is None:
                client.close()
                client.cluster.close()
    finish_run(root)
    return [summaries[t.id] for t in fleet.tenants]


def _too_big(spec: TenantSpec, need: int, largest: int) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "tags": list(spec.tags),
        "gate": "error",
        "exitCode": 3,
        "error": f"needs about {need} MB and the largest worker offers {largest} MB "
        f"(start a bigger worker with --resources {RESOURCE}=<megabytes>)",
    }
