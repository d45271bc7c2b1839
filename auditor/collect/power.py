"""The Power BI (Fabric) and Power Platform admin APIs, read-only, with the run's credential.

- Fabric admin API ``GET {powerbi-url}/v1/admin/tenantsettings`` (token audience the API host,
  ``https://api.fabric.microsoft.com/.default``): the list is ``tenantSettings`` (older answer) or
  ``value`` with a ``continuationUri`` (newer, paged); both become one Graph-style page here.
- Power Platform admin API on ``{powerplatform-url}`` (``api.bap.microsoft.com``, token audience
  ``https://service.powerapps.com/.default``): tenant settings (a POST that only reads:
  ``listTenantSettings``), environments (paged by ``nextLink``), DLP policies and the tenant isolation
  policy (``/tenants/{tenantId}/...``). A tenant that never configured isolation answers ``null``
  (kept as an empty object, judged as unset), as ``auditor import`` does.

Same retries and bookkeeping as Graph, through :class:`auditor.collect.exchange.BearerHttp`.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from auditor.collect.catalog import Source
from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import RawResponse, SendFn
from auditor.collect.graph import LOCAL_HOSTS

DEFAULT_POWERBI_URL = "https://api.fabric.microsoft.com"
DEFAULT_POWERPLATFORM_URL = "https://api.bap.microsoft.com"
POWERBI_SCOPE = "https://api.fabric.microsoft.com/.default"

#: the Power Platform admin API host of each cloud and the token audience it accepts
#: (commercial, GCC, GCC High, DoD)
POWERPLATFORM_AUDIENCES = {
    "api.bap.microsoft.com": "https://service.powerapps.com/.default",
    "gov.api.bap.microsoft.us": "https://gov.service.powerapps.us/.default",
    "high.api.bap.microsoft.us": "https://high.service.powerapps.us/.default",
    "api.bap.appsplatform.us": "https://service.apps.appsplatform.us/.default",
}


def powerbi_scope(root: str) -> str:
    host = urlsplit(root).hostname or ""
    return POWERBI_SCOPE if host in LOCAL_HOSTS else f"https://{host}/.default"


def powerplatform_scope(root: str) -> str:
    host = urlsplit(root).hostname or ""
    if host in LOCAL_HOSTS:
        return POWERPLATFORM_AUDIENCES["api.bap.microsoft.com"]
    return POWERPLATFORM_AUDIENCES.get(host, f"https://{host}/.default")


def power_url(root: str, source: Source, tenant_id: str) -> str:
    """The first request's URL: ``path`` (``{tenantId}`` filled in) and the ``api-version``."""
    url = f"{root.rstrip('/')}{source.path.replace('{tenantId}', tenant_id)}"
    return f"{url}?api-version={source.version}" if source.version else url


#: the list key and the next-page key of each list collection's answer
_LISTS = {
    "powerBiTenantSettings": (("tenantSettings", "value"), "continuationUri"),
    "powerPlatformEnvironments": (("value",), "nextLink"),
    "powerPlatformDlpPolicies": (("value",), "nextLink"),
}


def power_sender(http: BearerHttp, source: Source) -> SendFn:
    """A send function in Graph's form: lists become ``{"value", "@odata.nextLink"}``; the items
    and singletons are untouched, except a ``null`` singleton (never configured), which becomes ``{}``.
    ``listTenantSettings`` is a POST with an empty body: it reads, it changes nothing."""
    method = "POST" if source.path.endswith("/listTenantSettings") else "GET"
    body = b"{}" if method == "POST" else None

    async def send(url: str) -> RawResponse:
        response = await http.request(method, url, body)
        if not 200 <= response.status < 300:
            return response
        try:
            doc = json.loads(response.body) if response.body.strip() else None
        except (ValueError, UnicodeDecodeError):
            return response  # the pager reports the malformed answer
        if source.shape == "object":
            if doc is None:
                doc = {}
            return RawResponse(response.status, response.headers, json.dumps(doc).encode(), response.url)
        keys, next_key = _LISTS.get(source.name, (("value",), "nextLink"))
        if not isinstance(doc, dict):
            return response
        items = next((doc[k] for k in keys if isinstance(doc.get(k), list)), None)
        if items is None:
            return response
        page: dict[str, object] = {"value": items}
        if doc.get(next_key):
            page["@odata.nextLink"] = doc[next_key]
        return RawResponse(response.status, response.headers, json.dumps(page).encode(), response.url)

    return send
