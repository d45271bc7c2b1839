"""Sources of Power BI (Fabric) and Power Platform settings, for the SCuBA Power BI and Power
Platform baselines (read by :mod:`auditor.collect.power`).

Each collection keeps its API's own JSON verbatim, the JSON that ScubaGear's providers read:

- ``powerBiTenantSettings``: the tenant settings list of the Fabric admin API
  ``GET /v1/admin/tenantsettings`` (one object per setting: ``settingName``, ``enabled``,
  ``enabledSecurityGroups``, ...).
- ``powerPlatformTenantSettings``: the Power Platform admin API's ``listTenantSettings`` object,
  as ``Get-TenantSettings`` prints it.
- ``powerPlatformEnvironments``: the admin API's environments (``name``, ``properties.isDefault``, ...);
  ``Get-AdminPowerAppEnvironment`` prints them under ``Internal``, which the import takes.
- ``powerPlatformDlpPolicies``: the DLP (data) policies as ``Get-DlpPolicy`` prints them
  (``name``, ``displayName``, ``environmentType``, ``environments``, ``connectorGroups``).
- ``powerPlatformTenantIsolationPolicy``: the tenant isolation policy (``properties.isDisabled``,
  ``properties.allowedTenants``).

They are collected only when named in ``--sources``: the admin APIs serve an application only after
tenant-side registration (a Fabric tenant setting; ``New-PowerAppManagementApp``), so by default the
way in is ``auditor import`` of the PowerShell export (``docs/collections.md``).
"""

from __future__ import annotations

from auditor.collect.source import Source

FABRIC_PERMISSION = (
    "Tenant.Read.All (Power BI Service, delegated); an application instead needs the Fabric tenant setting "
    "'Service principals can access read-only admin APIs' for a security group holding it"
)
POWER_PLATFORM_PERMISSION = (
    "Power Platform admin API access: a Power Platform Administrator's token, or an application registered "
    "with New-PowerAppManagementApp"
)
FABRIC_ROLE = "Fabric Administrator (or Global Administrator)"
POWER_PLATFORM_ROLE = "Power Platform Administrator (or Dynamics 365 Administrator)"
FABRIC_LICENCE = "Power BI or Microsoft Fabric (Free is enough) for a signed-in administrator"
POWER_PLATFORM_LICENCE = "Power Platform (included in Microsoft 365 E3/G3)"
PP_MODULE = "Microsoft.PowerApps.Administration.PowerShell, Add-PowerAppsAccount"


def _pp(name: str, path: str, version: str, cmdlet: str) -> Source:
    return Source(
        name=name,
        api="powerplatform",
        path=path,
        permissions=(POWER_PLATFORM_PERMISSION,),
        version=version,
        directory_role=POWER_PLATFORM_ROLE,
        licence=POWER_PLATFORM_LICENCE,
        note=f"collected only when named in --sources; or import `{cmdlet}` ({PP_MODULE})",
        import_command=f"{cmdlet} | ConvertTo-Json -Depth 10 > {name}.json",
    )


POWER: tuple[Source, ...] = (
    Source(
        name="powerBiTenantSettings",
        api="powerbi",
        path="/v1/admin/tenantsettings",
        permissions=(FABRIC_PERMISSION,),
        version="",
        directory_role=FABRIC_ROLE,
        licence=FABRIC_LICENCE,
        note="collected only when named in --sources; or import the Fabric admin API's answer "
        "(MicrosoftPowerBIMgmt, Connect-PowerBIServiceAccount)",
        import_command=(
            "Invoke-PowerBIRestMethod -Method Get -Url "
            "'https://api.fabric.microsoft.com/v1/admin/tenantsettings' > powerBiTenantSettings.json"
        ),
    ),
    _pp(
        "powerPlatformTenantSettings",
        "/providers/Microsoft.BusinessAppPlatform/listTenantSettings",
        "2023-06-01",
        "Get-TenantSettings",
    ),
    _pp(
        "powerPlatformEnvironments",
        "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments",
        "2023-06-01",
        "Get-AdminPowerAppEnvironment",
    ),
    _pp("powerPlatformDlpPolicies", "/providers/PowerPlatform.Governance/v1/policies", "", "Get-DlpPolicy"),
    _pp(
        "powerPlatformTenantIsolationPolicy",
        "/providers/PowerPlatform.Governance/v1/tenants/{tenantId}/tenantIsolationPolicy",
        "2020-06-01",
        "Get-PowerAppTenantIsolationPolicy -TenantID <tenant id>",
    ),
)
