"""Microsoft Sentinel data connectors of the workspaces that Entra diagnostic settings feed.

``GET {arm-url}{workspaceId}/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01``
for every distinct ``properties.workspaceId`` of ``entraDiagnosticSettings``: a diagnostic
setting is how Entra logs reach a workspace, so those are the workspaces whose security team
may be reading them. (The Management Activity feed names no workspace: Sentinel's Office 365
connector pulls it on its own, and shows up here.) Resource Manager pages by ``nextLink``,
presented to the shared pager by :func:`auditor.collect.fetching.odata_paged`.

The result is one list of the connectors of every workspace, verbatim; each connector's
``id`` begins with its workspace's resource id. A workspace where Sentinel is not enabled
(404) adds nothing and is named in the ``sources`` entry; any other failure of any
workspace fails the collection, since a partial list could hide the connected workspace.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from auditor.collect.catalog import Source
from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import (
    CollectionResult,
    Deadline,
    Progress,
    RawResponse,
    RetryPolicy,
    SendFn,
    collect_pages,
    odata_paged,
    utc_now,
)


def workspace_ids(settings: list[Any]) -> list[str]:
    """Distinct non-empty workspace resource ids named by diagnostic settings, in order."""
    seen: dict[str, str] = {}
    for setting in settings:
        props = setting.get("properties") if isinstance(setting, dict) else None
        ws = props.get("workspaceId") if isinstance(props, dict) else None
        if isinstance(ws, str) and ws.strip():
            seen.setdefault(ws.strip().lower(), ws.strip())  # resource ids are case-insensitive
    return list(seen.values())


def connectors_url(root: str, workspace_id: str, source: Source) -> str:
    return f"{root.rstrip('/')}/{workspace_id.strip('/')}/providers/Microsoft.SecurityInsights/dataConnectors?api-version={source.version}"


def sentinel_sender(http: BearerHttp) -> SendFn:
    async def send(url: str) -> RawResponse:
        return await http.request("GET", url)

    return odata_paged(send, next_key="nextLink")


async def collect_connectors(
    source: Source,
    root: str,
    send: SendFn,
    diagnostic_settings: CollectionResult,
    policy: RetryPolicy,
    deadline: Deadline,
    progress: Progress,
) -> CollectionResult:
    """Every connector of every named workspace; a prerequisite failure is this collection's."""
    if diagnostic_settings.status != "ok":
        progress.status, progress.done = diagnostic_settings.status, True
        return CollectionResult(
            source.name,
            diagnostic_settings.status,
            source.endpoint,
            utc_now(),
            http_status=diagnostic_settings.http_status,
            error=f"the workspaces come from entraDiagnosticSettings, which failed: {diagnostic_settings.error}",
        )
    workspaces = workspace_ids(diagnostic_settings.data)
    connectors: list[Any] = []
    states: dict[str, str] = {}
    for workspace in workspaces:
        result = await collect_pages(
            source, connectors_url(root, workspace, source), send, policy, deadline, Progress(workspace)
        )
        progress.pages += result.pages
        progress.retries += result.retries
        states[workspace] = result.status
        if result.status == "ok":
            connectors.extend(result.data)
        elif result.http_status != 404:
            progress.status, progress.done = result.status, True
            return dataclasses.replace(
                result,
                name=source.name,
                endpoint=source.endpoint,
                pages=progress.pages,
                retries=progress.retries,
                error=f"workspace {workspace}: {result.error}",
                extra={"workspaces": states},
            )
    progress.status, progress.done, progress.objects = "ok", True, len(connectors)
    return CollectionResult(
        source.name,
        "ok",
        source.endpoint,
        utc_now(),
        data=connectors,
        count=len(connectors),
        pages=progress.pages,
        retries=progress.retries,
        extra={"workspaces": states},
    )
