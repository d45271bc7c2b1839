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

Api = Literal["graph", "exchange", "arm", "office365", "composite", "sharepoint", "dns", "import"]

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
    this one reads (the workspaces of ``entraDiagnosticSettings``, for example): the runner
    collects those first and the collector reads them itself when they were not selected.
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
    fan_out: FanOut | None = None
    import_command: str = ""
    shape: Shape = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", COLLECTIONS[self.name])

    @property
    def endpoint(self) -> str:
        """The human-readable endpoint recorded in the ``sources`` entry."""
        if self.api == "graph":
            query = "&".join(q for q in (self.query, f"$top={self.top}" if self.top else "") if q)
            endpoint = f"GET /{self.version}{self.path}" + (f"?{query}" if query else "")
            if self.fan_out is not None:
                if self.fan_out.parents:
                    endpoint = f"GET /{self.version}{self.fan_out.parents}, then per id: {endpoint}"
                else:
                    endpoint += f", then per id: GET /{self.version}{self.fan_out.child}"
            return endpoint
        if self.api == "import":
            return f"import only: {self.import_command}"
        if self.api == "dns":
            return "DNS TXT"
        if self.api == "sharepoint":
            return f"GET https://{{tenant}}-admin.sharepoint.com{self.path}"
        if self.api == "exchange":
            return f"POST /adminapi/{self.version}/{{tenantId}}/InvokeCommand {self.path}"
        if self.api == "office365":
            return f"GET /api/{self.version}/{{tenantId}}{self.path}"
        if self.api == "composite":
            return self.path
        return f"GET {self.path}?api-version={self.version}"


USER_SELECT = (
    "id,userPrincipalName,displayName,userType,accountEnabled,"
    "onPremisesSyncEnabled,createdDateTime,signInActivity"
)


def _g(name: str, path: str, *perms: str, **kw: object) -> Source:
    return Source(name=name, api="graph", path=path, permissions=perms, **kw)  # type: ignore[arg-type]


def _x(name: str, cmdlet: str, licence: str = EXO) -> Source:
    """An Exchange Online cmdlet through the admin API; ``auditor import`` is the fallback."""
    return Source(
        name=name,
        api="exchange",
        path=cmdlet,
        permissions=(EXCHANGE_APP_PERMISSION,),
        version="beta",
        directory_role=EXCHANGE_ROLE,
        licence=licence,
        import_command=f"{cmdlet} | ConvertTo-Json -Depth 10 > {name}.json",
    )


def _ps(name: str, cmdlet: str, role: str, licence: str, module: str) -> Source:
    """A PowerShell-only source: no API serves it to an application credential."""
    return Source(
        name=name,
        api="import",
        path=cmdlet,
        permissions=(),
        version="",
        directory_role=role,
        licence=licence,
        note=f"import only ({module})",
        import_command=f"{cmdlet} | ConvertTo-Json -Depth 10 > {name}.json",
    )


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
    _g("groupMembers", "/groups/{id}/transitiveMembers", "GroupMember.Read.All", top=999),
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
    # -- Exchange Online, Defender for Office 365, Purview, SharePoint, Teams, DNS (one block) --
    _g(
        "appManagementPolicies",
        "/policies/appManagementPolicies",
        "Policy.Read.All",
        "Application.Read.All",
        fan_out=FanOut(
            child="/policies/appManagementPolicies/{id}/appliesTo?$select=id,appId,displayName",
            attach="appliesTo",
        ),
        note="appliesTo (the applications and service principals each policy exempts or restricts) "
        "is read per policy and attached as $expand would",
    ),
    _g(
        "groupRoleManagementPolicyAssignments",
        "/policies/roleManagementPolicyAssignments",
        "RoleManagementPolicy.Read.AzureADGroup",
        "GroupMember.Read.All",
        query="$filter=scopeId eq '{id}' and scopeType eq 'Group'&$expand=policy($expand=rules)",
        fan_out=FanOut(child="", parents="/groups?$filter=isAssignableToRole eq true&$select=id"),
        licence=P2,
        note="PIM for Groups settings (member and owner) of every role-assignable group; the policies "
        "judge the groups that hold privileged roles",
    ),
    _x("exchangeAcceptedDomains", "Get-AcceptedDomain"),
    _x("exchangeRemoteDomains", "Get-RemoteDomain"),
    _x("exchangeTransportConfig", "Get-TransportConfig"),
    _x("exchangeTransportRules", "Get-TransportRule"),
    _x("exchangeSharingPolicies", "Get-SharingPolicy"),
    _x("exchangeDkimSigningConfigs", "Get-DkimSigningConfig"),
    _x("exchangeOwaMailboxPolicies", "Get-OwaMailboxPolicy"),
    _x("exchangeRoleAssignmentPolicies", "Get-RoleAssignmentPolicy"),
    _x("exchangeExternalInOutlook", "Get-ExternalInOutlook"),
    _x("exchangeHostedOutboundSpamFilterPolicies", "Get-HostedOutboundSpamFilterPolicy"),
    _x("exchangeHostedContentFilterPolicies", "Get-HostedContentFilterPolicy"),
    _x("exchangeHostedConnectionFilterPolicies", "Get-HostedConnectionFilterPolicy"),
    _x("exchangeMalwareFilterPolicies", "Get-MalwareFilterPolicy"),
    _x("exchangeAntiPhishPolicies", "Get-AntiPhishPolicy"),
    _x("exchangeSafeLinksPolicies", "Get-SafeLinksPolicy", MDO),
    _x("exchangeSafeAttachmentPolicies", "Get-SafeAttachmentPolicy", MDO),
    _x("exchangeAtpPolicyForO365", "Get-AtpPolicyForO365", MDO),
    _x("exchangeEOPProtectionPolicyRules", "Get-EOPProtectionPolicyRule"),
    _x("exchangeATPProtectionPolicyRules", "Get-ATPProtectionPolicyRule", MDO),
    _x("exchangeReportSubmissionPolicy", "Get-ReportSubmissionPolicy"),
    _ps(
        "complianceDlpCompliancePolicies",
        "Get-DlpCompliancePolicy",
        PURVIEW_ROLE,
        "Microsoft Purview DLP (E3: Exchange, SharePoint, OneDrive; E5: Teams, devices)",
        "ExchangeOnlineManagement, Connect-IPPSSession",
    ),
    _ps(
        "complianceDlpComplianceRules",
        "Get-DlpComplianceRule",
        PURVIEW_ROLE,
        "Microsoft Purview DLP",
        "ExchangeOnlineManagement, Connect-IPPSSession",
    ),
    _ps(
        "complianceProtectionAlerts",
        "Get-ProtectionAlert",
        PURVIEW_ROLE,
        "Microsoft 365 (some alerts need E5)",
        "ExchangeOnlineManagement, Connect-IPPSSession",
    ),
    _ps(
        "complianceLabelPolicies",
        "Get-LabelPolicy",
        PURVIEW_ROLE,
        "Microsoft Purview Information Protection",
        "ExchangeOnlineManagement, Connect-IPPSSession",
    ),
    Source(
        "sharepointTenant",
        "sharepoint",
        "/_api/SPO.Tenant",
        ("Sites.FullControl.All (SharePoint; application tokens need it to read tenant settings)",),
        version="",
        directory_role="SharePoint Administrator or Global Reader",
        licence="SharePoint Online",
        note="the admin host is https://{initial domain prefix}-admin.sharepoint.com, or --sharepoint-url",
        import_command="Get-SPOTenant | ConvertTo-Json -Depth 5 > sharepointTenant.json",
    ),
    _ps("teamsMeetingPolicies", "Get-CsTeamsMeetingPolicy", TEAMS_ROLE, "Microsoft Teams", "MicrosoftTeams"),
    _ps(
        "teamsTenantFederationConfiguration",
        "Get-CsTenantFederationConfiguration",
        TEAMS_ROLE,
        "Microsoft Teams",
        "MicrosoftTeams",
    ),
    _ps(
        "teamsClientConfiguration",
        "Get-CsTeamsClientConfiguration",
        TEAMS_ROLE,
        "Microsoft Teams",
        "MicrosoftTeams",
    ),
    _ps(
        "teamsAppPermissionPolicies",
        "Get-CsTeamsAppPermissionPolicy",
        TEAMS_ROLE,
        "Microsoft Teams",
        "MicrosoftTeams",
    ),
    _ps(
        "teamsMessagingPolicies",
        "Get-CsTeamsMessagingPolicy",
        TEAMS_ROLE,
        "Microsoft Teams",
        "MicrosoftTeams",
    ),
    _ps("teamsTenant", "Get-CsTenant", TEAMS_ROLE, "Microsoft Teams", "MicrosoftTeams"),
    _ps(
        "teamsMeetingBroadcastPolicies",
        "Get-CsTeamsMeetingBroadcastPolicy",
        TEAMS_ROLE,
        "Microsoft Teams",
        "MicrosoftTeams",
    ),
    Source(
        "dnsTxtRecords",
        "dns",
        "TXT",
        (),
        version="",
        note="public DNS TXT records of the accepted (else verified) domains, their _dmarc. names and DKIM "
        "selectors (selector1._domainkey., selector2._domainkey.)",
        after=("exchangeAcceptedDomains", "domains"),
    ),
)

#: name -> Source, in the order of :data:`auditor.snapshot.COLLECTIONS`
CATALOG: Mapping[str, Source] = {
    s.name: s for s in sorted(_SOURCES, key=lambda s: list(COLLECTIONS).index(s.name))
}

if set(CATALOG) != set(COLLECTIONS):  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"catalog and COLLECTIONS differ: {set(CATALOG) ^ set(COLLECTIONS)}")


def select_sources(names: Iterable[str] | None) -> list[Source]:
    """The catalog entries for ``names`` (all that an API serves when None); unknown names are an InputError.

    Import-only sources are selected only by name; collecting them records ``not_supported``
    with the PowerShell line that exports them. ``dnsTxtRecords`` is selected only by name
    too: its public DNS queries leave the machine, which a read-only tenant audit should not
    do unasked.
    """
    if names is None:
        # per-object collections ({id} in the path) are gathered after the ones that name the objects;
        # placeholders such as {tenantId} or {workspaceId} are filled by their own collectors.
        # Import-only sources and the DNS lookups are selected by name only.
        return [s for s in CATALOG.values() if "{id}" not in s.path and s.api not in ("import", "dns")]
    wanted = [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in CATALOG]
    if unknown:
        raise InputError(f"unknown collection(s) {', '.join(unknown)}; known: {', '.join(CATALOG)}")
    return [CATALOG[n] for n in CATALOG if n in wanted]


@dataclass(frozen=True)
class PermissionNeed:
    """One permission (or role/licence) and the collections that need it."""

    kind: Literal["application permission", "directory role", "azure role", "licence"]
    name: str
    collections: tuple[str, ...]


def permissions_for(names: Iterable[str]) -> list[PermissionNeed]:
    """The deduplicated permissions, roles and licences that collecting ``names`` needs.

    ``organization`` is always included: collection reads it for the snapshot's tenant block.
    """
    names = {*names, "organization"}
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
