"""The library API (``auditor.api``): the audit without the command line."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path

import pytest

from auditor import api
from auditor.cli import main
from auditor.errors import InputError
from auditor.policy import Policy
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


class _Heard:
    """An observer that records what the audit told it."""

    def __init__(self) -> None:
        self.events: list[str] = []

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        self.events.append(f"step {text}")
        yield
        self.events.append("done")

    def update(self, text: str) -> None:
        self.events.append(f"update {text}")

    def policies(self, policies: Sequence[Policy]) -> Iterable[Policy]:
        self.events.append(f"policies {len(policies)}")
        return policies


def test_run_is_the_whole_cli_audit_with_reports_since_and_an_observer(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(api.demo_snapshot().document), "utf-8")
    assert (
        main(["audit", str(snap), "--quiet", "--format", "json,sarif", "--out", str(tmp_path / "cli")]) == 1
    )
    heard = _Heard()
    request = api.AuditRequest(str(snap), formats=["json", "sarif"], out=tmp_path / "api")
    done = api.run(request, heard)
    assert done.written == ("results.json", "results.sarif") and done.exit_code == 1
    for name in done.written:  # the same reports as the CLI's, but for generatedAt
        ours = (tmp_path / "api" / name).read_text("utf-8")
        theirs = (tmp_path / "cli" / name).read_text("utf-8")
        stamp = done.result.document["generatedAt"]
        cli_stamp = json.loads((tmp_path / "cli" / "results.json").read_text("utf-8"))["generatedAt"]
        assert ours == theirs.replace(cli_stamp, stamp)
    assert heard.events[0].startswith("step Reading and checking snap.json (")
    assert f"policies {len(done.result.results)}" in heard.events
    assert heard.events[-4:] == [
        "step Writing reports",
        "update Writing results.json",
        "update Writing results.sarif",
        "done",
    ]
    # --since: the same tenant against its own results has no new failure, so the gate passes
    again = api.run(
        api.AuditRequest(
            str(snap), since=str(tmp_path / "api" / "results.json"), formats=["json"], out=tmp_path / "s"
        )
    )
    assert again.result.gate == "passed" and again.exit_code == 0
    assert again.result.summary["gate"] == "failed"
    assert not again.result.document["since"]["newFailures"]


def test_run_without_formats_writes_nothing_and_still_seals(tmp_path: Path) -> None:
    done = api.run(api.AuditRequest(api.demo_snapshot(), out=tmp_path / "none"))
    assert done.written == () and not (tmp_path / "none").exists()
    assert done.result.document["integrity"]["value"] == compute_integrity(done.result.document)
    assert "reportAnchor" not in done.result.document["invocation"]  # the demo has no file


def test_a_snapshot_given_as_a_dict_evaluates_like_the_file() -> None:
    raw = resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes()
    from_dict = api.audit(json.loads(raw), baseline="rollout-gate")
    from_file = api.audit(api.demo_snapshot(), baseline="rollout-gate")
    assert from_dict.results == from_file.results
    assert from_dict.summary == from_file.summary


def test_render_gives_each_format_and_rejects_unknown_names() -> None:
    result = api.audit(api.demo_snapshot(), baseline="rollout-gate")
    assert api.formats(on_request=True) == (*api.formats(), "oscal", "xlsx", "ocsf")
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
