"""``groupMembers``: the transitive members of the groups that other collections reference.

Conditional access, role assignments and PIM policies name groups, and who is in those
groups decides who a policy covers and who holds a role. Reading every group of a tenant
would cost far more than it tells, so this collection is *dependent*: it runs after the
collections that name groups, reads only the groups they reference, and pages each one
through the same machinery as every list (:func:`auditor.collect.graph.collect_graph`).

A referenced group that no longer exists (404) gets an empty list and is named under
``missing`` in the ``sources`` entry, so that a policy can tell "nobody in it" from "not
read". A 403 on any group makes the whole collection ``forbidden``; any other failure
makes it ``error``. Either way there is no partial ``data``: half a membership map would
let a coverage verdict pass on users it never saw.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from auditor.collect.catalog import Source
from auditor.collect.fetching import (
    CollectionResult,
    Deadline,
    FetchFailure,
    Progress,
    RetryPolicy,
    classify,
    send_with_retries,
    utc_now,
)
from auditor.collect.graph import GraphClient, collect_graph

#: Prerequisite statuses that mean "nothing to reference" rather than "unknown": a tenant without
#: Entra ID P2 has no eligible assignments and no PIM policies to name a group.
T = TypeVar("T")

EMPTY_STATUSES = frozenset({"not_licensed", "not_supported"})
GROUP_TYPE = "#microsoft.graph.group"


@dataclass(frozen=True)
class GroupReferences:
    """Group ids the prerequisite collections name.

    ``groups`` are known to be groups (conditional access group conditions, PIM approver
    groups); ``principals`` are role holders that may be users, service principals or
    role-assignable groups, to be checked against Graph.
    """

    groups: frozenset[str]
    principals: frozenset[str]


def _strings(values: Any) -> Iterator[str]:
    if isinstance(values, list):
        yield from (v for v in values if isinstance(v, str) and v)


def _group_ids_in(value: Any) -> Iterator[str]:
    """Every ``groupId`` string anywhere inside a PIM policy (approvers, escalation approvers)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            gid = item.get("groupId")
            if isinstance(gid, str) and gid:
                yield gid
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def referenced_groups(data: Mapping[str, Any]) -> GroupReferences:
    """The groups named by whichever of the prerequisite collections ``data`` holds.

    Every conditional access policy counts, whatever its state: report-only policies are
    what a rollout turns on next, and the what-if view explains them too.
    """
    groups: set[str] = set()
    for policy in data.get("conditionalAccessPolicies") or []:
        users = ((policy or {}).get("conditions") or {}).get("users") or {}
        groups.update(_strings(users.get("includeGroups")))
        groups.update(_strings(users.get("excludeGroups")))
    for assignment in data.get("roleManagementPolicyAssignments") or []:
        groups.update(_group_ids_in((assignment or {}).get("policy")))
    principals: set[str] = set()
    for name in ("roleAssignments", "roleEligibilitySchedules"):
        for item in data.get(name) or []:
            pid = (item or {}).get("principalId")
            if isinstance(pid, str) and pid:
                principals.add(pid)
    return GroupReferences(frozenset(groups), frozenset(principals - groups))


class SharedProgress(Progress):
    """One request's or one group's progress that adds its counters to the collection's as they
    grow, so the live display moves during a 1.5-million-member group; status stays its own."""

    def __init__(self, parent: Progress) -> None:
        self.__dict__["_parent"] = parent
        super().__init__(parent.name)

    def __setattr__(self, key: str, value: Any) -> None:
        parent = self.__dict__.get("_parent")
        if parent is not None and key in ("pages", "objects", "retries") and key in self.__dict__:
            setattr(parent, key, getattr(parent, key) + value - self.__dict__[key])
        super().__setattr__(key, value)


def _failed(source: Source, status: str, error: str, progress: Progress, **kw: Any) -> CollectionResult:
    progress.status, progress.done = status, True
    return CollectionResult(
        source.name,
        status,
        source.endpoint,
        utc_now(),
        pages=progress.pages,
        retries=progress.retries,
        error=error,
        **kw,
    )


@dataclass
class _Run:
    """Shared state of one ``groupMembers`` run: the client, budget and the first hard failure."""

    client: GraphClient
    root: str
    source: Source
    policy: RetryPolicy
    deadline: Deadline
    progress: Progress
    failure: CollectionResult | None = None
    select: bool = True
    select_rejected: str | None = None

    async def is_group(self, object_id: str) -> bool:
        """Whether a role principal is a group: ``GET /groups/{id}`` needs no more than
        GroupMember.Read.All, where ``/directoryObjects/{id}`` would need Directory.Read.All."""
        url = f"{self.root}/v1.0/groups/{quote(object_id, safe='')}?$select=id"
        response = await send_with_retries(
            self.client.send, url, self.source, self.policy, self.deadline, SharedProgress(self.progress)
        )
        self.progress.pages += 1
        if response.status == 404:
            return False
        if not 200 <= response.status < 300:
            raise classify(self.source, response)
        return True

    async def members(self, group_id: str) -> tuple[str, list[Any] | None]:
        """One group's members; None when the group does not exist (404)."""
        path = self.source.path.replace("{id}", quote(group_id, safe=""))
        query = self.source.query if self.select else ""
        per_group = dataclasses.replace(self.source, path=path, query=query)
        part = SharedProgress(self.progress)
        result = await collect_graph(self.client, self.root, per_group, self.policy, self.deadline, part)
        if result.status != "ok" and result.http_status == 400 and result.pages == 0 and query:
            # $select on a directoryObject collection is not documented for every cloud: ask once without
            self.select, self.select_rejected = False, result.error or "rejected"
            per_group = dataclasses.replace(per_group, query="")
            result = await collect_graph(self.client, self.root, per_group, self.policy, self.deadline, part)
        if result.status == "ok":
            return group_id, result.data
        if result.http_status == 404:
            return group_id, None
        status = "forbidden" if result.status == "forbidden" else "error"
        raise FetchFailure(status, f"group {group_id}: {result.error}", result.http_status)


async def _bounded(fn: Callable[[str], Awaitable[T]], args: list[str], concurrency: int) -> list[T]:
    """``fn`` over ``args``, at most ``concurrency`` at a time, results in order.

    The first :class:`FetchFailure` cancels the rest (a 403 on one group means the
    permission is missing for all) and is raised as itself, not as an ExceptionGroup.
    """
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(arg: str) -> T:
        async with limit:
            return await fn(arg)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(a)) for a in args]
    except ExceptionGroup as eg:
        failures = [e for e in eg.exceptions if isinstance(e, FetchFailure)]
        if failures:
            raise failures[0] from None
        raise
    return [t.result() for t in tasks]


async def collect_group_members(
    client: GraphClient,
    root: str,
    source: Source,
    inputs: Mapping[str, CollectionResult],
    policy: RetryPolicy,
    deadline: Deadline,
    progress: Progress,
    concurrency: int = 4,
) -> CollectionResult:
    """Collect ``groupMembers`` from the results of its prerequisites (``source.after``).

    ``inputs`` holds the prerequisites' results of this run (collected or imported). A
    missing or failed prerequisite makes the collection ``error`` naming it: the groups it
    would have named are unknown, and an empty map would read as "no members".
    """
    data: dict[str, Any] = {}
    not_read: dict[str, str] = {}
    for name in source.after:
        result = inputs.get(name)
        if result is None:
            return _failed(source, "error", f"prerequisite {name} was not collected in this run", progress)
        if result.status in EMPTY_STATUSES:
            not_read[name] = result.status
        elif result.status != "ok":
            return _failed(
                source,
                "error",
                f"prerequisite {name} failed ({result.status}); the groups it references are unknown",
                progress,
            )
        else:
            data[name] = result.data
    refs = referenced_groups(data)
    run = _Run(client, root, source, policy, deadline, progress)
    try:
        principals = sorted(refs.principals)
        kinds = await _bounded(run.is_group, principals, concurrency)
        wanted = sorted(refs.groups | {p for p, is_group in zip(principals, kinds, strict=True) if is_group})
        fetched = await _bounded(run.members, wanted, concurrency)
    except FetchFailure as failure:
        return _failed(source, failure.status, failure.error, progress, http_status=failure.http_status)
    members: dict[str, list[Any]] = {}
    missing: list[str] = []
    for group_id, found in fetched:
        if found is None:
            missing.append(group_id)
            members[group_id] = []
        else:
            members[group_id] = found
    extra: dict[str, Any] = {"groups": len(members)}
    if missing:
        extra["missing"] = missing
    if not_read:
        extra["referencesNotRead"] = not_read
    if run.select_rejected:
        extra["selectRejected"] = run.select_rejected
    progress.status, progress.done = "ok", True
    return CollectionResult(
        source.name,
        "ok",
        source.endpoint,
        utc_now(),
        data=members,
        count=sum(len(v) for v in members.values()),
        pages=progress.pages,
        retries=progress.retries,
        extra=extra,
    )
