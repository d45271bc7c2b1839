"""A deterministic synthetic tenant of N users, written as a snapshot (``.json`` or ``.json.gz``).

    python benchmarks/gen_tenant.py --users 100000 --out /tmp/t100k.json [--seed 7]
        [--all-failing] [--privileged 60]

Why a generator and not a stored file: a 1.5-million-user snapshot is over a gigabyte, and
the scale benchmark needs the same tenant every run, at several sizes and shapes (the
ordinary day, and the worst cases: every member without an MFA method, 60 privileged
principals). Everything is a pure function of (seed, index), so the users and their
registration details agree without holding either list in memory: the file is written
record by record, and the largest collections never exist as Python lists.

Shapes follow Microsoft Graph v1.0 (users with signInActivity, userRegistrationDetails, role
assignments and eligibility schedules, conditional access policies with full conditions).
The conditional access design is a Zero-Trust persona design: Global, Admins, Internals,
ServiceAccounts and Guests personas, each with inclusion and exclusion groups, about 40
policies and 30 referenced groups whose transitive members are in ``groupMembers``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.snapshot.collections import COLLECTIONS  # noqa: E402
from auditor.snapshot.write import encode_value  # noqa: E402
from tests.graphserver.tenant import ROLE_TEMPLATES, TENANT_ID, make_tenant  # noqa: E402

DOMAIN = "contoso.example"
COLLECTED_AT = "2026-11-20T12:00:00Z"
GA = ROLE_TEMPLATES["Global Administrator"]
CHUNK = 5000

#: registration method mix (share in percent, methods); the empty mix is "not MFA capable"
METHOD_MIX: tuple[tuple[int, tuple[str, ...]], ...] = (
    (52, ("microsoftAuthenticatorPush", "softwareOneTimePasscode")),
    (10, ("mobilePhone",)),
    (20, ()),
    (10, ("fido2", "microsoftAuthenticatorPush")),
    (5, ("windowsHelloForBusiness",)),
    (3, ("email", "mobilePhone")),
)
PRIVILEGED_ROLES = (
    GA,
    ROLE_TEMPLATES["Privileged Role Administrator"],
    ROLE_TEMPLATES["User Administrator"],
    ROLE_TEMPLATES["Exchange Administrator"],
    ROLE_TEMPLATES["SharePoint Administrator"],
    ROLE_TEMPLATES["Security Administrator"],
    ROLE_TEMPLATES["Application Administrator"],
)


@dataclass(frozen=True)
class Shape:
    """What kind of tenant to generate."""

    users: int
    seed: int = 7
    all_failing: bool = False  # every member has no MFA method (the first-audit worst case)
    privileged: int = 2  # principals holding privileged roles


def _h(seed: int, kind: str, i: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{kind}:{i}".encode(), digest_size=16).digest(), "big")


def _uid(seed: int, kind: str, i: int) -> str:
    return str(uuid.UUID(int=_h(seed, kind, i), version=4))


def is_guest(i: int) -> bool:
    return i % 17 == 5


def _methods(shape: Shape, i: int, h: int) -> tuple[str, ...]:
    if shape.all_failing and not is_guest(i):
        return ()
    pick = h % 100
    for share, methods in METHOD_MIX:
        if pick < share:
            return methods
        pick -= share
    return ()


def _ts(days: int, minutes: int) -> str:
    day = 20 - days
    month, year = 11, 2026
    while day < 1:
        day += 28
        month -= 1
        if month < 1:
            month, year = 12, year - 1
    return f"{year:04d}-{month:02d}-{day:02d}T{(minutes // 60) % 24:02d}:{minutes % 60:02d}:00Z"


def user_pair(shape: Shape, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """User ``i`` and its registration details: pure functions of (seed, i)."""
    h = _h(shape.seed, "u", i)
    uid = str(uuid.UUID(int=h, version=4))
    guest = is_guest(i)
    upn = f"guest{i}_fabrikam.example#EXT#@{DOMAIN}" if guest else f"user{i}@{DOMAIN}"
    never = i % 23 == 7
    last = None if never else _ts((h >> 8) % 200, (h >> 16) % 1440)
    synced = (h >> 24) % 3 == 0 and not guest
    user = {
        "id": uid,
        "userPrincipalName": upn,
        "displayName": f"User {i}",
        "userType": "Guest" if guest else "Member",
        "accountEnabled": i % 31 != 3,
        "onPremisesSyncEnabled": True if synced else None,
        "onPremisesImmutableId": f"imm{i:08d}" if synced else None,
        "createdDateTime": _ts(300 + i % 900, i % 1440),
        "mail": None if guest else upn,
        "jobTitle": None,
        "signInActivity": {
            "lastSignInDateTime": last,
            "lastNonInteractiveSignInDateTime": last,
            "lastSuccessfulSignInDateTime": last,
        },
    }
    methods = list(_methods(shape, i, (h >> 32) % 1000))
    reg = {
        "id": uid,
        "userPrincipalName": upn,
        "userDisplayName": user["displayName"],
        "userType": "guest" if guest else "member",
        "isAdmin": False,
        "isSsprRegistered": bool(methods),
        "isSsprEnabled": True,
        "isSsprCapable": bool(methods),
        "isMfaRegistered": bool(methods) and methods != ["mobilePhone"],
        "isMfaCapable": bool(methods),
        "isPasswordlessCapable": "fido2" in methods or "windowsHelloForBusiness" in methods,
        "methodsRegistered": methods,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": methods[:1],
        "userPreferredMethodForSecondaryAuthentication": methods[0] if methods else "none",
        "lastUpdatedDateTime": "2026-11-20T03:12:44.5123456Z",
    }
    return user, reg


def admin_indices(shape: Shape) -> list[int]:
    """Users holding privileged roles, spread evenly over the tenant (members only)."""
    k = max(0, min(shape.privileged, shape.users // 2))
    step = max(2, shape.users // max(1, k))
    out = []
    for j in range(k):
        i = 1 + j * step
        while is_guest(i):
            i += 1
        out.append(i)
    return out


# -- the persona conditional access design -------------------------------------------------

PERSONAS = ("Global", "Admins", "Internals", "ServiceAccounts", "Guests")


def _grant(controls: list[str], strength: bool = False) -> dict[str, Any]:
    return {
        "operator": "OR",
        "builtInControls": controls,
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        "authenticationStrength": {
            "id": "00000000-0000-0000-0000-000000000004",
            "displayName": "Phishing-resistant MFA",
            "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
        }
        if strength
        else None,
    }


#: (number, persona, purpose, client app types, grant, sign-in risk, session frequency)
_POLICIES: tuple[tuple[str, str, str, list[str], dict[str, Any], list[str], bool], ...] = (
    (
        "CA000",
        "Global",
        "BaseProtection-AllApps-AnyPlatform-BlockNonPersonas",
        ["all"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA001",
        "Global",
        "AttackSurfaceReduction-AllApps-AnyPlatform-BlockLegacyAuth",
        ["exchangeActiveSync", "other"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA002",
        "Global",
        "IdentityProtection-AllApps-AnyPlatform-BlockDeviceCode",
        ["all"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA003",
        "Global",
        "DataProtection-AllApps-AnyPlatform-BlockHighRisk",
        ["all"],
        _grant(["block"]),
        ["high"],
        False,
    ),
    (
        "CA004",
        "Global",
        "IdentityProtection-RegisterSecurityInfo-TrustedLocation",
        ["all"],
        _grant(["mfa"]),
        [],
        False,
    ),
    (
        "CA005",
        "Global",
        "ComplianceProtection-AllApps-AnyPlatform-TermsOfUse",
        ["all"],
        _grant(["mfa"]),
        [],
        False,
    ),
    (
        "CA100",
        "Admins",
        "BaseProtection-AllApps-AnyPlatform-PhishingResistantMFA",
        ["all"],
        _grant([], True),
        [],
        False,
    ),
    (
        "CA101",
        "Admins",
        "IdentityProtection-AllApps-AnyPlatform-SigninFrequency",
        ["all"],
        _grant(["mfa"]),
        [],
        True,
    ),
    (
        "CA102",
        "Admins",
        "IdentityProtection-AllApps-AnyPlatform-BlockMediumRisk",
        ["all"],
        _grant(["block"]),
        ["medium", "high"],
        False,
    ),
    (
        "CA103",
        "Admins",
        "AttackSurfaceReduction-AllApps-AnyPlatform-BlockLegacyAuth",
        ["exchangeActiveSync", "other"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA104",
        "Admins",
        "DataProtection-AllApps-AnyPlatform-CompliantDevice",
        ["all"],
        _grant(["compliantDevice"]),
        [],
        False,
    ),
    ("CA105", "Admins", "AppProtection-AzureManagement-AnyPlatform-MFA", ["all"], _grant(["mfa"]), [], False),
    (
        "CA106",
        "Admins",
        "IdentityProtection-AllApps-AnyPlatform-PersistentBrowserNever",
        ["browser"],
        _grant(["mfa"]),
        [],
        True,
    ),
    (
        "CA107",
        "Admins",
        "BaseProtection-AllApps-AnyPlatform-BlockUnknownPlatforms",
        ["all"],
        _grant(["block"]),
        [],
        False,
    ),
    ("CA200", "Internals", "BaseProtection-AllApps-AnyPlatform-MFA", ["all"], _grant(["mfa"]), [], False),
    (
        "CA201",
        "Internals",
        "IdentityProtection-AllApps-AnyPlatform-BlockHighRisk",
        ["all"],
        _grant(["block"]),
        ["high"],
        False,
    ),
    (
        "CA202",
        "Internals",
        "IdentityProtection-AllApps-AnyPlatform-MFAMediumRisk",
        ["all"],
        _grant(["mfa"]),
        ["medium"],
        True,
    ),
    (
        "CA203",
        "Internals",
        "AttackSurfaceReduction-AllApps-AnyPlatform-BlockLegacyAuth",
        ["exchangeActiveSync", "other"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA204",
        "Internals",
        "DataProtection-O365-Mobile-AppProtection",
        ["mobileAppsAndDesktopClients"],
        _grant(["compliantApplication"]),
        [],
        False,
    ),
    (
        "CA205",
        "Internals",
        "DataProtection-AllApps-Windows-CompliantOrJoined",
        ["all"],
        _grant(["compliantDevice", "domainJoinedDevice"]),
        [],
        False,
    ),
    (
        "CA206",
        "Internals",
        "DataProtection-AllApps-Unmanaged-SessionLimits",
        ["browser"],
        _grant(["mfa"]),
        [],
        True,
    ),
    (
        "CA207",
        "Internals",
        "IdentityProtection-SecurityInfo-TrustedLocationOrMFA",
        ["all"],
        _grant(["mfa"]),
        [],
        False,
    ),
    (
        "CA208",
        "Internals",
        "AttackSurfaceReduction-AllApps-UnknownPlatforms-Block",
        ["all"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA209",
        "Internals",
        "ComplianceProtection-AllApps-AnyPlatform-TermsOfUse",
        ["all"],
        _grant(["mfa"]),
        [],
        False,
    ),
    ("CA400", "Guests", "BaseProtection-AllApps-AnyPlatform-MFA", ["all"], _grant(["mfa"]), [], False),
    (
        "CA401",
        "Guests",
        "IdentityProtection-AllApps-AnyPlatform-BlockHighRisk",
        ["all"],
        _grant(["block"]),
        ["high"],
        False,
    ),
    (
        "CA402",
        "Guests",
        "AttackSurfaceReduction-AllApps-AnyPlatform-BlockLegacyAuth",
        ["exchangeActiveSync", "other"],
        _grant(["block"]),
        [],
        False,
    ),
    ("CA403", "Guests", "AttackSurfaceReduction-NonAllowedApps-Block", ["all"], _grant(["block"]), [], False),
    (
        "CA404",
        "Guests",
        "DataProtection-AllApps-AnyPlatform-SessionFrequency",
        ["all"],
        _grant(["mfa"]),
        [],
        True,
    ),
    (
        "CA405",
        "Guests",
        "ComplianceProtection-AllApps-AnyPlatform-TermsOfUse",
        ["all"],
        _grant(["mfa"]),
        [],
        False,
    ),
    (
        "CA600",
        "ServiceAccounts",
        "BaseProtection-AllApps-AnyPlatform-BlockUntrustedLocations",
        ["all"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA601",
        "ServiceAccounts",
        "IdentityProtection-AllApps-AnyPlatform-MFA",
        ["all"],
        _grant(["mfa"]),
        [],
        False,
    ),
    (
        "CA602",
        "ServiceAccounts",
        "AttackSurfaceReduction-AllApps-AnyPlatform-BlockLegacyAuth",
        ["exchangeActiveSync", "other"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA603",
        "ServiceAccounts",
        "IdentityProtection-AllApps-AnyPlatform-BlockHighRisk",
        ["all"],
        _grant(["block"]),
        ["high"],
        False,
    ),
    (
        "CA604",
        "ServiceAccounts",
        "DataProtection-AllApps-AnyPlatform-CompliantDevice",
        ["all"],
        _grant(["compliantDevice"]),
        [],
        False,
    ),
    (
        "CA605",
        "ServiceAccounts",
        "IdentityProtection-AllApps-AnyPlatform-SigninFrequency",
        ["all"],
        _grant(["mfa"]),
        [],
        True,
    ),
    (
        "CA700",
        "Global",
        "BaseProtection-AllApps-AnyPlatform-BlockCountries",
        ["all"],
        _grant(["block"]),
        [],
        False,
    ),
    (
        "CA701",
        "Global",
        "IdentityProtection-AllApps-AnyPlatform-MFAMediumSigninRisk",
        ["all"],
        _grant(["mfa"]),
        ["medium"],
        True,
    ),
    (
        "CA702",
        "Global",
        "DataProtection-AllApps-AnyPlatform-TokenProtection",
        ["mobileAppsAndDesktopClients"],
        _grant(["mfa"]),
        [],
        False,
    ),
    (
        "CA703",
        "Global",
        "AttackSurfaceReduction-AuthenticationTransfer-Block",
        ["all"],
        _grant(["block"]),
        [],
        False,
    ),
)


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    members: Callable[[Shape], Iterator[int]]


def _fixed(members: list[int]) -> Callable[[Shape], Iterator[int]]:
    return lambda s: iter(members)


def _groups(shape: Shape) -> list[Group]:
    """The ~30 persona groups and who is in each (as user indices, generated on demand)."""
    n = shape.users
    admins = admin_indices(shape)
    service = list(range(3, n, 997))
    breakglass = [0]

    def members_of(persona: str) -> Callable[[Shape], Iterator[int]]:
        if persona == "Admins":
            return lambda s: iter(admins)
        if persona == "ServiceAccounts":
            return lambda s: iter(service)
        if persona == "Guests":
            return lambda s: (i for i in range(n) if is_guest(i))
        if persona == "Internals":
            admin_set, svc = set(admins), set(service)
            return lambda s: (
                i for i in range(1, n) if not is_guest(i) and i not in admin_set and i not in svc
            )
        return lambda s: iter(breakglass)

    groups = [Group(_uid(shape.seed, "g", 0), "CA-BreakGlassAccounts-Exclude", lambda s: iter(breakglass))]
    k = 1
    for persona in PERSONAS[1:]:
        groups.append(Group(_uid(shape.seed, "g", k), f"CA-Persona-{persona}", members_of(persona)))
        k += 1
        for suffix in (
            "BaseProtection",
            "IdentityProtection",
            "AttackSurfaceReduction",
            "DataProtection",
            "AppProtection",
            "ComplianceProtection",
        ):
            # per-purpose exclusion groups: a handful of people each, as in a real design
            start = (k * 7919) % max(1, n)
            excl = [(start + j * 104729) % n for j in range(k % 5)]
            groups.append(Group(_uid(shape.seed, "g", k), f"CA-{persona}-{suffix}-Exclusions", _fixed(excl)))
            k += 1
    return groups[:31]


def _ca_policies(shape: Shape, groups: list[Group]) -> list[dict[str, Any]]:
    by_name = {g.name: g.id for g in groups}
    breakglass = by_name["CA-BreakGlassAccounts-Exclude"]
    out = []
    for number, persona, purpose, clients, grant, risk, frequency in _POLICIES:
        area = purpose.split("-")[0]
        include: dict[str, Any]
        if persona == "Global":
            include = {"includeUsers": ["All"], "includeGroups": []}
        else:
            include = {"includeUsers": [], "includeGroups": [by_name[f"CA-Persona-{persona}"]]}
        exclusion = by_name.get(f"CA-{persona}-{area}-Exclusions")
        excluded = [breakglass] + ([exclusion] if exclusion else [])
        if persona == "Global":
            excluded.append(by_name["CA-Persona-ServiceAccounts"])
        h = _h(shape.seed, "ca", int(number[2:]))
        out.append(
            {
                "id": str(uuid.UUID(int=h, version=4)),
                "templateId": None,
                "displayName": f"{number}-{persona}-{purpose}",
                "createdDateTime": "2025-02-11T10:21:08.1234567Z",
                "modifiedDateTime": None,
                "state": "enabledForReportingButNotEnforced" if h % 9 == 0 else "enabled",
                "sessionControls": {
                    "signInFrequency": {
                        "value": 4,
                        "type": "hours",
                        "authenticationType": "primaryAndSecondaryAuthentication",
                        "frequencyInterval": "timeBased",
                        "isEnabled": True,
                    },
                    "persistentBrowser": None,
                    "applicationEnforcedRestrictions": None,
                    "cloudAppSecurity": None,
                    "disableResilienceDefaults": None,
                }
                if frequency
                else None,
                "conditions": {
                    "userRiskLevels": [],
                    "signInRiskLevels": risk,
                    "clientAppTypes": clients,
                    "servicePrincipalRiskLevels": [],
                    "insiderRiskLevels": None,
                    "platforms": None,
                    "locations": None,
                    "devices": None,
                    "clientApplications": None,
                    "authenticationFlows": {"transferMethods": "deviceCodeFlow"}
                    if "DeviceCode" in purpose
                    else None,
                    "applications": {
                        "includeApplications": ["All"],
                        "excludeApplications": [],
                        "includeUserActions": [],
                        "includeAuthenticationContextClassReferences": [],
                        "applicationFilter": None,
                    },
                    "users": {
                        "excludeUsers": [],
                        "excludeGroups": excluded,
                        "includeRoles": [],
                        "excludeRoles": [],
                        "includeGuestsOrExternalUsers": None,
                        "excludeGuestsOrExternalUsers": None,
                        **include,
                    },
                },
                "grantControls": grant,
            }
        )
    return out


# -- writing ------------------------------------------------------------------------------


class _Writer:
    """Compact JSON text written piece by piece (never the whole document in memory)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.buf: list[str] = []
        self.size = 0

    def put(self, text: str) -> None:
        self.buf.append(text)
        self.size += len(text)
        if self.size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.fh.write("".join(self.buf).encode("utf-8"))
        self.buf, self.size = [], 0

    def value(self, obj: Any) -> None:
        self.put(encode_value(obj).decode("utf-8"))  # the collector's own encoding

    def array(self, items: Iterator[Any]) -> None:
        self.put("[")
        first = True
        for item in items:
            if not first:
                self.put(",")
            first = False
            self.value(item)
        self.put("]")


#: the embedded demo snapshot, and the collections taken from it whole
DEMO_SNAPSHOT = ROOT / "auditor" / "data" / "demo-snapshot.json"
DEMO_PREFIXES = ("exchange", "sharepointTenant", "compliance", "teams", "dnsTxtRecords")


def _small_collections(shape: Shape) -> dict[str, Any]:
    """Collections whose size does not grow with users: the test server's tenant, completed with
    the demo snapshot's Exchange, SharePoint, Teams, Purview, DNS and logging settings (which
    the test server serves only in part), so that every built-in policy has its data."""
    base = make_tenant(users=8, seed=shape.seed)
    demo = json.loads(DEMO_SNAPSHOT.read_text(encoding="utf-8"))["data"]
    for name, value in demo.items():
        if name not in base or name.startswith(DEMO_PREFIXES):
            base[name] = value
    for name, value in list(base.items()):
        if COLLECTIONS.get(name) == "object" and isinstance(value, list):
            base[name] = value[0]  # the snapshot holds the cmdlet's single object
    for name in ("users", "userRegistrationDetails", "groups", "groupMembers", "conditionalAccessPolicies"):
        base.pop(name)
    for domain in base["domains"]:
        domain["isRoot"] = True
    base["organization"][0]["displayName"] = f"Contoso Synthetic ({shape.users:,} users)"
    for sku in base["subscribedSkus"]:
        sku["consumedUnits"] = shape.users
        sku["prepaidUnits"]["enabled"] = shape.users + 1000
    base["applications"] = [
        {
            "id": _uid(shape.seed, "app", i),
            "appId": _uid(shape.seed, "appid", i),
            "displayName": f"Line-of-business app {i}",
            "signInAudience": "AzureADMyOrg",
            "createdDateTime": "2024-05-01T09:00:00Z",
            "passwordCredentials": [
                {
                    "keyId": _uid(shape.seed, "secret", i),
                    "displayName": "ci",
                    "startDateTime": "2025-05-01T09:00:00Z",
                    "endDateTime": "2027-05-01T09:00:00Z" if i % 3 else "2030-05-01T09:00:00Z",
                    "hint": "abc",
                    "secretText": None,
                }
            ]
            if i % 2
            else [],
            "keyCredentials": [
                {
                    "keyId": _uid(shape.seed, "cert", i),
                    "displayName": "CN=app",
                    "type": "AsymmetricX509Cert",
                    "usage": "Verify",
                    "startDateTime": "2025-05-01T09:00:00Z",
                    "endDateTime": "2026-05-01T09:00:00Z",
                }
            ]
            if i % 5 == 0
            else [],
            "requiredResourceAccess": [],
        }
        for i in range(max(20, shape.users // 500))
    ]
    return base


def _role_collections(shape: Shape, user_id: Callable[[int], str]) -> dict[str, list[dict[str, Any]]]:
    admins = admin_indices(shape)
    assignments, eligible = [], []
    for k, i in enumerate(admins):
        role = GA if k < 2 else PRIVILEGED_ROLES[k % len(PRIVILEGED_ROLES)]
        entry = {"principalId": user_id(i), "roleDefinitionId": role, "directoryScopeId": "/"}
        if k < 2 or k % 2:
            assignments.append({"id": _uid(shape.seed, "ra", k), **entry})
        else:
            eligible.append(
                {
                    "id": _uid(shape.seed, "re", k),
                    **entry,
                    "memberType": "Direct",
                    "status": "Provisioned",
                    "createdDateTime": "2025-06-01T00:00:00Z",
                    "scheduleInfo": {
                        "startDateTime": "2025-06-01T00:00:00Z",
                        "expiration": {"type": "noExpiration", "endDateTime": None, "duration": None},
                    },
                }
            )
    instances = [
        {
            "id": _uid(shape.seed, "rai", k),
            "principalId": a["principalId"],
            "roleDefinitionId": a["roleDefinitionId"],
            "directoryScopeId": "/",
            "assignmentType": "Assigned",
            "memberType": "Direct",
            "startDateTime": None,
            "endDateTime": None,
        }
        for k, a in enumerate(assignments)
    ]
    return {
        "roleAssignments": assignments,
        "roleEligibilitySchedules": eligible,
        "roleAssignmentScheduleInstances": instances,
    }


def generate(out: str | Path, shape: Shape) -> dict[str, int]:
    """Write the snapshot to ``out`` (gzip, fast level, when it ends in ``.gz``); returns counts."""
    path = Path(out)
    admins = set(admin_indices(shape))

    def user_id(i: int) -> str:
        return str(uuid.UUID(int=_h(shape.seed, "u", i), version=4))

    groups = _groups(shape)
    ca = _ca_policies(shape, groups)
    small = _small_collections(shape)
    small.update(_role_collections(shape, user_id))
    small["conditionalAccessPolicies"] = ca
    small["groups"] = [
        {
            "id": g.id,
            "displayName": g.name,
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
            "isAssignableToRole": g.name == "CA-Persona-Admins",
            "visibility": None,
        }
        for g in groups
    ]
    names = ["users", "userRegistrationDetails", "groupMembers", *small]
    sources = {
        name: {"status": "ok", "endpoint": f"GET /v1.0/{name}", "retrievedAt": COLLECTED_AT} for name in names
    }

    def opener() -> IO[bytes]:
        if path.name.endswith(".gz"):
            return gzip.open(path, "wb", compresslevel=1)  # type: ignore[return-value]
        return path.open("wb")

    counts = {"users": shape.users}
    with opener() as fh:
        w = _Writer(fh)
        w.put('{"schemaVersion":1,"tenant":')
        w.value({"id": TENANT_ID, "displayName": "Contoso Synthetic", "defaultDomain": DOMAIN})
        w.put(f',"collectedAt":"{COLLECTED_AT}","collector":')
        w.value({"tool": "gen_tenant", "version": "1", "principal": None, "cloud": "global"})
        w.put(',"sources":')
        w.value(sources)
        w.put(',"data":{"users":')
        w.array(user_pair(shape, i)[0] for i in range(shape.users))

        def registrations() -> Iterator[dict[str, Any]]:
            for i in range(shape.users):
                reg = user_pair(shape, i)[1]
                if i in admins:
                    reg["isAdmin"] = True
                yield reg

        w.put(',"userRegistrationDetails":')
        w.array(registrations())
        w.put(',"groupMembers":{')
        for k, g in enumerate(groups):
            w.put(("," if k else "") + json.dumps(g.id) + ":")
            w.array({"@odata.type": "#microsoft.graph.user", "id": user_id(i)} for i in g.members(shape))
        w.put("}")
        for name, value in small.items():
            w.put(f",{json.dumps(name)}:")
            w.value(value)
            counts[name] = len(value) if isinstance(value, list) else 1
        w.put("}}\n")
        w.flush()
    counts["groups"] = len(groups)
    counts["conditionalAccessPolicies"] = len(ca)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True, help="snapshot file (.json or .json.gz)")
    parser.add_argument("--all-failing", action="store_true", help="every member has no MFA method")
    parser.add_argument("--privileged", type=int, default=2, help="principals holding privileged roles")
    args = parser.parse_args(argv)
    shape = Shape(args.users, args.seed, args.all_failing, args.privileged)
    counts = generate(args.out, shape)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
