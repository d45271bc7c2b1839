"""The one interface every API reader has (:class:`Reader`) and what the runner hands it (:class:`ReadContext`).

A reader knows one API: its root URL and token audience, how a collection's endpoint is written
in the ``sources`` entry, and how its pages are read. The runner knows none of that: it picks the
reader a catalog row names (``Source.reader``) and calls :meth:`Reader.read`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from auditor.collect.catalog import Source
from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import CollectionResult, Deadline, Progress, RetryPolicy, utc_now
from auditor.collect.graph import GraphClient
from auditor.collect.options import CollectOptions
from auditor.collect.spool import Spool


@dataclass(frozen=True)
class ReadContext:
    """Everything one read may use, passed explicitly (readers keep no state between reads)."""

    options: CollectOptions
    #: the run's Graph client and root (Graph readers, and the Graph half of composite ones)
    graph: GraphClient
    root: str
    #: the run's retry policy with the per-request timeout filled in from ``--timeout``
    policy: RetryPolicy
    deadline: Deadline
    progress: Progress
    tenant_id: str | None
    #: the tenant source's data (``organization``), None while it is being read or when it failed
    tenant_data: list[Any] | None
    #: where list pages go (None: kept in memory, e.g. for a collection another one reads)
    spool: Spool | None
    #: one bearer-token HTTP client per token audience, shared by the run
    http_for: Callable[[str], BearerHttp]
    #: the result of a collection this one reads (``after``): this run's, or read now
    prerequisite: Callable[[str], Awaitable[CollectionResult]]
    #: whether a collection is selected in this run (not only read as a prerequisite)
    selected: Callable[[str], bool]


class Reader(Protocol):
    """Reads the collections of one API kind."""

    @staticmethod
    def endpoint(source: Source) -> str:
        """The human-readable endpoint recorded in the ``sources`` entry and printed by ``permissions``."""
        ...

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        """Read ``source``; failures the API reports become an error result, never an exception."""
        ...


def failed(source: Source, progress: Progress, error: str) -> CollectionResult:
    """A collection that could not be read: its progress line ends, and the reason is recorded."""
    progress.status, progress.done = "error", True
    return CollectionResult(
        source.name,
        "error",
        source.endpoint,
        utc_now(),
        pages=progress.pages,
        retries=progress.retries,
        error=error,
    )


def no_tenant(source: Source) -> CollectionResult:
    """The API's URL names the tenant, and no tenant id is known."""
    return CollectionResult(
        source.name, "error", source.endpoint, utc_now(), error="the tenant id is unknown (give --tenant-id)"
    )
