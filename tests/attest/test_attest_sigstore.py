"""The keyless (Sigstore) path, as far as it can be exercised offline.

What these tests prove: ``--sigstore`` refuses clearly without an OIDC identity, a Sigstore
bundle is recognised and routed to identity checks (and refused with ``--key``), and an
unreadable bundle is an input error. What they do not: signing against Fulcio and Rekor and
verifying a real bundle's certificate chain, log inclusion and identity. Those are the
``sigstore`` library's checks and need Sigstore's services; docs/ci.md shows the workflow
that runs them.
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
