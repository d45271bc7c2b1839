"""The fixed collection names of a snapshot and the JSON shape of each.

These names are fixed (docs/formats.md lists them); the collector's catalog (``auditor.collect``)
adds endpoints and permissions on top. Shapes live here, not in the collector,
because loading a snapshot must check them without knowing how it was collected.
"""

from __future__ import annotations

from typing import Literal

#: ``list``: a JSON array; ``object``: a singleton JSON object; ``objectOfLists``: an object whose
#: every value is a list (``groupMembers``: group id -> that group's members).
Shape = Literal["list", "object", "objectOfLists"]

#: Every known collection and its shape: what the API returns (a list or a singleton object), or for
#: a collection read once per referenced object, an object of lists keyed by that object's id.
COLLECTIONS: dict[str, Shape] = {
    "organization": "list",
    "domains": "list",
    "subscribedSkus": "list",
    "users": "list",
    "groups": "list",
    "groupMembers": "objectOfLists",
    "userRegistrationDetails": "list",
    "conditionalAccessPolicies": "list",
    "namedLocations": "list",
    "authenticationStrengthPolicies": "list",
    "authenticationMethodsPolicy": "object",
    "securityDefaults": "object",
    "authorizationPolicy": "object",
    "adminConsentRequestPolicy": "object",
    "crossTenantAccessPolicyDefault": "object",
    "defaultAppManagementPolicy": "object",
    "roleDefinitions": "list",
    "roleAssignments": "list",
    "roleEligibilitySchedules": "list",
    "roleAssignmentScheduleInstances": "list",
    "roleManagementPolicyAssignments": "list",
    "accessReviews": "list",
    "applications": "list",
    "servicePrincipals": "list",
    "groupSettings": "list",
    "sharepointSettings": "object",
    "secureScores": "list",
    "exchangeAdminAuditLogConfig": "object",
    "exchangeOrganizationConfig": "object",
    "exchangeMailboxAuditBypassAssociations": "list",
    "auditLogRetentionPolicies": "list",
    "entraDiagnosticSettings": "list",
    # near-real-time logging: the Management Activity feed, log freshness, Microsoft Sentinel
    "managementActivitySubscriptions": "list",
    "recentAuditActivity": "object",
    "sentinelDataConnectors": "list",
    # Library coverage of Exchange Online, Defender for Office 365, Purview, SharePoint and Teams
    # (one block, kept together). Exchange cmdlets Get-X are exchangeX: plural and a list where the
    # cmdlet returns a list, an object where it returns one; properties as the cmdlet names them.
    "appManagementPolicies": "list",
    "groupRoleManagementPolicyAssignments": "list",
    "exchangeAcceptedDomains": "list",
    "exchangeRemoteDomains": "list",
    "exchangeTransportConfig": "object",
    "exchangeTransportRules": "list",
    "exchangeSharingPolicies": "list",
    "exchangeDkimSigningConfigs": "list",
    "exchangeOwaMailboxPolicies": "list",
    "exchangeRoleAssignmentPolicies": "list",
    "exchangeExternalInOutlook": "object",
    "exchangeHostedOutboundSpamFilterPolicies": "list",
    "exchangeHostedContentFilterPolicies": "list",
    "exchangeHostedConnectionFilterPolicies": "list",
    "exchangeMalwareFilterPolicies": "list",
    "exchangeAntiPhishPolicies": "list",
    "exchangeSafeLinksPolicies": "list",
    "exchangeSafeAttachmentPolicies": "list",
    "exchangeAtpPolicyForO365": "object",
    "exchangeEOPProtectionPolicyRules": "list",
    "exchangeATPProtectionPolicyRules": "list",
    "exchangeReportSubmissionPolicy": "object",
    # who the Defender threat policies apply to: their rules (recipient conditions, state, priority)
    "exchangeAntiPhishRules": "list",
    "exchangeMalwareFilterRules": "list",
    "exchangeHostedContentFilterRules": "list",
    "exchangeSafeLinksRules": "list",
    "exchangeSafeAttachmentRules": "list",
    "exchangeATPBuiltInProtectionRule": "object",
    "complianceDlpCompliancePolicies": "list",
    "complianceDlpComplianceRules": "list",
    "complianceProtectionAlerts": "list",
    "complianceLabelPolicies": "list",
    "sharepointTenant": "object",
    "teamsMeetingPolicies": "list",
    "teamsTenantFederationConfiguration": "object",
    "teamsClientConfiguration": "object",
    "teamsAppPermissionPolicies": "list",
    "teamsMessagingPolicies": "list",
    "teamsTenant": "object",
    "teamsMeetingBroadcastPolicies": "list",
    "teamsM365UnifiedTenantSettings": "list",
    "dnsTxtRecords": "object",
    # Power BI (Fabric admin API) and Power Platform (admin API): each API's own JSON, verbatim
    "powerBiTenantSettings": "list",
    "powerPlatformTenantSettings": "object",
    "powerPlatformEnvironments": "list",
    "powerPlatformDlpPolicies": "list",
    "powerPlatformTenantIsolationPolicy": "object",
}

#: Collections that only ``auditor import`` fills (no API serves them to an app credential).
IMPORT_ONLY = frozenset(
    {
        "complianceDlpCompliancePolicies",
        "complianceDlpComplianceRules",
        "complianceProtectionAlerts",
        "complianceLabelPolicies",
        "teamsMeetingPolicies",
        "teamsTenantFederationConfiguration",
        "teamsClientConfiguration",
        "teamsAppPermissionPolicies",
        "teamsMessagingPolicies",
        "teamsTenant",
        "teamsMeetingBroadcastPolicies",
        "teamsM365UnifiedTenantSettings",
    }
)

#: Statuses a ``sources`` entry may carry; only ``ok`` makes a collection usable.
SOURCE_STATUSES = ("ok", "error", "forbidden", "not_licensed", "not_supported")
