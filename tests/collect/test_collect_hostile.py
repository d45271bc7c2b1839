"""Fault injection for issue 9: servers that trickle, redirect, revoke or echo secrets.

Every case runs the real msgraph-sdk / azure-identity / httpx paths against the
Graph-compatible server on 127.0.0.1 and checks the ``sources`` entry that would reach
the audit: none of these may ever become ``ok`` with partial data.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.errors import InputError
from tests.collect.conftest import SECRET_TOKEN, cli_args, fast_policy, make_jwt, run_collect
from tests.graphserver import Fault, GraphServer

OTHERS = ["domains", "authorizationPolicy"]


class _Foreign:
    """Another origin that answers every GET with an empty last page, and logs what it got."""

    def __init__(self) -> None:
        seen: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
                body = json.dumps({"value": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.seen = seen
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def foreign() -> Iterator[_Foreign]:
    f = _Foreign()
    yield f
    f.close()


@pytest.fixture
def big() -> Iterator[GraphServer]:
    with GraphServer(users=1500, token=SECRET_TOKEN) as srv:  # users come in two pages of 999
        yield srv


def _others_ok(doc: dict[str, Any]) -> None:
    for name in OTHERS:
        assert doc["sources"][name]["status"] == "ok", doc["sources"][name]


def test_a_trickling_body_is_ended_by_the_per_request_deadline(server: GraphServer) -> None:
    # headers at once, then one byte every 0.3 s: no single read ever times out
    server.add_fault("users", Fault("trickle", delay=0.3, times=None))
    started = time.monotonic()
    doc = run_collect(server, ["users", *OTHERS], retry=fast_policy(max_retries=1), timeout=1.0)
    elapsed = time.monotonic() - started
    # unbounded, the trickle would take 0.3 s x ~400 bytes = 2 minutes; the margin is for busy CI
    assert elapsed < 20, f"collect took {elapsed:.1f} s with a 1 s request deadline"
    entry = doc["sources"]["users"]
    assert entry["status"] == "error" and "timeout" in entry["error"]
    assert "users" not in doc["data"]
    _others_ok(doc)


def test_a_trickling_body_cannot_outlast_the_time_budget(server: GraphServer) -> None:
    server.add_fault("users", Fault("trickle", delay=0.3, times=None))
    started = time.monotonic()
    doc = run_collect(server, ["users"], retry=fast_policy(max_retries=50, budget_seconds=2.0), timeout=100.0)
    assert time.monotonic() - started < 20  # the budget is 2 s; the trickle would take minutes
    assert doc["sources"]["users"]["status"] == "error"


def test_a_redirect_to_another_host_on_page_two_is_an_error_not_a_short_list(
    big: GraphServer, foreign: _Foreign
) -> None:
    big.add_fault("users", Fault("redirect", 302, message=f"{foreign.url}/v1.0/users?page=2", after=1))
    doc = run_collect(big, ["users", *OTHERS])
    entry = doc["sources"]["users"]
    assert entry["status"] == "error", entry
    assert "redirected to another host" in entry["error"]
    assert "users" not in doc["data"]  # never 999 of 1500 users recorded as ok
    assert all(s["authorization"] in (None, "") for s in foreign.seen), "the token went to another host"
    _others_ok(doc)


def test_a_redirect_of_a_singleton_to_another_host_is_an_error(
    server: GraphServer, foreign: _Foreign
) -> None:
    server.add_fault("authorizationPolicy", Fault("redirect", 307, message=f"{foreign.url}/x"))
    doc = run_collect(server, ["authorizationPolicy", "domains"])
    assert doc["sources"]["authorizationPolicy"]["status"] == "error"
    assert "authorizationPolicy" not in doc["data"]


def test_a_foreign_next_link_is_an_error(server: GraphServer) -> None:
    server.add_fault("groups", Fault("foreign_link"))
    doc = run_collect(server, ["groups", *OTHERS])
    assert doc["sources"]["groups"]["status"] == "error"
    assert "another host" in doc["sources"]["groups"]["error"]
    assert "groups" not in doc["data"]


def test_a_401_mid_run_is_token_expired_not_a_missing_permission(big: GraphServer) -> None:
    big.add_fault(
        "users",
        Fault("status", 401, "InvalidAuthenticationToken", "Access token is empty or invalid.", after=1),
    )
    doc = run_collect(big, ["users"])
    entry = doc["sources"]["users"]
    assert entry["status"] == "error" and entry["httpStatus"] == 401
    assert "token expired or revoked" in entry["error"]
    assert "needs" not in entry["error"]  # no missing-permission hint
    assert "users" not in doc["data"]


def test_an_expired_token_message_is_an_error_even_on_the_first_request(server: GraphServer) -> None:
    server.add_fault(
        "domains",
        Fault(
            "status", 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        ),
    )
    doc = run_collect(server, ["domains"])
    assert doc["sources"]["domains"]["status"] == "error"
    assert "token expired or revoked" in doc["sources"]["domains"]["error"]


def test_a_wrong_token_from_the_start_is_an_authentication_error(server: GraphServer) -> None:
    """Refused before anything was read: one clear input error, not a snapshot of 'forbidden'
    collections, and never the 'token expired or revoked' of a token that worked before."""
    with pytest.raises(InputError, match="Graph refused the token") as caught:
        run_collect(server, ["domains"], token="wrong-token-value")
    assert "expired or revoked" not in str(caught.value)
    assert "wrong-token-value" not in str(caught.value)


@pytest.mark.parametrize("status", [400, 403, 500], ids=["bad-request", "forbidden", "server-error"])
def test_a_token_echoed_in_an_error_text_is_redacted_before_it_is_stored(
    server: GraphServer, tmp_path: Path, status: int
) -> None:
    server.add_fault(
        "domains", Fault("echo", status, "BadRequest", "could not parse your request", times=None)
    )
    out = tmp_path / "snap.json"
    doc = run_collect(server, ["domains", "authorizationPolicy"], out=out, retry=fast_policy(max_retries=0))
    entry = doc["sources"]["domains"]
    assert entry["status"] != "ok"
    assert "[redacted]" in entry["error"]
    written = out.read_text("utf-8")
    assert SECRET_TOKEN not in written and SECRET_TOKEN not in json.dumps(doc)
    # nor in any report the audit makes of that snapshot
    reports = tmp_path / "reports"
    main(["audit", str(out), "--out", str(reports), "-q"])
    for f in reports.iterdir():
        assert SECRET_TOKEN not in f.read_text("utf-8", "replace"), f.name


def test_a_jwt_echoed_by_the_server_is_redacted(tmp_path: Path) -> None:
    token = make_jwt({"oid": "o", "appid": "a", "tid": "t", "roles": ["Directory.Read.All"]})
    with GraphServer(users=5, token=token) as srv:
        srv.add_fault("domains", Fault("echo", 400, "BadRequest", "bad", times=None))
        doc = run_collect(srv, ["domains"], token=token, retry=fast_policy(max_retries=0))
    assert token not in json.dumps(doc)
    assert token.split(".")[1] not in json.dumps(doc)


def test_cli_collect_with_a_trickling_server_exits_within_its_budget(
    server: GraphServer, tmp_path: Path
) -> None:
    server.add_fault("users", Fault("trickle", delay=0.5, times=None))
    out = tmp_path / "s.json"
    started = time.monotonic()
    import os

    os.environ["AUDITOR_ACCESS_TOKEN"] = SECRET_TOKEN
    try:
        code = main(
            cli_args(server, out, "--sources", "users,domains", "--timeout", "1", "--time-budget", "4")
        )
    finally:
        del os.environ["AUDITOR_ACCESS_TOKEN"]
    assert time.monotonic() - started < 30  # budget 4 s; the trickle alone would take minutes
    assert code in (0, 3)
    doc = json.loads(out.read_text("utf-8"))
    assert doc["sources"]["users"]["status"] == "error"


@pytest.mark.parametrize(
    "body",
    [
        '{"value": [{"id": "1", "n": NaN}]}',
        '{"value": [{"id": "1", "id": "2"}]}',
        '{"value": [{"id": "\\ud800"}]}',
        '{"value": [' + "[" * 5000 + "]" * 5000 + "]}",
        '{"value": [{"id": ' + "9" * 5000 + "}]}",
    ],
    ids=["nan", "duplicate-key", "lone-surrogate", "nested-5000", "integer-5000-digits"],
)
def test_a_response_the_snapshot_reader_would_refuse_is_an_error(
    server: GraphServer, tmp_path: Path, body: str
) -> None:
    server.add_fault("groups", Fault("body", message=body))
    out = tmp_path / "s.json"
    doc = run_collect(server, ["groups", *OTHERS], out=out)
    entry = doc["sources"]["groups"]
    assert entry["status"] == "error" and "malformed JSON" in entry["error"]
    assert "groups" not in doc["data"]
    # and the snapshot that was written reads back: the audit can say `error`, not exit 2
    assert main(["audit", str(out), "--out", str(tmp_path / "r"), "-q", "--format", "json"]) in (0, 1, 3)
