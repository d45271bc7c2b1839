"""Administrators as conditional access sees them, and every principal accounted for.

Cited pages (learn.microsoft.com/entra/…):
- users-groups: identity/conditional-access/concept-conditional-access-users-groups
  (directory roles: users must *actively* hold the role for a role condition to apply, so a
  PIM-eligible holder is matched only after activation; role assignments scoped to an
  administrative unit are not supported by conditional access)
- admin-mfa:    identity/conditional-access/policy-old-require-mfa-admin (same warning on scoped roles)
- pim:          id-governance/privileged-identity-management/pim-how-to-activate-role
- scuba:        ScubaGear baselines/aad.md MS.AAD.7.1v1 (the Global Administrator count counts
  active and eligible assignments, and service principals)
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.coverage import CoverageError

from .conftest import GA, ca, member, user

UA = "fe930be7-5e62-47db-91af-98c3a49a38b1"  # User Administrator
PHISH = {"id": "00000000-0000-0000-0000-000000000004"}  # built-in phishing-resistant strength


def tenant(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "users": [user("u1"), user("adm", "admin@contoso.com")],
        "groupMembers": {"g-admins": [member("adm")]},
        "roleAssignments": [],
        "roleEligibilitySchedules": [],
        "servicePrincipals": [{"id": "sp-1", "displayName": "Backup automation", "appId": "app-1"}],
        "conditionalAccessPolicies": [
            ca("Users MFA", exclude_groups=("g-admins",)),  # admins have their own policy
            ca(
                "Admins phishing-resistant",
                include_users=(),
                include_roles=(GA,),
                controls=(),
                strength=PHISH,
            ),
        ],
    }
    data.update(extra)
    return data


def assignment(principal: str, role: str = GA, scope: str = "/") -> dict[str, Any]:
    return {
        "id": f"a-{principal}-{role}",
        "principalId": principal,
        "roleDefinitionId": role,
        "directoryScopeId": scope,
    }


def test_active_admin_is_matched_by_the_role_condition(judge: Any) -> None:
    """users-groups: an active, tenant-wide holder is matched by includeRoles."""
    data = tenant(roleAssignments=[assignment("adm")])
    assert judge(data, {"require": "phishingResistantMfa", "roles": [GA]})["covered"] is True


def test_eligible_only_admin_outside_every_user_policy_fails(judge: Any) -> None:
    """Union test (users-groups, pim): before activation the role condition does not match, and
    the admins' exclusion from the user policy leaves the eligible holder with no MFA at all."""
    data = tenant(roleEligibilitySchedules=[assignment("adm")])
    result = judge(data, {"require": "mfa", "roles": [GA]})
    assert result["covered"] is False and result["uncoveredUsers"] == ["admin@contoso.com"]
    assert "before activating eligible role 'Global Administrator'" in result["summary"]
    # after activation they are covered: only the "before" state is named
    assert "activated:" not in result["summary"]


def test_eligible_admin_is_judged_in_both_states(judge: Any) -> None:
    """users-groups, pim: covered before activation by the user policy (MFA) and after by the
    role policy; the phishing-resistant requirement holds only after activation, so it fails."""
    data = tenant(roleEligibilitySchedules=[assignment("adm")])
    data["conditionalAccessPolicies"][0] = ca("Users MFA")  # no admin exclusion
    assert judge(data, {"require": "mfa", "roles": [GA]})["covered"] is True
    result = judge(data, {"require": "phishingResistantMfa", "roles": [GA]})
    assert result["covered"] is False
    assert "before activating eligible role 'Global Administrator'" in result["summary"]


def test_eligible_admin_excluded_by_role_only_after_activation(judge: Any) -> None:
    """users-groups: excludeRoles also only matches active holders - an eligible GA is still in
    "All users except Global Administrators" until they activate."""
    data = tenant(roleEligibilitySchedules=[assignment("adm")])
    data["conditionalAccessPolicies"] = [ca("Users MFA except GA", exclude_roles=(GA,))]
    result = judge(data, {"require": "mfa", "roles": [GA]})
    assert result["covered"] is False
    assert "with eligible role 'Global Administrator' activated" in result["summary"]
    assert "excludes them through role 'Global Administrator'" in result["summary"]


def test_au_scoped_admin_fails_the_admin_control_but_all_users_policies_cover_them(judge: Any) -> None:
    """Union test (users-groups, admin-mfa): an assignment scoped to an administrative unit does
    not satisfy the role condition, and the failure says so; "All users" still covers them."""
    data = tenant(roleAssignments=[assignment("adm", UA, "/administrativeUnits/au-1")])
    data["conditionalAccessPolicies"] = [
        ca("Users MFA"),
        ca("UA phishing-resistant", include_users=(), include_roles=(UA,), controls=(), strength=PHISH),
    ]
    result = judge(data, {"require": "phishingResistantMfa", "roles": [UA]})
    assert result["covered"] is False and result["uncoveredUsers"] == ["admin@contoso.com"]
    assert "holds 'User Administrator' only over an administrative unit" in result["summary"]
    assert judge(data, {"require": "mfa"})["covered"] is True
    # the counting view still lists them, marked as not tenant-wide
    holders = judge(data, {"roles": [UA], "eligible": True})
    assert [(h["userPrincipalName"], h["tenantWide"]) for h in holders] == [("admin@contoso.com", False)]


def test_counting_keeps_eligible_holders(judge: Any) -> None:
    """scuba MS.AAD.7.1v1: eligible Global Administrators are counted."""
    data = tenant(roleAssignments=[assignment("u1")], roleEligibilitySchedules=[assignment("adm")])
    holders = judge(data, {"roles": [GA], "eligible": True})
    assert [h["userPrincipalName"] for h in holders] == ["admin@contoso.com", "u1@contoso.com"]


def test_a_global_admin_held_by_an_unknown_principal_is_an_error(judge: Any) -> None:
    """Union test: a principal that is neither a user, a group nor a service principal of the
    snapshot is never a silent zero, neither for counting nor for coverage."""
    data = tenant(roleAssignments=[assignment("adm"), assignment("ghost-1")], groups=[])
    with pytest.raises(CoverageError, match="ghost-1 \\('Global Administrator'\\)"):
        judge(data, {"roles": [GA], "eligible": True})
    with pytest.raises(CoverageError, match="ghost-1"):
        judge(data, {"require": "phishingResistantMfa", "roles": [GA]})
    with pytest.raises(CoverageError, match="ghost-1"):  # a policy excludes/includes that role
        judge(data, {"require": "phishingResistantMfa"})


def test_a_service_principal_holding_a_role_is_listed_not_dropped(judge: Any) -> None:
    """scuba MS.AAD.7.1v1 counts service principals holding Global Administrator."""
    data = tenant(roleAssignments=[assignment("adm"), assignment("sp-1")])
    sps = judge(data, {"roles": [GA], "eligible": True, "sp": True})
    assert [(s["displayName"], s["active"]) for s in sps] == [("Backup automation", True)]
    # without servicePrincipals in the snapshot it cannot be told from a deleted object
    del data["servicePrincipals"]
    with pytest.raises(CoverageError, match="sp-1"):
        judge(data, {"roles": [GA], "eligible": True})


def test_a_role_held_through_a_group_missing_from_groupmembers_is_an_error(judge: Any) -> None:
    """users-groups: role-assignable groups count as their members; unknown members are never none."""
    data = tenant(
        roleAssignments=[assignment("g-ga-holders")],
        groups=[{"id": "g-ga-holders", "displayName": "GA holders"}, {"id": "g-admins"}],
    )
    with pytest.raises(CoverageError, match="'GA holders'"):
        judge(data, {"roles": [GA], "eligible": True})
    with pytest.raises(CoverageError, match="'GA holders'"):
        judge(data, {"require": "mfa", "roles": [GA]})
