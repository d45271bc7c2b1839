"""Plurals and severity order in what people read: never "1 policies", always critical -> low."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_builders import results_doc

from auditor.cli import main
from auditor.report._common import severity_counts
from auditor.vocab import SEVERITIES, counted

ROOT = Path(__file__).resolve().parents[2]


def test_counted() -> None:
    assert counted(1, "policy") == "1 policy"
    assert counted(0, "policy") == "0 policies"
    assert counted(2, "user") == "2 users"
    assert counted(1, "subject passes", "subjects pass") == "1 subject passes"
    assert counted(3, "subject passes", "subjects pass") == "3 subjects pass"


def test_severity_counts_most_severe_first() -> None:
    assert list(severity_counts(results_doc())) == ["critical", "high", "medium", "low", "info"]
    assert list(severity_counts(results_doc())) == [str(s) for s in SEVERITIES]


def test_demo_outputs_say_critical_first_and_no_singular_plural(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--demo", "--out", "r"]) == 1
    console = capsys.readouterr().out
    md = (tmp_path / "r" / "summary.md").read_text()
    html = (tmp_path / "r" / "report.html").read_text()
    for text in (console, md):
        line = next(x for x in text.splitlines() if "by severity" in x)
        words = [w for w in re.findall(r"[a-z]+", line) if w in {str(s) for s in SEVERITIES}]
        assert words == sorted(words, key=[str(s) for s in SEVERITIES].index), line
        assert words[0] == "critical"
    html_line = html[html.index("Failing by severity") :][:600]
    assert html_line.index("critical") < html_line.index("high") < html_line.index("medium")
    for name, text in (("console", console), ("summary.md", md), ("report.html", html)):
        bad = re.findall(r"\b1 (?:policies|subjects|users|findings|collections|controls)\b", text)
        assert not bad, (name, bad)


def test_policy_library_commands_count_in_the_right_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one"
    one.mkdir()
    src = ROOT / "policies" / "entra" / "aad-security-defaults-off.yaml"
    if not src.exists():
        src = next((ROOT / "policies").rglob("*.yaml"))
        while src.name.endswith(".test.yaml"):
            src = next(p for p in (ROOT / "policies").rglob("*.yaml") if not p.name.endswith(".test.yaml"))
    (one / src.name).write_bytes(src.read_bytes())
    assert main(["policies", "validate", str(one)]) == 0
    assert "1 policy valid" in capsys.readouterr().out
    assert main(["policies", "list", "--policies", str(one)]) == 0
    out = capsys.readouterr().out
    assert "1 policy" in out and "1 policies" not in out
