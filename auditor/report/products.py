"""Which product a policy belongs to, and where in which admin portal it is fixed.

Kept here once, as data, so that the per-product summary and the "Fix first" portal links
of every format agree. A policy's product comes from the first matching rule: its ID
prefix (``EXO.``, ``SPO.``, ...), else one of its tags; the portal link is the product's,
refined for a few areas (conditional access, authentication methods, PIM). The URLs are
the ones Microsoft Learn links to for each admin centre.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from auditor.results.types import ResultEntry


class Product(NamedTuple):
    key: str
    name: str
    portal: str
    url: str


PRODUCTS: tuple[Product, ...] = (
    Product("entra", "Entra ID", "Microsoft Entra admin center", "https://entra.microsoft.com/"),
    Product("exchange", "Exchange Online", "Exchange admin center", "https://admin.exchange.microsoft.com/"),
    Product(
        "defender",
        "Defender for Office 365",
        "Microsoft Defender portal",
        "https://security.microsoft.com/threatpolicy",
    ),
    Product("purview", "Purview", "Microsoft Purview portal", "https://purview.microsoft.com/"),
    Product(
        "sharepoint",
        "SharePoint and OneDrive",
        "SharePoint admin center",
        "https://go.microsoft.com/fwlink/?linkid=2185222",
    ),
    Product("teams", "Teams", "Teams admin center", "https://admin.teams.microsoft.com/"),
    Product("powerbi", "Power BI", "Power BI admin portal", "https://app.powerbi.com/admin-portal"),
    Product(
        "powerplatform",
        "Power Platform",
        "Power Platform admin center",
        "https://admin.powerplatform.microsoft.com/",
    ),
    Product("m365", "Microsoft 365", "Microsoft 365 admin center", "https://admin.microsoft.com/"),
)
BY_KEY = {p.key: p for p in PRODUCTS}
OTHER = Product("other", "Other", "", "")

#: (policy ID prefix, product key), longest prefixes first where they overlap
ID_PREFIXES: tuple[tuple[str, str], ...] = (
    ("AUDIT.ENTRA-LOGS.", "entra"),
    ("AUDIT.SENTINEL.", "defender"),
    ("AUDIT.", "purview"),
    ("AAD.", "entra"),
    ("ENTRA.", "entra"),
    ("EXO.", "exchange"),
    ("DEFENDER.", "defender"),
    ("PURVIEW.", "purview"),
    ("SPO.", "sharepoint"),
    ("ONEDRIVE.", "sharepoint"),
    ("TEAMS.", "teams"),
    ("POWERBI.", "powerbi"),
    ("PBI.", "powerbi"),
    ("POWERPLATFORM.", "powerplatform"),
    ("PPLAT.", "powerplatform"),
    ("PP.", "powerplatform"),
    ("M365.", "m365"),
)
#: tags that name a product, for user policies with IDs of their own
TAGS: dict[str, str] = {
    "entra": "entra",
    "identity": "entra",
    "exchange": "exchange",
    "defender": "defender",
    "purview": "purview",
    "sharepoint": "sharepoint",
    "onedrive": "sharepoint",
    "teams": "teams",
    "powerbi": "powerbi",
    "power-bi": "powerbi",
    "powerplatform": "powerplatform",
    "power-platform": "powerplatform",
}
#: deeper links for areas of a product: (policy ID prefix, URL)
_CA = "https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/~/Policies"
_AUTH_METHODS = (
    "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/AuthenticationMethodsMenuBlade/~/AdminAuthMethods"
)
_PIM = "https://entra.microsoft.com/#view/Microsoft_Azure_PIMCommon/CommonMenuBlade/~/quickStart"
DEEP_LINKS: tuple[tuple[str, str], ...] = (
    ("AAD.MFA.", _CA),
    ("AAD.RISK.HIGH-RISK-SIGNINS", _CA),
    ("AAD.RISK.HIGH-RISK-USERS", _CA),
    ("AAD.RISK.MEDIUM-HIGH", _CA),
    ("AAD.SESSION.", _CA),
    ("AAD.DEVICE.", _CA),
    ("AAD.DEVICE-CODE-FLOW.", _CA),
    ("AAD.LEGACY-AUTH.", _CA),
    ("AAD.CA.", _CA),
    ("AAD.AUTH-METHODS.", _AUTH_METHODS),
    ("AAD.AUTHENTICATOR.", _AUTH_METHODS),
    ("AAD.PIM.", _PIM),
)


def product_of(policy_id: str, tags: Iterable[str] = ()) -> Product:
    """The product a policy belongs to (:data:`OTHER` when neither its ID nor its tags say)."""
    for prefix, key in ID_PREFIXES:
        if policy_id.startswith(prefix):
            return BY_KEY[key]
    for tag in tags:
        tagged = TAGS.get(str(tag).lower())
        if tagged:
            return BY_KEY[tagged]
    return OTHER


def portal_link(result: ResultEntry) -> tuple[str, str]:
    """(portal name, URL) where a failing policy is fixed; ("", "") when unknown."""
    pid = str(result["policyId"])
    product = product_of(pid, result.get("tags") or ())
    for prefix, url in DEEP_LINKS:
        if pid.startswith(prefix):
            return product.portal, url
    return product.portal, product.url


def product_counts(results: Sequence[ResultEntry]) -> list[tuple[Product, dict[str, int]]]:
    """Policy counts by status for each product that has policies, in :data:`PRODUCTS` order."""
    out: dict[str, dict[str, int]] = {}
    for r in results:
        key = product_of(str(r["policyId"]), r.get("tags") or ()).key
        counts = out.setdefault(key, {})
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    order = [*PRODUCTS, OTHER]
    return [(p, out[p.key]) for p in order if p.key in out]
