"""Collector throughput: 100,000 users plus userRegistrationDetails from the local Graph server,
through the collector (msgraph-sdk pipeline, retries, strict page checks, spooling, writing the
snapshot file as ``auditor collect`` does) versus a bare httpx loop following the same nextLinks
and keeping the items in memory, in the same run.

    python benchmarks/bench_collect.py [--users 100000] [--rounds 3]

The server runs in its own process (so its JSON encoding does not share our GIL) and caches
encoded pages after a warm-up pass, so both clients see the same server cost. Each
measurement runs in a fresh child process so that peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
NAMES = ["users", "userRegistrationDetails"]


async def bare_loop(url: str) -> int:
    """What a hand-written client would do: GET, json.loads, follow @odata.nextLink."""
    import httpx

    from auditor.collect.catalog import CATALOG
    from auditor.collect.graph import first_url

    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    async with httpx.AsyncClient(timeout=100, headers=headers) as client:

        async def one(name: str) -> list[object]:
            items: list[object] = []
            next_url: str | None = first_url(url, CATALOG[name])
            while next_url:
                response = await client.get(next_url)
                response.raise_for_status()
                doc = json.loads(response.content)
                items.extend(doc["value"])
                next_url = doc.get("@odata.nextLink")
            return items

        results = await asyncio.gather(*(one(n) for n in NAMES))
    return sum(len(r) for r in results)


def collector(url: str, out: str | None) -> int:
    from auditor.collect.auth import build_credential
    from auditor.collect.catalog import select_sources
    from auditor.collect.runner import CollectOptions, collect

    auth = build_credential("token", env={"AUDITOR_ACCESS_TOKEN": TOKEN})
    options = CollectOptions(sources=tuple(select_sources(NAMES)), graph_url=url)
    doc = collect(auth, options, out=out)
    assert all(doc["sources"][n]["status"] == "ok" for n in NAMES), doc["sources"]
    return sum(int(doc["sources"][n]["count"]) for n in NAMES)


def compile_package() -> None:
    """Byte-compile the package's modules, as pip does when it installs the tool.

    A development shell often sets PYTHONDONTWRITEBYTECODE, and then every measured run would
    compile all of auditor's modules from source again (a tenth of a second), a cost no
    installed copy pays. Python still reads bytecode that exists, so compiling once here
    measures the tool as users run it. (``__pycache__`` is ignored by git.)
    """
    import compileall

    compileall.compile_dir(str(ROOT / "auditor"), quiet=1)


def child(mode: str, url: str, out: str | None) -> None:
    started = time.perf_counter()
    count = asyncio.run(bare_loop(url)) if mode == "bare" else collector(url, out)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"mode": mode, "seconds": seconds, "objects": count, "peak_mib": peak_kib / 1024}))


def run_child(mode: str, url: str, out: str | None = None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, "--url", url] + (["--out", out] if out else [])
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["bare", "collector"])
    parser.add_argument("--url")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.out)
        return
    compile_package()
    print(f"starting the local Graph server with {args.users:,} users ...", flush=True)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.graphserver",
            "--users",
            str(args.users),
            "--token",
            TOKEN,
            "--cache-pages",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        warm = run_child("bare", url)  # fills the server's page cache for both clients
        print(f"warm-up: {warm['objects']:,} objects", flush=True)
        bare, coll = [], []
        plain = str(ROOT / "benchmarks" / ".bench_snapshot.json")
        for _ in range(args.rounds):
            bare.append(run_child("bare", url))
            Path(plain).unlink(missing_ok=True)  # a new file each round, as in the first
            coll.append(run_child("collector", url, plain))
        os.unlink(plain)
        out = str(ROOT / "benchmarks" / ".bench_snapshot.json.gz")
        written = run_child("collector", url, out)
        os.unlink(out)
    finally:
        server.terminate()
        server.wait(timeout=10)
    best_bare = min(r["seconds"] for r in bare)
    best_coll = min(r["seconds"] for r in coll)
    objects = int(coll[0]["objects"])
    print(f"objects per run:      {objects:,} ({', '.join(NAMES)})")
    print(
        f"bare httpx loop:      {best_bare:.2f} s  ({objects / best_bare:,.0f} objects/s)  "
        f"peak {max(r['peak_mib'] for r in bare):.0f} MiB"
    )
    print(
        f"collector into .json: {best_coll:.2f} s  ({objects / best_coll:,.0f} objects/s)  "
        f"peak {max(r['peak_mib'] for r in coll):.0f} MiB"
    )
    print(f"collector + .json.gz: {written['seconds']:.2f} s  peak {written['peak_mib']:.0f} MiB")
    ratio = best_bare / best_coll
    met = "met" if ratio >= 0.9 else "NOT met"
    print(f"throughput ratio (collector / bare): {ratio:.2f}  (target >= 0.90: {met})")
    print(
        f"all rounds: bare {[round(r['seconds'], 2) for r in bare]}, "
        f"collector {[round(r['seconds'], 2) for r in coll]}"
    )


if __name__ == "__main__":
    main()
