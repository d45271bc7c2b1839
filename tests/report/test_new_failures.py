"""One definition of "new failure" for ``diff --fail-on-new``, ``audit --since`` and the reports.

Each case is a pair of documents where the two gates used to disagree: ``diff`` called a
policy that erred now (nothing -> error) a new failure and ignored a new failing subject of a
policy that failed before, while ``--since`` did the opposite. Now both read
``auditor.results.newfailures``; the tests check the function, then that ``diff`` (its list
and its exit code) and the ``since`` member agree on every pair, and that documents of
different tenants are refused by both unless ``--allow-other-tenant``.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_builders import results_doc

import auditor.cli
from auditor.errors import InputError
from auditor.report import FORMATS
from auditor.results import seal
from auditor.results.newfailures import check_same_tenant, new_failures
from auditor.results.since import since_member

DEMO = Path(__file__).resolve().parents[2] / "auditor" / "data" / "demo-snapshot.json"
Edit = Callable[[dict[str, dict[str, Any]]], None]


def _fail_subject(r: dict[str, Any], subject: str) -> None:
    r["findings"].append({"subject": subject, "status": "fail", "message": "no MFA", "waiver": None})


def _error_now(by: dict[str, dict[str, Any]]) -> None:
    by["AAD.AUTHZ.GUEST-INVITES"].update(status="error", findings=[])  # nothing -> error


def _new_subject(by: dict[str, dict[str, Any]]) -> None:
    _fail_subject(by["AAD.ADMINS.MFA-REGISTERED"], "mallory@contoso.com")  # fail -> fail, +1 subject


def _error_to_fail(by: dict[str, dict[str, Any]]) -> None:
    by["AAD.PIM.ELIGIBLE-ONLY"].update(status="fail")  # error before


def _waived_to_fail(by: dict[str, dict[str, Any]]) -> None:
    by["AAD.LEGACY-AUTH.BLOCKED"].update(status="fail", waiver=None)


def _low_new_failure(by: dict[str, dict[str, Any]]) -> None:
    by["AAD.SECURITY-DEFAULTS.OFF"].update(status="fail")  # low: below fail-on high


def _subject_moved(by: dict[str, dict[str, Any]]) -> None:
    """The same failing subjects, one of them now failing for another reason: nothing new."""
    admins = by["AAD.ADMINS.MFA-REGISTERED"]
    for f in admins["findings"]:
        if f["status"] == "fail":
            f["message"] = "changed wording"


CASES: dict[str, tuple[Edit, dict[str, dict[str, Any]]]] = {
    "nothing -> error is no failure": (_error_now, {}),
    "a new failing subject of a failing policy": (
        _new_subject,
        {"AAD.ADMINS.MFA-REGISTERED": {"policy": False, "subjects": ["mallory@contoso.com"]}},
    ),
    "error -> fail": (_error_to_fail, {"AAD.PIM.ELIGIBLE-ONLY": {"policy": True, "subjects": []}}),
    "waived -> fail": (_waived_to_fail, {"AAD.LEGACY-AUTH.BLOCKED": {"policy": True, "subjects": []}}),
    "below fail-on": (_low_new_failure, {"AAD.SECURITY-DEFAULTS.OFF": {"policy": True, "subjects": []}}),
    "same subjects, new wording": (_subject_moved, {}),
}


def _pair(tmp: Path, edit: Edit) -> tuple[Path, Path, dict[str, Any], dict[str, Any]]:
    old = results_doc()
    new = {k: copy.deepcopy(v) for k, v in old.items() if k != "integrity"}
    edit({r["policyId"]: r for r in new["results"]})
    new = seal(new)
    paths = tmp / "old.json", tmp / "new.json"
    paths[0].write_bytes(FORMATS["json"].render(old))
    paths[1].write_bytes(FORMATS["json"].render(new))
    return paths[0], paths[1], old, new


@pytest.mark.parametrize("name", sorted(CASES))
def test_diff_and_since_agree(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit, expected = CASES[name]
    old_path, new_path, old, new = _pair(tmp_path, edit)
    assert new_failures(new, old) == expected
    since = since_member(new, old, str(old_path))
    assert since["newFailures"] == expected
    code = auditor.cli.main(["diff", str(old_path), str(new_path), "--format", "json", "--fail-on-new"])
    d = json.loads(capsys.readouterr().out)
    assert {e["policyId"] for e in d["newFailures"]} == set(expected)
    assert {e["policyId"]: e["newFailingSubjects"] for e in d["newFailures"]} == {
        pid: entry["subjects"] for pid, entry in expected.items()
    }
    # the diff gate is the --since gate: same verdict, same exit code
    assert code == since["exitCode"] == d["newGate"]["exitCode"]
    assert d["newGate"]["gate"] == since["gate"]


def test_gate_verdicts_per_case(tmp_path: Path) -> None:
    """What each disagreement now decides (fail-on high; the base document has a high error)."""
    codes = {}
    for name, (edit, _) in CASES.items():
        old_path, new_path, _, _ = _pair(tmp_path, edit)
        codes[name] = auditor.cli.main(["diff", str(old_path), str(new_path), "--fail-on-new"])
    assert codes == {
        "nothing -> error is no failure": 3,  # medium error: not new, and the high error remains
        "a new failing subject of a failing policy": 1,  # critical
        "error -> fail": 1,  # high, and the error is gone
        "waived -> fail": 1,  # high
        "below fail-on": 3,  # low new failure: not gating; the high error still makes it incomplete
        "same subjects, new wording": 3,
    }


def test_renamed_policy_and_new_subjects_count_as_new() -> None:
    old = results_doc()
    new = copy.deepcopy(old)
    admins = next(r for r in new["results"] if r["policyId"] == "AAD.ADMINS.MFA-REGISTERED")
    admins["policyId"] = "AAD.ADMINS.MFA"  # renamed: matched by ID only, so all of it is new
    failing = sorted(f["subject"] for f in admins["findings"] if f["status"] == "fail")
    assert new_failures(new, old) == {"AAD.ADMINS.MFA": {"policy": True, "subjects": failing}}
    # a subject that passed before and fails now is new, like one the tenant did not have
    again = copy.deepcopy(old)
    admins = next(r for r in again["results"] if r["policyId"] == "AAD.ADMINS.MFA-REGISTERED")
    passing = next(f for f in admins["findings"] if f["status"] == "pass")
    passing["status"] = "fail"
    assert new_failures(again, old) == {
        "AAD.ADMINS.MFA-REGISTERED": {"policy": False, "subjects": [passing["subject"]]}
    }


def _other_tenant(doc: dict[str, Any]) -> dict[str, Any]:
    other = {k: copy.deepcopy(v) for k, v in doc.items() if k != "integrity"}
    other["snapshot"]["tenant"] = {"id": "99999999-8888-7777-6666-555555555555", "displayName": "Fabrikam"}
    return seal(other)


def test_diff_refuses_another_tenant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_path, _, old, _ = _pair(tmp_path, _new_subject)
    other = tmp_path / "other.json"
    other.write_bytes(FORMATS["json"].render(_other_tenant(old)))
    assert auditor.cli.main(["diff", str(old_path), str(other), "--fail-on-new"]) == 2
    err = capsys.readouterr().err
    assert "11111111-2222-3333-4444-555555555555" in err and "99999999-8888-7777-6666-555555555555" in err
    assert "--allow-other-tenant" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    # allowed explicitly: compared (the same results, nothing new; the high error -> incomplete)
    assert auditor.cli.main(["diff", str(old_path), str(other), "--fail-on-new", "--allow-other-tenant"]) == 3
    # a document that records no tenant cannot prove it is the same tenant: refused too
    with pytest.raises(InputError, match=r"a\.json is of tenant \(none recorded\)"):
        check_same_tenant({"snapshot": {"tenant": {}}}, old, "a.json", "b.json", allow=False)


def test_audit_since_refuses_another_tenant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(DEMO, tmp_path / "snap.json")
    assert auditor.cli.main(["audit", "snap.json", "--out", "old", "-q"]) == 1
    old = json.loads((tmp_path / "old" / "results.json").read_text())
    tenant = old["snapshot"]["tenant"]["id"]
    (tmp_path / "other.json").write_bytes(FORMATS["json"].render(_other_tenant(old)))
    capsys.readouterr()
    assert auditor.cli.main(["audit", "snap.json", "--out", "new", "--since", "other.json", "-q"]) == 2
    err = capsys.readouterr().err
    assert tenant in err and "99999999-8888-7777-6666-555555555555" in err and "other.json" in err
    assert not (tmp_path / "new" / "results.json").exists()  # refused before any report
    code = auditor.cli.main(
        ["audit", "snap.json", "--out", "new", "--since", "other.json", "--allow-other-tenant", "-q"]
    )
    assert code == 0  # the same failures: nothing new
    # the same tenant: accepted without the flag, and diff agrees with the recorded gate
    assert auditor.cli.main(["audit", "snap.json", "--out", "same", "--since", "old/results.json", "-q"]) == 0
    same = json.loads((tmp_path / "same" / "results.json").read_text())
    assert auditor.cli.main(["diff", "old/results.json", "same/results.json", "--fail-on-new"]) == 0
    assert same["since"]["exitCode"] == 0
