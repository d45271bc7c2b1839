"""Evidence outputs at scale: OSCAL assessment-results and a signed attestation for a generated tenant.

    python benchmarks/bench_evidence.py --users 100000 [--workdir /tmp/evidence]

Generates the tenant (``gen_tenant.py --all-failing``: the largest findings lists), runs
``auditor audit --format json,oscal --attest --key`` with a fresh Ed25519 key, validates
``results.oscal.json`` with oscal-bindings (models generated from NIST's OSCAL JSON schema),
then ``auditor verify --attestation``. Prints one line per step with its wall time and the
sizes; exits non-zero when a step fails. Needs the test extras (oscal-bindings).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def step(label: str, cmd: list[str], ok: tuple[int, ...] = (0,)) -> None:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{label}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    print(f"{label}: {took:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="evidence-"))
    work.mkdir(parents=True, exist_ok=True)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    key, pub = work / "signing.pem", work / "signing.pub"
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pub.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    snap, out = work / "tenant.json.gz", work / "reports"
    py = sys.executable
    step(
        f"generate {args.users} users",
        [py, "benchmarks/gen_tenant.py", "--users", str(args.users), "--all-failing", "--out", str(snap)],
    )
    step(
        "audit --format json,oscal --attest",
        [
            py,
            "-m",
            "auditor",
            "audit",
            str(snap),
            "--format",
            "json,oscal",
            "--out",
            str(out),
            "-q",
            "--attest",
            "--key",
            str(key),
        ],
        ok=(0, 1, 3),
    )
    from oscal_bindings.v1 import parse_oscal

    start = time.perf_counter()
    text = (out / "results.oscal.json").read_text(encoding="utf-8")
    parse_oscal(text)
    result = json.loads(text)["assessment-results"]["results"][0]
    subjects = sum(len(o.get("subjects", [])) for o in result["observations"])
    print(
        f"OSCAL valid: {time.perf_counter() - start:.1f} s, {len(text) / 1e6:.1f} MB, "
        f"{len(result['findings'])} findings, {len(result['observations'])} observations, {subjects} subjects"
    )
    step(
        "verify --attestation",
        [
            py,
            "-m",
            "auditor",
            "verify",
            str(out / "results.json"),
            str(snap),
            "--attestation",
            str(out / "results.intoto.jsonl"),
            "--key",
            str(pub),
        ],
    )


if __name__ == "__main__":
    main()
