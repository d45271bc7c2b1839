"""The results document as types: what ``build_document`` produces and reports read.

These TypedDicts mirror ``schema.json`` (the schema stays the contract for files read
back from disk; these let mypy check the code that builds and reads documents).
``total=False`` classes hold the members the schema makes optional.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Gate = Literal["passed", "failed", "incomplete"]


class WaiverEntry(TypedDict):
    reason: str
    owner: str
    expires: str
    expired: bool
    applied: bool
    subjects: NotRequired[list[str] | None]
    source: NotRequired[str]


class FindingEntry(TypedDict):
    subject: str
    status: str
    message: str
    evidence: NotRequired[Any]
    waiver: NotRequired[WaiverEntry | None]


class ResultEntry(TypedDict):
    policyId: str
    title: str
    severity: str
    status: str
    frameworks: dict[str, list[str]]
    message: str
    remediation: str
    policySha256: str
    findings: list[FindingEntry]
    waiver: WaiverEntry | None
    description: NotRequired[str]
    rationale: NotRequired[str]
    references: NotRequired[list[str]]
    tags: NotRequired[list[str]]
    requires: NotRequired[list[str]]
    policyFile: NotRequired[str]
    manual: NotRequired[str | None]
    fix: NotRequired[str]
    evidence: NotRequired[Any]
    subjectCounts: NotRequired[dict[str, int] | None]
    findingsOmitted: NotRequired[int]


Summary = TypedDict(
    "Summary",
    {
        "pass": int,
        "fail": int,
        "error": int,
        "waived": int,
        "manual": int,
        "not_applicable": int,
        "gate": Gate,
        "failOn": NotRequired[str],
        "exitCode": NotRequired[int],
        "expiredWaivers": NotRequired[int],
    },
)


class ToolInfo(TypedDict):
    name: str
    version: str


class SnapshotInfo(TypedDict):
    sha256: str
    tenant: dict[str, Any]
    collectedAt: str
    sources: dict[str, Any]


class BaselineInfo(TypedDict):
    name: str | None
    sha256: str | None
    failOn: str
    params: dict[str, Any]


class Invocation(TypedDict, total=False):
    policies: list[str] | None
    baseline: str | None
    waivers: str | None
    waiversSha256: str | None
    params: dict[str, Any]
    failOn: str | None
    evidence: Literal["needed", "all"]
    since: str | None
    reportAnchor: str | None
    redacted: bool


class NewFailure(TypedDict):
    """One policy's new failures against the earlier results: the whole policy (it did not
    fail before) or the subjects that were not failing before."""

    policy: bool
    subjects: list[str]


class SinceInfo(TypedDict):
    """``audit --since``: the earlier results document, what is new against it, and the gate
    on new failures only (which then decides the exit code)."""

    newFailures: dict[str, NewFailure]
    gate: Gate
    exitCode: Literal[0, 1, 3]
    results: NotRequired[str]
    generatedAt: NotRequired[str | None]
    integrity: NotRequired[str | None]
    snapshotSha256: NotRequired[str | None]


class Integrity(TypedDict):
    algorithm: Literal["sha256"]
    value: str


class ResultsDocument(TypedDict):
    schemaVersion: int
    tool: ToolInfo
    generatedAt: str
    snapshot: SnapshotInfo
    baseline: BaselineInfo
    summary: Summary
    results: list[ResultEntry]
    invocation: NotRequired[Invocation]
    integrity: NotRequired[Integrity]
    since: NotRequired[SinceInfo]
