"""The Power BI (Fabric) and Power Platform admin APIs (:mod:`auditor.collect.power`)."""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import CollectionResult, collect_pages
from auditor.collect.power import (
    DEFAULT_POWERBI_URL,
    DEFAULT_POWERPLATFORM_URL,
    power_sender,
    power_url,
    powerbi_scope,
    powerplatform_scope,
)
from auditor.collect.readers.base import ReadContext, failed


class PowerBiReader:
    """The Fabric admin API (``--powerbi-url``)."""

    @staticmethod
    def endpoint(source: Source) -> str:
        method = "POST" if source.path.endswith("/listTenantSettings") else "GET"
        return f"{method} {source.path}" + (f"?api-version={source.version}" if source.version else "")

    def client(self, ctx: ReadContext) -> tuple[str, BearerHttp]:
        root = (ctx.options.powerbi_url or DEFAULT_POWERBI_URL).rstrip("/")
        return root, ctx.http_for(powerbi_scope(root))

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        root, http = self.client(ctx)
        if "{tenantId}" in source.path and not ctx.tenant_id:
            return failed(source, ctx.progress, "the tenant id is unknown (give --tenant-id)")
        url = power_url(root, source, ctx.tenant_id or "")
        return await collect_pages(
            source, url, power_sender(http, source), ctx.policy, ctx.deadline, ctx.progress
        )


class PowerPlatformReader(PowerBiReader):
    """The Power Platform admin API (``--powerplatform-url``)."""

    def client(self, ctx: ReadContext) -> tuple[str, BearerHttp]:
        root = (ctx.options.powerplatform_url or DEFAULT_POWERPLATFORM_URL).rstrip("/")
        return root, ctx.http_for(powerplatform_scope(root))
