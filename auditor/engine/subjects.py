"""Per-subject policies: judge every element of ``forEach`` and report each one.

This is the hot path for tenants with a million users: the assertion runs
through ``Program.evaluate_each`` (compiled Python over the raw dicts), and the
costlier parts — naming the subject, interpolating the message, copying the
evidence — run only for subjects that are reported.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from auditor import cel
from auditor.baseline.model import Waiver
from auditor.engine.aggregate import aggregate
from auditor.engine.evidence import subject_evidence
from auditor.engine.expressions import Failed, cap, display, not_bool, where
from auditor.engine.expressions import evaluate as evaluate_expr
from auditor.engine.model import ERROR, FAIL, PASS, WAIVED, Context, Finding, PolicyResult, WaiverUse
from auditor.engine.waivers import annotate, choose
from auditor.vocab import Status, counted

#: per-subject policies list passing subjects individually up to this many subjects
KEEP_PASSING_FINDINGS = 1000

MAX_NAMED_IN_MESSAGE = 5


def _status(value: Any) -> Status:
    if value is True:
        return PASS
    if value is False:
        return FAIL
    return ERROR


def _subject_names(
    policy: Any, activation: dict[str, Any], items: list[Any], indices: Sequence[int], limit: int
) -> list[str]:
    """The display name of each subject (``subject:``, else the item itself or ``#index``).

    Evaluated over all the items in one call: per call overhead, not the expression,
    dominated when a million subjects are reported.
    """
    if policy.subject is None:
        return [
            display(item, limit) if isinstance(item, str | int | float) else f"#{index}"
            for item, index in zip(items, indices, strict=True)
        ]
    values = policy.subject.program.evaluate_each(activation, policy.as_name, items)
    short = limit // 4  # a string this short is shown as it is
    return [
        value
        if value.__class__ is str and len(value) <= short
        else f"#{index}"
        if value.__class__ is cel.CelEvalError
        else display(value, limit)
        for value, index in zip(values, indices, strict=True)
    ]


def _failure_messages(policy: Any, activation: dict[str, Any], items: list[Any], limit: int) -> list[str]:
    """The message of each failing subject: the template's parts evaluated over all the items
    at once, then joined per item exactly as :func:`~auditor.engine.expressions.render` does.

    Column by column: each part's values become text in one comprehension (a short string
    is its own text), then each row is joined. A row longer than the budget is built again
    piece by piece, as ``render`` builds it (which stops adding parts once over budget)."""
    default = f"does not meet: {policy.title}"
    if policy.message is None:
        return [default] * len(items)
    shown: dict[tuple[str, ...], str] = {}
    columns: list[list[str]] = []
    for part in policy.message.parts:
        if isinstance(part, str):
            columns.append([part] * len(items))
            continue
        values = part.program.evaluate_each(activation, policy.as_name, items)
        columns.append(
            [
                value if value.__class__ is str and len(value) * 4 <= limit else _piece(value, limit, shown)
                for value in values
            ]
        )
    out = ["".join(row) for row in zip(*columns, strict=True)] if columns else [""] * len(items)
    for k, text in enumerate(out):
        if len(text) > limit:
            text = _budgeted(columns, k, limit)
        out[k] = cap(text.strip(), limit)
    return out


def _piece(value: Any, limit: int, shown: dict[tuple[str, ...], str]) -> str:
    """A message part's text for a value that is not a short string."""
    kind = value.__class__
    if kind is str:
        return display(value, limit)
    if kind is cel.CelEvalError:
        return f"<error: {cap(value.message, limit)}>"
    if kind is list and all(v.__class__ is str for v in value):
        key = tuple(value)  # lists of names repeat from user to user: format each once
        return shown.get(key) or shown.setdefault(key, display(value, limit))
    return display(value, limit)


def _budgeted(columns: list[list[str]], k: int, limit: int) -> str:
    """Row ``k`` joined as ``render`` joins it: no part added once the text is over ``limit``."""
    pieces: list[str] = []
    size = 0
    for column in columns:
        if size > limit:
            break
        pieces.append(column[k])
        size += len(column[k])
    return "".join(pieces)


def _finding_messages(
    policy: Any,
    activation: dict[str, Any],
    items: list[Any],
    statuses: list[Status],
    values: list[Any],
    limit: int,
) -> list[str]:
    failing = [i for i, status in enumerate(statuses) if status == FAIL]
    rendered = iter(_failure_messages(policy, activation, [items[i] for i in failing], limit))
    out: list[str] = []
    for status, value in zip(statuses, values, strict=True):
        if status == PASS:
            out.append("pass")
        elif status == ERROR:
            assert policy.assert_ is not None
            out.append(
                where(policy.assert_, value)
                if isinstance(value, cel.CelEvalError)
                else not_bool(policy.assert_, value)
            )
        else:
            out.append(next(rendered))
    return out


def _subject_waiver(subject: str, waivers: list[Waiver], ctx: Context) -> WaiverUse | None:
    use = choose((w for w in waivers if w.subjects is not None and subject in w.subjects), ctx.now.date())
    return replace(use, applied=not use.expired) if use is not None else None


#: ``evidence`` modes: the fields the policy reads, for failing and erroring subjects; or all of it
EVIDENCE_MODES = ("needed", "all")


def fields_read(policy: Any) -> frozenset[str] | None:
    """The fields of the subject that the assertion, subject name and message read; None: all of them."""
    exprs = [policy.assert_, policy.subject, *(policy.message.expressions if policy.message else ())]
    fields: set[str] = set()
    for expr in exprs:
        if expr is None:
            continue
        if expr.program.uses_whole(policy.as_name):
            return None
        fields |= expr.program.selections(policy.as_name)
    return frozenset(fields)


def evaluate_subjects(
    policy: Any,
    activation: dict[str, Any],
    waivers: list[Waiver],
    ctx: Context,
    evidence: Any,
    evidence_mode: str = "needed",
) -> PolicyResult:
    assert policy.for_each is not None and policy.assert_ is not None
    items = evaluate_expr(policy.for_each, activation)
    if isinstance(items, dict):
        items = list(items)
    if not isinstance(items, list):
        raise Failed(f"{policy.for_each.where()}: forEach must give a list, got {display(items, 80)}")
    values = policy.assert_.program.evaluate_each(activation, policy.as_name, items)
    # Only subjects that are reported cost more than the assertion itself: with many
    # subjects, passing ones are counted, not listed.
    everything = evidence_mode == "all"
    keep_passing = everything or len(items) <= KEEP_PASSING_FINDINGS
    read = None if everything else fields_read(policy)
    fields = None if read is None else tuple(sorted(read))
    reported = range(len(items)) if keep_passing else [i for i, v in enumerate(values) if v is not True]
    findings: list[Finding] = []
    counts: Counter[str] = Counter()
    omitted = len(items) - len(reported)
    if omitted:
        counts[PASS] = omitted
    chosen = [items[i] for i in reported]
    chosen_values = [values[i] for i in reported]
    statuses = [_status(v) for v in chosen_values]
    limit = ctx.limits.message_bytes
    subjects = _subject_names(policy, activation, chosen, reported, limit)
    messages = _finding_messages(policy, activation, chosen, statuses, chosen_values, limit)
    subject_waivers = [w for w in waivers if w.subjects is not None]
    if subject_waivers:
        for item, status, subject, message in zip(chosen, statuses, subjects, messages, strict=True):
            use = _subject_waiver(subject, subject_waivers, ctx) if status == FAIL else None
            if use is not None:
                status = WAIVED if use.applied else status
                message = annotate(message, use)
            kept = subject_evidence(item, fields) if everything or status != PASS else None
            findings.append(Finding(subject, status, message, kept, use))
    else:  # the common case, a million times on a first audit: no per-item branching
        kept_all = [
            subject_evidence(item, fields) if everything or status != PASS else None
            for item, status in zip(chosen, statuses, strict=True)
        ]
        findings = list(map(Finding, subjects, statuses, messages, kept_all))
    counts.update(f.status for f in findings)
    unknown = _unknown_waived_subjects(policy, activation, items, reported, findings, waivers, limit)
    activation.pop(policy.as_name, None)
    findings.sort(key=operator.itemgetter(0, 1, 2))  # subject, status, message
    status = aggregate(counts, policy.pass_ratio)
    return PolicyResult(
        policy,
        status,
        _summary(policy, status, counts, findings),
        tuple(findings),
        evidence,
        dict(sorted(counts.items())),
        omitted,
        warnings=tuple(
            f"a waiver for {policy.id} names subject {name!r}, which is not among its {counted(len(items), 'subject')}"
            for name in unknown
        ),
    )


def _unknown_waived_subjects(
    policy: Any,
    activation: dict[str, Any],
    items: list[Any],
    reported: Any,
    findings: list[Finding],
    waivers: list[Waiver],
    limit: int,
) -> list[str]:
    """Subjects that a subject waiver lists but the policy never saw (a typo waives nothing)."""
    listed = {name for w in waivers for name in (w.subjects or ())}
    if not listed:
        return []
    seen = {f.subject for f in findings}
    if listed - seen and len(reported) < len(items):
        # passing subjects are counted, not named: name them now, only because a waiver asks
        shown = set(reported)
        rest = [i for i in range(len(items)) if i not in shown]
        seen.update(_subject_names(policy, activation, [items[i] for i in rest], rest, limit))
    return sorted(listed - seen)


def _summary(policy: Any, status: str, counts: Counter[str], findings: list[Finding]) -> str:
    n = sum(counts.values())
    if n == 0:
        return "no subjects to evaluate (zero subjects pass)"
    passing = counts.get(PASS, 0)
    share = f"{passing * 100 / n:.1f}%"
    bar = f" (required {policy.pass_ratio * 100:g}%)" if policy.pass_ratio < 1 else ""
    parts = [f"{passing} of {counted(n, 'subject passes', 'subjects pass')} ({share}){bar}"]
    for label in (FAIL, ERROR, WAIVED):
        names = [f.subject for f in findings if f.status == label]
        if names:
            shown = ", ".join(names[:MAX_NAMED_IN_MESSAGE])
            more = (
                f" and {len(names) - MAX_NAMED_IN_MESSAGE} more" if len(names) > MAX_NAMED_IN_MESSAGE else ""
            )
            parts.append(f"{len(names)} {label}: {shown}{more}")
    return "; ".join(parts)
