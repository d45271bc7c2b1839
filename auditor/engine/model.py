"""What the engine hands to the results stage: frozen outcomes per policy and subject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from auditor.baseline.model import Waiver
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
    """Everything an evaluation reads: the snapshot's data and statuses, tenant and time.

    ``now`` is the snapshot's collectedAt, never the wall clock, so that the same
    snapshot always gives the same results.
    """

    data: Mapping[str, Any]
    status_of: Callable[[str], SourceStatus]
    tenant: Mapping[str, Any]
    now: dt.datetime


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
