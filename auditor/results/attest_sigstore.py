"""Keyless signing and verification of attestations with Sigstore (``--sigstore``).

Why keyless: a vendor's CI has no long-lived key to lose. The job's OIDC identity (in GitHub
Actions: the workflow file, repository and ref) is bound by Fulcio into a short-lived
certificate, the signature is logged in Rekor, and the receiver checks the certificate's
identity and issuer instead of holding a key. Everything cryptographic (certificate chain,
transparency log inclusion, signed timestamps, the DSSE signature) is the ``sigstore``
library's; this module only chooses the trust configuration and turns its errors into
one-line messages.

The ``sigstore`` package is an optional dependency (``pip install 'auditor[sigstore]'``),
imported only here. Trust configuration: Sigstore's public-good instance, or the file named
by ``AUDITOR_SIGSTORE_TRUST_CONFIG`` (a Sigstore ClientTrustConfig JSON, e.g. a private
deployment), or ``AUDITOR_SIGSTORE_INSTANCE=staging``. The trust root is refreshed over the
network (TUF); when that fails, or with ``AUDITOR_SIGSTORE_OFFLINE=1``, the cached copy (or the
one shipped with sigstore) is used.
"""

from __future__ import annotations

import json
import os
from typing import Any

from auditor.errors import InputError

TRUST_CONFIG_ENV = "AUDITOR_SIGSTORE_TRUST_CONFIG"
INSTANCE_ENV = "AUDITOR_SIGSTORE_INSTANCE"
#: "1": use the trust root cached (or shipped with sigstore) without refreshing it over the network
OFFLINE_ENV = "AUDITOR_SIGSTORE_OFFLINE"
#: an OIDC identity token given explicitly (else the CI's ambient credential is detected)
TOKEN_ENV = "SIGSTORE_ID_TOKEN"
BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"


class SigstoreMismatch(Exception):
    """The bundle did not verify: its message names what did not match."""


def _require() -> None:
    try:
        import sigstore  # noqa: F401
    except ImportError:
        raise InputError(
            "Sigstore support is not installed: pip install 'auditor[sigstore]'", source="--sigstore"
        ) from None


def _trust_config() -> Any:
    from sigstore.models import ClientTrustConfig

    path = os.environ.get(TRUST_CONFIG_ENV)
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return ClientTrustConfig.from_json(fh.read())
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", source=TRUST_CONFIG_ENV) from None
        except Exception as exc:
            raise InputError(f"not a Sigstore trust configuration: {exc}", source=path) from None
    staging = os.environ.get(INSTANCE_ENV, "").lower() == "staging"
    offline = os.environ.get(OFFLINE_ENV, "") == "1"
    load = ClientTrustConfig.staging if staging else ClientTrustConfig.production
    try:
        return load(offline=offline)
    except Exception as exc:  # a TUF refresh needs the network: fall back to the cached trust root
        if not offline:
            try:
                return load(offline=True)
            except Exception:
                pass
        raise InputError(
            f"cannot load Sigstore's trust root ({exc}); offline, point {TRUST_CONFIG_ENV} at a trust configuration",
            source="sigstore",
        ) from None


def _identity_token() -> Any:
    from sigstore.oidc import IdentityError, IdentityToken, detect_credential

    raw = os.environ.get(TOKEN_ENV)
    if not raw:
        try:
            raw = detect_credential()
        except Exception as exc:
            raise InputError(
                f"cannot obtain the CI's OIDC identity token: {exc}", source="--sigstore"
            ) from None
    if not raw:
        raise InputError(
            "no OIDC identity token: in GitHub Actions grant the job 'permissions: id-token: write'; "
            f"elsewhere set {TOKEN_ENV}",
            source="--sigstore",
        )
    try:
        return IdentityToken(raw)
    except IdentityError as exc:
        raise InputError(f"the OIDC identity token is not usable: {exc}", source="--sigstore") from None


def sign_statement(payload: bytes) -> dict[str, Any]:
    """A Sigstore bundle (as a JSON-ready dict) holding the DSSE envelope of ``payload``."""
    _require()
    from sigstore import dsse
    from sigstore.sign import SigningContext

    token = _identity_token()  # first: without an identity there is nothing to fetch a trust root for
    context = SigningContext.from_trust_config(_trust_config())
    try:
        with context.signer(token, cache=True) as signer:
            bundle = signer.sign_dsse(dsse.Statement(payload))
    except Exception as exc:  # network, Fulcio or Rekor refusal: one line, not a traceback
        raise InputError(f"Sigstore signing failed: {exc}", source="--sigstore") from None
    out: dict[str, Any] = json.loads(bundle.to_json())
    return out


def is_bundle(record: Any) -> bool:
    """Whether an attestation record is a Sigstore bundle (else a plain DSSE envelope)."""
    return isinstance(record, dict) and str(record.get("mediaType", "")).startswith(BUNDLE_MEDIA_PREFIX)


def verify_bundle(record: dict[str, Any], *, identity: str, issuer: str) -> tuple[str, bytes]:
    """(payload type, payload) of a bundle whose certificate names ``identity`` and ``issuer``.

    Raises :class:`SigstoreMismatch` naming the failed check; :class:`InputError` when the
    bundle cannot be read or Sigstore is not available."""
    _require()
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle
    from sigstore.verify import Verifier, policy

    try:
        bundle = Bundle.from_json(json.dumps(record))
    except Exception as exc:
        raise InputError(f"not a readable Sigstore bundle: {exc}", source="--attestation") from None
    verifier = Verifier(trusted_root=_trust_config().trusted_root)
    try:
        return verifier.verify_dsse(bundle, policy.Identity(identity=identity, issuer=issuer))
    except SigstoreError as exc:
        raise SigstoreMismatch(_explain(bundle, exc, identity, issuer)) from None


def _explain(bundle: Any, exc: Exception, identity: str, issuer: str) -> str:
    """The verifier's reason, with the certificate's actual identity when that was the mismatch."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    try:
        from cryptography import x509

        cert = bundle.signing_certificate
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in sans.get_values_for_type(x509.UniformResourceIdentifier)]
        names += list(sans.get_values_for_type(x509.RFC822Name))
        if identity not in names:
            return f"signer identity: the certificate names {', '.join(names) or 'no identity'}, expected {identity} ({text})"
    except Exception:
        pass
    return f"Sigstore verification (identity {identity}, issuer {issuer}): {text}"
