"""Users who do not exist yet: where dynamic membership rules would put them, and their classes.

A future user — a row of a rollout wave, or a hypothetical "new member user", "new guest" or
"new holder of a role" — has no object id, so ``groupMembers`` says nothing about them. They
are placed in groups the way Entra ID would place them on creation:

- a group with dynamic membership (``groupTypes`` has ``DynamicMembership``) whose rule is on
  (``membershipRuleProcessingState`` not ``Paused``: a paused rule adds nobody) holds them when
  its ``membershipRule`` matches their properties (``auditor/coverage/dynrules``);
- a group the wave names explicitly (its ``groups`` column) holds them;
- every group that has one of those groups among its (transitive) members holds them too;
- no other group: assigned membership needs someone to add them.

A rule the evaluator cannot decide for them leaves that membership *undecided*, naming the
group and the construct; the verdicts it could change become ``error``, never a guess.
Roles come from the wave's ``roles`` column (active, tenant-wide) and from role-assignable
groups they are placed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.coverage.directory import USER_TYPE, guest_type
from auditor.coverage.dynrules import Node, RuleSyntaxError, Undecidable, evaluate, explain, parse, properties
from auditor.coverage.model import ROLE_NAMES, Tenant, UserClass

GROUP_TYPE = "#microsoft.graph.group"


@dataclass(frozen=True)
class DynamicGroup:
    id: str
    name: str
    rule: Node | None
    #: why the rule cannot be used at all (a syntax error), else ""
    problem: str = ""
    paused: bool = False


@dataclass(frozen=True)
class Placement:
    """The groups a future user would be in, and the memberships that cannot be decided."""

    groups: frozenset[str]
    #: group id -> the construct that keeps its rule from being decided
    undecided: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Groups:
    """The snapshot's groups as far as future users are concerned; built once per snapshot."""

    dynamic: list[DynamicGroup]
    names: dict[str, str]
    #: group id -> the groups that hold it (transitively), from ``groupMembers``' group entries
    parents: dict[str, set[str]]
    #: group id -> (roles it holds actively tenant-wide, roles it is eligible for tenant-wide)
    group_roles: dict[str, tuple[frozenset[str], frozenset[str]]]
    by_name: dict[str, str]
    _props: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _memo: dict[tuple[Any, ...], bool | str] = field(default_factory=dict)

    def label(self, group: str) -> str:
        return f"'{self.names[group]}'" if group in self.names else group

    def resolve(self, text: str) -> str | None:
        """A group id or display name (case-insensitive) -> its id, None when there is none."""
        if text in self.names:
            return text
        return self.by_name.get(text.lower())

    def place(self, user: Mapping[str, Any], explicit: Iterable[str] = ()) -> Placement:
        inside: set[str] = set(explicit)
        undecided: dict[str, str] = {}
        for g in self.dynamic:
            if g.paused:
                continue
            if g.rule is None:
                undecided[g.id] = g.problem
                continue
            verdict = self._decide(g, user)
            if verdict is True:
                inside.add(g.id)
            elif isinstance(verdict, str):
                undecided[g.id] = verdict
        for gid in list(inside):
            inside |= self.parents.get(gid, set())
        for gid in list(undecided):
            for parent in self.parents.get(gid, set()):
                if parent not in inside:
                    undecided.setdefault(parent, f"nested group {self.label(gid)}: {undecided[gid]}")
        return Placement(frozenset(inside), {g: w for g, w in undecided.items() if g not in inside})

    def rule_key(self, group: DynamicGroup, user: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values of the properties the group's rule reads: users alike on them are alike
        for the rule (a wave of 100,000 rows has a handful of distinct ones per rule)."""
        names = self._props.get(group.id)
        if names is None:
            names = self._props[group.id] = tuple(sorted(properties(group.rule))) if group.rule else ()
        lowered = {k.lower(): v for k, v in user.items()} if len(user) else {}
        return tuple(repr(lowered.get(n)) for n in names)

    def _decide(self, group: DynamicGroup, user: Mapping[str, Any]) -> bool | str:
        key = (group.id, self.rule_key(group, user))
        found = self._memo.get(key)
        if found is None:
            try:
                found = evaluate(group.rule, user) if group.rule is not None else group.problem
            except Undecidable as why:
                found = why.construct
            self._memo[key] = found
        return found

    def why_not(self, group: str, user: Mapping[str, Any]) -> str:
        """Why a future user is not in the group, in words (memoised on the rule's inputs)."""
        dyn = next((g for g in self.dynamic if g.id == group), None)
        key = ("why", group, self.rule_key(dyn, user) if dyn is not None else ())
        if key not in self._memo:
            self._memo[key] = self._why_not(group, user)
        return str(self._memo[key])

    def _why_not(self, group: str, user: Mapping[str, Any]) -> str:
        for g in self.dynamic:
            if g.id == group:
                if g.paused:
                    return f"the rule of {self.label(group)} is paused (membershipRuleProcessingState Paused)"
                if g.rule is None:
                    return f"the rule of {self.label(group)} cannot be read: {g.problem}"
                return f"rule of {self.label(group)} " + (explain(g.rule, user) or "does not match")
        nested = [d.id for d in self.dynamic if group in self.parents.get(d.id, set())]
        if nested:
            return " and ".join(self.why_not(d, user) for d in nested[:2])
        return f"{self.label(group)} has assigned membership (only the wave's groups column puts a new user in it)"


def read_groups(data: Mapping[str, Any]) -> Groups:
    dynamic: list[DynamicGroup] = []
    names: dict[str, str] = {}
    for g in data.get("groups") or []:
        if not isinstance(g, dict) or not isinstance(g.get("id"), str):
            continue
        gid = g["id"]
        names[gid] = str(g.get("displayName") or gid)
        rule = g.get("membershipRule")
        if "DynamicMembership" not in (g.get("groupTypes") or []) or not isinstance(rule, str):
            continue
        paused = str(g.get("membershipRuleProcessingState") or "On").lower() == "paused"
        try:
            dynamic.append(DynamicGroup(gid, names[gid], parse(rule), paused=paused))
        except RuleSyntaxError as err:
            dynamic.append(DynamicGroup(gid, names[gid], None, f"membershipRule {rule!r}: {err}", paused))
    parents: dict[str, set[str]] = {}
    for parent, members in (data.get("groupMembers") or {}).items():
        if isinstance(members, list):
            for m in members:
                if (
                    isinstance(m, dict)
                    and m.get("@odata.type") == GROUP_TYPE
                    and isinstance(m.get("id"), str)
                ):
                    parents.setdefault(m["id"], set()).add(parent)
    group_roles: dict[str, tuple[set[str], set[str]]] = {}
    for name, active in (("roleAssignments", True), ("roleEligibilitySchedules", False)):
        for a in data.get(name) or []:
            if not isinstance(a, dict) or a.get("directoryScopeId") not in (None, "/"):
                continue
            held = group_roles.setdefault(str(a.get("principalId")), (set(), set()))
            held[0 if active else 1].add(str(a.get("roleDefinitionId")))
    frozen = {g: (frozenset(a), frozenset(e - a)) for g, (a, e) in group_roles.items() if g in names}
    by_name = {v.lower(): k for k, v in names.items()}
    return Groups(dynamic, names, parents, frozen, by_name)


def role_ids(data: Mapping[str, Any]) -> dict[str, str]:
    """Role display names (lower case) and template ids -> template id, for a wave's roles column."""
    out = {name.lower(): rid for rid, name in ROLE_NAMES.items()}
    out.update({rid: rid for rid in ROLE_NAMES})
    for d in data.get("roleDefinitions") or []:
        if isinstance(d, dict):
            rid = str(d.get("templateId") or d.get("id"))
            out[rid] = rid
            if d.get("displayName"):
                out[str(d["displayName"]).lower()] = rid
    return out


def future_tenant(tenant: Tenant) -> Tenant:
    """The model as it stands for users who do not exist yet: every group's membership is known
    for them (they are in exactly the groups :meth:`Groups.place` finds), and they hold exactly
    the roles given, so nothing about them is an unknown of the snapshot."""
    d = tenant.directory
    names = set(d.group_names) | {g for p in tenant.policies + tenant.not_enforced for g in p.users.groups()}
    members = dict(d.members)
    for g in names:
        members.setdefault(g, frozenset())
    directory = replace(d, members=members, role_gap=None, roles_unknown_groups={})
    return replace(tenant, directory=directory, cache={}, memo=tenant.memo)


def future_class(
    user: Mapping[str, Any], placement: Placement, groups: Groups, roles: Iterable[str], label: str
) -> tuple[UserClass, tuple[tuple[str, str], ...]]:
    """The class of one future user and its undecided memberships (group id, construct)."""
    active = set(roles)
    eligible: set[str] = set()
    for g in placement.groups:
        a, e = groups.group_roles.get(g, (frozenset(), frozenset()))
        active |= a
        eligible |= e
    probe = {
        "userType": user.get("userType") or "Member",
        **{k: v for k, v in user.items() if k != "userType"},
    }
    probe.setdefault("@odata.type", USER_TYPE)
    cls = UserClass(
        guest_type(probe),
        placement.groups,
        frozenset(active),
        None,
        (label,),
        eligible=frozenset(eligible - active),
    )
    return cls, tuple(sorted(placement.undecided.items()))
