"""One conditional access policy, read the way Entra ID evaluates it.

Every rule here follows Microsoft's documentation of conditional access
(learn.microsoft.com/entra/identity/conditional-access/): *concept-conditional-access-users-groups*
(include and exclude of users, groups, roles and guest types; exclusions win),
*concept-conditional-access-cloud-apps* (applications, Office 365 and admin-portal groups, user
actions, authentication contexts), *concept-conditional-access-conditions* (client app types,
platforms, locations, risk, device filters, authentication flows) and
*concept-conditional-access-grant* (operator AND/OR, block, authentication strengths).

A policy is reduced to *where* it applies — one set of atoms per dimension — and *what* it
demands. Conditions the model cannot evaluate for a user in general (a device filter, insider
risk, an application filter, workload-identity conditions) make the policy apply *nowhere* for
coverage: a requirement met only under such a condition is not met for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.coverage.apps import ADMIN_PORTAL_NAMES, APP_GROUPS_SOURCE, OFFICE365_APPS, WELL_KNOWN_APPS

__all__ = ["ADMIN_PORTAL_NAMES", "APP_GROUPS_SOURCE", "OFFICE365_APPS", "WELL_KNOWN_APPS"]

CLIENTS = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
LEGACY_CLIENTS = ("exchangeActiveSync", "other")
PLATFORMS = ("android", "iOS", "windows", "macOS", "linux", "windowsPhone", "(other platform)")
RISK_LEVELS = ("none", "low", "medium", "high")
FLOWS = ("(no transfer)", "deviceCodeFlow", "authenticationTransfer")
OTHER_APP = "(any other resource)"
OTHER_OFFICE = "(other Office 365 app)"
ADMIN_PORTALS = "(Microsoft admin portals)"
#: device states (Graph beta ``conditions.devices.includeDevices``/``excludeDevices``, the older
#: ``deviceStates``): whether the device is marked compliant and whether it is hybrid joined
DEVICES = ("(unmanaged device)", "compliant device", "hybrid joined device", "compliant hybrid joined device")

USER_ACTIONS = {
    "urn:user:registersecurityinfo": "Register security information",
    "urn:user:registerdevice": "Register or join devices",
}
CLIENT_LABELS = {
    "browser": "browsers",
    "mobileAppsAndDesktopClients": "mobile apps and desktop clients",
    "exchangeActiveSync": "Exchange ActiveSync clients",
    "other": "other (legacy) clients",
}


def atom_name(atom: str) -> str:
    """Words for an application, user action or client app type atom (its id when unknown)."""
    return CLIENT_LABELS.get(atom) or USER_ACTIONS.get(atom) or WELL_KNOWN_APPS.get(atom) or atom


#: single-factor authentication method modes (authenticationMethodModes); every other mode,
#: and every combination of two modes, is multifactor.
SINGLE_FACTOR_MODES = frozenset(
    {
        "password",
        "voice",
        "sms",
        "email",
        "hardwareOath",
        "softwareOath",
        "microsoftAuthenticatorPush",
        "x509CertificateSingleFactor",
        "federatedSingleFactor",
        "qrCodePin",
    }
)
#: the combinations of the built-in "Phishing-resistant MFA" strength, as ScubaGear's
#: MS.AAD.3.1v1 and 3.6v1 Rego accept them
PHISHING_RESISTANT = frozenset({"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"})
DEVICE_CONTROLS = frozenset({"compliantDevice", "domainJoinedDevice"})
#: the built-in authentication strengths (fixed ids), for exports that omit allowedCombinations
BUILT_IN_STRENGTHS: dict[str, tuple[str, ...]] = {
    "00000000-0000-0000-0000-000000000002": (
        "windowsHelloForBusiness",
        "fido2",
        "x509CertificateMultiFactor",
        "deviceBasedPush",
        "temporaryAccessPassOneTime",
        "temporaryAccessPassMultiUse",
        "password,microsoftAuthenticatorPush",
        "password,softwareOath",
        "password,hardwareOath",
        "password,sms",
        "password,voice",
        "federatedMultiFactor",
        "microsoftAuthenticatorPush,federatedSingleFactor",
        "softwareOath,federatedSingleFactor",
        "hardwareOath,federatedSingleFactor",
        "sms,federatedSingleFactor",
        "voice,federatedSingleFactor",
    ),
    "00000000-0000-0000-0000-000000000003": (
        "windowsHelloForBusiness",
        "fido2",
        "x509CertificateMultiFactor",
        "deviceBasedPush",
    ),
    "00000000-0000-0000-0000-000000000004": (
        "windowsHelloForBusiness",
        "fido2",
        "x509CertificateMultiFactor",
    ),
}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _split(value: Any) -> set[str]:
    """Graph's flag enums come as comma-separated strings (``internalGuest,b2bCollaborationGuest``)."""
    if isinstance(value, str):
        return {v.strip() for v in value.split(",") if v.strip()}
    return {str(v) for v in _list(value)}


@dataclass(frozen=True)
class GuestScope:
    """includeGuestsOrExternalUsers / excludeGuestsOrExternalUsers: types, and tenants if enumerated."""

    types: frozenset[str]
    all_tenants: bool

    @staticmethod
    def read(value: Any) -> GuestScope | None:
        if not isinstance(value, dict):
            return None
        tenants = value.get("externalTenants")
        kind = tenants.get("membershipKind") if isinstance(tenants, dict) else "all"
        return GuestScope(frozenset(_split(value.get("guestOrExternalUserTypes"))), kind in (None, "all"))


@dataclass(frozen=True)
class Users:
    include_all: bool
    include_users: frozenset[str]
    include_groups: tuple[str, ...]
    include_roles: tuple[str, ...]
    include_guests: GuestScope | None
    exclude_users: frozenset[str]
    exclude_groups: tuple[str, ...]
    exclude_roles: tuple[str, ...]
    exclude_guests: GuestScope | None

    @staticmethod
    def read(users: Mapping[str, Any]) -> Users:
        inc = {str(x) for x in _list(users.get("includeUsers"))}
        exc = {str(x) for x in _list(users.get("excludeUsers"))}
        legacy_all_guests = GuestScope(
            frozenset(
                (
                    "internalGuest",
                    "b2bCollaborationGuest",
                    "b2bCollaborationMember",
                    "b2bDirectConnectUser",
                    "otherExternalUser",
                    "serviceProvider",
                )
            ),
            True,
        )
        include_guests = GuestScope.read(users.get("includeGuestsOrExternalUsers"))
        exclude_guests = GuestScope.read(users.get("excludeGuestsOrExternalUsers"))
        if "GuestsOrExternalUsers" in inc:
            include_guests = legacy_all_guests
        if "GuestsOrExternalUsers" in exc:
            exclude_guests = legacy_all_guests
        return Users(
            include_all="All" in inc,
            include_users=frozenset(inc - {"All", "None", "GuestsOrExternalUsers"}),
            include_groups=tuple(str(g) for g in _list(users.get("includeGroups"))),
            include_roles=tuple(str(r) for r in _list(users.get("includeRoles"))),
            include_guests=include_guests,
            exclude_users=frozenset(exc - {"GuestsOrExternalUsers"}),
            exclude_groups=tuple(str(g) for g in _list(users.get("excludeGroups"))),
            exclude_roles=tuple(str(r) for r in _list(users.get("excludeRoles"))),
            exclude_guests=exclude_guests,
        )

    def groups(self) -> set[str]:
        return set(self.include_groups) | set(self.exclude_groups)

    def roles(self) -> set[str]:
        return set(self.include_roles) | set(self.exclude_roles)

    def named_users(self) -> set[str]:
        return set(self.include_users) | set(self.exclude_users)


@dataclass(frozen=True)
class Strength:
    """An authentication strength as the grant embeds it (or as looked up by id)."""

    id: str
    name: str
    combinations: tuple[str, ...] | None  # None: not resolvable from the snapshot

    def multifactor(self) -> bool:
        """MFA only when every allowed combination is multifactor (a password alone is not)."""
        return bool(self.combinations) and all(_combo_multifactor(c) for c in self.combinations or ())

    def phishing_resistant(self) -> bool:
        return bool(self.combinations) and all(
            set(c.split(",")) <= PHISHING_RESISTANT for c in self.combinations or ()
        )


def _combo_multifactor(combo: str) -> bool:
    modes = [m.strip() for m in combo.split(",") if m.strip()]
    return len(modes) >= 2 or (len(modes) == 1 and modes[0] not in SINGLE_FACTOR_MODES)


@dataclass(frozen=True)
class CaPolicy:
    id: str
    name: str
    state: str
    users: Users
    apps: frozenset[str]  # includeApplications
    excluded_apps: frozenset[str]
    user_actions: frozenset[str]
    auth_contexts: bool
    clients: frozenset[str]
    platforms: frozenset[str]
    locations_include: frozenset[str] | None
    locations_exclude: frozenset[str]
    user_risk: frozenset[str]
    signin_risk: frozenset[str]
    flows: frozenset[str]
    devices: frozenset[str]
    #: conditions the model cannot evaluate for users in general, by name
    opaque: tuple[str, ...]
    operator: str
    controls: frozenset[str]
    strength: Strength | None
    other_controls: bool  # terms of use or custom controls
    session: Mapping[str, Any]

    @property
    def enforced(self) -> bool:
        return self.state == "enabled"

    @property
    def blocks(self) -> bool:
        return "block" in self.controls

    def label(self) -> str:
        return f"'{self.name}'"


def read_policy(raw: Mapping[str, Any], strengths: Mapping[str, Mapping[str, Any]]) -> CaPolicy:
    """Normalise a Graph conditionalAccessPolicy (explicit nulls and missing keys alike)."""
    cond = raw.get("conditions") or {}
    apps = cond.get("applications") or {}
    plat = cond.get("platforms")
    loc = cond.get("locations")
    flows = cond.get("authenticationFlows")
    devices = cond.get("devices")
    grant = raw.get("grantControls") or {}
    opaque = []
    if isinstance(devices, dict) and devices.get("deviceFilter"):
        opaque.append("a device filter")
    if cond.get("insiderRiskLevels"):
        opaque.append("insider risk")
    if apps.get("applicationFilter"):
        opaque.append("an application filter")
    if cond.get("clientApplications"):
        opaque.append("workload identities")
    if cond.get("servicePrincipalRiskLevels"):
        opaque.append("service principal risk")
    clients = {str(c) for c in _list(cond.get("clientAppTypes"))}
    platforms = set(PLATFORMS)
    if isinstance(plat, dict):
        inc = {str(p) for p in _list(plat.get("includePlatforms"))}
        platforms = set(PLATFORMS) if "all" in inc else inc & set(PLATFORMS)
        platforms -= {str(p) for p in _list(plat.get("excludePlatforms"))}
        if "all" in {str(p) for p in _list(plat.get("excludePlatforms"))}:
            platforms = set()
    strength = _strength(grant.get("authenticationStrength"), strengths)
    return CaPolicy(
        id=str(raw.get("id") or ""),
        name=str(raw.get("displayName") or raw.get("id") or "(unnamed)"),
        state=str(raw.get("state") or ""),
        users=Users.read(cond.get("users") or {}),
        apps=frozenset(str(a) for a in _list(apps.get("includeApplications"))),
        excluded_apps=frozenset(str(a) for a in _list(apps.get("excludeApplications"))),
        user_actions=frozenset(str(a).lower() for a in _list(apps.get("includeUserActions"))),
        auth_contexts=bool(_list(apps.get("includeAuthenticationContextClassReferences"))),
        clients=frozenset(CLIENTS) if not clients or "all" in clients else frozenset(clients),
        platforms=frozenset(platforms),
        locations_include=frozenset(str(x) for x in _list(loc.get("includeLocations")))
        if isinstance(loc, dict)
        else None,
        locations_exclude=frozenset(str(x) for x in _list(loc.get("excludeLocations")))
        if isinstance(loc, dict)
        else frozenset(),
        user_risk=frozenset(str(x) for x in _list(cond.get("userRiskLevels"))) or frozenset(RISK_LEVELS),
        signin_risk=frozenset(str(x) for x in _list(cond.get("signInRiskLevels"))) or frozenset(RISK_LEVELS),
        flows=frozenset(_split(flows.get("transferMethods")))
        if isinstance(flows, dict)
        else frozenset(FLOWS),
        devices=_device_states(devices, cond.get("deviceStates")),
        opaque=tuple(opaque),
        operator=str(grant.get("operator") or "OR").upper(),
        controls=frozenset(str(c) for c in _list(grant.get("builtInControls"))),
        strength=strength,
        other_controls=bool(
            _list(grant.get("termsOfUse")) or _list(grant.get("customAuthenticationFactors"))
        ),
        session=raw.get("sessionControls") or {},
    )


def _device_states(devices: Any, states: Any) -> frozenset[str]:
    """Device states a policy applies to (Graph beta ``includeDevices``/``excludeDevices`` of
    ``conditions.devices``, or the older ``deviceStates`` ``includeStates``/``excludeStates``):
    ``All``, ``Compliant`` (marked compliant) and ``DomainJoined`` (hybrid joined)."""
    inc: set[str] = set()
    exc: set[str] = set()
    for value, ik, ek in (
        (devices, "includeDevices", "excludeDevices"),
        (states, "includeStates", "excludeStates"),
    ):
        if isinstance(value, dict):
            inc |= {str(v).lower() for v in _list(value.get(ik))}
            exc |= {str(v).lower() for v in _list(value.get(ek))}

    def has(atom: str, state: str) -> bool:
        compliant, joined = atom.startswith("compliant"), "hybrid" in atom
        return state == "all" or (state == "compliant" and compliant) or (state == "domainjoined" and joined)

    return frozenset(
        a for a in DEVICES if (not inc or any(has(a, v) for v in inc)) and not any(has(a, v) for v in exc)
    )


def _strength(value: Any, strengths: Mapping[str, Mapping[str, Any]]) -> Strength | None:
    if not isinstance(value, dict):
        return None
    sid = str(value.get("id") or "")
    combos = value.get("allowedCombinations")
    known = strengths.get(sid)
    if not isinstance(combos, list) and known is not None:
        combos = known.get("allowedCombinations")
    if not isinstance(combos, list) and sid in BUILT_IN_STRENGTHS:
        combos = list(BUILT_IN_STRENGTHS[sid])
    name = str(value.get("displayName") or (known or {}).get("displayName") or sid)
    return Strength(sid, name, tuple(str(c) for c in combos) if isinstance(combos, list) else None)


# -- what a policy demands ---------------------------------------------------------------


def _alternatives(p: CaPolicy) -> list[str]:
    """The grant's controls as alternatives (operator OR) — each one is enough on its own."""
    alts = sorted(p.controls)
    if p.strength is not None:
        alts.append("authenticationStrength")
    if p.other_controls:
        alts.append("termsOfUseOrCustom")
    return alts


def _demands(p: CaPolicy, satisfied_by: set[str]) -> bool:
    """Does the grant force one of ``satisfied_by``? With AND, one member suffices; with OR, all must."""
    alts = _alternatives(p)
    if not alts:
        return False
    if p.operator == "AND" or len(alts) == 1:
        return any(a in satisfied_by for a in alts)
    return all(a in satisfied_by for a in alts)


def requires_mfa(p: CaPolicy) -> bool:
    ok = {"mfa"}
    if p.strength is not None and p.strength.multifactor():
        ok.add("authenticationStrength")
    return _demands(p, ok)


def requires_phishing_resistant(p: CaPolicy) -> bool:
    ok = {"authenticationStrength"} if p.strength is not None and p.strength.phishing_resistant() else set()
    return _demands(p, ok)


def requires_managed_device(p: CaPolicy) -> bool:
    return _demands(p, set(DEVICE_CONTROLS))


def signin_frequency_hours(p: CaPolicy) -> float | None:
    """The enforced sign-in frequency in hours (0 for every time), or None when not set."""
    sif = p.session.get("signInFrequency") if isinstance(p.session, dict) else None
    if not isinstance(sif, dict) or sif.get("isEnabled") is not True:
        return None
    if sif.get("frequencyInterval") == "everyTime":
        return 0.0
    value, unit = sif.get("value"), sif.get("type")
    if not isinstance(value, int) or unit not in ("hours", "days"):
        return None
    return float(value * (24 if unit == "days" else 1))


def persistent_browser_never(p: CaPolicy) -> bool:
    pb = p.session.get("persistentBrowser") if isinstance(p.session, dict) else None
    return isinstance(pb, dict) and pb.get("isEnabled") is True and pb.get("mode") == "never"


def describe_demands(p: CaPolicy) -> str:
    """What the policy asks of a user it applies to, in words."""
    if p.blocks:
        return "block access"
    names = {
        "mfa": "MFA",
        "compliantDevice": "a compliant device",
        "domainJoinedDevice": "a hybrid joined device",
        "approvedApplication": "an approved client app",
        "compliantApplication": "an app protection policy",
        "passwordChange": "a password change",
    }
    parts = [names.get(c, c) for c in sorted(p.controls)]
    if p.strength is not None:
        parts.append(f"authentication strength '{p.strength.name}'")
    if p.other_controls:
        parts.append("terms of use or a custom control")
    grant = f" {'and' if p.operator == 'AND' else 'or'} ".join(parts)
    session = []
    hours = signin_frequency_hours(p)
    if hours is not None:
        session.append("sign-in every time" if hours == 0 else f"sign-in frequency {hours:g} h")
    if persistent_browser_never(p):
        session.append("no persistent browser session")
    text = f"require {grant}" if grant else "grant access"
    return text + (f" (session: {', '.join(session)})" if session else "")
