"""Conditional access coverage: for every user, is a requirement enforced on every path in?

A *path* is one combination of application, client app type, platform, location, risk levels
and authentication flow. A requirement (MFA, phishing-resistant MFA, a block, a managed device,
a session control) is met for a user on a path when at least one enforced policy that applies to
the user on that path demands it — conditional access enforces every applicable policy, so one
is enough, and a block meets every requirement. Coverage is the union over policies.

Users are judged in *classes* (``classes.py``); paths and the words for gaps are in ``paths.py``.

Unknown group membership or role holders make a user's verdict three-valued: the class is
evaluated once assuming every unknown works against coverage and once assuming it works for it;
covered in the first case is covered, uncovered in the second is uncovered, anything else is
*undetermined* (an ``error`` upstream, never a pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.coverage import capolicy as cap
from auditor.coverage.directory import Directory
from auditor.coverage.kleene import k_and, k_not, k_or

KINDS = ("mfa", "phishingResistantMfa", "block", "managedDevice", "signInFrequency", "persistentBrowserNever")
DIMENSIONS = ("app", "client", "platform", "location", "userRisk", "signInRisk", "flow")


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
        if self.kind in ("signInFrequency", "persistentBrowserNever"):
            if self.kind == "persistentBrowserNever":
                return cap.persistent_browser_never(p)
            hours = cap.signin_frequency_hours(p)
            limit = self.max_hours if self.max_hours is not None else 0.0
            return hours is not None and hours <= limit
        if p.blocks:
            return True
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
            ),
            "persistentBrowserNever": "kept from persistent browser sessions",
        }[self.kind]


@dataclass(frozen=True)
class UserClass:
    """Users who are alike for every enforced policy; ``members`` are their ids in snapshot order."""

    guest: str | None
    groups: frozenset[str]
    roles: frozenset[str]
    named: str | None
    members: tuple[str, ...] = field(compare=False, default=())


@dataclass
class Tenant:
    """The enforced policies, their atoms per dimension, and the directory."""

    directory: Directory
    policies: list[cap.CaPolicy]
    not_enforced: list[cap.CaPolicy]
    trusted_locations: frozenset[str]
    location_atoms: tuple[str, ...]
    app_atoms: tuple[str, ...]
    cache: dict[Any, Any] = field(default_factory=dict)

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
        if "All" in values or atom in values:
            return True
        return "AllTrusted" in values and (atom == cap.TRUSTED_UNNAMED or atom in self.trusted_locations)

    def allowed(self, p: cap.CaPolicy, dim: str, atom: str) -> bool:
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
        return atom in p.flows

    # -- who a policy applies to -------------------------------------------------------
    def user_applies(self, p: cap.CaPolicy, cls: UserClass) -> tuple[bool | None, str]:
        """Three-valued: does the policy apply to users of this class, and if not, why."""
        d, u = self.directory, p.users
        inc: list[bool | None] = [u.include_all, cls.named is not None and cls.named in u.include_users]
        inc += [self.in_group(g, cls) for g in u.include_groups]
        inc += [self.holds_role(r, cls) for r in u.include_roles]
        inc.append(_guest_in(u.include_guests, cls.guest))
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
        reasons.append((_guest_in(u.exclude_guests, cls.guest), f"excludes guest type {cls.guest}"))
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
        return False if self.directory.group_known(group) else None

    def holds_role(self, role: str, cls: UserClass) -> bool | None:
        if role in cls.roles:
            return True
        d = self.directory
        if d.role_gap is not None:
            return None
        if any(not d.group_known(g) for g in d.roles_unknown_groups.get(role, ())):
            return None
        return False


def _guest_in(scope: cap.GuestScope | None, guest: str | None) -> bool | None:
    if scope is None or guest is None or guest not in scope.types:
        return False
    return True if scope.all_tenants else None


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


def build_tenant(directory: Directory, data: Mapping[str, Any]) -> Tenant:
    strengths = {
        str(s.get("id")): s for s in data.get("authenticationStrengthPolicies") or [] if isinstance(s, dict)
    }
    read = [
        cap.read_policy(p, strengths)
        for p in data.get("conditionalAccessPolicies") or []
        if isinstance(p, dict)
    ]
    enforced = [p for p in read if p.enforced]
    trusted = frozenset(
        str(n.get("id"))
        for n in data.get("namedLocations") or []
        if isinstance(n, dict) and n.get("isTrusted") is True
    )
    locations: set[str] = set()
    apps: set[str] = set()
    for p in read:  # report-only policies too, so that What If can name their conditions
        locations |= (p.locations_include or frozenset()) | p.locations_exclude
        apps |= p.apps | p.excluded_apps
    locations -= {"All", "AllTrusted"}
    apps -= {"All", "None", "Office365", "MicrosoftAdminPortals", "AllAgentIdResources"}
    return Tenant(
        directory,
        enforced,
        [p for p in read if not p.enforced],
        trusted,
        (*sorted(locations), cap.TRUSTED_UNNAMED, cap.OTHER_LOCATION),
        (*sorted(apps), cap.OTHER_OFFICE, cap.ADMIN_PORTALS, cap.OTHER_APP),
    )
