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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.collect.arm import DEFAULT_ARM_URL, arm_scope, arm_sender, arm_url
from auditor.collect.auth import AuthSetup, auth_failure
from auditor.collect.catalog import CATALOG, Source
from auditor.collect.dnstxt import (
    DnsLookupError,
    SystemResolver,
    TxtResolver,
    domains_from,
    lookup_all,
    names_for,
)
from auditor.collect.exchange import (
    DEFAULT_EXCHANGE_URL,
    BearerHttp,
    cmdlet_sender,
    exchange_scope,
    invoke_url,
)
from auditor.collect.fanout import collect_fan_out
from auditor.collect.fetching import (
    CollectionResult,
    Deadline,
    Progress,
    RetryPolicy,
    collect_pages,
    utc_now,
)
from auditor.collect.graph import (
    GraphClient,
    GraphClientConfig,
    cloud_name,
    collect_graph,
    graph_root,
    resource_scope,
)
from auditor.collect.importer import ImportSpec, apply_imports, load_import
from auditor.collect.members import collect_group_members
from auditor.collect.mgmtactivity import (
    DEFAULT_ACTIVITY_URL,
    activity_scope,
    activity_sender,
    subscriptions_url,
)
from auditor.collect.power import (
    DEFAULT_POWERBI_URL,
    DEFAULT_POWERPLATFORM_URL,
    power_sender,
    power_url,
    powerbi_scope,
    powerplatform_scope,
)
from auditor.collect.progress import LineReporter, Reporter
from auditor.collect.recentactivity import Channels, collect_recent_activity
from auditor.collect.sentinel import collect_connectors, sentinel_sender
from auditor.collect.sharepoint import (
    admin_url_from_organization,
    sharepoint_scope,
    sharepoint_sender,
    tenant_url,
)
from auditor.collect.spool import LocalWriteError, Spool, SpooledList
from auditor.errors import InputError

#: collections the run itself reads (their data must stay in memory, never in a spool file):
#: ``organization`` names the tenant and the SharePoint admin host, the rest are ``after`` others
PREREQUISITES = frozenset({"organization"}) | {name for source in CATALOG.values() for name in source.after}


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


def _failed(source: Source, progress: Progress, error: str) -> CollectionResult:
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
        self.org_data: list[Any] | None = None  # /organization, for the SharePoint admin host

    def _http_for(self, scope: str) -> BearerHttp:
        if scope not in self._bearer:
            self._bearer[scope] = BearerHttp(self.auth.credential, scope, self.options.timeout)
        return self._bearer[scope]

    async def fetch(
        self, source: Source, tenant_id: str | None, progress: Progress | None = None
    ) -> CollectionResult:
        progress = progress or self.progress.setdefault(source.name, Progress(source.name))
        policy, deadline = self.options.retry, self.deadline
        if policy.request_seconds is None:
            policy = dataclasses.replace(policy, request_seconds=self.options.timeout)
        try:
            if source.api in ("import", "dns", "sharepoint") or source.fan_out is not None:
                return await self._fetch_library(source, tenant_id, progress)
            if source.api in ("powerbi", "powerplatform"):
                return await self._fetch_power(source, tenant_id, progress, policy)
            if source.api == "graph" and source.after:  # groupMembers: the groups the others name
                inputs = {name: await self._prerequisite(name, tenant_id) for name in source.after}
                return await collect_group_members(
                    self.graph,
                    self.root,
                    source,
                    inputs,
                    policy,
                    deadline,
                    progress,
                    concurrency=max(1, min(4, self.options.concurrency)),
                )
            spool = self.spool if source.name not in PREREQUISITES else None
            if source.api == "graph":
                return await collect_graph(self.graph, self.root, source, policy, deadline, progress, spool)
            if source.api == "exchange":
                root = (self.options.exchange_url or DEFAULT_EXCHANGE_URL).rstrip("/")
                if not tenant_id:
                    return CollectionResult(
                        source.name,
                        "error",
                        source.endpoint,
                        utc_now(),
                        error="the tenant id is unknown (give --tenant-id)",
                    )
                http = self._http_for(exchange_scope(root))
                return await collect_pages(
                    source,
                    invoke_url(root, tenant_id),
                    cmdlet_sender(http, source),
                    policy,
                    deadline,
                    progress,
                    spool=spool,
                )
            if source.after or source.api == "office365":
                return await self._fetch_logging(source, tenant_id, progress)
            root = (self.options.arm_url or DEFAULT_ARM_URL).rstrip("/")
            http = self._http_for(arm_scope(root))
            return await collect_pages(
                source, arm_url(root, source), arm_sender(http), policy, deadline, progress, spool=spool
            )
        except LocalWriteError:
            raise  # this machine's disk, not the tenant: the run ends (exit 2), nothing recorded
        except Exception as exc:
            # e.g. azure-identity cannot get a token for this resource; say so, without a trace
            message = " ".join(str(exc).split())[:300] or type(exc).__name__
            return _failed(source, progress, f"{type(exc).__name__}: {message}")

    async def _prerequisite(self, name: str, tenant_id: str | None) -> CollectionResult:
        """A collection another one reads: this run's result, or fetched now if not selected."""
        if name not in self.done:
            if name in self.pending:  # selected too: wait for this run's own fetch
                self.done[name] = await asyncio.shield(self.pending[name])
            else:  # its own Progress: the display lists the selected collections only
                self.done[name] = await self.fetch(CATALOG[name], tenant_id, Progress(name))
        return self.done[name]

    async def _fetch_logging(
        self, source: Source, tenant_id: str | None, progress: Progress
    ) -> CollectionResult:
        """The near-real-time logging collections: Management Activity feed, freshness, Sentinel."""
        policy, deadline = self.options.retry, self.deadline
        activity_root = (self.options.activity_url or DEFAULT_ACTIVITY_URL).rstrip("/")
        if source.name == "sentinelDataConnectors":
            root = (self.options.arm_url or DEFAULT_ARM_URL).rstrip("/")
            settings = await self._prerequisite("entraDiagnosticSettings", tenant_id)
            send = sentinel_sender(self._http_for(arm_scope(root)))
            return await collect_connectors(source, root, send, settings, policy, deadline, progress)
        if not tenant_id:
            return CollectionResult(
                source.name,
                "error",
                source.endpoint,
                utc_now(),
                error="the tenant id is unknown (give --tenant-id)",
            )
        send = activity_sender(self._http_for(activity_scope(activity_root)))
        if source.name == "managementActivitySubscriptions":
            url = subscriptions_url(activity_root, tenant_id, source)
            return await collect_pages(source, url, send, policy, deadline, progress)
        subscriptions = await self._prerequisite("managementActivitySubscriptions", tenant_id)
        channels = Channels(self.root, self.graph.send, activity_root, send, tenant_id)
        return await collect_recent_activity(source, channels, subscriptions, policy, deadline, progress)

    async def _fetch_library(
        self, source: Source, tenant_id: str | None, progress: Progress
    ) -> CollectionResult:
        """Import-only sources, Graph fan-outs, the SharePoint admin REST endpoint and DNS."""
        policy, deadline = self.options.retry, self.deadline
        if source.api == "import":
            progress.status, progress.done = "not_supported", True
            return CollectionResult(
                source.name,
                "not_supported",
                source.endpoint,
                utc_now(),
                error=f"no API serves this to an application; export it with `{source.import_command}` "
                f"and add it with `auditor import SNAPSHOT {source.name}={source.name}.json`",
            )
        if source.fan_out is not None:
            return await collect_fan_out(self.graph, self.root, source, policy, deadline, progress)
        if source.api == "dns":
            return await self._fetch_dns(source, tenant_id, progress)
        root = self.options.sharepoint_url or admin_url_from_organization(self.org_data)
        if not root:
            return _failed(
                source,
                progress,
                "the SharePoint admin host is unknown (no initial onmicrosoft.com domain in "
                "organization; give --sharepoint-url)",
            )
        http = self._http_for(sharepoint_scope(root))
        return await collect_pages(
            source, tenant_url(root, source.path), sharepoint_sender(http), policy, deadline, progress
        )

    async def _fetch_power(
        self, source: Source, tenant_id: str | None, progress: Progress, policy: RetryPolicy
    ) -> CollectionResult:
        """The Power BI (Fabric) and Power Platform admin APIs (:mod:`auditor.collect.power`)."""
        if source.api == "powerbi":
            root = (self.options.powerbi_url or DEFAULT_POWERBI_URL).rstrip("/")
            http = self._http_for(powerbi_scope(root))
        else:
            root = (self.options.powerplatform_url or DEFAULT_POWERPLATFORM_URL).rstrip("/")
            http = self._http_for(powerplatform_scope(root))
        if "{tenantId}" in source.path and not tenant_id:
            return _failed(source, progress, "the tenant id is unknown (give --tenant-id)")
        url = power_url(root, source, tenant_id or "")
        return await collect_pages(source, url, power_sender(http, source), policy, self.deadline, progress)

    async def _fetch_dns(self, source: Source, tenant_id: str | None, progress: Progress) -> CollectionResult:
        """DNS TXT lookups for the accepted domains (collected in this run), else Graph's domains."""
        name = "exchangeAcceptedDomains" if "exchangeAcceptedDomains" in self.pending else "domains"
        prerequisite = await self._prerequisite(name, tenant_id)
        domains = domains_from({name: prerequisite.data}) if prerequisite.status == "ok" else []
        if not domains:
            return _failed(
                source, progress, f"no domain to look up: {name} is {prerequisite.status} or empty"
            )
        resolver = self.options.dns_resolver or SystemResolver(lifetime=min(30.0, self.options.timeout))
        try:
            records = await lookup_all(resolver, names_for(domains))
        except DnsLookupError as exc:
            return _failed(source, progress, str(exc)[:300])
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
            org_source = CATALOG["organization"]
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

            rest = [s for s in self.options.sources if s.name != "organization"]
            self.pending = {s.name: asyncio.ensure_future(bounded(s)) for s in rest}
            try:
                results = list(await asyncio.gather(*self.pending.values()))
            except BaseException:  # a local write failure: stop the others before the clients close
                for task in self.pending.values():
                    task.cancel()
                await asyncio.gather(*self.pending.values(), return_exceptions=True)
                raise
            if any(s.name == "organization" for s in self.options.sources):
                results.insert(0, org)
            order = list(CATALOG)
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
