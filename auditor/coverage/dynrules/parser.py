"""Entra ID dynamic membership rules: tokenizer and parser.

Follows "Manage rules for dynamic membership groups in Microsoft Entra ID"
(learn.microsoft.com/entra/identity/users/groups-dynamic-membership): ``object.property
-operator value`` expressions joined by ``-and``, ``-or`` and ``-not`` with parentheses;
operators written with or without the leading hyphen, in any case (an en dash counts as a
hyphen, as in Microsoft's own examples); values are double- or single-quoted strings (a double
quote escaped with a backtick, a single quote doubled), ``true``/``false``, ``null``, numbers,
bare words (dates) and ``[...]`` lists for ``-in``/``-notIn``; multi-value properties take
``-any``/``-all`` with a condition on ``_`` or on the item (``assignedPlan.servicePlanId``).
Precedence, highest first: comparisons, ``-not``, ``-and``, ``-or``.

The parser accepts constructs the evaluator cannot decide offline (``memberOf``, device rules,
``Direct Reports for "…"``): they parse into nodes that the evaluator reports as undecidable,
naming the construct, rather than guess. Text that is not a rule at all is a
:class:`RuleSyntaxError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

COMPARISONS = (
    "eq",
    "ne",
    "startswith",
    "notstartswith",
    "endswith",
    "notendswith",
    "contains",
    "notcontains",
    "match",
    "notmatch",
    "in",
    "notin",
    "le",
    "ge",
)
LOGICAL = ("and", "or", "not", "any", "all")
#: how each operator is spelled in messages
SPELLING = {
    "eq": "-eq",
    "ne": "-ne",
    "startswith": "-startsWith",
    "notstartswith": "-notStartsWith",
    "endswith": "-endsWith",
    "notendswith": "-notEndsWith",
    "contains": "-contains",
    "notcontains": "-notContains",
    "match": "-match",
    "notmatch": "-notMatch",
    "in": "-in",
    "notin": "-notIn",
    "le": "-le",
    "ge": "-ge",
}


class RuleSyntaxError(ValueError):
    """The text is not a dynamic membership rule (position and reason in the message)."""


@dataclass(frozen=True)
class Token:
    kind: str  # op, str, word, lpar, rpar, lbr, rbr, comma
    text: str
    pos: int


@dataclass(frozen=True)
class Literal:
    value: Any  # str, bool, None, int/float, or a tuple of them
    quoted: bool = False

    def show(self) -> str:
        if isinstance(self.value, tuple):
            return "[" + ", ".join(Literal(v, True).show() for v in self.value) + "]"
        if self.value is None:
            return "null"
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return f"'{self.value}'" if self.quoted or isinstance(self.value, str) else str(self.value)


@dataclass(frozen=True)
class Comparison:
    prop: str  # "user.department", "_", "assignedPlan.service", "system.now", ...
    op: str
    value: Literal | SystemNow

    def show(self) -> str:
        return f"{_short(self.prop)} {SPELLING[self.op]} {self.value.show()}"


@dataclass(frozen=True)
class SystemNow:
    """``system.now``, optionally ``-plus``/``-minus`` an ISO 8601 duration."""

    sign: int = 0
    duration: str = ""

    def show(self) -> str:
        if not self.sign:
            return "system.now"
        return f"system.now {'-plus' if self.sign > 0 else '-minus'} {self.duration}"


@dataclass(frozen=True)
class Quantified:
    prop: str
    quantifier: str  # any / all
    condition: Node

    def show(self) -> str:
        return f"{_short(self.prop)} -{self.quantifier} ({self.condition.show()})"


@dataclass(frozen=True)
class Not:
    operand: Node

    def show(self) -> str:
        return f"-not ({self.operand.show()})"


@dataclass(frozen=True)
class Logical:
    op: str  # and / or
    operands: tuple[Node, ...]

    def show(self) -> str:
        return f" -{self.op} ".join(f"({o.show()})" for o in self.operands)


@dataclass(frozen=True)
class DirectReports:
    manager: str

    def show(self) -> str:
        return f'Direct Reports for "{self.manager}"'


Node = Comparison | Quantified | Not | Logical | DirectReports


def _short(prop: str) -> str:
    return prop[5:] if prop.lower().startswith("user.") else prop


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<op>[-\u2013\u2014][A-Za-z]+)
    | (?P<dq>"(?:`.|[^"`])*")
    | (?P<sq>'(?:''|[^'])*')
    | (?P<lpar>\()|(?P<rpar>\))|(?P<lbr>\[)|(?P<rbr>\])|(?P<comma>,)
    | (?P<word>[^\s()\[\],"']+)
    )""",
    re.VERBOSE,
)
_BARE_OPS = set(COMPARISONS) | set(LOGICAL) | {"plus", "minus"}
_DIRECT_REPORTS = re.compile(r'^\s*direct\s+reports\s+for\s+"([^"]*)"\s*$', re.IGNORECASE)
MAX_LENGTH = 3072  # the service's limit on a rule's length


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise RuleSyntaxError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        kind = m.lastgroup or ""
        raw = m.group(kind)
        start = m.start(kind)
        if kind == "op":
            out.append(Token("op", raw[1:].lower(), start))
        elif kind == "dq":
            out.append(Token("str", re.sub(r"`(.)", r"\1", raw[1:-1]), start))
        elif kind == "sq":
            out.append(Token("str", raw[1:-1].replace("''", "'"), start))
        elif kind == "word" and raw.lower() in _BARE_OPS:
            out.append(Token("op", raw.lower(), start))
        else:
            out.append(Token(kind, raw, start))
        pos = m.end()
    return out


def parse(text: str) -> Node:
    """Parse a rule; :class:`RuleSyntaxError` when it is not one."""
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(f"a rule is at most {MAX_LENGTH} characters long")
    m = _DIRECT_REPORTS.match(text)
    if m:
        return DirectReports(m.group(1))
    parser = _Parser(tokenize(text))
    node = parser.parse_or()
    if parser.i < len(parser.tokens):
        tok = parser.tokens[parser.i]
        raise RuleSyntaxError(f"unexpected {tok.text!r} at position {tok.pos + 1}")
    return node


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> Token:
        tok = self.peek()
        if tok is None:
            raise RuleSyntaxError("the rule ends too early")
        if (kind and tok.kind != kind) or (text and tok.text != text):
            raise RuleSyntaxError(f"unexpected {tok.text!r} at position {tok.pos + 1}")
        self.i += 1
        return tok

    def at_op(self, *names: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in names

    def parse_or(self) -> Node:
        return self._chain("or", self.parse_and)

    def parse_and(self) -> Node:
        return self._chain("and", self.parse_not)

    def _chain(self, op: str, operand: Callable[[], Node]) -> Node:
        """``operand (op operand)*``: one operand as it is, several as one ``Logical``."""
        items = [operand()]
        while self.at_op(op):
            self.i += 1
            items.append(operand())
        return items[0] if len(items) == 1 else Logical(op, tuple(items))

    def parse_not(self) -> Node:
        if self.at_op("not"):
            self.i += 1
            return Not(self.parse_not())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "lpar":
            self.i += 1
            node = self.parse_or()
            self.take("rpar")
            return node
        prop = self.take("word").text
        if "." not in prop and prop != "_":
            raise RuleSyntaxError(f"expected a property such as user.department, got {prop!r}")
        op = self.take("op").text
        if op in ("any", "all"):
            return Quantified(prop, op, self.parse_item_condition())
        if op not in COMPARISONS:
            raise RuleSyntaxError(f"-{op} is not a comparison operator (after {prop})")
        return Comparison(prop, op, self.parse_value())

    def parse_item_condition(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "lpar":
            self.i += 1
            node = self.parse_or()
            self.take("rpar")
            return node
        return self.parse_primary()

    def parse_value(self) -> Literal | SystemNow:
        tok = self.take()
        if tok.kind == "lbr":
            values: list[Any] = []
            while not (self.peek() is not None and self.peek().kind == "rbr"):  # type: ignore[union-attr]
                values.append(self.parse_value_scalar(self.take()))
                if self.peek() is not None and self.peek().kind == "comma":  # type: ignore[union-attr]
                    self.i += 1
            self.take("rbr")
            return Literal(tuple(values))
        if tok.kind == "word" and tok.text.lower() == "system.now":
            if self.at_op("plus", "minus"):
                sign = 1 if self.take().text == "plus" else -1
                return SystemNow(sign, self.take("word").text)
            return SystemNow()
        if tok.kind == "str":
            return Literal(tok.text, quoted=True)
        return Literal(self.parse_value_scalar(tok))

    @staticmethod
    def parse_value_scalar(tok: Token) -> Any:
        if tok.kind == "str":
            return tok.text
        if tok.kind != "word":
            raise RuleSyntaxError(f"expected a value, got {tok.text!r} at position {tok.pos + 1}")
        low = tok.text.lower()
        if low in ("null", "$null"):
            return None
        if low in ("true", "false"):
            return low == "true"
        if re.fullmatch(r"-?\d+(\.\d+)?", tok.text):
            return float(tok.text) if "." in tok.text else int(tok.text)
        return tok.text
