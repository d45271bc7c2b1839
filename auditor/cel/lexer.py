"""Tokenizer for CEL source text.

Hand-written rather than regex-driven so that every token carries an exact line and
column and so that string/bytes escapes are decoded (and rejected) exactly as the
CEL language definition says, with errors that point at the offending character.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import CelSyntaxError

#: longer integer literals are out of range for int64/uint64 anyway
_MAX_LITERAL_DIGITS = 40

RESERVED = frozenset(
    "as break const continue else for function if import let loop package namespace return var void while".split()
)
KEYWORDS = frozenset(("true", "false", "null", "in"))

_PUNCT2 = ("==", "!=", "<=", ">=", "&&", "||")
_PUNCT1 = "()[]{}.,:?!-+*/%<>"
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "?": "?",
    '"': '"',
    "'": "'",
    "`": "`",
}


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token; ``value`` holds decoded literal values."""

    kind: str  # 'int' 'uint' 'double' 'string' 'bytes' 'ident' 'eof' or the punctuation/keyword itself
    text: str
    value: object
    line: int
    column: int


class Lexer:
    """Turns source text into a list of tokens (the whole expression is small)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        # Incremental line/column tracking (tokens are produced left to right).
        self._lc_pos = 0
        self._lc_line = 1
        self._lc_start = 0

    def linecol(self, pos: int) -> tuple[int, int]:
        """1-based line and column of an offset; amortised O(1) for increasing offsets."""
        if pos < self._lc_pos:
            self._lc_pos, self._lc_line, self._lc_start = 0, 1, 0
        src = self.src
        nl = src.count("\n", self._lc_pos, pos)
        if nl:
            self._lc_line += nl
            self._lc_start = src.rfind("\n", self._lc_pos, pos) + 1
        self._lc_pos = pos
        return self._lc_line, pos - self._lc_start + 1

    def error(self, message: str, pos: int | None = None) -> CelSyntaxError:
        line, col = self.linecol(self.pos if pos is None else pos)
        return CelSyntaxError(message, line, col)

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        while True:
            tok = self._next()
            out.append(tok)
            if tok.kind == "eof":
                return out

    def _skip_space(self) -> None:
        src = self.src
        n = len(src)
        while self.pos < n:
            c = src[self.pos]
            if c in " \t\r\f\n":
                self.pos += 1
            elif src.startswith("//", self.pos):
                end = src.find("\n", self.pos)
                self.pos = n if end < 0 else end
            else:
                return

    def _tok(self, kind: str, start: int, value: object = None) -> Token:
        line, col = self.linecol(start)
        return Token(kind, self.src[start : self.pos], value, line, col)

    def _next(self) -> Token:
        self._skip_space()
        src = self.src
        start = self.pos
        if start >= len(src):
            return self._tok("eof", start)
        c = src[start]
        if c.isascii() and (c.isalpha() or c == "_"):
            return self._ident_or_prefixed(start)
        if c.isdigit() or (c == "." and start + 1 < len(src) and src[start + 1].isdigit()):
            return self._number(start)
        if c in "'\"":
            return self._string(start, raw=False, is_bytes=False)
        if c == "`":
            # Quoted field name (`content-type`), only valid after '.'.
            end = src.find("`", start + 1)
            if end < 0 or end == start + 1 or "\n" in src[start:end]:
                raise self.error("unterminated quoted identifier")
            self.pos = end + 1
            return self._tok("quoted", start, src[start + 1 : end])
        two = src[start : start + 2]
        if two in _PUNCT2:
            self.pos += 2
            return self._tok(two, start)
        if c in _PUNCT1:
            self.pos += 1
            return self._tok(c, start)
        raise self.error(f"unexpected character {c!r}")

    def _ident_or_prefixed(self, start: int) -> Token:
        src = self.src
        # String prefixes: r, b, rb, br (any case) immediately followed by a quote.
        for plen in (2, 1):
            prefix = src[start : start + plen].lower()
            if start + plen < len(src) and src[start + plen] in "'\"" and prefix in ("r", "b", "rb", "br"):
                if len(prefix) == plen:
                    self.pos = start + plen
                    return self._string(start, raw="r" in prefix, is_bytes="b" in prefix)
        end = start
        while end < len(src) and (src[end].isascii() and (src[end].isalnum() or src[end] == "_")):
            end += 1
        self.pos = end
        word = src[start:end]
        if word in KEYWORDS:
            return self._tok(word, start)
        return self._tok("ident", start, word)

    def _number(self, start: int) -> Token:
        src = self.src
        n = len(src)
        p = start
        if src.startswith(("0x", "0X"), p):
            p += 2
            q = p
            while q < n and src[q] in "0123456789abcdefABCDEF":
                q += 1
            if q == p:
                self.pos = q
                raise self.error("invalid hex literal", start)
            if q - p > _MAX_LITERAL_DIGITS:  # far outside uint64; int() of thousands of digits raises
                self.pos = q
                raise self.error("integer literal out of range", start)
            value = int(src[p:q], 16)
            return self._int_suffix(start, q, value)
        q = p
        while q < n and src[q].isdigit():
            q += 1
        is_float = False
        if q + 1 < n and src[q] == "." and src[q + 1].isdigit():
            is_float = True
            q += 1
            while q < n and src[q].isdigit():
                q += 1
        if q < n and src[q] in "eE":
            r = q + 1
            if r < n and src[r] in "+-":
                r += 1
            if r < n and src[r].isdigit():
                while r < n and src[r].isdigit():
                    r += 1
                is_float = True
                q = r
        if is_float:
            self.pos = q
            return self._tok("double", start, float(src[start:q]))
        if q - start > _MAX_LITERAL_DIGITS:
            self.pos = q
            raise self.error("integer literal out of range", start)
        return self._int_suffix(start, q, int(src[start:q]))

    def _int_suffix(self, start: int, end: int, value: int) -> Token:
        if end < len(self.src) and self.src[end] in "uU":
            self.pos = end + 1
            return self._tok("uint", start, value)
        self.pos = end
        return self._tok("int", start, value)

    def _string(self, start: int, raw: bool, is_bytes: bool) -> Token:
        src = self.src
        q = src[self.pos]
        triple = src.startswith(q * 3, self.pos)
        delim = q * 3 if triple else q
        p = self.pos + len(delim)
        chars: list[str] = []
        byte_out = bytearray()

        def put(text: str) -> None:
            if is_bytes:
                byte_out.extend(text.encode("utf-8"))
            else:
                chars.append(text)

        while True:
            if p >= len(src):
                self.pos = p
                raise self.error("unterminated string literal", start)
            if src.startswith(delim, p):
                p += len(delim)
                break
            c = src[p]
            if not triple and c in "\r\n":
                self.pos = p
                raise self.error("newline in string literal", p)
            if c == "\\" and not raw:
                p = self._escape(p, is_bytes, put, byte_out)
                continue
            put(c)
            p += 1
        self.pos = p
        if is_bytes:
            return self._tok("bytes", start, bytes(byte_out))
        return self._tok("string", start, "".join(chars))

    def _escape(self, p: int, is_bytes: bool, put: object, byte_out: bytearray) -> int:
        src = self.src
        assert callable(put)
        if p + 1 >= len(src):
            raise self.error("invalid escape sequence", p)
        e = src[p + 1]
        if e in _SIMPLE_ESCAPES:
            put(_SIMPLE_ESCAPES[e])
            return p + 2
        if e in "xX":
            digits = src[p + 2 : p + 4]
            if len(digits) != 2 or not _is_hex(digits):
                raise self.error("invalid \\x escape", p)
            code = int(digits, 16)
            if is_bytes:
                byte_out.append(code)
            else:
                put(chr(code))
            return p + 4
        if e in "uU":
            width = 4 if e == "u" else 8
            digits = src[p + 2 : p + 2 + width]
            if len(digits) != width or not _is_hex(digits):
                raise self.error(f"invalid \\{e} escape", p)
            if is_bytes:
                raise self.error(f"\\{e} escape is not allowed in bytes literals", p)
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                raise self.error(f"invalid code point \\{e}{digits}", p)
            put(chr(code))
            return p + 2 + width
        if e in "0123":
            digits = src[p + 1 : p + 4]
            if len(digits) != 3 or any(d not in "01234567" for d in digits):
                raise self.error("invalid octal escape", p)
            code = int(digits, 8)
            if is_bytes:
                byte_out.append(code)
            else:
                put(chr(code))
            return p + 4
        raise self.error(f"invalid escape sequence '\\{e}'", p)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
