"""Reference interpreter with CEL error *values*, compiled to closures.

Why it exists next to the generated-Python fast path: it is the exact definition of the
semantics (error absorption in ``&&``/``||``/``all``/``exists`` needs errors to be
ordinary values that can be held while the other operand is evaluated), it produces
positioned error messages, and it is what the fast path falls back to whenever it meets
anything unusual. Each node is turned once into a Python closure (no per-evaluation
dispatch), which keeps the fallback within a small factor of the fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, assert_never

from . import ops
from .budget import tick
from .errors import EvalFailure
from .meter import charged
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
    Select,
    Ternary,
    Unary,
)
from .registry import FunctionTable
from .values import type_name


class Err:
    """A CEL error value with the position of the sub-expression that produced it."""

    __slots__ = ("column", "line", "message")

    def __init__(self, message: str, line: int, column: int) -> None:
        self.message = message
        self.line = line
        self.column = column

    def __repr__(self) -> str:
        return f"Err({self.message!r}, {self.line}, {self.column})"


Vars = dict[str, Any]
Fn = Callable[[Vars], Any]
_ACTIVATION = "\0activation"  # key no identifier can spell: the activation rides in the vars dict

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": ops.add,
    "-": ops.sub,
    "*": ops.mul,
    "/": ops.div,
    "%": ops.mod,
    "<": ops.lt,
    "<=": ops.le,
    ">": ops.gt,
    ">=": ops.ge,
    "==": ops.eq,
    "!=": lambda a, b: not ops.eq(a, b),
    "in": ops.contains_in,
}


def _overload(op: str, value: Any, node: Node) -> Err:
    return Err(f"no matching overload for '{op}' applied to ({type_name(value)})", node.line, node.column)


class Interpreter:
    """Evaluates a checked tree against an activation; returns a value or an ``Err``."""

    def __init__(self, tree: Node, functions: FunctionTable) -> None:
        self.functions = functions
        self.root = self.compile(tree)

    def run(self, activation: Mapping[str, Any], local: Vars | None = None) -> Any:
        env: Vars = {_ACTIVATION: activation}
        if local:
            env.update(local)
        return self.root(env)

    def compile(self, node: Node) -> Fn:
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

    # -- leaves -------------------------------------------------------------
    def _literal(self, node: Literal) -> Fn:
        value = node.value
        return lambda env: value

    def _ident(self, node: Ident) -> Fn:
        name = node.name

        def ident(env: Vars) -> Any:
            if name in env:
                return env[name]
            try:
                return env[_ACTIVATION][name]
            except KeyError:
                return Err(f"no value for '{name}' in the activation", node.line, node.column)

        return ident

    # -- strict operators ---------------------------------------------------
    def _strict1(self, node: Node, operand: Fn, fn: Callable[[Any], Any]) -> Fn:
        line, column = node.line, node.column

        def apply1(env: Vars) -> Any:
            a = operand(env)
            if a.__class__ is Err:
                return a
            try:
                return fn(a)
            except EvalFailure as exc:
                return Err(exc.message, line, column)

        return apply1

    def _select(self, node: Select) -> Fn:
        field = node.field
        return self._strict1(node, self.compile(node.operand), lambda o: ops.select(o, field))

    def _has(self, node: Has) -> Fn:
        field = node.field
        return self._strict1(node, self.compile(node.operand), lambda o: ops.has_field(o, field))

    def _unary(self, node: Unary) -> Fn:
        return self._strict1(node, self.compile(node.operand), ops.logical_not if node.op == "!" else ops.neg)

    def _binary(self, node: Binary) -> Fn:
        left, right, fn = self.compile(node.left), self.compile(node.right), _BINARY[node.op]
        line, column = node.line, node.column

        def binary(env: Vars) -> Any:
            a = left(env)
            b = right(env)
            if a.__class__ is Err:
                return a
            if b.__class__ is Err:
                return b
            try:
                return fn(a, b)
            except EvalFailure as exc:
                return Err(exc.message, line, column)

        return binary

    def _index(self, node: Index) -> Fn:
        operand, index = self.compile(node.operand), self.compile(node.index)
        line, column = node.line, node.column

        def indexer(env: Vars) -> Any:
            a = operand(env)
            b = index(env)
            if a.__class__ is Err:
                return a
            if b.__class__ is Err:
                return b
            try:
                return ops.index(a, b)
            except EvalFailure as exc:
                return Err(exc.message, line, column)

        return indexer

    # -- non-strict operators -----------------------------------------------
    def _logical(self, node: Logical) -> Fn:
        left, right = self.compile(node.left), self.compile(node.right)
        decisive = node.op == "||"  # the operand value that decides the result
        name = "_||_" if decisive else "_&&_"

        def logical(env: Vars) -> Any:
            a = left(env)
            if a is decisive:
                return decisive
            b = right(env)
            if b is decisive:
                return decisive
            if a is (not decisive) and b.__class__ is bool:
                return b
            if a.__class__ is Err:
                return a
            if b.__class__ is Err:
                return b
            return _overload(name, a if a.__class__ is not bool else b, node)

        return logical

    def _ternary(self, node: Ternary) -> Fn:
        cond, then, otherwise = self.compile(node.cond), self.compile(node.then), self.compile(node.otherwise)

        def ternary(env: Vars) -> Any:
            c = cond(env)
            if c is True:
                return then(env)
            if c is False:
                return otherwise(env)
            return c if c.__class__ is Err else _overload("_?_:_", c, node)

        return ternary

    # -- literals -----------------------------------------------------------
    def _listlit(self, node: ListLit) -> Fn:
        items = [self.compile(i) for i in node.items]

        def make_list(env: Vars) -> Any:
            out = []
            for item in items:
                v = item(env)
                if v.__class__ is Err:
                    return v
                out.append(v)
            return out

        return make_list

    def _maplit(self, node: MapLit) -> Fn:
        entries = [(self.compile(k), self.compile(v)) for k, v in node.entries]

        def make_map(env: Vars) -> Any:
            pairs = []
            for key_fn, value_fn in entries:
                k = key_fn(env)
                if k.__class__ is Err:
                    return k
                v = value_fn(env)
                if v.__class__ is Err:
                    return v
                pairs.append((k, v))
            try:
                return ops.make_map(pairs)
            except EvalFailure as exc:
                return Err(exc.message, node.line, node.column)

        return make_map

    # -- calls --------------------------------------------------------------
    def _call(self, node: Call) -> Fn:
        operands = ([node.target] if node.target is not None else []) + list(node.args)
        arg_fns = [self.compile(a) for a in operands]
        declared = self.functions.lookup(node.function, member=node.target is not None)
        assert declared is not None, node.function  # the checker made sure
        impl = declared.impl
        line, column, name = node.line, node.column, node.function

        def call(env: Vars) -> Any:
            args = []
            for fn in arg_fns:
                v = fn(env)
                if v.__class__ is Err:
                    return v
                args.append(v)
            try:
                return impl(*args)
            except EvalFailure as exc:
                return Err(exc.message, line, column)
            except RecursionError:
                raise
            except Exception as exc:  # only host functions get here (standard ones raise EvalFailure)
                return Err(f"{name}: {exc}", line, column)

        return call

    # -- comprehensions -----------------------------------------------------
    def _macro(self, node: Macro) -> Fn:
        rng = self.compile(node.range)
        body = self.compile(node.body)
        transform = self.compile(node.transform) if node.transform is not None else None
        var, kind = node.var, node.kind
        label = "map" if kind == "map3" else kind

        def iterate(env: Vars) -> Any:
            r = rng(env)
            if r.__class__ is Err:
                return r
            if r.__class__ is dict:
                return list(r)
            if r.__class__ is list or r.__class__ is tuple:
                return r
            return Err(f"{label}() expects a list or map, got {type_name(r)}", node.line, node.column)

        if kind in ("all", "exists"):
            decisive = kind == "exists"
            name = "_||_" if decisive else "_&&_"

            def quantifier(env: Vars) -> Any:
                items = iterate(env)
                if items.__class__ is Err:
                    return items
                inner = dict(env)
                first_error: Err | None = None
                for x in items:
                    tick()
                    inner[var] = x
                    r = body(inner)
                    if r is decisive:
                        return decisive
                    if r.__class__ is not bool and first_error is None:
                        first_error = r if r.__class__ is Err else _overload(name, r, node)
                return first_error if first_error is not None else (not decisive)

            return quantifier

        def collect(env: Vars) -> Any:
            items = iterate(env)
            if items.__class__ is Err:
                return items
            inner = dict(env)
            count = 0
            out: list[Any] = []
            for x in items:
                tick()
                inner[var] = x
                if kind == "map":
                    v = body(inner)
                    if v.__class__ is Err:
                        return v
                    out.append(v)
                    continue
                r = body(inner)
                if r is True:
                    if kind == "exists_one":
                        count += 1
                    elif kind == "filter":
                        out.append(x)
                    else:
                        assert transform is not None
                        v = transform(inner)
                        if v.__class__ is Err:
                            return v
                        out.append(v)
                elif r is not False:
                    return r if r.__class__ is Err else _overload("_?_:_", r, node)
            return count == 1 if kind == "exists_one" else charged(out)

        return collect
