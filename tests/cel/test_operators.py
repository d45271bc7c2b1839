"""Evaluation semantics of operators, selection and indexing, including the documented pitfalls."""

from __future__ import annotations

import math

import pytest

from auditor.cel import Uint

from .helpers import err, ev

# -- arithmetic -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("7 / 2", 3),
        ("-7 / 2", -3),
        ("7 / -2", -3),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("7 % -3", 1),
        ("10u / 4u", Uint(2)),
        ("10u % 4u", Uint(2)),
        ("1.0 / 4.0", 0.25),
        ("1.0 / 0.0", math.inf),
        ("-1.0 / 0.0", -math.inf),
        ("2.5 * 2.0", 5.0),
        ("'ab' + 'cd'", "abcd"),
        ("b'ab' + b'cd'", b"abcd"),
        ("[1] + [2, 3]", [1, 2, 3]),
        ("-(5)", -5),
        ("-(2.5)", -2.5),
    ],
)
def test_arithmetic(source: str, expected: object) -> None:
    got = ev(source)
    assert got == expected and type(got) is type(expected)


def test_integer_division_truncates_in_percentages() -> None:
    # The pitfall: size(a) * 100 / size(b) is integer arithmetic.
    assert ev("size(a) * 100 / size(b)", a=[1, 2], b=[1, 2, 3]) == 66
    assert ev("size(a) * 100 / size(b) >= 67", a=[1, 2], b=[1, 2, 3]) is False
    assert ev("double(size(a)) * 100.0 / double(size(b))", a=[1, 2], b=[1, 2, 3]) == pytest.approx(
        66.666, 0.001
    )


def test_nan_division() -> None:
    assert math.isnan(ev("0.0 / 0.0"))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 / 0", "divide by zero"),
        ("1 % 0", "modulus by zero"),
        ("9223372036854775807 + 1", "integer overflow"),
        ("-9223372036854775808 - 1", "integer overflow"),
        ("9223372036854775807 * 2", "integer overflow"),
        ("-9223372036854775808 / -1", "integer overflow"),
        ("-(-9223372036854775807 - 1)", "integer overflow"),
        ("0u - 1u", "unsigned integer overflow"),
        ("18446744073709551615u + 1u", "unsigned integer overflow"),
        ("1 + 1u", "no matching overload for '_+_' applied to (int, uint)"),
        ("1 + 1.0", "no matching overload for '_+_' applied to (int, double)"),
        ("1 + 'a'", "no matching overload for '_+_' applied to (int, string)"),
        ("true + true", "no matching overload for '_+_' applied to (bool, bool)"),
        ("1.5 % 1.0", "no matching overload for '_%_' applied to (double, double)"),
        ("-(1u)", "no matching overload for '-_' applied to (uint)"),
        ("-'a'", "no matching overload for '-_' applied to (string)"),
        ("!1", "no matching overload for '!_' applied to (int)"),
    ],
)
def test_arithmetic_errors(source: str, message: str) -> None:
    assert err(source).message == message


def test_error_position_points_at_failing_subexpression() -> None:
    e = err("x.a +\n  x.b / 0", x={"a": 1, "b": 2})
    assert (e.line, e.column, e.message) == (2, 7, "divide by zero")


# -- equality and ordering --------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 == 1.0", True),
        ("1 == 1u", True),
        ("1u == 1.0", True),
        ("1 == true", False),
        ("0 == false", False),
        ("1 == 'a'", False),
        ("null == null", True),
        ("null == 0", False),
        ("null == false", False),
        ("[1, 2] == [1.0, 2u]", True),
        ("[1, 'a'] == [1, 2]", False),
        ("[1] == [1, 1]", False),
        ("{'a': 1} == {'a': 1.0}", True),
        ("{'a': 1} == {'a': 1, 'b': 2}", False),
        ("{'a': [1]} != {'a': [2]}", True),
        ("type(1) == int", True),
        ("type(1u) == int", False),
        ("'abc' == 'ABC'", False),
        ("'Admin' == 'admin'", False),
        ("'a' < 'B'", False),
        ("'B' < 'a'", True),
        ("'abc' < 'abd'", True),
        ("1 < 1.5", True),
        ("2 > 1.5", True),
        ("1u < 2", True),
        ("2.5 >= 2u", True),
        ("3 <= 3.0", True),
        ("false < true", True),
        ("b'a' < b'b'", True),
    ],
)
def test_equality_and_ordering(source: str, expected: bool) -> None:
    assert ev(source) is expected


def test_int_vs_double_comparison_on_data() -> None:
    assert ev("x.score >= 2", x={"score": 2.0}) is True
    assert ev("x.score > 2", x={"score": 2.5}) is True
    assert ev("x.count == 3.0", x={"count": 3}) is True


@pytest.mark.parametrize(
    "source", ["1 < 'a'", "null < null", "[1] < [2]", "{} < {}", "true < 1", "'a' > b'a'"]
)
def test_cross_type_ordering_is_an_error(source: str) -> None:
    assert "no matching overload" in err(source).message


def test_nan_compares_false() -> None:
    assert ev("double('nan') == double('nan')") is False
    assert ev("double('nan') != double('nan')") is True
    assert ev("double('nan') < 1.0 || double('nan') >= 1.0") is False
    assert ev("double('nan') in [double('nan')]") is False


# -- logic and error absorption --------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("false && (1 / 0 == 1)", False),
        ("(1 / 0 == 1) && false", False),
        ("true || (1 / 0 == 1)", True),
        ("(1 / 0 == 1) || true", True),
        ("false && 1", False),
        ("1 && false", False),
        ("true || 'a'", True),
        ("'a' || true", True),
        ("x.missing && false", False),
        ("x.missing || true", True),
        ("true ? 1 : 1 / 0", 1),
        ("false ? 1 / 0 : 2", 2),
    ],
)
def test_error_absorption(source: str, expected: object) -> None:
    assert ev(source, x={}) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("true && (1 / 0 == 1)", "divide by zero"),
        ("(1 / 0 == 1) || false", "divide by zero"),
        ("true && 1", "no matching overload for '_&&_' applied to (int)"),
        ("1 || false", "no matching overload for '_||_' applied to (int)"),
        ("1 ? 'a' : 'b'", "no matching overload for '_?_:_' applied to (int)"),
        ("null ? 'a' : 'b'", "no matching overload for '_?_:_' applied to (null_type)"),
        ("(1 / 0 == 1) ? 'a' : 'b'", "divide by zero"),
        ("!(1 / 0 == 1)", "divide by zero"),
        ("!null", "no matching overload for '!_' applied to (null_type)"),
    ],
)
def test_errors_are_never_truthy(source: str, message: str) -> None:
    assert err(source).message == message


def test_error_is_not_truthy_in_filter() -> None:
    e = err("xs.filter(x, x.enabled)", xs=[{"enabled": True}, {"name": "no flag"}])
    assert e.message == "no such key: 'enabled'"
    e = err("xs.filter(x, x.enabled)", xs=[{"enabled": "yes"}])
    assert "no matching overload" in e.message


# -- graph nulls, selection, indexing, has ----------------------------------------

POLICY = {"displayName": "p", "grantControls": None, "conditions": {"users": {"includeUsers": ["All"]}}}


def test_graph_explicit_null() -> None:
    assert ev("p.grantControls == null", p=POLICY) is True
    assert ev("has(p.grantControls)", p=POLICY) is True
    e = err("p.grantControls.builtInControls", p=POLICY)
    assert e.message == "type 'null_type' does not support field selection ('.builtInControls')"
    assert (e.line, e.column) == (1, 17)
    assert ev("p.grantControls != null && 'mfa' in p.grantControls.builtInControls", p=POLICY) is False


def test_missing_key_is_an_error() -> None:
    assert err("p.sessionControls", p=POLICY).message == "no such key: 'sessionControls'"
    assert err("p['sessionControls']", p=POLICY).message == "no such key: 'sessionControls'"
    assert ev("has(p.sessionControls) ? p.sessionControls : 'none'", p=POLICY) == "none"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("has(x.a)", True),
        ("has(x.z)", False),
        ("has(x.n)", True),
        ("has(x.m.k)", True),
        ("has(x.m.z)", False),
        ("has({'a': 1}.a)", True),
    ],
)
def test_has(source: str, expected: bool) -> None:
    assert ev(source, x={"a": 1, "n": None, "m": {"k": 2}}) is expected


@pytest.mark.parametrize("source", ["has(x.a.k)", "has(x.n.k)", "has(x.z.k)", "has(x.l.k)"])
def test_has_on_non_map_is_error(source: str) -> None:
    err(source, x={"a": 1, "n": None, "l": [1]})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("l[0]", "a"),
        ("l[2]", "c"),
        ("l[1u]", "b"),
        ("l[1.0]", "b"),
        ("m['k']", 1),
        ("m.k", 1),
        ("{1: 'one'}[1]", "one"),
        ("{1: 'one'}[1u]", "one"),
        ("{1: 'one'}[1.0]", "one"),
        ("{true: 'yes'}[true]", "yes"),
    ],
)
def test_indexing(source: str, expected: object) -> None:
    assert ev(source, l=["a", "b", "c"], m={"k": 1}) == expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("l[3]", "index out of range"),
        ("l[-1]", "index out of range"),
        ("l[1.5]", "invalid list index"),
        ("l['a']", "invalid list index"),
        ("l[true]", "invalid list index"),
        ("m['z']", "no such key: 'z'"),
        ("{1: 'one'}[true]", "no such key: true"),
        ("{true: 'one'}[1]", "no such key: 1"),
        ("'abc'[0]", "no matching overload for '_[_]'"),
        ("m[[1]]", "unsupported map key type"),
    ],
)
def test_indexing_errors(source: str, fragment: str) -> None:
    assert fragment in err(source, l=["a", "b", "c"], m={"k": 1}).message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'mfa' in ['mfa', 'compliantDevice']", True),
        ("'MFA' in ['mfa']", False),
        ("1 in [1.0]", True),
        ("1u in [1]", True),
        ("true in [1]", False),
        ("null in [null]", True),
        ("[1] in [[1], [2]]", True),
        ("'k' in {'k': 1}", True),
        ("'z' in {'k': 1}", False),
        ("1 in {1: 'x'}", True),
        ("2.0 in {2: 'x'}", True),
        ("'All' in x.includeUsers", True),
    ],
)
def test_in(source: str, expected: bool) -> None:
    assert ev(source, x={"includeUsers": ["All"]}) is expected


def test_in_errors() -> None:
    assert "no matching overload for '@in'" in err("'a' in 'abc'").message
    assert "no matching overload for '@in'" in err("'a' in x.n", x={"n": None}).message


def test_map_literal_errors() -> None:
    assert "duplicate map key" in err("{'a': 1, 'a': 2}").message
    assert "unsupported map key type" in err("{1.5: 1}").message
    assert "unsupported map key type" in err("{null: 1}").message
