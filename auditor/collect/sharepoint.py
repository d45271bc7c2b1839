"""SharePoint Online tenant settings from the admin REST endpoint, as ``Get-SPOTenant`` shows them.

``GET https://{tenant}-admin.sharepoint.com/_api/SPO.Tenant`` with a token for that host
(ScubaGear's ``Get-SPOTenantRest`` reads the same): PascalCase properties, enumerations as
integers. The admin host is not discoverable from Graph except through the tenant's initial
``*.onmicrosoft.com`` domain, so ``--sharepoint-url`` can name it. Graph's
``/admin/sharepoint/settings`` lacks most sharing settings (default link type and permission,
Anyone-link expiry, verification-code reauthentication), hence this source.
"""

from __future__ import annotations

from typing import Any

from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import RawResponse, SendFn
from auditor.collect.graph import resource_scope


def admin_url_from_organization(org: list[Any] | None) -> str | None:
    """``https://contoso-admin.sharepoint.com`` from the initial ``contoso.onmicrosoft.com`` domain."""
    for entry in org or []:
        if not isinstance(entry, dict):
            continue
        for domain in entry.get("verifiedDomains") or []:
            name = str(domain.get("name") or "") if isinstance(domain, dict) else ""
            if isinstance(domain, dict) and domain.get("isInitial") and name.endswith(".onmicrosoft.com"):
                return f"https://{name.split('.', 1)[0]}-admin.sharepoint.com"
    return None


def sharepoint_scope(root: str) -> str:
    return resource_scope(root, f"{root.rstrip('/')}/.default")


def tenant_url(root: str, path: str) -> str:
    return f"{root.rstrip('/')}{path}"


def sharepoint_sender(http: BearerHttp) -> SendFn:
    """GET with ``Accept: application/json`` (no OData metadata), as the REST API expects."""

    async def send(url: str) -> RawResponse:
        return await http.request("GET", url)

    return send
