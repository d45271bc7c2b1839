"""Judging one class: the paths in on which a requirement is not met, and why, in words."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from auditor.coverage import capolicy as cap
from auditor.coverage.model import DIMENSIONS, Requirement, Tenant, UserClass, role_label

#: a class is judged under every assignment of at most this many unknowns; beyond, each unknown
#: is judged on its own (three-valued), which can only say "undetermined" more often, never pass
MAX_VARIABLES = 8
#: eligible roles judged in every combination of activation up to this many; beyond, none and all
MAX_ELIGIBLE = 6


@dataclass(frozen=True)
class Gap:
    """A path on which a class of users is not covered, and why."""

    where: str
    why: str
    undetermined: bool
    #: for an undetermined gap: the unknowns (group ids, ``role:ID``) whose value decides it
    deciding: tuple[str, ...] = ()


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
    if dim == "device":
        return cap.DEVICES
    return req.flows


def _groups_of_atoms(
    tenant: Tenant, policies: Sequence[cap.CaPolicy], dim: str, atoms: Sequence[str]
) -> list[tuple[str, ...]]:
    """Atoms that every policy treats alike, grouped: judging one of each is enough."""
    key = ("atom groups", dim, tuple(map(id, policies)), tuple(atoms))
    if key in tenant.cache:
        return list(tenant.cache[key])
    groups: dict[tuple[bool, ...], list[str]] = {}
    for atom in atoms:
        signature = tuple(tenant.allowed(p, dim, atom) for p in policies)
        groups.setdefault(signature, []).append(atom)
    out = [tuple(v) for v in groups.values()]
    tenant.cache[key] = out
    return list(out)


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
    """The gaps of one class: empty when covered everywhere, under every value of the unknowns.

    The unknown memberships that matter to this class (groups named by the policies that could
    meet the requirement or by ``breakGlassGroups``, role-holding groups without members) are
    variables: the class is judged under each assignment. All assignments covered: covered; all
    with a certain gap: uncovered; otherwise undetermined, naming the variables that decide it.
    """
    candidates = [p for p in tenant.policies if req.satisfied_by(p)]
    variables = sorted(_variables(tenant, req, cls, candidates))
    if len(variables) > MAX_VARIABLES:
        return _judge_states(tenant, req, cls, candidates)
    outcomes: dict[frozenset[str], tuple[str, list[Gap]]] = {}
    for bits in itertools.product((False, True), repeat=len(variables)):
        assumed = frozenset(v for v, b in zip(variables, bits, strict=True) if b)
        gaps = _judge_states(tenant, req, replace(cls, assumed=assumed), candidates)
        outcomes[assumed] = (_verdict(gaps), gaps)
    verdicts = {v for v, _ in outcomes.values()}
    if verdicts == {"covered"}:
        return []
    if verdicts == {"uncovered"}:
        return min((g for _, g in outcomes.values()), key=len)
    deciding = tuple(
        v
        for v in variables
        if any(outcomes[a][0] != outcomes[a ^ {v}][0] for a in outcomes)  # flipping v changes it
    )
    shown = next(g for v, g in outcomes.values() if v != "covered")
    return [replace(g, undetermined=True, deciding=deciding) for g in shown]


def _verdict(gaps: Sequence[Gap]) -> str:
    if not gaps:
        return "covered"
    return "uncovered" if any(not g.undetermined for g in gaps) else "undetermined"


def _variables(
    tenant: Tenant, req: Requirement, cls: UserClass, candidates: Sequence[cap.CaPolicy]
) -> set[str]:
    """The unknowns whose value could change this class's verdict."""
    if cls.standin:
        return set()
    d = tenant.directory
    out = {g for g in req.break_glass_groups if g not in cls.groups and not d.group_known(g)}
    for p in candidates:
        out |= {g for g in p.users.groups() if g not in cls.groups and not d.group_known(g)}
        for r in p.users.roles():
            if r not in cls.roles | cls.eligible | cls.scoped:
                out |= tenant.role_variables(r)
    return out


def _judge_states(
    tenant: Tenant, req: Requirement, cls: UserClass, candidates: Sequence[cap.CaPolicy]
) -> list[Gap]:
    """An eligible holder is judged before and after activating each eligible role
    (conditional access only sees active holders); the gaps of every state, each saying which."""
    referenced = {r for p in candidates for r in p.users.roles()}
    eligible = sorted(cls.eligible & referenced)
    if not eligible:
        return _scoped_note(cls, _judge_one(tenant, req, cls, candidates))
    if len(eligible) <= MAX_ELIGIBLE:
        states = [frozenset(c) for k in range(len(eligible) + 1) for c in itertools.combinations(eligible, k)]
    else:
        states = [frozenset(), frozenset(eligible)]
    gaps: list[Gap] = []
    for active in states:
        state = replace(cls, roles=cls.roles | active, eligible=cls.eligible - active)
        waiting = [r for r in eligible if r not in active]
        words = (
            "before activating eligible role " + ", ".join(role_label(r) for r in waiting)
            if waiting
            else "with eligible role " + ", ".join(role_label(r) for r in eligible) + " activated"
        )
        if waiting and active:
            words += " (" + ", ".join(role_label(r) for r in sorted(active)) + " activated)"
        gaps.extend(
            replace(gap, why=f"{words}: {gap.why}") for gap in _judge_one(tenant, req, state, candidates)
        )
    return _scoped_note(cls, gaps)


def _scoped_note(cls: UserClass, gaps: list[Gap]) -> list[Gap]:
    if not cls.scoped or not gaps:
        return gaps
    note = (
        "holds "
        + ", ".join(role_label(r) for r in sorted(cls.scoped))
        + " only over an administrative unit, which conditional access role conditions do not match; "
    )
    return [replace(g, why=note + g.why) for g in gaps]


def _judge_one(
    tenant: Tenant, req: Requirement, cls: UserClass, candidates: Sequence[cap.CaPolicy]
) -> list[Gap]:
    verdicts = [(p, *tenant.user_applies(p, cls)) for p in candidates]
    sure = [p for p, applies, _ in verdicts if applies is True]
    maybe = [p for p, applies, _ in verdicts if applies is not False]
    bg = [tenant.in_group(g, cls) for g in req.break_glass_groups]
    if any(v is True for v in bg):
        return []
    gaps = []
    demanding = [p for p in maybe if not (p.blocks and req.kind != "block")]
    shown = {
        d
        for d in DIMENSIONS
        if d in ("app", "client")
        or any(_restricts(tenant, req, p, d) for p in demanding)
        or tuple(atoms_for(tenant, req, d)) != _FULL.get(d, atoms_for(tenant, req, d))
    }
    for path in uncovered_paths(tenant, req, sure):
        undetermined = any(v is None for v in bg) or not _uncovered_on(tenant, path, maybe)
        where = describe_path(
            tenant, req, {d: path[d] if d in shown else atoms_for(tenant, req, d) for d in DIMENSIONS}
        )
        gaps.append(Gap(where, _why(tenant, req, cls, path, verdicts), undetermined))
    return gaps


def _restricts(tenant: Tenant, req: Requirement, p: cap.CaPolicy, dim: str) -> bool:
    """Does the policy leave out some atom of the dimension (cached per requirement's atoms)?"""
    atoms = atoms_for(tenant, req, dim)
    key = ("restricts", id(p), dim, atoms)
    found = tenant.cache.get(key)
    if found is None:
        found = tenant.cache[key] = not all(tenant.allowed(p, dim, a) for a in atoms)
    return bool(found)


_FULL = {
    "client": cap.CLIENTS,
    "userRisk": cap.RISK_LEVELS,
    "signInRisk": cap.RISK_LEVELS,
    "flow": cap.FLOWS,
}


def _uncovered_on(
    tenant: Tenant, path: Mapping[str, tuple[str, ...]], policies: Sequence[cap.CaPolicy]
) -> bool:
    """True when, even with unknowns in coverage's favour, some atom of the path stays uncovered."""
    groups = [_groups_of_atoms(tenant, policies, d, path[d]) for d in DIMENSIONS]
    for combo in itertools.product(*([g[0] for g in gs] for gs in groups)):
        if not any(
            all(tenant.allowed(p, d, a) for d, a in zip(DIMENSIONS, combo, strict=True)) for p in policies
        ):
            return True
    return False


def _label_atoms(tenant: Tenant, req: Requirement, dim: str, atoms: tuple[str, ...]) -> str | None:
    """Words for a group of atoms, or None when the group is the whole dimension."""
    if set(atoms) >= set(atoms_for(tenant, req, dim)) and (dim != "app" or req.apps is not None):
        return None if dim != "app" else _join([cap.atom_name(a) for a in atoms])
    if dim == "app":
        if req.apps is None and set(atoms) >= set(tenant.app_atoms):
            return "every resource"
        if req.apps is None and cap.OTHER_APP in atoms:
            left = [a for a in tenant.app_atoms if a not in atoms]
            return "every resource except " + _join([cap.atom_name(a) for a in left])
        names = [cap.atom_name(a) for a in atoms]
        return _join(names)
    if dim == "client":
        return "on " + _join([cap.CLIENT_LABELS.get(a, a) for a in atoms])
    if dim == "platform":
        return "on platform " + _join(list(atoms))
    if dim == "location":
        return tenant.locations.describe(atoms)
    if dim == "device":
        return "on a " + _join(list(atoms)).replace(", ", ", a ")
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
        reason = text if applies is not True else path_reason(tenant, p, path)
        if reason:
            (excluded if applies is not True else elsewhere).append(f"{p.label()} {reason}")
    shadow = [
        f"{p.label()} would, but is not enforced (state {p.state})"
        for p in tenant.not_enforced
        if req.satisfied_by(p)
        and tenant.user_applies(p, cls)[0] is not False
        and not path_reason(tenant, p, path)
    ]
    reasons = excluded + elsewhere[: max(0, 3 - len(excluded))] + shadow[:2]
    if not_included:
        reasons.append(
            f"{not_included} other {'policy does' if not_included == 1 else 'policies do'} not include them"
        )
    if not verdicts:
        reasons.append(f"no enforced policy has them {req.wording()}")
    return "; ".join(reasons)


def path_reason(tenant: Tenant, p: cap.CaPolicy, path: Mapping[str, tuple[str, ...]]) -> str:
    """Why ``p`` does not apply on ``path`` (the dimensions it names), or "" when it does."""
    if p.opaque:
        return "applies only under " + " and ".join(p.opaque)
    for dim in DIMENSIONS:
        if dim not in path:
            continue
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
                "device": "does not apply on a ",
            }[dim]
            if dim == "location":
                return "does not apply " + tenant.locations.describe([atom])
            return label + cap.atom_name(atom)
    return ""
