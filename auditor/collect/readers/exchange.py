"""The Exchange Online admin API: one cmdlet per collection through ``InvokeCommand``."""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.exchange import DEFAULT_EXCHANGE_URL, cmdlet_sender, exchange_scope, invoke_url
from auditor.collect.fetching import CollectionResult, collect_pages
from auditor.collect.readers.base import ReadContext, no_tenant


class ExchangeReader:
    """``path`` is the cmdlet; the URL names the tenant."""

    @staticmethod
    def endpoint(source: Source) -> str:
        return f"POST /adminapi/{source.version}/{{tenantId}}/InvokeCommand {source.path}"

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        root = (ctx.options.exchange_url or DEFAULT_EXCHANGE_URL).rstrip("/")
        if not ctx.tenant_id:
            return no_tenant(source)
        http = ctx.http_for(exchange_scope(root))
        return await collect_pages(
            source,
            invoke_url(root, ctx.tenant_id),
            cmdlet_sender(http, source),
            ctx.policy,
            ctx.deadline,
            ctx.progress,
            spool=ctx.spool,
        )
