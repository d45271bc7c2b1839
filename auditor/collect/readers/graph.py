"""Microsoft Graph: plain collections, collections read in two steps (``fan_out``), and the
members of the groups other collections reference (``graphMembers``)."""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.fanout import collect_fan_out
from auditor.collect.fetching import CollectionResult
from auditor.collect.graph import collect_graph
from auditor.collect.members import collect_group_members
from auditor.collect.readers.base import ReadContext


class GraphReader:
    """``GET /{version}{path}`` on the Graph root, following ``@odata.nextLink``."""

    @staticmethod
    def endpoint(source: Source) -> str:
        query = "&".join(q for q in (source.query, f"$top={source.top}" if source.top else "") if q)
        endpoint = f"GET /{source.version}{source.path}" + (f"?{query}" if query else "")
        if source.fan_out is not None:
            if source.fan_out.parents:
                endpoint = f"GET /{source.version}{source.fan_out.parents}, then per id: {endpoint}"
            else:
                endpoint += f", then per id: GET /{source.version}{source.fan_out.child}"
        return endpoint

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        if source.fan_out is not None:
            return await collect_fan_out(
                ctx.graph, ctx.root, source, ctx.options.retry, ctx.deadline, ctx.progress
            )
        return await collect_graph(
            ctx.graph, ctx.root, source, ctx.policy, ctx.deadline, ctx.progress, ctx.spool
        )


class GraphMembersReader(GraphReader):
    """``{id}`` in the path is each group that the collections named in ``after`` reference."""

    async def read(self, source: Source, ctx: ReadContext) -> CollectionResult:
        inputs = {name: await ctx.prerequisite(name) for name in source.after}
        return await collect_group_members(
            ctx.graph,
            ctx.root,
            source,
            inputs,
            ctx.policy,
            ctx.deadline,
            ctx.progress,
            concurrency=max(1, min(4, ctx.options.concurrency)),
        )
