"""Every --auth mode: construction from the environment, missing variables as input
errors, secret mode end to end through azure-identity, GitHub OIDC federation."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from auditor.collect.auth import (
    AUTH_MODES,
    GITHUB_OIDC_AUDIENCE,
    StaticTokenCredential,
    _github_assertion,
    build_credential,
    jwt_claims,
)
from auditor.collect.catalog import select_sources
from auditor.collect.runner import CollectOptions, collect
from auditor.errors import InputError
from auditor.snapshot import load_snapshot
from tests.collect.conftest import SECRET_TOKEN, fast_policy, make_jwt
from tests.graphserver import TENANT_ID, GraphServer
from tests.graphserver.authority import Authority

CLIENT_ID = "0b3b7c9a-1111-4222-8333-944445555666"
CLIENT_SECRET = "cs~SUPER-SECRET-value-0123456789"


@pytest.mark.parametrize(
    ("mode", "env", "missing"),
    [
        ("token", {}, "AUDITOR_ACCESS_TOKEN"),
        ("secret", {"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": "x"}, "AZURE_TENANT_ID"),
        ("secret", {"AZURE_TENANT_ID": TENANT_ID, "AZURE_CLIENT_SECRET": "x"}, "AZURE_CLIENT_ID"),
        ("secret", {"AZURE_TENANT_ID": TENANT_ID, "AZURE_CLIENT_ID": CLIENT_ID}, "AZURE_CLIENT_SECRET"),
        (
            "certificate",
            {"AZURE_TENANT_ID": TENANT_ID, "AZURE_CLIENT_ID": CLIENT_ID},
            "AZURE_CLIENT_CERTIFICATE_PATH",
        ),
        ("workload-identity", {"AZURE_TENANT_ID": TENANT_ID}, "AZURE_CLIENT_ID"),
        (
            "workload-identity",
            {"AZURE_TENANT_ID": TENANT_ID, "AZURE_CLIENT_ID": CLIENT_ID},
            "ACTIONS_ID_TOKEN_REQUEST_URL",
        ),
    ],
)
def test_missing_environment_is_an_input_error_naming_the_variable(
    mode: str, env: dict[str, str], missing: str
) -> None:
    with pytest.raises(InputError) as info:
        build_credential(mode, env=env)
    assert missing in str(info.value)


def test_every_mode_constructs_an_azure_identity_credential(tmp_path: Path) -> None:
    import azure.identity as ai

    cert = tmp_path / "c.pem"
    cert.write_text("not parsed until a token is needed")
    env = {
        "AZURE_TENANT_ID": TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_CLIENT_SECRET": CLIENT_SECRET,
        "AZURE_CLIENT_CERTIFICATE_PATH": str(cert),
        "AUDITOR_ACCESS_TOKEN": SECRET_TOKEN,
        "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:1/token",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh",
    }
    expected = {
        "default": ai.DefaultAzureCredential,
        "cli": ai.AzureCliCredential,
        "secret": ai.ClientSecretCredential,
        "workload-identity": ai.ClientAssertionCredential,
        "device-code": ai.DeviceCodeCredential,
        "token": StaticTokenCredential,
    }
    for mode in AUTH_MODES:
        if mode == "certificate":
            with pytest.raises(
                ValueError
            ):  # azure-identity reads the PEM at construction: proof it got the path
                build_credential(mode, env=env)
            continue
        setup = build_credential(mode, env=env)
        assert isinstance(setup.credential._inner, expected[mode]), mode
        assert SECRET_TOKEN not in repr(setup.credential) and CLIENT_SECRET not in repr(setup.credential)
    token_file = tmp_path / "federated"
    token_file.write_text("eyJ.fake.jwt")
    env2 = {k: v for k, v in env.items() if not k.startswith("ACTIONS_")}
    setup = build_credential("workload-identity", env={**env2, "AZURE_FEDERATED_TOKEN_FILE": str(token_file)})
    assert isinstance(setup.credential._inner, ai.WorkloadIdentityCredential)


def test_token_credential_returns_the_token_for_any_scope() -> None:
    token = make_jwt({"oid": "o", "exp": 4102444800})
    cred = StaticTokenCredential(token)
    assert cred.get_token("https://graph.microsoft.com/.default").token == token
    assert cred.get_token("https://outlook.office365.com/.default", claims=None).expires_on == 4102444800
    assert jwt_claims(token)["oid"] == "o" and jwt_claims("opaque") == {}


class _OidcHandler(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
        body = json.dumps({"value": "github-oidc-jwt"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_github_oidc_callback_asks_for_the_azure_audience() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _OidcHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/_apis/token?api-version=2.0"
        fetch = _github_assertion(
            {"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "rt"}
        )
        assert fetch() == "github-oidc-jwt"
    finally:
        httpd.shutdown()
        httpd.server_close()
    seen = _OidcHandler.seen[-1]
    assert seen["auth"] == "Bearer rt"
    assert "audience=api%3A%2F%2FAzureADTokenExchange" in seen["path"] and "api-version=2.0" in seen["path"]
    assert GITHUB_OIDC_AUDIENCE == "api://AzureADTokenExchange"


def test_secret_mode_gets_its_token_from_a_local_authority_and_never_stores_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    access = make_jwt({"appid": CLIENT_ID, "tid": TENANT_ID, "oid": "sp-object", "exp": 4102444800})
    with (
        Authority(tmp_path, CLIENT_ID, CLIENT_SECRET, access) as authority,
        GraphServer(users=10, token=access) as server,
    ):
        env = {
            "AZURE_TENANT_ID": TENANT_ID,
            "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_CLIENT_SECRET": CLIENT_SECRET,
        }
        auth = build_credential(
            "secret",
            env=env,
            authority=authority.url,
            disable_instance_discovery=True,
            connection_verify=str(authority.cert),
        )
        out = tmp_path / "s.json"
        options = CollectOptions(
            sources=tuple(select_sources(["domains", "users", "entraDiagnosticSettings"])),
            graph_url=server.url,
            arm_url=server.url,
            retry=fast_policy(),
        )
        collect(auth, options, out=out)
        scopes = {s for r in authority.token_requests for s in r["scope"]}
    snap = load_snapshot(out)
    assert {e["status"] for e in snap.sources.values()} == {"ok"}
    assert snap.document["collector"]["principal"] == CLIENT_ID
    # the Graph scope for Graph, the ARM scope for ARM: scopes passed explicitly, not derived from 127.0.0.1
    assert scopes == {"https://graph.microsoft.com/.default", "https://management.azure.com/.default"}
    raw = out.read_text()
    captured = capfd.readouterr()
    for secret in (CLIENT_SECRET, access):
        assert secret not in raw
        assert secret not in captured.out and secret not in captured.err
        assert secret not in caplog.text


def test_wrong_secret_is_one_clear_input_error(tmp_path: Path) -> None:
    with Authority(tmp_path, CLIENT_ID, "the-right-one", "x") as authority, GraphServer(users=1) as server:
        env = {
            "AZURE_TENANT_ID": TENANT_ID,
            "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_CLIENT_SECRET": CLIENT_SECRET,
        }
        auth = build_credential(
            "secret",
            env=env,
            authority=authority.url,
            disable_instance_discovery=True,
            connection_verify=str(authority.cert),
        )
        options = CollectOptions(sources=tuple(select_sources(["domains"])), graph_url=server.url)
        with pytest.raises(InputError) as info:
            collect(auth, options, out=tmp_path / "s.json")
    assert "authentication failed (--auth secret)" in str(info.value)
    assert CLIENT_SECRET not in str(info.value)
    assert not (tmp_path / "s.json").exists()
