"""SharePoint admin REST rows (the ``sharepoint`` reader)."""

from __future__ import annotations

from auditor.collect.source import (
    Source,
)

SHAREPOINT: tuple[Source, ...] = (
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
)
