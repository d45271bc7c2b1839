"""Judge a requirement over every class and say, in words, who is not covered and why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from auditor.coverage.classes import classify
from auditor.coverage.model import Requirement, Tenant, UserClass, role_label
from auditor.coverage.paths import judge_class

#: users named in a message and in each gap's sample
SAMPLE = 5
MAX_GAPS = 10


@dataclass(frozen=True)
class Coverage:
    """The outcome for one requirement: counts, the gaps, and what could not be decided."""

    requirement: Requirement
    subjects: int
    uncovered: int
    undetermined: int
    uncovered_users: tuple[str, ...]
    gaps: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    #: why the set of users in scope itself is unknown (role holders not collected), else None
    scope_unknown: str | None = None
    #: how many of the subjects are stand-ins for external users without a user object
    standins: int = 0
    #: every uncovered user (UPN) with the gaps that leave them uncovered, one class's gaps
    #: shared by its members; named only when read (:class:`UncoveredFindings`)
    failing: Callable[[], list[tuple[str, tuple[dict[str, str], ...]]]] = list

    @property
    def covered(self) -> bool:
        return self.uncovered == 0 and self.undetermined == 0 and self.scope_unknown is None

    def summary(self) -> str:
        req = self.requirement
        who = (
            "users"
            if req.roles is None
            else "holders of "
            + ", ".join(role_label(r) for r in req.roles[:3])
            + (f" and {len(req.roles) - 3} more roles" if len(req.roles) > 3 else "")
        )
        if self.standins:
            who += f" (counting {self.standins} stand-ins for external users without a user object)"
        if self.covered:
            return f"All {self.subjects} {who} in scope are {req.wording()} on every path."
        parts = []
        if self.uncovered:
            names = ", ".join(self.uncovered_users[:SAMPLE])
            more = f" and {self.uncovered - SAMPLE} more" if self.uncovered > SAMPLE else ""
            parts.append(
                f"{self.uncovered} of {self.subjects} {who} are not {req.wording()} everywhere: {names}{more}."
            )
            parts += _grouped_reasons([g for g in self.gaps if not g["undetermined"]], self.uncovered)
            parts += [
                f"{gap['users']} user(s) ({', '.join(gap['sample'][:3])}) on {gap['where']}: {gap['why']}."
                for gap in [g for g in self.gaps if not g["undetermined"]][:3]
            ]
        if self.undetermined:
            parts.append(f"{self.undetermined} user(s) cannot be judged: " + "; ".join(self.notes) + ".")
        if self.scope_unknown:
            parts.append(f"The {who} cannot all be known: {self.scope_unknown}.")
        return " ".join(parts)

    def to_cel(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement.kind,
            "covered": self.covered,
            "subjects": self.subjects,
            "uncovered": self.uncovered,
            "undetermined": self.undetermined,
            "uncoveredUsers": list(self.uncovered_users),
            "gaps": [dict(g) for g in self.gaps],
            "summary": self.summary(),
            "uncoveredFindings": UncoveredFindings(self.failing),
        }


class UncoveredFindings(list[dict[str, Any]]):
    """The per-user findings of a coverage result, built on first read.

    Every caCoverage call returns them, but only a failing control's findings are ever read (by
    the engine, for its per-user rows): naming 1.5 million users for each of a dozen
    requirements that nobody reads cost more than judging them.
    """

    def __init__(self, build: Callable[[], list[tuple[str, tuple[dict[str, str], ...]]]]) -> None:
        super().__init__()
        self._build: Callable[[], list[tuple[str, tuple[dict[str, str], ...]]]] | None = build

    def _ready(self) -> None:
        if self._build is not None:
            build, self._build = self._build, None
            super().extend({"subject": name, "gaps": list(gaps)} for name, gaps in build())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._ready()
        return super().__iter__()

    def __len__(self) -> int:
        self._ready()
        return super().__len__()

    def __getitem__(self, index: Any) -> Any:
        self._ready()
        return super().__getitem__(index)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __eq__(self, other: object) -> bool:
        self._ready()
        return super().__eq__(other)

    __hash__ = None


def _grouped_reasons(gaps: list[dict[str, Any]], uncovered: int) -> list[str]:
    """The reasons users are left out, each once with how many users it leaves out, most first:
    "2 users: 'CA001b' excludes them through group 'CA-Exclude-MFA'" (a gap's ``why`` lists one
    reason per policy; the same reason recurs across the paths of a user; a user on two paths is counted once at most, so a
    count never exceeds the users uncovered)."""
    users: dict[str, int] = {}
    for gap in gaps:
        for reason in str(gap["why"]).split("; "):
            if reason and "other polic" not in reason:
                users[reason] = users.get(reason, 0) + int(gap["users"])
    if not users:
        return []
    ranked = sorted(((r, min(n, uncovered)) for r, n in users.items()), key=lambda kv: -kv[1])[:3]
    return ["Why: " + "; ".join(f"{n} user{'s' if n != 1 else ''}: {reason}" for reason, n in ranked) + "."]


def _names(tenant: Tenant, cls: UserClass, limit: int) -> list[str]:
    out = []
    for uid in cls.members[:limit]:
        user = tenant.directory.user_by_id.get(uid) or {}
        out.append(str(user.get("userPrincipalName") or uid))
    return out


def evaluate(tenant: Tenant, req: Requirement) -> Coverage:
    classes = classify(tenant, req)
    subjects = sum(len(c.members) for c in classes)
    uncovered, undetermined = 0, 0
    uncovered_users: list[str] = []
    failing: list[tuple[UserClass, tuple[dict[str, str], ...]]] = []
    gaps: dict[tuple[str, str, bool], dict[str, Any]] = {}
    deciding: set[str] = set()
    for cls in classes:
        found = judge_class(tenant, req, cls)
        if not found:
            continue
        sure = [g for g in found if not g.undetermined]
        if not sure:
            deciding |= {v for g in found for v in g.deciding}
        if sure:
            uncovered += len(cls.members)
            why = tuple({"where": g.where, "why": g.why} for g in sure)
            failing.append((cls, why))
            if len(uncovered_users) < 50:
                uncovered_users += _names(tenant, cls, 50 - len(uncovered_users))
        else:
            undetermined += len(cls.members)
        for gap in sure or found:
            entry = gaps.setdefault(
                (gap.where, gap.why, gap.undetermined),
                {
                    "where": gap.where,
                    "why": gap.why,
                    "undetermined": gap.undetermined,
                    "users": 0,
                    "sample": [],
                },
            )
            entry["users"] += len(cls.members)
            if len(entry["sample"]) < SAMPLE:
                entry["sample"] += _names(tenant, cls, SAMPLE - len(entry["sample"]))
    notes = _notes(tenant, req, deciding) if undetermined else []
    ordered = sorted(gaps.values(), key=lambda g: (g["undetermined"], -g["users"], g["where"]))
    return Coverage(
        req,
        subjects,
        uncovered,
        undetermined,
        tuple(uncovered_users),
        tuple(ordered[:MAX_GAPS]),
        tuple(notes),
        _scope_unknown(tenant, req),
        sum(1 for c in classes if c.standin),
        lambda: sorted(
            ((name, why) for cls, why in failing for name in _names(tenant, cls, len(cls.members))),
            key=lambda f: f[0],
        ),
    )


def _scope_unknown(tenant: Tenant, req: Requirement) -> str | None:
    """For a requirement on role holders: why some holders cannot be known, if so."""
    if req.roles is None:
        return None
    d = tenant.directory
    if d.role_gap:
        return d.role_gap
    hidden = sorted({g for r in req.roles for g in d.roles_unknown_groups.get(r, ()) if not d.group_known(g)})
    if hidden:
        return (
            "the role is held through group(s) "
            + ", ".join(d.group_label(g) for g in hidden[:5])
            + (" whose members were not collected (groupMembers)")
        )
    return None


def _notes(tenant: Tenant, req: Requirement, deciding: set[str]) -> list[str]:
    """Why users cannot be judged: the unknowns that decide it, and nothing else."""
    d = tenant.directory
    groups = sorted(v for v in deciding if not v.startswith("role:"))
    roles = sorted(v[5:] for v in deciding if v.startswith("role:"))
    notes = []
    if groups:
        why = d.membership_gap or "their members were not collected (groupMembers)"
        notes.append(
            "it depends on the members of group(s) "
            + ", ".join(d.group_label(g) for g in groups[:5])
            + (f" and {len(groups) - 5} more" if len(groups) > 5 else "")
            + f": {why}"
        )
    if roles:
        notes.append(
            "it depends on who holds " + ", ".join(role_label(r) for r in roles[:5]) + f": {d.role_gap}"
        )
    if not notes:  # too many unknowns to enumerate, or a guest scope limited to some tenants
        if d.membership_gap:
            notes.append(d.membership_gap)
        if d.role_gap:
            notes.append(d.role_gap)
    return notes or ["it depends on external tenants or memberships that were not collected"]
