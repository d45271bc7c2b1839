"""The source catalog: where each snapshot collection comes from and what reading it needs.

One entry per collection name of :data:`auditor.snapshot.COLLECTIONS`. The catalog is
the single place that knows endpoints, API versions, least-privilege permissions and
licence needs, so that the collector, the ``sources`` bookkeeping (a 403 names the
missing permission) and ``auditor permissions`` can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from auditor.errors import InputError
from auditor.snapshot.collections import COLLECTIONS, Shape
from auditor.suggest import did_you_mean

Api = Literal["graph", "exchange", "arm", "office365", "composite"]

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
    access, role and PIM collections name, for ``groupMembers``): the runner collects those first
    and the collector reads them itself when they were not selected. ``{id}`` in a path stands for
    each object read.
    """

    name: str
    api: Api
    path: str
    permissions: tuple[str, ...]
    version: str = "v1.0"
    query: str = ""
    top: int | None = None
    paged: bool = True
    directory_role: str | None = None
    azure_role: str | None = None
    licence: str | None = None
    note: str = ""
    after: tuple[str, ...] = ()
    shape: Shape = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", COLLECTIONS[self.name])

    @property
    def endpoint(self) -> str:
        """The human-readable endpoint recorded in the ``sources`` entry."""
        if self.api == "graph":
            query = "&".join(q for q in (self.query, f"$top={self.top}" if self.top else "") if q)
            return f"GET /{self.version}{self.path}" + (f"?{query}" if query else "")
        if self.api == "exchange":
            return f"POST /adminapi/{self.version}/{{tenantId}}/InvokeCommand {self.path}"
        if self.api == "office365":
            return f"GET /api/{self.version}/{{tenantId}}{self.path}"
        if self.api == "composite":
            return self.path
        return f"GET {self.path}?api-version={self.version}"


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


_SOURCES: tuple[Source, ...] = (
    _g("organization", "/organization", "Organization.Read.All"),
    _g("domains", "/domains", "Domain.Read.All"),
    _g("subscribedSkus", "/subscribedSkus", "LicenseAssignment.Read.All"),
    _g(
        "users",
        "/users",
        "User.Read.All",
        "AuditLog.Read.All",
        query=f"$select={USER_SELECT}",
        top=999,
        licence=P1,
        note="signInActivity needs AuditLog.Read.All and Entra ID P1",
    ),
    _g("groups", "/groups", "GroupMember.Read.All", top=999),
    _g(
        "groupMembers",
        "/groups/{id}/transitiveMembers",
        "GroupMember.Read.All",
        query=f"$select={MEMBER_SELECT}",
        top=999,
        after=GROUP_REFERENCES,
        note="only the groups that conditional access policies, directory role assignments or "
        "eligibilities, and PIM policies reference; never every group",
    ),
    _g(
        "userRegistrationDetails",
        "/reports/authenticationMethods/userRegistrationDetails",
        "AuditLog.Read.All",
        top=999,
        licence=P1,
    ),
    _g("conditionalAccessPolicies", "/identity/conditionalAccess/policies", "Policy.Read.All", licence=P1),
    _g("namedLocations", "/identity/conditionalAccess/namedLocations", "Policy.Read.All", licence=P1),
    _g("authenticationStrengthPolicies", "/policies/authenticationStrengthPolicies", "Policy.Read.All"),
    _g(
        "authenticationMethodsPolicy",
        "/policies/authenticationMethodsPolicy",
        "Policy.Read.All",
        version="beta",
        note="beta: systemCredentialPreferences (system-preferred MFA) is not served by v1.0",
    ),
    _g("securityDefaults", "/policies/identitySecurityDefaultsEnforcementPolicy", "Policy.Read.All"),
    _g("authorizationPolicy", "/policies/authorizationPolicy", "Policy.Read.All"),
    _g("adminConsentRequestPolicy", "/policies/adminConsentRequestPolicy", "Policy.Read.All"),
    _g("crossTenantAccessPolicyDefault", "/policies/crossTenantAccessPolicy/default", "Policy.Read.All"),
    _g("defaultAppManagementPolicy", "/policies/defaultAppManagementPolicy", "Policy.Read.All"),
    _g("roleDefinitions", "/roleManagement/directory/roleDefinitions", "RoleManagement.Read.Directory"),
    _g("roleAssignments", "/roleManagement/directory/roleAssignments", "RoleManagement.Read.Directory"),
    _g(
        "roleEligibilitySchedules",
        "/roleManagement/directory/roleEligibilitySchedules",
        "RoleEligibilitySchedule.Read.Directory",
        licence=P2,
    ),
    _g(
        "roleAssignmentScheduleInstances",
        "/roleManagement/directory/roleAssignmentScheduleInstances",
        "RoleAssignmentSchedule.Read.Directory",
        licence=P2,
    ),
    _g(
        "roleManagementPolicyAssignments",
        "/policies/roleManagementPolicyAssignments",
        "RoleManagementPolicy.Read.Directory",
        query="$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'&$expand=policy($expand=rules)",
        licence=P2,
    ),
    _g(
        "accessReviews",
        "/identityGovernance/accessReviews/definitions",
        "AccessReview.Read.All",
        licence=f"{P2} (or Microsoft Entra ID Governance)",
    ),
    _g("applications", "/applications", "Application.Read.All", top=999),
    _g("servicePrincipals", "/servicePrincipals", "Application.Read.All", top=999),
    _g("groupSettings", "/groupSettings", "GroupSettings.Read.All"),
    _g(
        "sharepointSettings",
        "/admin/sharepoint/settings",
        "SharePointTenantSettings.Read.All",
        licence="SharePoint Online",
    ),
    _g("secureScores", "/security/secureScores", "SecurityEvents.Read.All", top=1, paged=False),
    Source(
        "exchangeAdminAuditLogConfig",
        "exchange",
        "Get-AdminAuditLogConfig",
        (EXCHANGE_APP_PERMISSION,),
        version="beta",
        directory_role=EXCHANGE_ROLE,
        licence="Exchange Online",
    ),
    Source(
        "exchangeOrganizationConfig",
        "exchange",
        "Get-OrganizationConfig",
        (EXCHANGE_APP_PERMISSION,),
        version="beta",
        directory_role=EXCHANGE_ROLE,
        licence="Exchange Online",
    ),
    Source(
        "exchangeMailboxAuditBypassAssociations",
        "exchange",
        "Get-MailboxAuditBypassAssociation",
        (EXCHANGE_APP_PERMISSION,),
        version="beta",
        directory_role=EXCHANGE_ROLE,
        licence="Exchange Online",
    ),
    Source(
        "auditLogRetentionPolicies",
        "exchange",
        "Get-UnifiedAuditLogRetentionPolicy",
        (EXCHANGE_APP_PERMISSION,),
        version="beta",
        directory_role="Global Reader (or Compliance Administrator)",
        licence="Microsoft Purview Audit (Premium) for policies beyond 180 days",
        note="a Purview cmdlet; where the Exchange endpoint does not serve it, use auditor import",
    ),
    Source(
        "entraDiagnosticSettings",
        "arm",
        "/providers/microsoft.aadiam/diagnosticSettings",
        (),
        version="2017-04-01-preview",
        azure_role="Reader of microsoft.aadiam/diagnosticSettings (microsoft.aadiam/diagnosticSettings/read "
        "at scope /providers/microsoft.aadiam)",
    ),
    # Near-real-time logging: is the Management Activity feed on, are logs arriving, does Sentinel read them
    Source(
        "managementActivitySubscriptions",
        "office365",
        "/activity/feed/subscriptions/list",
        (ACTIVITY_FEED_PERMISSION,),
        licence="Microsoft Purview Audit (Standard): any Microsoft 365 / Office 365 enterprise plan",
        note="Office 365 Management Activity API, token audience https://manage.office.com",
    ),
    Source(
        "recentAuditActivity",
        "composite",
        "GET /v1.0/auditLogs/directoryAudits?$top=1&$orderby=activityDateTime desc; "
        "GET /v1.0/auditLogs/signIns?$top=1&$orderby=createdDateTime desc; "
        "GET /api/v1.0/{tenantId}/activity/feed/subscriptions/content?contentType=...",
        ("AuditLog.Read.All", ACTIVITY_FEED_PERMISSION, ACTIVITY_FEED_DLP_PERMISSION),
        licence=f"{P1} (sign-in logs through Graph)",
        note="the newest Entra audit and sign-in record and the newest content blob per subscribed type; "
        "ActivityFeed.ReadDlp only for DLP.All (without it that feed is recorded as forbidden)",
        after=("managementActivitySubscriptions",),
    ),
    Source(
        "sentinelDataConnectors",
        "arm",
        "{workspaceId}/providers/Microsoft.SecurityInsights/dataConnectors",
        (),
        version="2024-03-01",
        azure_role=SENTINEL_ROLE,
        licence="Microsoft Sentinel on the Log Analytics workspace",
        note="read for every workspace that an Entra diagnostic setting sends logs to",
        after=("entraDiagnosticSettings",),
    ),
)

#: name -> Source, in the order of :data:`auditor.snapshot.COLLECTIONS`
CATALOG: Mapping[str, Source] = {
    s.name: s for s in sorted(_SOURCES, key=lambda s: list(COLLECTIONS).index(s.name))
}

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


def select_sources(names: Iterable[str] | None) -> list[Source]:
    """The catalog entries for ``names`` (all when None); unknown names are an InputError.

    A collection's prerequisites (``after``) are not added: the collector reads them itself
    when they were not selected, and only the selected collections are written.
    """
    if names is None:
        return list(CATALOG.values())
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
