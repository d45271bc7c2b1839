"""``auditor whatif --wave / --change / --remove``: the rollout pre-flight, through the command
line and the model (future users placed by dynamic rules, changes judged before and after)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.cli import main
from auditor.coverage import functions as cov
from auditor.coverage import preflight as pf
from auditor.coverage.future import read_groups
from auditor.snapshot.model import SourceStatus

from .conftest import GA, ca, ip_location, member, user, where, write_snapshot

PRA = "e8611ab8-c189-46e8-94e1-60213ab1f814"
INTERNALS = "g-internals"
PILOT = "g-pilot"
PHISH = {
    "id": "00000000-0000-0000-0000-000000000004",
    "displayName": "Phishing-resistant MFA",
    "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
}
INTERNALS_RULE = '(user.userType -eq "Member") -and (user.employeeType -eq "Employee")'


def tenant_data(rule: str = INTERNALS_RULE, state: str = "On") -> dict[str, Any]:
    return {
        "users": [
            user("e1", "emma@contoso.com", employeeType="Employee"),
            user("e2", "eric@contoso.com", employeeType="Employee"),
            user("a1", "admin@contoso.com", employeeType="Employee"),
            user("g1", "gus_partner.com#EXT#@contoso.onmicrosoft.com", userType="Guest"),
        ],
        "groups": [
            {
                "id": INTERNALS,
                "displayName": "Internals",
                "groupTypes": ["DynamicMembership"],
                "membershipRule": rule,
                "membershipRuleProcessingState": state,
            },
            {"id": PILOT, "displayName": "Pilot", "groupTypes": []},
        ],
        "groupMembers": {INTERNALS: [member("e1"), member("e2"), member("a1")], PILOT: [member("e2")]},
        "roleAssignments": [{"principalId": "a1", "roleDefinitionId": GA, "directoryScopeId": "/"}],
        "roleEligibilitySchedules": [],
        "namedLocations": [ip_location("loc-hq", "HQ", "198.51.100.0/24", trusted=True)],
        "conditionalAccessPolicies": [
            ca("CA001 Internals MFA", include_users=(), include_groups=(INTERNALS,)),
            {
                **ca("CA002 Guests MFA", include_users=()),
                "conditions": {
                    **ca("x", include_users=())["conditions"],
                    "users": {
                        **ca("x", include_users=())["conditions"]["users"],
                        "includeGuestsOrExternalUsers": {
                            "guestOrExternalUserTypes": "internalGuest,b2bCollaborationGuest,b2bCollaborationMember,"
                            "b2bDirectConnectUser,otherExternalUser,serviceProvider",
                            "externalTenants": {"membershipKind": "all"},
                        },
                    },
                },
            },
            ca(
                "CA100 Admins phishing-resistant",
                include_users=(),
                include_roles=(GA,),
                controls=(),
                strength=PHISH,
            ),
        ],
    }


def write_baseline(tmp_path: Path) -> Path:
    path = tmp_path / "baseline.yaml"
    path.write_text(
        "name: preflight-test\ntitle: test\ndescription: test\n"
        "policies:\n  include: [AAD.MFA.ALL-USERS, AAD.MFA.PHISHING-RESISTANT-ADMINS]\n"
        f"params:\n  privilegedRoles: ['{GA}', '{PRA}']\n"
    )
    return path


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str, data: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    snap = write_snapshot(tmp_path, data or tenant_data())
    code = main(
        ["whatif", str(snap), "--baseline", str(write_baseline(tmp_path)), "--format", "json", *extra]
    )
    out = capsys.readouterr().out
    doc = json.loads(out) if out.strip() else {}
    return code, doc


def findings(doc: dict[str, Any], policy: str, status: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in doc["findings"]:
        if f["policy"] == policy and f["status"] == status:
            out.setdefault(f["why"], []).extend(f["subjects"])
    return out


def wave(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wave.csv"
    path.write_text(text)
    return path


# -- future users (model) -----------------------------------------------------------------------
def _hypothetical(
    data: dict[str, Any], spec: dict[str, Any], attributes: dict[str, Any]
) -> dict[tuple[str, str], pf.Verdict]:
    def status(name: str) -> SourceStatus:
        return SourceStatus(name, "ok") if name in data else SourceStatus(name, "not_collected")

    tenant = cov.tenant_for(data, status)
    check = pf.Check("X", "x", "high", cov.requirement_from(spec))
    return pf.judge_hypothetical(pf.future_tenant(tenant), read_groups(data), [check], attributes)


def test_a_role_with_no_holder_is_judged_by_its_new_holder() -> None:
    verdicts = _hypothetical(tenant_data(), {"require": "phishingResistantMfa", "roles": [GA, PRA]}, {})
    by_subject = {subject: v for (_, subject), v in verdicts.items()}
    assert by_subject["(a new active Global Administrator)"].status == "covered"
    pra = by_subject["(a new active Privileged Role Administrator)"]
    assert pra.status == "uncovered"
    assert "no enabled policy that meets the requirement targets the role" in pra.why


def test_a_new_member_is_covered_only_through_the_dynamic_persona_group() -> None:
    spec = {"require": "mfa"}
    none = {s: v for (_, s), v in _hypothetical(tenant_data(), spec, {}).items()}
    assert none["(a new member user)"].status == "uncovered"  # no employeeType: the rule does not match
    assert (
        "rule of 'Internals' requires employeeType -eq 'Employee', row has nothing"
        in none["(a new member user)"].why
    )
    assert none["(a new B2B collaboration guest)"].status == "covered"
    hired = {s: v for (_, s), v in _hypothetical(tenant_data(), spec, {"employeeType": "Employee"}).items()}
    assert hired["(a new member user)"].status == "covered"
    paused = {
        s: v
        for (_, s), v in _hypothetical(
            tenant_data(state="Paused"), spec, {"employeeType": "Employee"}
        ).items()
    }
    assert paused["(a new member user)"].status == "uncovered"  # a paused rule adds nobody
    assert "paused" in paused["(a new member user)"].why


# -- --wave ---------------------------------------------------------------------------------------
WAVE = (
    "userPrincipalName,userType,department,employeeType,roles,groups\n"
    "ann@contoso.com,Member,Research,Employee,,\n"
    "carl@contoso.com,Member,Manufacturing,Contractor,,\n"
    "pia@contoso.com,Member,IT,Employee,Privileged Role Administrator,\n"
    "gwen_partner.com#EXT#@contoso.onmicrosoft.com,Guest,,,,\n"
)


def test_wave_names_the_contractor_the_rule_leaves_out_and_the_new_admin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(tmp_path, capsys, "--wave", str(wave(tmp_path, WAVE)))
    assert code == 1
    mfa = findings(doc, "AAD.MFA.ALL-USERS", "uncovered")
    assert sorted(n for names in mfa.values() for n in names) == ["carl@contoso.com"]
    (why,) = mfa
    assert why.startswith(
        "matches no persona group: rule of 'Internals' requires employeeType -eq 'Employee', row has 'Contractor'"
    )
    admins = findings(doc, "AAD.MFA.PHISHING-RESISTANT-ADMINS", "uncovered")
    assert [n for names in admins.values() for n in names] == ["pia@contoso.com"]
    counts = {r["policy"]: r["counts"] for r in doc["requirements"]}
    assert counts["AAD.MFA.ALL-USERS"] == {"waveSubjects": 4, "waveUncovered": 1}
    assert counts["AAD.MFA.PHISHING-RESISTANT-ADMINS"] == {"waveSubjects": 1, "waveUncovered": 1}
    assert doc["wave"]["rows"] == 4


def test_wave_of_covered_users_passes_and_text_counts_come_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = wave(tmp_path, "userPrincipalName,userType,employeeType\nann@contoso.com,Member,Employee\n")
    snap = write_snapshot(tmp_path, tenant_data())
    assert main(["whatif", str(snap), "--baseline", str(write_baseline(tmp_path)), "--wave", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pre-flight of wave")
    assert "0 of 1 wave users not covered" in out


def test_wave_groups_column_puts_users_in_assigned_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tenant_data()
    data["conditionalAccessPolicies"][0]["conditions"]["users"]["excludeGroups"] = [PILOT]
    text = (
        "userPrincipalName,employeeType,groups\nann@contoso.com,Employee,Pilot\nbob@contoso.com,Employee,\n"
    )
    code, doc = run(tmp_path, capsys, "--wave", str(wave(tmp_path, text)), data=data)
    assert code == 1
    mfa = findings(doc, "AAD.MFA.ALL-USERS", "uncovered")
    assert [n for names in mfa.values() for n in names] == ["ann@contoso.com"]
    assert "excludes them through group 'Pilot'" in next(iter(mfa))


def test_an_undecidable_rule_makes_the_verdict_an_error_naming_group_and_construct(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tenant_data(rule="user.memberOf -any (group.objectId -in ['g-x'])")
    code, doc = run(
        tmp_path, capsys, "--wave", str(wave(tmp_path, "userPrincipalName\nann@contoso.com\n")), data=data
    )
    assert code == 3
    errors = findings(doc, "AAD.MFA.ALL-USERS", "error")
    (why,) = errors
    assert "'Internals'" in why and "memberOf" in why
    assert errors[why] == ["ann@contoso.com"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("userPrincipalName,department\nann@contoso.com,Research,extra\n", "line 2"),
        ('userPrincipalName,department\nann@contoso.com,Research\nbob@contoso.com,"R&D\n', "line 3"),
        ("userPrincipalName,department,department\nann,x,y\n", "line 1"),
        ("userPrincipalName,groups\nann@contoso.com,No Such Group\n", "line 2"),
        ("userPrincipalName,roles\nann@contoso.com,Chief Wizard\n", "line 2"),
        ("", "empty"),
    ],
)
def test_malformed_wave_is_exit_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: str
) -> None:
    path = wave(tmp_path, text)
    snap = write_snapshot(tmp_path, tenant_data())
    assert main(["whatif", str(snap), "--wave", str(path)]) == 2
    err = capsys.readouterr().err
    assert "wave.csv" in err and line in err
    assert "Traceback" not in err


# -- --change / --remove -------------------------------------------------------------------------
def _changed(tmp_path: Path, policy: dict[str, Any]) -> Path:
    path = tmp_path / "change.json"
    path.write_text(json.dumps(policy))
    return path


def test_change_narrowing_a_policy_by_a_location_names_exactly_the_users_affected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    narrowed = ca(
        "CA001 Internals MFA",
        include_users=(),
        include_groups=(INTERNALS,),
        locations=where(exclude=("loc-hq",)),
    )
    code, doc = run(tmp_path, capsys, "--change", str(_changed(tmp_path, narrowed)))
    assert code == 1
    lost = findings(doc, "AAD.MFA.ALL-USERS", "loses")
    # the administrator stays covered: CA100's phishing-resistant strength is MFA too, everywhere
    assert sorted(n for names in lost.values() for n in names) == ["emma@contoso.com", "eric@contoso.com"]
    assert all("HQ" in f["where"] for f in doc["findings"] if f["status"] == "loses" and f["kind"] == "user")
    flips = {r["policy"]: r["flip"] for r in doc["requirements"]}
    assert flips["AAD.MFA.ALL-USERS"] == {"before": "covered", "after": "uncovered"}
    assert flips["AAD.MFA.PHISHING-RESISTANT-ADMINS"] is None


def test_change_excluding_a_group_names_its_members_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    narrowed = ca(
        "CA001 Internals MFA", include_users=(), include_groups=(INTERNALS,), exclude_groups=(PILOT,)
    )
    code, doc = run(tmp_path, capsys, "--change", str(_changed(tmp_path, narrowed)))
    assert code == 1
    lost = findings(doc, "AAD.MFA.ALL-USERS", "loses")
    assert [n for names in lost.values() for n in names] == ["eric@contoso.com"]
    assert "excludes them through group 'Pilot'" in next(iter(lost))


def test_remove_and_gain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(tmp_path, capsys, "--remove", "id-CA002 Guests MFA")
    assert code == 1
    lost = findings(doc, "AAD.MFA.ALL-USERS", "loses")
    subjects = sorted(n for names in lost.values() for n in names)
    assert "gus_partner.com#EXT#@contoso.onmicrosoft.com" in subjects
    assert "(a new B2B collaboration guest)" in subjects  # future users too
    assert "emma@contoso.com" not in subjects
    widened = ca("CA001 Internals MFA")  # every user
    code, doc = run(tmp_path, capsys, "--change", str(_changed(tmp_path, widened)))
    assert code == 0
    gained = findings(doc, "AAD.MFA.ALL-USERS", "gains")
    assert "(a new member user)" in [n for names in gained.values() for n in names]


def test_remove_unknown_id_and_bad_change_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = write_snapshot(tmp_path, tenant_data())
    assert main(["whatif", str(snap), "--remove", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"displayName": "x"}')
    assert main(["whatif", str(snap), "--change", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err
    assert main(["whatif", str(snap), "--wave"]) == 2  # no file, no --demo
    assert main(["whatif", str(snap)]) == 2  # neither --user nor a pre-flight
    capsys.readouterr()


# -- reports and demo ------------------------------------------------------------------------------
def test_json_report_follows_the_shipped_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = json.loads(resources.files("auditor.data").joinpath("preflight-schema.json").read_text())
    narrowed = ca(
        "CA001 Internals MFA", include_users=(), include_groups=(INTERNALS,), exclude_groups=(PILOT,)
    )
    _, doc = run(
        tmp_path, capsys, "--change", str(_changed(tmp_path, narrowed)), "--wave", str(wave(tmp_path, WAVE))
    )
    jsonschema.validate(doc, schema)
    assert doc["change"]["files"] and doc["wave"]["rows"] == 4
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "exitCode": 7}, schema)


def test_markdown_report_for_a_pull_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, tenant_data())
    code = main(
        [
            "whatif",
            str(snap),
            "--baseline",
            str(write_baseline(tmp_path)),
            "--wave",
            str(wave(tmp_path, WAVE)),
            "--format",
            "markdown",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("### ❌ Conditional access pre-flight: gaps")
    assert "| Requirement | Severity | Result |" in out
    assert "<details><summary>1 wave user(s) not covered" in out and "`carl@contoso.com`" in out


def test_demo_wave_and_change(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["whatif", "--demo", "--wave", "--baseline", "rollout-gate"]) == 1
    out = capsys.readouterr().out
    assert "tim.keller@contosopharma.com, nora.egli@contosopharma.com" in out
    assert (
        "rule of 'CA-Persona-Internals' requires employeeType -ne 'Contractor', row has 'Contractor'" in out
    )
    assert main(["whatif", "--demo", "--change", "--baseline", "rollout-gate"]) == 1
    out = capsys.readouterr().out
    assert "excludes them through group 'All Guests (dynamic)'" in out
    assert "5 user(s) lose coverage" in out


def test_user_form_still_works_with_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["whatif", "--demo", "--user", "anna.schmidt@contosopharma.com"]) == 0
    assert "To sign in:" in capsys.readouterr().out


# -- the audit judges future users too (caCoverage's futureUsers) -----------------------------------
def test_audit_fails_on_a_role_nobody_holds_and_no_policy_targets(judge: Any) -> None:
    data = tenant_data()
    today = judge(data, {"require": "phishingResistantMfa", "roles": [GA, PRA]})
    assert today["covered"] is True  # vacuous: nobody holds Privileged Role Administrator today
    out = judge(data, {"require": "phishingResistantMfa", "roles": [GA, PRA], "futureUsers": {}})
    assert out["covered"] is False
    assert out["uncoveredUsers"] == ["(a new active Privileged Role Administrator)"]
    assert out["summary"].startswith(
        "A user made Privileged Role Administrator tomorrow would not be required to use phishing-resistant MFA"
    )
    assert "no enabled policy that meets the requirement targets the role" in out["summary"]


def test_audit_new_member_covered_only_when_the_persona_rule_takes_them(judge: Any) -> None:
    data = tenant_data()
    out = judge(data, {"require": "mfa", "futureUsers": {}})
    assert out["covered"] is False and "(a new member user)" in out["uncoveredUsers"]
    assert "rule of 'Internals' requires employeeType -eq 'Employee', row has nothing" in out["summary"]
    assert judge(data, {"require": "mfa", "futureUsers": {"employeeType": "Employee"}})["covered"] is True
    with pytest.raises(cov.CoverageError):
        judge(data, {"require": "mfa", "futureUsers": ["x"]})
