"""CEL (Common Expression Language) for auditor policies.

This package is a language, not a feature: it imports nothing else of the project.

Public API (stable; other stages use only this):

    compile(source, names, *, functions=None, engine="compiled") -> Program
        Parse and check an expression. ``names`` are the identifiers in scope
        (macro variables are added by the macros themselves). Raises CelSyntaxError
        or CelCompileError (unknown function, wrong arity, undeclared identifier),
        both with 1-based ``line`` and ``column`` relative to the expression text.
        ``engine``: "compiled" (generated Python, falling back to the reference
        interpreter where it gives up) or "interpreter" (the interpreter alone).

    Program.evaluate(activation) -> value           raises CelEvalError
    Program.evaluate_each(activation, name, items) -> list[value | CelEvalError]
    Program.references() -> set[str]                free identifiers
    Program.selections(root) -> set[str]             fields selected on identifier root
    Program.tree -> nodes.Node                       the syntax tree (frozen; see nodes.py)

    time_budget(seconds)   context manager bounding evaluation time (any thread)
    fallback_counts()      how often the compiled engine handed over to the interpreter
    reset_fallback_counts()
    export_code(limit) / import_code(blob)
                           the generated code compiled so far, to keep between runs
    size_budget(elements)  context manager bounding the elements and characters all
                           evaluations inside it create, together
    to_json(value)         CEL value -> JSON-compatible Python value
    format_value(value)    CEL value -> display string (for messages)

Values: JSON data is used as-is (None, bool, int, float, str, list, dict).
Timestamps are aware ``datetime.datetime`` (UTC), durations ``datetime.timedelta``,
uints ``Uint`` (an ``int`` subclass), types ``CelType``.
"""

from .errors import CelCompileError, CelError, CelEvalError, CelSyntaxError
from .program import (
    ENGINES,
    Engine,
    Program,
    compile,
    export_code,
    fallback_counts,
    import_code,
    reset_fallback_counts,
    size_budget,
    time_budget,
)
from .values import CelType, Uint, format_value, to_json


def release_indexes() -> None:
    """Drop the join indexes and membership sets (and the lists they hold) built while evaluating."""
    from .fastrt import JOINS, SHARED
    from .ops import release_member_sets

    JOINS.clear()
    SHARED.clear()
    release_member_sets()


__all__ = [
    "ENGINES",
    "CelCompileError",
    "CelError",
    "CelEvalError",
    "CelSyntaxError",
    "CelType",
    "Engine",
    "Program",
    "Uint",
    "compile",
    "export_code",
    "fallback_counts",
    "format_value",
    "import_code",
    "release_indexes",
    "reset_fallback_counts",
    "size_budget",
    "time_budget",
    "to_json",
]
