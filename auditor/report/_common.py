"""Helpers shared by the report formats: ordering, labels and small facts derived
from the results document.

Every format must tell the same story (the same verdict, the same ordering, the
same notion of "expired waiver" and "collection not collected"), so those
derivations live here once instead of being re-invented per format.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from auditor.report.safetext import inert, printable
from auditor.results import GATE_EXIT_CODES
from auditor.results.types import FindingEntry, ResultEntry, ResultsDocument, SinceInfo, WaiverEntry
from auditor.vocab import PROBLEM_STATUSES, SEVERITIES, TRIAGE_ORDER, severity_rank

Doc = ResultsDocument
Result = ResultEntry
Finding = FindingEntry

#: display order of statuses in tables and counts
STATUS_ORDER = TRIAGE_ORDER

STATUS_LABELS = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "waived": "WAIVED",
    "manual": "MANUAL",
    "not_applicable": "N/A",
}
STATUS_ICONS = {
    "pass": "✔",
    "fail": "✘",
    "error": "!",
    "waived": "~",
    "manual": "?",
    "not_applicable": "-",
}
GATE_LABELS = {"passed": "PASSED", "failed": "FAILED", "incomplete": "INCOMPLETE"}


def printable_doc(value: Any) -> Any:
    """A copy of a results document (or any JSON value) with every string made :func:`printable`."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {printable_doc(k): printable_doc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable_doc(v) for v in value]
    return value


def printable_view(value: Any) -> Any:
    """A read-only view of a results document (or any JSON value) whose every string is
    :func:`~auditor.report.safetext.inert`: one line, no control or bidi characters, no
    workflow command a CI log could run (the console's view of tenant text).

    A view, not a copy: the console shows a few hundred lines of a document that can hold
    a million findings, so strings are cleaned when they are read (a copy walked every
    finding and its evidence, a tenth of a 100,000-user audit)."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, Mapping):
        return _PrintableMapping(value)
    if isinstance(value, list | tuple):
        return _PrintableSequence(value)
    return value


class _PrintableMapping(Mapping[str, Any]):
    """A mapping whose keys and values are seen through :func:`printable_view`."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return printable_view(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return (inert(k) for k in self._data)

    def __len__(self) -> int:
        return len(self._data)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        # straight from the data: a key holding control characters is shown cleaned
        return ((inert(k), printable_view(v)) for k, v in self._data.items())


class _PrintableSequence(Sequence[Any]):
    """A list whose items are seen through :func:`printable_view`."""

    __slots__ = ("_data",)

    def __init__(self, data: Sequence[Any]) -> None:
        self._data = data

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [printable_view(v) for v in self._data[index]]
        return printable_view(self._data[index])

    def __iter__(self) -> Iterator[Any]:
        return (printable_view(v) for v in self._data)

    def __len__(self) -> int:
        return len(self._data)


def status_rank(status: str) -> int:
    """Position of a status in :data:`STATUS_ORDER` (unknown statuses sort last)."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def sev_rank(severity: str) -> int:
    """Severity rank that tolerates unknown values (sorted below ``info``)."""
    return severity_rank(severity) if severity in SEVERITIES else -1


def triage_order(results: Iterable[Result]) -> list[Result]:
    """Results as a reader wants them: by status urgency, then severity (highest first),
    then policy ID so that the order is total and deterministic."""
    return sorted(
        results,
        key=lambda r: (
            status_rank(str(r["status"])),
            -sev_rank(str(r["severity"])),
            str(r["policyId"]),
        ),
    )


def gate(doc: Doc) -> str:
    """The gate verdict: ``passed``, ``failed`` or ``incomplete``; with ``audit --since``,
    the verdict on new failures only (that is what decided the exit code)."""
    since = since_block(doc)
    if since:
        return since["gate"]
    return str(doc["summary"]["gate"])


def exit_code(doc: Doc) -> int:
    """The exit code the gate stands for (the document may record it; else derive it)."""
    since = since_block(doc)
    if since:
        return since["exitCode"]
    summary = doc["summary"]
    if isinstance(summary.get("exitCode"), int):
        return int(summary["exitCode"])
    return GATE_EXIT_CODES.get(gate(doc), 3)


def fail_on(doc: Doc) -> str:
    """The fail-on severity that decided the gate."""
    summary = doc["summary"]
    return str(summary.get("failOn") or doc["baseline"]["failOn"] or "high")


def counts(doc: Doc) -> dict[str, int]:
    """Policy counts by status, in :data:`STATUS_ORDER`, recomputed from the results
    (the summary is checked by ``verify``; reports show what the results say)."""
    out = {str(s): 0 for s in STATUS_ORDER}
    for r in doc["results"]:
        status = str(r["status"])
        out[status] = out.get(status, 0) + 1
    return out


def tenant_label(doc: Doc) -> str:
    """``displayName (defaultDomain, id)`` with whatever parts the snapshot has."""
    tenant = doc["snapshot"]["tenant"] or {}
    name = tenant.get("displayName") or tenant.get("defaultDomain") or tenant.get("id") or "unknown tenant"
    extras = [str(x) for x in (tenant.get("defaultDomain"), tenant.get("id")) if x and x != name]
    return f"{name} ({', '.join(extras)})" if extras else str(name)


def frameworks_text(frameworks: Mapping[str, Iterable[str]] | None, sep: str = ";") -> str:
    """``key:ID;key:ID`` in key order, IDs in document order."""
    if not frameworks:
        return ""
    return sep.join(f"{key}:{cid}" for key in sorted(frameworks) for cid in frameworks[key])


def sources_not_ok(doc: Doc) -> list[tuple[str, str, str]]:
    """Collections attempted but not collected: (name, status, reason), by name."""
    out: list[tuple[str, str, str]] = []
    sources = doc["snapshot"]["sources"] or {}
    for name in sorted(sources):
        entry = sources[name] if isinstance(sources[name], Mapping) else {}
        status = str(entry.get("status", "error"))
        if status == "ok":
            continue
        reason_parts = []
        if entry.get("httpStatus") is not None:
            reason_parts.append(f"HTTP {entry['httpStatus']}")
        if entry.get("error"):
            reason_parts.append(str(entry["error"]))
        out.append((name, status, ": ".join(reason_parts) or status))
    return out


def expired_waivers(doc: Doc) -> list[tuple[str, str | None, WaiverEntry]]:
    """Waivers that were not applied because they had expired: (policyId, subject or
    None for a policy-wide waiver, waiver). The report must say so (an expired waiver is never silent)."""
    out: list[tuple[str, str | None, WaiverEntry]] = []
    for r in doc["results"]:
        w = r["waiver"]
        if w and w["expired"]:
            out.append((r["policyId"], None, w))
        for f in r["findings"]:
            fw = f.get("waiver")
            if fw and fw["expired"]:
                out.append((r["policyId"], f["subject"], fw))
    return out


def failing_findings(result: Result, limit: int | None = None) -> list[Finding]:
    """The findings that explain a non-passing policy: failing and erroring subjects; with
    ``limit``, the first that many, without looking at the findings after them."""
    found = (f for f in result["findings"] if f["status"] in PROBLEM_STATUSES)
    return list(found if limit is None else itertools.islice(found, limit))


def failing_subject_count(result: Result) -> int:
    """How many subjects fail or error, counting those omitted from ``findings``."""
    sc = result.get("subjectCounts")
    if sc:
        return sc.get("fail", 0) + sc.get("error", 0)
    return len(failing_findings(result)) + result.get("findingsOmitted", 0)


def waiver_text(waiver: WaiverEntry | None) -> str:
    """One line describing a waiver, flagging an expired one."""
    if not waiver:
        return ""
    state = (
        "EXPIRED, not applied" if waiver["expired"] else ("applied" if waiver["applied"] else "not applied")
    )
    return f"{waiver['reason']} (owner {waiver['owner']}, expires {waiver['expires']}; {state})"


def id_prefix(policy_id: str, parts: int) -> str:
    """The first ``parts`` dot-separated segments of a policy ID (its area)."""
    return ".".join(policy_id.split(".")[:parts])


def short_hash(value: str | None, n: int = 12) -> str:
    return (value or "")[:n]


def one_line(text: str | None, limit: int = 0) -> str:
    """Collapse whitespace and newlines; cut to ``limit`` characters with an ellipsis, at a
    word boundary where there is one."""
    flat = " ".join(str(text or "").split())
    if limit and len(flat) > limit:
        head = flat[: max(limit - 1, 0)]
        space = head.rfind(" ")
        # at a word boundary when there is one in the second half: a name is never cut inside
        return (head[:space] if space > limit // 2 else head) + "…"
    return flat


def keep_end(text: str | None, limit: int) -> str:
    """One line cut to ``limit`` characters by removing its middle, not its end.

    The actionable part of a message is often last ("... needs Policy.Read.All"), so
    a long message keeps its first third and its end around an ellipsis."""
    flat = one_line(text)
    if limit <= 0 or len(flat) <= limit:
        return flat
    if limit < 8:
        return flat[-limit:]
    head = (limit - 1) // 3
    tail = limit - 1 - head
    return flat[:head] + "…" + flat[-tail:]


#: words whose trailing dot does not end a sentence
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "vs", "cf", "u.s", "no", "approx", "incl", "min", "max", "dr", "mr"}
)
_CODE_OR_URL = re.compile(r"`[^`]*`|\b[a-z][a-z0-9+.-]*://\S+|\S+\.\S+", re.IGNORECASE)


def first_sentence(text: str) -> str:
    """The first sentence of one line of text: it ends at ". " or "; " — not inside code
    (backticks), a URL, a dotted name, or after an abbreviation such as "e.g." or "U.S."."""
    masked = _CODE_OR_URL.sub(lambda m: "x" * len(m.group(0)), text)
    for m in re.finditer(r"[.;](?=\s|$)", masked):
        idx = m.start()
        if idx <= 3:
            continue
        if m.group(0) == ";":
            return text[:idx]
        word = masked[:idx].rsplit(" ", 1)[-1].lower()
        if word.rstrip(".") in _ABBREVIATIONS or text[:idx].rsplit(" ", 1)[-1].lower() in _ABBREVIATIONS:
            continue
        if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
            continue
        return text[: idx + 1]
    return text


def one_line_fix(result: Result, limit: int = 160) -> str:
    """The first sentence of a policy's remediation: what to do, in one line."""
    text = str(result["remediation"] or "").strip()
    if not text:
        return ""
    first = text.split("\n\n", 1)[0]
    # a numbered or bulleted first step: its text, not the marker
    flat = re.sub(r"^(?:\d+[.)]|[-*])\s+", "", one_line(first))
    return one_line(first_sentence(flat), limit)


def framework_ids(result: Result) -> list[str]:
    """The framework control IDs a policy maps to (``MS.AAD.3.2v1``, ``1.1.1``...), framework
    keys in order. Bare IDs, because that is what users of each framework search for."""
    fws = result["frameworks"] or {}
    # a recommendation with the same ID in two CIS versions (cis-m365-v6, -v7) is shown once
    return list(dict.fromkeys(str(cid) for key in sorted(fws) for cid in fws[key]))


def severity_counts(doc: Doc, status: str = "fail") -> dict[str, int]:
    """How many policies have ``status``, by severity, highest severity first."""
    out: dict[str, int] = dict.fromkeys((str(s) for s in SEVERITIES), 0)
    for r in doc["results"]:
        if r["status"] == status and r["severity"] in out:
            out[str(r["severity"])] += 1
    return out


def top_fixes(doc: Doc, limit: int = 0) -> list[Result]:
    """Failing policies in the order to fix them: severity (highest first), new failures
    (``--since``) before old ones, then the number of failing subjects, then ID."""
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    fails.sort(
        key=lambda r: (
            -sev_rank(str(r["severity"])),
            not is_new(doc, str(r["policyId"])),
            -failing_subject_count(r),
            str(r["policyId"]),
        )
    )
    return fails[:limit] if limit else fails


def since_block(doc: Doc) -> SinceInfo | None:
    """The ``since`` member written by ``audit --since`` (``None`` without it)."""
    return doc.get("since")


def is_new(doc: Doc, policy_id: str, subject: str | None = None) -> bool:
    """Whether a failure is new against the earlier results (``audit --since``).

    Without ``--since`` nothing is marked new. A policy is new when it did not fail
    before; a subject is new when it was not among the policy's earlier failures."""
    since = since_block(doc)
    if not since or policy_id not in since["newFailures"]:
        return False
    if subject is None:
        return True
    entry = since["newFailures"][policy_id]
    return entry["policy"] or subject in entry["subjects"]


def new_failure_count(doc: Doc) -> int:
    """Policies with a new failure (``audit --since``)."""
    since = since_block(doc)
    return len(since["newFailures"]) if since else 0


def counts_toward_gate(doc: Doc, result: Result) -> bool:
    """Whether a ``fail`` or ``error`` result decides the gate: its severity is at or above
    the fail-on severity and, with ``audit --since``, its failure is new (an error always
    counts then: missing data never passes silently)."""
    if result["status"] not in PROBLEM_STATUSES:
        return False
    if sev_rank(str(result["severity"])) < sev_rank(fail_on(doc)):
        return False
    if since_block(doc) and result["status"] == "fail":
        return is_new(doc, str(result["policyId"]))
    return True
