"""Locations as conditional access sees them: one IP address and one country per sign-in.

Cited pages (learn.microsoft.com/entra/identity/conditional-access/…):
- network:  concept-assignment-network (IP ranges IPv4/IPv6, countries, "include unknown
  countries/regions", country lookup by GPS, trusted locations and the legacy MFA trusted IPs)
- graph:    learn.microsoft.com/graph/api/resources/ipnamedlocation and …/countrynamedlocation
  (ipRanges with cidrAddress, isTrusted, countriesAndRegions, includeUnknownCountriesAndRegions,
  countryLookupMethod clientIpAddress/authenticatorAppGps)
- policies: concept-conditional-access-policies (every policy that applies is enforced)
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.coverage import CoverageError
from auditor.coverage.locations import Locations, ip_parts, read_locations

from .conftest import ca, country_location, ip_location, member, user, where

HQ, BRANCH, DC, ALLOWED = "loc-hq", "loc-branch", "loc-dc", "loc-allowed"


def tenant(*policies: dict[str, Any], locations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "users": [user("u1"), user("svc1", "svc-backup@contoso.com")],
        "groupMembers": {"g-svc": [member("svc1")]},
        "roleAssignments": [],
        "roleEligibilitySchedules": [],
        "namedLocations": locations,
        "conditionalAccessPolicies": list(policies),
    }


def test_ip_ranges_split_by_their_real_overlaps_in_both_families() -> None:
    """network: IPv4 CIDR and IPv6 ranges; a /25 inside a /24 is a region in both locations."""
    named, problems = read_locations(
        [
            ip_location(HQ, "HQ", "10.1.2.0/24", "2001:db8::/48"),
            ip_location(BRANCH, "Branch Amsterdam", "10.1.2.0/25", "2001:db8:0:1::/64"),
        ]
    )
    assert problems == {}
    parts = dict(ip_parts(list(named.values())))
    assert parts[frozenset({HQ, BRANCH})] == ["10.1.2.0/25", "2001:db8:0:1::/64"]
    assert "10.1.2.128/25" in parts[frozenset({HQ})]
    assert "2001:db8::/64" in parts[frozenset({HQ})]
    assert frozenset() in parts  # every address outside both


def test_region_words_name_the_inner_range_and_its_container() -> None:
    named, _ = read_locations(
        [ip_location(HQ, "HQ", "10.1.2.0/24"), ip_location(BRANCH, "Branch Amsterdam", "10.1.2.0/25")]
    )
    locs = Locations(named, legacy_trusted=False)
    branch = [k for k, r in locs.regions.items() if r.ip == frozenset({HQ, BRANCH})]
    assert locs.describe(branch) == (
        "from 'Branch Amsterdam' (10.1.2.0/25), which is inside 'HQ' and in any country"
    )


def test_overlapping_ranges_excluded_by_two_policies_fail(judge: Any) -> None:
    """Union test (network, policies): addresses in both ranges are excluded from both policies."""
    data = tenant(
        ca("MFA except HQ", locations=where(exclude=(HQ,))),
        ca("MFA except branch", locations=where(exclude=(BRANCH,))),
        locations=[ip_location(HQ, "HQ", "10.1.2.0/24"), ip_location(BRANCH, "Branch", "10.1.2.0/25")],
    )
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False
    assert "u1@contoso.com" in result["uncoveredUsers"]
    assert "from 'Branch' (10.1.2.0/25), which is inside 'HQ' and in any country" in result["summary"]


def test_branch_inside_hq_with_mfa_from_hq_and_everywhere_but_the_branch_passes(judge: Any) -> None:
    """Union test (network): the branch is inside HQ, so "MFA from HQ" covers what the other
    policy leaves out."""
    data = tenant(
        ca("MFA from HQ", locations=where(include=(HQ,))),
        ca("MFA except branch", locations=where(exclude=(BRANCH,))),
        locations=[ip_location(HQ, "HQ", "10.1.2.0/24"), ip_location(BRANCH, "Branch", "10.1.2.0/25")],
    )
    assert judge(data, {"require": "mfa"})["covered"] is True
    # and the other way round (HQ excluded, MFA only from the branch) leaves HQ's other half open
    data["conditionalAccessPolicies"] = [
        ca("MFA from branch", locations=where(include=(BRANCH,))),
        ca("MFA except HQ", locations=where(exclude=(HQ,))),
    ]
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False and "from 'HQ' (10.1.2.128/25)" in result["summary"]


def test_country_block_and_data_centre_block_leave_the_data_centre_inside_the_country(judge: Any) -> None:
    """network: any IP range lies in some country. "Block outside the allowed country" plus
    "service accounts: block outside the data-centre range" do not block a service account
    from the data-centre range inside the allowed country (the CA001 + CA301 pattern)."""
    data = tenant(
        ca("Block outside allowed countries", controls=("block",), locations=where(exclude=(ALLOWED,))),
        ca(
            "Service accounts: block outside DC",
            include_users=(),
            include_groups=("g-svc",),
            controls=("block",),
            locations=where(exclude=(DC,)),
        ),
        locations=[
            ip_location(DC, "Data centre", "192.0.2.0/28"),
            country_location(ALLOWED, "Allowed", "CH"),
        ],
    )
    result = judge(data, {"require": "block"})
    assert result["covered"] is False
    assert "svc-backup@contoso.com" in result["uncoveredUsers"]
    assert "from 'Data centre' (192.0.2.0/28), in CH" in result["summary"]


def test_unknown_countries_are_a_region_of_their_own(judge: Any) -> None:
    """graph: includeUnknownCountriesAndRegions - IP addresses that do not map to a country are
    in the location only when it is true."""
    allowed = country_location(ALLOWED, "Allowed", "CH", "LI")
    data = tenant(
        ca("MFA in allowed countries", locations=where(include=(ALLOWED,))),
        ca("Block elsewhere", controls=("block",), locations=where(exclude=(ALLOWED,))),
        locations=[allowed],
    )
    assert judge(data, {"require": "mfa"})["covered"] is True
    data["namedLocations"] = [country_location(ALLOWED, "Allowed", "CH", "LI", unknown=True)]
    assert judge(data, {"require": "mfa"})["covered"] is True  # unknown is then "in", and MFA'd
    data["conditionalAccessPolicies"] = [
        ca("Block outside allowed", controls=("block",), locations=where(exclude=(ALLOWED,)))
    ]
    result = judge(data, {"require": "block"})
    assert result["covered"] is False
    assert "in no known country" in result["summary"]


def test_gps_country_is_not_the_ip_country(judge: Any) -> None:
    """graph: countryLookupMethod authenticatorAppGps decides the country from the Authenticator
    app's GPS, not the address: the two can differ."""
    data = tenant(
        ca("MFA in CH by address", locations=where(include=("loc-ip-ch",))),
        ca("MFA outside CH by GPS", locations=where(exclude=("loc-gps-ch",))),
        locations=[
            country_location("loc-ip-ch", "CH by IP", "CH"),
            country_location("loc-gps-ch", "CH by GPS", "CH", gps=True),
        ],
    )
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False
    assert "GPS location in CH" in result["summary"]


def test_all_trusted_includes_legacy_trusted_ips_which_may_be_anywhere(judge: Any) -> None:
    """network: "All trusted locations" = IP locations marked trusted plus the MFA service's
    trusted IPs (not collected). Excluding it leaves a gap even where every named range is covered."""
    data = tenant(
        ca("MFA outside trusted", locations=where(exclude=("AllTrusted",))),
        ca("MFA from HQ", locations=where(include=(HQ,))),
        locations=[ip_location(HQ, "HQ", "10.1.2.0/24", trusted=True)],
    )
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False
    assert "may be among the legacy MFA trusted IPs" in result["summary"]
    # covering trusted locations explicitly closes it
    data["conditionalAccessPolicies"].append(ca("MFA in trusted", locations=where(include=("AllTrusted",))))
    assert judge(data, {"require": "mfa"})["covered"] is True


def test_a_location_id_missing_from_the_snapshot_is_an_error_naming_it(judge: Any) -> None:
    """Missing data is never a pass: an excluded location the snapshot does not have could be
    anything."""
    data = tenant(ca("MFA except ghost", locations=where(exclude=("loc-ghost",))), locations=[])
    with pytest.raises(CoverageError, match="loc-ghost in 'MFA except ghost'"):
        judge(data, {"require": "mfa"})
    del data["namedLocations"]
    with pytest.raises(CoverageError, match="namedLocations was not collected"):
        judge(data, {"require": "mfa"})


def test_a_policy_not_meeting_the_requirement_needs_no_locations(judge: Any) -> None:
    """Only policies that could meet the requirement matter: a location in a terms-of-use policy
    does not make an MFA control error."""
    tou = ca("Terms from ghost", controls=(), locations=where(include=("loc-ghost",)))
    tou["grantControls"]["termsOfUse"] = ["tou-1"]
    data = tenant(ca("MFA"), tou, locations=[])
    assert judge(data, {"require": "mfa"})["covered"] is True


def test_ipv6_ranges_overlap_like_ipv4(judge: Any) -> None:
    """network: IPv6 ranges in any allowable format (graph: ipRanges of iPv6CidrRange)."""
    data = tenant(
        ca("MFA except HQ v6", locations=where(exclude=(HQ,))),
        ca("MFA except branch v6", locations=where(exclude=(BRANCH,))),
        locations=[
            ip_location(HQ, "HQ", "2001:db8::/48"),
            ip_location(BRANCH, "Branch", "2001:db8:0:1::/64"),
        ],
    )
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False
    assert "from 'Branch' (2001:db8:0:1::/64), which is inside 'HQ'" in result["summary"]


def test_a_range_that_is_not_cidr_is_an_error(judge: Any) -> None:
    """A malformed range could be any addresses: never guessed."""
    data = tenant(
        ca("MFA except HQ", locations=where(exclude=(HQ,))),
        locations=[ip_location(HQ, "HQ", "10.1.2.0/33")],
    )
    with pytest.raises(CoverageError, match="named location 'HQ' has an IP range that is not CIDR"):
        judge(data, {"require": "mfa"})


def test_whatif_finds_regions_by_name_address_and_country() -> None:
    named, _ = read_locations(
        [ip_location(HQ, "HQ", "10.1.2.0/24"), country_location(ALLOWED, "Allowed", "CH")]
    )
    locs = Locations(named, legacy_trusted=False)
    assert {locs.regions[k].ip for k in locs.find("hq")} == {frozenset({HQ})}
    assert {locs.regions[k].ip for k in locs.find("10.1.2.9")} == {frozenset({HQ})}
    assert {locs.regions[k].country.key for k in locs.find("ch")} == {"c:CH"}
    assert {locs.regions[k].country.key for k in locs.find("JP")} == {"c:other"}
    assert locs.find("Atlantis") == []
