"""``compile()`` and ``Program``: parse + check once, evaluate many times.

Evaluation strategy: run the generated Python (``codegen``) first; if it returns, that
is the answer. If it raises anything (it is allowed to give up), evaluate again with the
reference interpreter, which yields the exact value or a positioned error. In
``evaluate_each`` the fallback is per item, so one odd record among a million costs one
slow evaluation, not a million.

The fast path may only give up, never change an answer; but a give-up that the
interpreter then answers with a value is a missed optimisation (or a code-generator
bug), so every one is counted in :data:`FALLBACKS` (see :func:`fallback_counts`),
and tests assert that the built-in policies cause none. ``engine="interpreter"``
chooses the reference interpreter alone.

``time_budget`` bounds wall time in any thread: a deadline (``budget``) checked at
every comprehension step, plus SIGALRM on the POSIX main thread for single long
operations. Both raise a ``BaseException`` subclass so that no ``except Exception``
on the fast path eats it.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import signal
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from types import CodeType
from typing import Any, Literal

from . import budget
from .checker import Checker
from .codegen import CodeGen
from .errors import BudgetExceeded, CelEvalError, CelSyntaxError
from .interpreter import Err, Interpreter
from .meter import SizeBudgetExceeded, size_budget

__all__ = ["Program", "compile", "size_budget", "time_budget"]
from .nodes import Has, Ident, Index, Macro, Node, Select, children
from .nodes import Literal as LiteralNode
from .parser import parse
from .registry import FunctionTable, as_table
from .runtime import _CURRENT as _RUNTIME
from .runtime import Runtime

_FAILED = object()  # marker: generated code could not be compiled


class _Sentinel:
    """Placeholder the generated per-item loop appends when an item needs the interpreter."""

    __slots__ = ()


#: ``compiled``: generated Python first, the interpreter where it gives up (the default);
#: ``interpreter``: the reference interpreter alone (slower; the semantics' definition)
Engine = Literal["compiled", "interpreter"]
ENGINES: tuple[Engine, ...] = ("compiled", "interpreter")

#: why the fast path handed an evaluation to the interpreter, counted process-wide:
#: ``build`` - the generated code could not be built (one per program and entry point);
#: ``exception`` - the generated code raised and the interpreter then produced a value
#: (a missed fast path: never expected for supported expressions);
#: ``error`` - the generated code raised and the interpreter produced a CEL error too
#: (expected: error values are left to the interpreter for their positioned message).
FALLBACKS: Counter[str] = Counter()
_FALLBACKS_LOCK = threading.Lock()


def _count(kind: str, n: int = 1) -> None:
    with _FALLBACKS_LOCK:
        FALLBACKS[kind] += n


def fallback_counts() -> dict[str, int]:
    """A copy of :data:`FALLBACKS`: ``build``, ``exception`` and ``error`` counts."""
    with _FALLBACKS_LOCK:
        return {kind: FALLBACKS.get(kind, 0) for kind in ("build", "exception", "error")}


def reset_fallback_counts() -> None:
    """Set every fallback count to zero (tests measure from a clean start)."""
    with _FALLBACKS_LOCK:
        FALLBACKS.clear()


#: generated source -> its compiled code, for every program in the process. Python's
#: compiler was a sixth of evaluating the library on a mid-sized tenant; the code depends
#: on the source alone (constants live in each program's namespace), so it can be kept
#: between runs: :func:`export_code` and :func:`import_code` (the compiled-policy cache).
_CODE: dict[str, CodeType] = {}
#: sources compiled in this process and not yet exported
_NEW_CODE: set[str] = set()


def import_code(blob: bytes) -> None:
    """Add code exported by :func:`export_code` (by this Python and this version of the tool)."""
    table = marshal.loads(blob)
    if isinstance(table, dict):
        for source, code in table.items():
            if isinstance(source, str) and isinstance(code, CodeType):
                _CODE.setdefault(source, code)


def export_code(limit: int) -> bytes | None:
    """Every compiled source, for :func:`import_code` in a later run; None when nothing new was
    compiled since the last export, or more than ``limit`` (then nothing is worth keeping).
    Beyond ``limit`` entries in all, only this run's are kept."""
    new = set(_NEW_CODE)  # copies made in one step: other threads may be compiling meanwhile
    if not new or len(new) > limit:
        return None
    table = dict(_CODE)
    if len(table) > limit:
        table = {source: table[source] for source in new}
    _NEW_CODE.difference_update(new)
    return marshal.dumps(table)


def _budget_error(exc: BudgetExceeded) -> CelEvalError:
    if isinstance(exc, SizeBudgetExceeded):
        return CelEvalError(exc.describe(), 1, 1)
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
        functions: FunctionTable,
        engine: Engine = "compiled",
        *,
        interpreter: bool = True,
        calls: frozenset[tuple[str, bool]] = frozenset(),
    ) -> None:
        """``interpreter=False`` (a program from the compiled-policy cache, checked when it was
        first compiled) builds the reference interpreter on its first use instead: most cached
        programs never need it, and building 600 of them was a third of loading the cache."""
        if engine not in ENGINES:
            raise ValueError(f"unknown CEL engine {engine!r}; choose from {', '.join(ENGINES)}")
        self.source = source
        self.engine: Engine = engine
        self._tree = tree
        self._names = names
        self._references = references
        self._selections = selections
        self._functions = functions
        self._calls = calls
        self._interp: Interpreter | None = Interpreter(tree, self._functions) if interpreter else None
        self._eval_fn: Any = None
        self._each_fns: dict[str, Any] = {}
        self._fast_enabled = engine == "compiled"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Program({self.source!r})"

    # -- pickling (the compiled-policy cache) -------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """The checked tree and its facts; generated code and locks are rebuilt on first use."""
        return {
            "source": self.source,
            "tree": self._tree,
            "names": self._names,
            "references": self._references,
            "selections": self._selections,
            "functions": self._functions,
            "calls": self._calls,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["source"],
            state["tree"],
            state["names"],
            state["references"],
            state["selections"],
            state["functions"],
            interpreter=False,
            calls=state["calls"],
        )

    # -- introspection ------------------------------------------------------
    def references(self) -> set[str]:
        """Free identifiers the expression reads (macro variables excluded)."""
        return set(self._references)

    def selections(self, root: str) -> set[str]:
        """Field names selected directly on identifier ``root`` (``root.f``, ``has(root.f)``, ``root['f']``)."""
        return set(self._selections.get(root, ()))

    def uses_whole(self, root: str) -> bool:
        """Whether ``root`` is used other than through field selections (then every field may matter).

        ``root.f``, ``has(root.f)`` and ``root['f']`` read one field; anything else (``root``
        passed to a function, compared, iterated, or a macro variable of the same name)
        counts as reading the whole value.
        """
        stack: list[tuple[Node, Node | None]] = [(self._tree, None)]
        while stack:
            node, parent = stack.pop()
            if isinstance(node, Ident) and node.name == root:
                selected = isinstance(parent, Select | Has) or (
                    isinstance(parent, Index)
                    and parent.operand is node
                    and isinstance(parent.index, LiteralNode)
                    and isinstance(parent.index.value, str)
                )
                if not selected:
                    return True
            if isinstance(node, Macro) and node.var == root:
                return True
            stack.extend((child, node) for child in children(node))
        return False

    def calls(self) -> set[str]:
        """Names of the functions the expression calls."""
        return {name for name, _ in self._calls}

    def reads(self) -> set[str]:
        """The host collections the called functions declare they read (besides their arguments)."""
        out: set[str] = set()
        for name, member in self._calls:
            declared = self._functions.lookup(name, member=member)
            if declared is not None:
                out.update(declared.reads)
        return out

    @property
    def functions(self) -> FunctionTable:
        """The function table the expression was checked against."""
        return self._functions

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
            code = _CODE.get(source)
            if code is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # e.g. "'is' with a literal" from `1 == true`
                    code = builtins.compile(source, f"<cel {kind}>", "exec")
                _CODE[source] = code
                _NEW_CODE.add(source)
            namespace = gen.namespace
            exec(code, namespace)
            return namespace[kind]
        except Exception:
            # Too deep for Python's compiler, or a generator bug: the interpreter still works.
            _count("build")
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
            interp = self._interp
            if interp is None:
                interp = self._interp = Interpreter(self._tree, self._functions)
            return interp.run(activation, local)
        except BudgetExceeded:
            raise
        except RecursionError:
            return Err("expression too deeply nested to evaluate", self._tree.line, self._tree.column)
        except MemoryError:
            return Err("out of memory", self._tree.line, self._tree.column)
        except Exception as exc:  # defensive: an internal bug must still surface as a CEL error
            return Err(f"internal error: {type(exc).__name__}: {exc}", self._tree.line, self._tree.column)

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        """Evaluate; raises CelEvalError (with the failing sub-expression's position) on error.

        Runs in the active :class:`~auditor.cel.runtime.Runtime` (the audit's), else in a
        fresh one closed on return."""
        rt = _RUNTIME.get()
        if rt is None:
            with Runtime() as fresh, fresh.active():
                return self.evaluate(activation)
        rt.evaluating += 1
        try:
            return self._evaluate(activation)
        finally:
            rt.evaluating -= 1

    def _evaluate(self, activation: Mapping[str, Any]) -> Any:
        try:
            gave_up = False
            if self._fast_enabled:
                fast = self._fast_eval()
                if fast is not _FAILED:
                    try:
                        return fast(activation)
                    except Exception:
                        gave_up = True
            result = self._interpret(activation)
            if gave_up:
                _count("error" if result.__class__ is Err else "exception")
        except BudgetExceeded as exc:
            raise _budget_error(exc) from None
        if result.__class__ is Err:
            raise CelEvalError(result.message, result.line, result.column)
        return result

    def evaluate_each(self, activation: Mapping[str, Any], name: str, items: Sequence[Any]) -> list[Any]:
        """Evaluate once per item with ``name`` bound to it; errors are returned, not raised."""
        rt = _RUNTIME.get()
        if rt is None:
            with Runtime() as fresh, fresh.active():
                return self.evaluate_each(activation, name, items)
        rt.evaluating += 1
        try:
            return self._evaluate_each(activation, name, items)
        finally:
            rt.evaluating -= 1

    def _evaluate_each(self, activation: Mapping[str, Any], name: str, items: Sequence[Any]) -> list[Any]:
        if name not in self._names:
            raise CelEvalError(f"'{name}' is not a declared name of this expression", 1, 1)
        if not isinstance(items, list | tuple):
            items = list(items)  # generators and other iterables: index them on fallback
        sentinel = _Sentinel()
        try:
            out: list[Any] | None = None
            bad: Sequence[int] = ()
            counted = False
            if self._fast_enabled:
                fast = self._fast_each(name)
                counted = fast is not _FAILED
                if fast is not _FAILED:
                    try:
                        out, bad = fast(activation, items, sentinel)
                    except Exception:
                        out = None
            if out is None:
                out = [sentinel] * len(items)
                bad = range(len(items))
            errors = 0
            for i in bad:
                budget.tick()
                out[i] = self._one(activation, name, items[i])
                errors += out[i].__class__ is CelEvalError
            if counted and bad:
                _count("error", errors)
                _count("exception", len(bad) - errors)
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
    functions: FunctionTable | Mapping[str, Callable[..., Any]] | None = None,
    engine: Engine = "compiled",
) -> Program:
    """Parse and check ``source``; raises CelSyntaxError or CelCompileError.

    ``functions``: the function table (:func:`~auditor.cel.functions.standard_functions`
    extended by the host's libraries, frozen); a mapping of name to bare host callable is
    added to the standard library (arity from the signature); None: the standard library.

    ``engine`` chooses how the program evaluates: ``"compiled"`` (generated Python,
    with the reference interpreter where it gives up) or ``"interpreter"`` (the
    reference interpreter alone). Both give the same values and errors.
    """
    try:
        table = as_table(functions)
        tree = parse(source)
        checked = Checker(names, table).check(tree)
        return Program(
            source,
            checked.tree,
            frozenset(names),
            checked.references,
            checked.selections,
            table,
            engine,
            calls=frozenset(checked.calls),
        )
    except RecursionError:
        # Only reachable when the caller's own stack is already deep: the limits in
        # parser.py keep the tree small enough for a normal stack.
        raise CelSyntaxError("expression nesting too deep", 1, 1) from None


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Bound the wall time of evaluations inside the block, in any thread.

    A deadline checked at every comprehension step (interpreted or generated) stops
    long iterations; on the POSIX main thread SIGALRM also interrupts a single long
    operation. Nested budgets keep the earlier deadline. An evaluation that runs out
    raises :class:`CelEvalError` naming the budget. ``seconds <= 0`` means no budget.
    """
    if seconds <= 0:
        yield
        return
    token = budget.push(seconds)
    try:
        with _alarm(seconds):
            yield
    except BudgetExceeded as exc:
        raise _budget_error(exc) from None
    finally:
        budget.pop(token)


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """SIGALRM after ``seconds`` on the POSIX main thread; elsewhere nothing (the deadline works)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return
    state = {"active": True}

    def on_alarm(signum: int, frame: Any) -> None:
        # Only inside an evaluation: raised anywhere else (say, while the block is being
        # left), it could skip the clean-up of this very budget. Outside, the deadline
        # (checked at every comprehension step) is all that is needed.
        rt = _RUNTIME.get()  # the main thread's runtime: the handler runs in that thread
        if state["active"] and rt is not None and rt.evaluating > 0:
            state["active"] = False
            raise BudgetExceeded(seconds)

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
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
