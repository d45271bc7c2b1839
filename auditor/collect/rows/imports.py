"""PowerShell-only rows (the ``import`` reader): Purview and Teams settings no API serves to an
application, brought in with ``auditor import`` (``docs/collections.md`` lists the export lines)."""

from __future__ import annotations

from auditor.collect.source import (
    PURVIEW_ROLE,
    TEAMS_ROLE,
    Source,
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


IMPORTS: tuple[Source, ...] = (
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
)
