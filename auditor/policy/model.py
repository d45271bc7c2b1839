"""Loaded, compiled policies: what the engine evaluates.

Everything here is frozen: a policy is compiled once at load time and then only
read, by the engine, the test runner and the permissions command alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor import cel


@dataclass(frozen=True)
class Expr:
    """A compiled CEL expression and where it was written (for error messages)."""

    field: str
    source: str
    program: cel.Program
    file: str
    line: int
    column: int

    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column} ({self.field})"


@dataclass(frozen=True)
class Template:
    """A message with ``{{ CEL }}`` parts: literal text and compiled expressions, alternating."""

    parts: tuple[str | Expr, ...]

    @property
    def expressions(self) -> tuple[Expr, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expr))


@dataclass(frozen=True)
class Policy:
    """One control. ``assert_`` is None exactly when the policy is manual."""

    id: str
    title: str
    severity: str
    description: str
    rationale: str
    remediation: str
    path: str
    rel_path: str
    sha256: str
    references: tuple[str, ...] = ()
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    #: collections that the policy's library functions read where present (for permissions)
    reads: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    applies: Expr | None = None
    variables: tuple[tuple[str, Expr], ...] = ()
    assert_: Expr | None = None
    message: Template | None = None
    for_each: Expr | None = None
    as_name: str = "item"
    subject: Expr | None = None
    pass_ratio: float = 1.0
    manual: str | None = None
    #: the one-line action that fixes a failure (``fix:``); empty when the policy has none
    fix: str = ""

    @property
    def per_subject(self) -> bool:
        return self.for_each is not None

    @property
    def is_manual(self) -> bool:
        return self.manual is not None
