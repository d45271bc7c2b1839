"""Report features through the command line: --since, --redact, SARIF anchors, plain console."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.report._common import keep_end

DEMO = Path(__file__).resolve().parents[2] / "auditor" / "data" / "demo-snapshot.json"
KEY = "k" * 32


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(DEMO, tmp_path / "snap.json")
    return tmp_path


def _regressed(work: Path) -> tuple[Path, str]:
    """A copy of the demo tenant where one MFA-capable user lost every method."""
    doc = json.loads((work / "snap.json").read_text())
    user = next(r for r in doc["data"]["userRegistrationDetails"] if r.get("isMfaCapable"))
    user["isMfaCapable"], user["methodsRegistered"] = False, []
    path = work / "snap2.json"
    path.write_text(json.dumps(doc))
    return path, str(user["userPrincipalName"])


def test_since_gates_on_new_failures_and_every_report_marks_them(work: Path) -> None:
    assert main(["audit", "snap.json", "--out", "old", "-q"]) == 1  # the demo tenant has failures
    # nothing new: the gate passes although failures remain
    assert main(["audit", "snap.json", "--out", "same", "--since", "old/results.json", "-q"]) == 0
    same = json.loads((work / "same" / "results.json").read_text())
    assert same["since"]["newFailures"] == {} and same["summary"]["gate"] == "failed"
    junit = (work / "same" / "results.junit.xml").read_text()
    assert "<failure" not in junit
    # one user regresses: exit 1, and the reports say what is new
    snap2, upn = _regressed(work)
    assert main(["audit", str(snap2), "--out", "new", "--since", "old/results.json", "-q"]) == 1
    new = json.loads((work / "new" / "results.json").read_text())
    assert new["since"]["gate"] == "failed" and new["since"]["exitCode"] == 1
    assert upn in new["since"]["newFailures"]["AAD.USERS.MFA-CAPABLE"]["subjects"]
    rows = list(csv.DictReader(io.StringIO((work / "new" / "findings.csv").read_text("utf-8-sig"))))
    assert {(r["policyId"], r["subject"]) for r in rows if r["new"] == "yes"} >= {
        ("AAD.USERS.MFA-CAPABLE", upn)
    }
    assert all(r["new"] == "" for r in rows if r["subject"] != upn)
    sarif = json.loads((work / "new" / "results.sarif").read_text())
    states = {
        r["properties"]["subject"]: r.get("baselineState")
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "AAD.USERS.MFA-CAPABLE"
    }
    assert states[upn] == "new" and "unchanged" in states.values()
    assert f"{upn} **NEW**" in (work / "new" / "summary.md").read_text()
    page = (work / "new" / "report.html").read_text()
    assert re.search(re.escape(upn) + r'\s*<span class="badge new">NEW</span>', page)
    assert "NEW" in (work / "new" / "results.junit.xml").read_text()


def _all_outputs(folder: Path) -> str:
    return "\n".join(p.read_text("utf-8-sig") for p in sorted(folder.iterdir()))


def test_redact_pseudonymises_every_output_consistently(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = json.loads((work / "snap.json").read_text())
    users = snap["data"]["users"]
    secrets = {u["userPrincipalName"] for u in users} | {u["id"] for u in users}
    secrets |= {u["displayName"] for u in users if len(u["displayName"]) > 3}
    monkeypatch.setenv("AUDITOR_REDACT_KEY", KEY)
    assert main(["audit", "snap.json", "--out", "a", "--redact", "-q"]) == 1
    assert main(["audit", "snap.json", "--out", "b", "--redact", "-q"]) == 1
    text_a = _all_outputs(work / "a")
    leaked = sorted(s for s in secrets if s in text_a)
    assert not leaked, leaked[:5]
    doc_a = json.loads((work / "a" / "results.json").read_text())
    doc_b = json.loads((work / "b" / "results.json").read_text())
    assert doc_a["results"] == doc_b["results"]  # same key, same pseudonyms
    assert doc_a["invocation"]["redacted"] is True
    subjects = [f["subject"] for r in doc_a["results"] for f in r["findings"] if f["status"] == "fail"]
    assert subjects and all(s.startswith(("u-", "Person ", "Group ")) or "@" not in s for s in subjects)
    # the same pseudonym appears in the CSV and the SARIF as in results.json
    sub = next(s for s in subjects if s.startswith("u-"))
    assert sub in (work / "a" / "findings.csv").read_text("utf-8-sig")
    assert sub in (work / "a" / "results.sarif").read_text()
    # another key, other pseudonyms
    monkeypatch.setenv("AUDITOR_REDACT_KEY", "z" * 32)
    assert main(["audit", "snap.json", "--out", "c", "--redact", "-q"]) == 1
    assert sub not in _all_outputs(work / "c")
    # a key file wins over the environment
    (work / "key").write_text(KEY + "\n")
    assert main(["audit", "snap.json", "--out", "d", "--redact-key-file", "key", "-q"]) == 1
    assert json.loads((work / "d" / "results.json").read_text())["results"] == doc_a["results"]
    # a redacted document cannot be re-evaluated by verify
    assert main(["verify", "a/results.json", "snap.json"]) == 2


def test_redact_without_a_key_is_a_usage_error(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AUDITOR_REDACT_KEY", raising=False)
    assert main(["audit", "snap.json", "--out", "x", "--redact"]) == 2
    assert "AUDITOR_REDACT_KEY" in capsys.readouterr().err
    assert not (work / "x").exists()


def _uris(path: Path) -> set[str]:
    log = json.loads(path.read_text())
    return {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
        for loc in r["locations"]
    }


def test_sarif_points_at_the_baseline_file_else_the_snapshot(work: Path) -> None:
    base = Path(__file__).resolve().parents[2] / "baselines" / "rollout-gate.yaml"
    (work / "tenant").mkdir()
    shutil.copy(base, work / "tenant" / "gate.yaml")
    main(["audit", "snap.json", "--baseline", "tenant/gate.yaml", "--format", "sarif", "--out", "o1", "-q"])
    assert _uris(work / "o1" / "results.sarif") == {"tenant/gate.yaml"}
    main(["audit", str(work / "snap.json"), "--format", "sarif", "--out", "o2", "-q"])
    assert _uris(work / "o2" / "results.sarif") == {"snap.json"}
    main(["audit", "snap.json", "--baseline", "rollout-gate", "--format", "sarif", "--out", "o3", "-q"])
    assert _uris(work / "o3" / "results.sarif") == {"snap.json"}  # a built-in name is not a file here


def test_console_without_a_terminal_is_one_line_per_finding(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    main(["audit", "snap.json", "--format", "json", "--out", "o"])
    text = capsys.readouterr().out
    doc = json.loads((work / "o" / "results.json").read_text())
    lines = text.splitlines()
    assert lines[2].startswith("Gate: FAILED") and lines[4].startswith("Failing by severity: ")
    assert lines.index("Fix first:") < next(i for i, ln in enumerate(lines) if ln.startswith("FAIL   "))
    for r in doc["results"]:
        if r["status"] in ("fail", "error"):
            # each policy on its own line, ID whole, with its framework IDs
            line = next(ln for ln in lines if re.match(rf"^\S+\s+\S+\s+{re.escape(r['policyId'])}\s", ln))
            for cid in (r["frameworks"].get("cisa-scuba") or [])[:1]:
                assert cid in line
    assert max(len(ln) for ln in lines) > 120  # a CI log has no width: lines are whole
    assert not any("…" in ln and "… and" not in ln for ln in lines)  # nothing cut
    for r in doc["results"]:
        if r["status"] in ("fail", "error"):
            assert any(ln.endswith(" ".join(r["message"].split())) for ln in lines), r["policyId"]
    failing = [ln for ln in lines if ln.startswith(("FAIL   ", "ERROR  "))]
    assert all("│" not in ln for ln in failing)  # no table borders to wrap


def test_long_messages_are_whole_in_a_pipe_and_with_verbose(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["audit", "snap.json", "--format", "json", "--out", "o"])
    short = capsys.readouterr().out
    doc: dict[str, Any] = json.loads((work / "o" / "results.json").read_text())
    err = next(r for r in doc["results"] if r["status"] == "error")
    tail = err["message"].split()[-1]
    line = next(ln for ln in short.splitlines() if err["policyId"] in ln)
    assert line.endswith(tail) and " ".join(err["message"].split()) in line and "…" not in line
    main(["audit", "snap.json", "--format", "json", "--out", "o", "-v"])
    assert " ".join(err["message"].split()) in capsys.readouterr().out


def test_keep_end_cuts_the_middle() -> None:
    text = (
        "Forbidden: the collector's app registration needs the application permission AccessReview.Read.All"
    )
    cut = keep_end(text, 60)
    assert len(cut) == 60 and cut.endswith("AccessReview.Read.All") and cut.startswith("Forbidden")
    assert keep_end("short", 60) == "short"


def test_unknown_format_suggests_the_closest(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "snap.json", "--format", "sraif", "--out", "o"]) == 2
    err = capsys.readouterr().err
    assert "unknown format 'sraif' (did you mean 'sarif'?)" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["policies", "list"], ["baselines", "show", "cisa-scuba"]])
def test_listings_never_cut_or_wrap_ids(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["policies", "list", "--json"]) == 0
    ids = [p["id"] for p in json.loads(capsys.readouterr().out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    shown = [i for i in ids if i in text]
    assert shown, text[:500]
    assert all(re.search(rf"(^|\s){re.escape(i)}(\s|$)", text, re.MULTILINE) for i in shown)
    if argv[0] == "policies":
        assert shown == ids  # every ID, whole


def test_redactor_replaces_names_addresses_and_ids_inside_text() -> None:
    from auditor.results.redact import Redactor

    people = {
        "users": [
            {
                "id": "95B4DD4F-42b4-5c40-a28c-3ef467c59630",
                "displayName": "Jan Bauer",
                "userPrincipalName": "jan.bauer@contoso.com",
            },
            {"id": "11111111-42b4-5c40-a28c-3ef467c59630", "displayName": "Jan"},
        ]
    }
    r = Redactor(KEY.encode(), people)
    text = r.text('["Jan Bauer", "Jan"] (jan.bauer@contoso.com, 95b4dd4f-42b4-5c40-a28c-3ef467c59630); Janet')
    assert "Jan" not in text.replace("Janet", "") and "jan.bauer" not in text and "95b4dd4f" not in text
    assert text.endswith("; Janet")  # a longer word is not a name
    assert r.text("Jan Bauer") == r.text("Jan Bauer") == Redactor(KEY.encode(), people).text("Jan Bauer")
    assert r.text("Jan Bauer") != Redactor(b"other key 123456", people).text("Jan Bauer")
    # well-known IDs that are not people stay readable (a role template)
    assert r.text("62e90394-69f5-4237-9190-012177145e10") == "62e90394-69f5-4237-9190-012177145e10"
    assert r.text("mail x@contoso.com").endswith("@contoso.com")  # the organisation's domain stays
