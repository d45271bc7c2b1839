"""Collections no API serves to an application: recorded ``not_supported`` with the export line."""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.fetching import CollectionResult, utc_now
from auditor.collect.readers.base import ReadContext


class ImportReader:
    """Reads nothing: ``auditor import`` (or ``collect --import``) brings the PowerShell export in."""

    @staticmethod
    def endpoint(source: Source) -> str:
        return f"import only: {source.import_command}"

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        ctx.progress.status, ctx.progress.done = "not_supported", True
        return CollectionResult(
            source.name,
            "not_supported",
            source.endpoint,
            utc_now(),
            error=f"no API serves this to an application; export it with `{source.import_command}` "
            f"and add it with `auditor import SNAPSHOT {source.name}={source.name}.json`",
        )
