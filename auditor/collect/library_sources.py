"""Sources of the Microsoft 365 workloads: Exchange Online and Defender for Office 365 cmdlets,
Purview and Teams (PowerShell only, brought in with ``auditor import``), the SharePoint admin
REST endpoint, public DNS, and two Graph collections read in two steps (PIM for Groups policies,
app management policies with ``appliesTo``). ``docs/collections.md`` lists the export lines.
"""

from __future__ import annotations

from auditor.collect.source import (
    EXCHANGE_APP_PERMISSION,
    EXCHANGE_ROLE,
    EXO,
    MDO,
    P2,
    PURVIEW_ROLE,
    TEAMS_ROLE,
    FanOut,
    Source,
    _g,
)


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


LIBRARY_SOURCES: tuple[Source, ...] = (
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
    # the rules that say whom each threat policy applies to (state, priority, recipients, exceptions)
    _x("exchangeAntiPhishRules", "Get-AntiPhishRule"),
    _x("exchangeMalwareFilterRules", "Get-MalwareFilterRule"),
    _x("exchangeHostedContentFilterRules", "Get-HostedContentFilterRule"),
    _x("exchangeSafeLinksRules", "Get-SafeLinksRule", MDO),
    _x("exchangeSafeAttachmentRules", "Get-SafeAttachmentRule", MDO),
    _x("exchangeATPBuiltInProtectionRule", "Get-ATPBuiltInProtectionRule", MDO),
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
    _ps(
        "teamsM365UnifiedTenantSettings",
        "Get-M365UnifiedTenantSettings",
        TEAMS_ROLE,
        "Microsoft Teams",
        "MicrosoftTeams, signed in as a user: the cmdlet refuses certificate sign-in",
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
