"""Hypothesis strategies: JSON-like activations and CEL expressions over them.

The expression generator covers the supported subset: literals of every kind,
identifiers bound to generated data, all operators, selection/indexing/has(), the
standard functions and the macros (with nested scopes and shadowing). Ranges of
``filter``/``map`` are kept to lists because map iteration order is unspecified in
CEL (cel-expr-python iterates in hash order, we in insertion order).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

KEYS = ("a", "b", "k")
VARS = ("a", "b", "xs", "m")

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0, 1, 2, 100, -7, 2**31, 9223372036854775807, -9223372036854775808]),
    st.sampled_from([0.0, 1.0, -1.5, 2.5, 0.1, 1e10, -0.0]),
    st.sampled_from(["", "a", "A", "ab", "ba", "abc", "é", "MFA", "mfa"]),
)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    return st.recursive(
        _scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.sampled_from(KEYS), children, max_size=3),
        ),
        max_leaves=max_leaves,
    )


def activations() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "a": json_values(),
            "b": json_values(),
            "xs": st.lists(json_values(4), max_size=5),
            "m": st.dictionaries(st.sampled_from(KEYS), json_values(4), max_size=3),
        }
    )


_LITERALS = [
    "0",
    "1",
    "2",
    "-1",
    "7",
    "9223372036854775807",
    "-9223372036854775808",
    "0u",
    "1u",
    "2u",
    "18446744073709551615u",
    "0.0",
    "1.0",
    "-1.5",
    "2.5",
    "1e10",
    "''",
    "'a'",
    "'A'",
    "'ab'",
    "'abc'",
    "'é'",
    "b'a'",
    "b''",
    "true",
    "false",
    "null",
    "int",
    "string",
    "double",
    "list",
    "map",
    "bool",
    "null_type",
]
_BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"]
_FUNC1 = ["size", "int", "uint", "double", "string", "bool", "type", "dyn", "bytes"]
_STR_METHODS = ["contains", "startsWith", "endsWith", "matches"]
_PATTERNS = ["'a'", "'^a'", "'b$'", "'[ab]+'", "'(a|b)*c'", "'.'", "'('"]
_MACRO_VARS = ("v", "w", "a")  # 'a' shadows a data variable


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3, scope: tuple[str, ...] = ()) -> str:
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(_leaf(scope))
    kind = draw(
        st.sampled_from(
            ["binary"] * 5
            + [
                "unary",
                "ternary",
                "select",
                "index",
                "has",
                "list",
                "map",
                "func",
                "method",
                "macro",
                "macro",
                "list_macro",
                "time",
            ]
        )
    )
    sub = expressions(depth - 1, scope)
    if kind == "binary":
        return f"({draw(sub)} {draw(st.sampled_from(_BINARY))} {draw(sub)})"
    if kind == "unary":
        return f"{draw(st.sampled_from(['!', '-']))}({draw(sub)})"
    if kind == "ternary":
        return f"({draw(sub)} ? {draw(sub)} : {draw(sub)})"
    if kind == "select":
        return f"{_atom(draw(sub))}.{draw(st.sampled_from(KEYS))}"
    if kind == "index":
        return f"{_atom(draw(sub))}[{draw(sub)}]"
    if kind == "has":
        return f"has({_atom(draw(sub))}.{draw(st.sampled_from(KEYS))})"
    if kind == "list":
        items = draw(st.lists(sub, max_size=3))
        return "[" + ", ".join(items) + "]"
    if kind == "map":
        keys = draw(st.lists(st.sampled_from(["'a'", "'b'", "3", "2u", "true"]), max_size=3, unique=True))
        return "{" + ", ".join(f"{k}: {draw(sub)}" for k in keys) + "}"
    if kind == "func":
        return f"{draw(st.sampled_from(_FUNC1))}({draw(sub)})"
    if kind == "method":
        name = draw(st.sampled_from([*_STR_METHODS, "size"]))
        if name == "size":
            return f"{_atom(draw(sub))}.size()"
        arg = draw(st.sampled_from(_PATTERNS)) if name == "matches" else draw(sub)
        return f"{_atom(draw(sub))}.{name}({arg})"
    if kind == "time":
        return draw(_time_expr(sub))
    var = draw(st.sampled_from(_MACRO_VARS))
    inner = expressions(depth - 1, (*scope, var))
    if kind == "list_macro":
        rng = draw(st.sampled_from(["xs", "[1, 2, 3]", "['a', 'b']", "[0, 1, 'x', null]", "[]"]))
        name = draw(st.sampled_from(["filter", "map", "map3"]))
        if name == "map3":
            return f"{rng}.map({var}, {draw(inner)}, {draw(inner)})"
        return f"{rng}.{name}({var}, {draw(inner)})"
    name = draw(st.sampled_from(["all", "exists", "exists_one"]))
    return f"{_atom(draw(sub))}.{name}({var}, {draw(inner)})"


def _atom(src: str) -> str:
    return src if src.replace("_", "").isalnum() else f"({src})"


@st.composite
def _leaf(draw: st.DrawFn, scope: tuple[str, ...]) -> str:
    choices = list(_LITERALS) + list(VARS) * 3 + list(scope) * 4
    return draw(st.sampled_from(choices))


@st.composite
def _time_expr(draw: st.DrawFn, sub: st.SearchStrategy[str]) -> str:
    ts = draw(
        st.sampled_from(["'2020-01-01T00:00:00Z'", "'2024-02-29T23:59:59.5Z'", "'1970-01-01T00:00:00+01:00'"])
    )
    dur = draw(st.sampled_from(["'1h'", "'-30m'", "'8760h'", "'1.5s'", "'0'"]))
    form = draw(st.integers(0, 5))
    if form == 0:
        return f"timestamp({ts}) + duration({dur})"
    if form == 1:
        return f"timestamp({ts}) - timestamp({ts}) < duration({dur})"
    if form == 2:
        acc = draw(st.sampled_from(["getFullYear", "getMonth", "getDayOfWeek", "getHours", "getDayOfYear"]))
        return f"timestamp({ts}).{acc}()"
    if form == 3:
        return f"string(duration({dur}))"
    if form == 4:
        return f"timestamp({draw(sub)})"
    return f"duration({draw(sub)})"


# -- well-typed expressions: most evaluate to a value, which exercises value semantics ----

TYPED_DATA_SHAPE = {
    "i": "int",
    "f": "double",
    "s": "string",
    "t": "bool",
    "li": "list_int",
    "ls": "list_string",
}


def typed_activations() -> st.SearchStrategy[dict[str, Any]]:
    ints = st.one_of(st.integers(-20, 20), st.sampled_from([2**31, -(2**40), 9223372036854775807]))
    strs = st.text(alphabet="abAB é", max_size=4)
    return st.fixed_dictionaries(
        {
            "d": st.fixed_dictionaries(
                {
                    "i": ints,
                    "f": st.sampled_from([0.0, 0.5, -2.5, 3.0, 1e300, -0.0]),
                    "s": strs,
                    "t": st.booleans(),
                    "li": st.lists(ints, max_size=5),
                    "ls": st.lists(strs, max_size=4),
                    "m": st.dictionaries(st.sampled_from(["a", "b", "c"]), ints, max_size=3),
                }
            )
        }
    )


@st.composite
def typed_expressions(
    draw: st.DrawFn, typ: str = "bool", depth: int = 4, scope: tuple[tuple[str, str], ...] = ()
) -> str:
    vars_of = [name for name, t in scope if t == typ]
    if depth <= 0 or draw(st.integers(0, 5)) == 0:
        return draw(_typed_leaf(typ, vars_of))
    sub = lambda t: typed_expressions(t, depth - 1, scope)  # noqa: E731
    if typ == "int":
        form = draw(st.integers(0, 6))
        if form <= 2:
            return (
                f"({draw(sub('int'))} {draw(st.sampled_from(['+', '-', '*', '/', '%']))} {draw(sub('int'))})"
            )
        if form == 3:
            return f"size({draw(sub(draw(st.sampled_from(['string', 'list_int', 'list_string']))))})"
        if form == 4:
            return f"int({draw(sub('double'))})"
        if form == 5:
            return f"({draw(sub('bool'))} ? {draw(sub('int'))} : {draw(sub('int'))})"
        return f"d.m[{draw(st.sampled_from(['a', 'b', 'c']))!r}]"
    if typ == "double":
        form = draw(st.integers(0, 3))
        if form <= 1:
            return (
                f"({draw(sub('double'))} {draw(st.sampled_from(['+', '-', '*', '/']))} {draw(sub('double'))})"
            )
        if form == 2:
            return f"double({draw(sub('int'))})"
        return f"-{draw(sub('double'))}"
    if typ == "string":
        form = draw(st.integers(0, 3))
        if form == 0:
            return f"({draw(sub('string'))} + {draw(sub('string'))})"
        if form == 1:
            return f"string({draw(sub(draw(st.sampled_from(['int', 'double', 'bool']))))})"
        if form == 2:
            return f"({draw(sub('bool'))} ? {draw(sub('string'))} : {draw(sub('string'))})"
        return f"{draw(sub('string'))}.{draw(st.sampled_from(['lowerAscii', 'upperAscii']))}()"
    if typ in ("list_int", "list_string"):
        elem = "int" if typ == "list_int" else "string"
        form = draw(st.integers(0, 3))
        var = draw(st.sampled_from(["x", "y"]))
        inner = lambda t: typed_expressions(t, depth - 1, (*scope, (var, elem)))  # noqa: E731
        if form == 0:
            return f"({draw(sub(typ))} + {draw(sub(typ))})"
        if form == 1:
            return f"{draw(sub(typ))}.filter({var}, {draw(inner('bool'))})"
        if form == 2:
            return f"{draw(sub(typ))}.map({var}, {draw(inner(elem))})"
        return f"{draw(sub(typ))}.map({var}, {draw(inner('bool'))}, {draw(inner(elem))})"
    # bool
    form = draw(st.integers(0, 9))
    if form <= 2:
        t = draw(st.sampled_from(["int", "double", "string", "bool"]))
        u = "int" if t == "double" and draw(st.booleans()) else t
        return f"({draw(sub(t))} {draw(st.sampled_from(['==', '!=', '<', '<=', '>', '>=']))} {draw(sub(u))})"
    if form == 3:
        return f"({draw(sub('bool'))} {draw(st.sampled_from(['&&', '||']))} {draw(sub('bool'))})"
    if form == 4:
        return f"!{draw(sub('bool'))}"
    if form == 5:
        elem = draw(st.sampled_from(["int", "string"]))
        return f"({draw(sub(elem))} in {draw(sub('list_' + elem))})"
    if form == 6:
        fn = draw(st.sampled_from(["contains", "startsWith", "endsWith", "matches"]))
        arg = (
            draw(st.sampled_from(["'a'", "'^A'", "'b$'", "'[ab]+'"]))
            if fn == "matches"
            else draw(sub("string"))
        )
        return f"{draw(sub('string'))}.{fn}({arg})"
    if form == 7:
        return f"has(d.m.{draw(st.sampled_from(['a', 'b', 'c']))})"
    lst = draw(st.sampled_from(["list_int", "list_string"]))
    var = draw(st.sampled_from(["x", "y"]))
    inner_scope = (*scope, (var, "int" if lst == "list_int" else "string"))
    body = draw(typed_expressions("bool", depth - 1, inner_scope))
    return f"{draw(sub(lst))}.{draw(st.sampled_from(['all', 'exists', 'exists_one']))}({var}, {body})"


@st.composite
def _typed_leaf(draw: st.DrawFn, typ: str, vars_of: list[str]) -> str:
    pools = {
        "int": ["0", "1", "-3", "7", "100", "d.i", "9223372036854775807"],
        "double": ["0.0", "1.5", "-2.0", "1e10", "d.f"],
        "string": ["''", "'a'", "'Ab'", "'é'", "d.s"],
        "bool": ["true", "false", "d.t"],
        "list_int": ["[]", "[1, 2, 3]", "d.li", "[0, -1]"],
        "list_string": ["[]", "['a', 'b']", "d.ls", "['A']"],
    }
    return draw(st.sampled_from(pools[typ] + vars_of * 3))
