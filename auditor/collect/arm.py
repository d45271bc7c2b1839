"""Azure Resource Manager: Entra ID diagnostic settings (where sign-in and audit logs go).

``GET {arm-url}/providers/microsoft.aadiam/diagnosticSettings?api-version=2017-04-01-preview``
with a token for ``https://management.azure.com/.default``; same retries and
bookkeeping as Graph, via :class:`auditor.collect.exchange.BearerHttp`.
"""

from __future__ import annotations

from auditor.collect.catalog import Source
from auditor.collect.exchange import BearerHttp
from auditor.collect.fetching import RawResponse, SendFn
from auditor.collect.graph import resource_scope

DEFAULT_ARM_URL = "https://management.azure.com"
ARM_SCOPE = "https://management.azure.com/.default"


def arm_scope(root: str) -> str:
    return resource_scope(root, ARM_SCOPE)


def arm_url(root: str, source: Source) -> str:
    return f"{root.rstrip('/')}{source.path}?api-version={source.version}"


def arm_sender(http: BearerHttp) -> SendFn:
    async def send(url: str) -> RawResponse:
        return await http.request("GET", url)

    return send
