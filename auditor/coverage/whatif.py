"""What If, offline: which conditional access policies apply to one user, and what they demand.

The Entra portal's What If tool answers this for a live tenant only; this answers it from a
snapshot, for a user, an application (or user action), a client app type and optionally a location
(a named location's display name, an IP address or a country code), with the reason for every
policy that does not apply. Report-only and disabled policies are listed as not enforced. Other
conditions (platform, risk, authentication flow, device state, and location when none is given)
are left open: a policy limited by them is reported as applying "only" under them, and the outcome
says what it demands there. A PIM-eligible holder is shown before and after activating the role
(conditional access matches only active holders).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from auditor.coverage import capolicy as cap
from auditor.coverage.classes import classify
from auditor.coverage.directory import guest_type
from auditor.coverage.model import DIMENSIONS, Requirement, Tenant, UserClass, role_label
from auditor.coverage.paths import atoms_for, path_reason


class UnknownLocation(LookupError):
    """``--location`` names nothing the snapshot knows (a user's mistake, not a malformed snapshot)."""


@dataclass(frozen=True)
class PolicyVerdict:
    name: str
    state: str
    applies: bool | None  # None: depends on a group whose members were not collected
    reason: str  # why it does not apply, or the conditions it is limited to
    demands: str

    @property
    def enforced(self) -> bool:
        return self.state == "enabled"


@dataclass(frozen=True)
class WhatIf:
    user: str
    guest: str | None
    app: str
    client: str
    verdicts: tuple[PolicyVerdict, ...]

    enabled: bool = True
    location: str | None = None
    #: the state this result describes for a PIM-eligible holder ("" when no eligible role matters)
    state: str = ""
    #: the same user after activating their eligible roles, when any role condition names them
    activated: WhatIf | None = None

    def outcome(self) -> str:
        """What the user must do to sign in: the enforced policies that surely apply, then those
        that apply only under conditions left open (a location, a platform, …), with them."""
        if not self.enabled:
            return "the account is disabled: it cannot sign in"
        enforced = [v for v in self.verdicts if v.applies is True and v.enforced]
        applying = [v for v in enforced if not v.reason]
        if any(v.demands == "block access" for v in applying):
            return "blocked"
        demands = sorted({v.demands for v in applying})
        limited = sorted({f"{v.reason}: {v.demands}" for v in enforced if v.reason.startswith("only when")})
        text = (
            "; and ".join(demands)
            if demands
            else (
                "no conditional access requirement: password (or the method the user has) only"
                + (" - except" if limited else "")
            )
        )
        if limited:
            text += ("; and " if demands else " ") + "; and ".join(limited)
        return text


def user_class(tenant: Tenant, user_id: str) -> UserClass:
    """The class of one user, with every policy-referenced group and role resolved for them:
    roles as conditional access sees them (active tenant-wide), eligible and scoped apart."""
    d = tenant.directory
    groups: set[str] = set()
    roles: set[str] = set()
    for p in tenant.policies + tenant.not_enforced:
        groups |= p.users.groups()
        roles |= p.users.roles()
    held = {r: d.roles[r][user_id] for r in roles if user_id in d.roles.get(r, {})}
    return UserClass(
        guest_type(d.user_by_id[user_id]),
        frozenset(g for g in groups if d.membership(g, user_id) is True),
        frozenset(r for r, h in held.items() if h.ca_state == "active"),
        user_id,
        (user_id,),
        eligible=frozenset(r for r, h in held.items() if h.ca_state == "eligible"),
        scoped=frozenset(r for r, h in held.items() if h.ca_state == "scoped"),
    )


def what_if(
    tenant: Tenant,
    user_id: str,
    app: str = cap.OTHER_APP,
    client: str = "browser",
    location: str | None = None,
) -> WhatIf:
    """What If for one user; raises UnknownLocation when ``location`` names nothing the snapshot knows."""
    cls = user_class(tenant, user_id)
    regions: list[str] | None = None
    if location is not None:
        regions = tenant.locations.find(location)
        if not regions:
            raise UnknownLocation(
                f"no named location, IP address or country code {location!r}; named locations: "
                + (", ".join(sorted(n.label() for n in tenant.locations.named.values())) or "none")
            )
    result = _what_if(tenant, cls, user_id, app, client, location, regions)
    if not cls.eligible:
        return result
    names = ", ".join(role_label(r) for r in sorted(cls.eligible))
    after = _what_if(
        tenant,
        replace(cls, roles=cls.roles | cls.eligible, eligible=frozenset()),
        user_id,
        app,
        client,
        location,
        regions,
    )
    return replace(
        result,
        state=f"before activating eligible role {names}",
        activated=replace(after, state=f"after activating eligible role {names}"),
    )


def _what_if(
    tenant: Tenant,
    cls: UserClass,
    user_id: str,
    app: str,
    client: str,
    location: str | None,
    regions: list[str] | None,
) -> WhatIf:
    req = Requirement("mfa", clients=(client,), apps=(app,))
    verdicts = []
    for p in sorted(tenant.policies + tenant.not_enforced, key=lambda p: p.name):
        applies, why = tenant.user_applies(p, cls)
        if applies is True:
            why = _where(tenant, req, p, app, client, regions)
            if why.startswith("does not") or why.startswith("applies only under"):
                applies = False
        verdicts.append(PolicyVerdict(p.name, p.state, applies, why, cap.describe_demands(p)))
    user = tenant.directory.user_by_id[user_id]
    return WhatIf(
        str(user.get("userPrincipalName") or user_id),
        cls.guest,
        app,
        client,
        tuple(verdicts),
        user.get("accountEnabled") is not False,
        location,
    )


def _where(
    tenant: Tenant, req: Requirement, p: cap.CaPolicy, app: str, client: str, regions: list[str] | None
) -> str:
    reason = path_reason(tenant, p, {"app": (app,), "client": (client,)})
    if reason:
        return reason
    limits = []
    for dim in DIMENSIONS[2:]:
        atoms = (
            list(regions) if dim == "location" and regions is not None else list(atoms_for(tenant, req, dim))
        )
        allowed = [a for a in atoms if tenant.allowed(p, dim, a)]
        if len(allowed) == len(atoms):
            continue
        if dim == "location":
            raw = regions is not None  # regions the user named, not merged ones
            if not allowed:
                return "does not apply " + tenant.locations.describe(atoms, expand=not raw)
            limits.append(tenant.locations.describe(allowed, expand=not raw))
        else:
            limits.append(f"{_DIM_WORDS[dim]} {', '.join(allowed) or 'none'}")
    return ("only when " + "; ".join(limits)) if limits else ""


_DIM_WORDS = {
    "platform": "platform",
    "userRisk": "user risk",
    "signInRisk": "sign-in risk",
    "flow": "authentication flow",
    "device": "on a",
}


__all__ = ["PolicyVerdict", "WhatIf", "classify", "what_if"]
