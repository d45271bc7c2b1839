"""A Graph-compatible HTTP server for tests: Graph v1.0 lists and singletons, the
Exchange admin API's InvokeCommand, Resource Manager diagnostic settings and Sentinel
data connectors, the Office 365 Management Activity API (``feeds``), the Power BI and
Power Platform admin APIs (``power``), with
paging by absolute ``@odata.nextLink``, ``$select``/``$top``, and injectable faults.

Runs in a thread (``ThreadingHTTPServer``) on 127.0.0.1 with a random port, or as a
process: ``python -m tests.graphserver --users 100000`` prints its URL.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from auditor.collect.catalog import CATALOG
from tests.graphserver.feeds import make_feeds, route
from tests.graphserver.power import make_power, power_route
from tests.graphserver.tenant import TENANT_ID, make_tenant

DEFAULT_PAGE = 100
MAX_TOP = 999
EXCHANGE_PAGE = 2


@dataclass
class Fault:
    """A fault for one collection. ``after`` requests pass first; ``times`` limits how
    often it fires (None: always)."""

    # status | timeout | malformed | html | empty_pages | foreign_link | trickle | redirect | echo | body | raw
    kind: str
    status: int = 500
    code: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: int = 0
    times: int | None = None
    fired: int = 0
    #: ``raw``: the 200 body's bytes, sent with ``headers`` (and ``Transfer-Encoding: chunked``,
    #: 64 KiB a chunk, without a Content-Length when ``chunked``)
    payload: bytes = b""
    chunked: bool = False

    @staticmethod
    def throttle(retry_after: float, times: int | None = 1, status: int = 429) -> Fault:
        return Fault(
            "status",
            status,
            "TooManyRequests" if status == 429 else "ServiceUnavailable",
            "Too many requests",
            {"Retry-After": str(retry_after)},
            times=times,
        )

    @staticmethod
    def forbidden() -> Fault:
        return Fault(
            "status", 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )

    @staticmethod
    def licence() -> Fault:
        return Fault(
            "status",
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        )


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test) is expected: no traceback on stderr for it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class GraphServer:
    """Owns the tenant data, the faults and the log of requests seen."""

    def __init__(
        self, users: int = 50, token: str = "test-token", seed: int = 7, cache_pages: bool = False
    ) -> None:
        # feeds: audit logs, Sentinel; power: the Power BI and Power Platform admin APIs
        self.tenant = {**make_tenant(users, seed), **make_feeds(), **make_power()}
        self.power_isolation_unset = False  # serve the isolation policy as never configured (null)
        self.token = token
        self.faults: dict[str, Fault] = {}
        self.requests: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.in_flight = 0
        self.max_top: dict[str, int] = {}  # per collection: a larger $top is refused with a 400
        self.max_in_flight = 0
        self.reject_select: set[str] = set()  # collections whose $select is refused with a 400
        self.cache_pages = cache_pages
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.by_path = {
            f"/{s.version}{s.path}": s.name
            for s in CATALOG.values()
            if s.api == "graph" and s.fan_out is None  # fan-out sources: see _library_get
        }
        self.by_cmdlet = {s.path: s.name for s in CATALOG.values() if s.api == "exchange"}
        handler = type("Handler", (_Handler,), {"app": self})
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> GraphServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> GraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_fault(self, name: str, fault: Fault) -> None:
        self.faults[name] = fault

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def take_fault(self, name: str) -> Fault | None:
        with self._lock:
            n = self.counts.get(name, 0)
            self.counts[name] = n + 1
            fault = self.faults.get(name)
            if fault is None or fault.kind == "empty_pages" or n < fault.after:
                return None
            if fault.times is not None and fault.fired >= fault.times:
                return None
            fault.fired += 1
            return fault


class _Handler(BaseHTTPRequestHandler):
    app: GraphServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms per page
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        body = {
            "error": {
                "code": code,
                "message": message,
                "innerError": {"date": "2026-11-23T12:00:00", "request-id": "00000000-0000"},
            }
        }
        self._send(status, json.dumps(body).encode(), headers)

    def _authorized(self) -> bool:
        ok = self.headers.get("Authorization") == f"Bearer {self.app.token}"
        if not ok:
            self._error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        return ok

    def _apply_fault(self, name: str) -> bool:
        """True when the fault produced the whole response."""
        fault = self.app.take_fault(name)
        if fault is None:
            return False
        if fault.kind == "timeout":
            time.sleep(fault.delay)
            return False  # then answer normally (the client has long given up)
        if fault.kind == "status":
            self._error(fault.status, fault.code, fault.message, fault.headers)
        elif fault.kind == "malformed":
            self._send(200, b'{"value": [{"id": "1", "displayName": ')
        elif fault.kind == "foreign_link":  # a nextLink to another host must not receive the token
            self._send(
                200,
                json.dumps(
                    {
                        "value": [{"id": "x"}],
                        "@odata.nextLink": "https://attacker.example/v1.0/users?$skiptoken=1",
                    }
                ).encode(),
            )
        elif fault.kind == "trickle":  # headers at once, then one byte every `delay` seconds
            body = json.dumps({"value": [{"id": "slow"}] * 20}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(fault.delay)
            except OSError:  # the client gave up, as it should
                pass
            self.close_connection = True
        elif fault.kind == "redirect":  # `message` is the Location (another host)
            self.send_response(fault.status if fault.status in (301, 302, 303, 307, 308) else 302)
            self.send_header("Location", fault.message)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif fault.kind == "body":  # `message` is sent as a 200 body, verbatim
            self._send(200, fault.message.encode("utf-8"))
        elif fault.kind == "raw":
            self._raw(fault)
        elif fault.kind == "echo":  # an error text that repeats what the client sent
            echoed = f"{fault.message} (request headers: Authorization: {self.headers.get('Authorization')})"
            self._error(fault.status, fault.code, echoed, fault.headers)
        elif fault.kind == "html":
            self._send(
                200, b"<html><body>Service temporarily unavailable</body></html>", content_type="text/html"
            )
        return True

    def _raw(self, fault: Fault) -> None:
        """``fault.payload`` as a 200 answer, whole or chunked; a client that hangs up ends it."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        for k, v in fault.headers.items():
            self.send_header(k, v)
        if not fault.chunked:
            self.send_header("Content-Length", str(len(fault.payload)))
            self.end_headers()
            self.wfile.write(fault.payload)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for at in range(0, len(fault.payload), 1 << 16):
                piece = fault.payload[at : at + (1 << 16)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client stopped reading, as it should past its cap
            pass
        self.close_connection = True

    def _record(self, body: bytes | None = None) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        self.app.requests.append(
            {
                "method": self.command,
                "path": parts.path,
                "query": query,
                "body": body,
                "authorized": self.headers.get("Authorization") == f"Bearer {self.app.token}",
            }
        )
        return parts.path, query

    def _page(
        self,
        name: str,
        items: list[Any],
        base: str,
        query: dict[str, list[str]],
        size: int,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        token = query.get("$skiptoken", ["0"])[0]
        empty_phase = token.endswith("e")
        offset = int(token.rstrip("e"))
        fault = self.app.faults.get(name)
        keep = {k: v[0] for k, v in query.items() if k not in ("$skiptoken",)}
        if extra:
            keep.update(extra)

        def link(tok: str) -> str:
            return f"{self.app.url}{base}?{urlencode({**keep, '$skiptoken': tok})}"

        doc: dict[str, Any] = {"@odata.context": f"{self.app.url}/v1.0/$metadata#{name}"}
        if fault is not None and fault.kind == "empty_pages" and not empty_phase:
            doc["value"] = []
            doc["@odata.nextLink"] = link(f"{offset}e")
            return doc
        page = items[offset : offset + size]
        select = query.get("$select", [""])[0]
        if select:
            # like Graph, items of a polymorphic collection keep their @odata.type under $select
            fields = ["@odata.type", *select.split(",")]
            page = [{k: item[k] for k in fields if k in item} for item in page]
        doc["value"] = page
        if offset + size < len(items):
            doc["@odata.nextLink"] = link(str(offset + size))
        elif fault is not None and fault.kind == "empty_pages" and offset < len(items):
            doc["@odata.nextLink"] = link(str(len(items)))  # then trailing empty pages, still linked
        return doc

    def do_GET(self) -> None:
        self.app.enter()
        try:
            self._get()
        finally:
            self.app.leave()

    def do_POST(self) -> None:
        self.app.enter()
        try:
            self._post()
        finally:
            self.app.leave()

    def _get(self) -> None:
        path, query = self._record()
        if not self._authorized():
            return
        if route(self, path, query):  # Management Activity API, /auditLogs, Sentinel connectors
            return
        if power_route(self, "GET", path, query):  # Power BI (Fabric) and Power Platform admin APIs
            return
        if path == "/providers/microsoft.aadiam/diagnosticSettings":
            name = "entraDiagnosticSettings"
            if self._apply_fault(name):
                return
            if query.get("api-version") != ["2017-04-01-preview"]:
                self._error(400, "InvalidApiVersionParameter", "The api-version is invalid.")
                return
            self._send(200, json.dumps({"value": self.app.tenant[name]}).encode())
            return
        if self._library_get(path, query):
            return
        if path.startswith("/v1.0/groups/"):
            self._group(path, query)
            return
        found = self.app.by_path.get(path)
        if found is None:
            self._error(400, "BadRequest", f"Resource not found for the segment '{path.rsplit('/', 1)[-1]}'.")
            return
        name = found
        if self._apply_fault(name):
            return
        key = self.path
        if self.app.cache_pages and key in self.app._cache:
            self._send(200, self.app._cache[key])
            return
        data = self.app.tenant[name]
        if isinstance(data, dict):
            body = json.dumps(
                {"@odata.context": f"{self.app.url}/v1.0/$metadata#{name}/$entity", **data}
            ).encode()
        else:
            items = data
            if name == "roleManagementPolicyAssignments":
                flt = query.get("$filter", [""])[0]
                if flt != "scopeId eq '/' and scopeType eq 'DirectoryRole'":
                    self._error(400, "BadRequest", "The filter scopeId and scopeType is required.")
                    return
            top = int(query.get("$top", [str(DEFAULT_PAGE)])[0])
            if top > self.app.max_top.get(name, MAX_TOP):
                self._error(400, "Request_UnsupportedQuery", f"Invalid page size specified: '{top}'.")
                return
            body = json.dumps(self._page(name, items, path, query, top)).encode()
        if self.app.cache_pages:
            self.app._cache[key] = body
        self._send(200, body)

    def _library_get(self, path: str, query: dict[str, list[str]]) -> bool:
        """Endpoints of the library's collections that are not one Graph path per collection."""
        flt = query.get("$filter", [""])[0]
        tenant = self.app.tenant
        if path == "/_api/SPO.Tenant":
            if not self._apply_fault("sharepointTenant"):
                body = {"odata.metadata": f"{self.app.url}/_api/$metadata#SP.ApiData.Tenants/@Element"}
                self._send(200, json.dumps({**body, **tenant["sharepointTenant"]}).encode())
            return True
        if path == "/v1.0/groups" and flt:
            if flt != "isAssignableToRole eq true":
                self._error(400, "Request_UnsupportedQuery", "Unsupported filter.")
            else:
                items = [g for g in tenant["groups"] if g.get("isAssignableToRole")]
                self._send(200, json.dumps(self._page("groups", items, path, query, DEFAULT_PAGE)).encode())
            return True
        if path == "/v1.0/policies/roleManagementPolicyAssignments" and "scopeType eq 'Group'" in flt:
            name = "groupRoleManagementPolicyAssignments"
            if self._apply_fault(name):
                return True
            scope = flt.split("'")[1] if flt.startswith("scopeId eq '") else ""
            items = [a for a in tenant[name] if a["scopeId"] == scope]
            self._send(200, json.dumps(self._page(name, items, path, query, DEFAULT_PAGE)).encode())
            return True
        prefix = "/v1.0/policies/appManagementPolicies"
        if path == prefix or (path.startswith(prefix + "/") and path.endswith("/appliesTo")):
            name = "appManagementPolicies"
            if self._apply_fault(name):
                return True
            if path == prefix:
                items = [{k: v for k, v in p.items() if k != "appliesTo"} for p in tenant[name]]
            else:
                policy_id = path[len(prefix) + 1 : -len("/appliesTo")]
                found = [p["appliesTo"] for p in tenant[name] if p["id"] == policy_id]
                if not found:
                    self._error(404, "Request_ResourceNotFound", f"Resource '{policy_id}' does not exist.")
                    return True
                items = found[0]
            self._send(200, json.dumps(self._page(name, items, path, query, DEFAULT_PAGE)).encode())
            return True
        return False

    def _group(self, path: str, query: dict[str, list[str]]) -> None:
        """``/groups/{id}`` (does this object exist as a group?) and ``/groups/{id}/transitiveMembers``."""
        parts = path.split("/")  # "", "v1.0", "groups", id[, "transitiveMembers"]
        members: dict[str, list[Any]] = self.app.tenant["groupMembers"]
        group_id = parts[3]
        exists = group_id in members or any(g["id"] == group_id for g in self.app.tenant["groups"])
        if len(parts) == 4:
            if self._apply_fault("groupLookup"):
                return
            if not exists:
                self._error(404, "Request_ResourceNotFound", f"Resource '{group_id}' does not exist.")
                return
            body = {"@odata.context": f"{self.app.url}/v1.0/$metadata#groups(id)/$entity", "id": group_id}
            self._send(200, json.dumps(body).encode())
            return
        if len(parts) != 5 or parts[4] != "transitiveMembers":
            self._error(400, "BadRequest", f"Resource not found for the segment '{parts[-1]}'.")
            return
        name = "groupMembers"
        if self._apply_fault(name):
            return
        if not exists:
            self._error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{group_id}' does not exist or one of its queried reference-property objects "
                "are not present.",
            )
            return
        top = int(query.get("$top", [str(DEFAULT_PAGE)])[0])
        if top > self.app.max_top.get(name, MAX_TOP):
            self._error(400, "Request_UnsupportedQuery", f"Invalid page size specified: '{top}'.")
            return
        if query.get("$select") and name in self.app.reject_select:
            self._error(400, "Request_BadRequest", "Could not find a property named 'userPrincipalName'.")
            return
        doc = self._page(name, members.get(group_id, []), path, query, top)
        doc["@odata.context"] = f"{self.app.url}/v1.0/$metadata#directoryObjects"
        self._send(200, json.dumps(doc).encode())

    def _post(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path, query = self._record(raw)
        if not self._authorized():
            return
        if power_route(self, "POST", path, query):  # listTenantSettings reads with a POST
            return
        if not (path.startswith("/adminapi/beta/") and path.endswith("/InvokeCommand")):
            self._error(404, "NotFound", "No such endpoint.")
            return
        tenant = path.split("/")[3]
        try:
            cmdlet = json.loads(raw)["CmdletInput"]["CmdletName"]
        except (ValueError, KeyError, TypeError):
            self._error(400, "BadRequest", "CmdletInput is required.")
            return
        name = self.app.by_cmdlet.get(cmdlet)
        if tenant != TENANT_ID or name is None:
            self._error(400, "BadRequest", f"The term '{cmdlet}' is not recognized as a cmdlet.")
            return
        if self._apply_fault(name):
            return
        doc = self._page(name, self.app.tenant[name], path, query, EXCHANGE_PAGE)
        doc["@odata.context"] = (
            f"{self.app.url}/adminapi/beta/$metadata#Collection(Exchange.GenericHashTable)"
        )
        self._send(200, json.dumps(doc).encode())
