"""The shapes ``auditor whatif`` reads, checked before it reads them.

``audit`` turns a malformed conditional access policy into an ``error`` result for the
policies that read it; ``whatif`` has no per-policy result to put it in, so a snapshot
whose policies or users are not shaped as Microsoft Graph returns them is refused with one
line naming the snapshot and the member (exit 2), never an "unexpected failure".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from auditor.errors import InputError

#: members of a policy's ``conditions`` that are objects (or absent/null)
_CONDITION_OBJECTS = (
    "users",
    "applications",
    "platforms",
    "locations",
    "devices",
    "clientApplications",
    "authenticationFlows",
)
#: members of ``conditions`` that are lists of strings (or absent/null)
_CONDITION_LISTS = (
    "clientAppTypes",
    "userRiskLevels",
    "signInRiskLevels",
    "servicePrincipalRiskLevels",
    "insiderRiskLevels",
)
_STRINGS = ("id", "displayName", "state")
_GRANT_LISTS = ("builtInControls", "customAuthenticationFactors", "termsOfUse")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


class _Where:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, value: Any, wanted: str) -> None:
        raise InputError(f"{path} is {_kind(value)}, expected {wanted}", source=self.source)

    def obj(self, path: str, value: Any, *, optional: bool = True) -> Mapping[str, Any] | None:
        if value is None and optional:
            return None
        if not isinstance(value, Mapping):
            self.fail(path, value, "an object" + (" or null" if optional else ""))
        return cast("Mapping[str, Any]", value)

    def strings(self, path: str, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(path, value, "a list of strings or null")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(f"{path}[{i}]", item, "a string")


def check_shapes(data: Mapping[str, Any], source: str = "snapshot") -> None:
    """Raise :class:`InputError` naming ``source`` and the first malformed member."""
    where = _Where(source)
    for i, policy in enumerate(data.get("conditionalAccessPolicies") or ()):
        path = f"conditionalAccessPolicies[{i}]"
        p = where.obj(path, policy, optional=False)
        assert p is not None
        for key in _STRINGS:
            if p.get(key) is not None and not isinstance(p.get(key), str):
                where.fail(f"{path}.{key}", p.get(key), "a string")
        cond = where.obj(f"{path}.conditions", p.get("conditions"), optional=False)
        assert cond is not None
        for key in _CONDITION_OBJECTS:
            member = where.obj(f"{path}.conditions.{key}", cond.get(key))
            for sub, value in (member or {}).items():
                if sub.startswith(("include", "exclude")) and not isinstance(value, Mapping):
                    where.strings(f"{path}.conditions.{key}.{sub}", value)
        for key in _CONDITION_LISTS:
            where.strings(f"{path}.conditions.{key}", cond.get(key))
        grant = where.obj(f"{path}.grantControls", p.get("grantControls"))
        if grant is not None:
            for key in _GRANT_LISTS:
                where.strings(f"{path}.grantControls.{key}", grant.get(key))
            if grant.get("operator") is not None and not isinstance(grant.get("operator"), str):
                where.fail(f"{path}.grantControls.operator", grant.get("operator"), "a string")
            where.obj(f"{path}.grantControls.authenticationStrength", grant.get("authenticationStrength"))
        where.obj(f"{path}.sessionControls", p.get("sessionControls"))
    for i, user in enumerate(data.get("users") or ()):
        u = where.obj(f"users[{i}]", user, optional=False)
        assert u is not None
        for key in ("id", "userPrincipalName", "displayName", "userType"):
            if u.get(key) is not None and not isinstance(u.get(key), str):
                where.fail(f"users[{i}].{key}", u.get(key), "a string")
