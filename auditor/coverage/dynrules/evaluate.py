"""Evaluate a parsed dynamic membership rule against one (future) user, offline.

The user is a mapping of Entra user properties (Graph names, as a wave CSV row or the
``futureUserAttributes`` param gives them). Semantics per Microsoft Learn's rule page:
string and regex comparisons ignore case; ``null`` is an absent or empty value (``-eq null``,
``-ne null``); the negated operators are the negation of their positive form; ``-contains`` is a
substring match; ``-match`` is a regular-expression search; ``-in``/``-notIn`` compare with each
listed value; a string-collection property (``otherMails``, ``proxyAddresses``) compared directly
is true when any item is, and with ``-any``/``-all`` (items named ``_``) as written;
``assignedPlans`` items expose ``capabilityStatus``, ``service`` and ``servicePlanId``.

What cannot be decided offline raises :class:`Undecidable` naming the construct: ``memberOf``,
device rules, direct-report rules, properties a future user's row does not state that the
service sets itself (``assignedPlans`` from licensing), properties not in the documented list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.coverage.dynrules.parser import (
    Comparison,
    DirectReports,
    Logical,
    Node,
    Not,
    Quantified,
    SystemNow,
)


class Undecidable(Exception):
    """The rule cannot be decided offline for this user; ``construct`` names why."""

    def __init__(self, construct: str) -> None:
        super().__init__(construct)
        self.construct = construct


BOOLEAN = {"accountenabled": "accountEnabled", "dirsyncenabled": "onPremisesSyncEnabled"}
DATES = {"employeehiredate": "employeeHireDate"}
#: documented string properties -> the Graph user property holding them
STRINGS = {
    p.lower(): g
    for p, g in {
        "city": "city",
        "country": "country",
        "companyName": "companyName",
        "department": "department",
        "displayName": "displayName",
        "employeeId": "employeeId",
        "employeeType": "employeeType",  # HR-driven rules use it; Graph user property
        "facsimileTelephoneNumber": "faxNumber",
        "givenName": "givenName",
        "jobTitle": "jobTitle",
        "mail": "mail",
        "mailNickName": "mailNickname",
        "mobile": "mobilePhone",
        "objectId": "id",
        "onPremisesDistinguishedName": "onPremisesDistinguishedName",
        "onPremisesSecurityIdentifier": "onPremisesSecurityIdentifier",
        "passwordPolicies": "passwordPolicies",
        "physicalDeliveryOfficeName": "officeLocation",
        "postalCode": "postalCode",
        "preferredLanguage": "preferredLanguage",
        "sipProxyAddress": "sipProxyAddress",
        "state": "state",
        "streetAddress": "streetAddress",
        "surname": "surname",
        "telephoneNumber": "telephoneNumber",
        "usageLocation": "usageLocation",
        "userPrincipalName": "userPrincipalName",
        "userType": "userType",
    }.items()
}
COLLECTIONS = {"othermails": "otherMails", "proxyaddresses": "proxyAddresses"}
_EXTENSION = re.compile(r"^(extensionattribute(?:[1-9]|1[0-5])|extension_[0-9a-z]+_\w+)$", re.IGNORECASE)


def lookup(user: Mapping[str, Any], graph_name: str) -> Any:
    """A property of the user, by its Graph name or any casing of it (CSV headers vary)."""
    if graph_name in user:
        return user[graph_name]
    low = graph_name.lower()
    for key, value in user.items():
        if key.lower() == low:
            return value
    if low.startswith("extensionattribute"):
        ext = user.get("onPremisesExtensionAttributes")
        if isinstance(ext, Mapping):
            return lookup(ext, graph_name)
    return None


def evaluate(node: Node, user: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Is the user a member by this rule? Raises :class:`Undecidable` naming what is not known."""
    if isinstance(node, Logical):
        if node.op == "and":
            return all(evaluate(o, user, now) for o in node.operands)
        return any(evaluate(o, user, now) for o in node.operands)
    if isinstance(node, Not):
        return not evaluate(node.operand, user, now)
    if isinstance(node, DirectReports):
        raise Undecidable(f"{node.show()} (a manager rule: who reports to whom is not collected)")
    if isinstance(node, Quantified):
        return _quantified(node, user, now)
    return _compare(node, user, now)


def _property(prop: str, user: Mapping[str, Any]) -> tuple[str, Any]:
    """(kind, value) of ``user.X``: kind is bool, date, str or list."""
    obj, _, name = prop.partition(".")
    low = name.lower()
    if obj.lower() == "device":
        raise Undecidable(f"device rule ({prop}): devices are not users")
    if obj.lower() != "user":
        raise Undecidable(f"{prop} (unknown object {obj!r})")
    if low == "memberof":
        raise Undecidable("user.memberOf (membership of other groups is not evaluated offline)")
    if low == "assignedplans":
        value = lookup(user, "assignedPlans")
        if value is None:
            raise Undecidable("user.assignedPlans (a future user's licences are not known)")
        return "list", value
    if low in BOOLEAN:
        return "bool", _as_bool(lookup(user, BOOLEAN[low]))
    if low in DATES:
        return "date", lookup(user, DATES[low])
    if low in COLLECTIONS:
        value = lookup(user, COLLECTIONS[low])
        if isinstance(value, str):
            value = [v for v in value.split(";") if v]
        return "list", list(value or [])
    if low in STRINGS:
        return "str", lookup(user, STRINGS[low])
    if _EXTENSION.match(name):
        return "str", lookup(user, name)
    raise Undecidable(f"user.{name} (not a property dynamic membership rules document)")


def _as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _compare(node: Comparison, user: Mapping[str, Any], now: datetime | None) -> bool:
    if node.prop == "_":
        raise Undecidable("_ outside -any/-all")
    kind, actual = _property(node.prop, user)
    if kind == "list":
        if node.op.startswith("not") or node.op == "ne":
            positive = Comparison(node.prop, _POSITIVE[node.op], node.value)
            return not any(_scalar(positive, "str", item, now) for item in actual)
        return any(_scalar(node, "str", item, now) for item in actual)
    return _scalar(node, kind, actual, now)


_POSITIVE = {
    "ne": "eq",
    "notstartswith": "startswith",
    "notendswith": "endswith",
    "notcontains": "contains",
    "notmatch": "match",
    "notin": "in",
}


def _scalar(node: Comparison, kind: str, actual: Any, now: datetime | None) -> bool:
    op = node.op
    if op in _POSITIVE:
        return not _scalar(Comparison(node.prop, _POSITIVE[op], node.value), kind, actual, now)
    if actual == "":
        actual = None
    if isinstance(node.value, SystemNow) or op in ("le", "ge"):
        return _dates(node, actual, now)
    expected = node.value.value
    if op == "in":
        values = expected if isinstance(expected, tuple) else (expected,)
        return any(_equal(kind, actual, v) for v in values)
    if op == "eq":
        return _equal(kind, actual, expected)
    if actual is None or expected is None:
        return False
    a, e = str(actual).lower(), str(expected).lower()
    if op == "startswith":
        return a.startswith(e)
    if op == "endswith":
        return a.endswith(e)
    if op == "contains":
        return e in a
    try:
        return re.search(str(expected), str(actual), re.IGNORECASE) is not None
    except re.error as err:
        raise Undecidable(f"{node.show()} (a regular expression Python cannot read: {err})") from None


def _equal(kind: str, actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if kind == "bool":
        return _as_bool(actual) is _as_bool(expected) if isinstance(_as_bool(expected), bool) else False
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    return str(actual).lower() == str(expected).lower()


def _dates(node: Comparison, actual: Any, now: datetime | None) -> bool:
    if actual is None:
        return False
    left = _date(actual, node)
    if isinstance(node.value, SystemNow):
        base = now or datetime.now(UTC)
        right = base + node.value.sign * _duration(node.value.duration, node)
    else:
        right = _date(node.value.value, node)
    if node.op == "le":
        return left <= right
    if node.op == "ge":
        return left >= right
    if node.op == "eq":
        return left == right
    raise Undecidable(f"{node.show()} (operator on a date)")


def _date(value: Any, node: Comparison) -> datetime:
    try:
        out = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Undecidable(f"{node.show()} ({value!r} is not a date)") from None
    return out if out.tzinfo else out.replace(tzinfo=UTC)


def _duration(text: str, node: Comparison) -> timedelta:
    m = re.fullmatch(r"[pP](?:(\d+)[dD])?(?:[tT](?:(\d+)[hH])?(?:(\d+)[mM])?)?", text)
    if not m or not any(m.groups()):
        raise Undecidable(f"{node.show()} (duration {text!r})")
    d, h, mi = (int(x or 0) for x in m.groups())
    return timedelta(days=d, hours=h, minutes=mi)


def _quantified(node: Quantified, user: Mapping[str, Any], now: datetime | None) -> bool:
    kind, items = _property(node.prop, user)
    if kind != "list":
        raise Undecidable(f"{node.show()} (-{node.quantifier} on a property that is not multi-valued)")
    results = [_item(node.condition, item, now) for item in items]
    return any(results) if node.quantifier == "any" else all(results)


def _item(node: Node, item: Any, now: datetime | None) -> bool:
    """A condition on one item of a collection: ``_`` is the item, ``x.field`` one of its fields."""
    if isinstance(node, Logical):
        parts = [_item(o, item, now) for o in node.operands]
        return all(parts) if node.op == "and" else any(parts)
    if isinstance(node, Not):
        return not _item(node.operand, item, now)
    if not isinstance(node, Comparison):
        raise Undecidable(f"{node.show()} (nested inside -any/-all)")
    if node.prop == "_":
        return _scalar(node, "str", item, now)
    field = node.prop.partition(".")[2]
    value = lookup(item, field) if isinstance(item, Mapping) else None
    return _scalar(node, "str", value, now)


def explain(node: Node, user: Mapping[str, Any], now: datetime | None = None) -> str:
    """Why the rule does not hold for the user, in words ("requires employeeType -eq
    'Employee', row has 'Contractor'"); "" when it holds or cannot be decided."""
    try:
        if evaluate(node, user, now):
            return ""
    except Undecidable:
        return ""
    if isinstance(node, Logical) and node.op == "and":
        return next(explain(o, user, now) for o in node.operands if not _safe(o, user, now))
    if isinstance(node, Logical):
        return " and ".join(explain(o, user, now) for o in node.operands)
    if isinstance(node, Comparison) and node.prop != "_":
        _, actual = _property(node.prop, user)
        shown = "nothing" if actual in (None, "", []) else repr(actual).replace('"', "'")
        return f"requires {node.show()}, row has {shown}"
    return f"requires {node.show()}"


def _safe(node: Node, user: Mapping[str, Any], now: datetime | None) -> bool:
    try:
        return evaluate(node, user, now)
    except Undecidable:
        return True


def properties(node: Node) -> set[str]:
    """The lower-cased property names a rule reads (to share one evaluation between rows that
    agree on them)."""
    if isinstance(node, Logical):
        return set().union(*(properties(o) for o in node.operands))
    if isinstance(node, Not):
        return properties(node.operand)
    if isinstance(node, Quantified):
        return {node.prop.partition(".")[2].lower()}
    if isinstance(node, Comparison):
        return {node.prop.partition(".")[2].lower()}
    return set()
