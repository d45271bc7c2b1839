"""Evaluation semantics of macros and standard functions."""

from __future__ import annotations

import pytest

from auditor.cel import CelType, Uint

from .helpers import err, ev

# -- macros ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[1, 2, 3].all(x, x > 0)", True),
        ("[1, 2, 3].all(x, x > 1)", False),
        ("[].all(x, false)", True),
        ("[1, 2, 3].exists(x, x == 2)", True),
        ("[].exists(x, true)", False),
        ("[1, 2, 3].exists_one(x, x > 2)", True),
        ("[1, 2, 3].exists_one(x, x > 1)", False),
        ("[1, 2, 3].filter(x, x != 2)", [1, 3]),
        ("[1, 2, 3].map(x, x * x)", [1, 4, 9]),
        ("[1, 2, 3].map(x, x > 1, x * 10)", [20, 30]),
        ("{'a': 1, 'b': 2}.all(k, k in ['a', 'b'])", True),
        ("{'a': 1, 'b': 2}.exists(k, k == 'b')", True),
        ("{'a': 1, 'b': 2}.map(k, k + '!')", ["a!", "b!"]),
        ("{'a': 1, 'b': 2}.filter(k, k > 'a')", ["b"]),
        # error absorption inside all/exists: a decisive element wins over errors
        ("[0, 1].exists(x, 1 / x == 1)", True),
        ("[1, 0].exists(x, 1 / x == 1)", True),
        ("[0, 2].all(x, 1 / x == 1)", False),
        ("['a', 1].exists(x, x > 0)", True),
        ("[1, 'a'].all(x, x > 5)", False),
    ],
)
def test_macros(source: str, expected: object) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[0, 1].all(x, 1 / x > 0)", "divide by zero"),
        ("[0, 1].exists(x, 1 / x < 0)", "divide by zero"),
        ("[0, 1].exists_one(x, 1 / x == 1)", "divide by zero"),
        ("[0, 1].filter(x, 1 / x == 1)", "divide by zero"),
        ("[0, 1].map(x, 1 / x)", "divide by zero"),
        ("[1, 2].exists(x, x)", "no matching overload for '_||_' applied to (int)"),
        ("[1, 2].all(x, x)", "no matching overload for '_&&_' applied to (int)"),
        ("1.all(x, true)", "all() expects a list or map, got int"),
        ("null.exists(x, true)", "exists() expects a list or map, got null_type"),
        ("'abc'.map(x, x)", "map() expects a list or map, got string"),
    ],
)
def test_macro_errors(source: str, message: str) -> None:
    assert err(source).message == message


def test_nested_macros_and_shadowing() -> None:
    assert ev("[[1, 2], [3]].map(x, x.map(y, y * 2))") == [[2, 4], [6]]
    assert ev("[1, 2].map(x, [10, 20].map(x, x + 1))") == [[11, 21], [11, 21]]
    assert ev("[1, 2].map(x, [10, 20].map(y, x + y))") == [[11, 21], [12, 22]]
    assert ev("[1, 2].exists(x, [3, 4].exists(x, x == 4))") is True
    # the macro variable shadows a declared name only inside the macro
    assert ev("x.map(x, x * 2) + [size(x)]", x=[1, 2]) == [2, 4, 2]
    assert ev("xs.all(u, u.tags.exists(t, t == u.name))", xs=[{"name": "a", "tags": ["a", "b"]}]) is True


def test_macro_over_data() -> None:
    users = [
        {"upn": "a@x", "isAdmin": True, "methods": ["fido2"]},
        {"upn": "b@x", "isAdmin": False, "methods": []},
    ]
    assert ev("users.filter(u, u.isAdmin).map(u, u.upn)", users=users) == ["a@x"]
    assert ev("users.exists_one(u, size(u.methods) == 0)", users=users) is True
    assert ev("users.all(u, !u.isAdmin || 'fido2' in u.methods)", users=users) is True


# -- functions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("size('héllo')", 5),
        ("size(b'h\\xffllo')", 5),
        ("size([1, 2])", 2),
        ("size({'a': 1})", 1),
        ("'abc'.size()", 3),
        ("'hello'.contains('ell')", True),
        ("'hello'.contains('')", True),
        ("'hello'.startsWith('he')", True),
        ("'Hello'.startsWith('he')", False),
        ("'hello'.endsWith('lo')", True),
        ("'hello'.matches('^h.*o$')", True),
        ("'hello'.matches('l+')", True),
        ("matches('hello', '^e')", False),
        ("'a1'.matches('\\\\d')", True),
        ("'a1'.matches(r'\\d')", True),
        ("'user@contoso.com'.matches('(?i)@CONTOSO\\\\.COM$')", True),
        ("'héllo'.matches('^h.llo$')", True),
        ("'MiXed'.lowerAscii()", "mixed"),
        ("'MiXed'.upperAscii()", "MIXED"),
        ("'ÉCOLE'.lowerAscii()", "École"),
    ],
)
def test_string_functions(source: str, expected: object) -> None:
    assert ev(source) == expected


def test_catastrophic_regex_is_linear() -> None:
    import time

    started = time.perf_counter()
    assert ev("s.matches('(a+)+$')", s="a" * 50 + "!") is False
    assert ev("s.matches('^(a+)+$')", s="a" * 50_000 + "!") is False
    assert ev("s.matches('^(a|aa)+$')", s="a" * 50_000 + "!") is False
    assert time.perf_counter() - started < 2.0


def test_invalid_regex_is_an_error() -> None:
    assert "invalid regular expression" in err("'a'.matches('(')").message
    assert "invalid regular expression" in err("'a'.matches(p)", p="(?P<n>a)\\1").message


def test_function_type_errors() -> None:
    assert err("size(1)").message == "no matching overload for 'size' applied to (int)"
    assert err("'a'.contains(1)").message == "no matching overload for 'contains' applied to (string, int)"
    assert (
        err("x.startsWith('a')", x=None).message
        == "no matching overload for 'startsWith' applied to (null_type, string)"
    )
    assert err("(1).lowerAscii()").message == "no matching overload for 'lowerAscii' applied to (int)"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("int('42')", 42),
        ("int('-42')", -42),
        ("int(4.9)", 4),
        ("int(-4.9)", -4),
        ("int(42u)", 42),
        ("uint(42)", Uint(42)),
        ("uint(4.9)", Uint(4)),
        ("uint('42')", Uint(42)),
        ("double(1)", 1.0),
        ("double(2u)", 2.0),
        ("double('1.5')", 1.5),
        ("double('1e3')", 1000.0),
        ("string(1)", "1"),
        ("string(1u)", "1"),
        ("string(1.5)", "1.5"),
        ("string(1e20)", "1e+20"),
        ("string(100.0)", "100"),
        ("string(true)", "true"),
        ("string(b'abc')", "abc"),
        ("bool('true')", True),
        ("bool('FALSE')", False),
        ("bool('t')", True),
        ("bytes('é')", b"\xc3\xa9"),
        ("dyn([1])", [1]),
        ("type(1)", CelType("int")),
        ("type('a') == string", True),
        ("type(null) == null_type", True),
        ("type([]) == list && type({}) == map", True),
        ("type(int) == type", True),
        ("type(b'') == bytes && type(true) == bool && type(1.0) == double && type(1u) == uint", True),
    ],
)
def test_conversions(source: str, expected: object) -> None:
    got = ev(source)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "source",
    [
        "int('4.2')",
        "int('')",
        "int('1_000')",
        "int(1e19)",
        "int(18446744073709551615u)",
        "int(true)",
        "uint(-1)",
        "uint('-1')",
        "uint(1e20)",
        "double('abc')",
        "double('1_0')",
        "string(null)",
        "string([1])",
        "string(b'\\xff')",
        "bool('yes')",
        "bool(1)",
        "bytes(1)",
    ],
)
def test_conversion_errors(source: str) -> None:
    err(source)
