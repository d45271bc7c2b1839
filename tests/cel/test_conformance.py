"""Conformance-style cases, organised like the sections of cel-spec's tests/simple suite.

Written for this project (not copied): each section exercises the behaviour the
corresponding cel-spec file tests, restricted to the subset of DESIGN 4.1. ``ERROR``
means evaluation must fail; every case runs through both the fast path and the
interpreter (see ``helpers.ev``/``err``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from auditor.cel import CelType, Uint

from .helpers import err, ev

ERROR = object()
UTC = dt.UTC

SECTIONS: dict[str, list[tuple[str, Any]]] = {
    "basic/self_evaluating": [
        ("0", 0), ("-0", 0), ("123456789u", Uint(123456789)), ("0xFFu", Uint(255)), ("-1.0e3", -1000.0),
        ("0.0", 0.0), ("'\\u263A'", "\u263a"), ("b'\\000\\xff'", b"\x00\xff"), ("\"\"", ""), ("b''", b""),
        ("[]", []), ("{}", {}), ("null", None), ("true", True),
    ],
    "basic/variables_and_functions": [
        ("v", 42), ("v + v", 84), ("size('four')", 4), ("'four'.size()", 4), ("v == 42 ? 'yes' : 'no'", "yes"),
    ],
    "comparisons/equality": [
        ("1 == 1", True), ("-1 == 1", False), ("1u == 1u", True), ("1.0 == 1.0", True), ("'' == \"\"", True),
        ("b'x' == b'x'", True), ("b'x' == b'y'", False), ("null == null", True), ("[] == []", True),
        ("[1, [2]] == [1, [2]]", True), ("{} == {}", True), ("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}", True),
        ("{'a': 1} == {'a': 2}", False), ("int == int", True), ("int == uint", False), ("1 == 1.0", True),
        ("1u == 1.0", True), ("-1 == 18446744073709551615u", False), ("'1' == 1", False), ("[1] == [true]", False),
        ("{'a': null} == {'a': null}", True), ("{1: 'a'} == {1u: 'a'}", True), ("[] != [null]", True),
    ],
    "comparisons/ordering": [
        ("-1 < 0", True), ("1u < 2u", True), ("-1.5 < -1.0", True), ("'a' < 'aa'", True), ("'z' < 'a'", False),
        ("'\u00e9' > 'z'", True), ("b'\\x00' < b'\\x01'", True), ("false < true", True), ("true <= true", True),
        ("2 >= 2u", True), ("-1 < 0u", True), ("0u > -1", True), ("1.5 > 1", True), ("1 >= 1.5", False),
        ("dyn(9223372036854775807) < 9223372036854775807.0", False), ("null < 1", ERROR), ("[] < []", ERROR),
        ("'a' < 1", ERROR), ("true > 0", ERROR), ("{} > {}", ERROR),
    ],
    "comparisons/in": [
        ("1 in [1, 2]", True), ("3 in [1, 2]", False), ("'a' in {'a': 1}", True), ("1 in {}", False),
        ("[] in [[]]", True), ("1.0 in [1u]", True), ("1 in 1", ERROR), ("'a' in null", ERROR),
    ],
    "conversions": [
        ("int(-0.9)", 0), ("int('-9223372036854775808')", -(2**63)), ("int('9223372036854775808')", ERROR),
        ("int(9223372036854775807u)", 2**63 - 1), ("int(9223372036854775808u)", ERROR),
        ("int(-9.3e18)", ERROR), ("int(double('nan'))", ERROR), ("uint(18446744073709551615.0)", ERROR),
        ("uint(1.5e19)", Uint(15000000000000000000)), ("uint('18446744073709551615')", Uint(2**64 - 1)),
        ("double('-Infinity')", -math.inf), ("double(18446744073709551615u)", 1.8446744073709552e19),
        ("string(-1)", "-1"), ("string(123456789.0)", "1.23456789e+08"), ("string(0.000001)", "1e-06"),
        ("string(-0.0)", "-0"), ("string(b'\\xc3\\xbf')", "\u00ff"), ("bytes('\u00ff')", b"\xc3\xbf"),
        ("bool('0')", False), ("bool('True')", True), ("bool('tru')", ERROR), ("type(type)", CelType("type")),
        ("type(dyn(1u))", CelType("uint")), ("dyn(dyn(2)) + 1", 3),
    ],
    "fp_math": [
        ("1.5 + 2.5", 4.0), ("1.0 - 3.5", -2.5), ("-2.0 * 3.0", -6.0), ("7.0 / 2.0", 3.5), ("-(-1.0)", 1.0),
        ("1e308 * 10.0", math.inf), ("-1e308 * 10.0", -math.inf), ("5e-324 / 2.0", 0.0), ("1.0 / -0.0", -math.inf),
        ("1.0 + 1", ERROR), ("2.0 % 1.0", ERROR),
    ],
    "integer_math": [
        ("40 + 2", 42), ("-40 - 2", -42), ("6 * -7", -42), ("84 / 2", 42), ("85 % 43", 42), ("-85 % 43", -42),
        ("-(-42)", 42), ("-9223372036854775807 - 1", -(2**63)), ("9223372036854775807 + 0", 2**63 - 1),
        ("-9223372036854775808 * -1", ERROR), ("5u * 3u", Uint(15)), ("3u - 3u", Uint(0)), ("7u / 2u", Uint(3)),
        ("1 / 0", ERROR), ("0u % 0u", ERROR), ("1u + 1", ERROR), ("-(1u)", ERROR),
    ],
    "lists": [
        ("[1, 2] + []", [1, 2]), ("[] + []", []), ("[1, [2, 3]][1][0]", 2), ("['a', 'b'][1u]", "b"),
        ("[1, 2][2]", ERROR), ("[1, 2][-1]", ERROR), ("size([[], []])", 2), ("[1, 'one', null, [], {}].size()", 5),
        ("[0, 1, 2].map(i, [i, i * i])", [[0, 0], [1, 1], [2, 4]]), ("[1, 2, 3][0.0]", 1),
    ],
    "logic": [
        ("true && true", True), ("true && false", False), ("false || true", True), ("!false && !false", True),
        ("false && (1 / 0 > 0)", False), ("(1 / 0 > 0) && false", False), ("true || (1 / 0 > 0)", True),
        ("(1 / 0 > 0) || true", True), ("(1 / 0 > 0) || (2 / 0 > 0)", ERROR), ("true && 'x'", ERROR),
        ("'x' && false", False), ("'x' || false", ERROR), ("true ? 'a' : 1 / 0", "a"), ("(1 / 0 > 0) ? 1 : 2", ERROR),
        ("'true' ? 1 : 2", ERROR), ("!'false'", ERROR),
    ],
    "macros": [
        ("[1, 2, 3].all(e, e > 0)", True), ("[1, 2, 3].all(e, e < 3)", False), ("[].exists(e, e == 0)", False),
        ("['a', 'b'].exists(e, e == 'b')", True), ("[1, 2, 2].exists_one(e, e == 2)", False),
        ("{'x': 1}.exists_one(k, k == 'x')", True), ("[3, 1, 2].filter(e, e >= 2)", [3, 2]),
        ("[].map(e, e)", []), ("[1, 2].map(e, e > 1, e)", [2]), ("[1, 0].all(e, 1 / e > 5)", False),
        ("[1, 0].exists(e, 1 / e == 1)", True), ("[0, 1].exists(e, 1 / e == 2)", ERROR),
        ("[[1], [2, 3]].map(l, l.filter(e, e > 1))", [[], [2, 3]]), ("[1, 2].filter(e, e / 0 == 0)", ERROR),
        ("[1, 2].exists(e, [e].all(e, e == 2))", True), ("[1].exists(e, true) && [1].all(e, e == 1)", True),
    ],
    "parse": [
        ("(((((((((((((((((((((((((1)))))))))))))))))))))))))", 1),
        ("[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]", 1),
        ("{'a': {'a': {'a': {'a': {'a': 1}}}}}.a.a.a.a.a", 1),
        ("1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19 + 20 + 21 + 22 + 23 + 24", 300),
        ("true ? 1 : false ? 2 : 3", 1), ("!!!!!!!!!!!!!!!!!!!!!!!!true", True), ("-----1", -1),
        ("1 + // a comment\n 2", 3), ("'\\\\'", "\\"), ("'''\"'''", '"'), ("{'in': 1}['in']", 1),
        ("{'var': 2}.var", 2),
    ],
    "string": [
        ("'hello' + ' ' + 'world'", "hello world"), ("size('\U0001F600')", 1), ("'\U0001F600'.size()", 1),
        ("'abc'.contains('bc')", True), ("'abc'.contains('cb')", False), ("''.startsWith('')", True),
        ("'a'.endsWith('')", True), ("'\u00e9t\u00e9'.endsWith('\u00e9')", True), ("'foobar'.matches('o+b')", True),
        ("'foobar'.matches('^o')", False), ("'Foo'.matches('(?i)^foo$')", True), ("'x'.matches('[')", ERROR),
        ("'abc' < 'abd'", True), ("'abc' + 1", ERROR),
    ],
    "timestamps": [
        ("timestamp('2009-02-13T23:31:30Z').getDayOfWeek()", 5),
        ("timestamp('2009-02-13T23:31:30Z').getDayOfYear()", 43),
        ("timestamp('2009-02-13T23:31:30Z').getDayOfMonth()", 12),
        ("timestamp('2009-02-13T23:31:30Z').getMonth('Australia/Sydney')", 1),
        ("timestamp('2009-02-13T23:31:30Z').getHours('-10:00')", 13),
        ("int(timestamp('1969-12-31T23:59:59.5Z'))", -1),
        ("timestamp('2000-01-01T00:00:00Z') - duration('1h30m') == timestamp('1999-12-31T22:30:00Z')", True),
        ("duration('1h') > duration('59m59s')", True), ("duration('-1s') < duration('0')", True),
        ("duration('2h').getMinutes()", 120), ("duration('3723s').getSeconds()", 3723),
        ("string(duration('0.001s'))", "0.001s"), ("string(duration('-0.000001s'))", "-0.000001s"),
        ("timestamp('10000-01-01T00:00:00Z')", ERROR), ("timestamp(-62135596801)", ERROR),
        ("duration('320000000000s')", ERROR), ("duration('200000000000s') + duration('200000000000s')", ERROR),
        ("timestamp('2300-01-01T00:00:00Z') - timestamp('2000-01-01T00:00:00Z')", ERROR),
        ("timestamp('2000-01-01T00:00:00Z') + duration('2562047h') > timestamp('2000-01-01T00:00:00Z')", True),
        ("type(timestamp(0)) == google.protobuf.Timestamp", True),
        ("timestamp(0) == timestamp('1970-01-01T00:00:00Z')", True),
        ("duration('1h') == timestamp(0)", False),
    ],
    "fields/maps": [
        ("m.a", 1), ("m['a']", 1), ("m.nested.b", [2]), ("has(m.a)", True), ("has(m.zz)", False),
        ("has(m.nested.b)", True), ("m.zz", ERROR), ("m.a.b", ERROR), ("has(m.a.b)", ERROR),
        ("{'a': 1, 'b': 2}.size()", 2), ("{'k': 'v'}.k + '!'", "v!"), ("{1: 2}[1] + {true: 3}[true]", 5),
        ("m.`dashed-name`", "ok"), ("has(m.`dashed-name`)", True),
    ],
}

CASES = [(section, source, expected) for section, cases in SECTIONS.items() for source, expected in cases]
DATA: dict[str, Any] = {"v": 42, "m": {"a": 1, "nested": {"b": [2]}, "dashed-name": "ok"}}


@pytest.mark.parametrize(("section", "source", "expected"), CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in CASES])
def test_conformance(section: str, source: str, expected: Any) -> None:
    if expected is ERROR:
        err(source, **DATA)
        return
    got = ev(source, **DATA)
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(got, float) and math.isnan(got)
    else:
        assert got == expected and type(got) is type(expected), (got, expected)
