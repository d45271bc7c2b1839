"""Compile-time checks: names, functions and arities, with positions.

Why: a policy file with ``sizee(x)`` or a misspelt collection must fail when policies
load, pointing at the character, not when an audit runs. The checker also resolves
type names (``int``, ``google.protobuf.Timestamp``) to type-value literals and records
the free identifiers and the fields selected on them, which the engine uses to know
which collections and params an expression reads, and the functions it calls (whose
declarations in the function table say what else they read).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import assert_never

from .errors import CelCompileError
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
from .values import TYPE_NAMES

MACRO_NAMES = ("all", "exists", "exists_one", "filter", "map")


@dataclass
class CheckResult:
    tree: Node
    references: set[str] = field(default_factory=set)
    selections: dict[str, set[str]] = field(default_factory=dict)
    #: the functions called, as (name, called as a member)
    calls: set[tuple[str, bool]] = field(default_factory=set)


class Checker:
    def __init__(self, names: Collection[str], functions: FunctionTable) -> None:
        self.names = frozenset(names)
        self.functions = functions
        self.result = CheckResult(tree=Literal(1, 1, None))

    def check(self, root: Node) -> CheckResult:
        self.result.tree = self.visit(root, frozenset())
        return self.result

    def visit(self, node: Node, scope: frozenset[str]) -> Node:
        match node:
            case Literal():
                return node
            case Ident():
                return self.ident(node, scope)
            case Select():
                qualified = _qualified(node)
                if qualified is not None:
                    root = qualified.split(".", 1)[0]
                    if root not in scope:
                        rewritten = self.qualified_name(node, qualified)
                        if rewritten is not None:
                            return self.visit(rewritten, scope)
                    if root not in scope and root not in self.names and qualified in TYPE_NAMES:
                        return Literal(node.line, node.column, TYPE_NAMES[qualified])
                self.note_selection(node.operand, node.field, scope)
                return Select(node.line, node.column, self.visit(node.operand, scope), node.field)
            case Has():
                self.note_selection(node.operand, node.field, scope)
                return Has(node.line, node.column, self.visit(node.operand, scope), node.field)
            case Index():
                if isinstance(node.index, Literal) and isinstance(node.index.value, str):
                    self.note_selection(node.operand, node.index.value, scope)
                return Index(
                    node.line, node.column, self.visit(node.operand, scope), self.visit(node.index, scope)
                )
            case Unary():
                return Unary(node.line, node.column, node.op, self.visit(node.operand, scope))
            case Binary():
                return Binary(
                    node.line,
                    node.column,
                    node.op,
                    self.visit(node.left, scope),
                    self.visit(node.right, scope),
                )
            case Logical():
                return Logical(
                    node.line,
                    node.column,
                    node.op,
                    self.visit(node.left, scope),
                    self.visit(node.right, scope),
                )
            case Ternary():
                return Ternary(
                    node.line,
                    node.column,
                    self.visit(node.cond, scope),
                    self.visit(node.then, scope),
                    self.visit(node.otherwise, scope),
                )
            case ListLit():
                return ListLit(node.line, node.column, tuple(self.visit(i, scope) for i in node.items))
            case MapLit():
                return MapLit(
                    node.line,
                    node.column,
                    tuple((self.visit(k, scope), self.visit(v, scope)) for k, v in node.entries),
                )
            case Macro():
                rng = self.visit(node.range, scope)
                inner = scope | {node.var}
                body = self.visit(node.body, inner)
                transform = self.visit(node.transform, inner) if node.transform is not None else None
                return Macro(node.line, node.column, node.kind, rng, node.var, body, transform)
            case Call():
                return self.call(node, scope)
            case _:
                assert_never(node)

    def qualified_name(self, node: Select, qualified: str) -> Node | None:
        """Resolve ``a.b.c`` against declared dotted names, longest prefix first (CEL name resolution)."""
        chain: list[Select] = []
        cur: Node = node
        while isinstance(cur, Select):
            chain.append(cur)
            cur = cur.operand
        if not isinstance(cur, Ident) or "." in cur.name:
            return None
        chain.reverse()  # innermost first: chain[k] selects part k + 1
        parts = qualified.split(".")
        for n in range(len(parts), 1, -1):
            prefix = ".".join(parts[:n])
            if prefix in self.names:
                rebuilt: Node = Ident(cur.line, cur.column, prefix)
                for sel in chain[n - 1 :]:
                    rebuilt = Select(sel.line, sel.column, rebuilt, sel.field)
                return rebuilt
        return None

    def ident(self, node: Ident, scope: frozenset[str]) -> Node:
        if node.name in scope:
            return node
        if node.name in self.names:
            self.result.references.add(node.name)
            return node
        if node.name in TYPE_NAMES:
            return Literal(node.line, node.column, TYPE_NAMES[node.name])
        raise CelCompileError(f"undeclared reference to '{node.name}'", node.line, node.column)

    def note_selection(self, operand: Node, name: str, scope: frozenset[str]) -> None:
        if isinstance(operand, Ident) and operand.name not in scope and operand.name in self.names:
            self.result.selections.setdefault(operand.name, set()).add(name)

    def call(self, node: Call, scope: frozenset[str]) -> Node:
        fn = node.function
        member = node.target is not None
        declared = self.functions.lookup(fn, member=member)
        if declared is not None:
            count = len(node.args) + member  # a member function's receiver is its first operand
            if not declared.accepts(count):
                # the message counts what the author wrote in the parentheses, except for host
                # functions callable either way, whose receiver is an ordinary argument
                given = count if declared.style == "either" else len(node.args)
                raise CelCompileError(
                    f"no matching overload for '{fn}' with {given} argument(s)", node.line, node.column
                )
        elif fn in MACRO_NAMES and member:
            raise CelCompileError(f"wrong number of arguments to the '{fn}' macro", node.line, node.column)
        elif fn == "has" and not member:
            raise CelCompileError("has() takes exactly one field selection", node.line, node.column)
        else:
            raise CelCompileError(f"undeclared reference to '{fn}'", node.line, node.column)
        self.result.calls.add((fn, member))
        target = self.visit(node.target, scope) if node.target is not None else None
        args = tuple(self.visit(a, scope) for a in node.args)
        return Call(node.line, node.column, fn, target, args)


def _qualified(node: Node) -> str | None:
    parts: list[str] = []
    while isinstance(node, Select):
        parts.append(node.field)
        node = node.operand
    if not isinstance(node, Ident):
        return None
    parts.append(node.name)
    return ".".join(reversed(parts))
