"""The function table: every CEL function declared once, read by checker, interpreter and code generator.

Why one declaration: a function has a name, the argument counts the checker accepts, a
result type the code generator can rely on, an implementation both evaluators call, perhaps
a faster inline form, and - for a host library's function - the data it reads. Spread over
four tables they drift apart; here they are one :class:`Function`.

The standard library (``functions.py``) builds its table on every call of
:func:`~auditor.cel.functions.standard_functions`; a host (the policy compiler) copies it,
lets its domain libraries :meth:`FunctionTable.register` their functions, freezes it and
passes it to ``cel.compile(..., functions=table)``. Nothing registers into a shared table
at import time.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .nodes import Call

#: how a function is called: ``f(x)``, ``x.f()``, or either (``x.f(y)`` is ``f(x, y)``)
Style = Literal["global", "member", "either"]


class Emitter(Protocol):
    """What a fast path may ask of the code generator."""

    def tmp(self) -> str:
        """A fresh local name for an assignment expression (``(t := ...)``)."""
        ...

    def const(self, value: Any) -> str:
        """A name bound to ``value`` in the generated code's namespace."""
        ...


#: ``fast(emitter, call, operands)``: Python expression text and its static type for the call,
#: or None to call the implementation. ``operands`` are the generated (code, type) of the
#: receiver (member calls) and the arguments. The text may raise to give up (the interpreter
#: then decides); when it returns, its value must be exactly the implementation's.
FastPath = Callable[[Emitter, Call, Sequence[tuple[str, str]]], tuple[str, str] | None]


@dataclass(frozen=True)
class Overload:
    """One signature: argument types (a member function's receiver first) and the result type.

    Types are CEL type names (``int``, ``string``, ``list``, ``map``, ``timestamp``, ...) or
    ``dyn``; ``variadic``: the last argument type repeats any number of times, none included.
    """

    args: tuple[str, ...]
    result: str
    variadic: bool = False


@dataclass(frozen=True)
class Function:
    """A CEL function: its name, signatures, implementation and what the host must know.

    ``impl`` receives the receiver (member calls) and the arguments as CEL values and
    returns a CEL value; it reports a CEL error by raising ``EvalFailure`` (standard
    functions) or any exception (host functions: the message becomes ``name: message``).
    ``reads``: the host collections the function reads besides its arguments (the policy
    compiler adds them to what a policy needs). ``pure``: the result depends on the
    arguments alone, so calls on literals are computed once at compile time and macros
    calling it may share their results; a function that reads host data is never pure.
    ``fast``: an inline form for the code generator (see :data:`FastPath`).
    """

    name: str
    impl: Callable[..., Any]
    overloads: tuple[Overload, ...]
    style: Style = "global"
    reads: tuple[str, ...] = ()
    pure: bool = True
    fast: FastPath | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.overloads:
            raise ValueError(f"function {self.name!r} declares no overload")
        if self.reads and self.pure:
            raise ValueError(f"function {self.name!r} reads {', '.join(self.reads)}, so it is not pure")

    def accepts(self, count: int) -> bool:
        """Whether some overload takes ``count`` operands (a member call counts its receiver)."""
        for o in self.overloads:
            if count == len(o.args) or (o.variadic and count >= len(o.args) - 1):
                return True
        return False

    @property
    def result(self) -> str:
        """The result type when every overload agrees, else ``dyn``."""
        results = {o.result for o in self.overloads}
        return results.pop() if len(results) == 1 else "dyn"

    @classmethod
    def from_callable(cls, name: str, fn: Callable[..., Any]) -> Function:
        """A host function given as a bare callable: ``dyn`` arguments counted from its signature,
        callable either way (``f(x)`` or ``x.f()``), not pure (it may read anything)."""
        lo, hi = _arity(fn)
        overloads: tuple[Overload, ...]
        if hi < 0:
            overloads = (Overload(("dyn",) * (lo + 1), "dyn", variadic=True),)
        else:
            overloads = tuple(Overload(("dyn",) * n, "dyn") for n in range(lo, hi + 1))
        return cls(name, fn, overloads or (Overload((), "dyn"),), style="either", pure=False)


def _arity(fn: Callable[..., Any]) -> tuple[int, int]:
    """(min, max) positional arguments ``fn`` accepts; max -1 means unbounded."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 0, -1
    lo = hi = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            hi = -1
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            if p.default is p.empty:
                lo += 1
            if hi >= 0:
                hi += 1
    return lo, hi


class FunctionTable:
    """The functions one compilation may call, by name and call style.

    Built from the standard library, extended by host libraries through :meth:`register`,
    then :meth:`freeze` - a frozen table refuses changes, so compiled programs and threads
    can share it. Pickled (the compiled-policy cache), it keeps only the host functions and
    takes the standard library from this version of the code when loaded.
    """

    def __init__(self, functions: Iterable[Function] = (), *, standard: bool = False) -> None:
        """``standard``: these are the standard library (not pickled with the table)."""
        self._global: dict[str, Function] = {}
        self._member: dict[str, Function] = {}
        self._standard: frozenset[Function] = frozenset(functions) if standard else frozenset()
        self._frozen = False
        for fn in functions:
            self.register(fn)

    def register(self, fn: Function, *, replace: bool = False) -> None:
        """Add ``fn``; a name already taken in the same call style is an error unless ``replace``."""
        if self._frozen:
            raise ValueError("this function table is frozen; copy() it to add functions")
        slots = []
        if fn.style in ("global", "either"):
            slots.append(self._global)
        if fn.style in ("member", "either"):
            slots.append(self._member)
        for slot in slots:
            if fn.name in slot and not replace:
                raise ValueError(f"CEL function {fn.name!r} is declared twice")
        for slot in slots:
            slot[fn.name] = fn

    def freeze(self) -> FunctionTable:
        """Refuse further changes; returns the table."""
        self._frozen = True
        return self

    def copy(self) -> FunctionTable:
        """An unfrozen table with the same functions."""
        out = FunctionTable()
        out._standard = self._standard
        out._global = dict(self._global)
        out._member = dict(self._member)
        return out

    def lookup(self, name: str, *, member: bool) -> Function | None:
        """The function ``name`` as called (``x.name(...)`` when ``member``), or None."""
        return (self._member if member else self._global).get(name)

    def __iter__(self) -> Iterator[Function]:
        seen: set[int] = set()
        for fn in (*self._global.values(), *self._member.values()):
            if id(fn) not in seen:
                seen.add(id(fn))
                yield fn

    def host_functions(self) -> tuple[Function, ...]:
        """The functions that are not the standard library's (what a host added)."""
        return tuple(fn for fn in self if fn not in self._standard)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.host_functions(), self._frozen))


def _rebuild(host: tuple[Function, ...], frozen: bool) -> FunctionTable:
    from .functions import standard_functions

    table = standard_functions()
    for fn in host:
        table.register(fn, replace=True)
    return table.freeze() if frozen else table


@functools.lru_cache(maxsize=1)
def _default() -> FunctionTable:
    """The standard library alone, frozen (immutable, so one instance serves every caller)."""
    from .functions import standard_functions

    return standard_functions().freeze()


def as_table(functions: FunctionTable | Mapping[str, Callable[..., Any]] | None) -> FunctionTable:
    """A table for ``cel.compile``: a table as given; a mapping of bare host callables added to the
    standard library (:meth:`Function.from_callable`; they take precedence over same-named ones)."""
    if isinstance(functions, FunctionTable):
        return functions
    from .functions import standard_functions

    if not functions:
        return _default()
    table = standard_functions()
    for name, fn in functions.items():
        table.register(Function.from_callable(name, fn), replace=True)
    return table.freeze()
