"""Conditional access coverage: for every user, is a requirement enforced on every path in?

A *path* is one combination of application, client app type, platform, location, risk levels
and authentication flow. A requirement (MFA, phishing-resistant MFA, a block, a managed device,
a session control) is met for a user on a path when at least one enforced policy that applies to
the user on that path demands it — conditional access enforces every applicable policy, so one
is enough, and a block meets every requirement. Coverage is the union over policies.

Users are judged in *classes*: users who share a guest type, the same memberships among the
groups that policies reference, the same relevant roles and no policy naming them individually
get the same answer, so a 1.5-million-user tenant with ~20 distinct combinations is judged ~20
times, not 1.5 million.

Unknown group membership or role holders make a user's verdict three-valued: the class is
evaluated once assuming every unknown works against coverage and once assuming it works for it;
covered in the first case is covered, uncovered in the second is uncovered, anything else is
*undetermined* (an ``error`` upstream, never a pass).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from auditor.coverage import capolicy as cap
from auditor.coverage.directory import Directory, guest_type
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
        inc += [self._group(g, cls) for g in u.include_groups]
        inc += [self._role(r, cls) for r in u.include_roles]
        inc.append(_guest_in(u.include_guests, cls.guest))
        included = k_or(inc)
        reasons: list[tuple[bool | None, str]] = []
        if cls.named is not None and cls.named in u.exclude_users:
            reasons.append((True, "excludes them by name"))
        reasons += [
            (self._group(g, cls), f"excludes them through group {d.group_label(g)}") for g in u.exclude_groups
        ]
        reasons += [
            (self._role(r, cls), f"excludes them through role {role_label(r)}") for r in u.exclude_roles
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

    def _group(self, group: str, cls: UserClass) -> bool | None:
        if group in cls.groups:
            return True
        return False if self.directory.group_known(group) else None

    def _role(self, role: str, cls: UserClass) -> bool | None:
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


# -- classes of users ------------------------------------------------------------------


def classify(tenant: Tenant, req: Requirement) -> list[UserClass]:
    """The enabled users in scope (break-glass accounts left out), grouped into classes.

    Hot path at 1.5 million users: memberships become one integer bit mask per user, built by
    walking each referenced group's member list once, so the per-user work is two dictionary
    lookups and an append. Role-scoped requirements walk the role holders only.
    """
    key = ("classes", req.roles, req.break_glass_users, req.break_glass_groups)
    if key in tenant.cache:
        return list(tenant.cache[key])
    d = tenant.directory
    groups: set[str] = set(req.break_glass_groups)
    roles: set[str] = set(req.roles or ())
    named: set[str] = set(req.break_glass_users)
    for p in tenant.policies:
        groups |= p.users.groups()
        roles |= p.users.roles()
        named |= p.users.named_users()
    # largest group first: its members seed the table in one C-level call
    group_list = sorted((g for g in groups if g in d.members), key=lambda g: (-len(d.members[g]), g))
    masks: dict[str, int] = {}
    for bit, g in enumerate(group_list):
        flag = 1 << bit
        if not masks:
            masks = dict.fromkeys(d.members[g], flag)
            continue
        for uid in d.members[g]:
            old = masks.get(uid)
            masks[uid] = flag if old is None else old | flag
    role_list = sorted(roles)
    role_masks: dict[str, int] = {}
    for bit, r in enumerate(role_list):
        for uid in d.roles.get(r, {}):
            role_masks[uid] = role_masks.get(uid, 0) | (1 << bit)
    skip = req.break_glass_users
    if req.roles is None:
        candidates: list[dict[str, Any]] = d.users
    else:
        wanted = sum(1 << role_list.index(r) for r in req.roles)
        candidates = [d.user_by_id[u] for u, m in role_masks.items() if m & wanted]
    # Most users are plain enabled members, not named by any policy and holding no role: their
    # class is their group mask alone, found with C-level passes. The few others are keyed one by one.
    special = {
        u["id"]
        for u in candidates
        if u.get("userType") == "Guest"
        or u.get("accountEnabled") is False
        or u.get("externalUserState") is not None
        or "#EXT#" in (u.get("userPrincipalName") or "")
    }
    special |= named | set(role_masks) | set(skip)
    buckets: dict[tuple[Any, ...], list[str]] = {}
    if req.roles is None:
        plain = [uid for uid in d.user_by_id if uid not in special]
        by_mask: defaultdict[int, list[str]] = defaultdict(list)
        for uid, mask in zip(plain, map(masks.get, plain, repeat(0)), strict=True):
            by_mask[mask].append(uid)
        buckets = {(None, mask, 0, None): members for mask, members in by_mask.items()}
        candidates = [d.user_by_id[uid] for uid in d.user_by_id if uid in special]
    for user in candidates:
        uid = user["id"]
        if user.get("accountEnabled") is False or uid in skip:
            continue
        k = (guest_type(user), masks.get(uid, 0), role_masks.get(uid, 0), uid if uid in named else None)
        buckets.setdefault(k, []).append(uid)
    classes = [
        UserClass(
            guest,
            frozenset(g for i, g in enumerate(group_list) if gm >> i & 1),
            frozenset(r for i, r in enumerate(role_list) if rm >> i & 1),
            name,
            tuple(members),
        )
        for (guest, gm, rm, name), members in buckets.items()
    ]
    tenant.cache[key] = classes
    return list(classes)


# -- judging a class ---------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A path on which a class of users is not covered, and why."""

    where: str
    why: str
    undetermined: bool


def atoms_for(tenant: Tenant, req: Requirement, dim: str) -> tuple[str, ...]:
    if dim == "app":
        return req.apps if req.apps is not None else tenant.app_atoms
    if dim == "client":
        return req.clients
    if dim == "platform":
        return cap.PLATFORMS
    if dim == "location":
        return tenant.location_atoms
    if dim == "userRisk":
        return req.user_risk
    if dim == "signInRisk":
        return req.signin_risk
    return req.flows


def _groups_of_atoms(
    tenant: Tenant, policies: Sequence[cap.CaPolicy], dim: str, atoms: Sequence[str]
) -> list[tuple[str, ...]]:
    """Atoms that every policy treats alike, grouped: judging one of each is enough."""
    groups: dict[tuple[bool, ...], list[str]] = {}
    for atom in atoms:
        signature = tuple(tenant.allowed(p, dim, atom) for p in policies)
        groups.setdefault(signature, []).append(atom)
    return [tuple(v) for v in groups.values()]


def uncovered_paths(
    tenant: Tenant, req: Requirement, policies: Sequence[cap.CaPolicy]
) -> list[dict[str, tuple[str, ...]]]:
    """The combinations of atom groups on which none of ``policies`` applies, merged.

    Paths that differ in one dimension only and together span all of it are merged into one
    (that dimension then reads "any"), so a gap is described by what actually matters.
    """
    per_dim = [_groups_of_atoms(tenant, policies, dim, atoms_for(tenant, req, dim)) for dim in DIMENSIONS]
    paths: set[tuple[int, ...]] = set()
    for combo in itertools.product(*(range(len(g)) for g in per_dim)):
        atoms = [per_dim[i][j][0] for i, j in enumerate(combo)]
        if not any(
            all(tenant.allowed(p, d, a) for d, a in zip(DIMENSIONS, atoms, strict=True)) for p in policies
        ):
            paths.add(combo)
    for i, groups in enumerate(per_dim):
        if len(groups) < 2:
            continue
        buckets: dict[tuple[int, ...], set[int]] = {}
        for path in paths:
            buckets.setdefault(path[:i] + path[i + 1 :], set()).add(path[i])
        merged: set[tuple[int, ...]] = set()
        for rest, present in buckets.items():
            if len(present) == len(groups):
                merged.add((*rest[:i], -1, *rest[i:]))
            else:
                merged |= {(*rest[:i], j, *rest[i:]) for j in present}
        paths = merged
    return [
        {
            d: tuple(a for g in per_dim[i] for a in g) if j == -1 else per_dim[i][j]
            for i, (d, j) in enumerate(zip(DIMENSIONS, path, strict=True))
        }
        for path in sorted(paths)
    ]


def judge_class(tenant: Tenant, req: Requirement, cls: UserClass) -> list[Gap]:
    """The gaps of one class: empty when covered everywhere."""
    candidates = [p for p in tenant.policies if req.satisfied_by(p)]
    verdicts = [(p, *tenant.user_applies(p, cls)) for p in candidates]
    sure = [p for p, applies, _ in verdicts if applies is True]
    maybe = [p for p, applies, _ in verdicts if applies is not False]
    bg = [tenant._group(g, cls) for g in req.break_glass_groups]
    if any(v is True for v in bg):
        return []
    gaps = []
    demanding = [p for p in maybe if not (p.blocks and req.kind != "block")]
    shown = {
        d
        for d in DIMENSIONS
        if d in ("app", "client")
        or any(not all(tenant.allowed(p, d, a) for a in atoms_for(tenant, req, d)) for p in demanding)
        or tuple(atoms_for(tenant, req, d)) != _FULL.get(d, atoms_for(tenant, req, d))
    }
    for path in uncovered_paths(tenant, req, sure):
        undetermined = any(v is None for v in bg) or not _uncovered_on(tenant, path, maybe)
        where = describe_path(
            tenant, req, {d: path[d] if d in shown else atoms_for(tenant, req, d) for d in DIMENSIONS}
        )
        gaps.append(Gap(where, _why(tenant, req, cls, path, verdicts), undetermined))
    return gaps


_FULL = {
    "client": cap.CLIENTS,
    "userRisk": cap.RISK_LEVELS,
    "signInRisk": cap.RISK_LEVELS,
    "flow": cap.FLOWS,
}


def _uncovered_on(
    tenant: Tenant, path: Mapping[str, tuple[str, ...]], policies: Iterable[cap.CaPolicy]
) -> bool:
    """True when, even with unknowns in coverage's favour, some atom of the path stays uncovered."""
    for combo in itertools.product(*(path[d] for d in DIMENSIONS)):
        if not any(
            all(tenant.allowed(p, d, a) for d, a in zip(DIMENSIONS, combo, strict=True)) for p in policies
        ):
            return True
    return False


def _label_atoms(tenant: Tenant, req: Requirement, dim: str, atoms: tuple[str, ...]) -> str | None:
    """Words for a group of atoms, or None when the group is the whole dimension."""
    if set(atoms) >= set(atoms_for(tenant, req, dim)) and (dim != "app" or req.apps is not None):
        return (
            None
            if dim != "app"
            else _join([cap.USER_ACTIONS.get(a) or cap.WELL_KNOWN_APPS.get(a) or a for a in atoms])
        )
    if dim == "app":
        if req.apps is None and set(atoms) >= set(tenant.app_atoms):
            return "every resource"
        if req.apps is None and cap.OTHER_APP in atoms:
            left = [a for a in tenant.app_atoms if a not in atoms]
            return "every resource except " + _join([cap.WELL_KNOWN_APPS.get(a) or a for a in left])
        names = [cap.USER_ACTIONS.get(a) or cap.WELL_KNOWN_APPS.get(a) or a for a in atoms]
        return _join(names)
    if dim == "client":
        return "on " + _join([cap.CLIENT_LABELS.get(a, a) for a in atoms])
    if dim == "platform":
        return "on platform " + _join(list(atoms))
    if dim == "location":
        return "from location " + _join(list(atoms))
    if dim in ("userRisk", "signInRisk"):
        return f"at {'user' if dim == 'userRisk' else 'sign-in'} risk " + _join(list(atoms))
    return "with authentication flow " + _join(list(atoms))


def describe_path(tenant: Tenant, req: Requirement, path: Mapping[str, tuple[str, ...]]) -> str:
    parts = [_label_atoms(tenant, req, dim, path[dim]) for dim in DIMENSIONS]
    return " ".join(p for p in parts if p)


def _join(items: list[str], limit: int = 3) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def _why(
    tenant: Tenant,
    req: Requirement,
    cls: UserClass,
    path: Mapping[str, tuple[str, ...]],
    verdicts: Sequence[tuple[cap.CaPolicy, bool | None, str]],
) -> str:
    """Why no policy meets the requirement on this path for these users."""
    excluded: list[str] = []
    elsewhere: list[str] = []
    not_included = 0
    for p, applies, text in verdicts:
        if applies is not True and text.startswith("does not include"):
            not_included += 1
            continue
        reason = text if applies is not True else _path_reason(tenant, p, path)
        if reason:
            (excluded if applies is not True else elsewhere).append(f"{p.label()} {reason}")
    shadow = [
        f"{p.label()} would, but is not enforced (state {p.state})"
        for p in tenant.not_enforced
        if req.satisfied_by(p) and tenant.user_applies(p, cls)[0] is not False
    ]
    reasons = excluded + elsewhere[: max(0, 3 - len(excluded))] + shadow[:2]
    if not_included:
        reasons.append(
            f"{not_included} other {'policy does' if not_included == 1 else 'policies do'} not include them"
        )
    if not verdicts:
        reasons.append(f"no enforced policy has them {req.wording()}")
    return "; ".join(reasons)


def _path_reason(tenant: Tenant, p: cap.CaPolicy, path: Mapping[str, tuple[str, ...]]) -> str:
    if p.opaque:
        return "applies only under " + " and ".join(p.opaque)
    for dim in DIMENSIONS:
        atom = path[dim][0]
        if not tenant.allowed(p, dim, atom):
            label = {
                "app": "does not cover ",
                "client": "does not apply to ",
                "platform": "does not apply on platform ",
                "location": "does not apply from location ",
                "userRisk": "applies only at other user risk levels than ",
                "signInRisk": "applies only at other sign-in risk levels than ",
                "flow": "does not apply to authentication flow ",
            }[dim]
            name = (
                cap.CLIENT_LABELS.get(atom)
                or cap.USER_ACTIONS.get(atom)
                or cap.WELL_KNOWN_APPS.get(atom)
                or atom
            )
            return label + name
    return ""
