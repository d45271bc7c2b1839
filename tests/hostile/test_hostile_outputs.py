"""Budgets that hold, outputs that stay whole and honest, and the CLI's safety net (issue 9)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from auditor import cel, limits
from auditor.api import reportset as output
from auditor.engine.expressions import TRUNCATED, display
from tests.hostile.conftest import MFA_POLICY, ROOT, assert_input_error, ca_policy, run, write

USERS = [
    {"id": f"u{i}", "userPrincipalName": f"user{i}@contoso.com", "displayName": f"User {i} " + "x" * 40}
    for i in range(300)
]

POLICY_HEAD = """
id: TEST.HOSTILE.{name}
title: Hostile {name}
severity: high
description: d
rationale: r
remediation: r
requires: [users]
"""


def policy(tmp_path: Path, name: str, body: str) -> str:
    return str(write(tmp_path / "p" / f"{name.lower()}.yaml", POLICY_HEAD.format(name=name) + body))


def audit_json(capsys: Any, snap: str, pol: str, out: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, stdout, err = run(capsys, "audit", snap, "--policies", pol, "--out", str(out), "-q", *extra)
    doc = json.loads((out / "results.json").read_text("utf-8"), parse_constant=_reject)
    return code, doc, stdout + err


def _reject(name: str) -> Any:
    raise AssertionError(f"results.json holds {name}: not strict JSON")


# -- evaluation budgets ----------------------------------------------------------------


def test_many_lists_each_under_the_per_value_cap_hit_the_per_evaluation_budget(
    tmp_path: Path, write_snapshot, capsys
) -> None:
    # 20 lists of 300 elements each are small; with eval-elements=3000 their sum is not
    pol = policy(
        tmp_path,
        "MAP",
        'assert: "size([1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].map(i, users.map(u, u.id))) == 20"\n',
    )
    snap = str(write_snapshot({"users": USERS}))
    code, doc, text = audit_json(capsys, snap, pol, tmp_path / "r", "--limit", "eval-elements=3000")
    result = doc["results"][0]
    assert result["status"] == "error" and code == 3, text
    assert "list elements and characters in total" in result["message"]
    code, doc, _ = audit_json(capsys, snap, pol, tmp_path / "r2")  # the default budget is ample
    assert doc["results"][0]["status"] == "pass" and code == 0


def test_the_element_budget_spans_every_expression_of_one_policy(
    tmp_path: Path, write_snapshot, capsys
) -> None:
    body = (
        "variables:\n"
        + "".join(f'  v{i}: "users.map(u, u.userPrincipalName)"\n' for i in range(12))
        + 'assert: "size(v0) > 0"\n'
    )
    pol = policy(tmp_path, "VARS", body)
    snap = str(write_snapshot({"users": USERS}))
    code, doc, _ = audit_json(capsys, snap, pol, tmp_path / "r", "--limit", "eval-elements=3000")
    assert doc["results"][0]["status"] == "error" and code == 3  # 12 x 300 > 3000, each alone < 3000


def test_string_concatenation_is_counted(tmp_path: Path, write_snapshot, capsys) -> None:
    pol = policy(
        tmp_path, "STR", 'assert: "users.map(u, u.displayName + u.displayName + u.displayName).size() > 0"\n'
    )
    snap = str(write_snapshot({"users": USERS}))
    code, doc, _ = audit_json(capsys, snap, pol, tmp_path / "r", "--limit", "eval-elements=20000")
    assert doc["results"][0]["status"] == "error" and code == 3


def test_size_budget_is_per_block_and_restored() -> None:
    prog = cel.compile("[1, 2, 3].map(i, xs.map(x, x))", ["xs"])
    with cel.size_budget(10), pytest.raises(cel.CelEvalError, match="in total"):
        prog.evaluate({"xs": list(range(5))})
    assert len(prog.evaluate({"xs": list(range(5))})) == 3  # outside a block nothing is counted


def test_a_message_template_is_truncated_not_copied_megabytes(tmp_path: Path, write_snapshot, capsys) -> None:
    body = (
        'assert: "false"\n'
        'message: "{{ users.map(u, u.displayName + u.displayName) }} and {{ users }} {{ users }}"\n'
    )
    pol = policy(tmp_path, "MSG", body)
    snap = str(write_snapshot({"users": USERS}))
    code, doc, _ = audit_json(capsys, snap, pol, tmp_path / "r")
    message = doc["results"][0]["message"]
    assert code == 1 and message.endswith(TRUNCATED)
    assert len(message.encode("utf-8")) <= limits.current().message_bytes
    for f in (tmp_path / "r").iterdir():
        assert f.stat().st_size < 200_000, f"{f.name}: the message was copied whole"


def test_display_never_formats_more_than_its_budget() -> None:
    huge = [["x" * 1000] * 1000] * 1000  # a billion characters if formatted whole
    started = time.monotonic()
    text = display(huge, 200)
    assert time.monotonic() - started < 2  # formatting it whole would take minutes
    assert len(text.encode()) <= 200 and text.endswith(TRUNCATED)


def test_per_subject_messages_and_subject_names_are_capped(tmp_path: Path, write_snapshot, capsys) -> None:
    body = (
        'forEach: "users"\nas: u\nsubject: "u.displayName + u.displayName"\n'
        'assert: "false"\nmessage: "{{ users }}"\n'
    )
    pol = policy(tmp_path, "SUBJ", body)
    snap = str(write_snapshot({"users": USERS[:5]}))
    _, doc, _ = audit_json(capsys, snap, pol, tmp_path / "r", "--limit", "message-bytes=300")
    for finding in doc["results"][0]["findings"]:
        assert len(finding["message"].encode()) <= 300 and finding["message"].endswith(TRUNCATED)


# -- strict JSON out, clean console --------------------------------------------------------


def test_nan_and_infinity_never_reach_results_json(tmp_path: Path, write_snapshot, capsys) -> None:
    body = 'variables:\n  ratio: "0.0 / 0.0"\n  big: "1e308 * 10.0"\n  small: "-1e308 * 10.0"\nassert: "ratio == ratio"\n'
    pol = policy(tmp_path, "NAN", body)
    snap = str(write_snapshot({"users": USERS[:1]}))
    code, doc, _ = audit_json(capsys, snap, pol, tmp_path / "r")  # parse_constant rejects NaN
    result = doc["results"][0]
    assert result["status"] == "fail" and code == 1
    assert result["evidence"] == {"ratio": "NaN", "big": "Infinity", "small": "-Infinity"}
    code, _, err = run(capsys, "verify", str(tmp_path / "r" / "results.json"), snap)
    assert code == 0, err


ANSI_UPN = "\x1b[2J\x1b[1;1Hgate PASSED\x1b]0;owned\x07\u202eevil\x9b31m@contoso.com"


def test_control_characters_in_tenant_data_never_reach_the_terminal(
    tmp_path: Path, write_snapshot, capsys
) -> None:
    body = 'forEach: "users"\nas: u\nsubject: "u.userPrincipalName"\nassert: "false"\nmessage: "{{ u.userPrincipalName }} fails"\n'
    pol = policy(tmp_path, "ANSI", body)
    snap = str(write_snapshot({"users": [{"id": "1", "userPrincipalName": ANSI_UPN}]}))
    code, stdout, err = run(capsys, "audit", snap, "--policies", pol, "--out", str(tmp_path / "r"), "-v")
    assert code == 1
    for ch in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert ch not in stdout and ch not in err
    assert "[2J" in stdout or "contoso.com" in stdout  # the text is shown, harmless, as text
    # the results document keeps the data verbatim: only the terminal view is cleaned
    doc = json.loads((tmp_path / "r" / "results.json").read_text("utf-8"))
    assert doc["results"][0]["findings"][0]["subject"] == ANSI_UPN


def test_control_characters_in_error_messages_are_stripped(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "s.json"
    bad.write_text('{"\\u001b[31mkey": 1, "\\u001b[31mkey": 2}', encoding="utf-8")
    code, _, err = run(capsys, "audit", str(bad))
    assert_input_error(code, err, "duplicate key")
    assert "\x1b" not in err


# -- warnings where silence would mislead ---------------------------------------------------


def test_include_glob_matching_nothing_warns(tmp_path: Path, write_snapshot, capsys) -> None:
    pol = str(write(tmp_path / "p" / "mfa.yaml", MFA_POLICY))
    base = write(
        tmp_path / "b.yaml", 'name: b\npolicies: {include: ["TEST.*", "AAD.TYPO.*"], exclude: ["NOPE.*"]}\n'
    )
    snap = str(write_snapshot({"conditionalAccessPolicies": [ca_policy("p")]}))
    code, _, err = run(
        capsys, "audit", snap, "--policies", pol, "--baseline", str(base), "--out", str(tmp_path / "r"), "-q"
    )
    assert code == 0
    assert (
        "warning" in err and "'AAD.TYPO.*' matches no policy" in err and "'NOPE.*' matches no policy" in err
    )


def test_subject_waiver_naming_no_subject_warns(tmp_path: Path, write_snapshot, capsys) -> None:
    body = 'forEach: "users"\nas: u\nsubject: "u.userPrincipalName"\nassert: "u.id != \'u1\'"\n'
    pol = policy(tmp_path, "WAIVE", body)
    waivers = write(
        tmp_path / "w.yaml",
        """
        waivers:
          - policy: TEST.HOSTILE.WAIVE
            subjects: ["user1@contoso.com", "usr2@contoso.com", "user7@contoso.com"]
            reason: r
            owner: o@example.com
            expires: 2099-01-01
        """,
    )
    snap = str(write_snapshot({"users": USERS}))
    code, _, err = run(
        capsys,
        "audit",
        snap,
        "--policies",
        pol,
        "--waivers",
        str(waivers),
        "--out",
        str(tmp_path / "r"),
        "-q",
    )
    assert code == 0, err  # user1 is waived
    assert "'usr2@contoso.com', which is not among its 300 subjects" in err
    assert "user7@contoso.com" not in err  # a passing subject exists, even if not listed in findings
    assert "user1@contoso.com'" not in err


# -- reports written as a set ----------------------------------------------------------------


def test_an_interrupt_while_writing_leaves_the_old_set_and_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "reports"
    output.write_report_set(out, {"a.json": b"old-a", "b.csv": b"old-b", "c.html": b"old-c"})
    calls = {"n": 0}
    real_fsync = os.fsync

    def interrupted(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_report_set(out, {"a.json": b"new-a", "b.csv": b"new-b", "c.html": b"new-c"})
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        "a.json": b"old-a",
        "b.csv": b"old-b",
        "c.html": b"old-c",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    output.write_report_set(out, {"a.json": b"new-a", "b.csv": b"new-b", "c.html": b"new-c"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        "a.json": b"new-a",
        "b.csv": b"new-b",
        "c.html": b"new-c",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def _cli(*args: str, **kw: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "auditor", *args], env=env, text=True, **kw)


def _wait_until_sigterm_is_caught(pid: int, timeout: float = 60.0) -> None:
    """Until the process has installed its SIGTERM handler (Linux: SigCgt in /proc/PID/status)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.05)
    raise AssertionError("the command never installed its SIGTERM handler")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to see the handler")
def test_sigterm_is_handled_like_ctrl_c(tmp_path: Path, write_snapshot) -> None:
    snap = str(write_snapshot({"users": [{"id": str(i)} for i in range(2000)]}))
    pol = policy(tmp_path, "SLOW", "assert: \"users.all(a, users.all(b, users.all(c, a.id != 'x')))\"\n")
    out = tmp_path / "r"
    out.mkdir()
    (out / "results.json").write_text("old")
    proc = _cli(
        "audit", snap, "--policies", pol, "--out", str(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _wait_until_sigterm_is_caught(proc.pid)
    time.sleep(0.5)  # into the evaluation
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "terminated" in err and "Traceback" not in err
    assert (out / "results.json").read_text() == "old"
    leftovers = [p.name for p in tmp_path.rglob("*") if "partial" in p.name]
    assert leftovers == []


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    proc = _cli("policies", "list", "--json", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert proc.returncode == 0


def test_broken_pipe_never_turns_a_gate_command_into_success(tmp_path: Path, write_snapshot) -> None:
    snap = str(write_snapshot({"conditionalAccessPolicies": [ca_policy("p", controls=["block"])]}))
    pol = str(write(tmp_path / "p" / "mfa.yaml", MFA_POLICY))
    proc = _cli(
        "audit",
        snap,
        "--policies",
        pol,
        "--out",
        str(tmp_path / "r"),
        "-v",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=60)
    assert "Traceback" not in err
    assert proc.returncode in (1, 2)  # the gate's failure, or "output incomplete": never 0


# -- the net under everything ----------------------------------------------------------------


def test_unexpected_exception_is_exit_2_with_a_hint(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import auditor.baseline as baseline

    def boom() -> Any:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(baseline, "builtin_baselines", boom)
    code, _, err = run(capsys, "baselines", "list")
    assert code == 2
    assert "unexpected failure (RuntimeError: something nobody foresaw)" in err and "--debug" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "--debug", "baselines", "list")
    assert code == 2 and "Traceback" in err
    code, _, err = run(capsys, "baselines", "list", "--debug")
    assert code == 2 and "Traceback" in err


def test_recursion_and_memory_errors_are_caught_by_the_net(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import auditor.baseline as baseline

    for exc in (RecursionError("deep"), MemoryError()):

        def boom(exc: BaseException = exc) -> Any:
            raise exc

        monkeypatch.setattr(baseline, "builtin_baselines", boom)
        code, _, err = run(capsys, "baselines", "list")
        assert code == 2 and type(exc).__name__ in err and "Traceback" not in err


def test_sigterm_while_a_snapshot_is_written_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.cli import Terminated
    from auditor.snapshot import write_atomic

    target = tmp_path / "snapshot.json"
    target.write_bytes(b"old")

    def terminated(fd: int) -> None:
        raise Terminated  # what the SIGTERM handler raises

    monkeypatch.setattr(os, "fsync", terminated)
    with pytest.raises(Terminated):
        write_atomic(target, b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.json"]
    assert target.read_bytes() == b"old"


def test_policy_titles_with_escape_sequences_are_shown_as_text(tmp_path: Path, capsys) -> None:
    pol = write(
        tmp_path / "p" / "mfa.yaml",
        MFA_POLICY.replace(
            "title: MFA is required for all users", 'title: "MFA \\e[2J\\e[1;1Hall good \\x9b31m"'
        ),
    )
    for argv in (
        ["policies", "list", "--policies", str(pol)],
        ["policies", "show", "TEST.MFA.ALL", "--policies", str(pol)],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert "\x1b" not in out and "\x9b" not in out and "all good" in out


def test_snapshot_diff_text_strips_control_characters(tmp_path: Path, write_snapshot, capsys) -> None:
    old = write_snapshot({"users": USERS[:2]}, name="old.json")
    new = write_snapshot(
        {"users": [*USERS[:1], {"id": "u9", "userPrincipalName": ANSI_UPN}]}, name="new.json"
    )
    code, out, err = run(capsys, "diff", str(old), str(new))
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out


def test_bulk_messages_are_exactly_the_one_at_a_time_messages(tmp_path: Path) -> None:
    """Per-subject messages are built column by column for speed; each must equal what
    ``render`` makes for that subject alone, including rows over the budget (where ``render``
    stops adding parts), whitespace that strip() removes, lists, errors and multi-byte text."""
    from auditor.engine.expressions import render
    from auditor.engine.subjects import _failure_messages
    from auditor.policy import load_policy_file

    body = (
        'forEach: "users"\nas: u\nsubject: "u.id"\nassert: "false"\n'
        'message: "  {{ u.displayName }} mid {{ u.jobTitle }} / {{ u.department }} / {{ u.employeeOrgData.division }} end  "\n'
    )
    pol = load_policy_file(Path(policy(tmp_path, "BULK", body)))
    items: list[Any] = [
        {
            "displayName": "x",
            "jobTitle": ["n1", "n2"],
            "department": 1,
            "employeeOrgData": {"division": "ok"},
        },
        {
            "displayName": "x" * 290,
            "jobTitle": "y" * 100,
            "department": "z" * 400,
            "employeeOrgData": {"division": "after"},
        },  # over budget mid-row
        {
            "displayName": " " * 400,
            "jobTitle": "",
            "department": "tail",
            "employeeOrgData": {"division": "q"},
        },  # whitespace over the budget
        {
            "displayName": "é" * 120,
            "jobTitle": ["n1", "n2"],
            "department": None,
            "employeeOrgData": {},
        },  # multi-byte; division is an error
        {
            "displayName": 7,
            "jobTitle": [1, "x"],
            "department": [["deep"] * 50] * 50,
            "employeeOrgData": {"division": "ü" * 200},
        },
    ]
    budget = limits.parse_limits(["message-bytes=300"]).message_bytes
    bulk = _failure_messages(pol, {}, items, budget)
    alone = [render(pol.message, {"u": item}, "unused", budget) for item in items]
    assert bulk == alone
    assert any(m.endswith(TRUNCATED) for m in bulk) and any("<error:" in m for m in bulk)
