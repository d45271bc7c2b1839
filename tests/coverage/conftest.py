"""Builders for small tenants: users, groups with members, role holders and CA policies."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from auditor.coverage import functions as cov
from auditor.snapshot.model import SourceStatus

GA = "62e90394-69f5-4237-9190-012177145e10"
USER_T = "#microsoft.graph.user"


def user(uid: str, upn: str | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "id": uid,
        "userPrincipalName": upn or f"{uid}@contoso.com",
        "userType": "Member",
        "accountEnabled": True,
        **kw,
    }


def member(uid: str) -> dict[str, Any]:
    return {"@odata.type": USER_T, "id": uid}


def ca(
    name: str,
    *,
    include_users: tuple[str, ...] = ("All",),
    exclude_users: tuple[str, ...] = (),
    include_groups: tuple[str, ...] = (),
    exclude_groups: tuple[str, ...] = (),
    include_roles: tuple[str, ...] = (),
    exclude_roles: tuple[str, ...] = (),
    apps: tuple[str, ...] = ("All",),
    exclude_apps: tuple[str, ...] = (),
    user_actions: tuple[str, ...] = (),
    clients: tuple[str, ...] = ("all",),
    controls: tuple[str, ...] = ("mfa",),
    operator: str = "OR",
    strength: dict[str, Any] | None = None,
    state: str = "enabled",
    **conditions: Any,
) -> dict[str, Any]:
    """A conditionalAccessPolicy in Graph v1.0's shape (explicit nulls where Graph sends them)."""
    cond: dict[str, Any] = {
        "userRiskLevels": [],
        "signInRiskLevels": [],
        "clientAppTypes": list(clients),
        "servicePrincipalRiskLevels": [],
        "insiderRiskLevels": None,
        "platforms": None,
        "locations": None,
        "devices": None,
        "clientApplications": None,
        "authenticationFlows": None,
        "applications": {
            "includeApplications": list(apps),
            "excludeApplications": list(exclude_apps),
            "includeUserActions": list(user_actions),
            "includeAuthenticationContextClassReferences": [],
            "applicationFilter": None,
        },
        "users": {
            "includeUsers": list(include_users),
            "excludeUsers": list(exclude_users),
            "includeGroups": list(include_groups),
            "excludeGroups": list(exclude_groups),
            "includeRoles": list(include_roles),
            "excludeRoles": list(exclude_roles),
            "includeGuestsOrExternalUsers": None,
            "excludeGuestsOrExternalUsers": None,
        },
    }
    cond.update(conditions)
    grant = {
        "operator": operator,
        "builtInControls": list(controls),
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        "authenticationStrength": strength,
    }
    return {
        "id": f"id-{name}",
        "displayName": name,
        "state": state,
        "conditions": cond,
        "grantControls": grant,
        "sessionControls": None,
    }


@pytest.fixture
def judge() -> Callable[..., Any]:
    """judge(data, spec, statuses={}) -> caCoverage's map, or raises CoverageError.

    A spec without ``require`` calls roleHolders (``roles``, ``eligible``), or with ``sp: True``
    roleServicePrincipals."""

    def run(data: dict[str, Any], spec: dict[str, Any], statuses: dict[str, str] | None = None) -> Any:
        statuses = statuses or {}
        data = copy.deepcopy(data)  # a new snapshot each call: the model caches per snapshot

        def status_of(name: str) -> SourceStatus:
            if name in statuses:
                return SourceStatus(name, statuses[name], {"error": "test"})
            return (
                SourceStatus(name, "ok")
                if name in data
                else SourceStatus(name, "not_collected", {"error": "absent"})
            )

        with bound(data, status_of):
            if "require" in spec:
                return cov.ca_coverage(spec)
            if spec.get("sp"):
                return cov.role_service_principals(spec["roles"], spec["eligible"])
            return cov.role_holders(spec["roles"], spec["eligible"])

    return run


@contextmanager
def bound(data: dict[str, Any], status_of: Callable[[str], SourceStatus]) -> Iterator[None]:
    with cov.bound(data, status_of):
        yield


def ip_location(lid: str, name: str, *cidrs: str, trusted: bool = False) -> dict[str, Any]:
    """An ipNamedLocation in Graph's shape (IPv4 and IPv6 CIDR ranges)."""
    return {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        "id": lid,
        "displayName": name,
        "isTrusted": trusted,
        "ipRanges": [
            {
                "@odata.type": "#microsoft.graph.iPv6CidrRange"
                if ":" in c
                else "#microsoft.graph.iPv4CidrRange",
                "cidrAddress": c,
            }
            for c in cidrs
        ],
    }


def country_location(
    lid: str, name: str, *countries: str, unknown: bool = False, gps: bool = False
) -> dict[str, Any]:
    """A countryNamedLocation in Graph's shape."""
    return {
        "@odata.type": "#microsoft.graph.countryNamedLocation",
        "id": lid,
        "displayName": name,
        "countriesAndRegions": list(countries),
        "includeUnknownCountriesAndRegions": unknown,
        "countryLookupMethod": "authenticatorAppGps" if gps else "clientIpAddress",
    }


def where(include: tuple[str, ...] = ("All",), exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A policy's locations condition."""
    return {"includeLocations": list(include), "excludeLocations": list(exclude)}


def write_snapshot(tmp_path: Path, data: dict[str, Any]) -> Path:
    """``data`` as a snapshot file in ``tmp_path`` (every collection ``ok``), for the commands."""
    sources = {
        n: {"status": "ok", "endpoint": f"GET /{n}", "retrievedAt": "2026-11-20T09:00:00Z"} for n in data
    }
    doc = {
        "schemaVersion": 1,
        "tenant": {"id": "t", "displayName": "T", "defaultDomain": "contoso.com"},
        "collectedAt": "2026-11-20T09:00:00Z",
        "collector": {"tool": "auditor", "version": "0", "principal": "p", "cloud": "global"},
        "sources": sources,
        "data": data,
    }
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc))
    return path
