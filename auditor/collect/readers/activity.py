"""The Office 365 Management Activity API: the feed's subscriptions, and how fresh the audit
logs are (Graph's newest audit and sign-in records plus the newest content blob per feed)."""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.fetching import CollectionResult, collect_pages
from auditor.collect.mgmtactivity import (
    DEFAULT_ACTIVITY_URL,
    activity_scope,
    activity_sender,
    subscriptions_url,
)
from auditor.collect.readers.base import ReadContext, no_tenant
from auditor.collect.recentactivity import Channels, collect_recent_activity


class ActivityReader:
    """``GET /api/{version}/{tenantId}{path}`` on the Management Activity root."""

    @staticmethod
    def endpoint(source: Source) -> str:
        return f"GET /api/{source.version}/{{tenantId}}{source.path}"

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        if not ctx.tenant_id:
            return no_tenant(source)
        root = (ctx.options.activity_url or DEFAULT_ACTIVITY_URL).rstrip("/")
        send = activity_sender(ctx.http_for(activity_scope(root)))
        url = subscriptions_url(root, ctx.tenant_id, source)
        return await collect_pages(source, url, send, ctx.options.retry, ctx.deadline, ctx.progress)


class RecentActivityReader:
    """Several endpoints (``path`` lists them); the feed's subscriptions come from the collection
    named first in ``after``."""

    @staticmethod
    def endpoint(source: Source) -> str:
        return source.path

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        if not ctx.tenant_id:
            return no_tenant(source)
        root = (ctx.options.activity_url or DEFAULT_ACTIVITY_URL).rstrip("/")
        send = activity_sender(ctx.http_for(activity_scope(root)))
        subscriptions = await ctx.prerequisite(source.after[0])
        channels = Channels(ctx.root, ctx.graph.send, root, send, ctx.tenant_id)
        return await collect_recent_activity(
            source, channels, subscriptions, ctx.options.retry, ctx.deadline, ctx.progress
        )
