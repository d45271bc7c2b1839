"""Reports are written as a set, and output errors never turn a pass into a fail (issue 20).

A run with fewer ``--format``s removes the earlier run's other report files from ``--out``
(else a stale ``report.html`` of another tenant sits beside the new ``results.json``), and
never removes a file auditor did not write. With stdout and stderr on a full device, a
passing gate exits 2 (the summary could not be shown; the reports were written), never 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.api import reportset as output
from tests.hostile.conftest import MFA_POLICY, ROOT, ca_policy, run, snapshot_doc, write

ALL = ["results.json", "results.sarif", "results.junit.xml", "summary.md", "findings.csv", "report.html"]


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[str, str, str]:
    """(passing snapshot, failing snapshot, policy folder)."""

    def write_snapshot(data: dict[str, object], name: str) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(snapshot_doc(data)), encoding="utf-8")
        return path

    passing = str(write_snapshot({"conditionalAccessPolicies": [ca_policy("p")]}, name="pass.json"))
    failing = str(
        write_snapshot({"conditionalAccessPolicies": [ca_policy("p", controls=["block"])]}, name="fail.json")
    )
    pol = str(write(tmp_path / "p" / "mfa.yaml", MFA_POLICY).parent)
    return passing, failing, pol


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_run_with_fewer_formats_removes_the_earlier_runs_other_reports(
    tmp_path: Path, inputs: tuple[str, str, str], capsys
) -> None:
    passing, failing, pol = inputs
    out = tmp_path / "r"
    assert run(capsys, "audit", failing, "--policies", pol, "--out", str(out), "-q")[0] == 1
    assert _names(out) == set(ALL)
    code, _, _ = run(
        capsys, "audit", passing, "--policies", pol, "--out", str(out), "--format", "json,csv", "-q"
    )
    assert code == 0
    assert _names(out) == {"results.json", "findings.csv"}  # no report of the earlier audit is left
    assert json.loads((out / "results.json").read_text("utf-8"))["summary"]["gate"] == "passed"
    # the optional formats and the attestation are auditor's too
    for name in ("results.oscal.json", "action-plan.xlsx", "results.ocsf.json", "results.intoto.jsonl"):
        (out / name).write_bytes(b'{"tool": "auditor"}')
    assert (
        run(capsys, "audit", passing, "--policies", pol, "--out", str(out), "--format", "sarif", "-q")[0] == 0
    )
    assert _names(out) == {"results.sarif"}


def test_files_auditor_did_not_write_are_never_removed(
    tmp_path: Path, inputs: tuple[str, str, str], capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    passing, _, pol = inputs
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "summary.md").write_text("# My own project summary\n")  # a name we use, not our text
    (out / "findings.csv").write_text("id,owner\n1,me\n")
    (out / "report.html").write_text("<html>my page</html>")
    (out / "results.sarif").mkdir()  # a folder of that name
    (out / "elsewhere.txt").write_text("target")
    (out / "results.junit.xml").symlink_to(out / "elsewhere.txt")  # a link of that name
    (out / ".results.json.swp").write_text("editor")
    before = {p.name: (p.read_bytes() if p.is_file() and not p.is_symlink() else None) for p in out.iterdir()}
    assert (
        run(capsys, "audit", passing, "--policies", pol, "--out", str(out), "--format", "json", "-q")[0] == 0
    )
    after = _names(out)
    assert after == set(before) | {"results.json"}
    for name, data in before.items():
        if data is not None:
            assert (out / name).read_bytes() == data
    assert (out / "results.junit.xml").is_symlink() and (out / "elsewhere.txt").read_text() == "target"


def test_another_users_report_files_are_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "results.sarif").write_text('{"tool": "auditor"}')
    assert output.stale_reports(out, ["results.json"]) == [out / "results.sarif"]
    monkeypatch.setattr(os, "getuid", lambda: os.stat(out / "results.sarif").st_uid + 1)
    assert output.stale_reports(out, ["results.json"]) == []


def test_a_console_only_run_leaves_the_folder_alone(
    tmp_path: Path, inputs: tuple[str, str, str], capsys
) -> None:
    passing, _, pol = inputs
    out = tmp_path / "r"
    run(capsys, "audit", passing, "--policies", pol, "--out", str(out), "-q")
    run(capsys, "audit", passing, "--policies", pol, "--out", str(out), "--format", "console", "-q")
    assert _names(out) == set(ALL)  # nothing written there, so nothing replaced


# -- output errors ----------------------------------------------------------------------------


def _cli_to_full(*argv: str, stderr_full: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "wb") as full:
        return subprocess.run(
            [sys.executable, "-m", "auditor", *argv],
            stdout=full,
            stderr=full if stderr_full else subprocess.PIPE,
            env=env,
            timeout=120,
            check=False,
        )


needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")


@needs_dev_full
@pytest.mark.parametrize("quiet", [False, True], ids=["summary", "quiet"])
def test_a_passing_gate_on_a_full_device_exits_2_with_its_reports_written(
    tmp_path: Path, inputs: tuple[str, str, str], quiet: bool
) -> None:
    passing, _, pol = inputs
    out = tmp_path / "r"
    proc = _cli_to_full("audit", passing, "--policies", pol, "--out", str(out), *(["-q"] if quiet else []))
    assert proc.returncode == 2  # not 0: the verdict could not be shown; not 1: the tenant passed
    assert json.loads((out / "results.json").read_text("utf-8"))["summary"]["gate"] == "passed"
    assert _names(out) == set(ALL)


@needs_dev_full
def test_a_failing_gate_on_a_full_device_keeps_exit_1(tmp_path: Path, inputs: tuple[str, str, str]) -> None:
    _, failing, pol = inputs
    proc = _cli_to_full("audit", failing, "--policies", pol, "--out", str(tmp_path / "r"))
    assert proc.returncode == 1


@needs_dev_full
def test_stdout_full_says_so_on_stderr_once(tmp_path: Path, inputs: tuple[str, str, str]) -> None:
    passing, _, pol = inputs
    proc = _cli_to_full("audit", passing, "--policies", pol, "--out", str(tmp_path / "r"), stderr_full=False)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err
    assert err.count("auditor: error:") == 1 and "standard output" in err


@needs_dev_full
@pytest.mark.parametrize(
    "argv",
    [["policies", "list"], ["baselines", "list"], ["audit", "missing.json"]],
    ids=["list", "baselines", "bad"],
)
def test_other_commands_on_a_full_device_end_without_a_traceback_or_exit_1(
    argv: list[str], tmp_path: Path
) -> None:
    proc = _cli_to_full(*argv, stderr_full=False)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
