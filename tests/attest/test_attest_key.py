"""Key-signed attestations: a round trip with Ed25519 and ECDSA P-256, and each kind of
tampering a receiver must catch, each with its own message."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.results.attest import PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, policy_set_digest

from .conftest import Audited, write_key_pair


def statement(att: Path) -> dict:
    envelope = json.loads(att.read_text())
    return json.loads(base64.b64decode(envelope["payload"]))


def test_round_trip_verifies(vendor: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert vendor.verify("--key", str(vendor.pub)) == 0
    out = capsys.readouterr().out
    assert "✓ signature valid, signed by key" in out
    assert "✓ subject results.json: sha256 matches" in out
    assert "✓ subject snapshot.json: sha256 matches" in out
    assert "✓ subject policy-set: sha256 matches" in out
    assert "tenant 7d0c2b4e-1f3a-4c5d-9e8f-0a1b2c3d4e5f, collected 2026-11-30T08:00:00Z, gate failed" in out
    assert "Verification passed" in out


def test_statement_layout_and_predicate(ed_vendor: Audited) -> None:
    envelope = json.loads(ed_vendor.attestation.read_text())
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert len(envelope["signatures"]) == 1
    st = statement(ed_vendor.attestation)
    assert st["_type"] == STATEMENT_TYPE and st["predicateType"] == PREDICATE_TYPE
    names = [s["name"] for s in st["subject"]]
    assert names == ["results.json", "snapshot.json", "policy-set"]
    import hashlib

    assert st["subject"][0]["digest"]["sha256"] == hashlib.sha256(ed_vendor.results.read_bytes()).hexdigest()
    assert st["subject"][1]["digest"]["sha256"] == hashlib.sha256(ed_vendor.snapshot.read_bytes()).hexdigest()
    # the policy set digest is defined over the sorted "<file sha256>  <policy ID>" lines
    files = {
        "ATT.GUESTS.RESTRICTED": (ed_vendor.policies / "guests.yaml").read_bytes(),
        "ATT.MFA.ALL": (ed_vendor.policies / "mfa.yaml").read_bytes(),
    }
    lines = "".join(f"{hashlib.sha256(b).hexdigest()}  {pid}\n" for pid, b in sorted(files.items()))
    assert st["subject"][2]["digest"]["sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    assert (
        policy_set_digest((p, hashlib.sha256(b).hexdigest()) for p, b in files.items())
        == hashlib.sha256(lines.encode()).hexdigest()
    )
    pred = st["predicate"]
    assert pred["gate"] == "failed"
    assert pred["tenant"]["id"] == "7d0c2b4e-1f3a-4c5d-9e8f-0a1b2c3d4e5f"
    assert pred["collection"]["collectedAt"] == "2026-11-30T08:00:00Z"
    assert pred["collection"]["collector"]["claims"] == {
        "tid": "7d0c2b4e-1f3a-4c5d-9e8f-0a1b2c3d4e5f",
        "appid": "0f9e8d7c-6b5a-4938-2716-05f4e3d2c1b0",
        "iat": 1764489600,
    }
    assert "accessToken" not in json.dumps(st) and "not-a-real-token" not in json.dumps(st)
    assert pred["tool"]["name"] == "auditor" and pred["tool"]["version"]
    assert pred["baseline"]["failOn"] == "high"


def test_attest_command_signs_existing_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = Audited(tmp_path)
    assert run.audit() == 1
    assert not run.attestation.exists()
    assert main(["attest", str(run.results), str(run.snapshot), "--key", str(run.key)]) == 0
    assert run.attestation.is_file()
    assert run.verify("--key", str(run.pub)) == 0


def _fails_with(run: Audited, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert run.verify(*args) == 1
    out = capsys.readouterr().out
    assert "Verification FAILED" in out
    return out


def test_tampered_results_detected(vendor: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    # a re-sealed edit would pass the integrity check; the attestation still catches it
    vendor.results.write_bytes(vendor.results.read_bytes().replace(b'"generatedAt":"', b'"generatedAt":"1'))
    out = _fails_with(vendor, capsys, "--key", str(vendor.pub))
    assert "✗ subject results.json: the results document" in out and "does not match the attestation" in out
    assert "✓ subject snapshot.json" in out and "✓ subject policy-set" in out


def test_swapped_snapshot_detected(ed_vendor: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(ed_vendor.snapshot.read_text())
    ed_vendor.snapshot.write_text(json.dumps(doc, indent=1))  # same content, other bytes
    out = _fails_with(ed_vendor, capsys, "--key", str(ed_vendor.pub))
    assert "✗ subject snapshot.json: the snapshot" in out and "does not match the attestation" in out


def test_changed_policy_file_detected(ed_vendor: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    path = ed_vendor.policies / "guests.yaml"
    path.write_text(path.read_text() + "# edited after the audit\n")
    out = _fails_with(ed_vendor, capsys, "--key", str(ed_vendor.pub))
    assert "✗ subject policy-set: the policy set does not match the attestation" in out
    assert "✓ subject results.json" in out


def test_edited_envelope_payload_detected(ed_vendor: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    envelope = json.loads(ed_vendor.attestation.read_text())
    st = json.loads(base64.b64decode(envelope["payload"]))
    st["predicate"]["gate"] = "passed"
    envelope["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
    ed_vendor.attestation.write_text(json.dumps(envelope) + "\n")
    out = _fails_with(ed_vendor, capsys, "--key", str(ed_vendor.pub))
    assert "✗ signature: does not verify with key" in out and "altered after signing" in out
    assert "subject" not in out  # an unverified statement is not read


def test_wrong_key_detected(ed_vendor: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    _, other = write_key_pair(ed_vendor.root, "p256", "someone-else")
    out = _fails_with(ed_vendor, capsys, "--key", str(other))
    assert "✗ signer: the envelope is signed by key" in out and "not by the key given" in out


def test_attacker_resigning_with_own_key_is_a_wrong_signer(
    ed_vendor: Audited, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack the issue names: edit the snapshot, re-run, re-sign. Only the vendor's key passes."""
    doc = json.loads(ed_vendor.snapshot.read_text())
    doc["data"]["authorizationPolicy"]["guestUserRoleId"] = "2af84b1e-32c8-42b7-82bc-daa82404023b"
    ed_vendor.snapshot.write_text(json.dumps(doc))
    attacker_key, _ = write_key_pair(ed_vendor.root, "ed25519", "attacker")
    assert ed_vendor.audit("--attest", "--key", str(attacker_key)) == 0
    out = _fails_with(ed_vendor, capsys, "--key", str(ed_vendor.pub))
    assert "✗ signer:" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "--attestation needs the signer to expect"),
        (("--certificate-identity", "x"), "--attestation needs the signer to expect"),
    ],
)
def test_verify_usage_errors(
    ed_vendor: Audited, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    assert ed_vendor.verify(*args) == 2
    assert needle in capsys.readouterr().err


def test_unreadable_attestation_is_input_error(
    ed_vendor: Audited, capsys: pytest.CaptureFixture[str]
) -> None:
    ed_vendor.attestation.write_text("not json\n")
    capsys.readouterr()
    assert ed_vendor.verify("--key", str(ed_vendor.pub)) == 2
    assert "not JSON" in capsys.readouterr().out


def test_key_envelope_refused_with_identity_flags(
    ed_vendor: Audited, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = ed_vendor.verify(
        "--certificate-identity", "https://github.com/v/r/.github/workflows/a.yml@refs/heads/main",
        "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
    )  # fmt: skip
    assert code == 2
    assert "signed with a key: verify it with --key PUB" in capsys.readouterr().out


def test_audit_attest_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = Audited(tmp_path)
    assert run.audit("--attest") == 2
    assert "exactly one of --key FILE or --sigstore" in capsys.readouterr().err
    assert run.audit("--key", str(run.key)) == 2
    assert "add --attest" in capsys.readouterr().err
    assert (
        main(
            [
                "audit",
                str(run.snapshot),
                "--policies",
                str(run.policies),
                "--format",
                "html",
                "--out",
                str(run.out),
                "--attest",
                "--key",
                str(run.key),
            ]
        )
        == 2
    )
    assert "include the json format" in capsys.readouterr().err
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n")
    assert run.audit("--attest", "--key", str(bad)) == 2
    assert "not a readable PEM private key" in capsys.readouterr().err
    assert not run.out.exists()  # refused before anything was written


def test_attest_refuses_a_snapshot_that_is_not_the_audited_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = Audited(tmp_path)
    assert run.audit() == 1
    run.snapshot.write_text(run.snapshot.read_text() + " ")
    assert main(["attest", str(run.results), str(run.snapshot), "--key", str(run.key)]) == 2
    assert "not the snapshot the results were made from" in capsys.readouterr().err


def test_encrypted_key_needs_passphrase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    run = Audited(tmp_path)
    private = ed25519.Ed25519PrivateKey.generate()
    enc = tmp_path / "enc.pem"
    enc.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    monkeypatch.delenv("AUDITOR_SIGNING_KEY_PASSWORD", raising=False)
    assert run.audit("--attest", "--key", str(enc)) == 2
    assert "set AUDITOR_SIGNING_KEY_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("AUDITOR_SIGNING_KEY_PASSWORD", "s3cret")
    assert run.audit("--attest", "--key", str(enc)) == 1
    assert run.attestation.is_file()
