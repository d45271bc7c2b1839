"""Credentials for every ``--auth`` mode (docs/formats.md, authentication).

Secrets come only from the environment and never leave the credential objects: the
collector records who collected (the client id, or the token's ``oid``/``appid``
claim), never a token or secret. azure-identity is imported inside the functions so
that ``auditor audit`` does not pay for it.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from auditor.collect.fetching import register_secret
from auditor.errors import InputError

AUTH_MODES = ("default", "cli", "secret", "certificate", "workload-identity", "device-code", "token")
GITHUB_OIDC_AUDIENCE = "api://AzureADTokenExchange"


def _require(env: Mapping[str, str], name: str, mode: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise InputError(f"--auth {mode} needs the environment variable {name}")
    return value


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT access token; empty for opaque tokens.

    Used only to name the principal and tenant in the snapshot: the token itself is
    never stored.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class StaticTokenCredential:
    """``--auth token``: a bearer token the user already holds (AUDITOR_ACCESS_TOKEN).

    Implements azure-core's ``TokenCredential`` protocol (``get_token(*scopes, **kw)``).
    The same token is returned for every scope, so Exchange and ARM collections only
    work when the token's audience happens to fit; otherwise they are recorded as
    forbidden, which is the truth.
    """

    def __init__(self, token: str) -> None:
        self._token = token
        exp = jwt_claims(token).get("exp")
        self._expires_on = int(exp) if isinstance(exp, int | float) else int(time.time()) + 3600

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(<redacted>)"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, self._expires_on)

    def close(self) -> None:
        """Nothing to release; present for symmetry with azure-identity credentials."""


class PrincipalRecorder:
    """Wraps a credential and remembers the non-secret claims of the tokens it hands out.

    This is how the snapshot learns its ``collector.principal`` and, when nobody said
    otherwise, the tenant id (``tid``), without ever keeping a token around.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.claims: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"PrincipalRecorder({type(self._inner).__name__})"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        token = self._inner.get_token(*scopes, **kwargs)
        register_secret(token.token)  # never repeated by any stored server text
        if not self.claims:
            claims = jwt_claims(token.token)
            keep: dict[str, Any] = {
                k: claims[k] for k in ("oid", "appid", "azp", "tid", "upn", "iat") if k in claims
            }
            keep["delegated"] = "scp" in claims  # a user's token: the user collected, not the client app
            with self._lock:
                self.claims = keep
        return token

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


@dataclass(frozen=True)
class AuthSetup:
    """A credential plus what may be said about it in the snapshot."""

    mode: str
    credential: PrincipalRecorder
    client_id: str | None
    tenant_id: str | None

    def principal(self) -> str | None:
        """The app or user object id that collected; never a secret."""
        claims = self.credential.claims
        order = ("oid", "upn", "appid", "azp") if claims.get("delegated") else ("appid", "azp", "oid", "upn")
        for key in order:
            if claims.get(key):
                return str(claims[key])
        return self.client_id

    def token_claims(self) -> dict[str, Any]:
        """The claims saying who collected, when the token was issued and for which tenant
        (``tid``, ``appid``/``azp``, ``oid``, ``iat``), recorded in the snapshot's
        ``collector.claims`` and signed by ``--attest``; never the token itself."""
        claims = self.credential.claims
        return {k: claims[k] for k in ("tid", "appid", "azp", "oid", "iat") if k in claims}


def _github_assertion(env: Mapping[str, str]) -> Any:
    """A callback that fetches the job's OIDC token from the GitHub Actions runtime."""
    url = env["ACTIONS_ID_TOKEN_REQUEST_URL"]
    request_token = env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]

    def fetch() -> str:
        import httpx

        # the runtime's URL already has a query (api-version); httpx's params= would replace it
        sep = "&" if "?" in url else "?"
        full = f"{url}{sep}{urlencode({'audience': GITHUB_OIDC_AUDIENCE})}"
        response = httpx.get(full, headers={"Authorization": f"Bearer {request_token}"}, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"GitHub OIDC token request failed with HTTP {response.status_code}")
        value = response.json().get("value")
        if not isinstance(value, str) or not value:
            raise RuntimeError("GitHub OIDC token response has no value")
        return value

    return fetch


def _device_code_prompt(verification_uri: str, user_code: str, expires_on: Any) -> None:
    # stdout may be a JSON report; the prompt belongs on the terminal (stderr)
    print(f"To sign in, open {verification_uri} and enter the code {user_code}", file=sys.stderr)


def build_credential(
    mode: str, *, tenant_id: str | None = None, env: Mapping[str, str] | None = None, **extra: Any
) -> AuthSetup:
    """Construct the azure-identity credential for ``mode``.

    A missing environment variable is an :class:`InputError` naming it (exit 2).
    ``extra`` goes to the azure-identity constructor (tests use it for ``authority``
    and ``transport``).
    """
    env = os.environ if env is None else env
    tenant = tenant_id or env.get("AZURE_TENANT_ID") or None
    client_id = env.get("AZURE_CLIENT_ID") or None
    if mode not in AUTH_MODES:
        raise InputError(f"unknown --auth mode {mode!r}; choose one of {', '.join(AUTH_MODES)}")
    cred: Any
    if mode == "token":
        cred = StaticTokenCredential(_require(env, "AUDITOR_ACCESS_TOKEN", mode))
        return AuthSetup(mode, PrincipalRecorder(cred), None, tenant)

    import azure.identity as ai

    if mode == "default":
        cred = ai.DefaultAzureCredential(**extra)
    elif mode == "cli":
        cred = ai.AzureCliCredential(tenant_id=tenant, **extra) if tenant else ai.AzureCliCredential(**extra)
    elif mode == "secret":
        tenant = tenant or _require(env, "AZURE_TENANT_ID", mode)
        client_id = _require(env, "AZURE_CLIENT_ID", mode)
        secret = _require(env, "AZURE_CLIENT_SECRET", mode)
        register_secret(secret)
        cred = ai.ClientSecretCredential(tenant, client_id, secret, **extra)
    elif mode == "certificate":
        tenant = tenant or _require(env, "AZURE_TENANT_ID", mode)
        client_id = _require(env, "AZURE_CLIENT_ID", mode)
        path = _require(env, "AZURE_CLIENT_CERTIFICATE_PATH", mode)
        if not os.path.isfile(path):
            raise InputError(f"AZURE_CLIENT_CERTIFICATE_PATH does not name a readable file: {path}")
        password = env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None
        register_secret(password)
        cred = ai.CertificateCredential(tenant, client_id, path, password=password, **extra)
    elif mode == "workload-identity":
        tenant = tenant or _require(env, "AZURE_TENANT_ID", mode)
        client_id = _require(env, "AZURE_CLIENT_ID", mode)
        if env.get("ACTIONS_ID_TOKEN_REQUEST_URL") and env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
            cred = ai.ClientAssertionCredential(tenant, client_id, _github_assertion(env), **extra)
        elif env.get("AZURE_FEDERATED_TOKEN_FILE"):
            cred = ai.WorkloadIdentityCredential(
                tenant_id=tenant,
                client_id=client_id,
                token_file_path=env["AZURE_FEDERATED_TOKEN_FILE"],
                **extra,
            )
        else:
            raise InputError(
                "--auth workload-identity needs the environment variables "
                "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (GitHub Actions "
                "with 'permissions: id-token: write') or AZURE_FEDERATED_TOKEN_FILE"
            )
    else:  # device-code
        kwargs: dict[str, Any] = {"prompt_callback": _device_code_prompt, **extra}
        if client_id:
            kwargs["client_id"] = client_id
        if tenant:
            kwargs["tenant_id"] = tenant
        cred = ai.DeviceCodeCredential(**kwargs)
    return AuthSetup(mode, PrincipalRecorder(cred), client_id, tenant)


#: what to do next when getting a token failed, per --auth mode (one line each)
NEXT_STEPS = {
    "default": "sign in with 'az login', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, "
    "or choose a mode with --auth (see 'auditor collect --help')",
    "cli": "run 'az login --tenant TENANT --allow-no-subscriptions' (install the Azure CLI if it is missing)",
    "secret": "check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (expired?) and that "
    "login.microsoftonline.com is reachable",
    "certificate": "check AZURE_CLIENT_CERTIFICATE_PATH (PEM or PFX with its private key) and that the "
    "certificate is uploaded to the app registration",
    "workload-identity": "check the app registration's federated credential: issuer, subject (this job) and "
    "audience api://AzureADTokenExchange (docs/ci.md)",
    "device-code": "run again and finish the sign-in at the address shown before the code expires",
    "token": "get a fresh token: az account get-access-token --resource https://graph.microsoft.com",
}


def auth_failure(mode: str, exc: BaseException) -> str:
    """Two lines for a failed sign-in: the first sentence of the reason, and the next step.

    azure-identity's messages list every credential it tried, with links, over a dozen lines; the
    first sentence says what failed, the next step says what to do.
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    first = text.split(". ", 1)[0].rstrip(".")
    if len(first) > 200:
        first = first[:199] + "…"
    return f"authentication failed (--auth {mode}): {first}\nnext step: {NEXT_STEPS.get(mode, NEXT_STEPS['default'])}"
