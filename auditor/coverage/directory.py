"""Who is who in the tenant: users, their guest type, group memberships and directory roles.

The conditional access model needs three facts about each user that the snapshot does not
state directly: the user's *guest type* (Microsoft's external-user categories), the groups that
hold the user transitively, and the directory roles the user holds (directly or through a
role-assignable group, active or eligible). This module derives them from the raw collections
and, just as important, records what it could **not** derive: a group whose membership was not
collected is *unknown*, never empty, so that missing data can never turn into a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

USER_TYPE = "#microsoft.graph.user"

#: Microsoft's external-user categories (conditionalAccessGuestOrExternalUserTypes).
GUEST_TYPES = (
    "internalGuest",
    "b2bCollaborationGuest",
    "b2bCollaborationMember",
    "b2bDirectConnectUser",
    "otherExternalUser",
    "serviceProvider",
)
#: Categories of external users that have no user object in the directory: the model judges
#: one stand-in for each when a requirement is about every user.
OBJECTLESS_GUEST_TYPES = ("b2bDirectConnectUser", "otherExternalUser", "serviceProvider")

#: role holders through roleEligibilitySchedules need PIM, hence Entra ID P2: a tenant without it
#: has no eligible assignments, which is a fact, not missing data.
LICENCE_STATUSES = ("not_licensed",)


def guest_type(user: Mapping[str, Any]) -> str | None:
    """The user's external-user category, or None for an internal member.

    Follows "Assigning Conditional Access policies to external user types"
    (learn.microsoft.com/entra/external-id/authentication-conditional-access): a *guest* user
    type with an external identity is a B2B collaboration guest, without one an internal guest;
    a *member* user type with an external identity is a B2B collaboration member. An external
    identity shows as ``#EXT#`` in the user principal name or an ``externalUserState``.
    """
    upn = user.get("userPrincipalName")
    external = (upn.__class__ is str and "#EXT#" in upn) or user.get("externalUserState") is not None
    if user.get("userType") == "Guest":
        return "b2bCollaborationGuest" if external else "internalGuest"
    return "b2bCollaborationMember" if external else None


class StatusSource:
    """What the model reads: the snapshot's data and each collection's status."""

    data: Mapping[str, Any]

    def status_of(self, name: str) -> Any:  # pragma: no cover - protocol
        raise NotImplementedError


def _ok(status_of: Callable[[str], Any], name: str, data: Mapping[str, Any]) -> bool:
    return bool(status_of(name).ok) and name in data


@dataclass(frozen=True)
class RoleHold:
    """One user's hold on one role: how (directly or through groups), active or eligible, and where.

    ``active``/``eligible`` count assignments at any scope (what counting controls read);
    ``active_wide``/``eligible_wide`` only tenant-wide (``directoryScopeId`` ``/``) ones, the only
    kind conditional access role conditions match (users-groups page: roles scoped to an
    administrative unit are not supported; a PIM-eligible holder must activate the role first).
    """

    active: bool = False
    eligible: bool = False
    via_groups: tuple[str, ...] = ()
    active_wide: bool = False
    eligible_wide: bool = False

    @property
    def ca_state(self) -> str:
        """How conditional access sees the hold: ``active``, ``eligible`` (both states) or ``scoped``."""
        if self.active_wide:
            return "active"
        return "eligible" if self.eligible_wide else "scoped"


@dataclass
class Directory:
    """Indexes over the snapshot, built once per snapshot and shared by every policy."""

    users: list[dict[str, Any]]
    user_by_id: dict[str, dict[str, Any]]
    #: group id -> ids of the users in it (transitively); only groups whose membership was collected
    members: dict[str, frozenset[str]]
    #: why group membership is unknown, when the whole collection is missing (else None)
    membership_gap: str | None
    group_names: dict[str, str]
    #: role template id -> user id -> how the user holds it
    roles: dict[str, dict[str, RoleHold]] = field(default_factory=dict)
    #: role template id -> groups that hold the role but whose members are unknown
    roles_unknown_groups: dict[str, set[str]] = field(default_factory=dict)
    #: why role holders are unknown (roleAssignments or eligibility not collected), else None
    role_gap: str | None = None
    #: ids of every group the snapshot names (``groups``), when that collection is there
    group_ids: frozenset[str] | None = None
    #: role template id -> principals that are neither a user, a group nor a service principal
    unknown_principals: dict[str, set[str]] = field(default_factory=dict)
    #: role template id -> service principal id -> how it holds the role ("active"/"eligible")
    role_service_principals: dict[str, dict[str, str]] = field(default_factory=dict)
    service_principal_names: dict[str, str] = field(default_factory=dict)
    _upn_index: dict[str, dict[str, Any]] | None = None

    # -- groups -----------------------------------------------------------------
    def membership(self, group_id: str, user_id: str) -> bool | None:
        """True/False when known; None when the group's membership was not collected."""
        members = self.members.get(group_id)
        if members is None:
            return None
        return user_id in members

    def group_known(self, group_id: str) -> bool:
        return group_id in self.members

    def group_label(self, group_id: str) -> str:
        name = self.group_names.get(group_id)
        return f"'{name}'" if name else group_id

    def groups_of(self, user_id: str, among: Iterable[str]) -> set[str]:
        """The groups of ``among`` (known ones) that hold the user."""
        wanted = [g for g in among if g in self.members]
        return {g for g in wanted if user_id in self.members[g]}

    def user_by_upn(self, upn: str) -> dict[str, Any] | None:
        if self._upn_index is None:
            self._upn_index = {str(u.get("userPrincipalName") or "").lower(): u for u in self.users}
        return self._upn_index.get(upn.lower()) or self.user_by_id.get(upn)

    # -- roles ------------------------------------------------------------------
    def role_membership(self, role_id: str, user_id: str) -> bool | None:
        """Whether the user holds the role; None when it cannot be known."""
        if user_id in self.roles.get(role_id, {}):
            return True
        if self.role_gap is not None:
            return None
        for group in self.roles_unknown_groups.get(role_id, ()):
            if self.membership(group, user_id) is None:
                return None
        return False

    def roles_of(self, user_id: str, among: Iterable[str]) -> set[str]:
        return {r for r in among if user_id in self.roles.get(r, {})}


def _members_by_group(data: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """group id -> its user members' ids (Graph lists nested groups and devices too: skipped)."""
    out: dict[str, frozenset[str]] = {}
    for group_id, members in (data.get("groupMembers") or {}).items():
        if members.__class__ is list:
            out[group_id] = frozenset(
                [
                    m["id"]
                    for m in members
                    if m.__class__ is dict and m.get("@odata.type", USER_TYPE) == USER_TYPE
                ]
            )
    return out


def _index_users(raw: Any) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The users with a string id, and by id. C-level passes when every entry is well formed
    (the common case, and the cost at 1.5 million users); a careful loop otherwise."""
    if isinstance(raw, list):
        try:
            ids = list(map(itemgetter("id"), raw))
            if set(map(type, ids)) <= {str} and set(map(type, raw)) <= {dict}:
                return raw, dict(zip(ids, raw, strict=True))
        except (TypeError, KeyError):
            pass
    users = [u for u in raw if u.__class__ is dict and u.get("id").__class__ is str]
    return users, {u["id"]: u for u in users}


def build_directory(data: Mapping[str, Any], status_of: Callable[[str], Any]) -> Directory:
    """Index users, groups and role holders; record what is unknown and why."""
    users, user_by_id = _index_users(data.get("users") or [])
    if _ok(status_of, "groupMembers", data):
        members, gap = _members_by_group(data), None
    else:
        members, gap = {}, f"groupMembers was not collected ({status_of('groupMembers').describe()})"
    names: dict[str, str] = {}
    group_ids: frozenset[str] | None = None
    if _ok(status_of, "groups", data):
        groups = [g for g in data["groups"] if isinstance(g, dict)]
        names = {str(g.get("id")): str(g.get("displayName")) for g in groups if g.get("displayName")}
        group_ids = frozenset(str(g.get("id")) for g in groups)
    directory = Directory(users, user_by_id, members, gap, names, group_ids=group_ids)
    _index_roles(directory, data, status_of)
    return directory


def _index_roles(directory: Directory, data: Mapping[str, Any], status_of: Callable[[str], Any]) -> None:
    """Role holders from active assignments and PIM eligibilities, groups expanded.

    Every principal is accounted for: a user; a group with collected members (expanded); a group
    without them (``roles_unknown_groups``: its members are unknown, never none); a service
    principal (listed, for counting controls); anything else is an *unknown principal*, which
    makes every control about that role an error naming it.
    """
    gaps = []
    sources: list[tuple[str, bool]] = []
    if _ok(status_of, "roleAssignments", data):
        sources.append(("roleAssignments", True))
    else:
        gaps.append(f"roleAssignments was not collected ({status_of('roleAssignments').describe()})")
    eligibility = status_of("roleEligibilitySchedules")
    if _ok(status_of, "roleEligibilitySchedules", data):
        sources.append(("roleEligibilitySchedules", False))
    elif eligibility.status not in LICENCE_STATUSES:
        gaps.append(f"roleEligibilitySchedules was not collected ({eligibility.describe()})")
    directory.role_gap = "; ".join(gaps) or None
    sps: dict[str, str] | None = None
    if _ok(status_of, "servicePrincipals", data):
        sps = {
            str(sp.get("id")): str(sp.get("displayName") or sp.get("appId") or sp.get("id"))
            for sp in data.get("servicePrincipals") or []
            if isinstance(sp, dict)
        }
        directory.service_principal_names = sps
    for name, active in sources:
        for entry in data.get(name) or []:
            if not isinstance(entry, dict):
                continue
            role, principal = str(entry.get("roleDefinitionId")), str(entry.get("principalId"))
            wide = entry.get("directoryScopeId") in (None, "/")
            holders = directory.roles.setdefault(role, {})
            if principal in directory.user_by_id:
                _hold(holders, principal, active, None, wide)
            elif principal in directory.members:
                for user_id in sorted(directory.members[principal]):  # sets: fix the order
                    _hold(holders, user_id, active, principal, wide)
            elif sps is not None and principal in sps:
                held = directory.role_service_principals.setdefault(role, {})
                held[principal] = "active" if active or held.get(principal) == "active" else "eligible"
            elif _maybe_group(directory, principal):
                directory.roles_unknown_groups.setdefault(role, set()).add(principal)
            else:
                directory.unknown_principals.setdefault(role, set()).add(principal)


def _maybe_group(directory: Directory, principal: str) -> bool:
    """A principal that is not a user, not a known service principal and has no collected
    members: a group whose members are unknown (when ``groups`` names it, or when ``groups`` was
    not collected and ``groupMembers`` is missing too)? Otherwise it is an unknown principal."""
    if directory.group_ids is not None:
        return principal in directory.group_ids
    return directory.membership_gap is not None


def _hold(holders: dict[str, RoleHold], user_id: str, active: bool, group: str | None, wide: bool) -> None:
    old = holders.get(user_id, RoleHold())
    via = old.via_groups + ((group,) if group and group not in old.via_groups else ())
    holders[user_id] = RoleHold(
        old.active or active,
        old.eligible or not active,
        via,
        old.active_wide or (active and wide),
        old.eligible_wide or (not active and wide),
    )
