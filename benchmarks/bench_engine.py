"""Benchmark the policy engine against a hand-written comprehension and cel-expr-python.

Prints figures; it is not a test. Three workloads from issue #2, each measured
in the same run against (a) the equivalent Python comprehension — the baseline
the ratio is taken against — and (b) Google's CEL (cel-expr-python):

1. the >=99%-MFA rule over N userRegistrationDetails as a per-subject policy
   (forEach / passRatio 0.99) through the real engine;
2. the same rule as one aggregate CEL expression;
3. an exists-rule over 200 conditional access policies.

Run: python benchmarks/bench_engine.py [--users 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor import cel
from auditor.engine import context_from_data, evaluate_policy
from auditor.policy import load_policies

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
POLICY = """
id: BENCH.MFA.REGISTERED-99
title: At least 99% of users have MFA registered
severity: high
description: bench
rationale: bench
remediation: bench
requires: [userRegistrationDetails]
forEach: userRegistrationDetails
as: u
subject: u.userPrincipalName
passRatio: 0.99
assert: u.isMfaRegistered
message: "{{ u.userPrincipalName }} has no MFA method registered"
"""
AGGREGATE = (
    "size(userRegistrationDetails.filter(u, u.isMfaRegistered)) * 100 >= size(userRegistrationDetails) * 99"
)
EXISTS = (
    "policies.exists(p, p.state == 'enabled' && p.grantControls != null && "
    "'mfa' in p.grantControls.builtInControls && 'All' in p.conditions.users.includeUsers)"
)


def users(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{i:08d}-0000-0000-0000-000000000000",
            "userPrincipalName": f"user{i}@contoso.com",
            "userDisplayName": f"User {i}",
            "userType": "member",
            "isAdmin": i % 500 == 0,
            "isMfaRegistered": i % 200 != 0,
            "isMfaCapable": i % 200 != 0,
            "isPasswordlessCapable": False,
            "methodsRegistered": ["microsoftAuthenticatorPush"] if i % 200 else [],
            "defaultMfaMethod": "none",
            "lastUpdatedDateTime": "2026-11-01T00:00:00Z",
        }
        for i in range(n)
    ]


def ca_policies(n: int) -> list[dict[str, Any]]:
    out = [
        {
            "id": f"p{i}",
            "displayName": f"CA{i:03}",
            "state": "enabledForReportingButNotEnforced",
            "conditions": {
                "users": {"includeUsers": ["All"] if i % 3 else ["u1"], "excludeUsers": []},
                "applications": {"includeApplications": ["All"]},
                "clientAppTypes": ["all"],
                "platforms": None,
                "locations": None,
            },
            "grantControls": None if i % 7 == 0 else {"operator": "OR", "builtInControls": ["mfa"]},
        }
        for i in range(n)
    ]
    out[-1]["state"] = "enabled"
    return out


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    value = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def peak_mib(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def google_cel(expr: str, variables: dict[str, str]) -> Callable[..., Any] | None:
    try:
        from cel_expr_python import cel as gcel
    except ImportError:
        return None
    types = {"map": gcel.Type.MAP, "list": gcel.Type.List(gcel.Type.DYN)}
    env = gcel.NewEnv(variables={k: types[v] for k, v in variables.items()})
    program = env.compile(expr)

    def run(**data: Any) -> Any:
        return program.eval(data=data).value()

    return run


def row(label: str, seconds: float | None, base: float, note: str = "", mem: float | None = None) -> None:
    if seconds is None:
        print(f"  {label:<34} {'—':>10}   {note}")
        return
    ratio = seconds / base if base else float("nan")
    memtext = f"  peak {mem:8.1f} MiB" if mem is not None else ""
    amount = f"{seconds * 1000:10.1f} ms" if seconds >= 0.001 else f"{seconds * 1e6:10.1f} µs"
    print(f"  {label:<34} {amount}  {ratio:6.2f}x{memtext}  {note}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--google-sample",
        type=int,
        default=0,
        help="evaluate cel-expr-python per record on this many users and extrapolate (0: all)",
    )
    args = parser.parse_args()
    n = args.users
    print(f"building {n:,} synthetic userRegistrationDetails …", flush=True)
    data = users(n)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "p.yaml").write_text(POLICY)
        policy = load_policies([tmp])[0]
    ctx = context_from_data({"userRegistrationDetails": data}, now=NOW)

    # 1. per-subject policy ------------------------------------------------------------------
    def comprehension_subjects() -> tuple[bool, list[str]]:
        ok = [u["isMfaRegistered"] is True for u in data]
        failing = [u["userPrincipalName"] for u, s in zip(data, ok, strict=True) if not s]
        return sum(ok) >= 0.99 * len(data), failing

    def engine_subjects() -> Any:
        return evaluate_policy(policy, ctx)

    base, (expected, failing) = timed(comprehension_subjects, args.repeat)
    ours, result = timed(engine_subjects, args.repeat)
    assert (result.status == "pass") == expected, (result.status, expected)
    assert sorted(f.subject for f in result.findings if f.status == "fail") == sorted(failing)
    print(
        f"\n1. per-subject policy, passRatio 0.99, {n:,} users ({len(failing):,} failing) -> {result.status}"
    )
    row("python comprehension (baseline)", base, base, mem=peak_mib(comprehension_subjects))
    row("auditor engine (evaluate_policy)", ours, base, mem=peak_mib(engine_subjects))
    g = google_cel("u.isMfaRegistered", {"u": "map"})
    if g is None:
        row("cel-expr-python", None, base, "not installed")
    else:
        sample = data[: args.google_sample] if args.google_sample else data
        t, _ = timed(lambda: [g(u=u) for u in sample], 1)
        t = t * len(data) / len(sample)
        row("cel-expr-python, per record", t, base, "extrapolated" if args.google_sample else "")

    # 2. aggregate expression -------------------------------------------------------------------
    program = cel.compile(AGGREGATE, {"userRegistrationDetails"})
    act = {"userRegistrationDetails": data}
    base, expected_agg = timed(
        lambda: sum(1 for u in data if u["isMfaRegistered"]) * 100 >= len(data) * 99, args.repeat
    )
    ours, value = timed(lambda: program.evaluate(act), args.repeat)
    assert value == expected_agg
    print(f"\n2. one aggregate expression over {n:,} users -> {value}\n   {AGGREGATE}")
    row("python comprehension (baseline)", base, base)
    row("auditor cel (compiled)", ours, base, mem=peak_mib(lambda: program.evaluate(act)))
    g = google_cel(AGGREGATE, {"userRegistrationDetails": "list"})
    if g is None:
        row("cel-expr-python", None, base, "not installed")
    else:
        try:
            t, _ = timed(lambda: g(userRegistrationDetails=data), 1)
            row("cel-expr-python", t, base)
        except Exception as exc:  # its 10,000-iteration budget stops it
            row("cel-expr-python", None, base, f"failed: {str(exc)[:70]}")

    # 3. exists over 200 CA policies ------------------------------------------------------------
    pols = ca_policies(200)
    program = cel.compile(EXISTS, {"policies"})
    reps = 2000

    def comp_exists() -> bool:
        return any(
            p["state"] == "enabled"
            and p["grantControls"] is not None
            and "mfa" in p["grantControls"]["builtInControls"]
            and "All" in p["conditions"]["users"]["includeUsers"]
            for p in pols
        )

    base, expected_ex = timed(lambda: [comp_exists() for _ in range(reps)], args.repeat)
    ours, values = timed(lambda: [program.evaluate({"policies": pols}) for _ in range(reps)], args.repeat)
    assert values[0] == expected_ex[0]
    print(
        f"\n3. exists-rule over 200 conditional access policies -> {values[0]} (per evaluation, {reps} runs)"
    )
    row("python comprehension (baseline)", base / reps, base / reps)
    row("auditor cel (compiled)", ours / reps, base / reps)
    g = google_cel(EXISTS, {"policies": "list"})
    if g is not None:
        t, _ = timed(lambda: [g(policies=pols) for _ in range(50)], 1)
        row("cel-expr-python", t / 50, base / reps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS {rss:,.0f} MiB; python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
