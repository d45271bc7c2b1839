"""Shared helpers: evaluate through both engines and insist they agree."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.cel import CelEvalError
from auditor.cel import compile as cel_compile

from .celref import same


def ev(source: str, **data: Any) -> Any:
    """Value of ``source`` via the fast path *and* the interpreter (which must agree)."""
    program = cel_compile(source, list(data))
    fast = program.evaluate(data)
    program._fast_enabled = False
    slow = program.evaluate(data)
    assert same(fast, slow), (source, fast, slow)
    return fast


def err(source: str, **data: Any) -> CelEvalError:
    """The evaluation error of ``source`` (both engines must fail with the same error)."""
    program = cel_compile(source, list(data))
    with pytest.raises(CelEvalError) as fast:
        program.evaluate(data)
    program._fast_enabled = False
    with pytest.raises(CelEvalError) as slow:
        program.evaluate(data)
    assert fast.value == slow.value
    return fast.value
