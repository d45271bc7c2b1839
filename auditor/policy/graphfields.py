"""Check the Microsoft Graph field names a policy reads, at load time.

CEL cannot know the shape of JSON, so ``users.filter(u, u.signInActivty != null)`` compiles and then
fails at run time, subject by subject, as "no such key". This module follows the expression's syntax
tree from each Graph collection (``users`` is a list of ``user``) through macros (``filter``, ``map``,
``exists``, …), variables and the ``as`` name, and looks every selected field up in
``graph_types.json``, a table generated from Graph's published metadata by
``tools/gen_graph_types.py``. An unknown field is reported with a did-you-mean; a field that exists
only in Graph beta, read from a collection the catalog reads from v1.0, is reported as such.

Deliberately lenient where the schema cannot decide: a value whose type is not known (a function's
result, a list literal, a non-Graph collection such as Exchange or an import) is not checked; a
collection of a base type accepts the fields of every derived type (``namedLocations`` holds
``ipNamedLocation`` and ``countryNamedLocation``); an open type (``user``) also accepts directory
extension attributes (``extension_<appId>_<name>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from auditor.cel import nodes
from auditor.suggest import did_you_mean

#: deeper trees are not analysed (the parser accepts them; analysis is best-effort)
MAX_DEPTH = 200


@lru_cache(maxsize=1)
def graph_types() -> dict[str, Any]:
    text = resources.files("auditor.policy").joinpath("graph_types.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class GraphType:
    """What the analysis knows about a value: a Graph type (or a list of it) from one collection."""

    version: str
    name: str
    is_list: bool
    collection: str

    def element(self) -> GraphType | None:
        return GraphType(self.version, self.name, False, self.collection) if self.is_list else None


@dataclass(frozen=True)
class FieldProblem:
    """An unknown field: message and position (1-based, relative to the expression text)."""

    message: str
    line: int
    column: int


def collection_types(names: set[str]) -> dict[str, GraphType]:
    """The Graph type of each of ``names`` that is a Graph collection of the catalog."""
    table = graph_types()["collections"]
    return {
        name: GraphType(entry["version"], entry["type"], entry["list"], name)
        for name, entry in table.items()
        if name in names
    }


def _fields(version: str, type_name: str) -> Mapping[str, str] | None:
    entry = graph_types()["types"].get(version, {}).get(type_name)
    return None if entry is None else entry["fields"]


def _is_open(version: str, type_name: str) -> bool:
    return bool(graph_types()["types"].get(version, {}).get(type_name, {}).get("open"))


def _type_of(ref: str, parent: GraphType) -> GraphType | None:
    """The analysis type of a field whose table reference is ``ref`` (``[user]``, ``string``, …)."""
    is_list = ref.startswith("[")
    name = ref.strip("[]")
    if _fields(parent.version, name) is None:
        return None
    return GraphType(parent.version, name, is_list, parent.collection)


class FieldChecker:
    """Walks one expression's tree; ``problems`` collects the unknown fields found."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def check(self, tree: nodes.Node, env: Mapping[str, GraphType | None]) -> GraphType | None:
        """The type of the expression's value (when known), recording unknown fields on the way."""
        if nodes.depth(tree) > MAX_DEPTH:
            return None
        return self._infer(tree, dict(env))

    def _field(self, parent: GraphType | None, name: str, node: nodes.Node) -> GraphType | None:
        if parent is None or parent.is_list:
            return None
        fields = _fields(parent.version, parent.name)
        if fields is None:
            return None
        if name in fields:
            return _type_of(fields[name], parent)
        if name.startswith("extension_") and _is_open(parent.version, parent.name):
            return None
        self.problems.append(FieldProblem(self._unknown(parent, name, fields), node.line, node.column))
        return None

    @staticmethod
    def _unknown(parent: GraphType, name: str, fields: Mapping[str, str]) -> str:
        where = f"{parent.collection} element" if parent.name else parent.collection
        beta = _fields("beta", parent.name) or {}
        if parent.version == "v1.0" and name in beta:
            return (
                f"field {name!r} of {parent.name} exists only in Microsoft Graph beta, but collection "
                f"{parent.collection!r} is read from v1.0"
            )
        return (
            f"unknown field {name!r} on {where} ({parent.name}, Microsoft Graph {parent.version})"
            f"{did_you_mean(name, fields)}"
        )

    def _infer(self, node: nodes.Node, env: dict[str, GraphType | None]) -> GraphType | None:
        if isinstance(node, nodes.Ident):
            return env.get(node.name)
        if isinstance(node, nodes.Select):
            return self._field(self._infer(node.operand, env), node.field, node)
        if isinstance(node, nodes.Has):
            self._field(self._infer(node.operand, env), node.field, node)
            return None
        if isinstance(node, nodes.Index):
            base = self._infer(node.operand, env)
            self._infer(node.index, env)
            if base is not None and base.is_list:
                return base.element()
            if isinstance(node.index, nodes.Literal) and isinstance(node.index.value, str):
                return self._field(base, node.index.value, node)
            return None
        if isinstance(node, nodes.Macro):
            return self._macro(node, env)
        if isinstance(node, nodes.Ternary):
            self._infer(node.cond, env)
            then, otherwise = self._infer(node.then, env), self._infer(node.otherwise, env)
            if then == otherwise or _is_null(node.otherwise):
                return then
            return otherwise if _is_null(node.then) else None
        for child in nodes.children(node):
            self._infer(child, env)
        return None

    def _macro(self, node: nodes.Macro, env: dict[str, GraphType | None]) -> GraphType | None:
        source = self._infer(node.range, env)
        element = source.element() if source is not None else None
        inner = {**env, node.var: element}
        body = self._infer(node.body, inner)
        transform = self._infer(node.transform, inner) if node.transform is not None else None
        if node.kind == "filter":
            return source
        if node.kind == "map":
            return _as_list(body)
        if node.kind == "map3":
            return _as_list(transform)
        return None


def _as_list(value: GraphType | None) -> GraphType | None:
    if value is None or value.is_list:
        return None
    return GraphType(value.version, value.name, True, value.collection)


def _is_null(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Literal) and node.value is None
