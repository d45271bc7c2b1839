"""Fleet: many small tenants plus one large one on the embedded Dask cluster, against the same
tenants audited one after another in this process.

    python benchmarks/bench_fleet.py [--small 200] [--small-users 50] [--large-users 100000]
        [--workers N] [--tmp DIR]

``--large-users 1500000`` asks for the issue's 1.5M-user tenant (a snapshot over a gigabyte,
about 6 GB while audited: give the workers that much). Snapshots come from
``benchmarks/gen_tenant.py``; every tenant is audited with the whole built-in library and
writes every report format into its folder, as ``auditor fleet run`` does.

Printed: wall time of the fleet run and of the sequential run and their ratio; the peak
memory of every worker process (peak RSS, as each task reported it) and of the sequential
process; the memory the large tenant's task declared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.fleet.model import FleetSpec, TenantSpec  # noqa: E402
from auditor.fleet.run import memory_mb, run_fleet  # noqa: E402
from auditor.fleet.task import resume_key, run_tenant  # noqa: E402
from benchmarks.gen_tenant import Shape, generate  # noqa: E402


def _fleet(small: Path, large: Path, n: int) -> FleetSpec:
    tenants = [TenantSpec(id=f"small-{i:04d}", name=f"Small {i}", snapshot=str(small)) for i in range(n)]
    tenants.insert(0, TenantSpec(id="large", name="Large", snapshot=str(large)))
    return FleetSpec(name="bench", tenants=tuple(tenants))


def _sequential(fleet: FleetSpec, out: Path) -> float:
    started = time.perf_counter()
    for spec in fleet.tenants:
        summary = run_tenant(spec, str(out), resume_key(spec, "bench"))
        assert not summary.get("error"), summary
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=200, help="number of small tenants (default 200)")
    parser.add_argument("--small-users", type=int, default=50)
    parser.add_argument("--large-users", type=int, default=100_000, help="users of the large tenant")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--tmp", help="folder for snapshots and outputs (default: a temporary one)")
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args(argv)
    base = Path(args.tmp or tempfile.mkdtemp(prefix="bench-fleet-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        small, large = base / "small.json", base / f"large-{args.large_users}.json"
        if not small.exists():
            generate(small, Shape(args.small_users))
        if not large.exists():
            generate(large, Shape(args.large_users))
        fleet = _fleet(small, large, args.small)
        print(
            f"{args.small} tenants of {args.small_users} users + 1 of {args.large_users} users; "
            f"{args.workers} workers; large tenant declares {memory_mb(fleet.tenants[0])} MB",
            flush=True,
        )
        shutil.rmtree(base / "fleet", ignore_errors=True)
        started = time.perf_counter()
        summaries = run_fleet(fleet, base / "fleet", workers=args.workers)
        fleet_seconds = time.perf_counter() - started
        errors = [s for s in summaries if s.get("error")]
        assert not errors, errors[:3]
        peaks: dict[int, int] = {}
        for s in summaries:
            w = s["worker"]
            peaks[w["pid"]] = max(peaks.get(w["pid"], 0), w["peakRssMB"])
        large_s = next(s for s in summaries if s["id"] == "large")["seconds"]
        print(f"fleet run:  {fleet_seconds:8.1f} s wall (large tenant task {large_s:.1f} s)")
        print(
            f"  peak RSS per worker: {', '.join(f'{mb} MB' for mb in sorted(peaks.values(), reverse=True))}"
        )
        if not args.skip_sequential:
            shutil.rmtree(base / "seq", ignore_errors=True)
            seq_seconds = _sequential(fleet, base / "seq")
            seq_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"sequential: {seq_seconds:8.1f} s wall in one process, peak RSS {seq_peak} MB")
            print(f"speed-up:   {seq_seconds / fleet_seconds:8.2f}x (fleet vs one after another)")
        print(json.dumps({"fleetSeconds": round(fleet_seconds, 1), "workerPeakMB": sorted(peaks.values())}))
    finally:
        if not args.tmp:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
