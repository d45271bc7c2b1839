"""The scale benchmark's synthetic tenant must be a snapshot the whole library can judge:
a generator that drifts from the snapshot format (a collection written twice, a cmdlet
object written as a list) makes every benchmark figure meaningless."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.snapshot import load_snapshot
from auditor.snapshot.encoding import is_canonical

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("flags", [[], ["--all-failing", "--privileged", "12"]], ids=["typical", "worst"])
def test_generated_tenant_loads_and_every_policy_reaches_a_verdict(tmp_path: Path, flags: list[str]) -> None:
    snap = tmp_path / "tenant.json"
    gen = [sys.executable, str(ROOT / "benchmarks" / "gen_tenant.py"), "--users", "400", "--out", str(snap)]
    subprocess.run([*gen, *flags], cwd=ROOT, check=True, capture_output=True)
    assert is_canonical(snap.read_bytes(), load_snapshot(snap).document)  # the collector's encoding
    out = tmp_path / "reports"
    audit = [sys.executable, "-m", "auditor", "audit", str(snap), "--out", str(out), "--format", "json", "-q"]
    proc = subprocess.run(audit, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    errors = {r["policyId"]: r["message"] for r in doc["results"] if r["status"] == "error"}
    assert errors == {}
    mfa = next(r for r in doc["results"] if r["policyId"] == "AAD.USERS.MFA-CAPABLE")
    assert mfa["status"] == "fail"
    if flags:  # every member fails
        assert mfa["subjectCounts"].get("pass", 0) == 0 and mfa["subjectCounts"]["fail"] > 300
