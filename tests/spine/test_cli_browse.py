"""policies list|show|validate, baselines list|show and test, on a user's own policy folder."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.cli import main

from .conftest import MFA_POLICY, write

MFA_TESTS = """
policy: TEST.MFA.ALL
cases:
  - name: an enabled MFA policy passes
    data:
      conditionalAccessPolicies:
        - {id: "1", displayName: All users MFA, state: enabled, grantControls: {operator: OR, builtInControls: [mfa]}}
    expect: pass
  - name: report-only does not count
    data:
      conditionalAccessPolicies:
        - {id: "1", displayName: Pilot, state: enabledForReportingButNotEnforced,
           grantControls: {operator: OR, builtInControls: [mfa]}}
    expect: fail
  - name: missing data is an error
    data: {}
    expect: error
"""

ADMIN_TESTS = """
policy: TEST.ADMINS.PHISHING-RESISTANT
cases:
  - name: one admin without a key
    data:
      userRegistrationDetails:
        - {userPrincipalName: a@x.com, isAdmin: true, methodsRegistered: [fido2]}
        - {userPrincipalName: b@x.com, isAdmin: true, methodsRegistered: [sms]}
    expect: fail
    subjects: {"a@x.com": pass, "b@x.com": fail}
"""


def test_policies_list_json_and_table(policy_dir: Path, capsys) -> None:
    assert main(["policies", "list", "--policies", str(policy_dir), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in listed] == sorted(p["id"] for p in listed)
    assert listed[0]["frameworks"] == {} or isinstance(listed[0]["frameworks"], dict)
    assert main(["policies", "list", "--policies", str(policy_dir)]) == 0
    out = capsys.readouterr().out
    assert "TEST.MFA.ALL" in out and "Policies by framework" in out and "cisa-scuba 1 policy" in out


def test_policies_show(policy_dir: Path, capsys) -> None:
    assert main(["policies", "show", "TEST.MFA.ALL", "--policies", str(policy_dir)]) == 0
    assert "size(enforcing) > 0" in capsys.readouterr().out
    assert main(["policies", "show", "NOPE", "--policies", str(policy_dir)]) == 2


def test_policies_validate_reports_every_error(tmp_path: Path, capsys) -> None:
    write(tmp_path / "a.yaml", MFA_POLICY.replace("title:", "titel:"))
    write(
        tmp_path / "b.yaml",
        MFA_POLICY.replace("id: TEST.MFA.ALL", "id: TEST.B").replace(
            "size(enforcing) > 0", "size(enforcing) > 0 &&"
        ),
    )
    assert main(["policies", "validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "a.yaml" in err and "titel" in err and "b.yaml" in err
    assert main(["policies", "validate", str(tmp_path / "missing")]) == 2


def test_test_command_passes_and_fails(policy_dir: Path, capsys) -> None:
    write(policy_dir / "ca" / "test-mfa-all.test.yaml", MFA_TESTS)
    write(policy_dir / "roles" / "test-admins.test.yaml", ADMIN_TESTS)
    assert main(["test", str(policy_dir)]) == 0
    assert "4 passed, 0 failed" in capsys.readouterr().out
    write(
        policy_dir / "roles" / "test-admins.test.yaml",
        ADMIN_TESTS.replace('"b@x.com": fail', '"b@x.com": pass'),
    )
    assert main(["test", str(policy_dir)]) == 1
    out = capsys.readouterr().out
    assert "subject 'b@x.com': expected pass, got fail" in out


def test_test_command_bad_test_file_exits_2(policy_dir: Path, capsys) -> None:
    write(
        policy_dir / "ca" / "test-mfa-all.test.yaml",
        "policy: TEST.NOPE\ncases:\n  - name: x\n    expect: pass\n",
    )
    assert main(["test", str(policy_dir)]) == 2
    assert "no policy with id 'TEST.NOPE'" in capsys.readouterr().err


def test_baselines_list_and_show(capsys) -> None:
    assert main(["baselines", "list"]) == 0
    assert "rollout-gate" in capsys.readouterr().out
    assert main(["baselines", "show", "rollout-gate"]) == 0
    assert "policies selected" in capsys.readouterr().out
    assert main(["baselines", "show", "no-such"]) == 2


def test_test_command_on_a_policy_file_runs_its_sibling_tests(policy_dir: Path, capsys) -> None:
    write(policy_dir / "ca" / "test-mfa-all.test.yaml", MFA_TESTS)
    assert main(["test", str(policy_dir / "ca" / "test-mfa-all.yaml")]) == 0
    assert "3 passed, 0 failed" in capsys.readouterr().out
    assert main(["test", str(policy_dir / "roles" / "test-admins.yaml")]) == 2
    assert "no test file test-admins.test.yaml" in capsys.readouterr().err
