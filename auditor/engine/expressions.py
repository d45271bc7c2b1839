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

TRUNCATED = "… (truncated)"


class Failed(Exception):
    """An expression failed; carries the finished error message for the result."""


def where(expr: Expr, exc: cel.CelEvalError) -> str:
    """``file:line:col (field): message``, with the position inside the expression mapped to the file."""
    line = expr.line + max(exc.line, 1) - 1
    column = expr.column + max(exc.column, 1) - 1 if exc.line <= 1 else exc.column
    return f"{expr.file}:{line}:{column} ({expr.field}): {exc.message}"


def _shrink(value: Any, budget: list[int]) -> Any:
    """A copy of ``value`` holding at most about ``budget[0]`` characters, for display only.

    Formatting first and cutting afterwards would build the whole text: a list of
    millions of elements would cost megabytes for an 80-character message.
    """
    if budget[0] <= 0:
        return "…"
    if isinstance(value, str | bytes):
        budget[0] -= len(value)
        return value if budget[0] >= 0 else value[: len(value) + budget[0]]
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for item in value:
            if budget[0] <= 0:
                out.append("…")
                break
            budget[0] -= 2
            out.append(_shrink(item, budget))
        return out
    if isinstance(value, dict):
        shown: dict[Any, Any] = {}
        for key, item in value.items():
            if budget[0] <= 0:
                shown["…"] = "…"
                break
            budget[0] -= 4
            shown[_shrink(key, budget) if isinstance(key, str) else key] = _shrink(item, budget)
        return shown
    budget[0] -= 8
    return value


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes (the message budget of the audit), marked as truncated."""
    if len(text) * 4 <= limit or len(text.encode("utf-8")) <= limit:
        return text
    keep = max(limit - len(TRUNCATED.encode("utf-8")), 0)
    return text.encode("utf-8")[:keep].decode("utf-8", "ignore") + TRUNCATED


def display(value: Any, limit: int) -> str:
    """A CEL value as display text, at most about ``limit`` characters, never building more."""
    text = value if isinstance(value, str) else cel.format_value(_shrink(value, [limit + 1]))
    return cap(text, limit)


def not_bool(expr: Expr, value: Any) -> str:
    """The message for an assertion or condition that gave something other than a bool."""
    return f"{expr.where()}: expected a bool, got {display(value, 80)}"


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


def render(template: Template | None, activation: Mapping[str, Any], default: str, limit: int) -> str:
    """Interpolate a message of at most ``limit`` bytes; a failing part is shown inline rather
    than losing the message."""
    if template is None:
        return default
    out: list[str] = []
    size = 0
    for part in template.parts:
        if size > limit:
            break  # the rest would be cut anyway: do not evaluate it
        if isinstance(part, str):
            out.append(part)
        else:
            try:
                out.append(display(part.program.evaluate(activation), limit))
            except cel.CelEvalError as exc:
                out.append(f"<error: {cap(exc.message, limit)}>")
        size += len(out[-1])
    return cap("".join(out).strip(), limit)
