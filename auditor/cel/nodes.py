"""Abstract syntax tree of a CEL expression.

Frozen dataclasses: the tree is built once at compile time and shared by the checker,
the interpreter and the Python code generator, so it must not change under them.
Every node carries the 1-based ``line``/``column`` of the token that best identifies
it (the operator of a binary expression, the name of a call) for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias, assert_never


@dataclass(frozen=True, slots=True)
class NodeBase:
    """What every node carries: the position of its identifying token."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Literal(NodeBase):
    value: Any


@dataclass(frozen=True, slots=True)
class Ident(NodeBase):
    name: str


@dataclass(frozen=True, slots=True)
class Select(NodeBase):
    operand: Node
    field: str


@dataclass(frozen=True, slots=True)
class Has(NodeBase):
    """``has(operand.field)``: presence test, never reads the field's value."""

    operand: Node
    field: str


@dataclass(frozen=True, slots=True)
class Index(NodeBase):
    operand: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Unary(NodeBase):
    op: str  # '!' or '-'
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(NodeBase):
    """Strict binary operators: arithmetic, comparison and ``in``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logical(NodeBase):
    """``&&`` / ``||`` with CEL's commutative error absorption."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Ternary(NodeBase):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Call(NodeBase):
    """Function call; ``target`` is the receiver of member-style calls (``x.f(y)``)."""

    function: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ListLit(NodeBase):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLit(NodeBase):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Macro(NodeBase):
    """Comprehension macros: all, exists, exists_one, filter, map (``map3`` = filter-map form)."""

    kind: str
    range: Node
    var: str
    body: Node
    transform: Node | None = None


#: every node kind: the walkers (checker, interpreter, code generator) dispatch with ``match``
#: over this closed union and end in ``assert_never``, so a new kind is a type error in each
Node: TypeAlias = (
    Literal
    | Ident
    | Select
    | Has
    | Index
    | Unary
    | Binary
    | Logical
    | Ternary
    | Call
    | ListLit
    | MapLit
    | Macro
)


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions, for generic (iterative) tree walks."""
    match node:
        case Literal() | Ident():
            return ()
        case Select() | Has() | Unary():
            return (node.operand,)
        case Index():
            return (node.operand, node.index)
        case Binary() | Logical():
            return (node.left, node.right)
        case Ternary():
            return (node.cond, node.then, node.otherwise)
        case Call():
            return ((node.target,) if node.target is not None else ()) + node.args
        case ListLit():
            return node.items
        case MapLit():
            return tuple(x for kv in node.entries for x in kv)
        case Macro():
            return (node.range, node.body) + ((node.transform,) if node.transform is not None else ())
        case _:
            assert_never(node)


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
