"""The keyless (Sigstore) path, as far as it can be exercised offline.

What these tests prove: ``--sigstore`` refuses clearly without an OIDC identity; a Sigstore
bundle is recognised and routed to identity checks (and refused with ``--key``); an unreadable
bundle is an input error; a well-formed bundle whose certificate was not issued by Sigstore's
Fulcio (a forgery claiming the vendor's workflow identity) is rejected by sigstore's checks
against the public-good trust root shipped with the sigstore package, and a bundle for another
identity is named as such. What they do not prove: that signing against the real Fulcio and
Rekor works and that a genuine bundle is accepted, which needs Sigstore's services (the
workflow in docs/ci.md runs it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main

from .conftest import Audited

IDENTITY = (
    "--certificate-identity",
    "https://github.com/vendor/audit/.github/workflows/audit.yml@refs/heads/main",
)
ISSUER = ("--certificate-oidc-issuer", "https://token.actions.githubusercontent.com")


def _no_ambient_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SIGSTORE_ID_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "GITHUB_ACTIONS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_sigstore_without_identity_token_is_a_clear_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ambient_identity(monkeypatch)
    run = Audited(tmp_path)
    assert run.audit() == 1
    assert main(["attest", str(run.results), str(run.snapshot), "--sigstore"]) == 2
    err = capsys.readouterr().err
    assert "no OIDC identity token" in err and "id-token: write" in err
    assert not run.attestation.exists()


def test_sigstore_rejects_a_malformed_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ambient_identity(monkeypatch)
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", "not-a-jwt")
    run = Audited(tmp_path)
    assert run.audit() == 1
    assert main(["attest", str(run.results), str(run.snapshot), "--sigstore"]) == 2
    assert "the OIDC identity token is not usable" in capsys.readouterr().err


def _fake_bundle(run: Audited) -> None:
    run.attestation.write_text(
        json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {}})
        + "\n"
    )


def test_bundle_with_key_flag_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = Audited(tmp_path)
    assert run.audit() == 1
    _fake_bundle(run)
    capsys.readouterr()
    assert run.verify("--key", str(run.pub)) == 2
    assert "is a Sigstore bundle: verify it with --certificate-identity" in capsys.readouterr().out


def test_unreadable_bundle_is_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = Audited(tmp_path)
    assert run.audit() == 1
    _fake_bundle(run)
    capsys.readouterr()
    assert run.verify(*IDENTITY, *ISSUER) == 2
    assert "not a readable Sigstore bundle" in capsys.readouterr().out


def _offline_trust_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Sigstore's public-good trust root as the sigstore package ships it, without a network refresh."""
    monkeypatch.setenv("AUDITOR_SIGSTORE_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("AUDITOR_SIGSTORE_TRUST_CONFIG", raising=False)


def _forge(run: Audited) -> None:
    """Sign the real statement with a certificate of our own making that claims the vendor's identity."""
    from auditor.results.attest import statement_bytes, statement_for_files

    from .forged_bundle import forged_bundle

    payload = statement_bytes(statement_for_files(run.results, run.snapshot))
    record = forged_bundle(payload, IDENTITY[1], ISSUER[1])
    run.attestation.write_text(json.dumps(record) + "\n")


def test_bundle_not_issued_by_sigstore_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _offline_trust_root(monkeypatch, tmp_path)
    run = Audited(tmp_path)
    assert run.audit() == 1
    _forge(run)
    capsys.readouterr()
    assert run.verify(*IDENTITY, *ISSUER) == 1
    out = capsys.readouterr().out
    assert "✗ Sigstore verification (identity https://github.com/vendor/audit/" in out
    assert "certificate chain" in out
    assert "✓ subject" not in out and "✗ subject" not in out  # an unverified statement is not read
    assert "Verification FAILED" in out


def test_bundle_for_another_identity_names_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _offline_trust_root(monkeypatch, tmp_path)
    run = Audited(tmp_path)
    assert run.audit() == 1
    _forge(run)
    capsys.readouterr()
    other = "https://github.com/someone-else/x/.github/workflows/a.yml@refs/heads/main"
    assert run.verify("--certificate-identity", other, *ISSUER) == 1
    out = capsys.readouterr().out
    assert f"✗ signer identity: the certificate names {IDENTITY[1]}, expected {other}" in out
