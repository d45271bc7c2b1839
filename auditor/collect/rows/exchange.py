"""Exchange Online admin API rows (the ``exchange`` reader): one cmdlet per collection through
``InvokeCommand``, Exchange Online and Defender for Office 365 settings; ``auditor import`` is the
fallback where the endpoint does not serve a cmdlet (``docs/collections.md`` lists the export lines)."""

from __future__ import annotations

from auditor.collect.source import (
    EXCHANGE_APP_PERMISSION,
    EXCHANGE_ROLE,
    EXO,
    MDO,
    Source,
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


EXCHANGE: tuple[Source, ...] = (
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
)
