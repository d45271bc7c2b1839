"""Rollout pre-flight: judge every conditional access requirement for users who do not exist
yet (a wave, hypothetical new users and role holders) and before and after a proposed change.

The requirements are those of a baseline's ``caCoverage`` calls (the caller extracts them, see
``auditor/cli/preflight.py``); each is judged with the same model as the audit
(``paths.judge_class``), so "covered" means exactly what it means in ``audit``.

Future users are judged on :func:`future.future_tenant`: their memberships are whatever
dynamic rules (and explicit wave assignments) give them, so an unknown of the snapshot never
makes their verdict a guess; a membership a rule cannot decide is enumerated both ways and,
when it changes the verdict, the verdict is ``error`` naming the group and the construct.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.coverage.classes import classify
from auditor.coverage.future import Groups, Placement, future_class, future_tenant, read_groups
from auditor.coverage.model import Requirement, Tenant, UserClass, role_label
from auditor.coverage.paths import MAX_VARIABLES, judge_class

#: the hypothetical users judged for requirements on every user: label, guest type, properties
HYPOTHETICAL: tuple[tuple[str, dict[str, Any]], ...] = (
    ("(a new member user)", {"userType": "Member"}),
    ("(a new internal guest)", {"userType": "Guest"}),
    ("(a new B2B collaboration guest)", {"userType": "Guest", "externalUserState": "PendingAcceptance"}),
    ("(a new B2B collaboration member)", {"userType": "Member", "externalUserState": "Accepted"}),
)


@dataclass(frozen=True)
class Check:
    """One conditional access requirement of the baseline: the policy that states it."""

    policy: str
    title: str
    severity: str
    requirement: Requirement

    def label(self) -> str:
        req = self.requirement
        who = (
            "every user"
            if req.roles is None
            else "holders of " + ", ".join(role_label(r) for r in req.roles[:3])
        )
        if req.roles is not None and len(req.roles) > 3:
            who += f" and {len(req.roles) - 3} more roles"
        return f"{self.policy}: {who} {req.wording()}"


@dataclass(frozen=True)
class Verdict:
    status: str  # covered, uncovered, error
    where: str = ""
    why: str = ""


@dataclass
class Finding:
    """A named subject that is not covered, cannot be judged, loses or gains coverage."""

    check: Check
    subjects: list[str]
    kind: str  # wave, future, user
    status: str  # uncovered, error, loses, gains
    where: str
    why: str


@dataclass
class WaveUser:
    """One row of a wave: its properties, explicit groups and roles, and a name to show."""

    name: str
    properties: dict[str, Any]
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass
class Result:
    checks: list[Check]
    findings: list[Finding] = field(default_factory=list)
    #: check label -> counts (subjects, uncovered, errors, loses, gains) by kind
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: (check, before, after) for requirements whose verdict over everyone changes
    flips: list[tuple[Check, str, str]] = field(default_factory=list)
    wave_rows: int = 0
    changed: bool = False

    def count(self, check: Check, key: str, n: int = 1) -> None:
        bucket = self.counts.setdefault(check.label(), {})
        bucket[key] = bucket.get(key, 0) + n


# -- future users -------------------------------------------------------------------------------
def judge_future(
    tenant: Tenant, req: Requirement, cls: UserClass, undecided: tuple[tuple[str, str], ...]
) -> Verdict:
    """The verdict of one future class; undecided memberships that matter are tried both ways."""
    key = ("future verdict", req, cls, undecided)
    if key not in tenant.cache:
        tenant.cache[key] = _judge_future(tenant, req, cls, undecided)
    verdict: Verdict = tenant.cache[key]
    return verdict


def _judge_future(
    tenant: Tenant, req: Requirement, cls: UserClass, undecided: tuple[tuple[str, str], ...]
) -> Verdict:
    candidates = [p for p in tenant.policies if req.satisfied_by(p)]
    relevant = {g for p in candidates for g in p.users.groups()} | set(req.break_glass_groups)
    unknown = [(g, why) for g, why in undecided if g in relevant]
    if len(unknown) > MAX_VARIABLES:
        return Verdict("error", "", _undecided_words(tenant, unknown))
    outcomes = []
    for bits in itertools.product((False, True), repeat=len(unknown)):
        extra = frozenset(g for (g, _), b in zip(unknown, bits, strict=True) if b)
        outcomes.append(judge_class(tenant, req, replace(cls, groups=cls.groups | extra)))
    if all(not gaps for gaps in outcomes):
        return Verdict("covered")
    if all(gaps and any(not g.undetermined for g in gaps) for gaps in outcomes):
        gap = next(g for g in outcomes[0] if not g.undetermined)
        return Verdict("uncovered", gap.where, gap.why)
    if unknown:
        deciding = [(g, w) for g, w in unknown]
        return Verdict("error", "", _undecided_words(tenant, deciding))
    gap = outcomes[0][0]
    return Verdict("error", gap.where, gap.why + " (cannot be decided)")


def _undecided_words(tenant: Tenant, unknown: Sequence[tuple[str, str]]) -> str:
    return "; ".join(
        f"membership of {tenant.directory.group_label(g)} cannot be decided: its rule uses {why}"
        for g, why in unknown[:3]
    )


def _helping(tenant: Tenant, req: Requirement, cls: UserClass) -> list[str]:
    """Among the groups that policies able to meet the requirement include, those whose
    membership alone would cover the class."""
    key = ("helping groups", req, cls)
    if key not in tenant.cache:
        wanted = sorted(
            {g for p in tenant.policies if req.satisfied_by(p) for g in p.users.include_groups} - cls.groups
        )
        tenant.cache[key] = [
            g for g in wanted if not judge_class(tenant, req, replace(cls, groups=cls.groups | {g}))
        ]
    helping: list[str] = tenant.cache[key]
    return helping


def _placement_words(groups: Groups, helping: Sequence[str], user: Mapping[str, Any]) -> str:
    """Why no group that would cover a future user holds them: what each one's rule asks that
    the row does not have."""
    if not helping:
        return ""
    return "matches no persona group: " + "; ".join(groups.why_not(g, user) for g in helping[:3])


def judge_wave(
    tenant: Tenant, groups: Groups, checks: Sequence[Check], rows: Sequence[WaveUser], result: Result
) -> None:
    """Judge every wave row on every check. Rows are placed one by one (rule results memoised
    on the values each rule reads) and then judged once per class; the words for why a row
    matches no persona group are memoised on the same values."""
    classes: dict[
        tuple[Any, ...], tuple[UserClass, tuple[tuple[str, str], ...], list[tuple[str, dict[str, Any]]]]
    ] = {}
    for row in rows:
        if str(row.properties.get("accountEnabled", "true")).lower() == "false":
            continue
        # Entra ID's defaults for a new user: enabled (a wave user is created to sign in), Member
        user = {"accountEnabled": True, "userType": "Member", **row.properties}
        placement: Placement = groups.place(user, row.groups)
        cls, undecided = future_class(user, placement, groups, row.roles, row.name)
        key = (cls, undecided)
        if key not in classes:
            classes[key] = (cls, undecided, [])
        classes[key][2].append((row.name, user))
    result.wave_rows = len(rows)
    for check in checks:
        req = check.requirement
        label = check.label()
        counts = result.counts.setdefault(label, {})
        for cls, undecided, members in classes.values():
            if req.roles is not None and not (set(req.roles) & (cls.roles | cls.eligible)):
                continue
            counts["waveSubjects"] = counts.get("waveSubjects", 0) + len(members)
            v = judge_future(tenant, req, cls, undecided)
            if v.status == "covered":
                continue
            bucket = "waveUncovered" if v.status == "uncovered" else "waveErrors"
            counts[bucket] = counts.get(bucket, 0) + len(members)
            if v.status != "uncovered":
                result.findings.append(
                    Finding(check, [n for n, _ in members], "wave", v.status, v.where, v.why)
                )
                continue
            helping = _helping(tenant, req, cls)
            by_why: dict[str, list[str]] = {}
            for name, user in members:
                extra = _placement_words(groups, helping, user)
                by_why.setdefault(f"{extra}; {v.why}" if extra else v.why, []).append(name)
            result.findings += [
                Finding(check, names, "wave", "uncovered", v.where, why) for why, names in by_why.items()
            ]


def hypothetical_classes(
    groups: Groups, req: Requirement, attributes: Mapping[str, Any]
) -> list[tuple[UserClass, tuple[tuple[str, str], ...], dict[str, Any]]]:
    """A new member user and a new guest of each guest type with an object (requirements on
    every user), or a new active holder of each role (requirements on role holders), with the
    ``futureUserAttributes`` properties, placed in groups by dynamic rules only."""
    out = []
    kinds: list[tuple[str, dict[str, Any], tuple[str, ...]]]
    if req.roles is None:
        kinds = [(label, props, ()) for label, props in HYPOTHETICAL]
    else:
        kinds = [
            (f"(a new active {role_label(r).strip(chr(39))})", HYPOTHETICAL[0][1], (r,)) for r in req.roles
        ]
    for label, props, roles in kinds:
        user = {"accountEnabled": True, **dict(attributes), **props}
        placement = groups.place(user)
        cls, undecided = future_class(user, placement, groups, roles, label)
        out.append((cls, undecided, user))
    return out


def judge_hypothetical(
    tenant: Tenant, groups: Groups, checks: Sequence[Check], attributes: Mapping[str, Any]
) -> dict[tuple[str, str], Verdict]:
    """(check label, subject) -> verdict for every hypothetical future user."""
    out: dict[tuple[str, str], Verdict] = {}
    for check in checks:
        for cls, undecided, user in hypothetical_classes(groups, check.requirement, attributes):
            req = check.requirement
            v = judge_future(tenant, req, cls, undecided)
            if v.status == "uncovered":
                extra = _placement_words(groups, _helping(tenant, req, cls), user)
                if req.roles is not None and not any(
                    r in p.users.include_roles
                    for p in tenant.policies
                    if req.satisfied_by(p)
                    for r in cls.roles
                ):
                    extra = "no enabled policy that meets the requirement targets the role" + (
                        f"; {extra}" if extra else ""
                    )
                v = replace(v, why=f"{extra}; {v.why}" if extra else v.why)
            out[(check.label(), cls.members[0])] = v
    return out


# -- existing users, before and after a change ---------------------------------------------------
def user_verdicts(tenant: Tenant, req: Requirement) -> tuple[int, list[tuple[UserClass, Verdict]]]:
    """(subjects, the classes not covered with their verdict)."""
    out: list[tuple[UserClass, Verdict]] = []
    subjects = 0
    for cls in classify(tenant, req):
        subjects += len(cls.members)
        gaps = judge_class(tenant, req, cls)
        if not gaps:
            continue
        sure = [g for g in gaps if not g.undetermined]
        v = (
            Verdict("uncovered", sure[0].where, sure[0].why)
            if sure
            else Verdict("error", gaps[0].where, gaps[0].why)
        )
        out.append((cls, v))
    return subjects, out


def _members(classes: Sequence[tuple[UserClass, Verdict]], status: str) -> set[str]:
    """The ids of the users of the classes with that verdict (one C-level pass per class)."""
    out: set[str] = set()
    for cls, v in classes:
        if v.status == status:
            out.update(cls.members)
    return out


def changed_policies(
    data: Mapping[str, Any], changes: Sequence[Mapping[str, Any]], removes: Sequence[str]
) -> dict[str, Any]:
    """The snapshot's data with the change applied: each changed policy replaces the one with the
    same id or is added; each removed id is dropped (LookupError when the snapshot has none)."""
    policies = [p for p in data.get("conditionalAccessPolicies") or [] if isinstance(p, dict)]
    ids = [str(p.get("id")) for p in policies]
    for rid in removes:
        if rid not in ids:
            raise LookupError(f"no conditional access policy with id {rid!r} to remove")
    out = [p for p in policies if str(p.get("id")) not in set(removes)]
    for i, new in enumerate(changes):
        pid = str(new.get("id") or f"(new policy {i + 1})")
        new = {**new, "id": pid}
        out = [new if str(p.get("id")) == pid else p for p in out]
        if pid not in [str(p.get("id")) for p in out]:
            out.append(new)
    return {**data, "conditionalAccessPolicies": out}


def after_tenant(before: Tenant, after: Tenant) -> Tenant:
    """Share the caches that do not depend on the policies (membership masks, unusual users)."""
    for key, value in before.cache.items():
        if key == "unusual users" or (isinstance(key, tuple) and key[0] == "group masks"):
            after.cache[key] = value
    return after


def _share_classes(before: Tenant, after: Tenant) -> None:
    """When the change references the same groups, roles and named users as before, users fall
    into the same classes: reuse them (classes are cut along exactly those)."""
    for key, value in before.cache.items():
        if isinstance(key, tuple) and key[0] in ("classes", "group masks") and key not in after.cache:
            after.cache[key] = value


def _referenced(tenant: Tenant) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    groups: set[str] = set()
    roles: set[str] = set()
    named: set[str] = set()
    for p in tenant.policies:
        groups |= p.users.groups()
        roles |= p.users.roles()
        named |= p.users.named_users()
    return frozenset(groups), frozenset(roles), frozenset(named)


def judge_change(
    before: Tenant,
    after: Tenant,
    checks: Sequence[Check],
    names: Mapping[str, str],
    result: Result,
) -> None:
    """Who loses or gains coverage of each check, on which path; verdict flips.

    Users are compared as sets of ids (C-level set operations: a change judged over 1.5 million
    users names the few who lose coverage without a per-user loop); a check whose candidate
    policies the change leaves as they were is not judged twice."""
    result.changed = True
    same_classes = _referenced(before) == _referenced(after)
    for check in checks:
        req = check.requirement
        label = check.label()
        counts = result.counts.setdefault(label, {})
        n_before, old = user_verdicts(before, req)
        if same_classes:
            _share_classes(before, after)
        if [p for p in before.policies if req.satisfied_by(p)] == [
            p for p in after.policies if req.satisfied_by(p)
        ]:
            n_after, new = n_before, old
        else:
            n_after, new = user_verdicts(after, req)
        counts["subjects"] = n_after
        counts["uncoveredBefore"] = sum(len(c.members) for c, v in old if v.status == "uncovered")
        counts["uncoveredAfter"] = sum(len(c.members) for c, v in new if v.status == "uncovered")
        if new is not old:
            was_uncovered, was_error = _members(old, "uncovered"), _members(old, "error")
            now_uncovered, now_error = _members(new, "uncovered"), _members(new, "error")
            for cls, v in new:
                fresh = set(cls.members) - was_uncovered
                if v.status == "error":
                    fresh -= was_error
                if not fresh:
                    continue
                status = "loses" if v.status == "uncovered" else "error"
                counts[status if status == "loses" else "errors"] = counts.get(
                    status if status == "loses" else "errors", 0
                ) + len(fresh)
                ordered = [names.get(m, m) for m in cls.members if m in fresh]
                result.findings.append(Finding(check, ordered, "user", status, v.where, v.why))
            for cls, v in old:
                gained = set(cls.members) - now_uncovered - now_error if v.status == "uncovered" else set()
                if gained:
                    counts["gains"] = counts.get("gains", 0) + len(gained)
                    ordered = [names.get(m, m) for m in cls.members if m in gained]
                    result.findings.append(Finding(check, ordered, "user", "gains", v.where, v.why))
        was, now = _overall(old), _overall(new)
        if was != now:
            result.flips.append((check, was, now))


def _overall(classes: Sequence[tuple[UserClass, Verdict]]) -> str:
    if any(v.status == "uncovered" for _, v in classes):
        return "uncovered"
    return "error" if classes else "covered"


def future_change(
    before: Mapping[tuple[str, str], Verdict],
    after: Mapping[tuple[str, str], Verdict] | None,
    checks: Sequence[Check],
    result: Result,
) -> None:
    """Findings for the hypothetical future users: with a change, who loses or gains; without
    one, who would not be covered."""
    by_label = {c.label(): c for c in checks}
    for (label, subject), v in (after or before).items():
        check = by_label[label]
        result.count(check, "futureSubjects")
        old = before[(label, subject)]
        if after is None:
            if v.status != "covered":
                result.count(check, "futureUncovered" if v.status == "uncovered" else "futureErrors")
                result.findings.append(Finding(check, [subject], "future", v.status, v.where, v.why))
            continue
        if v.status == "uncovered" and old.status != "uncovered":
            result.count(check, "loses")
            result.findings.append(Finding(check, [subject], "future", "loses", v.where, v.why))
        elif v.status == "error" and old.status == "covered":
            result.count(check, "errors")
            result.findings.append(Finding(check, [subject], "future", "error", v.where, v.why))
        elif v.status == "covered" and old.status == "uncovered":
            result.count(check, "gains")
            result.findings.append(Finding(check, [subject], "future", "gains", old.where, old.why))


def gate(result: Result, fail_on: str, severities: Sequence[str]) -> int:
    """0 all covered, 1 someone uncovered (or losing coverage) at or above ``fail_on``, 3 some
    verdict cannot be decided there (and none fails)."""
    order = list(severities)  # most severe first
    floor = order.index(fail_on) if fail_on in order else len(order) - 1
    gating = [f for f in result.findings if _rank(f.check.severity, order) <= floor]
    if any(f.status in ("uncovered", "loses") for f in gating):
        return 1
    if any(f.status == "error" for f in gating):
        return 3
    return 0


def _rank(severity: str, severities: Sequence[str]) -> int:
    return severities.index(severity) if severity in severities else len(severities)


def merge_future(
    out: dict[str, Any],
    tenant: Tenant,
    data: Mapping[str, Any],
    req: Requirement,
    attributes: Mapping[str, Any],
) -> list[str]:
    """Add the hypothetical future users to a ``caCoverage`` result (the audit's view of item
    "users who do not exist yet"): each one not covered is a subject not covered, named, with a
    sentence saying it is about the future. Returns the sentences of those that cannot be
    decided (the caller makes the result an error when nobody is known to fail)."""
    if "future groups" not in tenant.cache:
        tenant.cache["future groups"] = read_groups(data)
        tenant.cache["future tenant"] = future_tenant(tenant)
    groups: Groups = tenant.cache["future groups"]
    check = Check("", "", "", req)
    verdicts = judge_hypothetical(tenant.cache["future tenant"], groups, [check], attributes)
    errors = []
    for (_, subject), v in verdicts.items():
        out["subjects"] += 1
        if v.status == "covered":
            continue
        who = subject.strip("()")
        if who.startswith("a new active "):
            sentence = f"A user made {who[len('a new active ') :]} tomorrow would not be {req.wording()}"
        else:
            sentence = f"{who[0].upper()}{who[1:]} created tomorrow would not be {req.wording()}"
        sentence += f" on {v.where}: {v.why}." if v.where else f": {v.why}."
        if v.status != "uncovered":
            errors.append(sentence.replace("would not be", "cannot be known to be", 1))
            continue
        out["covered"] = False
        out["uncovered"] += 1
        if len(out["uncoveredUsers"]) < 50:
            out["uncoveredUsers"].append(subject)
        out["gaps"].append(
            {
                "where": v.where,
                "why": v.why,
                "undetermined": False,
                "users": 1,
                "sample": [subject],
                "future": True,
            }
        )
        out["summary"] = (
            (out["summary"] + " " + sentence).strip() if not out["summary"].startswith("All ") else sentence
        )
    return errors


__all__ = [
    "Check",
    "Finding",
    "Result",
    "Verdict",
    "WaveUser",
    "after_tenant",
    "changed_policies",
    "future_change",
    "future_tenant",
    "gate",
    "judge_change",
    "judge_future",
    "judge_hypothetical",
    "judge_wave",
    "merge_future",
    "user_verdicts",
]
