"""The test server's audit feeds: Graph ``/auditLogs``, the Office 365 Management Activity
API and Microsoft Sentinel data connectors (Resource Manager), in their real JSON shapes.

Timestamps are relative to the moment the data is made, so that "the newest record is a
few minutes old" holds whenever a test runs. The Management Activity API answers with bare
JSON arrays and pages with a ``NextPageUri`` header; Resource Manager pages with
``nextLink``; both checked as strictly as the real services check them (content type
subscribed, window at most 24 hours, api-version).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tests.graphserver.tenant import TENANT_ID

if TYPE_CHECKING:
    from tests.graphserver.server import _Handler

CONTENT_TYPES = (
    "Audit.AzureActiveDirectory",
    "Audit.Exchange",
    "Audit.SharePoint",
    "Audit.General",
    "DLP.All",
)
WORKSPACE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/soc/"
    "providers/Microsoft.OperationalInsights/workspaces/sentinel"
)
CONTENT_PAGE = 3
CONNECTOR_PAGE = 1
SENTINEL_API = "2024-03-01"
ACTIVITY_PREFIX = f"/api/v1.0/{TENANT_ID}/activity/feed/subscriptions/"
CONNECTORS_SUFFIX = "/providers/microsoft.securityinsights/dataconnectors"


def _ts(moment: datetime, ms: bool = False) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if ms else "Z")


def make_feeds(now: datetime | None = None) -> dict[str, Any]:
    """Subscriptions, audit records, content blobs and connectors, newest a few minutes old."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    audits = [
        {
            "id": f"Directory_{i:04d}",
            "category": "UserManagement",
            "correlationId": f"00000000-0000-0000-0000-{i:012d}",
            "result": "success",
            "resultReason": "",
            "activityDisplayName": "Update user",
            "activityDateTime": _ts(now - timedelta(minutes=7 + 31 * i)),
            "loggedByService": "Core Directory",
            "operationType": "Update",
            "initiatedBy": {"app": None, "user": {"id": "u1", "userPrincipalName": "admin@contoso.example"}},
            "targetResources": [],
            "additionalDetails": [],
        }
        for i in (3, 0, 2, 1)  # deliberately not in time order: the server sorts
    ]
    sign_ins = [
        {
            "id": f"66ea54eb-6301-4ee5-be62-ff5a759b{i:04d}",
            "createdDateTime": _ts(now - timedelta(minutes=2 + 13 * i)),
            "userPrincipalName": f"user{i}@contoso.example",
            "appDisplayName": "Office 365 Exchange Online",
            "clientAppUsed": "Browser",
            "conditionalAccessStatus": "success",
            "isInteractive": True,
            "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": None},
        }
        for i in (1, 0, 2)
    ]
    subscriptions = [
        {"contentType": t, "status": "enabled", "webhook": None} for t in CONTENT_TYPES if t != "DLP.All"
    ] + [{"contentType": "DLP.All", "status": "disabled", "webhook": None}]
    content: dict[str, list[dict[str, Any]]] = {}
    for n, content_type in enumerate(CONTENT_TYPES):
        blobs = []
        for k in range(7 + n):  # one blob every 40 minutes, newest 5 + n minutes old
            created = now - timedelta(minutes=5 + n + 40 * k)
            blob_id = (
                f"20261130{k:04d}$20261130{k:04d}${content_type.lower().replace('.', '_')}$Audit_$emea0026"
            )
            blobs.append(
                {
                    "contentType": content_type,
                    "contentId": blob_id,
                    "contentUri": f"https://manage.office.com/api/v1.0/{TENANT_ID}/activity/feed/audit/{blob_id}",
                    "contentCreated": _ts(created, ms=True),
                    "contentExpiration": _ts(created + timedelta(days=7), ms=True),
                }
            )
        content[content_type] = blobs
    connectors = [
        {
            "id": f"{WORKSPACE}/providers/Microsoft.SecurityInsights/dataConnectors/{guid}",
            "name": guid,
            "etag": '"0300bf09-0000-0000-0000-5c37296e0000"',
            "type": "Microsoft.SecurityInsights/dataConnectors",
            "kind": kind,
            "properties": properties,
        }
        for guid, kind, properties in (
            (
                "73e01a99-5cd7-4139-a149-9f2736ff2ab5",
                "Office365",
                {
                    "tenantId": TENANT_ID,
                    "dataTypes": {
                        "exchange": {"state": "Enabled"},
                        "sharePoint": {"state": "Enabled"},
                        "teams": {"state": "Enabled"},
                    },
                },
            ),
            (
                "f0cd27d2-5f03-4c06-ba31-d2dc82dcb51d",
                "AzureActiveDirectory",
                {"tenantId": TENANT_ID, "dataTypes": {"alerts": {"state": "Enabled"}}},
            ),
        )
    ]
    return {
        "managementActivitySubscriptions": subscriptions,
        "directoryAudits": audits,
        "signIns": sign_ins,
        "activityContent": content,
        "sentinelDataConnectors": connectors,
        "sentinelWorkspaces": {WORKSPACE.lower(): connectors},
    }


def _activity_error(handler: _Handler, status: int, code: str, message: str) -> None:
    handler._send(status, json.dumps({"error": {"code": code, "message": message}}).encode())


def _parse_time(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def serve_activity(handler: _Handler, path: str, query: dict[str, list[str]]) -> None:
    """``/api/v1.0/{tenant}/activity/feed/subscriptions/{list|content}``."""
    app = handler.app
    if path.startswith("/api/v1.0/") and not path.startswith(ACTIVITY_PREFIX):
        _activity_error(handler, 400, "AF10001", "The tenant ID in the request does not match the token.")
        return
    what = path[len(ACTIVITY_PREFIX) :]
    if what == "list":
        if handler._apply_fault("managementActivitySubscriptions"):
            return
        handler._send(200, json.dumps(app.tenant["managementActivitySubscriptions"]).encode())
        return
    if what != "content":
        _activity_error(handler, 404, "AF20001", "No such operation.")
        return
    content_type = query.get("contentType", [""])[0]
    if handler._apply_fault(f"content:{content_type}"):
        return
    enabled = {
        s["contentType"] for s in app.tenant["managementActivitySubscriptions"] if s["status"] == "enabled"
    }
    if content_type not in enabled:
        _activity_error(handler, 400, "AF20022", "No subscription found for the specified content type")
        return
    start = _parse_time(query.get("startTime", [""])[0])
    end = _parse_time(query.get("endTime", [""])[0])
    if start is None or end is None or not timedelta(0) < end - start <= timedelta(hours=24):
        _activity_error(
            handler, 400, "AF20055", "Start time and end time must both be specified, at most 24 hours apart."
        )
        return
    blobs = [
        b
        for b in app.tenant["activityContent"].get(content_type, [])
        if start <= datetime.strptime(b["contentCreated"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) < end
    ]
    offset = int(query.get("nextPage", ["0"])[0])
    page = blobs[offset : offset + CONTENT_PAGE]
    headers = {}
    if offset + CONTENT_PAGE < len(blobs):
        keep = {k: v[0] for k, v in query.items() if k != "nextPage"}
        headers["NextPageUri"] = f"{app.url}{path}?{urlencode({**keep, 'nextPage': offset + CONTENT_PAGE})}"
    handler._send(200, json.dumps(page).encode(), headers)


def serve_audit_logs(handler: _Handler, name: str, query: dict[str, list[str]]) -> None:
    """Graph ``/auditLogs/directoryAudits`` and ``/auditLogs/signIns`` with $top and $orderby."""
    if handler._apply_fault(f"recentAuditActivity.{name}"):
        return
    field = "activityDateTime" if name == "directoryAudits" else "createdDateTime"
    records = list(handler.app.tenant[name])
    order = query.get("$orderby", [""])[0]
    if order not in ("", field, f"{field} asc", f"{field} desc"):
        handler._error(400, "Request_UnsupportedQuery", f"Unsupported orderby: {order}")
        return
    records.sort(key=lambda r: str(r[field]), reverse=order != f"{field} asc")
    top = int(query.get("$top", ["1000"])[0])
    context = f"{handler.app.url}/v1.0/$metadata#auditLogs/{name}"
    handler._send(200, json.dumps({"@odata.context": context, "value": records[:top]}).encode())


def serve_connectors(handler: _Handler, path: str, query: dict[str, list[str]]) -> None:
    """``{workspaceId}/providers/Microsoft.SecurityInsights/dataConnectors`` (ARM, nextLink paging)."""
    if handler._apply_fault("sentinelDataConnectors"):
        return
    if query.get("api-version") != [SENTINEL_API]:
        handler._error(400, "InvalidApiVersionParameter", "The api-version is invalid.")
        return
    workspace = path[: -len(CONNECTORS_SUFFIX)].lower()
    connectors = handler.app.tenant["sentinelWorkspaces"].get(workspace)
    if connectors is None:
        handler._error(404, "ResourceNotFound", f"The workspace '{workspace}' was not found.")
        return
    offset = int(query.get("$skipToken", ["0"])[0])
    doc: dict[str, Any] = {"value": connectors[offset : offset + CONNECTOR_PAGE]}
    if offset + CONNECTOR_PAGE < len(connectors):
        doc["nextLink"] = (
            f"{handler.app.url}{path}?{urlencode({'api-version': SENTINEL_API, '$skipToken': offset + CONNECTOR_PAGE})}"
        )
    handler._send(200, json.dumps(doc).encode())


def route(handler: _Handler, path: str, query: dict[str, list[str]]) -> bool:
    """Serve the request if it is one of the feeds; False when it is not ours."""
    if path.startswith("/api/"):
        serve_activity(handler, path, query)
    elif path in ("/v1.0/auditLogs/directoryAudits", "/v1.0/auditLogs/signIns"):
        serve_audit_logs(handler, path.rsplit("/", 1)[1], query)
    elif path.lower().endswith(CONNECTORS_SUFFIX):
        serve_connectors(handler, path, query)
    else:
        return False
    return True
