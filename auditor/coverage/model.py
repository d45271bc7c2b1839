"""Conditional access coverage: for every user, is a requirement enforced on every path in?

A *path* is one combination of application, client app type, platform, location, risk levels
and authentication flow. A requirement (MFA, phishing-resistant MFA, a block, a managed device,
a session control) is met for a user on a path when at least one enforced policy that applies to
the user on that path demands it — conditional access enforces every applicable policy, so one
is enough, and a block meets every requirement. Coverage is the union over policies.

Users are judged in *classes* (``classes.py``); paths and the words for gaps are in ``paths.py``.

Unknown group membership or role holders are *variables*: a class is judged under every
assignment of the few unknown groups (or roles) that matter to it, the same group being one
variable wherever a policy or a break-glass parameter names it. The verdict all assignments give
is the verdict; when they disagree the class is *undetermined* (an ``error`` upstream, never a
pass), naming the groups whose membership decides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.coverage import capolicy as cap
from auditor.coverage.directory import Directory
from auditor.coverage.kleene import k_and, k_not, k_or
from auditor.coverage.locations import ALL, ALL_TRUSTED, Locations, read_locations

KINDS = ("mfa", "phishingResistantMfa", "block", "managedDevice", "signInFrequency", "persistentBrowserNever")
DIMENSIONS = ("app", "client", "platform", "location", "userRisk", "signInRisk", "flow", "device")


@dataclass(frozen=True)
class Requirement:
    """What must hold, for whom and where; parsed from the CEL map a policy passes."""

    kind: str
    roles: tuple[str, ...] | None = None  # None: every user; else holders of these roles
    apps: tuple[str, ...] | None = None  # None: every resource
    clients: tuple[str, ...] = cap.CLIENTS
    user_risk: tuple[str, ...] = cap.RISK_LEVELS
    signin_risk: tuple[str, ...] = cap.RISK_LEVELS
    flows: tuple[str, ...] = cap.FLOWS
    max_hours: float | None = None
    break_glass_users: frozenset[str] = frozenset()
    break_glass_groups: tuple[str, ...] = ()

    def satisfied_by(self, p: cap.CaPolicy) -> bool:
        if p.blocks:  # a block meets every requirement, session controls included
            return True
        if self.kind in ("signInFrequency", "persistentBrowserNever"):
            if self.kind == "persistentBrowserNever":
                return cap.persistent_browser_never(p)
            hours = cap.signin_frequency_hours(p)
            limit = self.max_hours if self.max_hours is not None else 0.0
            return hours is not None and hours <= limit
        if self.kind == "mfa":
            return cap.requires_mfa(p)
        if self.kind == "phishingResistantMfa":
            return cap.requires_phishing_resistant(p)
        if self.kind == "managedDevice":
            return cap.requires_managed_device(p)
        return False  # "block": only a block

    def wording(self) -> str:
        return {
            "mfa": "required to use MFA (or blocked)",
            "phishingResistantMfa": "required to use phishing-resistant MFA (or blocked)",
            "block": "blocked",
            "managedDevice": "required to use a compliant or hybrid joined device (or blocked)",
            "signInFrequency": (
                "required to sign in every time"
                if not self.max_hours
                else f"required to sign in again at least every {self.max_hours:g} h"
            )
            + " (or blocked)",
            "persistentBrowserNever": "kept from persistent browser sessions (or blocked)",
        }[self.kind]


@dataclass(frozen=True)
class UserClass:
    """Users who are alike for every enforced policy; ``members`` are their ids in snapshot order.

    ``roles`` are the roles conditional access sees them hold (active, tenant-wide); ``eligible``
    the tenant-wide PIM-eligible ones not active (judged before and after activation);
    ``scoped`` the roles held only over an administrative unit (never matched by role
    conditions). ``assumed`` is set while judging under one assignment of the unknown
    memberships: the variables (group ids, ``role:ID``) assumed true.
    """

    guest: str | None
    groups: frozenset[str]
    roles: frozenset[str]
    named: str | None
    members: tuple[str, ...] = field(compare=False, default=())
    eligible: frozenset[str] = frozenset()
    scoped: frozenset[str] = frozenset()
    standin: bool = False
    assumed: frozenset[str] | None = field(compare=False, default=None)


@dataclass
class Tenant:
    """The enforced policies, their atoms per dimension, and the directory."""

    directory: Directory
    policies: list[cap.CaPolicy]
    not_enforced: list[cap.CaPolicy]
    locations: Locations
    app_atoms: tuple[str, ...]
    #: location ids that policies name but the snapshot does not have -> the policies naming them
    unknown_locations: dict[str, list[cap.CaPolicy]] = field(default_factory=dict)
    #: why named locations cannot be read at all (not collected), else ""
    location_problem: str = ""
    #: location id -> why it cannot be read exactly (a range that is not CIDR)
    bad_locations: dict[str, str] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)
    memo: dict[tuple[int, str, str], bool] = field(default_factory=dict)

    @property
    def location_atoms(self) -> tuple[str, ...]:
        return self.locations.atoms

    # -- where a policy applies ------------------------------------------------------
    def app_applies(self, p: cap.CaPolicy, atom: str) -> bool:
        if atom in cap.USER_ACTIONS:
            return atom in p.user_actions
        return _in_apps(p.apps, atom) and not _in_apps(p.excluded_apps, atom)

    def location_applies(self, p: cap.CaPolicy, atom: str) -> bool:
        if p.locations_include is None:
            return True
        return self._in_locations(p.locations_include, atom) and not self._in_locations(
            p.locations_exclude, atom
        )

    def _in_locations(self, values: frozenset[str], atom: str) -> bool:
        return any(self.locations.matches(v, atom) for v in values)

    def allowed(self, p: cap.CaPolicy, dim: str, atom: str) -> bool:
        """Does the policy apply on this atom of the dimension (memoised: the hot path)?"""
        key = (id(p), dim, atom)
        memo = self.memo
        found = memo.get(key)
        if found is None:
            found = memo[key] = self._allowed(p, dim, atom)
        return found

    def _allowed(self, p: cap.CaPolicy, dim: str, atom: str) -> bool:
        if p.opaque:
            return False
        if dim == "app":
            return self.app_applies(p, atom)
        if dim == "client":
            return atom in p.clients
        if dim == "platform":
            return atom in p.platforms
        if dim == "location":
            return self.location_applies(p, atom)
        if dim == "userRisk":
            return atom in p.user_risk
        if dim == "signInRisk":
            return atom in p.signin_risk
        if dim == "device":
            return atom in p.devices
        return atom in p.flows

    # -- who a policy applies to -------------------------------------------------------
    def user_applies(self, p: cap.CaPolicy, cls: UserClass) -> tuple[bool | None, str]:
        """Three-valued: does the policy apply to users of this class, and if not, why."""
        d, u = self.directory, p.users
        inc: list[bool | None] = [u.include_all, cls.named is not None and cls.named in u.include_users]
        inc += [self.in_group(g, cls) for g in u.include_groups]
        inc += [self.holds_role(r, cls) for r in u.include_roles]
        inc.append(_guest_in(u.include_guests, cls, include=True))
        included = k_or(inc)
        reasons: list[tuple[bool | None, str]] = []
        if cls.named is not None and cls.named in u.exclude_users:
            reasons.append((True, "excludes them by name"))
        reasons += [
            (self.in_group(g, cls), f"excludes them through group {d.group_label(g)}")
            for g in u.exclude_groups
        ]
        reasons += [
            (self.holds_role(r, cls), f"excludes them through role {role_label(r)}") for r in u.exclude_roles
        ]
        reasons.append((_guest_in(u.exclude_guests, cls, include=False), f"excludes guest type {cls.guest}"))
        excluded = k_or([v for v, _ in reasons])
        applies = k_and([included, k_not(excluded)])
        if applies is True:
            return True, ""
        if included is False:
            return applies, "does not include them"
        why = [text for v, text in reasons if v is not False]
        unknown = " (membership not collected)" if applies is None else ""
        return applies, (why[0] if why else "does not include them") + unknown

    def in_group(self, group: str, cls: UserClass) -> bool | None:
        if group in cls.groups:
            return True
        if self.directory.group_known(group) or cls.standin:
            return False  # a stand-in has no object: no group can hold it
        return None if cls.assumed is None else group in cls.assumed

    def holds_role(self, role: str, cls: UserClass) -> bool | None:
        """Does conditional access see the class hold the role (active, tenant-wide)?"""
        if role in cls.roles:
            return True
        if cls.standin or role in cls.scoped or role in cls.eligible:
            return False  # eligible: the state is chosen by the caller (cls.roles after activation)
        unknown = self.role_variables(role)
        if not unknown:
            return False
        return None if cls.assumed is None else bool(unknown & cls.assumed)

    def role_variables(self, role: str) -> frozenset[str]:
        """The unknowns that decide whether someone holds the role: ``role:ID`` when role
        assignments were not collected, else the role-holding groups with unknown members."""
        d = self.directory
        if d.role_gap is not None:
            return frozenset({f"role:{role}"})
        return frozenset(g for g in d.roles_unknown_groups.get(role, ()) if not d.group_known(g))


def _guest_in(scope: cap.GuestScope | None, cls: UserClass, include: bool) -> bool | None:
    """Is the class's guest type in the scope? A scope limited to some external tenants is
    unknown for a user (their home tenant is not collected); for a stand-in, which stands for
    users of every tenant, it is the answer that leaves some of them uncovered."""
    if scope is None or cls.guest is None or cls.guest not in scope.types:
        return False
    if scope.all_tenants:
        return True
    return (not include) if cls.standin else None


def _in_apps(values: frozenset[str], atom: str) -> bool:
    if "All" in values or atom in values:
        return True
    if "Office365" in values and (atom in cap.OFFICE365_APPS or atom == cap.OTHER_OFFICE):
        return True
    return "MicrosoftAdminPortals" in values and atom == cap.ADMIN_PORTALS


ROLE_NAMES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "d29b2b05-8046-44ba-8758-1e26182fcf32": "Directory Synchronization Accounts",
}


def role_label(role: str) -> str:
    return f"'{ROLE_NAMES[role]}'" if role in ROLE_NAMES else role


def build_tenant(directory: Directory, data: Mapping[str, Any], locations_ok: bool = True) -> Tenant:
    """The model: enforced and not-enforced policies, location regions and application atoms.

    ``locations_ok`` says whether ``namedLocations`` was collected; a policy naming a location
    then needs it (an error names the location), never a guess.
    """
    strengths = {
        str(s.get("id")): s for s in data.get("authenticationStrengthPolicies") or [] if isinstance(s, dict)
    }
    read = [
        cap.read_policy(p, strengths)
        for p in data.get("conditionalAccessPolicies") or []
        if isinstance(p, dict)
    ]
    enforced = [p for p in read if p.enforced]
    named, problems = read_locations(data.get("namedLocations") or [] if locations_ok else [])
    apps: set[str] = set()
    unknown: dict[str, list[cap.CaPolicy]] = {}
    trusted_named = False
    for p in read:  # report-only policies too, so that What If can name their conditions
        apps |= p.apps | p.excluded_apps
        for value in (p.locations_include or frozenset()) | p.locations_exclude:
            trusted_named = trusted_named or value == ALL_TRUSTED
            if value not in (ALL, ALL_TRUSTED) and value not in named:
                unknown.setdefault(value, []).append(p)
    apps -= {"All", "None", "Office365", "MicrosoftAdminPortals", "AllAgentIdResources"}
    apps -= set(cap.OFFICE365_APPS)
    problem = ""
    if not locations_ok and (unknown or trusted_named):
        problem = "namedLocations was not collected"
    locations = Locations(named, legacy_trusted=trusted_named)
    locations.merge(v for p in read for v in (p.locations_include or frozenset()) | p.locations_exclude)
    return Tenant(
        directory,
        enforced,
        [p for p in read if not p.enforced],
        locations,
        (*sorted(apps), *sorted(cap.OFFICE365_APPS), cap.OTHER_OFFICE, cap.ADMIN_PORTALS, cap.OTHER_APP),
        unknown,
        problem,
        problems,
    )
