"""Microsoft Graph through msgraph-sdk's request pipeline, bodies kept as raw bytes.

The SDK gives us authentication (kiota's Azure identity provider), its middleware
(redirects, telemetry headers, URL decoding) and the httpx client; we ask it for the
native response (``NativeResponseHandler``) so that status, headers and the body's bytes
reach :mod:`auditor.collect.fetching` untouched (docs/architecture.md, collection: typed models are slow and
lossy). The SDK's own retry is switched off per request, deliberately: ours counts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from auditor.collect.catalog import Source
from auditor.collect.fetching import (
    CollectionResult,
    Deadline,
    Progress,
    RawResponse,
    RetryPolicy,
    SendFn,
    collect_pages,
)
from auditor.collect.spool import Spool

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def graph_root(url: str | None) -> str:
    """The Graph root without a version segment (``--graph-url`` may include one)."""
    root = (url or DEFAULT_GRAPH_URL).rstrip("/")
    for suffix in ("/v1.0", "/beta"):
        if root.endswith(suffix):
            root = root[: -len(suffix)]
    return root


#: Graph hosts of the national clouds, for the snapshot's ``collector.cloud``
CLOUDS = {
    "graph.microsoft.com": "global",
    "graph.microsoft.us": "usgov",
    "dod-graph.microsoft.us": "usgov-dod",
    "microsoftgraph.chinacloudapi.cn": "china",
}


def cloud_name(root: str) -> str:
    host = urlsplit(root).hostname or ""
    return "local" if host in LOCAL_HOSTS else CLOUDS.get(host, host)


def resource_scope(url: str, default: str) -> str:
    """The ``.default`` scope for a service root.

    A local test server is not an Entra resource, so it gets the real service's scope;
    a sovereign cloud host (graph.microsoft.us, ...) gets its own.
    """
    host = urlsplit(url).hostname or ""
    if host in LOCAL_HOSTS:
        return default
    return f"https://{host}/.default"


def first_url(root: str, source: Source, *, top: bool = True) -> str:
    """The first page's URL; spaces and quotes in ``$filter`` percent-encoded."""
    url = f"{root}/{source.version}{source.path}"
    parts = [source.query] if source.query else []
    if top and source.top:
        parts.append(f"$top={source.top}")
    if parts:
        url += "?" + quote("&".join(parts), safe="=&$,()'/:")
    return url


async def collect_graph(
    client: GraphClient,
    root: str,
    source: Source,
    policy: RetryPolicy,
    deadline: Deadline,
    progress: Progress,
    spool: Spool | None = None,
) -> CollectionResult:
    """Collect one Graph source; if the first page's ``$top`` is refused (400), ask once without.

    Not every Graph API documents its largest page size; a refused ``$top=999`` must cost a
    round trip, not the collection.
    """
    result = await collect_pages(
        source, first_url(root, source), client.send, policy, deadline, progress, spool=spool
    )
    if (
        source.top
        and source.top > 1
        and result.status != "ok"
        and result.http_status == 400
        and result.pages == 0
    ):
        progress.status, progress.done = "running", False
        retry = await collect_pages(
            source, first_url(root, source, top=False), client.send, policy, deadline, progress, spool=spool
        )
        return dataclasses.replace(retry, extra={**retry.extra, "topRejected": result.error or True})
    if source.fallback_version and _refused_before_any_page(result):
        progress.status, progress.done = "running", False
        other = dataclasses.replace(source, version=source.fallback_version, fallback_version=None)
        retry = await collect_graph(client, root, other, policy, deadline, progress, spool)
        refused = f"{source.version} refused: {result.error or result.http_status}"
        return dataclasses.replace(retry, extra={**retry.extra, "versionFallback": refused})
    return result


def _refused_before_any_page(result: CollectionResult) -> bool:
    """The service does not serve this path at all (not a licence, permission or server error)."""
    return result.status == "not_supported" and result.pages == 0


@dataclass(frozen=True)
class GraphClientConfig:
    """What the Graph client needs: where, which scope, how long to wait per request."""

    root: str
    scope: str
    timeout: float = 100.0
    max_connections: int = 16


class GraphClient:
    """A GraphServiceClient's request adapter, used only to send GETs for raw bytes."""

    def __init__(self, credential: Any, config: GraphClientConfig) -> None:
        import httpx
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from kiota_http.middleware import RedirectHandler, RetryHandler, UserAgentHandler
        from kiota_http.middleware.options import RedirectHandlerOption, RetryHandlerOption
        from msgraph.graph_request_adapter import GraphRequestAdapter
        from msgraph.graph_request_adapter import options as sdk_options
        from msgraph.graph_service_client import GraphServiceClient
        from msgraph_core import GraphClientFactory
        from msgraph_core.middleware import GraphTelemetryHandler
        from msgraph_core.middleware.options import GraphTelemetryHandlerOption

        from auditor.collect.httpcap import EVENT_HOOKS

        host = urlsplit(config.root).hostname or ""
        # Tokens go only to the Graph host we were pointed at (a nextLink elsewhere gets none).
        auth = AzureIdentityAuthenticationProvider(credential, scopes=[config.scope], allowed_hosts=[host])
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout, connect=min(30.0, config.timeout)),
            limits=httpx.Limits(
                max_connections=config.max_connections, max_keepalive_connections=config.max_connections
            ),
            event_hooks=EVENT_HOOKS,  # --limit response-bytes, while the body is read
        )
        self._no_retry = RetryHandlerOption(delay=0, max_retries=0, should_retry=False)
        # Redirects come back to fetching.collect_pages, which follows them only within the
        # origin: the handler would follow one to another host and hand back that host's
        # unauthenticated answer as if Graph had given it (httpx even reports the first URL).
        self._no_redirect = RedirectHandlerOption(should_redirect=False)
        # The SDK's default chain minus the handlers that only matter to typed request builders
        # (parameter-name decoding, /me URL replacement, header/body inspection): each costs
        # ~0.1 ms per page, a quarter of the client's time on small pages. Redirects, the
        # (disabled) retry handler, the user agent and Graph telemetry headers stay.
        telemetry = sdk_options[GraphTelemetryHandlerOption.get_key()]
        client = GraphClientFactory.create_with_custom_middleware(
            [
                RedirectHandler(),
                RetryHandler(self._no_retry),
                UserAgentHandler(),
                GraphTelemetryHandler(options=telemetry),
            ],
            client=http,
        )
        adapter = GraphRequestAdapter(auth, client=client)
        adapter.base_url = f"{config.root}/v1.0"
        self.service = GraphServiceClient(request_adapter=adapter)
        self.adapter = adapter
        self._http = http
        self.scope = config.scope

    async def get(self, url: str) -> RawResponse:
        """GET one absolute URL through the SDK pipeline; the native response as bytes."""
        from kiota_abstractions.method import Method
        from kiota_abstractions.native_response_handler import NativeResponseHandler
        from kiota_abstractions.request_information import RequestInformation
        from kiota_http.middleware.options import ResponseHandlerOption

        info = RequestInformation(Method.GET)
        info.url = url
        info.headers.try_add("Accept", "application/json")
        info.add_request_options(
            [ResponseHandlerOption(NativeResponseHandler()), self._no_retry, self._no_redirect]
        )
        response = await self.adapter.send_primitive_async(info, "bytes", {})
        return RawResponse(response.status_code, response.headers, response.content, str(response.url))

    @property
    def send(self) -> SendFn:
        return self.get

    async def aclose(self) -> None:
        await self._http.aclose()
