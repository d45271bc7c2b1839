"""The CEL function library: the conditional access model, callable from policies.

Functions read the snapshot being evaluated through :func:`bound` (the engine binds the
evaluation context around each policy), so a policy states *what* it requires and the
semantics live here, once. The model is built once per audit, in the audit's evaluation
runtime (``cel.Runtime``), and shared by every policy of that audit only. The policy
compiler adds the functions to its function table with :func:`register`.

``caCoverage(spec)``
    Judge a requirement for every user; returns a map (see ``docs/conditional-access.md``).
    Fails (an ``error`` result) when some users cannot be judged and none is known to fail.
``roleHolders(roleTemplateIds, includeEligible)``
    The users holding any of those directory roles, groups expanded; fails when a group holds
    one of the roles and its members were not collected, or when a principal holding one is
    neither a user, a group nor a service principal of the snapshot.
``roleServicePrincipals(roleTemplateIds, includeEligible)``
    The service principals holding any of those roles (same failures as ``roleHolders``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from auditor import cel
from auditor.coverage import capolicy as cap
from auditor.coverage.directory import Directory, build_directory
from auditor.coverage.model import KINDS, Requirement, Tenant, build_tenant, role_label
from auditor.coverage.preflight import merge_future
from auditor.coverage.report import Coverage, evaluate
from auditor.gcpause import gc_paused

#: Entra ID P2's service plan (servicePlanName AAD_PREMIUM_P2): risk detection needs it.
P2_PLAN_ID = "eec0eb4f-6444-4f95-aba0-50c24d67f998"


class CoverageError(Exception):
    """A requirement that cannot be judged from this snapshot; becomes an ``error`` result."""


@dataclass(frozen=True)
class Binding:
    data: Mapping[str, Any]
    status_of: Callable[[str], Any]


_CURRENT: contextvars.ContextVar[Binding | None] = contextvars.ContextVar("auditor_coverage", default=None)
#: while set, caCoverage records each requirement it is asked for instead of judging it (the
#: rollout pre-flight reads a baseline's conditional access requirements this way)
_RECORDING: contextvars.ContextVar[list[Requirement] | None] = contextvars.ContextVar(
    "auditor_coverage_recording", default=None
)


@contextlib.contextmanager
def bound(data: Mapping[str, Any], status_of: Callable[[str], Any]) -> Iterator[None]:
    """Make ``data`` the snapshot the functions read while the block runs."""
    token = _CURRENT.set(Binding(data, status_of))
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def recording() -> Iterator[list[Requirement]]:
    """Within the block, ``caCoverage`` appends each requirement it is called with to the list
    yielded and returns a neutral covered result without judging anything: evaluating a policy
    then tells which requirements it states, with its params bound, at no cost."""
    found: list[Requirement] = []
    token = _RECORDING.set(found)
    try:
        yield found
    finally:
        _RECORDING.reset(token)


def _binding() -> Binding:
    binding = _CURRENT.get()
    if binding is None:
        raise CoverageError("no snapshot is bound (the conditional access functions run inside the engine)")
    return binding


def _build(data: Mapping[str, Any], status_of: Callable[[str], Any]) -> Tenant:
    directory: Directory = build_directory(data, status_of)
    return build_tenant(directory, data, _located(data, status_of))


def tenant_for(data: Mapping[str, Any], status_of: Callable[[str], Any]) -> Tenant:
    """The model of this snapshot: built once per evaluation runtime (one audit) and kept in it,
    so that two audits running at once never see each other's model; outside an evaluation
    (``auditor whatif``), built afresh. The data object itself is the key (the entry holds
    it, so its id stays its own while the entry lives)."""
    runtime = cel.current_runtime()
    if runtime is None:
        return _build(data, status_of)
    held: tuple[Mapping[str, Any], Tenant] = runtime.memo(
        ("auditor.coverage.tenant", id(data)), lambda: (data, _build(data, status_of))
    )
    return held[1]


def _located(data: Mapping[str, Any], status_of: Callable[[str], Any]) -> bool:
    return bool(status_of("namedLocations").ok) and "namedLocations" in data


def _need(binding: Binding, name: str, why: str) -> None:
    status = binding.status_of(name)
    if not status.ok or name not in binding.data:
        raise CoverageError(f"{why} needs collection {name}, which is {status.describe()}")


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CoverageError(f"'{key}' must be a string or a list of strings")
    return tuple(value)


SPEC_KEYS = (
    "require",
    "roles",
    "apps",
    "clients",
    "userRisk",
    "signInRisk",
    "authenticationFlows",
    "maxHours",
    "breakGlassAccounts",
    "breakGlassGroups",
    "futureUsers",
)


def requirement_from(spec: Any) -> Requirement:
    """Validate the CEL map a policy passes; unknown keys and values are errors, not defaults."""
    if not isinstance(spec, dict):
        raise CoverageError("caCoverage expects a map such as {'require': 'mfa'}")
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise CoverageError(f"unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(SPEC_KEYS)}")
    kind = spec.get("require")
    if kind not in KINDS:
        raise CoverageError(f"'require' must be one of {', '.join(KINDS)}, got {kind!r}")
    kw: dict[str, Any] = {}
    for key, attr, allowed in (
        ("clients", "clients", cap.CLIENTS),
        ("userRisk", "user_risk", cap.RISK_LEVELS),
        ("signInRisk", "signin_risk", cap.RISK_LEVELS),
        ("authenticationFlows", "flows", cap.FLOWS),
    ):
        if key in spec:
            values = _strings(spec[key], key)
            bad = [v for v in values if v not in allowed]
            if bad or not values:
                raise CoverageError(f"'{key}' takes {', '.join(allowed)}; got {list(values)}")
            kw[attr] = values
    if "roles" in spec:
        kw["roles"] = _strings(spec["roles"], "roles")
    if "apps" in spec:
        kw["apps"] = tuple(
            a.lower() if a.lower().startswith("urn:user:") else a for a in _strings(spec["apps"], "apps")
        )
    if "maxHours" in spec:
        if not isinstance(spec["maxHours"], int | float) or isinstance(spec["maxHours"], bool):
            raise CoverageError("'maxHours' must be a number")
        kw["max_hours"] = float(spec["maxHours"])
    kw["break_glass_users"] = frozenset(_strings(spec.get("breakGlassAccounts", []), "breakGlassAccounts"))
    kw["break_glass_groups"] = _strings(spec.get("breakGlassGroups", []), "breakGlassGroups")
    return Requirement(kind=kind, **kw)


def has_p2(data: Mapping[str, Any]) -> bool:
    for sku in data.get("subscribedSkus") or []:
        if not isinstance(sku, dict) or sku.get("capabilityStatus") not in (None, "Enabled", "Warning"):
            continue
        for plan in sku.get("servicePlans") or []:
            if isinstance(plan, dict) and (
                plan.get("servicePlanId") == P2_PLAN_ID or plan.get("servicePlanName") == "AAD_PREMIUM_P2"
            ):
                return True
    return False


def ca_coverage(spec: Any) -> dict[str, Any]:
    req = requirement_from(spec)
    recorder = _RECORDING.get()
    if recorder is not None:
        recorder.append(req)
        return Coverage(req, 0, 0, 0, (), (), ()).to_cel()
    binding = _binding()
    _need(binding, "conditionalAccessPolicies", "caCoverage")
    _need(binding, "users", "caCoverage")
    with gc_paused():
        tenant = tenant_for(binding.data, binding.status_of)
        _check_principals(tenant, req)
        _check_locations(tenant, req)
        result: Coverage = evaluate(tenant, req)
    out = result.to_cel()
    if set(req.user_risk) != set(cap.RISK_LEVELS) or set(req.signin_risk) != set(cap.RISK_LEVELS):
        _need(binding, "subscribedSkus", "a risk-based requirement (risk detection needs Entra ID P2)")
        out["licensed"] = has_p2(binding.data)
        if not out["licensed"]:
            out["covered"] = False
            out["summary"] = (
                "The tenant has no Microsoft Entra ID P2 licence: user and sign-in risk are never detected, "
                "so a risk-based policy never applies. " + (out["summary"] if not result.covered else "")
            ).strip()
            return out
    if isinstance(spec.get("futureUsers"), dict):
        future_errors = merge_future(out, tenant, binding.data, req, spec["futureUsers"])
        if future_errors and out["uncovered"] == 0:
            raise CoverageError(" ".join(future_errors))
    elif "futureUsers" in spec:
        raise CoverageError("'futureUsers' must be a map of user properties (the futureUserAttributes param)")
    if not result.covered and out["uncovered"] == result.uncovered == 0:
        raise CoverageError(result.summary())
    return out


def _check_principals(tenant: Tenant, req: Requirement) -> None:
    """Every principal holding a role the requirement or a policy that could meet it names must
    be a user, a group or a service principal of the snapshot: never a silent zero."""
    roles = set(req.roles or ())
    for p in tenant.policies:
        if req.satisfied_by(p):
            roles |= p.users.roles()
    _unknown_principals(tenant.directory, sorted(roles))


def _unknown_principals(d: Directory, roles: Any) -> None:
    unknown = sorted({(r, x) for r in roles for x in d.unknown_principals.get(r, ())})
    if unknown:
        raise CoverageError(
            "role assignment(s) to principal(s) that are neither a user, a group nor a service principal "
            "of the snapshot: "
            + ", ".join(f"{x} ({role_label(r)})" for r, x in unknown[:5])
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            + " (a deleted object, or users/groups/servicePrincipals incomplete)"
        )


def _check_locations(tenant: Tenant, req: Requirement) -> None:
    """A policy that could meet the requirement and names a location the snapshot lacks or
    cannot read exactly: an error naming it, never a guess."""
    relevant = [p for p in tenant.policies if req.satisfied_by(p)]
    named = {
        value: p.name
        for p in relevant
        for value in (p.locations_include or frozenset()) | p.locations_exclude
    }
    if tenant.location_problem and named.keys() - {"All"}:
        raise CoverageError(f"named locations cannot be read: {tenant.location_problem}")
    missing = sorted((loc, name) for loc, name in named.items() if loc in tenant.unknown_locations)
    if missing:
        raise CoverageError(
            "polic(ies) name location(s) that are not in the snapshot's namedLocations: "
            + ", ".join(f"{loc} in '{name}'" for loc, name in missing[:5])
        )
    trusted = "AllTrusted" in named
    bad = sorted(
        text
        for loc, text in tenant.bad_locations.items()
        if loc in named
        or (trusted and tenant.locations.named.get(loc) is not None and tenant.locations.named[loc].trusted)
    )
    if bad:
        raise CoverageError("; ".join(bad))


def _role_directory(role_ids: Any, include_eligible: Any, fn: str) -> tuple[tuple[str, ...], Directory]:
    roles = _strings(role_ids, "roleTemplateIds")
    if not isinstance(include_eligible, bool):
        raise CoverageError("includeEligible must be a bool")
    binding = _binding()
    _need(binding, "users", fn)
    _need(binding, "roleAssignments", fn)
    if include_eligible and binding.status_of("roleEligibilitySchedules").status != "not_licensed":
        _need(binding, "roleEligibilitySchedules", f"{fn} with eligible assignments")
    with gc_paused():
        d = tenant_for(binding.data, binding.status_of).directory
    _unknown_principals(d, roles)
    return roles, d


def role_service_principals(role_ids: Any, include_eligible: Any) -> list[dict[str, Any]]:
    """The service principals holding any of the roles: ``id``, ``displayName``, ``roles``,
    ``active`` (for counting controls, which list them by name)."""
    roles, d = _role_directory(role_ids, include_eligible, "roleServicePrincipals")
    merged: dict[str, dict[str, Any]] = {}
    for role in roles:
        for sp, how in d.role_service_principals.get(role, {}).items():
            if how != "active" and not include_eligible:
                continue
            entry = merged.setdefault(
                sp,
                {
                    "id": sp,
                    "displayName": d.service_principal_names.get(sp, sp),
                    "roles": [],
                    "active": False,
                },
            )
            entry["roles"].append(role)
            entry["active"] = entry["active"] or how == "active"
    return [merged[k] for k in sorted(merged, key=lambda k: (str(merged[k]["displayName"]), k))]


def role_holders(role_ids: Any, include_eligible: Any) -> list[dict[str, Any]]:
    roles, d = _role_directory(role_ids, include_eligible, "roleHolders")
    hidden = sorted({g for r in roles for g in d.roles_unknown_groups.get(r, ()) if not d.group_known(g)})
    if hidden:
        why = d.membership_gap or "their members were not collected (groupMembers)"
        raise CoverageError(
            "role(s) "
            + ", ".join(role_label(r) for r in roles if set(d.roles_unknown_groups.get(r, ())) & set(hidden))
            + f" are held through group(s) {', '.join(d.group_label(g) for g in hidden[:5])}: {why}"
        )
    merged: dict[str, dict[str, Any]] = {}
    for role in roles:
        for uid, hold in d.roles.get(role, {}).items():
            if not hold.active and not include_eligible:
                continue
            user = d.user_by_id[uid]
            entry = merged.setdefault(
                uid,
                {
                    "id": uid,
                    "userPrincipalName": user.get("userPrincipalName"),
                    "displayName": user.get("displayName"),
                    "onPremisesSyncEnabled": user.get("onPremisesSyncEnabled"),
                    "onPremisesImmutableId": user.get("onPremisesImmutableId"),
                    "roles": [],
                    "active": False,
                    "eligible": False,
                    "viaGroups": [],
                    "tenantWide": False,
                },
            )
            entry["tenantWide"] = entry["tenantWide"] or hold.active_wide or hold.eligible_wide
            entry["roles"].append(role)
            entry["active"] = entry["active"] or hold.active
            entry["eligible"] = entry["eligible"] or (hold.eligible and include_eligible)
            entry["viaGroups"] += [g for g in hold.via_groups if g not in entry["viaGroups"]]
    return [merged[k] for k in sorted(merged, key=lambda k: str(merged[k]["userPrincipalName"] or k))]


#: the collections each function reads when they are there (for ``auditor permissions``)
_READS_CA = (
    "conditionalAccessPolicies",
    "users",
    "groups",
    "groupMembers",
    "roleAssignments",
    "roleEligibilitySchedules",
    "namedLocations",
    "authenticationStrengthPolicies",
    "servicePrincipals",
)
_READS_ROLES = (
    "users",
    "groups",
    "groupMembers",
    "roleAssignments",
    "roleEligibilitySchedules",
    "servicePrincipals",
)

#: roleHolders and roleServicePrincipals: role template ids (a list or one id), includeEligible
_ROLE_OVERLOADS = (cel.Overload(("list", "bool"), "list"), cel.Overload(("string", "bool"), "list"))

#: the functions this library declares (immutable; :func:`register` adds them to a table)
FUNCTIONS: tuple[cel.Function, ...] = (
    cel.Function(
        "caCoverage",
        ca_coverage,
        (cel.Overload(("map",), "map"),),
        reads=_READS_CA,
        pure=False,
        doc="judge a conditional access requirement for every user (docs/conditional-access.md)",
    ),
    cel.Function(
        "roleHolders",
        role_holders,
        _ROLE_OVERLOADS,
        reads=_READS_ROLES,
        pure=False,
        doc="the users holding any of these directory roles, groups expanded",
    ),
    cel.Function(
        "roleServicePrincipals",
        role_service_principals,
        _ROLE_OVERLOADS,
        reads=_READS_ROLES,
        pure=False,
        doc="the service principals holding any of these directory roles",
    ),
)


def register(table: cel.FunctionTable) -> None:
    """Declare this library's CEL functions in ``table`` (the policy compiler's)."""
    for function in FUNCTIONS:
        table.register(function)


#: collections each function reads when they are there (for ``auditor permissions``)
READS: Mapping[str, tuple[str, ...]] = {f.name: f.reads for f in FUNCTIONS}
