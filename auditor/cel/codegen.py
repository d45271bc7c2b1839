"""Compiler from the checked tree to Python source: the optimistic fast path.

Why: interpreting a tree costs microseconds per node; policies run over millions of
records. The generated function works directly on the snapshot's dicts and lists
(``u.isMfaRegistered`` becomes ``v_u['isMfaRegistered']``) and uses Python operators
wherever they provably agree with CEL, calling the shared ``ops``/``functions``
implementations otherwise.

The contract is one-sided: whenever generated code *returns*, the value is exactly the
CEL result. Whenever it meets anything unusual - a missing key, a non-bool operand of
``&&``, an error inside ``exists`` before a decisive element, any Python exception - it
raises, and the caller re-evaluates with the reference interpreter, which also produces
the positioned error message. Macros become nested functions with plain ``for`` loops.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, assert_never

from .fastrt import BASE_NAMESPACE
from .nodes import (
    Binary,
    Call,
    Has,
    Ident,
    Index,
    ListLit,
    Literal,
    Logical,
    Macro,
    MapLit,
    Node,
    NodeBase,
    Select,
    Ternary,
    Unary,
    children,
)
from .registry import FunctionTable
from .values import INT64_MAX, INT64_MIN, Uint

_EXACT = 2**53  # integers up to here compare with doubles identically, exact or converted
_CMP = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_ARITH = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod"}
#: declared result types the generated code may rely on (others are treated as unknown)
_TRUSTED_TYPES = frozenset(("int", "uint", "double", "string", "bool"))


def py_name(name: str) -> str:
    """Injective mapping of CEL names (possibly dotted, declared as ``a.b``) to Python identifiers."""
    return "v_" + name.replace("_", "__").replace(".", "_d")


@dataclass
class _Scope:
    """One generated Python function: its preamble (nested macro defs) lives here."""

    indent: str
    preamble: list[str] = field(default_factory=list)


class CodeGen:
    """Generates the source of ``_eval(_act)`` or ``_each(_act, _items, _S)``."""

    def __init__(self, tree: Node, references: set[str], functions: FunctionTable) -> None:
        self.tree = tree
        self.references = sorted(references)
        self.functions = functions
        self.namespace: dict[str, Any] = dict(BASE_NAMESPACE)
        self.scopes: list[_Scope] = []
        self._ids = itertools.count()
        self._bound: list[str] = []  # macro variables in scope where code is being emitted
        self._repeated = False  # True while emitting code that runs once per item

    # -- entry points -------------------------------------------------------
    def eval_source(self) -> str:
        scope = _Scope("    ")
        self.scopes = [scope]
        body = self.emit(self.tree)[0]
        lines = ["def _eval(_act):"]
        lines += [f"    {py_name(n)} = _act[{n!r}]" for n in self.references]
        lines += scope.preamble
        lines.append(f"    return {body}")
        return "\n".join(lines) + "\n"

    def each_source(self, item: str) -> str:
        scope = _Scope("    ")
        self.scopes = [scope]
        self._repeated = True
        body = self.emit(self.tree)[0]
        lines = ["def _each(_act, _items, _S):"]
        lines += [f"    {py_name(n)} = _act[{n!r}]" for n in self.references if n != item]
        lines += scope.preamble
        lines += [
            "    _out = []",
            "    _bad = []",
            "    _ap = _out.append",
            f"    for {py_name(item)} in _items:",
            "        _tick()",
            "        try:",
            f"            _ap({body})",
            "        except Exception:",
            "            _bad.append(len(_out))",
            "            _ap(_S)",
            "    return _out, _bad",
        ]
        return "\n".join(lines) + "\n"

    # -- helpers ------------------------------------------------------------
    def tmp(self) -> str:
        return f"_t{next(self._ids)}"

    def const(self, value: Any) -> str:
        name = f"_k{next(self._ids)}"
        self.namespace[name] = value
        return name

    def emit(self, node: Node) -> tuple[str, str]:
        """Python expression text and its static type ('dyn' when unknown)."""
        match node:
            case Literal():
                return self._literal(node)
            case Ident():
                return self._ident(node)
            case Select():
                return self._select(node)
            case Has():
                return self._has(node)
            case Index():
                return self._index(node)
            case Unary():
                return self._unary(node)
            case Binary():
                return self._binary(node)
            case Logical():
                return self._logical(node)
            case Ternary():
                return self._ternary(node)
            case Call():
                return self._call(node)
            case ListLit():
                return self._listlit(node)
            case MapLit():
                return self._maplit(node)
            case Macro():
                return self._macro(node)
            case _:
                assert_never(node)

    # -- nodes --------------------------------------------------------------
    def _literal(self, node: Literal) -> tuple[str, str]:
        v = node.value
        if v is None:
            return "None", "null"
        if v is True or v is False:
            return repr(v), "bool"
        if v.__class__ is int:
            return f"({v!r})", "int"
        if v.__class__ is str:
            return repr(v), "string"
        if v.__class__ is float:
            return self.const(v), "double"
        if v.__class__ is Uint:
            return self.const(v), "uint"
        return self.const(v), "dyn"

    def _ident(self, node: Ident) -> tuple[str, str]:
        return py_name(node.name), "dyn"

    def _select(self, node: Select) -> tuple[str, str]:
        operand = self.emit(node.operand)[0]
        return f"{operand}[{node.field!r}]", "dyn"

    def _has(self, node: Has) -> tuple[str, str]:
        t = self.tmp()
        operand = self.emit(node.operand)[0]
        return f"(({node.field!r} in {t}) if ({t} := {operand}).__class__ is dict else _fail())", "bool"

    def _index(self, node: Index) -> tuple[str, str]:
        return f"_index({self.emit(node.operand)[0]}, {self.emit(node.index)[0]})", "dyn"

    def _unary(self, node: Unary) -> tuple[str, str]:
        code, typ = self.emit(node.operand)
        if node.op == "!":
            return (f"(not {code})" if typ == "bool" else f"_not({code})"), "bool"
        if typ == "double":
            return f"(-{code})", "double"
        return f"_neg({code})", typ if typ == "int" else "dyn"

    def _binary(self, node: Binary) -> tuple[str, str]:
        a, ta = self.emit(node.left)
        b, tb = self.emit(node.right)
        op = node.op
        if op in ("==", "!="):
            code = self._equality(node.left, a, ta, node.right, b, tb)
            return (code if op == "==" else f"(not {code})"), "bool"
        if op in _CMP:
            if ta == tb and ta in ("int", "double", "string"):
                return f"({a} {op} {b})", "bool"
            return f"{_CMP[op]}({a}, {b})", "bool"
        if op == "in":
            rn = node.right
            if (
                isinstance(rn, ListLit)
                and rn.items
                and all(isinstance(i, Literal) and i.value.__class__ is str for i in rn.items)
            ):
                # `x in ['a', 'b']`: a string equals only an equal string, so a frozenset
                # lookup is exact (an unhashable x raises, which falls back).
                values = frozenset(i.value for i in rn.items if isinstance(i, Literal))
                return f"({a} in {self.const(values)})", "bool"
            if ta == "string":
                return f"_in_str({a}, {b})", "bool"
            return f"_in({a}, {b})", "bool"
        if ta == tb == "int" and op in "+-*":
            t = self.tmp()
            return f"({t} if {INT64_MIN} <= ({t} := {a} {op} {b}) <= {INT64_MAX} else _fail())", "int"
        if ta == tb == "double" and op in "+-*":
            return f"({a} {op} {b})", "double"
        typ = ta if ta == tb and ta in ("int", "uint", "double") else "dyn"
        if op == "+" and ta == tb == "string":
            typ = "string"
        return f"{_ARITH[op]}({a}, {b})", typ

    def _equality(self, ln: Node, a: str, ta: str, rn: Node, b: str, tb: str) -> str:
        if isinstance(rn, Literal) or (isinstance(ln, Literal) and not isinstance(rn, Literal)):
            lit, other, lit_t = (rn, a, tb) if isinstance(rn, Literal) else (ln, b, ta)
            assert isinstance(lit, Literal)
            v = lit.value
            if v is None:
                return f"({other} is None)"
            if v is True or v is False:
                return f"({other} is {v!r})"
            if lit_t == "string":
                return f"({other} == {v!r})"
            if lit_t in ("int", "double") and v == v and abs(v) <= _EXACT:
                lit_code = a if lit is ln else b
                if v not in (0, 1):
                    return f"({other} == {lit_code})"
                t = self.tmp()
                return f"(({t} := {other}) == {lit_code} and {t}.__class__ is not bool)"
        if ta == tb and ta in ("string", "int", "bool"):
            return f"({a} == {b})"
        return f"_eq({a}, {b})"

    def _logical(self, node: Logical) -> tuple[str, str]:
        a, ta = self.emit(node.left)
        b, tb = self.emit(node.right)
        if tb != "bool":
            u = self.tmp()
            b = f"({u} if ({u} := {b}).__class__ is bool else _fail())"
        if node.op == "&&":
            if ta == "bool":
                return f"({b} if {a} else False)", "bool"
            t = self.tmp()
            return f"({b} if ({t} := {a}) is True else (False if {t} is False else _fail()))", "bool"
        if ta == "bool":
            return f"(True if {a} else {b})", "bool"
        t = self.tmp()
        return f"(True if ({t} := {a}) is True else ({b} if {t} is False else _fail()))", "bool"

    def _ternary(self, node: Ternary) -> tuple[str, str]:
        c, tc = self.emit(node.cond)
        a, ta = self.emit(node.then)
        b, tb = self.emit(node.otherwise)
        typ = ta if ta == tb else "dyn"
        if tc == "bool":
            return f"({a} if {c} else {b})", typ
        t = self.tmp()
        return f"({a} if ({t} := {c}) is True else ({b} if {t} is False else _fail()))", typ

    def _listlit(self, node: ListLit) -> tuple[str, str]:
        return "[" + ", ".join(self.emit(i)[0] for i in node.items) + "]", "list"

    def _maplit(self, node: MapLit) -> tuple[str, str]:
        keys = [k.value for k, _ in node.entries if isinstance(k, Literal) and k.value.__class__ is str]
        if len(keys) == len(node.entries) and len(set(keys)) == len(keys):
            body = ", ".join(
                f"{k!r}: {self.emit(v)[0]}" for k, (_, v) in zip(keys, node.entries, strict=True)
            )
            return "{" + body + "}", "map"
        pairs = ", ".join(f"({self.emit(k)[0]}, {self.emit(v)[0]})" for k, v in node.entries)
        return f"_mkmap([{pairs}])", "map"

    def _call(self, node: Call) -> tuple[str, str]:
        declared = self.functions.lookup(node.function, member=node.target is not None)
        assert declared is not None, node.function  # the checker made sure
        operands = ([node.target] if node.target is not None else []) + list(node.args)
        codes = [self.emit(a) for a in operands]
        if declared.fast is not None:
            fast = declared.fast(self, node, codes)
            if fast is not None:
                return fast
        typ = declared.result if declared.result in _TRUSTED_TYPES else "dyn"
        if declared.pure:
            folded = self._fold(declared.impl, node)
            if folded is not None:
                return folded, typ
        return f"{self.const(declared.impl)}({', '.join(c for c, _ in codes)})", typ

    def _fold(self, impl: Callable[..., Any], node: Call) -> str | None:
        """Pre-compute pure builtin calls on literals (``duration('8760h')``) once, at compile time."""
        operands = ([node.target] if node.target is not None else []) + list(node.args)
        if not all(isinstance(a, Literal) for a in operands):
            return None
        try:
            value = impl(*(a.value for a in operands if isinstance(a, Literal)))
        except Exception:
            return None  # an error: leave it to run time (and to the interpreter's message)
        if isinstance(value, list | dict):
            return None  # mutable results must be fresh per evaluation
        return self.const(value)

    def _join(self, node: Macro) -> tuple[str, str] | None:
        """``coll.exists(v, v.f == k)`` / ``coll.filter(v, v.f == k)`` run repeatedly, and
        ``coll.exists(v, v.f in ks)`` / ``coll.filter(v, v.f in ks)`` anywhere: an index lookup.

        Only over a free name (a snapshot collection or a variable), only when ``k`` (``ks``)
        does not depend on ``v``, and for ``==`` only where the macro runs more than once
        (inside another macro, or per subject): a single lookup would cost the index. A
        scan with ``in`` costs a list search per element, more than building the index. The
        lookup answers when it can be exact and returns None otherwise, and then the
        ordinary loop (emitted as usual) decides.
        """
        if node.kind not in ("exists", "filter") or node.transform is not None:
            return None
        rng, body = node.range, node.body
        if not isinstance(rng, Ident) or rng.name in self._bound:
            return None
        if not isinstance(body, Binary) or body.op not in ("==", "in"):
            return None
        if body.op == "==" and not self._repeated:
            return None
        # ``v.f == k`` either way round; ``v.f in ks`` only this way round
        pairs = [(body.left, body.right)] + ([(body.right, body.left)] if body.op == "==" else [])
        for side, other in pairs:
            if (
                isinstance(side, Select)
                and isinstance(side.operand, Ident)
                and side.operand.name == node.var
                and not _mentions(other, node.var)
            ):
                r, k, j = self.tmp(), self.tmp(), self.tmp()
                key = self.emit(other)[0]
                scan = self._macro(node, range_code=r)[0]
                helper = ("_jexists" if node.kind == "exists" else "_jfilter") + (
                    "_in" if body.op == "in" else ""
                )
                code = (
                    f"({j} if ({j} := {helper}(({r} := {py_name(rng.name)}), {side.field!r}, "
                    f"({k} := {key}))) is not None else {scan})"
                )
                return code, "bool" if node.kind == "exists" else "list"
        return None

    def _macro(self, node: Macro, range_code: str | None = None) -> tuple[str, str]:
        if range_code is None:
            joined = self._join(node)
            if joined is not None:
                return joined
        rng = range_code if range_code is not None else self.emit(node.range)[0]
        outer = self.scopes[-1]
        name = f"_m{next(self._ids)}"
        ind = outer.indent
        inner = _Scope(ind + "    ")
        self.scopes.append(inner)
        self._bound.append(node.var)
        repeated, self._repeated = self._repeated, True
        body, tb = self.emit(node.body)
        transform = self.emit(node.transform)[0] if node.transform is not None else None
        self._repeated = repeated
        self._bound.pop()
        self.scopes.pop()
        i1 = ind + "    "
        i2 = i1 + "    "
        i3 = i2 + "    "
        v = py_name(node.var)
        lines = [f"{ind}def {name}(_r):", f"{i1}_r = _range(_r)", *inner.preamble]
        kind = node.kind
        if kind in ("all", "exists"):
            # Errors are absorbed by a decisive element anywhere in the range (as in the
            # interpreter), so an erroring element only matters if none is decisive.
            decisive = kind == "exists"
            lines += [
                f"{i1}_e = False",
                f"{i1}for {v} in _r:",
                f"{i2}_tick()",
                f"{i2}try:",
                f"{i3}_p = {body}",
                f"{i2}except RecursionError:",
                f"{i3}raise",
                f"{i2}except Exception:",
                f"{i3}_e = True",
                f"{i3}continue",
                f"{i2}if _p is {decisive!r}:",
                f"{i3}return {decisive!r}",
            ]
            if tb != "bool":
                lines += [f"{i2}if _p is not {(not decisive)!r}:", f"{i3}_e = True"]
            lines += [f"{i1}if _e:", f"{i2}_fail()", f"{i1}return {(not decisive)!r}"]
        elif kind == "exists_one":
            lines += [
                f"{i1}_n = 0",
                f"{i1}for {v} in _r:",
                f"{i2}_tick()",
                f"{i2}_p = {body}",
                f"{i2}if _p is True:",
                f"{i3}_n += 1",
                f"{i2}elif _p is not False:",
                f"{i3}_fail()",
                f"{i1}return _n == 1",
            ]
        else:
            lines += [f"{i1}_o = []", f"{i1}_a = _o.append", f"{i1}for {v} in _r:", f"{i2}_tick()"]
            if kind == "map":
                lines.append(f"{i2}_a({body})")
            else:
                item = v if kind == "filter" else transform
                lines += [f"{i2}_p = {body}", f"{i2}if _p is True:", f"{i3}_a({item})"]
                if tb != "bool":
                    lines += [f"{i2}elif _p is not False:", f"{i3}_fail()"]
            lines.append(f"{i1}return _charged(_o)")
        outer.preamble.extend(lines)
        typ = "bool" if kind in ("all", "exists", "exists_one") else "list"
        if range_code is None and self._shareable(node):
            key = self.const(shape(node))
            return f"_shared({key}, {rng}, {name})", typ
        return f"{name}({rng})", typ

    def _shareable(self, node: Macro) -> bool:
        """Whether the macro's result depends on its range alone: a free name (a snapshot
        collection, or a variable) and a body that reads nothing but its own variables and
        literals, calling only pure functions (no host function that reads data). Then every policy (and every iteration of
        an enclosing loop) that runs the same macro over the same list shares one result."""
        if not isinstance(node.range, Ident) or node.range.name in self._bound:
            return False
        allowed = {node.var}
        parts = [node.body] if node.transform is None else [node.body, node.transform]
        stack: list[Node] = list(parts)
        while stack:
            n = stack.pop()
            if isinstance(n, Macro):
                allowed.add(n.var)
            elif isinstance(n, Call):
                declared = self.functions.lookup(n.function, member=n.target is not None)
                if declared is None or not declared.pure:
                    return False
            stack.extend(children(n))
        return all(n.name in allowed for part in parts for n in _walk(part) if isinstance(n, Ident))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(children(n))


def shape(node: Node) -> tuple[Any, ...]:
    """The structure of ``node`` without positions: equal for the same expression written at
    different places (two policies), different for anything that could evaluate differently."""
    return (
        type(node).__name__,
        *(_shape_of(getattr(node, f.name)) for f in fields(node) if f.name not in _POSITION),
    )


_POSITION = ("line", "column")


def _shape_of(value: Any) -> Any:
    if isinstance(value, NodeBase):
        return shape(value)  # type: ignore[arg-type]
    if isinstance(value, tuple | list):
        return tuple(_shape_of(v) for v in value)
    return (type(value).__name__, repr(value))


def _mentions(node: Node, name: str) -> bool:
    """Whether ``name`` occurs as an identifier anywhere in ``node`` (conservatively, even rebound)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Ident) and n.name == name:
            return True
        stack.extend(children(n))
    return False
