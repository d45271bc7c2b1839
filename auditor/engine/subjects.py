"""Per-subject policies: judge every element of ``forEach`` and report each one.

This is the hot path for tenants with a million users: the assertion runs
through ``Program.evaluate_each`` (compiled Python over the raw dicts), and the
costlier parts — naming the subject, interpolating the message, copying the
evidence — run only for subjects that are reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from auditor import cel
from auditor.baseline.model import Waiver
from auditor.engine.aggregate import aggregate
from auditor.engine.evidence import compact
from auditor.engine.expressions import Failed, display, not_bool, render, where
from auditor.engine.expressions import evaluate as evaluate_expr
from auditor.engine.model import ERROR, FAIL, PASS, WAIVED, Context, Finding, PolicyResult, WaiverUse
from auditor.engine.waivers import annotate, choose
from auditor.vocab import Status

#: per-subject policies list passing subjects individually up to this many subjects
KEEP_PASSING_FINDINGS = 1000

MAX_NAMED_IN_MESSAGE = 5


def _status(value: Any) -> Status:
    if value is True:
        return PASS
    if value is False:
        return FAIL
    return ERROR


def _subject_name(policy: Any, activation: dict[str, Any], item: Any, index: int) -> str:
    if policy.subject is None:
        return display(item) if isinstance(item, str | int | float) else f"#{index}"
    activation[policy.as_name] = item
    try:
        value = policy.subject.program.evaluate(activation)
    except cel.CelEvalError:
        return f"#{index}"
    return display(value)


def _finding_message(policy: Any, activation: dict[str, Any], item: Any, status: str, value: Any) -> str:
    if status == PASS:
        return "pass"
    if status == ERROR:
        assert policy.assert_ is not None
        if isinstance(value, cel.CelEvalError):
            return where(policy.assert_, value)
        return not_bool(policy.assert_, value)
    activation[policy.as_name] = item
    return render(policy.message, activation, f"does not meet: {policy.title}")


def _subject_waiver(subject: str, waivers: list[Waiver], ctx: Context) -> WaiverUse | None:
    use = choose((w for w in waivers if w.subjects is not None and subject in w.subjects), ctx.now.date())
    return replace(use, applied=not use.expired) if use is not None else None


def evaluate_subjects(
    policy: Any, activation: dict[str, Any], waivers: list[Waiver], ctx: Context, evidence: Any
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
    keep_passing = len(items) <= KEEP_PASSING_FINDINGS
    reported = range(len(items)) if keep_passing else [i for i, v in enumerate(values) if v is not True]
    findings: list[Finding] = []
    counts: Counter[str] = Counter()
    omitted = len(items) - len(reported)
    if omitted:
        counts[PASS] = omitted
    for index in reported:
        item, value = items[index], values[index]
        status = _status(value)
        subject = _subject_name(policy, activation, item, index)
        use = _subject_waiver(subject, waivers, ctx) if status == FAIL and waivers else None
        message = _finding_message(policy, activation, item, status, value)
        if use is not None:
            status = WAIVED if use.applied else status
            message = annotate(message, use)
        counts[status] += 1
        findings.append(Finding(subject, status, message, compact(item), use))
    unknown = _unknown_waived_subjects(policy, activation, items, reported, findings, waivers)
    activation.pop(policy.as_name, None)
    findings.sort(key=lambda f: (f.subject, f.status, f.message))
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
            f"a waiver for {policy.id} names subject {name!r}, which is not among its {len(items)} subjects"
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
) -> list[str]:
    """Subjects that a subject waiver lists but the policy never saw (a typo waives nothing)."""
    listed = {name for w in waivers for name in (w.subjects or ())}
    if not listed:
        return []
    seen = {f.subject for f in findings}
    if listed - seen and len(reported) < len(items):
        # passing subjects are counted, not named: name them now, only because a waiver asks
        shown = set(reported)
        seen.update(
            _subject_name(policy, activation, items[i], i) for i in range(len(items)) if i not in shown
        )
    return sorted(listed - seen)


def _summary(policy: Any, status: str, counts: Counter[str], findings: list[Finding]) -> str:
    n = sum(counts.values())
    if n == 0:
        return "no subjects to evaluate (zero subjects pass)"
    passing = counts.get(PASS, 0)
    share = f"{passing * 100 / n:.1f}%"
    bar = f" (required {policy.pass_ratio * 100:g}%)" if policy.pass_ratio < 1 else ""
    parts = [f"{passing} of {n} subjects pass ({share}){bar}"]
    for label in (FAIL, ERROR, WAIVED):
        names = [f.subject for f in findings if f.status == label]
        if names:
            shown = ", ".join(names[:MAX_NAMED_IN_MESSAGE])
            more = (
                f" and {len(names) - MAX_NAMED_IN_MESSAGE} more" if len(names) > MAX_NAMED_IN_MESSAGE else ""
            )
            parts.append(f"{len(names)} {label}: {shown}{more}")
    return "; ".join(parts)
