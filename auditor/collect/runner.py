"""Run a collection: resolve the tenant, fetch every selected source concurrently, write.

The stages hand frozen values to each other: :class:`CollectOptions` in,
:class:`CollectionResult` per source, and the snapshot document out. One failing
collection never stops the others, and a failed collection gets a ``sources`` entry and
no ``data`` entry, so nothing downstream can mistake it for real data.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.collect.auth import AuthSetup, auth_failure
from auditor.collect.catalog import CATALOG, TENANT_SOURCE, Source
from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import CollectionResult, Deadline, Progress, utc_now
from auditor.collect.graph import GraphClient, GraphClientConfig, cloud_name, graph_root, resource_scope
from auditor.collect.importer import apply_imports, load_import
from auditor.collect.options import CollectOptions
from auditor.collect.progress import LineReporter, Reporter
from auditor.collect.readers import ReadContext, build_readers
from auditor.collect.readers.base import failed
from auditor.collect.spool import LocalWriteError, Spool, SpooledList
from auditor.errors import InputError

__all__ = [
    "CollectOptions",
    "Collector",
    "TenantInfo",
    "build_document",
    "collect",
    "tenant_from_organization",
]


def prerequisites(catalog: Mapping[str, Source]) -> frozenset[str]:
    """Collections the run itself reads (their data must stay in memory, never in a spool file):
    the tenant source, and every collection another one reads first (``after``)."""
    return frozenset({TENANT_SOURCE}) | {name for source in catalog.values() for name in source.after}


#: :func:`prerequisites` of the built-in catalog
PREREQUISITES = prerequisites(CATALOG)


@dataclass(frozen=True)
class TenantInfo:
    id: str
    display_name: str | None
    default_domain: str | None

    def block(self) -> dict[str, Any]:
        return {"id": self.id, "displayName": self.display_name, "defaultDomain": self.default_domain}


def tenant_from_organization(org: list[Any]) -> TenantInfo | None:
    """The ``tenant`` block from ``/organization`` (id, name, default verified domain)."""
    if not org or not isinstance(org[0], dict):
        return None
    first = org[0]
    domain = None
    for d in first.get("verifiedDomains") or []:
        if isinstance(d, dict) and d.get("isDefault"):
            domain = d.get("name")
    return TenantInfo(str(first.get("id") or ""), first.get("displayName"), domain)


class Collector:
    """Owns the clients of one run and fetches sources with bounded concurrency."""

    def __init__(
        self,
        auth: AuthSetup,
        options: CollectOptions,
        reporter: Reporter | None = None,
        spool: Spool | None = None,
    ) -> None:
        self.auth = auth
        #: where list collections go page by page (None: kept in memory)
        self.spool = spool
        self.options = options
        self.reporter = reporter or LineReporter(quiet=True)
        self.deadline = Deadline(options.retry.budget_seconds)
        self.root = graph_root(options.graph_url)
        self.graph = GraphClient(
            auth.credential,
            GraphClientConfig(
                root=self.root,
                scope=resource_scope(self.root, "https://graph.microsoft.com/.default"),
                timeout=options.timeout,
                max_connections=max(4, options.concurrency * 2),
            ),
        )
        self._bearer: dict[str, BearerHttp] = {}
        self.progress: dict[str, Progress] = {s.name: Progress(s.name) for s in options.sources}
        self.done: dict[str, CollectionResult] = {}
        self.pending: dict[str, asyncio.Task[CollectionResult]] = {}
        self.org_data: list[Any] | None = None  # the tenant source's data (e.g. the SharePoint admin host)
        self.catalog = options.catalog
        self.prerequisites = prerequisites(self.catalog)
        self.readers = build_readers()

    def _http_for(self, scope: str) -> BearerHttp:
        if scope not in self._bearer:
            self._bearer[scope] = BearerHttp(self.auth.credential, scope, self.options.timeout)
        return self._bearer[scope]

    async def fetch(
        self, source: Source, tenant_id: str | None, progress: Progress | None = None
    ) -> CollectionResult:
        """Read one collection with the reader its catalog row names."""
        progress = progress or self.progress.setdefault(source.name, Progress(source.name))
        policy = self.options.retry
        if policy.request_seconds is None:
            policy = dataclasses.replace(policy, request_seconds=self.options.timeout)

        async def prerequisite(name: str) -> CollectionResult:
            return await self._prerequisite(name, tenant_id)

        ctx = ReadContext(
            options=self.options,
            graph=self.graph,
            root=self.root,
            policy=policy,
            deadline=self.deadline,
            progress=progress,
            tenant_id=tenant_id,
            tenant_data=self.org_data,
            # a collection the run itself reads stays in memory, never in a spool file
            spool=self.spool if source.name not in self.prerequisites else None,
            http_for=self._http_for,
            prerequisite=prerequisite,
            selected=self.pending.__contains__,
        )
        try:
            return await self.readers[source.reader].read(source, ctx)
        except LocalWriteError:
            raise  # this machine's disk, not the tenant: the run ends (exit 2), nothing recorded
        except Exception as exc:
            # e.g. azure-identity cannot get a token for this resource; say so, without a trace
            message = " ".join(str(exc).split())[:300] or type(exc).__name__
            return failed(source, progress, f"{type(exc).__name__}: {message}")

    async def _prerequisite(self, name: str, tenant_id: str | None) -> CollectionResult:
        """A collection another one reads: this run's result, or fetched now if not selected."""
        if name not in self.done:
            if name in self.pending:  # selected too: wait for this run's own fetch
                self.done[name] = await asyncio.shield(self.pending[name])
            else:  # its own Progress: the display lists the selected collections only
                self.done[name] = await self.fetch(self.catalog[name], tenant_id, Progress(name))
        return self.done[name]

    async def check_credential(self) -> None:
        """Get the Graph token once, up front: a wrong secret is one clear error, not 31."""
        try:
            await asyncio.to_thread(self.auth.credential.get_token, self.graph.scope)
        except Exception as exc:
            raise InputError(auth_failure(self.auth.mode, exc)) from None

    async def _ticker(self) -> None:
        while True:
            self.reporter.refresh()
            await asyncio.sleep(0.25)

    async def run(self) -> tuple[TenantInfo, list[CollectionResult]]:
        """Fetch ``/organization`` first (it names the tenant), then everything else."""
        self.reporter.start(self.progress.values())
        ticker = asyncio.create_task(self._ticker())
        try:
            await self.check_credential()
            org_source = self.catalog[TENANT_SOURCE]
            org = await self.fetch(org_source, None)
            if org.http_status == 401:  # the token itself was refused: nothing else can succeed
                raise InputError(
                    auth_failure(self.auth.mode, RuntimeError(f"Graph refused the token. {org.error}"))
                )
            tenant = tenant_from_organization(org.data) if org.status == "ok" else None
            self.org_data = org.data if org.status == "ok" else None
            tenant_id = (
                self.options.tenant_id
                or (tenant.id if tenant else None)
                or self.auth.tenant_id
                or self.auth.credential.claims.get("tid")
            )
            if tenant is None:
                tenant = TenantInfo(str(tenant_id or "unknown"), None, None)
            semaphore = asyncio.Semaphore(max(1, self.options.concurrency))

            async def bounded(source: Source) -> CollectionResult:
                # A collection that reads others starts once they are done, and only then takes a
                # slot: holding one while waiting could starve the prerequisite (concurrency 1).
                for name in source.after:
                    if name in self.pending:
                        await asyncio.wait([self.pending[name]])
                async with semaphore:
                    return await self.fetch(source, tenant_id)

            rest = [s for s in self.options.sources if s.name != TENANT_SOURCE]
            self.pending = {s.name: asyncio.ensure_future(bounded(s)) for s in rest}
            try:
                results = list(await asyncio.gather(*self.pending.values()))
            except BaseException:  # a local write failure: stop the others before the clients close
                for task in self.pending.values():
                    task.cancel()
                await asyncio.gather(*self.pending.values(), return_exceptions=True)
                raise
            if any(s.name == TENANT_SOURCE for s in self.options.sources):
                results.insert(0, org)
            order = list(self.catalog)
            results.sort(key=lambda r: order.index(r.name))
            return tenant, results
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await self.aclose()

    async def aclose(self) -> None:
        await self.graph.aclose()
        for http in self._bearer.values():
            await http.aclose()


def build_document(
    auth: AuthSetup,
    options: CollectOptions,
    tenant: TenantInfo,
    results: Sequence[CollectionResult],
    collected_at: str,
) -> dict[str, Any]:
    """The snapshot document: a failed collection is in ``sources`` only, never in ``data``."""
    sources: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for result in results:
        sources[result.name] = result.source_entry()
        if result.status == "ok":
            data[result.name] = result.data
    return {
        "schemaVersion": 1,
        "tenant": tenant.block(),
        "collectedAt": collected_at,
        "collector": {
            "tool": "auditor",
            "version": __version__,
            "principal": auth.principal(),
            "cloud": cloud_name(graph_root(options.graph_url)),
            "authMode": auth.mode,
            "claims": auth.token_claims(),
        },
        "sources": sources,
        "data": data,
    }


def collect(
    auth: AuthSetup, options: CollectOptions, out: str | Path | None = None, reporter: Reporter | None = None
) -> dict[str, Any]:
    """Collect, apply ``--import`` files, and (when ``out`` is given) write atomically.

    Import files are read before any network traffic so that a typo fails fast.

    With ``out``, list collections are spooled to disk page by page as they arrive (in a
    private folder beside ``out``, removed however the run ends) and copied into the file,
    so memory does not grow with the tenant. The document returned then has those collections
    in ``sources`` (with their counts) but not in ``data``: their items exist only in ``out``.
    Without ``out``, the whole document is returned.
    """
    from auditor.snapshot.write import write_collected_snapshot

    imported = [load_import(spec) for spec in options.imports]
    imported_names = {r.name for r in imported}
    sources = tuple(s for s in options.sources if s.name not in imported_names)
    run_options = dataclasses.replace(options, sources=sources)
    collected_at = utc_now()
    with contextlib.ExitStack() as stack:
        spool = stack.enter_context(Spool(out)) if out is not None else None
        collector = Collector(auth, run_options, reporter, spool)
        # e.g. Sentinel reads imported diagnostic settings
        collector.done.update((r.name, r) for r in imported)
        tenant, results = asyncio.run(collector.run())
        (reporter or collector.reporter).finish(results + imported)
        doc = build_document(auth, run_options, tenant, results, collected_at)
        apply_imports(doc, imported)
        if out is not None:
            write_collected_snapshot(out, doc, options.file_mode)
            doc["data"] = {k: v for k, v in doc["data"].items() if not isinstance(v, SpooledList)}
    return doc
