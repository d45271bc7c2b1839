"""Every API's pages are decoded as strictly as a snapshot (issue 20, item 2), and none may be
larger than ``--limit response-bytes``.

Each case sends one hostile page from the local server through the real client of its API
(msgraph-sdk for Graph, the bearer clients for Exchange, Resource Manager, Sentinel, the
Management Activity API and SharePoint) and checks the ``sources`` entry: ``error``, naming the
API and the problem, and no data. Before this, Management Activity and Sentinel pages went
through ``json.loads`` first, which kept the last of two ``status`` keys, so
``"status": "disabled", ..., "status": "enabled"`` was stored as enabled and the content-types
control passed.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auditor import limits
from auditor.cli import main
from tests.collect.conftest import SECRET_TOKEN, cli_args, run_collect
from tests.graphserver import Fault, GraphServer

OTHERS = ["domains", "authorizationPolicy"]
DUPLICATE = '{"contentType": "DLP.All", "status": "disabled", "webhook": null, "status": "enabled"}'
NAN = '{"contentType": "DLP.All", "status": "enabled", "weight": NaN}'
DEEP = '{"contentType": "DLP.All", "status": "enabled", "x": ' + "[" * 150 + "]" * 150 + "}"


@dataclass(frozen=True)
class Api:
    """One API: the collection read, the fault's name on the server, how a page wraps one item,
    and how that API is named in the error."""

    collection: str
    fault: str
    wrap: str  # "{}" stands for the item
    label: str


APIS = {
    "graph": Api("groups", "groups", '{"value": [{}]}', "Microsoft Graph"),
    "exchange": Api(
        "exchangeAcceptedDomains", "exchangeAcceptedDomains", '{"value": [{}]}', "Exchange admin API"
    ),
    "arm": Api(
        "entraDiagnosticSettings", "entraDiagnosticSettings", '{"value": [{}]}', "Azure Resource Manager"
    ),
    "sentinel": Api(
        "sentinelDataConnectors", "sentinelDataConnectors", '{"value": [{}]}', "Azure Resource Manager"
    ),
    "activity": Api(
        "managementActivitySubscriptions",
        "managementActivitySubscriptions",
        "[{}]",
        "Office 365 Management Activity API",
    ),
    "sharepoint": Api("sharepointTenant", "sharepointTenant", "{}", "SharePoint admin API"),
}


def _page(api: Api, item: str) -> str:
    return api.wrap.replace("{}", item, 1) if api.wrap != "{}" else item


@pytest.fixture
def tight() -> Iterator[None]:
    """``--limit response-bytes=64KiB`` for one test (every normal page of the server is smaller)."""
    previous = limits.current()
    limits.configure(limits.parse_limits(["response-bytes=64KiB"], previous))
    try:
        yield
    finally:
        limits.configure(previous)


def _collect(server: GraphServer, api: Api, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    out = tmp_path / "s.json"
    return run_collect(server, [api.collection, *OTHERS], out=out), out


def _assert_refused(doc: dict[str, Any], api: Api, *needles: str) -> str:
    entry = doc["sources"][api.collection]
    assert entry["status"] == "error", entry
    assert api.label in entry["error"], entry["error"]
    for needle in needles:
        assert needle in entry["error"], entry["error"]
    assert api.collection not in doc["data"]
    for name in OTHERS:  # one hostile page costs its own collection only
        assert doc["sources"][name]["status"] == "ok"
    return str(entry["error"])


CASES = {
    "duplicate-key": (DUPLICATE, 'duplicate key "status"'),
    "nan": (NAN, "NaN"),
    "too-deep": (DEEP, "--limit json-depth"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", sorted(APIS))
def test_a_malformed_page_ends_the_collection_as_error_naming_the_api(
    server: GraphServer, tmp_path: Path, kind: str, case: str
) -> None:
    api = APIS[kind]
    item, needle = CASES[case]
    server.add_fault(api.fault, Fault("body", message=_page(api, item), times=None))
    doc, out = _collect(server, api, tmp_path)
    _assert_refused(doc, api, "malformed JSON", needle)
    assert "enabled" not in json.dumps(doc["data"].get(api.collection, ""))
    # the snapshot written reads back, so the audit can say `error` instead of exiting 2
    assert main(["audit", str(out), "--out", str(tmp_path / "r"), "-q", "--format", "json"]) in (0, 1, 3)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("kind", sorted(APIS))
def test_a_page_over_the_response_cap_ends_the_collection_as_error(
    server: GraphServer, tmp_path: Path, tight: None, kind: str, chunked: bool
) -> None:
    api = APIS[kind]
    item = '{"contentType": "DLP.All", "status": "enabled", "pad": "' + "x" * (256 * 1024) + '"}'
    server.add_fault(api.fault, Fault("raw", payload=_page(api, item).encode(), chunked=chunked, times=None))
    doc, _ = _collect(server, api, tmp_path)
    _assert_refused(doc, api, "larger than 64 KiB", "--limit response-bytes")
    assert doc["sources"][api.collection].get("retries", 0) == 0  # the same page would be as large again


def test_a_gzip_bomb_is_refused_while_it_inflates(server: GraphServer, tmp_path: Path, tight: None) -> None:
    api = APIS["activity"]
    bomb = gzip.compress(b'[{"contentType": "DLP.All", "pad": "' + b" " * (32 << 20) + b'"}]')
    assert len(bomb) < 64 * 1024  # it passes the cap on the wire: only inflating shows its size
    server.add_fault(api.fault, Fault("raw", payload=bomb, headers={"Content-Encoding": "gzip"}, times=None))
    doc, _ = _collect(server, api, tmp_path)
    _assert_refused(doc, api, "--limit response-bytes")


def test_a_gzip_page_within_the_cap_is_read(server: GraphServer, tmp_path: Path) -> None:
    """The control: compression handled by the cap must still give the same data."""
    api = APIS["activity"]
    subscriptions = server.tenant["managementActivitySubscriptions"]
    payload = gzip.compress(json.dumps(subscriptions).encode())
    server.add_fault(api.fault, Fault("raw", payload=payload, headers={"Content-Encoding": "gzip"}))
    doc, _ = _collect(server, api, tmp_path)
    assert doc["sources"][api.collection]["status"] == "ok"
    assert doc["data"][api.collection] == subscriptions


def test_a_duplicate_key_in_a_content_listing_fails_that_feed(server: GraphServer) -> None:
    server.add_fault("content:Audit.Exchange", Fault("body", message=f"[{DUPLICATE}]", times=None))
    doc = run_collect(server, ["recentAuditActivity"])
    part = doc["data"]["recentAuditActivity"]["contentTypes"]["Audit.Exchange"]
    assert part["status"] == "error"
    assert 'duplicate key "status"' in part["error"] and "Management Activity API" in part["error"]
    assert "newest" not in part and "count" not in part


def test_a_duplicate_status_cannot_make_the_content_types_control_pass(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's reproduction: every subscription enabled by a second ``status`` key."""
    rows = [
        f'{{"contentType": "{s["contentType"]}", "status": "disabled", "webhook": null, "status": "enabled"}}'
        for s in server.tenant["managementActivitySubscriptions"]
    ]
    server.add_fault(
        "managementActivitySubscriptions", Fault("body", message=f"[{', '.join(rows)}]", times=None)
    )
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    out = tmp_path / "s.json"
    args = [
        a
        for a in cli_args(server, out, "--sources", "managementActivitySubscriptions,domains")
        if a != "--quiet"
    ]
    assert main(args) == 3  # a collection is error: incomplete
    err = capsys.readouterr().err
    assert "managementActivitySubscriptions" in err and 'duplicate key "status"' in err
    policy = (
        Path(__file__).resolve().parents[2] / "policies/audit/audit-mgmt-activity-content-types-enabled.yaml"
    )
    reports = tmp_path / "r"
    main(["audit", str(out), "--policies", str(policy), "--out", str(reports), "-q", "--format", "json"])
    results = json.loads((reports / "results.json").read_text("utf-8"))["results"]
    assert [r["status"] for r in results] == ["error"]


def test_a_strict_error_body_is_classified_by_its_status_alone(server: GraphServer) -> None:
    """Two ``code`` keys in an error body: no lenient parser picks the licence code for us."""
    body = json.dumps({"error": {"code": "Authorization_RequestDenied", "message": "no"}})
    body = body.replace('"code"', '"code": "TenantNotLicensed", "code"', 1)
    server.add_fault("groups", Fault("raw", payload=body.encode(), times=None))
    # a 200 with that body is malformed; the same body on a 403 is an error body
    doc = run_collect(server, ["groups"])
    assert doc["sources"]["groups"]["status"] == "error"
    from auditor.collect.fetching import parse_error_body

    assert parse_error_body(body.encode()) == ("", body[:200])


def test_the_cap_stops_reading_a_stream_once_past_it() -> None:
    """Streaming: the capped body pulls no more chunks from the socket than the cap needs."""
    from auditor.collect.httpcap import _Counted
    from auditor.collect.pagejson import ResponseTooLarge

    pulled: list[int] = []

    class Source:
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for i in range(4096):  # 256 MiB in 64 KiB chunks, if anyone asked for all of it
                pulled.append(i)
                yield b"x" * 65536

        async def aclose(self) -> None:
            pass

    async def read() -> int:
        total = 0
        async for chunk in _Counted(Source(), 1 << 20, None):
            total += len(chunk)
        return total

    with pytest.raises(ResponseTooLarge, match="larger than 1 MiB"):
        asyncio.run(read())
    assert len(pulled) == 17  # 16 chunks fill the MiB; the 17th passes it
