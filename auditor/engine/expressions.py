"""Evaluate a policy's compiled expressions and turn CEL errors into positioned messages.

Shared by tenant-level and per-subject evaluation: an expression that fails
raises :class:`Failed` carrying the finished ``file:line:col (field): message``
text, which the caller turns into an ``error`` result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor import cel
from auditor.policy.model import Expr, Template


class Failed(Exception):
    """An expression failed; carries the finished error message for the result."""


def where(expr: Expr, exc: cel.CelEvalError) -> str:
    """``file:line:col (field): message``, with the position inside the expression mapped to the file."""
    line = expr.line + max(exc.line, 1) - 1
    column = expr.column + max(exc.column, 1) - 1 if exc.line <= 1 else exc.column
    return f"{expr.file}:{line}:{column} ({expr.field}): {exc.message}"


def not_bool(expr: Expr, value: Any) -> str:
    """The message for an assertion or condition that gave something other than a bool."""
    return f"{expr.where()}: expected a bool, got {cel.format_value(value)[:80]}"


def evaluate(expr: Expr, activation: Mapping[str, Any]) -> Any:
    try:
        return expr.program.evaluate(activation)
    except cel.CelEvalError as exc:
        raise Failed(where(expr, exc)) from None


def evaluate_bool(expr: Expr, activation: Mapping[str, Any]) -> bool:
    value = evaluate(expr, activation)
    if not isinstance(value, bool):
        raise Failed(not_bool(expr, value))
    return value


def render(template: Template | None, activation: Mapping[str, Any], default: str) -> str:
    """Interpolate a message; a failing part is shown inline rather than losing the message."""
    if template is None:
        return default
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        try:
            out.append(cel.format_value(part.program.evaluate(activation)))
        except cel.CelEvalError as exc:
            out.append(f"<error: {exc.message}>")
    return "".join(out).strip()
