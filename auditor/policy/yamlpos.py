"""YAML loading that remembers where every value came from.

Error messages must name the file and line of the offending key, and a CEL
compile error must point at the line and column inside the YAML file, so the
loader keeps, beside the plain Python value, a map from each value's path
(a tuple of keys and indexes) to its position.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from auditor import limits
from auditor.errors import InputError

_INT_TAG = "tag:yaml.org,2002:int"
_SURROGATE = re.compile("[\ud800-\udfff]")

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Position:
    """1-based line and column of a YAML node; ``block`` is true for ``|`` and ``>`` scalars."""

    line: int
    column: int
    block: bool = False

    def text_start(self) -> tuple[int, int]:
        """Line and column where a scalar's text starts (after a quote or block indicator)."""
        if self.block:
            return self.line + 1, self.column + 2
        return self.line, self.column


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document and the position of every value in it."""

    source: str
    value: Any
    positions: dict[Path_, Position]
    lines: tuple[str, ...] = ()

    def line_text(self, line: int) -> str | None:
        """The text of 1-based ``line`` of the file, if known."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else None

    def position(self, path: Path_) -> Position | None:
        """Position of ``path`` or of its nearest ancestor that has one."""
        while True:
            pos = self.positions.get(tuple(path))
            if pos is not None or not path:
                return pos
            path = path[:-1]

    def error(self, message: str, path: Path_ = ()) -> InputError:
        pos = self.position(path)
        return InputError(message, source=self.source, line=pos.line if pos else None)


def _position(node: yaml.Node) -> Position:
    mark = node.start_mark
    block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    return Position(mark.line + 1, mark.column + 1 + (1 if quoted else 0), block)


class _Builder:
    """Builds plain values from the node graph under the node and depth budgets.

    An alias is built again at every place it is used, so the node budget counts
    what a billion-laughs file would expand to and stops it early.
    """

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.positions: dict[Path_, Position] = {}
        budget = limits.current()
        self.nodes_left = budget.yaml_nodes
        self.max_depth = budget.yaml_depth
        self.max_digits = budget.int_digits

    def _fail(self, message: str, node: yaml.Node) -> InputError:
        return InputError(message, source=self.source, line=node.start_mark.line + 1)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == _INT_TAG and len(str(node.value).lstrip("+-")) > self.max_digits:
            raise self._fail(
                f"an integer of {len(str(node.value))} digits exceeds the limit of {self.max_digits} "
                "(--limit int-digits)",
                node,
            )
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # `expires: 2027-02-30`, an impossible time
            raise self._fail(f"invalid value {str(node.value)[:60]!r}: {exc}", node) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(f"{node.value!r} is not a finite number", node)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise self._fail("a string holds a lone UTF-16 surrogate, which is not valid Unicode", node)
        return value

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes_left -= 1
        if self.nodes_left < 0:
            raise self._fail(
                f"more than {limits.current().yaml_nodes} values once aliases are expanded "
                "(--limit yaml-nodes)",
                node,
            )
        if len(path) > self.max_depth:
            raise self._fail(
                f"nested deeper than the limit of {self.max_depth} levels (--limit yaml-depth)", node
            )
        self.positions[path] = _position(node)
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    # merge keys can expand exponentially while PyYAML flattens them
                    raise self._fail("YAML merge keys (<<) are not supported", key_node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise InputError(
                        "mapping keys must be scalars", source=self.source, line=key_node.start_mark.line + 1
                    )
                key = self._scalar(key_node)
                if not isinstance(key, str | int | float | bool) and key is not None:
                    raise InputError(
                        "mapping keys must be scalars", source=self.source, line=key_node.start_mark.line + 1
                    )
                if key in out:
                    raise InputError(
                        f"duplicate key {key!r}", source=self.source, line=key_node.start_mark.line + 1
                    )
                out[key] = self.build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, stopped by the depth budget while it scans.

    Its scanner slows down with every open ``[``/``{`` (100,000 of them take seconds) and
    its composer recurses once per level, so depth is checked as each level opens.
    """

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.max_depth = limits.current().yaml_depth

    def _too_deep(self) -> InputError:
        mark = self.get_mark()
        return InputError(
            f"nested deeper than the limit of {self.max_depth} levels (--limit yaml-depth)",
            source=self.source,
            line=mark.line + 1,
        )

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level + len(self.indents) >= self.max_depth:
            raise self._too_deep()
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) + self.flow_level >= self.max_depth:
            raise self._too_deep()
        return bool(super().add_indent(column))


def _check_expanded_size(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand past the node budget, before building any of it.

    Each distinct node is sized once (memoised), so a billion-laughs file of a few
    hundred bytes is measured in microseconds, not expanded.
    """
    budget = limits.current().yaml_nodes
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias (`&a [*a]`) counts once here; the builder refuses it
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        sizes[id(node)] = total
        if total > budget:
            raise InputError(
                f"more than {budget} values once aliases are expanded (--limit yaml-nodes)",
                source=source,
                line=node.start_mark.line + 1,
            )
        return total

    size(root)


def load_yaml(text: str, source: str) -> YamlDocument:
    """Parse one YAML document; syntax errors become :class:`InputError` with the line."""
    try:
        loader = _BoundedLoader(text, source)  # its reader refuses control characters at once
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source=source) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(source, None, {}, tuple(text.splitlines()))
        _check_expanded_size(node, source)
        builder = _Builder(loader, source)
        value = builder.build(node, ())
        return YamlDocument(source, value, builder.positions, tuple(text.splitlines()))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        raise InputError(
            f"invalid YAML: {problem}",
            source=source,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source=source) from None
    except RecursionError:  # the YAML composer recurses once per nesting level
        raise InputError(
            f"nested deeper than the limit of {limits.current().yaml_depth} levels (--limit yaml-depth)",
            source=source,
        ) from None
    finally:
        loader.dispose()


def read_yaml(path: str) -> tuple[YamlDocument, bytes]:
    """Read and parse a YAML file; returns the document and the file's bytes (for hashing)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
    return decode_yaml(raw, path), raw


def decode_yaml(raw: bytes, source: str) -> YamlDocument:
    """Parse a YAML file's bytes, already read (UTF-8, a byte-order mark allowed)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=source) from None
    return load_yaml(text, source)
