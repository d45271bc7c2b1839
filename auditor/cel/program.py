"""``compile()`` and ``Program``: parse + check once, evaluate many times.

Evaluation strategy: run the generated Python (``codegen``) first; if it returns, that
is the answer. If it raises anything (it is allowed to give up), evaluate again with the
reference interpreter, which yields the exact value or a positioned error. In
``evaluate_each`` the fallback is per item, so one odd record among a million costs one
slow evaluation, not a million.

``time_budget`` bounds wall time with SIGALRM (main thread, POSIX); the alarm raises a
``BaseException`` subclass so that no ``except Exception`` on the fast path eats it.
"""

from __future__ import annotations

import builtins
import contextlib
import signal
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

from .checker import Checker
from .codegen import CodeGen
from .errors import BudgetExceeded, CelEvalError, CelSyntaxError
from .interpreter import Err, Interpreter
from .nodes import Node
from .parser import parse

_FAILED = object()  # marker: generated code could not be compiled


class _Sentinel:
    """Placeholder the generated per-item loop appends when an item needs the interpreter."""

    __slots__ = ()


def _budget_error(exc: BudgetExceeded) -> CelEvalError:
    return CelEvalError(f"evaluation exceeded the time budget of {exc.seconds:g} s", 1, 1)


class Program:
    """A compiled expression. Thread-safe; evaluation never raises anything but CelEvalError."""

    def __init__(
        self,
        source: str,
        tree: Node,
        names: frozenset[str],
        references: set[str],
        selections: dict[str, set[str]],
        functions: Mapping[str, Callable[..., Any]],
    ) -> None:
        self.source = source
        self._tree = tree
        self._names = names
        self._references = references
        self._selections = selections
        self._functions = dict(functions)
        self._interp = Interpreter(tree, self._functions)
        self._eval_fn: Any = None
        self._each_fns: dict[str, Any] = {}
        self._fast_enabled = True  # tests switch this off to exercise the interpreter alone
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Program({self.source!r})"

    # -- introspection ------------------------------------------------------
    def references(self) -> set[str]:
        """Free identifiers the expression reads (macro variables excluded)."""
        return set(self._references)

    def selections(self, root: str) -> set[str]:
        """Field names selected directly on identifier ``root`` (``root.f``, ``has(root.f)``, ``root['f']``)."""
        return set(self._selections.get(root, ()))

    @property
    def tree(self) -> Node:
        """The checked syntax tree (frozen nodes of :mod:`auditor.cel.nodes`), for static analyses
        outside the language such as field-name checks against a schema."""
        return self._tree

    # -- fast path construction --------------------------------------------
    def _build(self, kind: str, item: str | None) -> Any:
        gen = CodeGen(self._tree, self._references | ({item} if item else set()), self._functions)
        try:
            source = gen.each_source(item) if item is not None else gen.eval_source()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "'is' with a literal" from `1 == true`
                code = builtins.compile(source, f"<cel {kind}>", "exec")
            namespace = gen.namespace
            exec(code, namespace)
            return namespace[kind]
        except Exception:
            # Too deep for Python's compiler, or a generator bug: the interpreter still works.
            return _FAILED

    def _fast_eval(self) -> Any:
        if self._eval_fn is None:
            with self._lock:
                if self._eval_fn is None:
                    self._eval_fn = self._build("_eval", None)
        return self._eval_fn

    def _fast_each(self, name: str) -> Any:
        fn = self._each_fns.get(name)
        if fn is None:
            with self._lock:
                fn = self._each_fns.get(name)
                if fn is None:
                    fn = self._build("_each", name)
                    self._each_fns[name] = fn
        return fn

    def _generated_source(self, item: str | None = None) -> str:
        """The generated Python (for debugging and tests)."""
        gen = CodeGen(self._tree, self._references | ({item} if item else set()), self._functions)
        return gen.each_source(item) if item is not None else gen.eval_source()

    # -- evaluation ---------------------------------------------------------
    def _interpret(self, activation: Mapping[str, Any], local: dict[str, Any] | None = None) -> Any:
        try:
            return self._interp.run(activation, local)
        except BudgetExceeded:
            raise
        except RecursionError:
            return Err("expression too deeply nested to evaluate", self._tree.line, self._tree.column)
        except MemoryError:
            return Err("out of memory", self._tree.line, self._tree.column)
        except Exception as exc:  # defensive: an internal bug must still surface as a CEL error
            return Err(f"internal error: {type(exc).__name__}: {exc}", self._tree.line, self._tree.column)

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        """Evaluate; raises CelEvalError (with the failing sub-expression's position) on error."""
        try:
            if self._fast_enabled:
                fast = self._fast_eval()
                if fast is not _FAILED:
                    try:
                        return fast(activation)
                    except Exception:
                        pass
            result = self._interpret(activation)
        except BudgetExceeded as exc:
            raise _budget_error(exc) from None
        if result.__class__ is Err:
            raise CelEvalError(result.message, result.line, result.column)
        return result

    def evaluate_each(self, activation: Mapping[str, Any], name: str, items: Sequence[Any]) -> list[Any]:
        """Evaluate once per item with ``name`` bound to it; errors are returned, not raised."""
        if name not in self._names:
            raise CelEvalError(f"'{name}' is not a declared name of this expression", 1, 1)
        if not isinstance(items, list | tuple):
            items = list(items)  # generators and other iterables: index them on fallback
        sentinel = _Sentinel()
        try:
            out: list[Any] | None = None
            bad: Sequence[int] = ()
            if self._fast_enabled:
                fast = self._fast_each(name)
                if fast is not _FAILED:
                    try:
                        out, bad = fast(activation, items, sentinel)
                    except Exception:
                        out = None
            if out is None:
                out = [sentinel] * len(items)
                bad = range(len(items))
            for i in bad:
                out[i] = self._one(activation, name, items[i])
        except BudgetExceeded as exc:
            raise _budget_error(exc) from None
        return out

    def _one(self, activation: Mapping[str, Any], name: str, item: Any) -> Any:
        result = self._interpret(activation, {name: item})
        if result.__class__ is Err:
            return CelEvalError(result.message, result.line, result.column)
        return result


def compile(
    source: str,
    names: Collection[str],
    *,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Program:
    """Parse and check ``source``; raises CelSyntaxError or CelCompileError."""
    try:
        tree = parse(source)
        checked = Checker(names, functions or {}).check(tree)
        return Program(
            source, checked.tree, frozenset(names), checked.references, checked.selections, functions or {}
        )
    except RecursionError:
        # Only reachable when the caller's own stack is already deep: the limits in
        # parser.py keep the tree small enough for a normal stack.
        raise CelSyntaxError("expression nesting too deep", 1, 1) from None


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Bound the wall time of evaluations inside the block (POSIX main thread; else a no-op)."""
    usable = (
        hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread() and seconds > 0
    )
    if not usable:
        yield
        return
    state = {"active": True}

    def on_alarm(signum: int, frame: Any) -> None:
        if state["active"]:
            state["active"] = False
            raise BudgetExceeded(seconds)

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except BudgetExceeded as exc:
        raise _budget_error(exc) from None
    finally:
        while True:
            try:
                state["active"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous_handler)
                if previous_timer[0] > 0:
                    remaining = previous_timer[0] - (time.monotonic() - started)
                    signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-6))
                break
            except BudgetExceeded:
                continue
