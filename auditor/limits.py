"""Budgets that bound the time and memory any input can cost (``--limit NAME=VALUE``).

Snapshots, policies, baselines and waivers may come from strangers. Each reader
stops at a budget with an :class:`~auditor.errors.InputError` (exit 2) that names
the file and the budget, so a hostile or broken file can neither hang a CI job nor
exhaust its memory. The defaults are far above anything a real tenant or policy
library needs; ``docs/limits.md`` lists them with the reason for each.

The values live in one process-wide :class:`Limits` because the CLI sets them once
per run and every reader of an input file, however deep in the pipeline, must see the
same budget. An audit's evaluation does not read them from here: its context
(``engine.Context.limits``) takes a copy when the audit starts, so changing the budgets
while audits run (a service configuring the next one) never changes a running one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace

from auditor.errors import InputError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class Limits:
    """Every budget, with its default. Field names are the ``--limit`` names with ``_`` for ``-``."""

    #: bytes of JSON a snapshot (after gunzip) or results document may hold
    snapshot_bytes: int = 2 * GIB
    #: bytes of one API response body that ``collect`` reads (after any gzip); over it, that
    #: collection is ``error`` (a 256 MB page would cost gigabytes once decoded)
    response_bytes: int = 64 * MIB
    #: nesting of arrays and objects in any JSON file read
    json_depth: int = 100
    #: decimal digits of one integer in JSON, YAML, CEL literals and --param
    int_digits: int = 40
    #: nesting of mappings and sequences in a YAML file
    yaml_depth: int = 50
    #: values built from one YAML file, counting every expansion of an alias
    yaml_nodes: int = 100_000
    #: list elements and string/bytes length created by one policy evaluation, all values together
    eval_elements: int = 50_000_000
    #: bytes of one rendered message (failure message or finding message)
    message_bytes: int = 16 * KIB

    def describe(self) -> dict[str, str]:
        """``--limit`` name → default value, for help text and docs."""
        return {f.name.replace("_", "-"): str(getattr(self, f.name)) for f in fields(self)}


_current = Limits()
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": KIB, "m": MIB, "g": GIB}


def is_time_budget(seconds: float) -> bool:
    """Whether ``seconds`` can bound a policy's evaluation time (``--policy-timeout``): positive
    and finite, since ``nan`` and ``inf`` would switch the budget off. The one check: the CLI's
    flag, the API and the engine all ask it."""
    return 0 < seconds < math.inf


def current() -> Limits:
    """The budgets in force."""
    return _current


def configure(limits: Limits) -> None:
    """Replace the budgets in force (the CLI calls this once, before reading anything)."""
    global _current
    _current = limits


def _number(name: str, text: str, *, integer: bool) -> float:
    m = _SIZE.match(text)
    if not m:
        raise InputError(
            f"{name}: expected a positive number (e.g. 100, 64MiB), got {text!r}", source="--limit"
        )
    unit = (m.group(2) or "").lower()[:1]
    value = float(m.group(1)) * _UNITS[unit]
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name}: must be a positive finite number, got {text!r}", source="--limit")
    if integer and value > 2**62:  # every budget is a count of things or bytes
        raise InputError(f"{name}: {text!r} is too large", source="--limit")
    return value


def parse_limits(pairs: list[str] | None, base: Limits | None = None) -> Limits:
    """Apply ``NAME=VALUE`` overrides (sizes take KiB/MiB/GiB suffixes) to ``base``."""
    out = base or Limits()
    known = {f.name: f for f in fields(Limits)}
    for pair in pairs or ():
        name, sep, text = pair.partition("=")
        key = name.strip().replace("-", "_")
        if not sep or key not in known:
            names = ", ".join(n.replace("_", "-") for n in known)
            raise InputError(f"expected NAME=VALUE with NAME one of {names}; got {pair!r}", source="--limit")
        value = _number(name.strip(), text, integer=True)
        out = replace(out, **{key: int(value)})
    return out
