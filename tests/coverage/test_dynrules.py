"""Dynamic membership rules, offline: one test per operator and per documented example.

The rule strings are written for these tests, modelled on the examples of Microsoft Learn's
"Manage rules for dynamic membership groups in Microsoft Entra ID"
(learn.microsoft.com/entra/identity/users/groups-dynamic-membership).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.coverage.dynrules import RuleSyntaxError, Undecidable, evaluate, explain, parse

ALICE: dict[str, Any] = {
    "userPrincipalName": "alice@contoso.com",
    "displayName": "David Alice",
    "userType": "Member",
    "accountEnabled": True,
    "department": "Sales",
    "country": "CH",
    "city": "Lagos",
    "jobTitle": "SDE II",
    "employeeType": "Employee",
    "mail": "alice@contoso.com",
    "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:al@fabrikam.com"],
    "otherMails": [],
    "employeeHireDate": "2026-03-01T00:00:00Z",
    "onPremisesExtensionAttributes": {"extensionAttribute15": "Marketing"},
    "extension_c272a57b722d4eb29bfe327874ae79cb_OfficeNumber": "123",
    "assignedPlans": [
        {
            "servicePlanId": "efb87545-963c-4e0d-99df-69c6916d9eb0",
            "capabilityStatus": "Enabled",
            "service": "exchange",
        }
    ],
}


def holds(rule: str, user: dict[str, Any] | None = None, now: datetime | None = None) -> bool:
    return evaluate(parse(rule), ALICE if user is None else user, now)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('user.department -eq "Sales"', True),
        ('user.department -eq "sales"', True),  # string comparisons ignore case
        ('user.department -ne "Sales"', False),
        ('user.department -ne "Marketing"', True),
        ('user.jobTitle -startsWith "SDE"', True),
        ('user.jobTitle -notStartsWith "SDE"', False),
        ('user.mail -endsWith "@Contoso.com"', True),
        ('user.mail -notEndsWith "@contoso.com"', False),
        ('user.city -contains "ago"', True),
        ('user.city -notContains "ago"', False),
        ('user.displayName -match "^Da.*"', True),
        ('user.displayName -notMatch "^Da.*"', False),
        ('user.city -in ["Lagos", "Ibadan", "Kaduna"]', True),
        ('user.city -notIn ["Lagos", "Ibadan"]', False),
        ('user.city -notIn ["Abuja", "Ibadan"]', True),
        ("user.employeeHireDate -le 2026-06-10T18:13:20Z", True),
        ("user.employeeHireDate -ge 2026-06-10T18:13:20Z", False),
        ("user.accountEnabled -eq true", True),
        ("user.accountEnabled -eq false", False),
    ],
)
def test_each_operator(rule: str, expected: bool) -> None:
    assert holds(rule) is expected


def test_operators_without_hyphen_in_any_case_and_en_dash() -> None:
    assert holds('(user.userType -eq "Member") and (user.accountEnabled -eq true)')
    assert holds('user.department EQ "Sales"') is True
    assert holds('user.country \u2013eq "CH" \u2013and user.department \u2013eq "Sales"')


def test_match_is_a_search_as_documented() -> None:
    # "^Da.*": Da, Dav, David true, aDa false; ".*vid": David true, Da false
    for name, expected in (("Da", True), ("Dav", True), ("David", True), ("aDa", False)):
        assert holds('user.displayName -match "^Da.*"', {"displayName": name}) is expected
    assert holds('user.displayName -match ".*vid"', {"displayName": "David"})
    assert not holds('user.displayName -match ".*vid"', {"displayName": "Da"})


def test_logical_operators_and_precedence() -> None:
    assert holds('(user.department -eq "Sales") -or (user.department -eq "Marketing")')
    assert not holds('(user.department -eq "Sales") -and -not (user.jobTitle -startsWith "SDE")')
    # -and binds tighter than -or: true because the first operand of -or is true
    assert holds('user.country -eq "CH" -or user.country -eq "US" -and user.department -eq "HR"')
    assert not holds('(user.country -eq "CH" -or user.country -eq "US") -and user.department -eq "HR"')
    assert holds(
        'user.country -eq "CH" -and (user.department -eq "Marketing" -or user.department -eq "Sales")'
    )


def test_null_checks() -> None:
    assert holds("user.mail -ne null")
    assert holds("user.state -eq null")
    assert not holds("user.state -ne null")
    assert holds('user.state -ne "Zurich"')  # an absent value is not equal to a string
    assert not holds('user.state -startsWith "Z"')
    assert holds('user.state -eq "null"') is False  # quoted: the literal string


def test_multi_value_properties_any_all_and_underscore() -> None:
    assert holds('(user.proxyAddresses -any (_ -startsWith "smtp:al@"))')
    assert not holds('user.proxyAddresses -all (_ -endsWith "@contoso.com")')
    assert holds(
        'user.assignedPlans -any (assignedPlan.servicePlanId -eq "efb87545-963c-4e0d-99df-69c6916d9eb0"'
        ' -and assignedPlan.capabilityStatus -eq "Enabled")'
    )
    assert not holds(
        'user.assignedPlans -any (assignedPlan.service -eq "SCO" -and assignedPlan.capabilityStatus -eq "Enabled")'
    )
    assert holds("user.assignedPlans -all (assignedPlan.servicePlanId -eq null)", {"assignedPlans": []})
    # an operator applied to a string collection directly: true when any item is
    assert holds('user.proxyAddresses -startsWith "SMTP:alice"')
    assert holds('user.otherMails -notEndsWith "@outlook.com"')


def test_extension_attributes() -> None:
    assert holds('(user.extensionAttribute15 -eq "Marketing")')
    assert holds('user.extension_c272a57b722d4eb29bfe327874ae79cb_OfficeNumber -eq "123"')
    assert holds('user.extension_c272a57b722d4eb29bfe327874ae79cb_officenumber -eq "123"')


def test_all_users_rules_and_escapes() -> None:
    assert holds("user.objectId -ne null", {"id": "(new)"})
    assert holds(
        '(user.objectId -ne null) -and (user.userType -eq "Member")', {"id": "x", "userType": "Member"}
    )
    assert holds('user.department -eq "R`"D"', {"department": 'R"D'})
    assert holds("user.department -eq 'O''Neil'", {"department": "O'Neil"})


def test_system_now() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert holds("user.employeeHireDate -ge system.now -minus p1d", now=now)
    assert not holds("user.employeeHireDate -ge system.now -plus p1d", now=now)


@pytest.mark.parametrize(
    ("rule", "construct"),
    [
        ("user.memberOf -any (group.objectId -in ['aaaa'])", "memberOf"),
        ('device.deviceOSType -eq "Windows"', "device rule"),
        ('Direct Reports for "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb"', "Direct Reports"),
        ('user.favouriteColour -eq "blue"', "favouriteColour"),
        ('user.assignedPlans -any (assignedPlan.service -eq "SCO")', "assignedPlans"),
    ],
)
def test_what_cannot_be_decided_offline_is_named(rule: str, construct: str) -> None:
    with pytest.raises(Undecidable) as err:
        evaluate(parse(rule), {"userType": "Member"})
    assert construct in err.value.construct


@pytest.mark.parametrize(
    "rule",
    [
        'user.department -eq "Sales',
        "user.department",
        "-and user.x -eq 1",
        'department -eq "x"',
        "(user.a -eq 1",
    ],
)
def test_syntax_errors(rule: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse(rule)


def test_explain_names_the_failing_comparison_and_the_value() -> None:
    rule = parse('(user.userType -eq "Member") -and (user.employeeType -eq "Employee")')
    assert explain(rule, {"userType": "Member", "employeeType": "Contractor"}) == (
        "requires employeeType -eq 'Employee', row has 'Contractor'"
    )
    assert explain(rule, {"userType": "Member"}) == "requires employeeType -eq 'Employee', row has nothing"
    assert explain(rule, {"userType": "Member", "employeeType": "employee"}) == ""
