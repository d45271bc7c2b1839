"""Evaluate compiled policies against a snapshot context (statuses: docs/policy-authoring.md).

Every failure mode of an expression becomes a result with status ``error`` and
the expression's file position: the engine never raises out of a policy, and
never turns missing data into a pass or a fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditor import cel, coverage
from auditor.baseline.model import Waiver
from auditor.engine.evidence import compact
from auditor.engine.expressions import Failed, evaluate_bool, render
from auditor.engine.expressions import evaluate as evaluate_expr
from auditor.engine.model import (
    ERROR,
    FAIL,
    MANUAL,
    NOT_APPLICABLE,
    PASS,
    WAIVED,
    Context,
    PolicyResult,
    WaiverUse,
)
from auditor.engine.subjects import evaluate_subjects
from auditor.engine.userfindings import user_findings
from auditor.engine.waivers import annotate, choose
from auditor.limits import is_time_budget
from auditor.policy.model import Policy

DEFAULT_BUDGET_SECONDS = 60.0


def policy_params(policy: Policy, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's defaults with the overrides for the params it declares."""
    return {name: overrides.get(name, default) for name, default in policy.params.items()}


def _split_waivers(
    policy: Policy, waivers: Iterable[Waiver], ctx: Context
) -> tuple[WaiverUse | None, list[Waiver]]:
    """The whole-policy waiver (valid first, else an expired one to report) and the subject waivers."""
    mine = [w for w in waivers if w.policy == policy.id]
    return choose((w for w in mine if w.subjects is None), ctx.now.date()), [w for w in mine if w.subjects]


def evaluate_policy(
    policy: Policy,
    ctx: Context,
    overrides: Mapping[str, Any] | None = None,
    *,
    waivers: Sequence[Waiver] = (),
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    element_budget: int | None = None,
    evidence: str = "needed",
) -> PolicyResult:
    """Evaluate one policy; always returns a result, never raises for data or expression problems.

    ``evidence``: ``needed`` keeps, for failing and erroring subjects, the fields the policy
    reads; ``all`` keeps every subject with all of its fields.
    """
    if not is_time_budget(budget_seconds):
        raise ValueError(f"budget_seconds must be positive and finite, got {budget_seconds!r}")
    params = policy_params(policy, overrides or {})
    whole, subject_waivers = _split_waivers(policy, waivers, ctx)
    if policy.is_manual:
        return PolicyResult(policy, MANUAL, policy.manual or "", params=params)
    missing = [ctx.status_of(name) for name in policy.requires]
    missing = [s for s in missing if not s.ok]
    if missing:
        reasons = "; ".join(f"{s.name} ({s.describe()})" for s in missing)
        return PolicyResult(
            policy,
            ERROR,
            f"required data not collected: {reasons}",
            params=params,
            evidence={"sources": {s.name: s.status for s in missing}},
        )
    activation: dict[str, Any] = {name: ctx.data[name] for name in policy.requires}
    activation.update(params=params, tenant=dict(ctx.tenant), now=ctx.now)
    try:
        with (
            ctx.runtime.active(),
            cel.time_budget(budget_seconds),
            ctx.runtime.size_budget(element_budget or ctx.limits.eval_elements),
            coverage.bound(ctx.data, ctx.status_of),
        ):
            result = _evaluate(policy, activation, subject_waivers, ctx, evidence)
    except Failed as exc:
        result = PolicyResult(policy, ERROR, str(exc))
    except cel.CelEvalError as exc:  # the time budget fires outside any one expression
        result = PolicyResult(policy, ERROR, f"{policy.path}: {exc.message}")
    return replace(_apply_whole_waiver(result, whole), params=params)


def _apply_whole_waiver(result: PolicyResult, whole: WaiverUse | None) -> PolicyResult:
    if whole is None or (not whole.expired and result.status != FAIL):
        return result
    use = whole if whole.expired else replace(whole, applied=True)
    return replace(
        result,
        status=WAIVED if use.applied else result.status,
        message=annotate(result.message, use),
        waiver=use,
    )


def _evaluate(
    policy: Policy,
    activation: dict[str, Any],
    subject_waivers: list[Waiver],
    ctx: Context,
    evidence_mode: str,
) -> PolicyResult:
    if policy.applies is not None and not evaluate_bool(policy.applies, activation):
        return PolicyResult(policy, NOT_APPLICABLE, "not applicable to this tenant")
    evidence: dict[str, Any] = {}
    for name, expr in policy.variables:
        activation[name] = evaluate_expr(expr, activation)
        evidence[name] = compact(activation[name])
    if policy.for_each is None:
        assert policy.assert_ is not None
        if evaluate_bool(policy.assert_, activation):
            return PolicyResult(policy, PASS, policy.title, evidence=evidence or None)
        message = render(
            policy.message, activation, f"requirement not met: {policy.title}", ctx.limits.message_bytes
        )
        per_user = user_findings(policy, activation)
        if per_user is None:
            return PolicyResult(policy, FAIL, message, evidence=evidence or None)
        findings, counts = per_user
        return PolicyResult(
            policy,
            FAIL,
            message,
            findings,
            evidence or None,
            counts,
            counts.get(PASS, 0),
        )
    return evaluate_subjects(policy, activation, subject_waivers, ctx, evidence or None, evidence_mode)
