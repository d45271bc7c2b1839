"""The words every stage shares: result statuses and policy severities, with their orders.

One leaf module (it imports nothing of the project) so that the engine, the results
document, the reports and the command line cannot drift apart. Both are ``StrEnum``s:
a member *is* its string (``Status.PASS == "pass"``), so documents read from JSON
compare equal to members and members serialise as plain strings.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The status of a policy or of one subject; definition order is the results document's."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    WAIVED = "waived"
    MANUAL = "manual"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    """A policy's severity, most severe first (the order ``--fail-on`` compares in)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe: critical=4 ... info=0."""
        return len(SEVERITIES) - 1 - SEVERITIES.index(self)


#: every status, in the results document's order (summary counts, schema)
STATUSES: tuple[Status, ...] = tuple(Status)
#: every severity, most severe first
SEVERITIES: tuple[Severity, ...] = tuple(Severity)

#: the order a reader triages in (tables, counts, sorting): what needs attention first
TRIAGE_ORDER: tuple[Status, ...] = (
    Status.FAIL,
    Status.ERROR,
    Status.WAIVED,
    Status.MANUAL,
    Status.NOT_APPLICABLE,
    Status.PASS,
)
#: the order that combines several statuses into one, worst first: a control mapped to a
#: passing and a not-applicable policy has passed, so ``pass`` outranks ``not_applicable`` here
WORST_FIRST: tuple[Status, ...] = (
    Status.FAIL,
    Status.ERROR,
    Status.WAIVED,
    Status.MANUAL,
    Status.PASS,
    Status.NOT_APPLICABLE,
)
#: statuses that need someone's attention, most urgent first
PROBLEM_STATUSES: tuple[Status, ...] = (Status.FAIL, Status.ERROR)


def severity_rank(severity: str) -> int:
    """Higher is more severe: critical=4 ... info=0; ``ValueError`` for an unknown name."""
    return Severity(severity).rank


#: nouns whose plural is not the singular plus "s"
_PLURALS = {"policy": "policies", "subject passes": "subjects pass", "is": "are", "was": "were"}


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``1 policy``, ``2 policies``, ``0 policies``: a count with its noun in the right number,
    so that no output ever says "1 policies"."""
    if n == 1:
        return f"{n} {singular}"
    return f"{n} {plural or _PLURALS.get(singular) or singular + 's'}"


__all__ = [
    "PROBLEM_STATUSES",
    "SEVERITIES",
    "STATUSES",
    "TRIAGE_ORDER",
    "WORST_FIRST",
    "Severity",
    "Status",
    "counted",
    "severity_rank",
]
