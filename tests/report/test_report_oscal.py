"""``--format oscal``: an OSCAL assessment-results document, validated against the OSCAL JSON
schema through oscal-bindings (Pydantic models generated from NIST's published JSON schema,
with its patterns for UUIDs, tokens and dates and no unknown keys allowed)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from oscal_bindings.v1 import OscalParseError, parse_oscal

from auditor import api
from auditor.cli import main
from auditor.report.oscal import NS, build, control_token, evidence_sha256


@pytest.fixture(scope="module")
def demo_doc() -> dict:
    return dict(api.audit(api.demo_snapshot(), waivers=api.demo_waivers_path()).document)


@pytest.fixture(scope="module")
def demo_oscal(demo_doc: dict) -> dict:
    return json.loads(api.render(demo_doc, "oscal"))


def ar(doc: dict) -> dict:
    return doc["assessment-results"]


def test_demo_is_valid_assessment_results(demo_oscal: dict) -> None:
    parsed = parse_oscal(json.dumps(demo_oscal))
    assert type(parsed.root).__name__ == "AssessmentResultsDocument"
    assert ar(demo_oscal)["metadata"]["oscal-version"].startswith("1.1.")


def test_schema_check_is_real(demo_oscal: dict) -> None:
    """The validator rejects what the schema forbids, so the pass above means something."""
    bad = copy.deepcopy(demo_oscal)
    ar(bad)["results"][0]["reviewed-controls"]["control-selections"][0]["include-controls"][0][
        "control-id"
    ] = "1.1.1"
    with pytest.raises(OscalParseError):
        parse_oscal(json.dumps(bad))
    bad = copy.deepcopy(demo_oscal)
    ar(bad)["results"][0]["findings"][0]["target"]["status"]["state"] = "mostly"
    with pytest.raises(OscalParseError):
        parse_oscal(json.dumps(bad))


def test_findings_follow_the_results(demo_doc: dict, demo_oscal: dict) -> None:
    result = ar(demo_oscal)["results"][0]
    by_target = {
        (p["value"] for p in f["props"] if p["name"] == "framework").__next__()
        + " "
        + f["target"]["target-id"]: f
        for f in result["findings"]
    }
    failing = next(
        r for r in demo_doc["results"] if r["status"] == "fail" and r["frameworks"].get("nist-800-53")
    )
    control = failing["frameworks"]["nist-800-53"][0]
    finding = by_target[f"nist-800-53 {control_token('nist-800-53', control)}"]
    assert finding["target"]["status"]["state"] == "not-satisfied"
    assert failing["policyId"] in finding["description"]
    # an error (data not collected) never becomes satisfied
    erroring = next(r for r in demo_doc["results"] if r["status"] == "error" and r["frameworks"])
    fw, controls = next(iter(sorted(erroring["frameworks"].items())))
    assert by_target[f"{fw} {control_token(fw, controls[0])}"]["target"]["status"]["state"] == "not-satisfied"
    # satisfied only when every mapped policy passed or does not apply
    for f in result["findings"]:
        if f["target"]["status"]["state"] == "satisfied":
            obs = {o["uuid"]: o for o in result["observations"]}
            statuses = {
                p["value"]
                for r in f["related-observations"]
                for p in obs[r["observation-uuid"]]["props"]
                if p["name"] == "status"
            }
            assert statuses <= {"pass", "not_applicable", "manual"}, f["title"]


def test_reviewed_controls_per_framework_and_titles(demo_doc: dict, demo_oscal: dict) -> None:
    result = ar(demo_oscal)["results"][0]
    selections = result["reviewed-controls"]["control-selections"]
    frameworks = {s["props"][0]["value"] for s in selections}
    assert frameworks == {k for r in demo_doc["results"] for k, v in r["frameworks"].items() if v}
    nist = next(s for s in selections if s["props"][0]["value"] == "nist-800-53")
    ids = {c["control-id"] for c in nist["include-controls"]}
    assert "ia-2" in ids or "ac-2" in ids
    assert all(c == c.lower() for c in ids)
    # control titles from the shipped catalogues appear in the finding titles
    assert any(": " in f["title"] and "(cisa-scuba)" in f["title"] for f in result["findings"])


def test_observations_carry_evidence_hashes_and_subjects(demo_doc: dict, demo_oscal: dict) -> None:
    result = ar(demo_oscal)["results"][0]
    obs = {
        next(p["value"] for p in o["props"] if p["name"] == "policy-id"): o for o in result["observations"]
    }
    assert set(obs) == {r["policyId"] for r in demo_doc["results"]}
    with_subjects = next(r for r in demo_doc["results"] if any(f["status"] == "fail" for f in r["findings"]))
    o = obs[with_subjects["policyId"]]
    assert {s["title"] for s in o["subjects"]} == {
        f["subject"] for f in with_subjects["findings"] if f["status"] in {"fail", "error"}
    }
    props = {p["name"]: p for p in o["props"]}
    assert (
        props["evidence-sha256"]["value"] == evidence_sha256(with_subjects)
        and props["evidence-sha256"]["ns"] == NS
    )
    hrefs = {e["href"][1:] for e in o["relevant-evidence"]}
    resources = {r["uuid"]: r for r in ar(demo_oscal)["back-matter"]["resources"]}
    assert hrefs <= set(resources)
    hashes = {h["value"] for u in hrefs for link in resources[u].get("rlinks", []) for h in link["hashes"]}
    assert demo_doc["snapshot"]["sha256"] in hashes and with_subjects["policySha256"] in hashes


def test_tool_is_the_assessment_platform(demo_oscal: dict) -> None:
    local = ar(demo_oscal)["results"][0]["local-definitions"]
    platform = local["assessment-assets"]["assessment-platforms"][0]
    component = local["components"][0]
    assert platform["uses-components"] == [{"component-uuid": component["uuid"]}]
    assert component["title"].startswith("auditor ") and component["type"] == "software"


def test_deterministic(demo_doc: dict) -> None:
    assert api.render(demo_doc, "oscal") == api.render(copy.deepcopy(demo_doc), "oscal")


@pytest.mark.parametrize(
    ("fw", "cid", "token"),
    [
        ("nist-800-53", "IA-2", "ia-2"),
        ("nist-800-53", "AC-2(3)", "ac-2.3"),
        ("cisa-scuba", "MS.AAD.3.2v2", "MS.AAD.3.2v2"),
        ("cis-m365-v6", "1.1.1", "cis-m365-v6_1.1.1"),
        ("custom", "a b/c", "custom_a_b_c"),
    ],
)
def test_control_tokens(fw: str, cid: str, token: str) -> None:
    assert control_token(fw, cid) == token


def test_manual_only_control_gets_no_finding(demo_doc: dict) -> None:
    doc = copy.deepcopy(demo_doc)
    manual = next(r for r in doc["results"] if r["status"] == "manual")
    manual["frameworks"] = {"custom": ["ONLY.MANUAL"]}
    out = build(doc)
    assert not [f for f in ar(out)["results"][0]["findings"] if f["target"]["target-id"] == "ONLY.MANUAL"]
    parse_oscal(json.dumps(out))


def test_cli_writes_oscal_only_on_request(tmp_path: Path) -> None:
    assert main(["audit", "--demo", "--out", str(tmp_path / "all"), "-q"]) == 1
    assert not (tmp_path / "all" / "results.oscal.json").exists()
    assert main(["audit", "--demo", "--format", "json,oscal", "--out", str(tmp_path / "o"), "-q"]) == 1
    text = (tmp_path / "o" / "results.oscal.json").read_text()
    parse_oscal(text)
