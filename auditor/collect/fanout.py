"""Graph collections that one request cannot return: a list of parents, then one request each.

Two shapes (see :class:`auditor.collect.catalog.FanOut`): the children of every parent as one
list (PIM for Groups policy assignments, one request per role-assignable group), or the
source's own items each with their children attached under a property, as ``$expand`` would
(``appManagementPolicies`` with ``appliesTo``). Any failed request fails the whole
collection: a partial list would let a control pass on data that is not all there.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from auditor.collect.catalog import Source
from auditor.collect.fetching import CollectionResult, Deadline, Progress, RetryPolicy, collect_pages, utc_now
from auditor.collect.graph import GraphClient, first_url

#: requests in flight per fanned-out collection (the runner bounds collections separately)
FAN_OUT_CONCURRENCY = 4


def _split(path_and_query: str) -> tuple[str, str]:
    path, _, query = path_and_query.partition("?")
    return path, query


def _sub(template: str, object_id: str) -> str:
    # ids are GUIDs; a quote would break the OData literal, so it is doubled as OData escapes it
    return template.replace("{id}", object_id.replace("'", "''"))


async def collect_fan_out(
    client: GraphClient,
    root: str,
    source: Source,
    policy: RetryPolicy,
    deadline: Deadline,
    progress: Progress,
) -> CollectionResult:
    """Collect ``source`` (which has a ``fan_out``) into one list."""
    fan = source.fan_out
    if fan is None:  # a programming error: the runner calls this for fan-out sources only
        raise ValueError(f"{source.name} is not a fan-out collection")
    endpoint = source.endpoint
    if fan.parents:
        path, query = _split(fan.parents)
        parents_source = dataclasses.replace(source, path=path, query=query, top=None, fan_out=None)
    else:
        parents_source = dataclasses.replace(source, fan_out=None)
    parents = await collect_pages(
        parents_source, first_url(root, parents_source), client.send, policy, deadline, progress
    )
    if parents.status != "ok":
        return dataclasses.replace(parents, endpoint=endpoint)
    items: list[Any] = list(parents.data)
    semaphore = asyncio.Semaphore(FAN_OUT_CONCURRENCY)

    def child_source(parent_id: str) -> Source:
        if fan.parents:
            return dataclasses.replace(source, query=_sub(source.query, parent_id), fan_out=None)
        path, query = _split(_sub(fan.child, parent_id))
        return dataclasses.replace(source, path=path, query=query, top=None, fan_out=None)

    async def one(parent: Any) -> CollectionResult:
        child = child_source(str(parent.get("id", "")) if isinstance(parent, dict) else "")
        async with semaphore:
            return await collect_pages(child, first_url(root, child), client.send, policy, deadline, progress)

    children = await asyncio.gather(*(one(p) for p in items))
    failed = next((c for c in children if c.status != "ok"), None)
    pages, retries = progress.pages, progress.retries  # shared by every request of this collection
    if failed is not None:
        progress.status, progress.done = failed.status, True
        return dataclasses.replace(failed, endpoint=endpoint, pages=pages, retries=retries)
    if fan.attach:
        data = [
            {**item, fan.attach: child.data} if isinstance(item, dict) else item
            for item, child in zip(items, children, strict=True)
        ]
    else:
        data = [obj for child in children for obj in child.data]
    progress.status, progress.done, progress.objects = "ok", True, len(data)
    return CollectionResult(
        source.name,
        "ok",
        endpoint,
        utc_now(),
        data=data,
        count=len(data),
        pages=pages,
        retries=retries,
        extra={"requests": 1 + len(children)},
    )
