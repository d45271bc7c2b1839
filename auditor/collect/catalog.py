"""The source catalog: where each snapshot collection comes from and what reading it needs.

One entry per collection name of :data:`auditor.snapshot.COLLECTIONS`. The catalog is
the single place that knows endpoints, API versions, least-privilege permissions and
licence needs, so that the collector, the ``sources`` bookkeeping (a 403 names the
missing permission) and ``auditor permissions`` can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from auditor.collect.rows.dns import DNS
from auditor.collect.rows.exchange import EXCHANGE
from auditor.collect.rows.graph import GRAPH
from auditor.collect.rows.imports import IMPORTS
from auditor.collect.rows.logging import LOGGING
from auditor.collect.rows.power import POWER
from auditor.collect.rows.sharepoint import SHAREPOINT
from auditor.collect.source import (
    ACTIVITY_FEED_DLP_PERMISSION,
    ACTIVITY_FEED_PERMISSION,
    GROUP_REFERENCES,
    MEMBER_SELECT,
    USER_SELECT,
    FanOut,
    Source,
)
from auditor.errors import InputError
from auditor.snapshot.collections import COLLECTIONS
from auditor.suggest import did_you_mean

__all__ = [
    "ACTIVITY_FEED_DLP_PERMISSION",
    "ACTIVITY_FEED_PERMISSION",
    "CATALOG",
    "GROUP_REFERENCES",
    "MEMBER_SELECT",
    "USER_SELECT",
    "FanOut",
    "PermissionNeed",
    "Source",
    "permissions_for",
    "select_sources",
]

#: every row, grouped by API (each group is one module of :mod:`auditor.collect.rows`)
_SOURCES: tuple[Source, ...] = (*GRAPH, *EXCHANGE, *LOGGING, *SHAREPOINT, *POWER, *DNS, *IMPORTS)

#: name -> Source, in the order of :data:`auditor.snapshot.COLLECTIONS`
CATALOG: Mapping[str, Source] = {
    s.name: s for s in sorted(_SOURCES, key=lambda s: list(COLLECTIONS).index(s.name))
}

#: the collection that names the tenant: the runner reads it first, and readers get its data
TENANT_SOURCE = "organization"

if set(CATALOG) != set(COLLECTIONS):  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"catalog and COLLECTIONS differ: {set(CATALOG) ^ set(COLLECTIONS)}")


def with_prerequisites(names: Iterable[str]) -> set[str]:
    """``names`` plus every collection one among them reads first (``after``): collecting them
    needs those permissions too, whether or not they are selected."""
    wanted = set(names)
    for name in list(wanted):
        source = CATALOG.get(name)
        if source is not None:
            wanted.update(source.after)
    return wanted


#: sources collected only when named: import-only, public DNS, and the Power BI / Power Platform admin APIs
OPT_IN_APIS = ("import", "dns", "powerbi", "powerplatform")


def select_sources(names: Iterable[str] | None) -> list[Source]:
    """The catalog entries for ``names`` (all but the opt-in ones when None); unknown names are an InputError.

    A collection's prerequisites (``after``) are not added: the collector reads them itself
    when they were not selected, and only the selected collections are written. Import-only
    sources are selected only by name (collecting them records ``not_supported`` with the
    PowerShell line that exports them), and so is ``dnsTxtRecords``: its public DNS queries leave
    the machine, which a read-only tenant audit should not do unasked. So are the Power BI and
    Power Platform admin APIs: they answer an application only after tenant-side registration, so
    by default those collections come in through ``auditor import``.
    """
    if names is None:
        return [s for s in CATALOG.values() if s.api not in OPT_IN_APIS]
    wanted = [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in CATALOG]
    if unknown:
        hints = "".join(did_you_mean(n, CATALOG) for n in unknown)
        raise InputError(f"unknown collection(s) {', '.join(unknown)}{hints} (known: {', '.join(CATALOG)})")
    return [CATALOG[n] for n in CATALOG if n in wanted]


@dataclass(frozen=True)
class PermissionNeed:
    """One permission (or role/licence) and the collections that need it."""

    kind: Literal["application permission", "directory role", "azure role", "licence"]
    name: str
    collections: tuple[str, ...]


def permissions_for(names: Iterable[str]) -> list[PermissionNeed]:
    """The deduplicated permissions, roles and licences that collecting ``names`` needs.

    ``organization`` is always included: collection reads it for the snapshot's tenant block;
    a dependent collection's prerequisites are included too (they are collected with it).
    """
    names = with_prerequisites({*names, "organization"})
    acc: dict[tuple[str, str], list[str]] = {}
    for source in select_sources(sorted(set(names))):
        for perm in source.permissions:
            acc.setdefault(("application permission", perm), []).append(source.name)
        if source.directory_role:
            acc.setdefault(("directory role", source.directory_role), []).append(source.name)
        if source.azure_role:
            acc.setdefault(("azure role", source.azure_role), []).append(source.name)
        if source.licence:
            acc.setdefault(("licence", source.licence), []).append(source.name)
    order = {"application permission": 0, "directory role": 1, "azure role": 2, "licence": 3}
    return [
        PermissionNeed(kind, name, tuple(cols))  # type: ignore[arg-type]
        for (kind, name), cols in sorted(acc.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]
