"""Lexing, parsing and compile-time checking."""

from __future__ import annotations

import pytest

from auditor.cel import CelCompileError, CelError, CelSyntaxError, CelType, Uint
from auditor.cel import compile as cel_compile

from .helpers import ev


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("42", 42),
        ("0x1F", 31),
        ("0X1f", 31),
        ("-0x10", -16),
        ("7u", Uint(7)),
        ("0x10u", Uint(16)),
        ("18446744073709551615u", Uint(2**64 - 1)),
        ("-9223372036854775808", -(2**63)),
        ("9223372036854775807", 2**63 - 1),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1.5e-3", 0.0015),
        ("2E+2", 200.0),
        ("true", True),
        ("false", False),
        ("null", None),
        ("'single'", "single"),
        ('"double"', "double"),
        ("'it\\'s'", "it's"),
        ("'\\x41\\101\\u0041\\U00000041'", "AAAA"),
        ("'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"\\`\\?'", "\a\b\f\n\r\t\v\\'\"`?"),
        ("r'\\n'", "\\n"),
        ("R'\\d+'", "\\d+"),
        ("'''a\nb'''", "a\nb"),
        ('"""it\'s "quoted" """', 'it\'s "quoted" '),
        ("'\\303\\277'", "\u00c3\u00bf"),
        ("b'abc'", b"abc"),
        ("b'\\303\\277'", b"\xc3\xbf"),
        ("b'\\xff'", b"\xff"),
        ("b'ÿ'", b"\xc3\xbf"),
        ("rb'\\x'", b"\\x"),
        ("'héllo'", "héllo"),
        ("[]", []),
        ("[1, 'a', [true],]", [1, "a", [True]]),
        ("{}", {}),
        ("{'a': 1, 'b': [2],}", {"a": 1, "b": [2]}),
        ("{3: 'x', true: 'y', 2u: 'z'}", {3: "x", True: "y", 2: "z"}),
        ("1 + // comment\n 2", 3),
        ("int", CelType("int")),
        ("google.protobuf.Timestamp", CelType("google.protobuf.Timestamp")),
        ("type(google.protobuf.Duration)", CelType("type")),
    ],
)
def test_literals(source: str, expected: object) -> None:
    got = ev(source)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("64 / 4 / 2", 8),
        ("1 + 2 < 4", True),
        ("!true || true", True),
        ("true || false && false", True),
        ("false ? 1 : true ? 2 : 3", 2),
        ("1 < 2 == true", True),
        ("-2 * 3", -6),
        ("--2", 2),
        ("!!false", False),
        ("[1, 2][1] * 10", 20),
        ("{'a': {'b': 3}}.a.b + 1", 4),
        ("'a' in ['a'] && 2 in [2]", True),
    ],
)
def test_precedence(source: str, expected: object) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "line", "column", "fragment"),
    [
        ("1 +", 1, 4, "unexpected end"),
        ("(1", 1, 3, "expected ')'"),
        ("1 2", 1, 3, "expected end of expression"),
        ("'unterminated", 1, 1, "unterminated"),
        ("'a\nb'", 1, 3, "newline"),
        ("'\\s'", 1, 2, "invalid escape"),
        ("'\\uD83D'", 1, 2, "invalid code point"),
        ("b'\\u00ff'", 1, 3, "not allowed in bytes"),
        ("9223372036854775808", 1, 1, "invalid int literal"),
        ("-9223372036854775809", 1, 1, "invalid int literal"),
        ("18446744073709551616u", 1, 1, "invalid uint literal"),
        ("0x", 1, 1, "invalid hex"),
        ("if + 1", 1, 1, "reserved identifier"),
        ("a.`b", 1, 3, "unterminated quoted identifier"),
        ("a.true", 1, 3, "expected an identifier"),
        ("x #", 1, 3, "unexpected character"),
        ("[1, 2].all(1, true)", 1, 12, "simple name"),
        ("has(a)", 1, 5, "has()"),
        ("1 &&\n  (2 +)", 2, 7, "unexpected ')'"),
    ],
)
def test_syntax_errors(source: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(CelSyntaxError) as info:
        cel_compile(source, ["a", "x"])
    assert fragment in info.value.message
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value) == f"{line}:{column}: {info.value.message}"


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("foo", 1, 1, "undeclared reference to 'foo'"),
        ("users.filter(u, u.ok) && foo", 1, 26, "undeclared reference to 'foo'"),
        ("size(users) > 0 && sizee(users)", 1, 20, "undeclared reference to 'sizee'"),
        ("users.map(u, v)", 1, 14, "undeclared reference to 'v'"),
        ("users.map(u, u) + [u]", 1, 20, "undeclared reference to 'u'"),
        ("'a'.startsWith()", 1, 5, "no matching overload for 'startsWith' with 0 argument(s)"),
        ("size(users, 1)", 1, 1, "no matching overload for 'size' with 2 argument(s)"),
        ("users.size(1)", 1, 7, "no matching overload for 'size' with 1 argument(s)"),
        ("users.all(u)", 1, 7, "wrong number of arguments to the 'all' macro"),
        ("'a'.foo()", 1, 5, "undeclared reference to 'foo'"),
        ("users\n  .exists(u, u.name == bad)", 2, 24, "undeclared reference to 'bad'"),
        ("dyn", 1, 1, "undeclared reference to 'dyn'"),
        ("has(users.a, users.b)", 1, 1, "has() takes exactly one field selection"),
    ],
)
def test_compile_errors(source: str, line: int, column: int, message: str) -> None:
    with pytest.raises(CelCompileError) as info:
        cel_compile(source, ["users"])
    assert info.value.message == message
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value) == f"{line}:{column}: {message}"


@pytest.mark.parametrize(
    "source",
    ["Msg{a: 1}", "x.?y", "[?x]", "{?'a': x}", "x[?0]"],
)
def test_unsupported_features_are_compile_errors(source: str) -> None:
    with pytest.raises(CelCompileError) as info:
        cel_compile(source, ["x", "Msg"])
    assert "unsupported" in info.value.message


def test_error_hierarchy() -> None:
    assert issubclass(CelSyntaxError, CelError) and issubclass(CelCompileError, CelError)
    assert issubclass(CelError, Exception)


@pytest.mark.parametrize(
    "source",
    [
        "(" * 150 + "1" + ")" * 150,
        "[" * 150 + "]" * 150,
        "f(" * 150 + ")" * 150,
        "-" * 5000 + "1",
        "!" * 5000 + "true",
        " + ".join(["1"] * 5000),
        " && ".join(["true"] * 3000),
        "a" + ".b" * 5000,
        "a" + "[0]" * 5000,
        "true ? 1 : " * 300 + "2",
        "[1].map(x, " * 120 + "x" + ")" * 120,
    ],
)
def test_deep_nesting_is_a_clean_syntax_error(source: str) -> None:
    with pytest.raises(CelSyntaxError) as info:
        cel_compile(source, ["a", "f"])
    assert "nesting" in info.value.message


def test_reserved_words_and_quoted_names_as_fields() -> None:
    assert ev("{'if': 1, 'var': 2}.if + {'if': 1, 'var': 2}.var") == 3
    assert ev(
        "x.`content-type` == 'json' && has(x.`a.b`) && !has(x.`/api`)", x={"content-type": "json", "a.b": 1}
    )


def test_moderate_nesting_is_fine() -> None:
    assert ev("(" * 40 + "1" + ")" * 40) == 1
    assert ev(" + ".join(["1"] * 100)) == 100
    nested: list[object] = []
    for _ in range(29):
        nested = [nested]
    assert ev("[" * 30 + "]" * 30) == nested


def test_expression_length_limit() -> None:
    with pytest.raises(CelSyntaxError) as info:
        cel_compile("1 + " * 30_000 + "1", [])
    assert "longer than" in info.value.message


def test_long_flat_expression_compiles_quickly() -> None:
    source = "[" + ", ".join(f"'item{i}'" for i in range(8000)) + "]"
    assert len(ev(source)) == 8000


def test_columns_on_later_lines() -> None:
    with pytest.raises(CelCompileError) as info:
        cel_compile("a &&\n\n   missing.x", ["a"])
    assert (info.value.line, info.value.column) == (3, 4)
