"""Engine semantics (docs/policy-authoring.md, Statuses): statuses, aggregation, waivers, errors never pass."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.baseline import Waiver
from auditor.engine import aggregate, context_from_data, evaluate_policy
from auditor.policy import load_policies

from .conftest import ca_policy, reg

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


@pytest.fixture
def policies(policy_dir: Path):
    return {p.id: p for p in load_policies([policy_dir])}


def run(policy, data, **kw):
    return evaluate_policy(policy, context_from_data(data, now=NOW, sources=kw.pop("sources", None)), **kw)


def test_tenant_level_pass_and_fail_with_message(policies) -> None:
    p = policies["TEST.MFA.ALL"]
    assert run(p, {"conditionalAccessPolicies": [ca_policy("mfa")]}).status == "pass"
    r = run(p, {"conditionalAccessPolicies": [ca_policy("mfa", state="enabledForReportingButNotEnforced")]})
    assert r.status == "fail"
    assert r.message == "no enabled policy requires MFA (of 1 policies)"
    assert r.evidence == {"enforcing": []}


def test_explicit_null_grant_controls_is_handled(policies) -> None:
    pol = ca_policy("x")
    pol["grantControls"] = None
    assert run(policies["TEST.MFA.ALL"], {"conditionalAccessPolicies": [pol]}).status == "fail"


def test_missing_or_forbidden_collection_is_error_never_pass(policies) -> None:
    p = policies["TEST.MFA.ALL"]
    r = run(p, {})
    assert r.status == "error" and "conditionalAccessPolicies" in r.message
    r = run(
        p,
        {},
        sources={
            "conditionalAccessPolicies": {
                "status": "forbidden",
                "httpStatus": 403,
                "error": "needs Policy.Read.All",
            }
        },
    )
    assert r.status == "error" and "forbidden" in r.message and "Policy.Read.All" in r.message


def test_runtime_error_is_error_status_with_position(policies) -> None:
    pol = ca_policy("x")
    del pol["grantControls"]
    r = run(policies["TEST.MFA.ALL"], {"conditionalAccessPolicies": [pol]})
    assert r.status == "error"
    assert "test-mfa-all.yaml" in r.message and "grantControls" in r.message


def test_per_subject_findings_sorted_and_named(policies) -> None:
    p = policies["TEST.ADMINS.PHISHING-RESISTANT"]
    data = {
        "userRegistrationDetails": [
            reg("zed@x.com", True, ["sms"]),
            reg("amy@x.com", True, ["fido2"]),
            reg("bob@x.com", False, []),
            reg("cat@x.com", True, ["email", "sms"]),
        ]
    }
    r = run(p, data)
    assert r.status == "fail"
    assert [(f.subject, f.status) for f in r.findings] == [
        ("amy@x.com", "pass"),
        ("cat@x.com", "fail"),
        ("zed@x.com", "fail"),
    ]
    assert r.findings[1].message == 'cat@x.com has only ["email", "sms"]'
    assert r.subject_counts == {"fail": 2, "pass": 1}
    assert "1 of 3 subjects pass" in r.message


def test_per_subject_zero_subjects_pass(policies) -> None:
    r = run(policies["TEST.ADMINS.PHISHING-RESISTANT"], {"userRegistrationDetails": []})
    assert r.status == "pass" and "zero subjects" in r.message


def test_subject_error_without_failures_errors_the_policy(policies) -> None:
    bad = reg("bad@x.com", True, ["fido2"])
    del bad["methodsRegistered"]
    r = run(
        policies["TEST.ADMINS.PHISHING-RESISTANT"],
        {"userRegistrationDetails": [reg("a@x.com", True, ["fido2"]), bad]},
    )
    assert r.status == "error"
    assert {f.subject: f.status for f in r.findings} == {"a@x.com": "pass", "bad@x.com": "error"}


@pytest.mark.parametrize(
    ("passing", "failing", "errors", "expected"),
    [
        (99, 1, 0, "pass"),
        (98, 2, 0, "fail"),
        (98, 1, 1, "error"),  # the error could go either way
        (97, 1, 2, "error"),
        (96, 2, 2, "fail"),  # N - F = 98 < 99
        (0, 0, 0, "pass"),
    ],
)
def test_pass_ratio_aggregation(passing, failing, errors, expected) -> None:
    assert aggregate({"pass": passing, "fail": failing, "error": errors}, 0.99) == expected


def test_aggregation_with_ratio_one() -> None:
    assert aggregate({"pass": 5, "fail": 1}, 1.0) == "fail"
    assert aggregate({"pass": 5, "error": 1}, 1.0) == "error"
    assert aggregate({"pass": 5, "fail": 1, "error": 1}, 1.0) == "fail"
    assert aggregate({"pass": 5, "waived": 1}, 1.0) == "waived"


def test_pass_ratio_policy_end_to_end(policies) -> None:
    p = policies["TEST.MFA.REGISTERED-99"]
    users = [reg(f"u{i:03}@x.com", False, ["fido2"]) for i in range(199)] + [
        reg("late@x.com", False, [], mfa=False)
    ]
    r = run(p, {"userRegistrationDetails": users})
    assert r.status == "pass"
    assert [f.subject for f in r.findings if f.status == "fail"] == ["late@x.com"]
    users += [reg("late2@x.com", False, [], mfa=False), reg("late3@x.com", False, [], mfa=False)]
    assert run(p, {"userRegistrationDetails": users}).status == "fail"


def test_params_override_defaults(policies) -> None:
    p = policies["TEST.ADMINS.PHISHING-RESISTANT"]
    data = {"userRegistrationDetails": [reg("a@x.com", True, ["sms"])]}
    assert run(p, data).status == "fail"
    assert run(p, data, overrides={"methods": ["sms"]}).status == "pass"


def _waiver(policy: str, expires: str, subjects=None) -> Waiver:
    return Waiver(
        policy=policy,
        reason="printers",
        owner="secops@x.com",
        expires=dt.date.fromisoformat(expires),
        subjects=tuple(subjects) if subjects else None,
    )


def test_whole_policy_waiver_and_expiry(policies) -> None:
    p = policies["TEST.MFA.ALL"]
    data = {"conditionalAccessPolicies": []}
    r = run(p, data, waivers=[_waiver(p.id, "2027-03-31")])
    assert r.status == "waived" and r.waiver is not None and r.waiver.applied
    r = run(p, data, waivers=[_waiver(p.id, "2026-11-19")])
    assert r.status == "fail" and r.waiver is not None and r.waiver.expired and not r.waiver.applied
    assert "expired" in r.message
    r = run(p, data, waivers=[_waiver(p.id, "2026-11-20")])  # valid through its expiry day
    assert r.status == "waived"


def test_subject_waivers(policies) -> None:
    p = policies["TEST.ADMINS.PHISHING-RESISTANT"]
    data = {"userRegistrationDetails": [reg("a@x.com", True, ["sms"]), reg("b@x.com", True, ["fido2"])]}
    r = run(p, data, waivers=[_waiver(p.id, "2027-01-01", ["a@x.com"])])
    assert r.status == "waived"
    assert {f.subject: f.status for f in r.findings} == {"a@x.com": "waived", "b@x.com": "pass"}
    r = run(p, data, waivers=[_waiver(p.id, "2026-01-01", ["a@x.com"])])
    assert r.status == "fail"
    assert r.findings[0].waiver is not None and r.findings[0].waiver.expired


def test_manual_policy(policies) -> None:
    r = run(policies["TEST.GUESTS.DOMAINS"], {})
    assert r.status == "manual" and "allow list" in r.message


def test_not_applicable(tmp_path: Path) -> None:
    from .conftest import MFA_POLICY, write

    write(
        tmp_path / "p.yaml",
        MFA_POLICY.replace("variables:", 'applies: "size(conditionalAccessPolicies) > 0"\nvariables:'),
    )
    p = load_policies([tmp_path])[0]
    assert run(p, {"conditionalAccessPolicies": []}).status == "not_applicable"
    assert run(p, {"conditionalAccessPolicies": [ca_policy("a")]}).status == "pass"


def test_non_bool_assert_is_error(tmp_path: Path) -> None:
    from .conftest import MFA_POLICY, write

    write(
        tmp_path / "p.yaml", MFA_POLICY.replace('assert: "size(enforcing) > 0"', 'assert: "size(enforcing)"')
    )
    p = load_policies([tmp_path])[0]
    r = run(p, {"conditionalAccessPolicies": []})
    assert r.status == "error" and "expected a bool" in r.message


def test_now_is_the_snapshot_time(tmp_path: Path) -> None:
    from .conftest import write

    write(
        tmp_path / "p.yaml",
        """
        id: TEST.TIME
        title: t
        severity: low
        description: d
        rationale: r
        remediation: x
        requires: [users]
        forEach: users
        as: u
        subject: u.userPrincipalName
        assert: "now - timestamp(u.createdDateTime) < duration('8760h')"
        """,
    )
    p = load_policies([tmp_path])[0]
    data = {
        "users": [
            {"userPrincipalName": "new@x", "createdDateTime": "2026-06-01T00:00:00.1234567Z"},
            {"userPrincipalName": "old@x", "createdDateTime": "2024-06-01T00:00:00Z"},
        ]
    }
    r = run(p, data)
    assert {f.subject: f.status for f in r.findings} == {"new@x": "pass", "old@x": "fail"}
