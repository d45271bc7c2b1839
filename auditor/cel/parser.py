"""Recursive-descent (precedence-climbing) parser producing the AST of ``nodes``.

Why hand-written: exact positions on every node, macro expansion at parse time like
the reference implementations, and hard limits so hostile input (deep nesting, huge
text) ends in a clean ``CelSyntaxError`` instead of a ``RecursionError``.
Unsupported CEL features (message construction, optional syntax) are reported as
``CelCompileError("unsupported ...")`` at their position.
"""

from __future__ import annotations

from .errors import CelCompileError, CelSyntaxError
from .lexer import RESERVED, Lexer, Token
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
    depth,
)
from .values import INT64_MAX, INT64_MIN, UINT64_MAX, Uint

MAX_SOURCE_LENGTH = 100_000
MAX_NESTING = 100  # parentheses, calls, literals, indexes nested in one another
MAX_HEIGHT = 200  # height of the final tree (long operator chains)

_BINARY_PREC = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "in": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
}
_MACROS2 = ("all", "exists", "exists_one", "filter", "map")


def parse(source: str) -> Node:
    """Parse a whole expression; raises CelSyntaxError / CelCompileError."""
    if len(source) > MAX_SOURCE_LENGTH:
        raise CelSyntaxError(f"expression longer than {MAX_SOURCE_LENGTH} characters", 1, 1)
    try:
        parser = _Parser(source)
        root = parser.expr()
        parser.expect("eof")
    except RecursionError:
        raise CelSyntaxError("expression nesting too deep", 1, 1) from None
    if depth(root) > MAX_HEIGHT:
        raise CelSyntaxError(f"expression nesting exceeds the limit of {MAX_HEIGHT}", root.line, root.column)
    return root


class _Parser:
    def __init__(self, source: str) -> None:
        self.lexer = Lexer(source)
        self.toks = self.lexer.tokens()
        self.i = 0
        self.nesting = 0

    # -- token helpers ------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def accept(self, kind: str) -> Token | None:
        if self.toks[self.i].kind == kind:
            return self.advance()
        return None

    def expect(self, kind: str) -> Token:
        t = self.tok
        if t.kind != kind:
            want = "end of expression" if kind == "eof" else f"'{kind}'"
            raise self.unexpected(t, f"expected {want}")
        return self.advance()

    def unexpected(self, t: Token, hint: str = "") -> CelSyntaxError:
        what = "end of expression" if t.kind == "eof" else f"'{t.text}'"
        msg = f"unexpected {what}" + (f", {hint}" if hint else "")
        return CelSyntaxError(msg, t.line, t.column)

    # -- grammar ------------------------------------------------------------
    def expr(self) -> Node:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            t = self.tok
            raise CelSyntaxError(f"expression nesting exceeds the limit of {MAX_NESTING}", t.line, t.column)
        cond = self.binary(1)
        q = self.accept("?")
        if q is not None:
            then = self.binary(1)
            self.expect(":")
            otherwise = self.expr()
            cond = Ternary(q.line, q.column, cond, then, otherwise)
        self.nesting -= 1
        return cond

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            t = self.tok
            prec = _BINARY_PREC.get(t.kind)
            if prec is None or prec < min_prec:
                return left
            self.advance()
            right = self.binary(prec + 1)
            if t.kind in ("&&", "||"):
                left = Logical(t.line, t.column, t.kind, left, right)
            else:
                left = Binary(t.line, t.column, t.kind, left, right)

    def unary(self) -> Node:
        t = self.tok
        if t.kind == "!":
            ops = []
            while self.tok.kind == "!":
                ops.append(self.advance())
            node = self.member()
            for op in reversed(ops):
                node = Unary(op.line, op.column, "!", node)
            return node
        if t.kind == "-":
            ops = []
            while self.tok.kind == "-":
                ops.append(self.advance())
            nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else self.tok
            if self.tok.kind in ("int", "double") and nxt.kind not in (".", "[", "{", "("):
                # Fold the innermost minus into the literal so -9223372036854775808 is valid.
                lit = self.advance()
                minus = ops.pop()
                node = self.number(lit, negate=True, at=minus)
            else:
                node = self.member()
            for op in reversed(ops):
                node = Unary(op.line, op.column, "-", node)
            return node
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while True:
            t = self.tok
            if t.kind == ".":
                self.advance()
                if self.tok.kind == "?":
                    raise CelCompileError("unsupported: optional field selection", t.line, t.column)
                if self.tok.kind == "quoted":
                    q = self.advance()
                    node = Select(q.line, q.column, node, str(q.value))
                    continue
                name_tok = self.expect_selector()
                if self.tok.kind == "(":
                    self.advance()
                    args = self.args(")")
                    node = self.member_call(name_tok, node, args)
                else:
                    node = Select(name_tok.line, name_tok.column, node, str(name_tok.value))
            elif t.kind == "[":
                self.advance()
                if self.tok.kind == "?":
                    raise CelCompileError("unsupported: optional index", t.line, t.column)
                index = self.expr()
                self.expect("]")
                node = Index(t.line, t.column, node, index)
            elif t.kind == "{":
                raise CelCompileError("unsupported: message construction", t.line, t.column)
            else:
                return node

    def expect_selector(self) -> Token:
        """Field and method names after '.' may be reserved words (but not true/false/null/in)."""
        t = self.tok
        if t.kind != "ident":
            raise self.unexpected(t, "expected an identifier")
        return self.advance()

    def expect_ident(self) -> Token:
        t = self.tok
        if t.kind != "ident":
            raise self.unexpected(t, "expected an identifier")
        if t.value in RESERVED:
            raise CelSyntaxError(f"reserved identifier '{t.value}'", t.line, t.column)
        return self.advance()

    def args(self, close: str) -> list[Node]:
        """Comma-separated expressions; a trailing comma is allowed in list literals only."""
        out: list[Node] = []
        if self.accept(close):
            return out
        while True:
            out.append(self.expr())
            if self.accept(close):
                return out
            self.expect(",")
            if close == "]" and self.accept(close):
                return out

    def member_call(self, name: Token, target: Node, args: list[Node]) -> Node:
        fn = str(name.value)
        if (fn in _MACROS2 and len(args) == 2) or (fn == "map" and len(args) == 3):
            var = args[0]
            if not isinstance(var, Ident):
                raise CelSyntaxError(f"{fn}() variable must be a simple name", var.line, var.column)
            kind = "map3" if len(args) == 3 else fn
            transform = args[2] if len(args) == 3 else None
            return Macro(name.line, name.column, kind, target, var.name, args[1], transform)
        return Call(name.line, name.column, fn, target, tuple(args))

    def primary(self) -> Node:
        t = self.tok
        kind = t.kind
        if kind in ("int", "uint", "double"):
            self.advance()
            return self.number(t, negate=False, at=t)
        if kind in ("string", "bytes"):
            self.advance()
            return Literal(t.line, t.column, t.value)
        if kind in ("true", "false"):
            self.advance()
            return Literal(t.line, t.column, kind == "true")
        if kind == "null":
            self.advance()
            return Literal(t.line, t.column, None)
        if kind == "." or kind == "ident":
            if kind == ".":
                self.advance()
            name = self.expect_ident()
            if self.tok.kind == "(":
                self.advance()
                args = self.args(")")
                return self.global_call(name, args)
            return Ident(name.line, name.column, str(name.value))
        if kind == "(":
            self.advance()
            node = self.expr()
            self.expect(")")
            return node
        if kind == "[":
            self.advance()
            if self.tok.kind == "?":
                raise CelCompileError("unsupported: optional list element", self.tok.line, self.tok.column)
            items = self.args("]")
            return ListLit(t.line, t.column, tuple(items))
        if kind == "{":
            self.advance()
            return self.map_literal(t)
        raise self.unexpected(t)

    def global_call(self, name: Token, args: list[Node]) -> Node:
        fn = str(name.value)
        if fn == "has" and len(args) == 1:
            arg = args[0]
            if not isinstance(arg, Select):
                raise CelSyntaxError("invalid argument to has() macro", arg.line, arg.column)
            return Has(name.line, name.column, arg.operand, arg.field)
        return Call(name.line, name.column, fn, None, tuple(args))

    def map_literal(self, brace: Token) -> Node:
        entries: list[tuple[Node, Node]] = []
        while not self.accept("}"):
            if self.tok.kind == "?":
                raise CelCompileError("unsupported: optional map entry", self.tok.line, self.tok.column)
            key = self.expr()
            self.expect(":")
            value = self.expr()
            entries.append((key, value))
            if self.accept("}"):
                break
            self.expect(",")
        return MapLit(brace.line, brace.column, tuple(entries))

    def number(self, t: Token, negate: bool, at: Token) -> Node:
        value = t.value
        assert isinstance(value, int | float)
        if t.kind == "double":
            return Literal(at.line, at.column, -value if negate else value)
        if t.kind == "uint":
            if value > UINT64_MAX:
                raise CelSyntaxError("invalid uint literal", t.line, t.column)
            return Literal(at.line, at.column, Uint(value))
        v = -value if negate else value
        if not INT64_MIN <= v <= INT64_MAX:
            raise CelSyntaxError("invalid int literal", at.line, at.column)
        return Literal(at.line, at.column, int(v))
