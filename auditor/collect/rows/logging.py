"""Where the audit logs go, and whether they arrive: Azure Resource Manager (``arm``: Entra
diagnostic settings; ``sentinel``: the data connectors of the workspaces they name) and the Office
365 Management Activity API (``office365``; ``recentActivity``: the newest record per feed)."""

from __future__ import annotations

from auditor.collect.source import (
    ACTIVITY_FEED_DLP_PERMISSION,
    ACTIVITY_FEED_PERMISSION,
    P1,
    SENTINEL_ROLE,
    Source,
)

LOGGING: tuple[Source, ...] = (
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
