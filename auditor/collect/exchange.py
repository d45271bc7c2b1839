"""Exchange Online and Purview cmdlets through the admin API the EXO module itself uses.

``POST {exchange-url}/adminapi/beta/{tenantId}/InvokeCommand`` with
``{"CmdletInput": {"CmdletName": ...}}`` and a token for
``https://outlook.office365.com/.default``. The endpoint is undocumented, so every
failure is recorded honestly and ``auditor import`` remains the way in.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from auditor.collect.catalog import Source
from auditor.collect.fetching import RawResponse, SendFn
from auditor.collect.graph import resource_scope

DEFAULT_EXCHANGE_URL = "https://outlook.office365.com"
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


class BearerHttp:
    """httpx with a bearer token from the shared credential, for non-Graph APIs.

    The token is fetched per request from the credential (which caches it) in a worker
    thread, because azure-identity's synchronous credentials may block on the network.
    """

    def __init__(self, credential: Any, scope: str, timeout: float, max_connections: int = 8) -> None:
        import httpx

        from auditor.collect.httpcap import EVENT_HOOKS

        self._credential = credential
        self._scope = scope
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(30.0, timeout)),
            limits=httpx.Limits(max_connections=max_connections),
            event_hooks=EVENT_HOOKS,  # --limit response-bytes, while the body is read
        )

    async def token(self) -> str:
        access = await asyncio.to_thread(self._credential.get_token, self._scope)
        return str(access.token)

    async def request(self, method: str, url: str, body: bytes | None = None) -> RawResponse:
        headers = {"Authorization": f"Bearer {await self.token()}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = await self._client.request(method, url, content=body, headers=headers)
        return RawResponse(response.status_code, response.headers, response.content, str(response.url))

    async def aclose(self) -> None:
        await self._client.aclose()


def invoke_url(root: str, tenant_id: str) -> str:
    return f"{root.rstrip('/')}/adminapi/beta/{tenant_id}/InvokeCommand"


def exchange_scope(root: str) -> str:
    return resource_scope(root, EXCHANGE_SCOPE)


def cmdlet_sender(http: BearerHttp, source: Source) -> SendFn:
    """A send function that POSTs the cmdlet to any URL (first page and nextLinks alike)."""
    body = json.dumps({"CmdletInput": {"CmdletName": source.path}}).encode("utf-8")

    async def send(url: str) -> RawResponse:
        return await http.request("POST", url, body)

    return send
