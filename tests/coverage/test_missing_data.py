"""Exact under missing data: `error` only when some value of the unknown memberships changes
the verdict, naming the groups that decide it and nothing else.

users-groups (learn.microsoft.com/entra/identity/conditional-access/concept-conditional-access-users-groups):
a group condition asks whether the user is a (transitive) member; the same group asks the same
question in every policy that names it, so it is one unknown, not one per mention.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.coverage import CoverageError

from .conftest import GA, ca, user

BG, OTHER = "g-breakglass", "g-other"


def tenant(*policies: dict[str, Any]) -> dict[str, Any]:
    return {
        "users": [user(f"u{i}") for i in range(5)],
        "groups": [{"id": BG, "displayName": "Break glass"}, {"id": OTHER, "displayName": "Pilot"}],
        "roleAssignments": [],
        "roleEligibilitySchedules": [],
        "conditionalAccessPolicies": list(policies),
    }


NOT_COLLECTED = {"groupMembers": "error"}


def test_declared_break_glass_groups_with_unknown_members_pass(judge: Any) -> None:
    """Union test: every user is either in the break-glass group (exempt) or not (covered by the
    policy that excludes only that group), whatever its membership."""
    data = tenant(ca("MFA except break glass", exclude_groups=(BG,)), ca("Block legacy", controls=("block",)))
    result = judge(data, {"require": "mfa", "breakGlassGroups": [BG]}, NOT_COLLECTED)
    assert result["covered"] is True and result["undetermined"] == 0


def test_only_the_groups_that_decide_are_named(judge: Any) -> None:
    """An excluded pilot group decides the verdict (and with it the break-glass group, whose
    members are exempt); a group whose value never changes the verdict is not named."""
    data = tenant(
        ca("MFA except break glass and pilot", exclude_groups=(BG, OTHER)),
        ca("MFA on browsers for the lab", include_users=(), include_groups=("g-lab",), clients=("browser",)),
    )
    with pytest.raises(CoverageError) as err:
        judge(data, {"require": "mfa", "breakGlassGroups": [BG]}, NOT_COLLECTED)
    assert "'Pilot'" in str(err.value) and "g-lab" not in str(err.value)


def test_the_same_group_in_two_policies_is_one_unknown(judge: Any) -> None:
    """Included by one policy, excluded by the other: members and non-members are both covered."""
    data = tenant(
        ca("MFA for pilot", include_users=(), include_groups=(OTHER,)),
        ca("MFA for everyone else", exclude_groups=(OTHER,)),
    )
    assert judge(data, {"require": "mfa"}, NOT_COLLECTED)["covered"] is True


def test_unknown_groups_in_policies_that_cannot_meet_the_requirement_do_not_matter(judge: Any) -> None:
    data = tenant(
        ca("MFA"),
        ca("Terms for pilot", include_users=(), include_groups=(OTHER,), controls=("compliantDevice",)),
    )
    assert judge(data, {"require": "mfa"}, NOT_COLLECTED)["covered"] is True


def test_unknown_role_holders_decide_only_when_a_role_condition_matters(judge: Any) -> None:
    """users-groups: role conditions; with role assignments not collected, who holds the role is
    unknown - an error only when a policy that could meet the requirement names that role."""
    data = tenant(ca("MFA except GA", exclude_roles=(GA,)))
    del data["roleAssignments"]
    with pytest.raises(CoverageError, match="depends on who holds 'Global Administrator'"):
        judge(data, {"require": "mfa"})
    data["conditionalAccessPolicies"] = [ca("MFA"), ca("MFA for GA", include_users=(), include_roles=(GA,))]
    assert judge(data, {"require": "mfa"})["covered"] is True


def test_a_known_failure_is_never_hidden_by_unknowns(judge: Any) -> None:
    """A user uncovered under every value of the unknowns is uncovered, not undetermined."""
    data = tenant(ca("MFA on browsers except pilot", clients=("browser",), exclude_groups=(OTHER,)))
    result = judge(data, {"require": "mfa"}, NOT_COLLECTED)
    assert result["covered"] is False and result["uncovered"] == 8  # 5 users, 3 stand-ins
    assert result["undetermined"] == 0
