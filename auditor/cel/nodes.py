"""Abstract syntax tree of a CEL expression.

Frozen dataclasses: the tree is built once at compile time and shared by the checker,
the interpreter and the Python code generator, so it must not change under them.
Every node carries the 1-based ``line``/``column`` of the token that best identifies
it (the operator of a binary expression, the name of a call) for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Ident(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Select(Node):
    operand: Node
    field: str


@dataclass(frozen=True, slots=True)
class Has(Node):
    """``has(operand.field)``: presence test, never reads the field's value."""

    operand: Node
    field: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    operand: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # '!' or '-'
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Strict binary operators: arithmetic, comparison and ``in``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """``&&`` / ``||`` with CEL's commutative error absorption."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Ternary(Node):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """Function call; ``target`` is the receiver of member-style calls (``x.f(y)``)."""

    function: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLit(Node):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Macro(Node):
    """Comprehension macros: all, exists, exists_one, filter, map (``map3`` = filter-map form)."""

    kind: str
    range: Node
    var: str
    body: Node
    transform: Node | None = None


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions, for generic (iterative) tree walks."""
    if isinstance(node, Select | Has):
        return (node.operand,)
    if isinstance(node, Index):
        return (node.operand, node.index)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary | Logical):
        return (node.left, node.right)
    if isinstance(node, Ternary):
        return (node.cond, node.then, node.otherwise)
    if isinstance(node, Call):
        return ((node.target,) if node.target is not None else ()) + node.args
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, MapLit):
        return tuple(x for kv in node.entries for x in kv)
    if isinstance(node, Macro):
        return (node.range, node.body) + ((node.transform,) if node.transform is not None else ())
    return ()


def depth(root: Node) -> int:
    """Height of the tree, computed without recursion (input may be adversarial)."""
    best = 0
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, d = stack.pop()
        if d > best:
            best = d
        stack.extend((child, d + 1) for child in children(node))
    return best
