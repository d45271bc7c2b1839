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

from auditor.collect.library_sources import LIBRARY_SOURCES
from auditor.collect.power_sources import POWER_SOURCES
from auditor.collect.source import (
    ACTIVITY_FEED_DLP_PERMISSION,
    ACTIVITY_FEED_PERMISSION,
    EXCHANGE_APP_PERMISSION,
    EXCHANGE_ROLE,
    GROUP_REFERENCES,
    MEMBER_SELECT,
    P1,
    P2,
    SENTINEL_ROLE,
    USER_SELECT,
    FanOut,
    Source,
    _g,
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
        reader="graphMembers",
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
    _g(
        "conditionalAccessPolicies",
        "/identity/conditionalAccess/policies",
        "Policy.Read.All",
        version="beta",
        fallback_version="v1.0",
        licence=P1,
        note="beta, as ScubaGear reads it: the agent identity conditions (agentIdRiskLevels, "
        "clientApplications.includeAgentIdServicePrincipals, agents) exist there only; a service "
        "that refuses beta is read at v1.0 (recorded as versionFallback)",
    ),
    _g("namedLocations", "/identity/conditionalAccess/namedLocations", "Policy.Read.All", licence=P1),
    _g("authenticationStrengthPolicies", "/policies/authenticationStrengthPolicies", "Policy.Read.All"),
    _g(
        "authenticationMethodsPolicy",
        "/policies/authenticationMethodsPolicy",
        "Policy.Read.All",
        version="beta",
        note="beta, as ScubaGear reads it: systemCredentialPreferences and the Authenticator's "
        "numberMatchingRequiredState exist there only; the sources endpoint records the version",
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
        reader="recentActivity",
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
        reader="sentinel",
    ),
)

#: name -> Source, in the order of :data:`auditor.snapshot.COLLECTIONS`
CATALOG: Mapping[str, Source] = {
    s.name: s
    for s in sorted(
        (*_SOURCES, *LIBRARY_SOURCES, *POWER_SOURCES), key=lambda s: list(COLLECTIONS).index(s.name)
    )
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
