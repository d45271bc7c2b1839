"""Conditional access coverage, user by user, at scale: figures, not a test.

Builds a persona-design tenant (Global baseline, Admins, Internals, Service accounts, Guests;
~40 policies, ~30 referenced groups) of N users, writes it as a snapshot-shaped JSON file, then
measures in separate child processes (so peak memory is each one's own):

1. the baseline: ``json.load`` of the file with the standard library;
2. ``json.load`` plus coverage for every conditional access requirement of the built-in library
   (MFA, phishing-resistant MFA for users and admins, legacy and device-code blocks, risk
   blocks, managed devices, session controls);
3. the rollout pre-flight on the same snapshot: a change (the internals' MFA policy excludes
   one more group and is limited to outside a named location) judged for every user and the
   future users before and after (target <= 10 s CPU at 1.5M users), and a wave of 100,000 CSV
   rows placed in groups by dynamic rules and judged on every requirement (target <= 5 s).

Run: ``python benchmarks/bench_coverage.py --users 1500000`` (default 1,500,000).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

GA = "62e90394-69f5-4237-9190-012177145e10"
ROLES = [
    GA,
    "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
]
SPECS = [
    {"require": "mfa"},
    {"require": "phishingResistantMfa"},
    {"require": "mfa", "roles": ROLES},
    {"require": "phishingResistantMfa", "roles": ROLES},
    {"require": "block", "clients": ["exchangeActiveSync", "other"]},
    {"require": "block", "authenticationFlows": ["deviceCodeFlow"]},
    {"require": "block", "userRisk": ["high"]},
    {"require": "block", "signInRisk": ["high"]},
    {"require": "block", "signInRisk": ["medium", "high"]},
    {"require": "managedDevice"},
    {"require": "managedDevice", "apps": ["urn:user:registersecurityinfo"]},
    {"require": "signInFrequency", "roles": ROLES, "maxHours": 4},
    {"require": "persistentBrowserNever", "roles": ROLES, "clients": ["browser"]},
]


def policy(name: str, users: dict, controls: list, **cond: object) -> dict:
    base = {
        "userRiskLevels": [],
        "signInRiskLevels": [],
        "clientAppTypes": ["all"],
        "platforms": None,
        "locations": None,
        "devices": None,
        "authenticationFlows": None,
        "insiderRiskLevels": None,
        "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
        "users": {
            "includeUsers": [],
            "excludeUsers": [],
            "includeGroups": [],
            "excludeGroups": [],
            "includeRoles": [],
            "excludeRoles": [],
            **users,
        },
    }
    base.update(cond)
    return {
        "id": name,
        "displayName": name,
        "state": "enabled",
        "conditions": base,
        "grantControls": {"operator": "OR", "builtInControls": controls},
        "sessionControls": None,
    }


def tenant(n: int, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    users, members = [], {}
    groups = [f"grp-{i:02d}" for i in range(30)]  # 0 internals, 1 guests, 2 service, 3.. exclusions/personas
    for g in groups:
        members[g] = []
    for i in range(n):
        guest = i % 50 == 0
        uid = f"{i:08d}-0000-0000-0000-000000000000"
        users.append(
            {
                "id": uid,
                "userPrincipalName": (f"g{i}_ext.com#EXT#@t.onmicrosoft.com" if guest else f"u{i}@t.com"),
                "userType": "Guest" if guest else "Member",
                "accountEnabled": True,
            }
        )
        m = {"@odata.type": "#microsoft.graph.user", "id": uid}
        members["grp-01" if guest else ("grp-02" if i % 997 == 0 else "grp-00")].append(m)
        if rnd.random() < 0.02:
            members[groups[3 + rnd.randrange(27)]].append(m)
    pols = [
        policy("CA000 global MFA", {"includeUsers": ["All"], "excludeGroups": groups[3:10]}, ["mfa"]),
        policy(
            "CA002 legacy",
            {"includeUsers": ["All"], "excludeGroups": groups[10:12]},
            ["block"],
            clientAppTypes=["exchangeActiveSync", "other"],
        ),
        policy(
            "CA004 device code",
            {"includeUsers": ["All"], "excludeGroups": groups[12:13]},
            ["block"],
            authenticationFlows={"transferMethods": "deviceCodeFlow"},
        ),
        policy("CA100 admins MFA", {"includeRoles": ROLES}, ["mfa"]),
        policy("CA200 internals MFA", {"includeGroups": ["grp-00"], "excludeGroups": groups[13:15]}, ["mfa"]),
        policy("CA201 risk", {"includeGroups": ["grp-00"]}, ["block"], userRiskLevels=["high"]),
        policy(
            "CA210 sign-in risk",
            {"includeGroups": ["grp-00"]},
            ["block"],
            signInRiskLevels=["high", "medium"],
        ),
        policy("CA300 service", {"includeGroups": ["grp-02"]}, ["mfa"]),
        # locations: named IP ranges that overlap (both families) and country locations
        policy(
            "CA010 block outside allowed countries",
            {"includeUsers": ["All"], "excludeGroups": groups[3:4]},
            ["block"],
            locations={"includeLocations": ["All"], "excludeLocations": ["loc-allowed"]},
        ),
        policy(
            "CA301 service block outside data centre",
            {"includeGroups": ["grp-02"]},
            ["block"],
            locations={"includeLocations": ["All"], "excludeLocations": ["loc-dc"]},
        ),
        policy(
            "CA011 MFA outside trusted",
            {"includeGroups": ["grp-00"]},
            ["mfa"],
            locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
        ),
        policy("CA400 guests", {"includeGroups": ["grp-01"]}, ["mfa"]),
    ]
    for i in range(31):  # persona variations: platforms, apps, clients
        g = groups[15 + i % 15]
        pols.append(
            policy(
                f"CA5{i:02d} persona",
                {"includeGroups": [g], "excludeGroups": [groups[3 + i % 7]]},
                ["compliantDevice", "domainJoinedDevice"],
                platforms={
                    "includePlatforms": [["windows"], ["macOS"], ["all"]][i % 3],
                    "excludePlatforms": [],
                },
            )
        )
    role_assignments = [
        {
            "principalId": users[(k * 1000) % len(users)]["id"],
            "roleDefinitionId": ROLES[k % len(ROLES)],
            "directoryScopeId": "/",
        }
        for k in range(60)
    ]
    locations = [
        ip_location("loc-hq", "HQ", True, "10.1.0.0/16", "2001:db8::/48"),
        ip_location("loc-branch", "Branch", False, "10.1.2.0/25", "2001:db8:0:1::/64"),
        ip_location("loc-dc", "Data centre", False, "192.0.2.0/28", "10.1.200.0/24"),
        ip_location("loc-vpn", "VPN", True, "198.51.100.0/24"),
        {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            "id": "loc-allowed",
            "displayName": "Allowed countries",
            "countriesAndRegions": ["CH", "DE", "FR", "LI", "AT"],
            "includeUnknownCountriesAndRegions": False,
            "countryLookupMethod": "clientIpAddress",
        },
        {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            "id": "loc-gps",
            "displayName": "Switzerland by GPS",
            "countriesAndRegions": ["CH"],
            "includeUnknownCountriesAndRegions": True,
            "countryLookupMethod": "authenticatorAppGps",
        },
    ]
    eligible = [
        {
            "principalId": users[(k * 1000 + 500) % len(users)]["id"],
            "roleDefinitionId": ROLES[k % len(ROLES)],
            "directoryScopeId": "/" if k % 10 else "/administrativeUnits/au-1",
        }
        for k in range(40)
    ]
    rules = {
        "grp-00": '(user.userType -eq "Member") -and (user.accountEnabled -eq true) -and (user.employeeType -ne "Contractor")',
        "grp-01": 'user.userType -eq "Guest"',
        "grp-02": 'user.department -eq "Service accounts" -and user.userPrincipalName -startsWith "svc-"',
    }
    return {
        "users": users,
        "groups": [
            {
                "id": g,
                "displayName": f"Group {g}",
                "groupTypes": ["DynamicMembership"] if g in rules else [],
                "membershipRule": rules.get(g),
                "membershipRuleProcessingState": "On" if g in rules else None,
            }
            for g in groups
        ],
        "namedLocations": locations,
        "groupMembers": members,
        "conditionalAccessPolicies": pols,
        "roleAssignments": role_assignments,
        "roleEligibilitySchedules": eligible,
        "subscribedSkus": [{"servicePlans": [{"servicePlanName": "AAD_PREMIUM_P2"}]}],
    }


def ip_location(lid: str, name: str, trusted: bool, *cidrs: str) -> dict:
    return {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        "id": lid,
        "displayName": name,
        "isTrusted": trusted,
        "ipRanges": [
            {"@odata.type": f"#microsoft.graph.iPv{6 if ':' in c else 4}CidrRange", "cidrAddress": c}
            for c in cidrs
        ],
    }


def child(path: str, coverage: bool) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    with open(path, "rb") as fh:
        data = json.load(fh)
    t1, c1 = time.perf_counter(), time.process_time()
    first = 0.0
    errors = []
    if coverage:
        from auditor import cel
        from auditor.coverage import functions as cov
        from auditor.snapshot.model import SourceStatus

        def status(name: str) -> SourceStatus:
            return SourceStatus(name, "ok") if name in data else SourceStatus(name, "not_collected")

        # one evaluation runtime, as an audit has: the model is built once and shared by the
        # requirements (outside a runtime every call builds its own)
        with cel.Runtime() as runtime, runtime.active(), cov.bound(data, status):
            for spec in SPECS:
                if spec is SPECS[1]:
                    first = time.process_time() - c1
                try:
                    cov.ca_coverage(spec)
                except cov.CoverageError as err:  # an error is a result too, but say so
                    errors.append(f"{spec}: {err}"[:200])
    t2, c2 = time.perf_counter(), time.process_time()
    print(
        json.dumps(
            {
                "parse": t1 - t0,
                "coverage": t2 - t1,
                "parse_cpu": c1 - c0,
                "coverage_cpu": c2 - c1,
                "first_cpu": first,
                "errors": errors,
            }
        )
    )


WAVE_ROWS = 100_000


def wave_csv(n: int) -> str:
    """A wave: mostly employees, some contractors (who fall through the internals' rule), guests."""
    lines = ["userPrincipalName,userType,department,country,employeeType,companyName"]
    for i in range(n):
        kind = i % 20
        if kind == 0:
            lines.append(f"w{i}_partner.com#EXT#@t.onmicrosoft.com,Guest,,US,,Partner")
        elif kind < 3:
            lines.append(f"w{i}@t.com,Member,Manufacturing,CH,Contractor,Staffing AG")
        else:
            lines.append(f"w{i}@t.com,Member,Dept {i % 40},CH,Employee,Contoso")
    return "\n".join(lines) + "\n"


def preflight_child(path: str) -> None:
    """Parse, then time a change over every user and a 100,000-row wave (CPU)."""
    from auditor.cli.preflight import read_wave
    from auditor.coverage import functions as cov
    from auditor.coverage import preflight as pf
    from auditor.coverage.future import read_groups, role_ids
    from auditor.coverage.model import build_tenant
    from auditor.gcpause import gc_paused
    from auditor.snapshot.model import SourceStatus

    c0 = time.process_time()
    with open(path, "rb") as fh:
        data = json.load(fh)
    c1 = time.process_time()

    def status(name: str) -> SourceStatus:
        return SourceStatus(name, "ok") if name in data else SourceStatus(name, "not_collected")

    checks = [pf.Check(f"REQ{i}", "", "high", cov.requirement_from(spec)) for i, spec in enumerate(SPECS)]
    changed = next(p for p in data["conditionalAccessPolicies"] if p["displayName"] == "CA200 internals MFA")
    changed = json.loads(json.dumps(changed))
    changed["conditions"]["users"]["excludeGroups"].append("grp-20")
    changed["conditions"]["locations"] = {"includeLocations": ["All"], "excludeLocations": ["loc-dc"]}
    c2 = time.process_time()
    with gc_paused():
        tenant = cov.tenant_for(data, status)
        groups = read_groups(data)
        after = pf.after_tenant(
            tenant, build_tenant(tenant.directory, pf.changed_policies(data, [changed], []), True)
        )
        result = pf.Result(checks)
        pf.judge_change(tenant, after, checks, {}, result)
        pf.future_change(
            pf.judge_hypothetical(pf.future_tenant(tenant), groups, checks, {}),
            pf.judge_hypothetical(pf.future_tenant(after), groups, checks, {}),
            checks,
            result,
        )
    c3 = time.process_time()
    text = wave_csv(WAVE_ROWS)
    c4 = time.process_time()
    with gc_paused():
        rows = read_wave(text, "wave.csv", groups, role_ids(data))
        wave = pf.Result(checks)
        pf.judge_wave(pf.future_tenant(after), groups, checks, rows, wave)
    c5 = time.process_time()
    print(
        json.dumps(
            {
                "parse_cpu": c1 - c0,
                "change_cpu": c3 - c2,
                "wave_cpu": c5 - c4,
                "loses": sum(len(f.subjects) for f in result.findings if f.status == "loses"),
                "wave_uncovered": sum(len(f.subjects) for f in wave.findings if f.status == "uncovered"),
            }
        )
    )


def run_child(path: str, coverage: bool, preflight: bool = False) -> tuple[dict, float]:
    extra = ["--coverage"] if coverage else []
    extra += ["--preflight"] if preflight else []
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", path, *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"child failed: {out}")
    return json.loads(out), usage.ru_maxrss / 1024  # MiB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=1_500_000)
    ap.add_argument("--child")
    ap.add_argument("--coverage", action="store_true")
    ap.add_argument("--preflight", action="store_true")
    args = ap.parse_args()
    if args.child and args.preflight:
        preflight_child(args.child)
        return
    if args.child:
        child(args.child, args.coverage)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tenant.json")
        t0 = time.perf_counter()
        with open(path, "w") as fh:
            json.dump(tenant(args.users), fh)
        print(
            f"tenant: {args.users:,} users, 43 policies, 30 groups, 6 named locations "
            f"({os.path.getsize(path) / 2**20:.0f} MiB, built in {time.perf_counter() - t0:.1f} s)"
        )
        base, base_mem = run_child(path, False)
        both, both_mem = run_child(path, True)
        pre, pre_mem = run_child(path, False, preflight=True)
    print(
        f"json.load (baseline)            {base['parse']:7.2f} s  CPU {base['parse_cpu']:6.2f} s  "
        f"peak {base_mem:7.0f} MiB"
    )
    print(
        f"coverage, {len(SPECS)} requirements        {both['coverage']:7.2f} s  CPU {both['coverage_cpu']:6.2f} s  "
        f"(ratio to parse {both['coverage'] / base['parse']:.2f}; target <= 5 s at 1.5M users)"
    )
    print(
        f"  of which the first requirement (MFA for every user, indexes and classes built): "
        f"CPU {both['first_cpu']:.2f} s"
    )
    print(
        f"json.load + coverage             {both['parse'] + both['coverage']:7.2f} s  "
        f"peak {both_mem:7.0f} MiB (ratio {both_mem / base_mem:.2f})"
    )
    for err in both["errors"]:
        print(f"  requirement answered with an error: {err}")
    print(
        f"pre-flight: json.load of the same snapshot CPU {pre['parse_cpu']:6.2f} s; "
        f"change judged for every user and the future users, {len(SPECS)} requirements, before and after "
        f"CPU {pre['change_cpu']:6.2f} s (target <= 10 s at 1.5M; {pre['loses']:,} users lose coverage of a requirement)"
    )
    print(
        f"pre-flight: wave of {WAVE_ROWS:,} rows read, placed by dynamic rules and judged "
        f"CPU {pre['wave_cpu']:6.2f} s (target <= 5 s; {pre['wave_uncovered']:,} (row, requirement) gaps); "
        f"peak {pre_mem:7.0f} MiB"
    )
    print("(CPU time is what this process used: on a loaded machine it is the figure to compare)")


if __name__ == "__main__":
    main()
