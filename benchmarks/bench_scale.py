"""Scale: ``auditor audit`` and ``auditor collect`` on synthetic tenants, against the bare baselines.

    python benchmarks/bench_scale.py [--users 100000|1500000|both] [--repeat R] [--skip-collect]

For each size, in one run, side by side (every measurement is a fresh child process; peak
memory is that child's peak RSS from ``wait4``; times are wall clock, median of R rounds in
which every command runs once, so that the machine's drifting speed touches all alike; a
ratio is the median of the rounds' ratios):

- parse: a bare ``json.load`` of the snapshot with the standard library: the yardstick;
- audit with the whole library (every report format), and with ``--baseline rollout-gate``;
- the size of every report;
- worst cases: every member failing a per-subject policy (JSON alone, then every format),
  60 privileged principals (the joins of the privileged-access policies), and collecting into
  ``.json.gz``;
- collection from the Graph-compatible test server against a bare httpx paging loop.

Each figure is printed with its ratio and its target. The package is byte-compiled first, as
pip does when it installs the tool (a shell with PYTHONDONTWRITEBYTECODE would otherwise make
every run compile auditor's modules from source). The snapshots are generated with
``benchmarks/gen_tenant.py`` into a temporary folder (``--tmp``), and removed afterwards.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "100"}
PARSE = "import json, sys\nwith open(sys.argv[1], 'rb') as fh:\n    json.load(fh)\n"
JOIN_POLICIES = (
    "AAD.ROLES.CLOUD-ONLY-ADMINS",
    "AAD.ROLES.GLOBAL-ADMIN-COUNT",
    "AAD.ROLES.GLOBAL-ADMIN-COUNT-CIS",
    "AAD.ROLES.FINE-GRAINED",
    "AAD.PIM.ASSIGNMENTS-THROUGH-PIM",
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    stdout: str


def run_once(cmd: list[str]) -> Run:
    """Wall time and peak RSS of one fresh child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1, 3):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{out.decode()[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, out.decode("utf-8", "replace"))


def summarise(runs: list[Run]) -> Run:
    """Median wall time and the largest peak of several runs."""
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_mib for r in runs), runs[-1].stdout)


def measure(cmd: list[str], repeat: int = 1) -> Run:
    """Median wall time and the largest peak RSS of ``repeat`` fresh child processes."""
    return summarise([run_once(cmd) for _ in range(repeat)])


def measure_rounds(cmds: dict[str, list[str]], repeat: int, out: Path) -> dict[str, Run]:
    """Each command once per round, ``repeat`` rounds, ``out`` emptied before each run.

    Interleaved, not one command's runs after another's: this machine's speed drifts by a
    quarter within minutes, and a ratio of runs taken minutes apart measured the drift. Each
    result's ``seconds`` is its median; ``ratios`` (see :func:`paired_ratio`) pair runs of
    the same round."""
    runs: dict[str, list[Run]] = {name: [] for name in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            shutil.rmtree(out, ignore_errors=True)
            runs[name].append(run_once(cmd))
    ROUNDS.update(runs)
    return {name: summarise(r) for name, r in runs.items()}


#: every run of the last :func:`measure_rounds`, by name (for paired ratios)
ROUNDS: dict[str, list[Run]] = {}


def paired_ratio(name: str, base: str) -> float:
    """The median over rounds of ``name``'s time over ``base``'s in the same round."""
    return statistics.median(a.seconds / b.seconds for a, b in zip(ROUNDS[name], ROUNDS[base], strict=True))


def verdict(ratio: float, target: float) -> str:
    return "met" if ratio <= target else "NOT met"


def line(
    label: str,
    run: Run,
    base: Run,
    t_target: float | None,
    m_target: float | None,
    ratio: float | None = None,
) -> None:
    t_ratio = run.seconds / base.seconds if ratio is None else ratio
    m_ratio = run.peak_mib / base.peak_mib
    t_note = f"(target <= {t_target:.1f}x: {verdict(t_ratio, t_target)})" if t_target else ""
    m_note = f"(target <= {m_target:.1f}x: {verdict(m_ratio, m_target)})" if m_target else ""
    print(
        f"  {label:<44} {run.seconds:7.2f} s {t_ratio:5.2f}x {t_note:<26} "
        f"{run.peak_mib:8.0f} MiB {m_ratio:5.2f}x {m_note}",
        flush=True,
    )


def audit_cmd(snapshot: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "auditor", "audit", str(snapshot), "--out", str(out), "--quiet", *extra]


def report_sizes(folder: Path) -> None:
    for path in sorted(folder.iterdir()):
        size = path.stat().st_size
        note = ""
        if path.name == "report.html":
            note = f"(target < 10 MB: {'met' if size < 10_000_000 else 'NOT met'})"
        if path.name == "results.sarif":
            raw = path.read_bytes()
            zipped = len(gzip.compress(raw, compresslevel=6))
            results = sum(len(run.get("results", [])) for run in json.loads(raw).get("runs", []))
            ok = zipped <= 10 * 1024 * 1024 and results <= 25_000
            note = (
                f"gzipped {zipped / 1e6:.1f} MB, {results:,} results "
                f"(GitHub: <= 10 MB gzipped, <= 25,000 results: {'met' if ok else 'NOT met'})"
            )
        print(f"    {path.name:<22} {size / 1e6:10.1f} MB  {note}", flush=True)


def joins_child(snapshot: str) -> None:
    """In one process: load once, then time the policies whose variables join principals to users."""
    from auditor import api
    from auditor.engine import context_from_snapshot, evaluate_policy

    inputs = api.prepare(snapshot)
    ctx = context_from_snapshot(inputs.snapshot)
    chosen = [p for p in inputs.selected if p.id in JOIN_POLICIES]
    started, cpu = time.perf_counter(), time.process_time()
    statuses = {p.id: evaluate_policy(p, ctx, inputs.params).status for p in chosen}
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "cpu": time.process_time() - cpu,
                "statuses": statuses,
            }
        )
    )


def joins(snapshot: Path) -> dict[str, Any]:
    """The join policies' own time on ``snapshot``, in a fresh process that loads it first."""
    run = measure([sys.executable, __file__, "--joins-child", str(snapshot)])
    return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def generate(n: int, path: Path, *flags: str) -> None:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "gen_tenant.py"), "--users", str(n), "--out", str(path)]
    subprocess.run([*cmd, *flags], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)


def bench_audit(n: int, tmp: Path, repeat: int) -> None:
    snap = tmp / f"tenant-{n}.json"
    generate(n, snap)
    print(f"\n== {n:,} users: snapshot {snap.stat().st_size / 1e6:,.0f} MB ==", flush=True)
    print(f"  {'':<44} {'time':>9} {'ratio':>6} {'':<26} {'peak':>12} {'ratio':>6}")
    time_target = 1.0 if n >= 1_000_000 else 1.3
    out = tmp / "reports"
    got = measure_rounds(
        {
            "parse": [sys.executable, "-c", PARSE, str(snap)],
            "gate": audit_cmd(snap, out, "--baseline", "rollout-gate"),
            "json": audit_cmd(snap, out, "--format", "json"),
            "whole": audit_cmd(snap, out),  # last: its reports stay in ``out`` to be sized
        },
        repeat,
        out,
    )
    parse = got["parse"]
    line("json.load (stdlib), the yardstick", parse, parse, None, None)
    line(
        "audit, whole library, every format",
        got["whole"],
        parse,
        time_target,
        1.3,
        paired_ratio("whole", "parse"),
    )
    line(
        "audit --baseline rollout-gate, every format",
        got["gate"],
        parse,
        time_target,
        1.3,
        paired_ratio("gate", "parse"),
    )
    line(
        "audit, whole library, json only", got["json"], parse, time_target, 1.3, paired_ratio("json", "parse")
    )
    print("  reports (whole library, every format):")
    report_sizes(out)
    shutil.rmtree(out)
    joins_two = joins(snap)
    snap.unlink()

    worst = tmp / f"tenant-{n}-worst.json"
    generate(n, worst, "--all-failing", "--privileged", "60")
    print(f"\n  worst cases ({n:,} users, every member failing AAD.USERS.MFA-CAPABLE, 60 privileged):")
    got = measure_rounds(
        {
            "parse": [sys.executable, "-c", PARSE, str(worst)],
            "json": audit_cmd(worst, out, "--format", "json"),
            "whole": audit_cmd(worst, out),  # last: its reports stay in ``out`` to be sized
        },
        repeat,
        out,
    )
    parse_w, wj, wa = got["parse"], got["json"], got["whole"]
    line("json.load (stdlib) of the worst-case snapshot", parse_w, parse_w, None, None)
    line("every member failing, json only", wj, parse_w, None, None, paired_ratio("json", "parse"))
    worst_target = 1.5 if n >= 1_000_000 else None  # the worst-case targets are set at 1.5M users
    line(
        "every member failing, every format",
        wa,
        parse_w,
        worst_target,
        worst_target,
        paired_ratio("whole", "parse"),
    )
    print(
        f"    every format / json only peak: {wa.peak_mib / wj.peak_mib:.2f}x (target <= 1.3x: "
        f"{verdict(wa.peak_mib / wj.peak_mib, 1.3)})"
    )
    print("  reports:")
    report_sizes(out)
    shutil.rmtree(out)
    joins_sixty = joins(worst)
    added = joins_sixty["cpu"] - joins_two["cpu"]
    print(
        f"  the {len(joins_sixty['statuses'])} join policies: {joins_sixty['cpu']:.3f} s CPU with 60 privileged "
        f"principals, {joins_two['cpu']:.3f} s with 2 (the same directory size; both build the same "
        f"indexes once); 60 principals add {added:.3f} s (target well under 1 s: "
        f"{'met' if added < 0.5 else 'NOT met'})",
        flush=True,
    )
    worst.unlink()


def bench_startup() -> None:
    """``auditor --version``: wall time, and what it adds to a bare interpreter's start."""
    bare = measure([sys.executable, "-c", "pass"], 7)
    version = measure([sys.executable, "-m", "auditor", "--version"], 7)
    added = version.seconds - bare.seconds
    print(
        f"\n== startup ==\n  auditor --version {version.seconds:.3f} s (a bare interpreter: {bare.seconds:.3f} s; "
        f"auditor adds {added:.3f} s; target < 0.1 s: {'met' if version.seconds < 0.1 else 'NOT met'}"
        f"{'' if version.seconds < 0.1 else f', added part: {verdict(added, 0.1)}'})",
        flush=True,
    )


def bench_collect(n: int, tmp: Path, repeat: int) -> None:
    import bench_collect as bc

    print(f"\n== collection, {n:,} users and their registration details from the test server ==", flush=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.graphserver", "--users", str(n), "--token", bc.TOKEN, "--cache-pages"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        bc.run_child("bare", url)  # warm the server's page cache for both clients
        bares, plains = [], []
        for _ in range(repeat):  # interleaved rounds, as for the audit
            bares.append(bc.run_child("bare", url))
            # each round writes a new file, as the first does (replacing one frees its blocks)
            (tmp / "collected.json").unlink(missing_ok=True)
            plains.append(bc.run_child("collector", url, str(tmp / "collected.json")))
        zipped = bc.run_child("collector", url, str(tmp / "collected.json.gz"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = statistics.median(b["seconds"] / p["seconds"] for b, p in zip(bares, plains, strict=True))
    bare = {
        "seconds": statistics.median(b["seconds"] for b in bares),
        "peak_mib": max(b["peak_mib"] for b in bares),
    }
    plain = {
        "seconds": statistics.median(p["seconds"] for p in plains),
        "peak_mib": max(p["peak_mib"] for p in plains),
    }
    print(f"  bare httpx loop          {bare['seconds']:7.2f} s  peak {bare['peak_mib']:7.0f} MiB")
    print(
        f"  collector -> .json       {plain['seconds']:7.2f} s  peak {plain['peak_mib']:7.0f} MiB  "
        f"throughput {ratio:.2f}x of bare (target >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'})"
    )
    gz_ratio = zipped["peak_mib"] / plain["peak_mib"]
    print(
        f"  collector -> .json.gz    {zipped['seconds']:7.2f} s  peak {zipped['peak_mib']:7.0f} MiB  "
        f"{gz_ratio:.2f}x of plain JSON's peak (target <= 1.2x: {verdict(gz_ratio, 1.2)})",
        flush=True,
    )
    for name in ("collected.json", "collected.json.gz"):
        (tmp / name).unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", default="both", help="100000, 1500000, both, or any number")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median time)")
    parser.add_argument("--skip-collect", action="store_true")
    parser.add_argument("--tmp", help="folder for generated snapshots (default: a temporary folder)")
    parser.add_argument("--joins-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.joins_child:
        joins_child(args.joins_child)
        return 0
    sizes = [100_000, 1_500_000] if args.users == "both" else [int(args.users)]
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=args.tmp))
    import bench_collect as bc

    bc.compile_package()  # as an installed copy has it, whatever PYTHONDONTWRITEBYTECODE says
    bench_startup()
    try:
        for n in sizes:
            bench_audit(n, tmp, args.repeat)
            if not args.skip_collect:
                bench_collect(n, tmp, args.repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
