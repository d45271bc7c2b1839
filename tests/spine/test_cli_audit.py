"""The audit command through its public interface: exit codes, files, errors without tracebacks."""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import api
from auditor.cli import main
from auditor.results import compute_integrity, validate_results

from .conftest import ca_policy, reg, snapshot_doc, write

DATA_FAIL = {
    "conditionalAccessPolicies": [ca_policy("pilot", state="enabledForReportingButNotEnforced")],
    "userRegistrationDetails": [reg("a@x.com", True, ["fido2"]), reg("b@x.com", True, ["sms"])],
}
DATA_PASS = {
    "conditionalAccessPolicies": [ca_policy("all")],
    "userRegistrationDetails": [reg("a@x.com", True, ["fido2"])],
}


def audit(*args: str) -> int:
    return main(["audit", *args])


def read_results(out: Path) -> dict:
    doc = json.loads((out / "results.json").read_text())
    validate_results(doc)
    return doc


def test_gate_passes_and_fails(write_snapshot, policy_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    snap = write_snapshot(DATA_PASS)
    assert audit(str(snap), "--policies", str(policy_dir), "--out", str(out), "--format", "json") == 0
    doc = read_results(out)
    assert doc["summary"]["gate"] == "passed"
    assert [r["policyId"] for r in doc["results"]] == sorted(r["policyId"] for r in doc["results"])
    snap = write_snapshot(DATA_FAIL, name="fail.json")
    assert audit(str(snap), "--policies", str(policy_dir), "--out", str(out), "--format", "json") == 1
    doc = read_results(out)
    assert doc["summary"]["gate"] == "failed" and doc["summary"]["fail"] == 2
    assert doc["integrity"]["value"] == compute_integrity(doc)


def test_fail_on_raises_the_bar(write_snapshot, policy_dir: Path, tmp_path: Path) -> None:
    snap = write_snapshot(DATA_FAIL)
    assert (
        audit(
            str(snap),
            "--policies",
            str(policy_dir),
            "--out",
            str(tmp_path),
            "--format",
            "json",
            "--fail-on",
            "critical",
        )
        == 0
    )


def test_missing_data_is_incomplete_not_passed(write_snapshot, policy_dir: Path, tmp_path: Path) -> None:
    snap = write_snapshot(
        {"conditionalAccessPolicies": [ca_policy("all")]},
        sources={
            "userRegistrationDetails": {
                "status": "forbidden",
                "httpStatus": 403,
                "error": "needs AuditLog.Read.All",
            }
        },
    )
    assert audit(str(snap), "--policies", str(policy_dir), "--out", str(tmp_path), "--format", "json") == 3
    doc = read_results(tmp_path)
    assert doc["summary"]["gate"] == "incomplete"
    errors = [r for r in doc["results"] if r["status"] == "error"]
    assert errors and all("forbidden" in r["message"] for r in errors)


def test_results_are_deterministic_except_generated_at(
    write_snapshot, policy_dir: Path, tmp_path: Path
) -> None:
    snap = write_snapshot(DATA_FAIL)
    a, b = tmp_path / "a", tmp_path / "b"
    audit(str(snap), "--policies", str(policy_dir), "--out", str(a), "--format", "json")
    audit(str(snap), "--policies", str(policy_dir), "--out", str(b), "--format", "json")
    da, db = read_results(a), read_results(b)
    da.pop("generatedAt"), db.pop("generatedAt")
    assert json.dumps(da) == json.dumps(db)


def test_gzip_snapshot_and_hash(write_snapshot, policy_dir: Path, tmp_path: Path) -> None:
    import hashlib

    raw = gzip.compress(json.dumps(snapshot_doc(DATA_PASS)).encode())
    snap = tmp_path / "s.json.gz"
    snap.write_bytes(raw)
    assert audit(str(snap), "--policies", str(policy_dir), "--out", str(tmp_path), "--format", "json") == 0
    assert read_results(tmp_path)["snapshot"]["sha256"] == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('{"schemaVersion": 1}', "invalid snapshot"),
        (
            '{"schemaVersion": 1, "tenant": {"id": "t"}, "collectedAt": "2026-01-01T00:00:00Z", "sources": {},'
            ' "data": {"conditionalAccessPolicies": {"id": 1}}}',
            "expected a list",
        ),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_snapshot_exits_2_with_path(
    tmp_path: Path, policy_dir: Path, capsys, content: str, needle: str
) -> None:
    snap = tmp_path / "bad.json"
    snap.write_text(content)
    out = tmp_path / "out"
    assert audit(str(snap), "--policies", str(policy_dir), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert str(snap) in err and needle in err and "Traceback" not in err
    assert not out.exists()  # nothing half-written


def test_missing_snapshot_file(tmp_path: Path, capsys) -> None:
    assert audit(str(tmp_path / "nope.json")) == 2
    assert "cannot read snapshot" in capsys.readouterr().err


def test_baseline_selection_params_and_waivers(write_snapshot, policy_dir: Path, tmp_path: Path) -> None:
    baseline = write(
        tmp_path / "b.yaml",
        """
        name: gate
        title: Test gate
        policies: {include: ["TEST.*"], exclude: ["TEST.MFA.REGISTERED-99"]}
        params: {methods: [fido2, sms]}
        failOn: high
        waivers:
          - policy: TEST.MFA.ALL
            reason: pilot until the rollout
            owner: secops@x.com
            expires: 2027-03-31
        """,
    )
    snap = write_snapshot(DATA_FAIL)
    assert (
        audit(
            str(snap),
            "--policies",
            str(policy_dir),
            "--baseline",
            str(baseline),
            "--out",
            str(tmp_path),
            "--format",
            "json",
        )
        == 0
    )
    doc = read_results(tmp_path)
    by_id = {r["policyId"]: r for r in doc["results"]}
    assert "TEST.MFA.REGISTERED-99" not in by_id
    assert by_id["TEST.MFA.ALL"]["status"] == "waived"
    assert by_id["TEST.MFA.ALL"]["waiver"]["applied"] is True
    assert by_id["TEST.ADMINS.PHISHING-RESISTANT"]["status"] == "pass"  # sms allowed by the baseline param
    assert doc["baseline"]["name"] == "gate" and len(doc["baseline"]["sha256"]) == 64
    # a command-line param wins over the baseline
    assert (
        audit(
            str(snap),
            "--policies",
            str(policy_dir),
            "--baseline",
            str(baseline),
            "--out",
            str(tmp_path),
            "--format",
            "json",
            "--param",
            "methods=[fido2]",
        )
        == 1
    )


def test_expired_waiver_is_reported_not_applied(write_snapshot, policy_dir: Path, tmp_path: Path) -> None:
    waivers = write(
        tmp_path / "w.yaml",
        """
        waivers:
          - policy: TEST.MFA.ALL
            reason: old exception
            owner: secops@x.com
            expires: 2025-01-01
        """,
    )
    snap = write_snapshot(DATA_FAIL)
    assert (
        audit(
            str(snap),
            "--policies",
            str(policy_dir),
            "--waivers",
            str(waivers),
            "--out",
            str(tmp_path),
            "--format",
            "json",
        )
        == 1
    )
    doc = read_results(tmp_path)
    r = next(r for r in doc["results"] if r["policyId"] == "TEST.MFA.ALL")
    assert r["status"] == "fail" and r["waiver"]["expired"] is True and r["waiver"]["applied"] is False
    assert doc["summary"]["expiredWaivers"] == 1


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "waivers:\n  - policy: TEST.MFA.AL\n    reason: typo\n    owner: o\n    expires: 2027-01-01\n",
            "unknown policy",
        ),
        ("waivers:\n  - policy: TEST.MFA.ALL\n    owner: o\n    expires: 2027-01-01\n", "reason"),
        (
            "waivers:\n  - policy: TEST.MFA.ALL\n    reason: r\n    owner: o\n    expires: someday\n",
            "expires",
        ),
    ],
)
def test_bad_waivers_exit_2(
    write_snapshot, policy_dir: Path, tmp_path: Path, capsys, text: str, needle: str
) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(text)
    assert (
        audit(
            str(write_snapshot(DATA_FAIL)),
            "--policies",
            str(policy_dir),
            "--waivers",
            str(waivers),
            "--out",
            str(tmp_path / "o"),
        )
        == 2
    )
    err = capsys.readouterr().err
    assert needle in err and "w.yaml" in err


def test_unknown_param_and_bad_type_exit_2(write_snapshot, policy_dir: Path, tmp_path: Path, capsys) -> None:
    snap = str(write_snapshot(DATA_FAIL))
    assert audit(snap, "--policies", str(policy_dir), "--param", "methodz=[a]", "--out", str(tmp_path)) == 2
    assert "unknown param 'methodz'" in capsys.readouterr().err
    assert audit(snap, "--policies", str(policy_dir), "--param", "methods=5", "--out", str(tmp_path)) == 2
    assert "expects a list" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys) -> None:
    assert audit() == 2
    with pytest.raises(SystemExit) as info:
        main(["audit", "--fail-on", "severe"])
    assert info.value.code == 2
    assert audit("--demo", "--baseline", "no-such-baseline") == 2
    assert "unknown baseline" in capsys.readouterr().err


def test_python_dash_m_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and proc.stdout.startswith("auditor ")


def test_the_command_line_process_ends_with_everything_written(tmp_path: Path, capsys) -> None:
    """``auditor``/``python -m auditor`` leave without freeing the heap (``auditor.cli.run``):
    the exit code, every line printed and every report must be the same as in-process."""
    out = tmp_path / "proc"
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", "--demo", "--out", str(out), "--verbose"],
        capture_output=True,
        text=True,
        check=False,
    )
    here = tmp_path / "here"
    code = main(["audit", "--demo", "--out", str(here), "--verbose"])
    printed = capsys.readouterr().out
    assert proc.returncode == code
    assert proc.stdout.splitlines()[-1].startswith("wrote ")
    assert len(proc.stdout.splitlines()) == len(printed.splitlines())
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in here.iterdir())
    for name in ("results.json", "results.sarif"):
        json.loads((out / name).read_text("utf-8"))  # complete, not cut short
    assert (out / "report.html").read_text("utf-8").rstrip().endswith("</html>")
    bad = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "auditor: error:" in bad.stderr


def test_baseline_naming_an_unknown_policy_id_is_a_load_error(
    write_snapshot, policy_dir: Path, tmp_path: Path, capsys
) -> None:
    baseline = write(
        tmp_path / "b.yaml",
        """
        name: gate
        policies: {include: ["TEST.MFA.ALL", "TEST.MFA.TYPO"], exclude: ["TEST.*.NONE*"]}
        """,
    )
    assert (
        audit(
            str(write_snapshot(DATA_FAIL)),
            "--policies",
            str(policy_dir),
            "--baseline",
            str(baseline),
            "--out",
            str(tmp_path / "o"),
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "TEST.MFA.TYPO" in err and "b.yaml" in err


def test_hostile_expression_is_stopped_by_the_time_budget(write_snapshot, tmp_path: Path) -> None:
    write(
        tmp_path / "p" / "slow.yaml",
        """
        id: TEST.HOSTILE
        title: A policy that would run for hours
        severity: high
        description: d
        rationale: r
        remediation: x
        requires: [users]
        assert: "users.all(a, users.all(b, users.all(c, users.all(d, a.id != 'x'))))"
        """,
    )
    snap = write_snapshot({"users": [{"id": str(i)} for i in range(300)]})
    import time

    start = time.monotonic()
    code = audit(
        str(snap),
        "--policies",
        str(tmp_path / "p"),
        "--out",
        str(tmp_path / "o"),
        "--format",
        "json",
        "--policy-timeout",
        "1",
    )
    assert time.monotonic() - start < 20
    assert code == 3
    result = read_results(tmp_path / "o")["results"][0]
    assert result["status"] == "error" and "time budget" in result["message"]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_each_step_and_a_log_sees_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Reading, evaluating and writing each show a transient status on a terminal (a large
    tenant takes a while in each); CI logs and pipes get the summary alone."""
    snapshot = tmp_path / "demo.json"
    snapshot.write_text(json.dumps(api.demo_snapshot().document), "utf-8")
    monkeypatch.delenv("CI", raising=False)
    screen = _Tty()
    monkeypatch.setattr(sys, "stderr", screen)
    args = ["audit", str(snapshot), "--format", "json,html", "--out", str(tmp_path / "r"), "--quiet"]
    code = main(args)
    shown = screen.getvalue()
    assert re.search(r"Reading and checking demo\.json \(\d+ (kB|MB)\)", shown)
    assert "Evaluating policies" in shown
    assert "Writing" in shown and "report.html" in shown
    assert code == main([*args[:-2], str(tmp_path / "r2"), "--quiet"])  # same verdict either way
    monkeypatch.setenv("CI", "true")
    log = _Tty()
    monkeypatch.setattr(sys, "stderr", log)
    main([*args[:-2], str(tmp_path / "r3"), "--quiet"])
    assert log.getvalue() == ""
