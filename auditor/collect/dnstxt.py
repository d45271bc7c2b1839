"""Public DNS TXT records (SPF, DMARC, DKIM) of the tenant's domains: ``dnsTxtRecords``.

Mail authentication lives in public DNS, not in the tenant, so these lookups are the one
part of collection that does not call a Microsoft API. The names looked up are each domain
(SPF), ``_dmarc.`` + domain (DMARC) and the two Microsoft 365 DKIM selectors
(``selector1._domainkey.`` / ``selector2._domainkey.``). The resolver is an interface so
that tests read fixtures and never send DNS traffic; the default uses dnspython's stub
resolver with the system's name servers.

The snapshot keeps ``name -> [TXT strings]`` (each record's character-strings joined, as
RFC 7208 asks for SPF); a name with no TXT record (NXDOMAIN or no answer) maps to ``[]``.
A server failure or timeout fails the collection: "no record" must mean no record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

DKIM_SELECTORS = ("selector1", "selector2")


class DnsLookupError(Exception):
    """A lookup that neither answered nor proved the name has no TXT record."""


class TxtResolver(Protocol):
    async def txt(self, name: str) -> list[str]:
        """The TXT strings of ``name``; ``[]`` when it has none; raise DnsLookupError otherwise."""
        ...


class SystemResolver:
    """dnspython's asynchronous stub resolver (system name servers), with a per-query timeout."""

    def __init__(self, lifetime: float = 10.0) -> None:
        import dns.asyncresolver

        self._resolver = dns.asyncresolver.Resolver()
        self._resolver.lifetime = lifetime

    async def txt(self, name: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = await self._resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise DnsLookupError(f"{name}: {type(exc).__name__}: {exc}") from None
        return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


class FileResolver:
    """Answers from a JSON file ``{name: [strings]}`` (test fixtures, or records exported elsewhere)."""

    def __init__(self, path: Path) -> None:
        from auditor import strictjson

        doc = strictjson.loads(path.read_text(encoding="utf-8"), str(path))
        self._records: dict[str, list[str]] = {str(k).lower().rstrip("."): list(v) for k, v in doc.items()}
        self.asked: list[str] = []

    async def txt(self, name: str) -> list[str]:
        self.asked.append(name)
        return list(self._records.get(name.lower().rstrip("."), []))


def domains_from(data: Mapping[str, Any]) -> list[str]:
    """The mail domains: Exchange accepted domains when collected, else Graph's verified domains."""
    accepted = data.get("exchangeAcceptedDomains")
    if isinstance(accepted, list):
        return sorted(
            {str(d["DomainName"]).lower() for d in accepted if isinstance(d, dict) and d.get("DomainName")}
        )
    domains = data.get("domains")
    if isinstance(domains, list):
        return sorted(
            {
                str(d["id"]).lower()
                for d in domains
                if isinstance(d, dict) and d.get("isVerified") and d.get("id")
            }
        )
    return []


def names_for(domains: Iterable[str]) -> list[str]:
    """Every name to look up for these domains, in a stable order."""
    names: list[str] = []
    for domain in domains:
        names.append(domain)
        names.append(f"_dmarc.{domain}")
        names.extend(f"{selector}._domainkey.{domain}" for selector in DKIM_SELECTORS)
    return names


async def lookup_all(
    resolver: TxtResolver, names: Sequence[str], concurrency: int = 8
) -> dict[str, list[str]]:
    """Resolve every name (bounded concurrency); the first failure propagates."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(name: str) -> tuple[str, list[str]]:
        async with semaphore:
            return name, await resolver.txt(name)

    return dict(await asyncio.gather(*(one(n) for n in names)))
