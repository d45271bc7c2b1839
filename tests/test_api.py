"""The library API (``auditor.api``): the audit without the command line."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from auditor import api
from auditor.cli import main
from auditor.errors import InputError
from auditor.results import compute_integrity, validate_results


def test_audit_of_the_demo_tenant_gives_the_document_the_cli_writes(tmp_path: Path) -> None:
    result = api.audit(api.demo_snapshot(), waivers=api.demo_waivers_path())
    validate_results(result.document, "api")
    assert result.document["integrity"]["value"] == compute_integrity(result.document)
    assert (
        main(["audit", "--demo", "--quiet", "--format", "json", "--out", str(tmp_path)]) == result.exit_code
    )
    written = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert written["integrity"] == result.document["integrity"]
    assert result.gate == "failed" and result.exit_code == 1
    assert {r["status"] for r in result.results} >= {"pass", "fail", "error", "waived"}


def test_a_snapshot_given_as_a_dict_evaluates_like_the_file() -> None:
    raw = resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes()
    from_dict = api.audit(json.loads(raw), baseline="rollout-gate")
    from_file = api.audit(api.demo_snapshot(), baseline="rollout-gate")
    assert from_dict.results == from_file.results
    assert from_dict.summary == from_file.summary


def test_render_gives_each_format_and_rejects_unknown_names() -> None:
    result = api.audit(api.demo_snapshot(), baseline="rollout-gate")
    assert api.formats(on_request=True) == (*api.formats(), "xlsx", "ocsf")
    for fmt in api.formats(on_request=True):
        assert result.render(fmt) == api.render(result.document, fmt)
        assert len(result.render(fmt)) > 100
    assert json.loads(result.render("json"))["summary"] == result.summary
    with pytest.raises(KeyError, match="unknown report format"):
        result.render("pdf")


def test_prepare_applies_params_fail_on_and_records_the_invocation() -> None:
    inputs = api.prepare(api.demo_snapshot(), baseline="rollout-gate", fail_on="critical", params={})
    assert inputs.fail_on == "critical"
    assert inputs.invocation["baseline"] == "rollout-gate"
    assert 0 < len(inputs.selected) <= len(inputs.policies)
    doc = api.evaluate(inputs)
    assert "integrity" not in doc and doc["summary"]["failOn"] == "critical"


def test_input_problems_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read snapshot"):
        api.load_snapshot(tmp_path / "missing.json")
    with pytest.raises(InputError, match="invalid snapshot"):
        api.load_snapshot({"data": {}})
    with pytest.raises(InputError, match="unknown severity"):
        api.prepare(api.demo_snapshot(), fail_on="severe")
    with pytest.raises(InputError, match="positive"):
        api.evaluate(api.prepare(api.demo_snapshot()), policy_timeout=0)


def test_every_builtin_policy_evaluates_on_the_demo_tenant_without_fast_path_fallbacks() -> None:
    """A compiler bug shows up as a fallback (the interpreter answering where generated code
    gave up), not as a silent slowdown: the built-in library on the demo tenant causes none."""
    from auditor import cel

    cel.reset_fallback_counts()
    inputs = api.prepare(api.demo_snapshot(), waivers=api.demo_waivers_path())
    assert len(inputs.selected) == len(inputs.policies) > 50
    result = api.AuditResult(api.seal(api.evaluate(inputs)))
    counts = cel.fallback_counts()
    assert counts["build"] == 0, counts
    assert counts["exception"] == 0, counts
    assert len(result.results) == len(inputs.policies)
