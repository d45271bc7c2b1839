"""Public DNS: the TXT records (SPF, DMARC, DKIM selectors) of the tenant's domains."""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.dnstxt import DnsLookupError, SystemResolver, domains_from, lookup_all, names_for
from auditor.collect.fetching import CollectionResult, utc_now
from auditor.collect.readers.base import ReadContext, failed


class DnsReader:
    """The domains come from the first collection in ``after`` selected in this run, else the last."""

    @staticmethod
    def endpoint(source: Source) -> str:
        return "DNS TXT"

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        name = next((n for n in source.after if ctx.selected(n)), source.after[-1])
        prerequisite = await ctx.prerequisite(name)
        domains = domains_from({name: prerequisite.data}) if prerequisite.status == "ok" else []
        if not domains:
            return failed(
                source, ctx.progress, f"no domain to look up: {name} is {prerequisite.status} or empty"
            )
        resolver = ctx.options.dns_resolver or SystemResolver(lifetime=min(30.0, ctx.options.timeout))
        try:
            records = await lookup_all(resolver, names_for(domains))
        except DnsLookupError as exc:
            return failed(source, ctx.progress, str(exc)[:300])
        progress = ctx.progress
        progress.status, progress.done, progress.objects = "ok", True, len(records)
        return CollectionResult(
            source.name,
            "ok",
            source.endpoint,
            utc_now(),
            data=records,
            count=len(records),
            extra={"domains": domains},
        )
