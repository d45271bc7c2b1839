"""Users grouped into classes that every enabled policy treats alike.

Users who share a guest type, the same memberships among the groups that policies reference,
the same relevant roles and no policy naming them individually get the same answer, so a
1.5-million-user tenant with a few dozen distinct combinations is judged a few dozen times,
not 1.5 million.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import repeat
from typing import Any

from auditor.coverage.directory import OBJECTLESS_GUEST_TYPES, guest_type
from auditor.coverage.model import Requirement, Tenant, UserClass


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
    group_list, masks = _group_masks(tenant, groups)
    role_list = sorted(roles)
    # per user, three masks over role_list: held as conditional access sees it (active,
    # tenant-wide), eligible tenant-wide only, held only over an administrative unit
    role_masks: dict[str, int] = {}
    state_masks: dict[str, tuple[int, int, int]] = {}
    for bit, r in enumerate(role_list):
        for uid, hold in d.roles.get(r, {}).items():
            role_masks[uid] = role_masks.get(uid, 0) | (1 << bit)
            a, e, s = state_masks.get(uid, (0, 0, 0))
            state = hold.ca_state
            state_masks[uid] = (
                a | (1 << bit if state == "active" else 0),
                e | (1 << bit if state == "eligible" else 0),
                s | (1 << bit if state == "scoped" else 0),
            )
    skip = req.break_glass_users
    if req.roles is None:
        candidates: list[dict[str, Any]] = d.users
    else:
        wanted = sum(1 << role_list.index(r) for r in req.roles)
        # snapshot order (role_masks follows group member sets, whose order varies run to run)
        candidates = [u for u in d.users if role_masks.get(u["id"], 0) & wanted]
    # Most users are plain enabled members, not named by any policy and holding no role: their
    # class is their group mask alone, found with C-level passes. The few others are keyed one by one.
    unusual = _unusual_users(tenant)
    special = unusual if req.roles is None else {u["id"] for u in candidates if u["id"] in unusual}
    special = special | named | set(role_masks) | set(skip)
    buckets: dict[tuple[Any, ...], list[str]] = {}
    if req.roles is None:
        plain = [uid for uid in d.user_by_id if uid not in special]
        by_mask: defaultdict[int, list[str]] = defaultdict(list)
        for uid, mask in zip(plain, map(masks.get, plain, repeat(0)), strict=True):
            by_mask[mask].append(uid)
        buckets = {(None, mask, (0, 0, 0), None): members for mask, members in by_mask.items()}
        candidates = [d.user_by_id[uid] for uid in d.user_by_id if uid in special]
    for user in candidates:
        uid = user["id"]
        if user.get("accountEnabled") is False or uid in skip:
            continue
        k = (
            guest_type(user),
            masks.get(uid, 0),
            state_masks.get(uid, (0, 0, 0)),
            uid if uid in named else None,
        )
        buckets.setdefault(k, []).append(uid)

    def pick(mask: int) -> frozenset[str]:
        return frozenset(r for i, r in enumerate(role_list) if mask >> i & 1)

    classes = [
        UserClass(
            guest,
            frozenset(g for i, g in enumerate(group_list) if gm >> i & 1),
            pick(rm[0]),
            name,
            tuple(members),
            eligible=pick(rm[1]),
            scoped=pick(rm[2]),
        )
        for (guest, gm, rm, name), members in buckets.items()
    ]
    if req.roles is None:
        classes += standins()
    tenant.cache[key] = classes
    return list(classes)


def standins() -> list[UserClass]:
    """One stand-in per external user type that has no user object in the directory (B2B direct
    connect users in shared channels, service providers such as GDAP technicians, other external
    users): "All users" and guest-type conditions reach them, group and role conditions never do
    (external-id/authentication-conditional-access, users-groups)."""
    return [
        UserClass(t, frozenset(), frozenset(), None, (STANDIN_NAMES[t],), standin=True)
        for t in OBJECTLESS_GUEST_TYPES
    ]


STANDIN_NAMES = {
    "b2bDirectConnectUser": "(any B2B direct connect user)",
    "otherExternalUser": "(any other external user)",
    "serviceProvider": "(any service provider user)",
}


def _group_masks(tenant: Tenant, groups: set[str]) -> tuple[list[str], dict[str, int]]:
    """The groups in bit order and each member's bit mask, shared by requirements that
    reference the same groups (most do: the policies' groups plus the same break-glass group)."""
    d = tenant.directory
    # largest group first: its members seed the table in one C-level call
    group_list = sorted((g for g in groups if g in d.members), key=lambda g: (-len(d.members[g]), g))
    key = ("group masks", tuple(group_list))
    if key in tenant.cache:
        return group_list, tenant.cache[key]
    masks: dict[str, int] = {}
    for bit, g in enumerate(group_list):
        flag = 1 << bit
        if not masks:
            masks = dict.fromkeys(d.members[g], flag)
            continue
        for uid in d.members[g]:
            old = masks.get(uid)
            masks[uid] = flag if old is None else old | flag
    tenant.cache[key] = masks
    return group_list, masks


def _unusual_users(tenant: Tenant) -> set[str]:
    """IDs of guests, disabled and external users: judged one by one, never as a plain member.
    The same for every requirement, so found once per tenant."""
    key = "unusual users"
    if key not in tenant.cache:
        tenant.cache[key] = {
            u["id"]
            for u in tenant.directory.users
            if u.get("userType") == "Guest"
            or u.get("accountEnabled") is False
            or u.get("externalUserState") is not None
            or "#EXT#" in (u.get("userPrincipalName") or "")
        }
    return tenant.cache[key]  # type: ignore[no-any-return]
