"""Where a sign-in comes from, as conditional access sees it: regions of addresses and countries.

A sign-in has one IP address and one country (and, for named locations that look the country up
through the Authenticator app's GPS, one GPS country). Named locations are sets of those, and
they overlap: a branch /25 can sit inside the headquarters /24, and every IP range lies in some
country. So the model's location dimension is not the list of named locations but the *regions*
in which the set of matching named locations differs (concept-assignment-network,
learn.microsoft.com/entra/identity/conditional-access/concept-assignment-network):

- IP ranges (``ipNamedLocation.ipRanges``, IPv4 and IPv6 CIDR) are split by their real overlaps
  with interval arithmetic on addresses; addresses in no range form one more part;
- countries (``countryNamedLocation.countriesAndRegions``) partition the world: each group of
  countries the same locations list, every other country, and addresses that map to no country
  (matched only by ``includeUnknownCountriesAndRegions``);
- every IP part is combined with every country part: without a geolocation database the auditor
  cannot know which country a range lies in, so it assumes any;
- *All trusted locations* is the IP locations marked ``isTrusted`` plus the legacy MFA service's
  trusted IPs, which are not collected: any address may be among them, so when a policy names
  ``AllTrusted`` each IP part is judged both inside and outside them.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALL = "All"
ALL_TRUSTED = "AllTrusted"
GPS = "authenticatorAppGps"


@dataclass(frozen=True)
class NamedLocation:
    id: str
    name: str
    kind: str  # "ip" or "country"
    trusted: bool = False
    #: (IP version, first address, last address) of each range
    ranges: tuple[tuple[int, int, int], ...] = ()
    countries: frozenset[str] = frozenset()
    unknown_countries: bool = False
    gps: bool = False

    def label(self) -> str:
        return f"'{self.name}'"


@dataclass(frozen=True)
class CountryPart:
    """Countries that the same country locations list (or every other / no country)."""

    key: str
    words: str
    matched_by: frozenset[str]  # country location ids


@dataclass(frozen=True)
class Region:
    """One region: an address part (with legacy-trusted flag) combined with one country part."""

    key: str
    ip: frozenset[str]  # IP location ids containing the address
    ip_words: str
    legacy_trusted: bool
    country: CountryPart
    gps: CountryPart | None


def read_locations(raw: Iterable[Any]) -> tuple[dict[str, NamedLocation], dict[str, str]]:
    """namedLocations in Graph's shape; returns the locations by id and, by id, what could not
    be read (a range that is not CIDR), in words."""
    out: dict[str, NamedLocation] = {}
    problems: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        lid, name = str(item.get("id") or ""), str(item.get("displayName") or item.get("id") or "")
        kind = str(item.get("@odata.type") or "")
        if "countriesAndRegions" in item or kind.endswith("countryNamedLocation"):
            out[lid] = NamedLocation(
                lid,
                name,
                "country",
                countries=frozenset(str(c).upper() for c in item.get("countriesAndRegions") or []),
                unknown_countries=item.get("includeUnknownCountriesAndRegions") is True,
                gps=item.get("countryLookupMethod") == GPS,
            )
            continue
        ranges = []
        for r in item.get("ipRanges") or []:
            cidr = r.get("cidrAddress") if isinstance(r, Mapping) else None
            try:
                net = ipaddress.ip_network(str(cidr), strict=False)
            except ValueError:
                problems[lid] = f"named location '{name}' has an IP range that is not CIDR: {cidr!r}"
                continue
            ranges.append((net.version, int(net.network_address), int(net.broadcast_address)))
        out[lid] = NamedLocation(lid, name, "ip", trusted=item.get("isTrusted") is True, ranges=tuple(ranges))
    return out, problems


def _cidrs(version: int, start: int, end: int) -> list[str]:
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return [str(n) for n in ipaddress.summarize_address_range(cls(start), cls(end))]


def ip_parts(locations: Sequence[NamedLocation]) -> list[tuple[frozenset[str], list[str]]]:
    """The address space split where the set of containing IP locations changes.

    Interval arithmetic per IP version: every range start and every end + 1 is a boundary; each
    elementary interval is contained in a fixed set of locations; intervals with the same set form
    one part. Returns (location ids, CIDR blocks) per part, the part outside every range first.
    """
    parts: dict[frozenset[str], list[str]] = {frozenset(): []}
    for version in (4, 6):
        spans = [(s, e, loc.id) for loc in locations for v, s, e in loc.ranges if v == version]
        if not spans:
            continue
        bounds = sorted({s for s, _, _ in spans} | {e + 1 for _, e, _ in spans})
        for lo, hi in itertools.pairwise(bounds):
            inside = frozenset(lid for s, e, lid in spans if s <= lo and hi - 1 <= e)
            if inside:
                parts.setdefault(inside, []).extend(_cidrs(version, lo, hi - 1))
    return list(parts.items())


def country_parts(locations: Sequence[NamedLocation], gps: bool) -> list[CountryPart]:
    """The world split into groups of countries that the same country locations list."""
    locs = [loc for loc in locations if loc.kind == "country" and loc.gps == gps]
    by_sig: dict[frozenset[str], list[str]] = {}
    for country in sorted({c for loc in locs for c in loc.countries}):
        sig = frozenset(loc.id for loc in locs if country in loc.countries)
        by_sig.setdefault(sig, []).append(country)
    prefix = "GPS location in " if gps else "in "
    parts = [
        CountryPart(f"{'g' if gps else 'c'}:{','.join(cs)}", prefix + _join(cs, "or"), sig)
        for sig, cs in by_sig.items()
    ]
    parts.append(
        CountryPart(
            "g:other" if gps else "c:other",
            prefix + ("a country no country location lists" if locs else "any country"),
            frozenset(),
        )
    )
    if locs:
        parts.append(
            CountryPart(
                "g:unknown" if gps else "c:unknown",
                ("with no GPS country" if gps else "in no known country (address not mapped to a country)"),
                frozenset(loc.id for loc in locs if loc.unknown_countries),
            )
        )
    return parts


def _join(items: Sequence[str], word: str = "and", limit: int = 4) -> str:
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


class Locations:
    """The regions of a tenant and which named locations (and ``AllTrusted``) match each."""

    def __init__(self, named: Mapping[str, NamedLocation], legacy_trusted: bool) -> None:
        self.named = dict(named)
        ip_locs = [loc for loc in named.values() if loc.kind == "ip"]
        countries = country_parts(list(named.values()), gps=False)
        gps_locs = any(loc.kind == "country" and loc.gps for loc in named.values())
        gps_parts: list[CountryPart | None] = (
            list(country_parts(list(named.values()), gps=True)) if gps_locs else [None]
        )
        self.regions: dict[str, Region] = {}
        for ip, blocks in ip_parts(ip_locs):
            words = self._ip_words(ip, blocks)
            for legacy in (False, True) if legacy_trusted else (False,):
                for country, gps in itertools.product(countries, gps_parts):
                    key = f"region {len(self.regions)}"
                    self.regions[key] = Region(key, ip, words, legacy, country, gps)
        #: region -> the regions it stands for (see ``merge``); every region stands for itself
        self.merged: dict[str, tuple[str, ...]] = {k: (k,) for k in self.regions}

    def _ip_words(self, ip: frozenset[str], blocks: list[str]) -> str:
        if not ip:
            return "an address in no named IP range"
        size = {lid: sum(e - s + 1 for _, s, e in self.named[lid].ranges) for lid in ip}
        inner, *outer = sorted(ip, key=lambda lid: (size[lid], self.named[lid].name))
        text = f"{self.named[inner].label()} ({_join(blocks, 'and', 2)})"
        if outer:
            text += ", which is inside " + _join([self.named[o].label() for o in outer])
        return text

    def merge(self, values: Iterable[str]) -> None:
        """Keep one region per set of regions that every location condition value in use
        (``values``: the ids, ``All`` and ``AllTrusted`` that policies name) matches alike: no
        policy can tell them apart, so judging one is enough; words still name them all."""
        used = sorted(set(values))
        groups: dict[tuple[bool, ...], list[str]] = {}
        for key in self.regions:
            groups.setdefault(tuple(self.matches(v, key) for v in used), []).append(key)
        self.merged = {keys[0]: tuple(keys) for keys in groups.values()}

    @property
    def atoms(self) -> tuple[str, ...]:
        return tuple(self.merged)

    def matches(self, value: str, key: str) -> bool:
        """Does the location condition value (``All``, ``AllTrusted`` or an id) match the region?"""
        region = self.regions[key]
        if value == ALL:
            return True
        if value == ALL_TRUSTED:
            return region.legacy_trusted or any(self.named[i].trusted for i in region.ip)
        loc = self.named.get(value)
        if loc is None:
            return False
        if loc.kind == "ip":
            return value in region.ip
        part = region.gps if loc.gps else region.country
        return part is not None and value in part.matched_by

    def describe(self, keys: Iterable[str], expand: bool = True) -> str:
        """Words for a set of regions: the addresses, then the countries (or "in any country").
        With ``expand``, a merged region stands for every region it was merged with."""
        keys = [k for key in keys for k in (self.merged.get(key, (key,)) if expand else (key,))]
        all_countries = {(r.country.key, r.gps.key if r.gps else None) for r in self.regions.values()}
        all_ips = {(r.ip_words, r.legacy_trusted) for r in self.regions.values()}
        by_ip: dict[tuple[str, bool], set[tuple[str, str | None]]] = {}
        words: dict[tuple[str, str | None], str] = {}
        for k in keys:
            r = self.regions[k]
            c = (r.country.key, r.gps.key if r.gps else None)
            by_ip.setdefault((r.ip_words, r.legacy_trusted), set()).add(c)
            words[c] = r.country.words + (f" and {r.gps.words}" if r.gps else "")
        by_countries: dict[frozenset[tuple[str, str | None]], list[tuple[str, bool]]] = {}
        for ip, found in by_ip.items():
            by_countries.setdefault(frozenset(found), []).append(ip)
        out = []
        for cs, ips in by_countries.items():
            if set(ips) == all_ips and len(all_ips) > 1:
                text = "any address"
            else:
                text = _join(
                    [
                        w + (" that may be among the legacy MFA trusted IPs" if legacy else "")
                        for w, legacy in ips
                    ],
                    "or",
                    3,
                )
            if cs >= all_countries:
                text = "anywhere" if text == "any address" else text + " and in any country"
            else:
                text += ", " + _join(sorted(words[c] for c in cs), "or", 3)
            out.append(text)
        return "from " + _join(out, "or", 3)

    def name(self, value: str) -> str:
        """Words for a location condition value."""
        if value == ALL:
            return "any location"
        if value == ALL_TRUSTED:
            return "all trusted locations"
        loc = self.named.get(value)
        return loc.label() if loc else value

    def find(self, text: str) -> list[str]:
        """Regions a user describes by a location's display name or id, an IP address or a country
        code (for ``whatif --location``)."""
        text = text.strip()
        by_name = [lid for lid, loc in self.named.items() if text.lower() in (loc.name.lower(), lid.lower())]
        if by_name:
            return [k for k in self.regions if self.matches(by_name[0], k)]
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            code = text.upper()
            if len(code) != 2 or not code.isalpha():  # ISO 3166 two-letter codes only
                return []
            return [
                k
                for k, r in self.regions.items()
                if (code in r.country.key.split(":")[1].split(","))
                or (r.country.key == "c:other" and not any(code in n.countries for n in self.named.values()))
            ]
        inside = frozenset(
            lid
            for lid, loc in self.named.items()
            if any(v == addr.version and s <= int(addr) <= e for v, s, e in loc.ranges)
        )
        return [k for k, r in self.regions.items() if r.ip == inside]
