"""The documentation: the worked example in the authoring guide works as printed, and nothing points
to a document users do not have."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from auditor.cli import main
from tests.authoring.conftest import ROOT

GUIDE = ROOT / "docs" / "policy-authoring.md"


def _block_after(heading: str) -> str:
    text = GUIDE.read_text("utf-8")
    rest = text.split(heading, 1)[1]
    return re.search(r"```yaml\n(.*?)```", rest, re.S).group(1)  # type: ignore[union-attr]


def _write_example(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    policy = folder / "org-guests-inactive.yaml"
    policy.write_text(_block_after("### The policy: `my-policies/org-guests-inactive.yaml`"), "utf-8")
    tests = folder / "org-guests-inactive.test.yaml"
    tests.write_text(_block_after("### The test cases: `my-policies/org-guests-inactive.test.yaml`"), "utf-8")
    return policy


def test_worked_example_validates_and_its_cases_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = _write_example(tmp_path / "my-policies")
    assert main(["policies", "validate", str(policy.parent)]) == 0
    assert "1 policy valid" in capsys.readouterr().out
    assert main(["test", str(policy)]) == 0
    assert "5 passed, 0 failed" in capsys.readouterr().out


def test_worked_example_runs_beside_the_library_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = _write_example(tmp_path / "my-policies")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--demo", "--policies", "builtin", "my-policies", "--out", "reports", "-q"]) == 1
    doc = json.loads((tmp_path / "reports" / "results.json").read_text())
    (result,) = [r for r in doc["results"] if r["policyId"] == "ORG.GUESTS.INACTIVE"]
    assert result["status"] in ("pass", "fail")  # judged on real demo data, not an error
    assert len(doc["results"]) > 50
    assert policy.is_file()


def test_worked_example_typo_gives_the_documented_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = _write_example(tmp_path / "my-policies")
    policy.write_text(
        policy.read_text().replace("guest.signInActivity != null", "guest.signInActivty != null")
    )
    assert main(["policies", "validate", str(policy)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    documented = "unknown field 'signInActivty' on users element (user, Microsoft Graph v1.0); did you mean signInActivity?"
    assert documented in err and documented in GUIDE.read_text("utf-8")


def test_nothing_refers_to_a_design_document() -> None:
    found = subprocess.run(
        ["grep", "-rn", "DESIGN", "auditor", "docs", "README.md", "tests", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    found = [line for line in found if not line.startswith("tests/authoring/")]
    assert found == []


def test_every_docs_page_that_is_mentioned_exists() -> None:
    texts = [p.read_text("utf-8", errors="replace") for p in ROOT.glob("auditor/**/*.py")]
    texts += [p.read_text("utf-8") for p in (ROOT / "docs").glob("*.md")]
    texts += [(ROOT / "README.md").read_text("utf-8"), (ROOT / "action.yml").read_text("utf-8")]
    mentioned = {m for text in texts for m in re.findall(r"docs/[\w-]+\.md", text)}
    assert {"docs/formats.md", "docs/architecture.md", "docs/policy-authoring.md", "docs/ci.md"} <= mentioned
    missing = sorted(m for m in mentioned if not (ROOT / m).is_file())
    assert missing == []
