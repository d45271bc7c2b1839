"""Error types of the CEL package.

Every failure a caller can see is a ``CelError`` carrying a 1-based line and column
relative to the expression text, so a policy loader can point at the offending
character of a YAML value instead of printing a Python traceback.

``EvalFailure`` is internal: the runtime operations raise it for CEL error values
(``1 / 0``, a missing key, ...); the interpreter turns it into an ``Err`` value so
that ``&&``/``||`` can absorb it exactly as the specification requires.
"""

from __future__ import annotations


class CelError(Exception):
    """Base of all public CEL errors; ``str()`` is ``"line:column: message"``."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {self.line}, {self.column})"

    def __eq__(self, other: object) -> bool:
        # Value semantics make lists returned by evaluate_each comparable in tests.
        return (
            type(other) is type(self)
            and isinstance(other, CelError)
            and (other.message, other.line, other.column) == (self.message, self.line, self.column)
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.message, self.line, self.column))


class CelSyntaxError(CelError):
    """The text is not a CEL expression (or is too deep or too long to parse safely)."""


class CelCompileError(CelError):
    """The expression parses but refers to unknown names/functions or unsupported features."""


class CelEvalError(CelError):
    """Evaluation produced a CEL error value (or ran out of its time budget)."""


class EvalFailure(Exception):
    """Internal signal for a CEL error value raised by a runtime operation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BudgetExceeded(BaseException):
    """Raised from the SIGALRM handler; a BaseException so no ``except Exception`` swallows it."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def fail(message: str) -> EvalFailure:
    """Build an ``EvalFailure`` (helper so call sites read ``raise fail(...)``)."""
    return EvalFailure(message)
