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
        ``functions``: a FunctionTable (default: the standard library).

    standard_functions() -> FunctionTable
        A new table of the standard library; hosts register(Function(...)) their own
        functions into it, freeze() it and pass it to compile(). A Function declares
        name, overloads (argument and result types), implementation, the collections it
        reads, whether it is pure, and an optional inline form for the code generator.

    Runtime()              what the evaluations of one audit share (join indexes, shared
                           macro results, membership sets, the size budget's count, and
                           a cache for host libraries, ``memo(key, build)``); make it
                           active around the evaluations (``with rt.active():``) and
                           close() it afterwards. current_runtime() is the active one.

    Program.evaluate(activation) -> value           raises CelEvalError
    Program.evaluate_each(activation, name, items) -> list[value | CelEvalError]
    Program.references() -> set[str]                free identifiers
    Program.selections(root) -> set[str]             fields selected on identifier root
    Program.tree -> nodes.Node                       the syntax tree (frozen; see nodes.py)
    Program.calls() -> set[str]                      the functions called
    Program.reads() -> set[str]                      collections the called functions read

    time_budget(seconds)   context manager bounding evaluation time (any thread)
    fallback_counts()      how often the compiled engine handed over to the interpreter
    reset_fallback_counts()
    export_code(limit) / import_code(blob)
                           the generated code compiled so far, to keep between runs
    size_budget(elements)  context manager bounding the elements and characters all
                           evaluations inside it create, together (counted in the
                           active runtime; Runtime.size_budget does the same)
    to_json(value)         CEL value -> JSON-compatible Python value
    format_value(value)    CEL value -> display string (for messages)

Values: JSON data is used as-is (None, bool, int, float, str, list, dict).
Timestamps are aware ``datetime.datetime`` (UTC), durations ``datetime.timedelta``,
uints ``Uint`` (an ``int`` subclass), types ``CelType``.
"""

from .errors import CelCompileError, CelError, CelEvalError, CelSyntaxError
from .functions import standard_functions
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
from .registry import Emitter, FastPath, Function, FunctionTable, Overload
from .runtime import Runtime
from .runtime import current as current_runtime
from .values import CelType, Uint, format_value, to_json

__all__ = [
    "ENGINES",
    "CelCompileError",
    "CelError",
    "CelEvalError",
    "CelSyntaxError",
    "CelType",
    "Emitter",
    "Engine",
    "FastPath",
    "Function",
    "FunctionTable",
    "Overload",
    "Program",
    "Runtime",
    "Uint",
    "compile",
    "current_runtime",
    "export_code",
    "fallback_counts",
    "format_value",
    "import_code",
    "reset_fallback_counts",
    "size_budget",
    "standard_functions",
    "time_budget",
    "to_json",
]
