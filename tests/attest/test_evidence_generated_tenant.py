"""A generated tenant (the scale benchmark's generator, every member failing MFA) through the
evidence outputs: OSCAL valid against the schema's models, attestation signed and verified.
The same run at 100,000 users: ``python benchmarks/bench_evidence.py --users 100000``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from oscal_bindings.v1 import parse_oscal

from auditor.cli import main

from .conftest import write_key_pair

ROOT = Path(__file__).resolve().parents[2]


def test_generated_tenant_oscal_and_attestation(tmp_path: Path) -> None:
    snap = tmp_path / "tenant.json.gz"
    gen = [sys.executable, str(ROOT / "benchmarks" / "gen_tenant.py"), "--users", "1500", "--all-failing"]
    subprocess.run([*gen, "--out", str(snap)], cwd=ROOT, check=True, capture_output=True)
    key, pub = write_key_pair(tmp_path, "p256", "ci")
    out = tmp_path / "out"
    code = main(
        ["audit", str(snap), "--format", "json,oscal", "--out", str(out), "-q", "--attest", "--key", str(key)]
    )
    assert code == 1
    text = (out / "results.oscal.json").read_text()
    parse_oscal(text)
    result = json.loads(text)["assessment-results"]["results"][0]
    assert (
        sum(len(o.get("subjects", [])) for o in result["observations"]) > 1000
    )  # every failing member named
    att = out / "results.intoto.jsonl"
    assert (
        main(["verify", str(out / "results.json"), str(snap), "--attestation", str(att), "--key", str(pub)])
        == 0
    )
