"""``recentAuditActivity``: the newest record of every audit feed, so policies can tell
whether logs are flowing now, not only whether logging is switched on.

The collection is one object with a key per feed; each feed keeps its own bookkeeping
(status, endpoint, error) beside the API's raw JSON, because one feed may be forbidden or
unlicensed while the others answer, and a policy must be able to say which and why::

    {
      "directoryAudits": {"status": "ok", "endpoint": "GET /v1.0/auditLogs/directoryAudits?...",
                          "retrievedAt": "...", "value": [<newest directoryAudit, raw>]},
      "signIns":         {"status": "forbidden", "httpStatus": 403, "error": "...", ...},
      "subscriptions":   {"status": "ok", "endpoint": "GET /api/v1.0/{tenantId}/.../list", ...},
      "contentTypes": {
        "Audit.Exchange": {"status": "ok", "endpoint": "...", "startTime": "...", "endTime": "...",
                           "count": 96, "newest": <newest content blob, raw> or null}
      }
    }

``value`` is Graph's own page (``$top=1`` newest first: zero or one record). A content
type is listed only when its subscription is ``enabled``; the window is the 24 hours
before collection, the longest the API allows. The collection's own status is ``ok``
when at least one feed answered; when none did it takes the first feed's failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any

from auditor.collect.catalog import ACTIVITY_FEED_DLP_PERMISSION, ACTIVITY_FEED_PERMISSION, Source
from auditor.collect.fetching import (
    CollectionResult,
    Deadline,
    Progress,
    RetryPolicy,
    SendFn,
    collect_pages,
    utc_now,
)
from auditor.collect.graph import first_url
from auditor.collect.mgmtactivity import content_endpoint, content_url, content_window

GRAPH_FEEDS = (
    ("directoryAudits", "/auditLogs/directoryAudits", "$orderby=activityDateTime desc"),
    ("signIns", "/auditLogs/signIns", "$orderby=createdDateTime desc"),
)


@dataclasses.dataclass(frozen=True)
class Channels:
    """Where the two APIs are and how to send to them."""

    graph_root: str
    graph_send: SendFn
    activity_root: str
    activity_send: SendFn
    tenant_id: str | None


def _part_source(source: Source, **changes: Any) -> Source:
    """One part, read (and its endpoint written) like a collection of its own API."""
    return dataclasses.replace(source, reader=changes["api"], **changes)


def _entry(result: CollectionResult) -> dict[str, Any]:
    entry = result.source_entry()
    entry.pop("count", None)
    return entry


def newest_blob(blobs: list[Any]) -> Any:
    """The blob with the latest ``contentCreated`` (ISO 8601 strings in UTC sort as text)."""
    dated = [b for b in blobs if isinstance(b, dict) and isinstance(b.get("contentCreated"), str)]
    return max(dated, key=lambda b: b["contentCreated"]) if dated else None


def enabled_types(subscriptions: list[Any]) -> list[str]:
    return sorted(
        {
            str(s["contentType"])
            for s in subscriptions
            if isinstance(s, dict)
            and isinstance(s.get("contentType"), str)
            and str(s.get("status", "")).lower() == "enabled"
        }
    )


async def collect_recent_activity(
    source: Source,
    channels: Channels,
    subscriptions: CollectionResult,
    policy: RetryPolicy,
    deadline: Deadline,
    progress: Progress,
    end: datetime | None = None,
) -> CollectionResult:
    """Read every feed's newest record into one object (see the module docstring).

    The feeds are independent, so their requests run concurrently (within the run's
    concurrency, which bounds collections, not requests: at most seven here).
    """

    async def graph_feed(path: str, query: str, key: str) -> CollectionResult:
        part = _part_source(
            source,
            api="graph",
            path=path,
            query=query,
            top=1,
            paged=False,
            permissions=("AuditLog.Read.All",),
        )
        url = first_url(channels.graph_root, part)
        return await collect_pages(
            part, url, channels.graph_send, policy, deadline, Progress(key), shape="list"
        )

    async def content_feed(content_type: str, start: str, stop: str, tenant_id: str) -> CollectionResult:
        needs = ACTIVITY_FEED_DLP_PERMISSION if content_type == "DLP.All" else ACTIVITY_FEED_PERMISSION
        part = _part_source(
            source, api="office365", path="/activity/feed/subscriptions/content", permissions=(needs,)
        )
        url = content_url(channels.activity_root, tenant_id, content_type, start, stop)
        result = await collect_pages(
            part, url, channels.activity_send, policy, deadline, Progress(content_type), shape="list"
        )
        return dataclasses.replace(result, endpoint=content_endpoint(content_type))

    types: list[str] = []
    start, stop = content_window(end or datetime.now(UTC))
    if subscriptions.status == "ok" and channels.tenant_id:
        types = enabled_types(subscriptions.data)
    tenant_id = channels.tenant_id or ""
    everything = await asyncio.gather(
        *(graph_feed(path, query, key) for key, path, query in GRAPH_FEEDS),
        *(content_feed(t, start, stop, tenant_id) for t in types),
    )
    graph_results, content_results = everything[: len(GRAPH_FEEDS)], everything[len(GRAPH_FEEDS) :]
    feeds: dict[str, Any] = {}
    for (key, _, _), result in zip(GRAPH_FEEDS, graph_results, strict=True):
        feeds[key] = {**_entry(result), **({"value": result.data} if result.status == "ok" else {})}
    feeds["subscriptions"] = _entry(subscriptions)
    content: dict[str, Any] = {}
    for content_type, result in zip(types, content_results, strict=True):
        entry = {**_entry(result), "startTime": start, "endTime": stop}
        if result.status == "ok":
            entry["count"] = len(result.data)
            entry["newest"] = newest_blob(result.data)
        content[content_type] = entry
    statuses = [*graph_results, *content_results]
    feeds["contentTypes"] = content
    progress.pages = sum(r.pages for r in statuses)
    progress.retries = sum(r.retries for r in statuses)
    progress.done = True
    parts = {
        **{k: feeds[k]["status"] for k, _, _ in GRAPH_FEEDS},
        "subscriptions": subscriptions.status,
        **{k: v["status"] for k, v in content.items()},
    }
    if not any(r.status == "ok" for r in statuses):
        first = statuses[0]
        progress.status = first.status
        errors = "; ".join(f"{k}: {feeds[k].get('error', first.status)}" for k, _, _ in GRAPH_FEEDS)
        return CollectionResult(
            source.name,
            first.status,
            source.endpoint,
            utc_now(),
            pages=progress.pages,
            retries=progress.retries,
            http_status=first.http_status,
            error=errors[:600],
            extra={"parts": parts},
        )
    progress.status, progress.objects = "ok", 1
    return CollectionResult(
        source.name,
        "ok",
        source.endpoint,
        utc_now(),
        data=feeds,
        count=1,
        pages=progress.pages,
        retries=progress.retries,
        extra={"parts": parts},
    )
