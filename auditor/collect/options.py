"""What a collection run is asked to do (:class:`CollectOptions`), shared by the runner and the readers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from auditor.collect.catalog import CATALOG, Source
from auditor.collect.dnstxt import TxtResolver
from auditor.collect.fetching import RetryPolicy
from auditor.collect.importer import ImportSpec


@dataclass(frozen=True)
class CollectOptions:
    """Everything a collection run needs besides the credential."""

    sources: tuple[Source, ...]
    graph_url: str | None = None
    exchange_url: str | None = None
    arm_url: str | None = None
    activity_url: str | None = None
    tenant_id: str | None = None
    concurrency: int = 6
    timeout: float = 100.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    imports: tuple[ImportSpec, ...] = ()
    sharepoint_url: str | None = None
    powerbi_url: str | None = None
    powerplatform_url: str | None = None
    #: answers DNS TXT lookups for ``dnsTxtRecords``; None = dnspython with the system's servers
    dns_resolver: TxtResolver | None = None
    #: permissions of the snapshot file (``--mode``; default 0600: it holds personal data)
    file_mode: int = 0o600
    #: every collection the run may read (the selected ones and what they read first), in the
    #: order of the snapshot; a copy with extra rows collects collections the built-in one lacks
    catalog: Mapping[str, Source] = field(default_factory=lambda: CATALOG)
