"""What one collection is: its API, endpoint, permissions, licence and shape (:class:`Source`).

Shared by the row modules of :mod:`auditor.collect.rows` (one per API kind), the catalog that
concatenates them (:mod:`auditor.collect.catalog`) and the readers, so that none imports another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from auditor.snapshot.collections import COLLECTIONS, Shape

Api = Literal[
    "graph",
    "exchange",
    "arm",
    "office365",
    "composite",
    "sharepoint",
    "dns",
    "import",
    "powerbi",
    "powerplatform",
]

P1 = "Microsoft Entra ID P1"
P2 = "Microsoft Entra ID P2"
EXCHANGE_APP_PERMISSION = "Exchange.ManageAsApp (Office 365 Exchange Online)"
EXCHANGE_ROLE = "Global Reader (or an Exchange View-Only Organization Management role group)"
ACTIVITY_FEED_PERMISSION = "ActivityFeed.Read (Office 365 Management APIs)"
ACTIVITY_FEED_DLP_PERMISSION = "ActivityFeed.ReadDlp (Office 365 Management APIs)"
SENTINEL_ROLE = (
    "Microsoft Sentinel Reader on each Log Analytics workspace a diagnostic setting names "
    "(Microsoft.SecurityInsights/dataConnectors/read)"
)
EXO = "Exchange Online"
MDO = "Microsoft Defender for Office 365 Plan 1 (Safe Links, Safe Attachments, impersonation)"
TEAMS_ROLE = "Teams Administrator or Global Reader (the person running the PowerShell export)"
PURVIEW_ROLE = "Compliance Administrator or Global Reader (the person running the PowerShell export)"


@dataclass(frozen=True)
class FanOut:
    """A Graph collection read in two steps, because one request cannot return it.

    ``parents`` (path and query, same API version) lists the objects whose ``id`` is put
    into ``child`` (``{id}``). Without ``attach`` the children of every parent are one list
    (PIM for Groups policies: one request per role-assignable group); with ``attach`` the
    source's own items each get their children under that property, as ``$expand`` would
    give them (``appManagementPolicies`` with ``appliesTo``).
    """

    child: str
    parents: str = ""
    attach: str = ""


@dataclass(frozen=True)
class Source:
    """How to read one collection.

    ``path`` is relative to the API root (Graph: ``https://graph.microsoft.com/{version}``);
    ``query`` is appended verbatim (already in OData syntax); ``top`` is the page size asked
    for (dropped once if the API rejects it, see :func:`auditor.collect.graph.collect_graph`).
    For Exchange sources ``path``
    is the cmdlet name. ``paged`` is False where the first page is all we want
    (``secureScores``: the latest score only). ``after`` names collections whose results
    this one reads (the workspaces of ``entraDiagnosticSettings``; the groups that conditional
    access, role and PIM collections name, for ``groupMembers``; the domains for
    ``dnsTxtRecords``): the runner collects those first and the collector reads them itself when
    they were not selected. ``{id}`` in a path stands for each object read. ``fan_out`` describes
    a Graph collection read in two steps; ``import_command`` is the PowerShell line that exports
    the collection for ``auditor import``.
    """

    name: str
    api: Api
    path: str
    permissions: tuple[str, ...]
    version: str = "v1.0"
    #: Graph: the version read instead when the service does not serve ``version`` at all (the
    #: first page is ``not_supported``) — beta falling back to v1.0 on a service without beta
    fallback_version: str | None = None
    query: str = ""
    top: int | None = None
    paged: bool = True
    directory_role: str | None = None
    azure_role: str | None = None
    licence: str | None = None
    note: str = ""
    after: tuple[str, ...] = ()
    fan_out: FanOut | None = None
    import_command: str = ""
    #: the reader (:data:`auditor.collect.readers.READERS`) that reads it; empty: the one named like ``api``
    reader: str = ""
    shape: Shape = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", COLLECTIONS[self.name])
        if not self.reader:
            object.__setattr__(self, "reader", self.api)

    @property
    def endpoint(self) -> str:
        """The human-readable endpoint recorded in the ``sources`` entry (the reader writes it)."""
        from auditor.collect.readers import endpoint_of  # the readers import this module

        return endpoint_of(self)


USER_SELECT = (
    "id,userPrincipalName,displayName,userType,accountEnabled,"
    "onPremisesSyncEnabled,onPremisesImmutableId,createdDateTime,signInActivity,"
    "externalUserState,creationType,mail"
)

#: What ``groupMembers`` reads to find the groups whose members it collects: conditional access
#: include/exclude groups, groups holding a directory role (active or eligible), PIM approver groups.
GROUP_REFERENCES = (
    "conditionalAccessPolicies",
    "roleAssignments",
    "roleEligibilitySchedules",
    "roleManagementPolicyAssignments",
)
MEMBER_SELECT = "id,userPrincipalName,displayName"


def _g(name: str, path: str, *perms: str, **kw: object) -> Source:
    return Source(name=name, api="graph", path=path, permissions=perms, **kw)  # type: ignore[arg-type]
