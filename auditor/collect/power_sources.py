"""Sources of Power BI (Fabric) and Power Platform settings, for the SCuBA Power BI and Power
Platform baselines.

Each collection keeps its API's own JSON verbatim, the JSON that ScubaGear's providers read:

- ``powerBiTenantSettings``: the ``tenantSettings`` (or, in the newer shape, ``value``) list of the
  Fabric admin API ``GET /v1/admin/tenantsettings`` (one object per setting: ``settingName``,
  ``enabled``, ``enabledSecurityGroups``, ...).
- ``powerPlatformTenantSettings``: the Power Platform admin API's
  ``POST /providers/Microsoft.BusinessAppPlatform/listTenantSettings`` object, as ``Get-TenantSettings``.
- ``powerPlatformEnvironments``: the environments of ``/providers/Microsoft.BusinessAppPlatform/
  scopes/admin/environments`` (``name``, ``properties.isDefault``, ...); ``Get-AdminPowerAppEnvironment``
  prints them under ``Internal``, which the import takes.
- ``powerPlatformDlpPolicies``: the DLP (data) policies as ``Get-DlpPolicy`` prints them
  (``name``, ``displayName``, ``environmentType``, ``environments``, ``connectorGroups``).
- ``powerPlatformTenantIsolationPolicy``: ``/providers/PowerPlatform.Governance/v1/tenants/{tenantId}/
  tenantIsolationPolicy`` (``properties.isDisabled``, ``properties.allowedTenants``).

These admin APIs accept a user token of a Fabric or Power Platform administrator; an application
needs tenant-side registration first (a Fabric tenant setting, ``New-PowerAppManagementApp``), so
the way in is ``auditor import`` of the PowerShell export (``docs/collections.md``).
"""

from __future__ import annotations

from auditor.collect.source import Source

FABRIC_ROLE = "Fabric Administrator (or Global Administrator), the person running the export"
POWER_PLATFORM_ROLE = "Power Platform Administrator (or Dynamics 365 Administrator), the person running the export"
FABRIC_LICENCE = "Power BI or Microsoft Fabric (Free is enough) assigned to the person running the export"
POWER_PLATFORM_LICENCE = "Power Platform (included in Microsoft 365 E3/G3)"
PBI_MODULE = "MicrosoftPowerBIMgmt, Connect-PowerBIServiceAccount"
PP_MODULE = "Microsoft.PowerApps.Administration.PowerShell, Add-PowerAppsAccount"


def _pp(name: str, cmdlet: str, endpoint: str) -> Source:
    return Source(
        name=name,
        api="import",
        path=cmdlet,
        permissions=(),
        version="",
        directory_role=POWER_PLATFORM_ROLE,
        licence=POWER_PLATFORM_LICENCE,
        note=f"import only ({PP_MODULE}); the admin API behind it: {endpoint}",
        import_command=f"{cmdlet} | ConvertTo-Json -Depth 10 > {name}.json",
    )


POWER_SOURCES: tuple[Source, ...] = (
    Source(
        name="powerBiTenantSettings",
        api="import",
        path="GET /v1/admin/tenantsettings",
        permissions=(),
        version="",
        directory_role=FABRIC_ROLE,
        licence=FABRIC_LICENCE,
        note=f"import only ({PBI_MODULE}); Fabric admin API, delegated scope Tenant.Read.All",
        import_command=(
            "Invoke-PowerBIRestMethod -Method Get -Url "
            "'https://api.fabric.microsoft.com/v1/admin/tenantsettings' > powerBiTenantSettings.json"
        ),
    ),
    _pp(
        "powerPlatformTenantSettings",
        "Get-TenantSettings",
        "POST /providers/Microsoft.BusinessAppPlatform/listTenantSettings?api-version=2023-06-01",
    ),
    _pp(
        "powerPlatformEnvironments",
        "Get-AdminPowerAppEnvironment",
        "GET /providers/Microsoft.BusinessAppPlatform/scopes/admin/environments?api-version=2023-06-01",
    ),
    _pp("powerPlatformDlpPolicies", "Get-DlpPolicy", "GET /providers/PowerPlatform.Governance/v1/policies"),
    _pp(
        "powerPlatformTenantIsolationPolicy",
        "Get-PowerAppTenantIsolationPolicy -TenantID <tenant id>",
        "GET /providers/PowerPlatform.Governance/v1/tenants/{tenantId}/tenantIsolationPolicy?api-version=2020-06-01",
    ),
)
