"""External users without a user object, application groups, blocks and device states.

Cited pages (learn.microsoft.com/…):
- external:  entra/external-id/authentication-conditional-access (external user types: B2B direct
  connect users, service provider users, other external users have no user object in the
  resource tenant but are reached by "All users" and by guest-type conditions)
- office365: entra/identity/conditional-access/reference-office-365-application-contents (apps in
  the Office 365 suite, Microsoft Forms among them)
- portals:   entra/identity/conditional-access/concept-conditional-access-cloud-apps#microsoft-admin-portals
- grant:     entra/identity/conditional-access/concept-conditional-access-grant (block access)
- session:   entra/identity/conditional-access/concept-conditional-access-session
- devices:   graph beta conditionalAccessDevices (includeDevices/excludeDevices: All, Compliant,
  DomainJoined) and conditionalAccessDeviceStates (includeStates/excludeStates)
"""

from __future__ import annotations

from typing import Any

from .conftest import GA, ca, user

FORMS = "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87"


def tenant(*policies: dict[str, Any]) -> dict[str, Any]:
    return {
        "users": [user("u1"), user("adm", "admin@contoso.com")],
        "groupMembers": {},
        "roleAssignments": [
            {"id": "a1", "principalId": "adm", "roleDefinitionId": GA, "directoryScopeId": "/"}
        ],
        "roleEligibilitySchedules": [],
        "conditionalAccessPolicies": list(policies),
    }


def excluding_types(
    policy: dict[str, Any], types: str, tenants: dict[str, Any] | None = None
) -> dict[str, Any]:
    policy["conditions"]["users"]["excludeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": types,
        "externalTenants": tenants or {"membershipKind": "all"},
    }
    return policy


def test_objectless_external_users_are_judged_by_stand_ins(judge: Any) -> None:
    """external: a policy set that excludes B2B direct connect users, with no other policy for
    them, leaves them uncovered; the gap names the type."""
    data = tenant(excluding_types(ca("MFA except direct connect"), "b2bDirectConnectUser"))
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False
    assert result["uncoveredUsers"] == ["(any B2B direct connect user)"]
    assert "excludes guest type b2bDirectConnectUser" in result["summary"]


def test_stand_ins_are_covered_by_all_users_and_never_by_groups_or_roles(judge: Any) -> None:
    """external, users-groups: "All users" includes external users; a stand-in has no object, so
    no group or role can hold (or exclude) it."""
    assert judge(tenant(ca("MFA")), {"require": "mfa"})["covered"] is True
    data = tenant(ca("MFA except group", exclude_groups=("g-x",)))
    data["groupMembers"]["g-x"] = []
    assert judge(data, {"require": "mfa"})["covered"] is True


def test_a_guest_type_scope_limited_to_some_tenants_counts_against_stand_ins(judge: Any) -> None:
    """external: a scope naming some external tenants excludes only their users; a stand-in
    stands for users of every tenant, so an include limited to some tenants does not cover it."""
    policy = ca("MFA for partner service providers", include_users=())
    policy["conditions"]["users"]["includeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "serviceProvider",
        "externalTenants": {"membershipKind": "enumerated", "members": ["tenant-a"]},
    }
    data = tenant(ca("MFA except service providers"), policy)
    data["conditionalAccessPolicies"][0] = excluding_types(
        data["conditionalAccessPolicies"][0], "serviceProvider"
    )
    result = judge(data, {"require": "mfa"})
    assert result["uncoveredUsers"] == ["(any service provider user)"]


def test_office_365_group_includes_microsoft_forms(judge: Any) -> None:
    """office365: Microsoft Forms is a member of the Office 365 suite."""
    data = tenant(ca("MFA for Office 365", apps=("Office365",)))
    assert judge(data, {"require": "mfa", "apps": [FORMS]})["covered"] is True
    data = tenant(
        ca("MFA for everything but Office 365", exclude_apps=("Office365",)),
        ca("MFA for Forms", apps=(FORMS,)),
    )
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False  # the rest of the suite is open: 12 listed members + the others
    assert (
        "on Office 365 Exchange Online, Office 365 SharePoint Online, Skype for Business Online and 10 more"
        in (result["summary"])
    )


def test_admin_portals_group_is_covered_only_by_policies_targeting_it(judge: Any) -> None:
    """portals: MicrosoftAdminPortals is its own target."""
    data = tenant(
        ca("MFA for admin portals", apps=("MicrosoftAdminPortals",)),
        ca("MFA for everything else", exclude_apps=("MicrosoftAdminPortals",)),
    )
    assert judge(data, {"require": "mfa"})["covered"] is True
    data["conditionalAccessPolicies"].pop(0)
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False and "(Microsoft admin portals)" in result["summary"]


def test_a_block_meets_session_requirements(judge: Any) -> None:
    """grant, session: a blocked sign-in never gets a session, so a block meets sign-in
    frequency and persistent-browser requirements on the paths it covers."""
    data = tenant(ca("Block admins", include_users=(), include_roles=(GA,), controls=("block",)))
    assert judge(data, {"require": "signInFrequency", "roles": [GA], "maxHours": 4})["covered"] is True
    assert judge(data, {"require": "persistentBrowserNever", "roles": [GA]})["covered"] is True


def test_device_states_narrow_a_policy(judge: Any) -> None:
    """devices: "exclude compliant devices" leaves sign-ins from compliant devices to others."""
    narrowed = ca(
        "MFA on unmanaged devices", devices={"includeDevices": ["All"], "excludeDevices": ["Compliant"]}
    )
    data = tenant(narrowed)
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False and "on a compliant device" in result["summary"]
    data["conditionalAccessPolicies"].append(
        ca("MFA on compliant devices", devices={"includeDevices": ["Compliant"], "excludeDevices": []})
    )
    assert judge(data, {"require": "mfa"})["covered"] is True
    older = ca(
        "MFA off hybrid joined", deviceStates={"includeStates": ["All"], "excludeStates": ["DomainJoined"]}
    )
    result = judge(tenant(older), {"require": "mfa"})
    assert result["covered"] is False and "hybrid joined device" in result["summary"]


def test_a_device_filter_still_counts_nowhere(judge: Any) -> None:
    """conditions: a device filter cannot be evaluated for users in general."""
    data = tenant(
        ca(
            "MFA filtered",
            devices={"deviceFilter": {"mode": "include", "rule": "device.isCompliant -eq True"}},
        )
    )
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False and "applies only under a device filter" in result["summary"]
