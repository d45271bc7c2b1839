"""What If, offline: which conditional access policies apply to one user, and what they demand.

The Entra portal's What If tool answers this for a live tenant only; this answers it from a
snapshot, for a user, an application (or user action) and a client app type, with the reason for
every policy that does not apply. Other conditions (platform, location, risk, authentication flow)
are left open: a policy limited by them is reported as applying "only" under them.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.coverage import capolicy as cap
from auditor.coverage.classes import classify
from auditor.coverage.directory import guest_type
from auditor.coverage.model import DIMENSIONS, Requirement, Tenant, UserClass
from auditor.coverage.paths import atoms_for, path_reason


@dataclass(frozen=True)
class PolicyVerdict:
    name: str
    state: str
    applies: bool | None  # None: depends on a group whose members were not collected
    reason: str  # why it does not apply, or the conditions it is limited to
    demands: str


@dataclass(frozen=True)
class WhatIf:
    user: str
    guest: str | None
    app: str
    client: str
    verdicts: tuple[PolicyVerdict, ...]

    enabled: bool = True

    def outcome(self) -> str:
        """What the user must do to sign in, from the policies that surely apply."""
        if not self.enabled:
            return "the account is disabled: it cannot sign in"
        applying = [v for v in self.verdicts if v.applies is True and v.state == "enabled" and not v.reason]
        if any(v.demands == "block access" for v in applying):
            return "blocked"
        demands = [v.demands for v in applying]
        if not demands:
            return "no conditional access requirement: password (or the method the user has) only"
        return "; and ".join(sorted(set(demands)))


def user_class(tenant: Tenant, user_id: str) -> UserClass:
    """The class of one user, with every policy-referenced group and role resolved for them."""
    d = tenant.directory
    groups: set[str] = set()
    roles: set[str] = set()
    for p in tenant.policies + tenant.not_enforced:
        groups |= p.users.groups()
        roles |= p.users.roles()
    return UserClass(
        guest_type(d.user_by_id[user_id]),
        frozenset(g for g in groups if d.membership(g, user_id) is True),
        frozenset(r for r in roles if user_id in d.roles.get(r, {})),
        user_id,
        (user_id,),
    )


def what_if(tenant: Tenant, user_id: str, app: str = cap.OTHER_APP, client: str = "browser") -> WhatIf:
    cls = user_class(tenant, user_id)
    req = Requirement("mfa", clients=(client,), apps=(app,))
    verdicts = []
    for p in sorted(tenant.policies + tenant.not_enforced, key=lambda p: p.name):
        applies, why = tenant.user_applies(p, cls)
        if applies is True:
            why = _where(tenant, req, p, app, client)
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
    )


def _where(tenant: Tenant, req: Requirement, p: cap.CaPolicy, app: str, client: str) -> str:
    reason = path_reason(tenant, p, {"app": (app,), "client": (client,)})
    if reason:
        return reason
    limits = []
    for dim in DIMENSIONS[2:]:
        atoms = atoms_for(tenant, req, dim)
        allowed = [a for a in atoms if tenant.allowed(p, dim, a)]
        if len(allowed) < len(atoms):
            limits.append(f"{dim} {', '.join(allowed) or 'none'}")
    return ("only when " + "; ".join(limits)) if limits else ""


__all__ = ["PolicyVerdict", "WhatIf", "classify", "what_if"]
