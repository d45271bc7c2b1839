"""What findings keep, and how the results document is encoded and written, at any size."""

from __future__ import annotations

import csv
import gc
import io
import json
from pathlib import Path

from auditor.cli import main
from auditor.report import FORMATS
from auditor.results import canonical_json, compute_integrity, dumps, iter_canonical, validate_results

from .conftest import ca_policy, reg

DATA = {
    "conditionalAccessPolicies": [ca_policy("all")],
    "userRegistrationDetails": [
        {**reg("a@x.com", True, ["fido2"]), "displayName": "A", "secretish": "not read by the policy"},
        {**reg("b@x.com", True, ["sms"]), "displayName": "B", "secretish": "not read by the policy"},
    ],
}


def _audit(snap: Path, policy_dir: Path, out: Path, *extra: str) -> dict:
    main(["audit", str(snap), "--policies", str(policy_dir), "--out", str(out), "-q", *extra])
    doc = json.loads((out / "results.json").read_text("utf-8"))
    validate_results(doc)
    return doc


def _findings(doc: dict, policy_id: str) -> dict[str, dict]:
    result = next(r for r in doc["results"] if r["policyId"] == policy_id)
    return {f["subject"]: f for f in result["findings"]}


def test_failing_subjects_keep_only_the_fields_the_policy_reads(write_snapshot, policy_dir, tmp_path) -> None:
    doc = _audit(write_snapshot(DATA), policy_dir, tmp_path / "out")
    found = _findings(doc, "TEST.ADMINS.PHISHING-RESISTANT")
    # ADMIN_POLICY reads methodsRegistered (assert, message) and userPrincipalName (subject, message)
    assert found["b@x.com"]["evidence"] == {"methodsRegistered": ["sms"], "userPrincipalName": "b@x.com"}
    assert found["b@x.com"]["status"] == "fail"
    assert "evidence" not in found["a@x.com"]  # passing: counted and listed, no evidence


def test_evidence_all_keeps_every_field_of_every_subject_and_verifies(
    write_snapshot, policy_dir, tmp_path
) -> None:
    snap = write_snapshot(DATA)
    out = tmp_path / "out"
    doc = _audit(snap, policy_dir, out, "--evidence", "all")
    found = _findings(doc, "TEST.ADMINS.PHISHING-RESISTANT")
    assert found["a@x.com"]["evidence"]["secretish"] == "not read by the policy"
    assert found["b@x.com"]["evidence"]["displayName"] == "B"
    assert doc["invocation"]["evidence"] == "all"
    assert main(["verify", str(out / "results.json"), str(snap)]) == 0


def test_results_json_is_the_canonical_encoding_with_the_seal_appended(
    write_snapshot, policy_dir, tmp_path
) -> None:
    out = tmp_path / "out"
    doc = _audit(write_snapshot(DATA), policy_dir, out, "--format", "json,csv")
    raw = (out / "results.json").read_bytes()
    body = {k: v for k, v in doc.items() if k not in ("integrity", "generatedAt")}
    assert raw.startswith(canonical_json(body)[:-1])
    assert raw.endswith(b"}\n")
    assert doc["integrity"]["value"] == compute_integrity(doc)
    assert raw == dumps(doc)


def test_streamed_canonical_pieces_join_to_the_canonical_encoding() -> None:
    big = {
        "results": [
            {"findings": [{"subject": f"u{i}", "é": i / 3} for i in range(1500)], "z": {}, "a": []},
            {"findings": [], "k": [[1], {"x": None}]},
        ],
        "summary": {"pass": 1},
    }
    assert b"".join(iter_canonical(big)) == canonical_json(big)


def test_reports_written_one_at_a_time_match_their_renderers(write_snapshot, policy_dir, tmp_path) -> None:
    out = tmp_path / "out"
    doc = _audit(write_snapshot(DATA), policy_dir, out, "--format", "json,csv")
    written = (out / "findings.csv").read_bytes()
    assert written == FORMATS["csv"].render(doc)
    rows = list(csv.reader(io.StringIO(written.decode("utf-8-sig"), newline="")))
    assert "policyId" in rows[0] and any("b@x.com" in r for r in rows)


def test_loading_a_snapshot_freezes_it_out_of_the_cyclic_gc(write_snapshot) -> None:
    from auditor.snapshot import load_snapshot

    gc.unfreeze()
    before = gc.get_freeze_count()
    snap = load_snapshot(write_snapshot(DATA))
    assert gc.get_freeze_count() > before
    assert gc.isenabled()
    assert snap.data["userRegistrationDetails"][0]["userPrincipalName"] == "a@x.com"
    gc.unfreeze()
