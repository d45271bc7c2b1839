"""``auditor verify`` and ``auditor diff`` through ``auditor.cli.main`` (exit codes, output).

The command list is narrowed to verify and diff so these tests exercise main()'s
dispatch and error mapping without depending on other commands under construction.
Re-evaluation is substituted (``auditor.cli.verify._rebuild``): these tests check
verify's comparison logic; the engine has its own tests.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from report_builders import results_doc, snapshot_doc, write_snapshot

import auditor.cli
import auditor.cli.verify as verify_mod
from auditor.report import FORMATS
from auditor.results import seal


@pytest.fixture(autouse=True)
def only_verify_and_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditor.cli, "COMMAND_MODULES", ("auditor.cli.diff", "auditor.cli.verify"))


class Setup:
    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.snapshot, sha = write_snapshot(tmp / "snapshot.json")
        self.doc = results_doc(sha)
        self.results = tmp / "results.json"
        self.results.write_bytes(FORMATS["json"].render(self.doc))
        self.html = tmp / "report.html"
        self.html.write_bytes(FORMATS["html"].render(self.doc))
        self.calls: list[dict[str, Any]] = []
        self.fresh = {k: copy.deepcopy(v) for k, v in self.doc.items() if k != "integrity"}
        self.fresh["generatedAt"] = "2030-01-01T00:00:00Z"  # re-runs differ in time only

        def fake_rebuild(**kwargs: Any) -> dict[str, Any]:
            self.calls.append(kwargs)
            return copy.deepcopy(self.fresh)

        def fake_hashes(paths: list[str] | None) -> dict[str, str]:
            """The policy files as verify hashes them itself: those the re-evaluation read."""
            return {str(r.get("policyFile")): r["policySha256"] for r in self.fresh["results"]}

        monkeypatch.setattr(verify_mod, "_rebuild", fake_rebuild)
        monkeypatch.setattr(verify_mod, "policy_file_hashes", fake_hashes)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    return Setup(tmp_path, monkeypatch)


def test_verify_untouched_results_and_html(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 0
    out = capsys.readouterr().out
    assert out.count("✓") == 5 and "✗" not in out and "Verification passed" in out
    assert setup.calls == [
        {
            "snapshot_path": str(setup.snapshot),
            "policy_paths": None,
            "baseline": "rollout-gate",
            "waivers": None,
            "params": {},
            "fail_on": None,
            "evidence": "needed",
        }
    ]
    assert auditor.cli.main(["verify", str(setup.html), str(setup.snapshot)]) == 0


def test_verify_command_line_overrides_the_recorded_inputs(setup: Setup) -> None:
    setup.fresh["invocation"] = {"policies": ["mine/"], "baseline": "b.yaml", "waivers": "w.yaml"}
    argv = [
        "verify",
        str(setup.results),
        str(setup.snapshot),
        "--policies",
        "mine/",
        "--baseline",
        "b.yaml",
        "--waivers",
        "w.yaml",
    ]
    assert auditor.cli.main(argv) == 0
    assert setup.calls[0]["policy_paths"] == ["mine/"]
    assert (setup.calls[0]["baseline"], setup.calls[0]["waivers"]) == ("b.yaml", "w.yaml")


def test_verify_detects_an_edit_after_sealing(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(setup.results.read_text())
    doc["results"][0]["status"] = "pass"
    setup.results.write_text(json.dumps(doc))
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 1
    out = capsys.readouterr().out
    assert "✗ integrity hash does not match" in out
    assert "✗ re-evaluation differs: 1 policy differs: AAD.ADMINS.MFA-REGISTERED" in out
    assert "Verification FAILED" in out


def test_verify_detects_a_resealed_forgery(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(setup.results.read_text())
    doc.pop("integrity")
    doc["results"][6]["status"] = "pass"
    doc["summary"].update(gate="passed", exitCode=0)
    setup.results.write_text(json.dumps(seal(doc)))
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 1
    out = capsys.readouterr().out
    assert "✓ integrity hash matches" in out
    assert "1 policy differs: AUDIT.UAL.ENABLED" in out and "sections differ: summary" in out


def test_verify_detects_a_tampered_html_report(setup: Setup) -> None:
    page = setup.html.read_text()
    setup.html.write_text(page.replace('"status":"fail"', '"status":"pass"', 1))
    assert auditor.cli.main(["verify", str(setup.html), str(setup.snapshot)]) == 1


def test_verify_detects_another_snapshot(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    other = snapshot_doc()
    other["data"]["users"].pop()
    write_snapshot(setup.snapshot, other)
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 1
    assert "✗ snapshot sha256 differs" in capsys.readouterr().out


def test_verify_detects_changed_policies(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    setup.fresh["results"][1]["policySha256"] = "d" * 64
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 1
    out = capsys.readouterr().out
    assert "✗ policy hashes differ for 1 policy (policy files changed): AAD.AUTHZ.GUEST-INVITES" in out


def test_verify_reports_policies_missing_on_either_side(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    setup.fresh["results"] = setup.fresh["results"][1:]
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 1
    assert "1 policy differs: AAD.ADMINS.MFA-REGISTERED" in capsys.readouterr().out


def test_verify_unsealed_document_fails(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(setup.results.read_text())
    doc.pop("integrity")
    setup.results.write_text(json.dumps(doc))
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 1
    assert "not sealed" in capsys.readouterr().out


def test_verify_bad_input_exits_2(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert auditor.cli.main(["verify", str(missing), str(setup.snapshot)]) == 2
    assert auditor.cli.main(["verify", str(setup.results), str(missing)]) == 2
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert auditor.cli.main(["verify", str(garbage), str(setup.snapshot)]) == 2
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"schemaVersion": 1, "results": []}))
    assert auditor.cli.main(["verify", str(invalid), str(setup.snapshot)]) == 2
    assert "results schema" in capsys.readouterr().out
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    assert auditor.cli.main(["verify", str(page), str(setup.snapshot)]) == 2


def test_verify_re_evaluation_input_error_exits_2(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.errors import InputError

    def broken(**kwargs: Any) -> dict[str, Any]:
        raise InputError("unknown baseline 'rollout-gate'", source="--baseline")

    monkeypatch.setattr(verify_mod, "_rebuild", broken)
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 2
    assert "✗ re-evaluation: --baseline: unknown baseline" in capsys.readouterr().out


# --- diff ------------------------------------------------------------------------------------


def _results_pair(tmp: Path) -> tuple[Path, Path]:
    old = results_doc()
    new = {k: copy.deepcopy(v) for k, v in old.items() if k != "integrity"}
    by_id = {r["policyId"]: r for r in new["results"]}
    by_id["AUDIT.UAL.ENABLED"]["status"] = "pass"  # fixed
    by_id["AAD.AUTHZ.GUEST-INVITES"]["status"] = "fail"  # new failure
    by_id["AAD.SECURITY-DEFAULTS.OFF"]["status"] = "pass"  # changed (n/a -> pass)
    admins = by_id["AAD.ADMINS.MFA-REGISTERED"]  # changed subjects
    admins["findings"] = [f for f in admins["findings"] if f["subject"] != "bob@contoso.com"]
    admins["findings"].append(
        {"subject": "carol@contoso.com", "status": "fail", "message": "none", "waiver": None}
    )
    new["results"] = [r for r in new["results"] if r["policyId"] != "AUDIT.LOG.REVIEWED"]  # removed
    added = copy.deepcopy(by_id["AAD.PIM.ELIGIBLE-ONLY"])
    added.update(policyId="AAD.ZZ.NEW", status="error")  # added + new failure
    new["results"].append(added)
    paths = tmp / "old.json", tmp / "new.json"
    paths[0].write_bytes(FORMATS["json"].render(old))
    paths[1].write_bytes(FORMATS["json"].render(seal(new)))
    return paths


def test_diff_results_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _results_pair(tmp_path)
    assert auditor.cli.main(["diff", str(old), str(new), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    ids = {k: [e["policyId"] for e in d[k]] for k in ("newFailures", "fixed", "changed", "added", "removed")}
    # one definition of "new failure" (the one audit --since uses): a policy failing on both
    # sides with a subject failing only now is a new failure (of that subject); a policy that
    # errs now (AAD.ZZ.NEW, added as "error") is not a failure but a change
    assert ids == {
        "newFailures": ["AAD.ADMINS.MFA-REGISTERED", "AAD.AUTHZ.GUEST-INVITES"],
        "fixed": ["AUDIT.UAL.ENABLED"],
        "changed": ["AAD.SECURITY-DEFAULTS.OFF"],
        "added": ["AAD.ZZ.NEW"],
        "removed": ["AUDIT.LOG.REVIEWED"],
    }
    admins = d["newFailures"][0]
    assert admins["newFailingSubjects"] == ["carol@contoso.com"] and admins["fixedSubjects"] == [
        "bob@contoso.com"
    ]
    assert admins["newPolicyFailure"] is False and d["newFailures"][1]["newPolicyFailure"] is True
    assert d["newFailures"][1]["before"] == "pass"
    # the critical admin subject is new: the gate on new failures fails, as --since would
    assert d["newGate"] == {"failOn": "high", "gate": "failed", "exitCode": 1}


def test_diff_results_text_markdown_and_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _results_pair(tmp_path)
    assert auditor.cli.main(["diff", str(old), str(new)]) == 0
    text = capsys.readouterr().out
    assert "New failures (2)" in text and "Fixed (1)" in text and "Removed policies (1)" in text
    assert "new failing: carol@contoso.com; fixed: bob@contoso.com" in text
    assert auditor.cli.main(["diff", str(old), str(new), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "### New failures (2)" in md and "| `AAD.AUTHZ.GUEST-INVITES` | medium | pass | fail |" in md
    assert auditor.cli.main(["diff", str(old), str(new), "--fail-on-new"]) == 1
    assert auditor.cli.main(["diff", str(new), str(old), "--fail-on-new"]) == 1  # reverse: UAL fails again
    # nothing new, but a high policy errs in the newer document: incomplete, as --since says
    assert auditor.cli.main(["diff", str(old), str(old), "--fail-on-new"]) == 3
    # the same output twice: deterministic
    capsys.readouterr()
    auditor.cli.main(["diff", str(old), str(new), "--format", "json"])
    auditor.cli.main(["diff", str(old), str(new), "--format", "json"])
    first, second = capsys.readouterr().out.split("\n}\n", 1)
    assert first + "\n}\n" == second


def test_diff_accepts_html_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _results_pair(tmp_path)
    html = tmp_path / "report.html"
    html.write_bytes(FORMATS["html"].render(json.loads(old.read_text())))
    assert auditor.cli.main(["diff", str(html), str(new), "--format", "json"]) == 0
    assert [e["policyId"] for e in json.loads(capsys.readouterr().out)["fixed"]] == ["AUDIT.UAL.ENABLED"]


def test_diff_snapshots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_path, _ = write_snapshot(tmp_path / "old.json")
    snap = snapshot_doc()
    users = snap["data"]["users"]
    users[0]["displayName"] = "Alice Smith"  # changed
    users.pop(2)  # removed carol
    users.append({"id": "u4", "userPrincipalName": "dave@contoso.com"})  # added
    snap["data"]["authorizationPolicy"]["allowInvitesFrom"] = "none"  # singleton changed
    snap["data"]["namedLocations"] = [{"displayName": "HQ"}]  # new collection, no ids
    snap["sources"]["roleEligibilitySchedules"]["status"] = "ok"
    snap["data"]["roleEligibilitySchedules"] = []
    new_path, _ = write_snapshot(tmp_path / "new.json", snap)
    assert auditor.cli.main(["diff", str(old_path), str(new_path), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kind"] == "snapshots"
    assert d["collections"]["users"] == {
        "added": ["dave@contoso.com (u4)"],
        "removed": ["carol@contoso.com (u3)"],
        "changed": ["alice@contoso.com (u1)"],
    }
    assert d["collections"]["authorizationPolicy"]["changed"] == ["authorizationPolicy"]
    assert d["collections"]["namedLocations"] == {
        "added": ["HQ"],
        "removed": [],
        "changed": [],
        "collection": "added",
    }
    assert list(d["collections"]) == sorted(d["collections"])
    assert d["sourceStatusChanges"] == [
        {"collection": "roleEligibilitySchedules", "before": "forbidden", "after": "ok"}
    ]
    assert auditor.cli.main(["diff", str(old_path), str(new_path)]) == 0
    text = capsys.readouterr().out
    assert "users: +1 -1 ~1" in text and "+ dave@contoso.com (u4)" in text
    assert "roleEligibilitySchedules: forbidden → ok" in text
    assert auditor.cli.main(["diff", str(old_path), str(old_path), "--format", "markdown"]) == 0
    assert "No differences." in capsys.readouterr().out


def test_diff_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, _ = _results_pair(tmp_path)
    snap, _ = write_snapshot(tmp_path / "snap.json")
    assert auditor.cli.main(["diff", str(old), str(snap)]) == 2
    assert "cannot compare" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    assert auditor.cli.main(["diff", str(other), str(other)]) == 2
    assert auditor.cli.main(["diff", str(tmp_path / "missing.json"), str(old)]) == 2
    broken = json.loads(old.read_text())
    del broken["summary"]
    other.write_text(json.dumps(broken))
    assert auditor.cli.main(["diff", str(other), str(old)]) == 2


def test_verify_without_invocation_block_uses_the_recorded_baseline(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(setup.results.read_text())
    doc.pop("integrity")
    doc.pop("invocation")
    setup.results.write_text(json.dumps(seal(doc)))
    setup.fresh.pop("invocation")
    assert auditor.cli.main(["verify", str(setup.results), str(setup.snapshot)]) == 0
    assert setup.calls[0]["baseline"] == "rollout-gate" and setup.calls[0]["policy_paths"] is None
    assert "no invocation block" in capsys.readouterr().out
