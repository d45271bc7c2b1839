"""What the engine hands to the results stage: frozen outcomes per policy and subject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from auditor import cel
from auditor.baseline.model import Waiver
from auditor.limits import Limits
from auditor.limits import current as current_limits
from auditor.policy.model import Policy
from auditor.snapshot.model import SourceStatus
from auditor.vocab import Status

#: short names for the engine's status rules
PASS, FAIL, ERROR, WAIVED, MANUAL, NOT_APPLICABLE = (
    Status.PASS,
    Status.FAIL,
    Status.ERROR,
    Status.WAIVED,
    Status.MANUAL,
    Status.NOT_APPLICABLE,
)


@dataclass(frozen=True)
class Context:
    """Everything one audit's evaluations read and share, created for the audit and closed after it.

    ``data``, ``status_of``, ``tenant`` and ``now`` describe the snapshot (``now`` is its
    collectedAt, never the wall clock, so that the same snapshot always gives the same
    results); ``limits`` are the budgets in force when the audit started (the size of a
    message, the elements one policy may create); ``runtime`` is the CEL evaluation runtime
    holding what the evaluations share - join indexes, shared macro results, the size
    budget's count, and what domain libraries build once (the conditional access model).
    Nothing of an audit lives in module globals, so audits may run at once in threads.
    :meth:`close` (or leaving a ``with`` block) lets go of the runtime's indexes and models.
    """

    data: Mapping[str, Any]
    status_of: Callable[[str], SourceStatus]
    tenant: Mapping[str, Any]
    now: dt.datetime
    limits: Limits = field(default_factory=current_limits)
    runtime: cel.Runtime = field(default_factory=cel.Runtime, compare=False, repr=False)

    def close(self) -> None:
        """Release what the evaluations built (indexes, shared results, models)."""
        self.runtime.close()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class WaiverUse:
    """A waiver that matched a result: whether it had expired and whether it was applied."""

    waiver: Waiver
    expired: bool
    applied: bool


class Finding(NamedTuple):
    """One subject's outcome in a per-subject policy.

    A named tuple rather than a frozen dataclass (immutable either way): a first audit of
    a large tenant makes one per user, and a tuple is built several times faster.
    """

    subject: str
    status: Status
    message: str
    evidence: Any = None
    waiver: WaiverUse | None = None


@dataclass(frozen=True)
class PolicyResult:
    """The outcome of one policy: status, message, findings, evidence and waiver."""

    policy: Policy
    status: Status
    message: str
    findings: tuple[Finding, ...] = ()
    evidence: Any = None
    subject_counts: Mapping[str, int] | None = None
    findings_omitted: int = 0
    waiver: WaiverUse | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    #: things the user should know that the results document has no place for (printed by the CLI)
    warnings: tuple[str, ...] = ()
