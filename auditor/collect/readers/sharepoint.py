"""The SharePoint admin REST endpoint (``https://{tenant}-admin.sharepoint.com``)."""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.fetching import CollectionResult, collect_pages
from auditor.collect.readers.base import ReadContext, failed
from auditor.collect.sharepoint import (
    admin_url_from_organization,
    sharepoint_scope,
    sharepoint_sender,
    tenant_url,
)


class SharePointReader:
    """The admin host is ``--sharepoint-url``, else derived from the tenant's initial domain."""

    @staticmethod
    def endpoint(source: Source) -> str:
        return f"GET https://{{tenant}}-admin.sharepoint.com{source.path}"

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        root = ctx.options.sharepoint_url or admin_url_from_organization(ctx.tenant_data)
        if not root:
            return failed(
                source,
                ctx.progress,
                "the SharePoint admin host is unknown (no initial onmicrosoft.com domain in "
                "organization; give --sharepoint-url)",
            )
        http = ctx.http_for(sharepoint_scope(root))
        return await collect_pages(
            source,
            tenant_url(root, source.path),
            sharepoint_sender(http),
            ctx.options.retry,
            ctx.deadline,
            ctx.progress,
        )
