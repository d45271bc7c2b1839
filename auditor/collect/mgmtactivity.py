"""Office 365 Management Activity API: the feed a SIEM reads Microsoft 365 audit records from.

``GET {root}/api/v1.0/{tenantId}/activity/feed/subscriptions/list`` lists the tenant's
subscriptions, one per content type (``Audit.AzureActiveDirectory``, ``Audit.Exchange``,
``Audit.SharePoint``, ``Audit.General``, ``DLP.All``) with ``status`` ``enabled`` or
``disabled``; ``.../subscriptions/content?contentType=X&startTime=..&endTime=..`` lists the
content blobs published in a window of at most 24 hours, paged by a ``NextPageUri`` header.
The token's audience is ``https://manage.office.com`` (application permission
``ActivityFeed.Read`` of "Office 365 Management APIs"). Both answers are bare JSON arrays;
:func:`auditor.collect.fetching.odata_paged` presents them to the shared pager.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from auditor.collect.catalog import Source
from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import RawResponse, SendFn, odata_paged
from auditor.collect.graph import resource_scope

DEFAULT_ACTIVITY_URL = "https://manage.office.com"
ACTIVITY_SCOPE = "https://manage.office.com/.default"
#: the content types the API publishes; policies require all five by default
CONTENT_TYPES = (
    "Audit.AzureActiveDirectory",
    "Audit.Exchange",
    "Audit.SharePoint",
    "Audit.General",
    "DLP.All",
)
#: the API refuses windows longer than 24 hours
CONTENT_WINDOW = timedelta(hours=24)


def activity_scope(root: str) -> str:
    """``https://manage.office.com/.default`` (or the sovereign cloud's host)."""
    return resource_scope(root, ACTIVITY_SCOPE)


def api_root(root: str, tenant_id: str, version: str = "v1.0") -> str:
    return f"{root.rstrip('/')}/api/{version}/{tenant_id}"


def subscriptions_url(root: str, tenant_id: str, source: Source) -> str:
    return f"{api_root(root, tenant_id, source.version)}{source.path}"


def _api_time(moment: datetime) -> str:
    """The API's documented time format: UTC ``YYYY-MM-DDTHH:MM:SS`` (no zone suffix)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def content_window(end: datetime) -> tuple[str, str]:
    """(startTime, endTime) of the 24-hour window ending at ``end`` (UTC)."""
    return _api_time(end - CONTENT_WINDOW), _api_time(end)


def content_url(root: str, tenant_id: str, content_type: str, start: str, end: str) -> str:
    query = f"contentType={quote(content_type)}&startTime={start}&endTime={end}"
    return f"{api_root(root, tenant_id)}/activity/feed/subscriptions/content?{query}"


def content_endpoint(content_type: str) -> str:
    """The human-readable endpoint of one content listing, for bookkeeping."""
    return f"GET /api/v1.0/{{tenantId}}/activity/feed/subscriptions/content?contentType={content_type}"


def activity_sender(http: BearerHttp) -> SendFn:
    """GETs whose bare-array answers and ``NextPageUri`` headers the shared pager understands."""

    async def send(url: str) -> RawResponse:
        return await http.request("GET", url)

    return odata_paged(send, next_header="NextPageUri")
