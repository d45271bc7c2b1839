"""Benchmark of auditor.cel against a hand-written Python comprehension and cel-expr-python.

Plain script (not a test): ``python benchmarks/bench_cel.py [--users N]``. Prints wall
times (best of a few runs), peak traced memory (tracemalloc, measured in a separate
run so it does not distort the timings) and ratios. The target is <= 3x the
comprehension for the per-subject and aggregate rules.

cel-expr-python evaluates one activation per call and stops every evaluation after
10,000 comprehension iterations, so it is timed per user on a sample and, for the
aggregate, on a 10,000-user slice (the full list fails with its budget error, shown).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor import cel

try:
    from cel_expr_python import cel as gcel
except ImportError:  # optional: only for the comparison column
    gcel = None

METHODS = ["microsoftAuthenticatorPush", "softwareOneTimePasscode", "fido2", "windowsHelloForBusiness", "sms"]


def make_users(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(42)
    users = []
    for i in range(n):
        registered = rnd.random() < 0.995
        users.append(
            {
                "id": f"{i:08x}-0000-0000-0000-000000000000",
                "userPrincipalName": f"user{i}@contoso.com",
                "userDisplayName": f"User {i}",
                "userType": "member",
                "isAdmin": rnd.random() < 0.01,
                "isMfaCapable": registered,
                "isMfaRegistered": registered,
                "isPasswordlessCapable": rnd.random() < 0.2,
                "isSsprRegistered": rnd.random() < 0.7,
                "methodsRegistered": rnd.sample(METHODS, rnd.randint(0, 3)) if registered else [],
                "lastUpdatedDateTime": "2025-05-01T10:00:00.1234567Z",
            }
        )
    return users


def make_policies(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(7)
    policies = [
        {
            "id": f"policy-{i}",
            "displayName": f"CA{i:03d}",
            "state": rnd.choice(["enabled", "disabled", "enabledForReportingButNotEnforced"]),
            "conditions": {
                "users": {
                    "includeUsers": rnd.choice([["All"], ["u1", "u2"], []]),
                    "excludeUsers": ["bg1"],
                },
                "applications": {"includeApplications": ["All"]},
                "clientAppTypes": ["all"],
            },
            "grantControls": {
                "operator": "OR",
                "builtInControls": rnd.choice([["block"], ["compliantDevice"], []]),
            },
        }
        for i in range(n)
    ]
    # The one matching policy is last, so `exists` scans everything.
    policies[-1]["state"] = "enabled"
    policies[-1]["grantControls"]["builtInControls"] = ["mfa"]
    policies[-1]["conditions"]["users"]["includeUsers"] = ["All"]
    return policies


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def peak_mib(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def row(label: str, seconds: float, base: float, mem: float | None = None, per: int = 1) -> None:
    mem_text = f"{mem:9.1f} MiB" if mem is not None else " " * 13
    unit = f"{seconds / per * 1e6:10.3f} us/item" if per > 1 else f"{seconds * 1e3:10.3f} ms      "
    print(f"  {label:<44} {seconds * 1e3:10.2f} ms {unit} {mem_text}   x{seconds / base:6.2f}")


def google(source: str, names: list[str]) -> Any:
    assert gcel is not None
    env = gcel.NewEnv(variables=dict.fromkeys(names, gcel.Type.DYN))
    return env, env.compile(source, disable_check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--google-sample", type=int, default=50_000)
    args = parser.parse_args()

    print(f"building {args.users:,} users and {args.policies} policies ...")
    users = make_users(args.users)
    policies = make_policies(args.policies)
    print(
        f"python {sys.version.split()[0]}; columns: total, per item, peak traced memory, ratio to comprehension\n"
    )

    # 1. Per-subject rule: u.isMfaRegistered for every user.
    print("1. per-subject  u.isMfaRegistered  (evaluate_each)")
    prog = cel.compile("u.isMfaRegistered", ["u"])
    py = lambda: [u["isMfaRegistered"] for u in users]  # noqa: E731
    ours = lambda: prog.evaluate_each({}, "u", users)  # noqa: E731
    t_py, r_py = best(py, 5)
    t_ours, r_ours = best(ours, 5)
    assert r_py == r_ours
    n = len(users)
    row("python comprehension", t_py, t_py, peak_mib(py), n)
    row("auditor.cel evaluate_each", t_ours, t_py, peak_mib(ours), n)
    prog._fast_enabled = False
    sample = users[: args.google_sample]
    t_int, _ = best(lambda: prog.evaluate_each({}, "u", sample), 1)
    prog._fast_enabled = True
    row(f"auditor.cel interpreter only ({len(sample):,}, scaled)", t_int * n / len(sample), t_py, None, n)
    if gcel is not None:
        _, g = google("u.isMfaRegistered", ["u"])
        t_g, _ = best(lambda: [g.eval(data={"u": u}).value() for u in sample], 1)
        row(f"cel-expr-python per user ({len(sample):,}, scaled)", t_g * n / len(sample), t_py, None, n)
    print()

    # 2. Aggregate rule over all users.
    source = "size(users.filter(u, u.isMfaRegistered)) * 100 / size(users) >= 99"
    print(f"2. aggregate  {source}")
    prog = cel.compile(source, ["users"])
    py2 = lambda: len([u for u in users if u["isMfaRegistered"]]) * 100 // len(users) >= 99  # noqa: E731
    ours2 = lambda: prog.evaluate({"users": users})  # noqa: E731
    t_py, r_py = best(py2, 5)
    t_ours, r_ours = best(ours2, 5)
    assert r_py == r_ours, (r_py, r_ours)
    row("python comprehension", t_py, t_py, peak_mib(py2))
    row("auditor.cel evaluate", t_ours, t_py, peak_mib(ours2))
    if gcel is not None:
        genv, g = google(source, ["users"])
        try:
            full: Any = g.eval(data={"users": users}).value()
        except Exception as exc:  # its 10,000-iteration budget
            full = f"{type(exc).__name__}: {exc}"
        print(f"  cel-expr-python on all {n:,} users: {str(full)[:70]}")
        small = users[:9_000]
        t_small, _ = best(
            lambda: len([u for u in small if u["isMfaRegistered"]]) * 100 // len(small) >= 99, 5
        )
        t_ours_small, _ = best(lambda: prog.evaluate({"users": small}), 5)
        t_conv, gact = best(lambda: genv.Activation(data={"users": small}), 1)
        t_g, _ = best(lambda: g.eval(activation=gact).value(), 3)
        print("  on a 9,000-user slice (cel-expr-python's budget allows no more):")
        row("python comprehension, 9,000 users", t_small, t_small)
        row("auditor.cel evaluate, 9,000 users", t_ours_small, t_small)
        row("cel-expr-python eval, 9,000 users", t_g, t_small)
        row("cel-expr-python activation, 9,000 users", t_conv, t_small)
    print()

    # 3. Policy-level rule over conditional access policies.
    source = (
        "policies.exists(p, p.state == 'enabled' && 'mfa' in p.grantControls.builtInControls"
        " && 'All' in p.conditions.users.includeUsers)"
    )
    print(f"3. {len(policies)} CA policies  {source}")
    prog = cel.compile(source, ["policies"])
    reps = 2000

    def py3() -> bool:
        return any(
            p["state"] == "enabled"
            and "mfa" in p["grantControls"]["builtInControls"]
            and "All" in p["conditions"]["users"]["includeUsers"]
            for p in policies
        )

    act = {"policies": policies}
    t_py, r_py = best(lambda: [py3() for _ in range(reps)], 3)
    t_ours, r_ours = best(lambda: [prog.evaluate(act) for _ in range(reps)], 3)
    assert r_py == r_ours
    row("python any() generator", t_py, t_py, None, reps)
    row("auditor.cel evaluate", t_ours, t_py, None, reps)
    prog._fast_enabled = False
    t_int, _ = best(lambda: [prog.evaluate(act) for _ in range(200)], 1)
    row("auditor.cel interpreter only", t_int * reps / 200, t_py, None, reps)
    if gcel is not None:
        genv, g = google(source, ["policies"])
        gact = genv.Activation(data=act)
        t_g, r_g = best(lambda: [g.eval(activation=gact).value() for _ in range(reps)], 3)
        assert r_g[0] == r_py[0]
        row("cel-expr-python (activation converted once)", t_g, t_py, None, reps)
        t_g2, _ = best(lambda: [g.eval(data=act).value() for _ in range(100)], 1)
        row("cel-expr-python (converting each time)", t_g2 * reps / 100, t_py, None, reps)
    print("\n(us/item for 3 is per evaluation of the whole rule over all policies)")


if __name__ == "__main__":
    main()
