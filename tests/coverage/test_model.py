"""The conditional access model, rule by rule, each test citing the documentation it follows.

Microsoft Learn pages (learn.microsoft.com/entra/identity/conditional-access/…) are cited by slug:
- users-groups: concept-conditional-access-users-groups
- cloud-apps:   concept-conditional-access-cloud-apps
- conditions:   concept-conditional-access-conditions
- grant:        concept-conditional-access-grant
- strengths:    ../authentication/concept-authentication-strengths
- policies:     concept-conditional-access-policies ("all policies that apply are enforced")
- report-only:  concept-conditional-access-report-only
- external:     ../../external-id/authentication-conditional-access (guest types)
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.coverage import CoverageError

from .conftest import GA, ca, member, user

INTERNALS, GUESTS, SVC, MFA_EXCL, EMPTY_EXCL, NESTED = (
    "g-int",
    "g-guest",
    "g-svc",
    "g-mfa-excl",
    "g-empty",
    "g-nested",
)


def persona_tenant(n: int = 30) -> dict[str, Any]:
    """Internals, guests and service accounts, each covered by its own persona policy.

    Modelled on Microsoft's Zero Trust persona design: a global baseline that excludes the
    persona exclusion groups, plus a policy per persona.
    """
    users = [user(f"u{i}") for i in range(n)]
    users += [user("guest1", "guest1_fabrikam.com#EXT#@contoso.onmicrosoft.com", userType="Guest")]
    users += [user("svc1", "svc-backup@contoso.com")]
    return {
        "users": users,
        "groupMembers": {
            INTERNALS: [member(f"u{i}") for i in range(n)],
            GUESTS: [member("guest1")],
            SVC: [member("svc1")],
            EMPTY_EXCL: [],
        },
        "roleAssignments": [],
        "roleEligibilitySchedules": [],
        "conditionalAccessPolicies": [
            ca(
                "CA200 Internals MFA",
                include_users=(),
                include_groups=(INTERNALS,),
                exclude_groups=(EMPTY_EXCL,),
            ),
            ca("CA400 Guests MFA", include_users=(), include_groups=(GUESTS,)),
            ca("CA300 Service accounts MFA", include_users=(), include_groups=(SVC,)),
            ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
            external_mfa(),
        ],
    }


def external_mfa() -> dict[str, Any]:
    """MFA for the external user types that have no user object (B2B direct connect, service
    providers, other external users), as the persona design's guest policy targets them by type."""
    policy = ca("CA401 External users MFA", include_users=())
    policy["conditions"]["users"]["includeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "b2bDirectConnectUser,otherExternalUser,serviceProvider",
        "externalTenants": {"membershipKind": "all"},
    }
    return policy


def test_persona_groups_that_together_cover_everyone_pass(judge: Any) -> None:
    """policies: every applicable policy is enforced, so coverage is the union over policies."""
    result = judge(persona_tenant(), {"require": "mfa"})
    assert result["covered"] is True
    assert result["subjects"] == 35 and result["uncovered"] == 0  # 32 users and 3 stand-ins


def test_one_user_outside_every_persona_fails_and_is_named(judge: Any) -> None:
    data = persona_tenant()
    data["users"].append(user("stray", "stray@contoso.com"))
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False
    assert result["uncovered"] == 1 and result["uncoveredUsers"] == ["stray@contoso.com"]
    assert "stray@contoso.com" in result["summary"]
    assert "not include them" in result["summary"]


def test_an_empty_exclusion_group_passes(judge: Any) -> None:
    """users-groups: an exclusion removes only the group's members; an empty group removes nobody."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [
        ca("CA000 Global MFA", exclude_groups=(EMPTY_EXCL,)),
        ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
    ]
    assert judge(data, {"require": "mfa"})["covered"] is True


def test_a_populated_exclusion_group_names_its_members_and_the_group(judge: Any) -> None:
    """users-groups: "exclusions take precedence over inclusions"."""
    data = persona_tenant()
    data["groups"] = [{"id": MFA_EXCL, "displayName": "MFA exclusions"}]
    data["groupMembers"][MFA_EXCL] = [member("u3"), member("u4")]
    data["conditionalAccessPolicies"] = [
        ca("CA000 Global MFA", exclude_groups=(MFA_EXCL,)),
        ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
    ]
    result = judge(data, {"require": "mfa"})
    assert result["uncovered"] == 2
    assert result["uncoveredUsers"] == ["u3@contoso.com", "u4@contoso.com"]
    assert "excludes them through group 'MFA exclusions'" in result["summary"]


def test_a_nested_group_inside_an_exclusion_group_is_followed(judge: Any) -> None:
    """users-groups: nested groups count; groupMembers holds /transitiveMembers, so members of a
    nested group are listed (the nested group object itself is not a user)."""
    data = persona_tenant()
    data["groupMembers"][MFA_EXCL] = [{"@odata.type": "#microsoft.graph.group", "id": NESTED}, member("u7")]
    data["conditionalAccessPolicies"] = [
        ca("CA000 Global MFA", exclude_groups=(MFA_EXCL,)),
        ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
    ]
    result = judge(data, {"require": "mfa"})
    assert result["uncoveredUsers"] == ["u7@contoso.com"]


def test_an_app_excluded_from_one_policy_and_covered_by_another_passes(judge: Any) -> None:
    """cloud-apps: excluded applications are not targeted by that policy; another policy may target them."""
    exo = "00000002-0000-0ff1-ce00-000000000000"
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [
        ca("CA000 MFA except Exchange", exclude_apps=(exo,)),
        ca("CA010 MFA for Exchange", apps=(exo,)),
        ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
    ]
    assert judge(data, {"require": "mfa"})["covered"] is True
    data["conditionalAccessPolicies"].pop(1)
    result = judge(data, {"require": "mfa"})
    assert result["covered"] is False
    assert "Office 365 Exchange Online" in result["gaps"][0]["where"]


def test_office365_group_covers_its_apps(judge: Any) -> None:
    """cloud-apps: "Office 365" targets Exchange, SharePoint, Teams and the other Office apps together."""
    exo = "00000002-0000-0ff1-ce00-000000000000"
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [
        ca("CA000 MFA except Exchange", exclude_apps=(exo,)),
        ca("CA011 MFA for Office 365", apps=("Office365",)),
        ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
    ]
    assert judge(data, {"require": "mfa"})["covered"] is True


def test_mobile_clients_left_out_are_named(judge: Any) -> None:
    """conditions: client app types narrow a policy to the listed clients."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [
        ca("CA000 MFA browsers", clients=("browser",)),
        ca("CA002 Block legacy", clients=("exchangeActiveSync", "other"), controls=("block",)),
    ]
    result = judge(data, {"require": "mfa"})
    assert result["uncovered"] == 35  # 32 users and the 3 external stand-ins
    assert "mobile apps and desktop clients" in result["gaps"][0]["where"]
    assert "does not apply to mobile apps and desktop clients" in result["gaps"][0]["why"]


def test_report_only_and_disabled_policies_never_count(judge: Any) -> None:
    """report-only: policies in report-only mode are evaluated but not enforced."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [
        ca("CA000 Global MFA", state="enabledForReportingButNotEnforced"),
        ca("CA001 Global MFA (off)", state="disabled"),
    ]
    result = judge(data, {"require": "mfa"})
    assert result["uncovered"] == 35  # 32 users and the 3 external stand-ins
    assert "would, but is not enforced (state enabledForReportingButNotEnforced)" in result["summary"]


@pytest.mark.parametrize(
    ("operator", "controls", "covered"),
    [
        ("OR", ("mfa",), True),
        ("AND", ("mfa", "compliantDevice"), True),
        ("OR", ("mfa", "compliantDevice"), False),  # grant: OR lets the user satisfy either control
        ("OR", ("block",), True),  # a block meets every requirement
        ("OR", ("compliantDevice",), False),
    ],
)
def test_grant_operator(judge: Any, operator: str, controls: tuple[str, ...], covered: bool) -> None:
    """grant: "Require all the selected controls" (AND) vs "Require one of the selected controls" (OR)."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [ca("CA000", controls=controls, operator=operator)]
    assert judge(data, {"require": "mfa"})["covered"] is covered


def _strength(*combos: str) -> dict[str, Any]:
    return {"id": "s-custom", "displayName": "Custom strength", "allowedCombinations": list(combos)}


@pytest.mark.parametrize(
    ("combos", "mfa", "phishing_resistant"),
    [
        (("windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"), True, True),
        (("password,microsoftAuthenticatorPush", "fido2"), True, False),
        (
            ("password",),
            False,
            False,
        ),  # a password alone is single-factor (ScubaGear MS.AAD.3.2v1 false pass)
        (("password,sms", "password"), False, False),  # one single-factor combination is enough to fail
        ((), False, False),  # no combination at all is not MFA
        (("sms",), False, False),
        (("temporaryAccessPassOneTime",), True, False),
    ],
)
def test_authentication_strength_judged_by_its_combinations(
    judge: Any, combos: tuple[str, ...], mfa: bool, phishing_resistant: bool
) -> None:
    """strengths: a strength is met by any one of its allowed combinations, so it is MFA only when
    every combination is multifactor, and phishing-resistant only when every one is."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [ca("CA000", controls=(), strength=_strength(*combos))]
    assert judge(data, {"require": "mfa"})["covered"] is mfa
    assert judge(data, {"require": "phishingResistantMfa"})["covered"] is phishing_resistant


def test_strength_without_combinations_is_looked_up_by_id(judge: Any) -> None:
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [ca("CA000", controls=(), strength={"id": "s-custom"})]
    data["authenticationStrengthPolicies"] = [
        {"id": "s-custom", "displayName": "Weak", "allowedCombinations": ["password"]}
    ]
    assert judge(data, {"require": "mfa"})["covered"] is False


def test_built_in_strengths_are_known_by_id(judge: Any) -> None:
    """strengths: the built-in strengths have fixed ids; exports may omit their combinations."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [
        ca("CA000", controls=(), strength={"id": "00000000-0000-0000-0000-000000000004"})
    ]
    assert judge(data, {"require": "phishingResistantMfa"})["covered"] is True
    data["conditionalAccessPolicies"][0]["grantControls"]["authenticationStrength"]["id"] = (
        "00000000-0000-0000-0000-000000000002"
    )
    assert judge(data, {"require": "phishingResistantMfa"})["covered"] is False
    assert judge(data, {"require": "mfa"})["covered"] is True


def test_unknown_membership_is_an_error_for_the_users_it_could_affect(judge: Any) -> None:
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [ca("CA000 Global MFA", exclude_groups=("g-not-collected",))]
    with pytest.raises(
        CoverageError, match=r"members of group.s. g-not-collected: their members were not collected"
    ):
        judge(data, {"require": "mfa", "clients": ["browser"]})


def test_unknown_membership_never_hides_a_known_failure(judge: Any) -> None:
    data = persona_tenant()
    data["users"].append(user("stray"))
    data["conditionalAccessPolicies"] = [
        ca("CA200 Internals", include_users=(), include_groups=(INTERNALS,), exclude_groups=("g-x",)),
    ]
    result = judge(data, {"require": "mfa", "clients": ["browser"]})
    assert (
        result["covered"] is False and result["uncovered"] == 6
    )  # stray, guest1, svc1 (in no included group) and the 3 external stand-ins
    assert result["undetermined"] == 30


def test_groupmembers_not_collected_is_an_error_when_groups_matter(judge: Any) -> None:
    data = persona_tenant()
    with pytest.raises(CoverageError, match="groupMembers was not collected"):
        judge(data, {"require": "mfa", "clients": ["browser"]}, {"groupMembers": "forbidden"})


def test_guest_types(judge: Any) -> None:
    """external: guest user type + external identity = b2bCollaborationGuest; member + external =
    b2bCollaborationMember; guest without external identity = internalGuest."""
    data = persona_tenant()
    data["users"] += [
        user("ext-member", "m_fabrikam.com#EXT#@contoso.onmicrosoft.com"),
        user("local-guest", "lg@contoso.com", userType="Guest"),
    ]
    data["groupMembers"][GUESTS] = []
    cond = {
        "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember",
        "externalTenants": {"membershipKind": "all"},
    }
    pol = ca("CA400 Guests", include_users=())
    pol["conditions"]["users"]["includeGuestsOrExternalUsers"] = cond
    data["conditionalAccessPolicies"] = [*persona_tenant()["conditionalAccessPolicies"][:1], pol]
    result = judge(data, {"require": "mfa", "clients": ["browser"]})
    assert sorted(result["uncoveredUsers"]) == [
        "(any B2B direct connect user)",
        "(any other external user)",
        "(any service provider user)",
        "lg@contoso.com",
        "svc-backup@contoso.com",
    ]


def test_role_holders_direct_through_groups_and_eligible(judge: Any) -> None:
    """users-groups: directory roles include members of role-assignable groups holding the role."""
    data = persona_tenant()
    data["groupMembers"]["g-ga"] = [member("u1"), member("u2"), member("u3")]
    data["roleAssignments"] = [
        {"principalId": "g-ga", "roleDefinitionId": GA, "directoryScopeId": "/"},
        {"principalId": "u9", "roleDefinitionId": GA, "directoryScopeId": "/"},
    ]
    data["roleEligibilitySchedules"] = [
        {"principalId": "u10", "roleDefinitionId": GA, "directoryScopeId": "/"}
    ]
    holders = judge(data, {"roles": [GA], "eligible": True})
    assert [h["id"] for h in holders] == ["u10", "u1", "u2", "u3", "u9"]  # sorted by principal name
    assert next(h for h in holders if h["id"] == "u1")["viaGroups"] == ["g-ga"]
    assert next(h for h in holders if h["id"] == "u10")["eligible"] is True
    assert len(judge(data, {"roles": [GA], "eligible": False})) == 4


def test_role_held_by_group_without_members_is_an_error(judge: Any) -> None:
    data = persona_tenant()
    data["groups"] = [{"id": "g-ga", "displayName": "GA holders"}]
    data["roleAssignments"] = [{"principalId": "g-ga", "roleDefinitionId": GA, "directoryScopeId": "/"}]
    with pytest.raises(CoverageError, match="'GA holders'"):
        judge(data, {"roles": [GA], "eligible": False})


def test_admin_requirement_judges_holders_including_group_members(judge: Any) -> None:
    data = persona_tenant()
    data["groupMembers"]["g-ga"] = [member("u1"), member("u2")]
    data["roleAssignments"] = [{"principalId": "g-ga", "roleDefinitionId": GA, "directoryScopeId": "/"}]
    data["conditionalAccessPolicies"] = [
        ca("CA100 Admins MFA", include_users=(), include_roles=(GA,), clients=("browser",))
    ]
    result = judge(data, {"require": "mfa", "roles": [GA], "clients": ["browser"]})
    assert result["covered"] is True and result["subjects"] == 2
    data["conditionalAccessPolicies"][0]["conditions"]["users"]["excludeUsers"] = ["u2"]
    result = judge(data, {"require": "mfa", "roles": [GA], "clients": ["browser"]})
    assert result["uncoveredUsers"] == ["u2@contoso.com"]


def test_risk_requirement_without_p2_fails(judge: Any) -> None:
    """conditions (user risk, sign-in risk): risk detection needs Microsoft Entra ID P2."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [
        ca("CA201 Block high user risk", controls=("block",), userRiskLevels=["high"])
    ]
    data["subscribedSkus"] = [
        {"capabilityStatus": "Enabled", "servicePlans": [{"servicePlanName": "AAD_PREMIUM"}]}
    ]
    result = judge(data, {"require": "block", "userRisk": ["high"]})
    assert result["covered"] is False and result["licensed"] is False
    assert "no Microsoft Entra ID P2" in result["summary"]
    data["subscribedSkus"][0]["servicePlans"].append(
        {"servicePlanId": "eec0eb4f-6444-4f95-aba0-50c24d67f998"}
    )
    assert judge(data, {"require": "block", "userRisk": ["high"]})["covered"] is True


def test_risk_levels_split_over_two_policies(judge: Any) -> None:
    data = persona_tenant()
    data["subscribedSkus"] = [{"servicePlans": [{"servicePlanName": "AAD_PREMIUM_P2"}]}]
    data["conditionalAccessPolicies"] = [
        ca("high", controls=("block",), signInRiskLevels=["high"]),
        ca("medium", controls=("block",), signInRiskLevels=["medium"]),
    ]
    assert judge(data, {"require": "block", "signInRisk": ["medium", "high"]})["covered"] is True
    data["conditionalAccessPolicies"].pop()
    result = judge(data, {"require": "block", "signInRisk": ["medium", "high"]})
    assert "at sign-in risk medium" in result["gaps"][0]["where"]


def test_narrowing_conditions(judge: Any) -> None:
    """conditions: platforms, locations and device filters narrow a policy; unions across them count."""
    data = persona_tenant()
    win = {"includePlatforms": ["windows", "macOS"], "excludePlatforms": []}
    rest = {"includePlatforms": ["all"], "excludePlatforms": ["windows", "macOS"]}
    data["conditionalAccessPolicies"] = [
        ca("desktop", platforms=win, clients=("browser",)),
        ca("others", platforms=rest, clients=("browser",)),
    ]
    assert judge(data, {"require": "mfa", "clients": ["browser"]})["covered"] is True
    data["conditionalAccessPolicies"].pop()
    assert "platform" in judge(data, {"require": "mfa", "clients": ["browser"]})["gaps"][0]["where"]
    data["conditionalAccessPolicies"] = [
        ca(
            "filtered",
            clients=("browser",),
            devices={"deviceFilter": {"mode": "exclude", "rule": "device.isCompliant -eq True"}},
        )
    ]
    assert (
        "applies only under a device filter"
        in judge(data, {"require": "mfa", "clients": ["browser"]})["summary"]
    )


def test_trusted_locations_excluded_leave_a_gap_unless_covered(judge: Any) -> None:
    """concept-assignment-network: All trusted locations = IP locations marked trusted plus the
    legacy MFA trusted IPs (not collected: a sign-in may be inside them anywhere)."""
    data = persona_tenant()
    data["namedLocations"] = []
    data["conditionalAccessPolicies"] = [
        ca(
            "outside trusted",
            clients=("browser",),
            locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
        ),
    ]
    assert judge(data, {"require": "mfa", "clients": ["browser"]})["covered"] is False
    data["conditionalAccessPolicies"].append(
        ca(
            "inside trusted",
            clients=("browser",),
            locations={"includeLocations": ["AllTrusted"], "excludeLocations": []},
        )
    )
    assert judge(data, {"require": "mfa", "clients": ["browser"]})["covered"] is True


def test_user_actions_are_only_covered_by_policies_that_target_them(judge: Any) -> None:
    """cloud-apps (user actions): "Register security information" is targeted as a user action."""
    data = persona_tenant()
    data["conditionalAccessPolicies"] = [ca("all apps", controls=("compliantDevice",))]
    spec = {"require": "managedDevice", "apps": ["urn:user:registersecurityinfo"]}
    assert judge(data, spec)["covered"] is False
    data["conditionalAccessPolicies"].append(
        ca(
            "registration",
            apps=(),
            user_actions=("urn:user:registersecurityinfo",),
            controls=("compliantDevice",),
        )
    )
    assert judge(data, spec)["covered"] is True


def test_break_glass_accounts_and_groups_need_no_coverage(judge: Any) -> None:
    data = persona_tenant()
    data["groupMembers"]["g-bg"] = [member("u5")]
    data["conditionalAccessPolicies"] = [ca("CA000", exclude_users=("u4",), exclude_groups=("g-bg",))]
    spec = {"require": "mfa", "clients": ["browser"]}
    assert judge(data, spec)["uncovered"] == 2
    assert (
        judge(data, {**spec, "breakGlassAccounts": ["u4"], "breakGlassGroups": ["g-bg"]})["covered"] is True
    )


def test_disabled_accounts_are_not_judged(judge: Any) -> None:
    data = persona_tenant()
    data["users"].append(user("off", accountEnabled=False))
    assert judge(data, {"require": "mfa"})["subjects"] == 35  # 32 users and 3 stand-ins


def test_spec_typos_are_errors(judge: Any) -> None:
    with pytest.raises(CoverageError, match="unknown key"):
        judge(persona_tenant(), {"require": "mfa", "client": ["browser"]})
    with pytest.raises(CoverageError, match="'require' must be one of"):
        judge(persona_tenant(), {"require": "MFA"})
