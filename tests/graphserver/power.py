"""The test server's Power BI (Fabric) and Power Platform admin APIs, in their real JSON shapes.

Fabric ``GET /v1/admin/tenantsettings`` answers ``{"value": [...]}`` in two pages linked by
``continuationUri``; the Power Platform admin API (``api.bap.microsoft.com``) answers tenant settings
to a POST (``listTenantSettings``), environments in two pages linked by ``nextLink`` (api-version
checked), DLP policies, and the tenant isolation policy of this tenant only. A tenant without an
isolation policy is served as the real service does, ``null`` (set ``power_isolation_unset``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.graphserver.tenant import TENANT_ID

if TYPE_CHECKING:
    from tests.graphserver.server import _Handler

ENV_API = "2023-06-01"
ISOLATION_API = "2020-06-01"
SETTINGS_PATH = "/v1/admin/tenantsettings"
PP_SETTINGS_PATH = "/providers/Microsoft.BusinessAppPlatform/listTenantSettings"
ENVIRONMENTS_PATH = "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments"
DLP_PATH = "/providers/PowerPlatform.Governance/v1/policies"
ISOLATION_PATH = f"/providers/PowerPlatform.Governance/v1/tenants/{TENANT_ID}/tenantIsolationPolicy"


def _setting(name: str, enabled: bool, group: str, **extra: Any) -> dict[str, Any]:
    return {
        "settingName": name,
        "title": name,
        "enabled": enabled,
        "canSpecifySecurityGroups": True,
        "tenantSettingGroup": group,
        **extra,
    }


def _environment(name: str, display: str, default: bool, sku: str) -> dict[str, Any]:
    return {
        "id": f"{ENVIRONMENTS_PATH}/{name}",
        "type": "Microsoft.BusinessAppPlatform/scopes/environments",
        "location": "unitedstates",
        "name": name,
        "properties": {
            "tenantId": TENANT_ID,
            "displayName": display,
            "isDefault": default,
            "environmentSku": sku,
        },
    }


def make_power() -> dict[str, Any]:
    """The five collections as the admin APIs hold them (the server pages them itself)."""
    default = f"Default-{TENANT_ID}"
    envs = [
        _environment(default, "Contoso (default)", True, "Default"),
        _environment("2f6c1a8e-4b3d-4e9a-8c70-5d1e9b3a7f42", "Finance", False, "Production"),
        _environment("8a0d3e5b-7c2f-4a16-b9e4-1f6d8c0a2e73", "Sandbox", False, "Sandbox"),
    ]
    return {
        "powerBiTenantSettings": [
            _setting("PublishToWeb", False, "ExportAndSharingSettings"),
            _setting(
                "AllowGuestUserToAccessSharedContent",
                True,
                "ExportAndSharingSettings",
                enabledSecurityGroups=[
                    {"graphId": "0d8f6b2a-3e4c-4a1b-9f7d-6c5e2a1b0f93", "name": "PBI guests"}
                ],
            ),
            _setting("ExternalSharingV2", True, "ExportAndSharingSettings"),
            _setting("RScriptVisual", False, "RAndPythonVisualsSettings"),
            _setting("BlockResourceKeyAuthentication", True, "DeveloperSettings"),
        ],
        "powerPlatformTenantSettings": {
            "disableEnvironmentCreationByNonAdminUsers": True,
            "disableTrialEnvironmentCreationByNonAdminUsers": False,
            "disablePortalsCreationByNonAdminUsers": True,
            "powerPlatform": {"powerApps": {"disableShareWithEveryone": True, "enableGuestsToMake": False}},
        },
        "powerPlatformEnvironments": envs,
        "powerPlatformDlpPolicies": [
            {
                "name": "b3e9d1f7-0a2c-4e58-9d6b-7f1a3c5e8b20",
                "displayName": "Default environment",
                "environmentType": "OnlyEnvironments",
                "environments": [{"id": envs[0]["id"], "name": default, "type": envs[0]["type"]}],
                "connectorGroups": [{"classification": "Confidential", "connectors": []}],
            }
        ],
        "powerPlatformTenantIsolationPolicy": {
            "id": ISOLATION_PATH,
            "name": TENANT_ID,
            "type": "PowerPlatform.Governance/tenants/tenantIsolationPolicy",
            "properties": {"tenantId": TENANT_ID, "isDisabled": False, "allowedTenants": []},
        },
    }


def _two_pages(
    handler: _Handler,
    name: str,
    items: list[Any],
    query: dict[str, list[str]],
    next_key: str,
    list_key: str = "value",
) -> None:
    """The first half, with a link to the second (the token in the query), or the second half."""
    half = (len(items) + 1) // 2
    second = query.get("continuationToken", query.get("$skiptoken", [""]))[0] == "p2"
    if second:
        doc: dict[str, Any] = {list_key: items[half:]}
    else:
        path = handler.path.split("?", 1)[0]
        token_key = "continuationToken" if next_key == "continuationUri" else "$skiptoken"
        rest = "".join(
            f"&{k}={v[0]}" for k, v in query.items() if k not in ("continuationToken", "$skiptoken")
        )
        doc = {list_key: items[:half], next_key: f"{handler.app.url}{path}?{token_key}=p2{rest}"}
        if next_key == "continuationUri":
            doc["continuationToken"] = "p2"
    handler._send(200, json.dumps(doc).encode())


def power_route(handler: _Handler, method: str, path: str, query: dict[str, list[str]]) -> bool:
    """Serve the request if it is one of the Power admin APIs; False when it is not ours."""
    routes = {
        ("GET", SETTINGS_PATH): "powerBiTenantSettings",
        ("POST", PP_SETTINGS_PATH): "powerPlatformTenantSettings",
        ("GET", ENVIRONMENTS_PATH): "powerPlatformEnvironments",
        ("GET", DLP_PATH): "powerPlatformDlpPolicies",
        ("GET", ISOLATION_PATH): "powerPlatformTenantIsolationPolicy",
    }
    name = routes.get((method, path))
    if name is None:
        if path.startswith("/providers/PowerPlatform.Governance/v1/tenants/"):
            handler._error(403, "Forbidden", "The caller is not authorized for this tenant.")
            return True
        return False
    if handler._apply_fault(name):
        return True
    wanted = {
        "powerPlatformEnvironments": ENV_API,
        "powerPlatformTenantSettings": ENV_API,
        "powerPlatformTenantIsolationPolicy": ISOLATION_API,
    }.get(name)
    if wanted and query.get("api-version") != [wanted]:
        handler._error(400, "InvalidApiVersionParameter", "The api-version is invalid.")
        return True
    data = handler.app.tenant[name]
    if name == "powerBiTenantSettings":
        _two_pages(handler, name, data, query, "continuationUri")
    elif name == "powerPlatformEnvironments":
        _two_pages(handler, name, data, query, "nextLink")
    elif name == "powerPlatformDlpPolicies":
        handler._send(200, json.dumps({"value": data}).encode())
    elif name == "powerPlatformTenantIsolationPolicy" and handler.app.power_isolation_unset:
        handler._send(200, b"null")
    else:
        handler._send(200, json.dumps(data).encode())
    return True
