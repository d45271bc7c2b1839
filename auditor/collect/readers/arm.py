"""Azure Resource Manager: tenant-level lists, and Sentinel's data connectors per workspace."""

from __future__ import annotations

from auditor.collect.arm import DEFAULT_ARM_URL, arm_scope, arm_sender, arm_url
from auditor.collect.catalog import Source
from auditor.collect.fetching import CollectionResult, collect_pages
from auditor.collect.readers.base import ReadContext
from auditor.collect.sentinel import collect_connectors, sentinel_sender


class ArmReader:
    """``GET {path}?api-version={version}`` on the Resource Manager root."""

    @staticmethod
    def endpoint(source: Source) -> str:
        return f"GET {source.path}?api-version={source.version}"

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        root = (ctx.options.arm_url or DEFAULT_ARM_URL).rstrip("/")
        http = ctx.http_for(arm_scope(root))
        return await collect_pages(
            source,
            arm_url(root, source),
            arm_sender(http),
            ctx.policy,
            ctx.deadline,
            ctx.progress,
            spool=ctx.spool,
        )


class SentinelReader(ArmReader):
    """``{workspaceId}`` is each Log Analytics workspace that the diagnostic settings named first in
    ``after`` send logs to."""

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        root = (ctx.options.arm_url or DEFAULT_ARM_URL).rstrip("/")
        settings = await ctx.prerequisite(source.after[0])
        send = sentinel_sender(ctx.http_for(arm_scope(root)))
        return await collect_connectors(
            source, root, send, settings, ctx.options.retry, ctx.deadline, ctx.progress
        )
