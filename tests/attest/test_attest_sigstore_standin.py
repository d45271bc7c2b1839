"""The keyless verify path end to end against a local stand-in for Fulcio, the CT log and Rekor
(``sigstore_standin``): sigstore's verifier checks the certificate chain, the SCT, the identity
and issuer, the log entry's inclusion proof, checkpoint and signed entry timestamp and the DSSE
signature, exactly as for Sigstore's public-good instance; auditor then checks every subject.

The producing side (``audit --attest --sigstore``) is run against the same stand-in served on
127.0.0.1. Not covered: Sigstore's public services themselves (their acceptance of the requests,
the real OIDC token check), which docs/ci.md's workflow exercises in GitHub Actions."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from auditor.results.attest import statement_bytes, statement_for_files

from .conftest import Audited
from .sigstore_standin import Standin

WORKFLOW = "https://github.com/vendor/audit/.github/workflows/posture.yml@refs/heads/main"
GITHUB = "https://token.actions.githubusercontent.com"


@pytest.fixture
def keyless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Audited:
    """A vendor run signed keylessly by the stand-in, and a receiver trusting the stand-in."""
    standin = Standin()
    config = tmp_path / "trust-config.json"
    config.write_text(json.dumps(standin.trust_config()))
    monkeypatch.setenv("AUDITOR_SIGSTORE_TRUST_CONFIG", str(config))
    run = Audited(tmp_path)
    assert run.audit() == 1
    payload = statement_bytes(statement_for_files(run.results, run.snapshot))
    run.attestation.write_text(json.dumps(standin.bundle(payload, WORKFLOW, GITHUB)) + "\n")
    return run


def _verify(run: Audited, capsys: pytest.CaptureFixture[str], identity: str, issuer: str) -> tuple[int, str]:
    capsys.readouterr()
    code = run.verify("--certificate-identity", identity, "--certificate-oidc-issuer", issuer)
    return code, capsys.readouterr().out


def test_keyless_round_trip(keyless: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(keyless, capsys, WORKFLOW, GITHUB)
    assert code == 0, out
    assert f"✓ signature valid (Sigstore), signed by {WORKFLOW} (issuer {GITHUB})" in out
    assert (
        "✓ subject results.json" in out and "✓ subject snapshot.json" in out and "✓ subject policy-set" in out
    )
    assert "tenant 7d0c2b4e-1f3a-4c5d-9e8f-0a1b2c3d4e5f" in out


def test_another_workflow_identity_is_named(keyless: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    expected = "https://github.com/vendor/audit/.github/workflows/posture.yml@refs/heads/release"
    code, out = _verify(keyless, capsys, expected, GITHUB)
    assert code == 1
    assert f"✗ signer identity: the certificate names {WORKFLOW}, expected {expected}" in out


def test_another_issuer_is_named(keyless: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(keyless, capsys, WORKFLOW, "https://gitlab.com")
    assert code == 1
    assert "✗ Sigstore verification" in out and "OIDCIssuer does not match" in out


def test_edited_payload_in_bundle_is_detected(keyless: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = json.loads(keyless.attestation.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["gate"] = "passed"
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    keyless.attestation.write_text(json.dumps(bundle) + "\n")
    code, out = _verify(keyless, capsys, WORKFLOW, GITHUB)
    assert code == 1
    assert "✗ Sigstore verification" in out and "✓ subject" not in out


def test_edited_results_after_keyless_signing(keyless: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    keyless.results.write_bytes(keyless.results.read_bytes().replace(b'"generatedAt":"', b'"generatedAt":"1'))
    code, out = _verify(keyless, capsys, WORKFLOW, GITHUB)
    assert code == 1
    assert "✓ signature valid (Sigstore)" in out
    assert "✗ subject results.json: the results document" in out


def test_bundle_from_another_sigstore_instance_is_rejected(
    keyless: Audited, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-trust.json"
    other.write_text(json.dumps(Standin().trust_config()))  # same shape, other keys
    monkeypatch.setenv("AUDITOR_SIGSTORE_TRUST_CONFIG", str(other))
    code, out = _verify(keyless, capsys, WORKFLOW, GITHUB)
    assert code == 1
    assert "certificate chain" in out


def _github_token(workflow_ref: str) -> str:
    """An OIDC token shaped like GitHub Actions' (the stand-in does not check its signature)."""
    import time

    import jwt

    now = int(time.time())
    claims = {
        "iss": GITHUB,
        "aud": "sigstore",
        "sub": "repo:vendor/audit:ref:refs/heads/main",
        "job_workflow_ref": workflow_ref,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, "a stand-in signing secret, 32 bytes or more", algorithm="HS256")


def test_audit_attest_sigstore_signs_through_fulcio_and_rekor_standins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The producing side: ``audit --attest --sigstore`` gets a certificate for the CI identity
    from the stand-in Fulcio, logs the signature in the stand-in Rekor and writes the bundle,
    which the receiving side then verifies."""
    from .sigstore_standin import serving

    standin = Standin()
    run = Audited(tmp_path)
    monkeypatch.setenv(
        "SIGSTORE_ID_TOKEN", _github_token("vendor/audit/.github/workflows/posture.yml@refs/heads/main")
    )
    with serving(standin) as url:
        config = tmp_path / "trust-config.json"
        config.write_text(json.dumps(standin.trust_config(url)))
        monkeypatch.setenv("AUDITOR_SIGSTORE_TRUST_CONFIG", str(config))
        assert run.audit("--attest", "--sigstore") == 1  # the tenant's gate; the attestation is written
    assert standin.requests == ["fulcio", "rekor"]
    record = json.loads(run.attestation.read_text())
    assert record["mediaType"].startswith("application/vnd.dev.sigstore.bundle")
    code, out = _verify(run, capsys, WORKFLOW, GITHUB)
    assert code == 0, out
    assert f"✓ signature valid (Sigstore), signed by {WORKFLOW}" in out
    code, out = _verify(run, capsys, WORKFLOW.replace("posture.yml", "other.yml"), GITHUB)
    assert code == 1 and "✗ signer identity" in out
