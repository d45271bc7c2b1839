"""Evaluate compiled policies against a snapshot context (DESIGN 4.2).

Every failure mode of an expression becomes a result with status ``error`` and
the expression's file position: the engine never raises out of a policy, and
never turns missing data into a pass or a fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditor import cel
from auditor.baseline.model import Waiver
from auditor.engine.evidence import compact
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
from auditor.policy.model import Expr, Policy, Template

#: per-subject policies list passing subjects individually up to this many subjects
KEEP_PASSING_FINDINGS = 1000
DEFAULT_BUDGET_SECONDS = 60.0


class _Failed(Exception):
    """An expression failed; carries the finished error message for the result."""


def where(expr: Expr, exc: cel.CelEvalError) -> str:
    """``file:line:col (field): message``, with the position inside the expression mapped to the file."""
    line = expr.line + max(exc.line, 1) - 1
    column = expr.column + max(exc.column, 1) - 1 if exc.line <= 1 else exc.column
    return f"{expr.file}:{line}:{column} ({expr.field}): {exc.message}"


def _eval(expr: Expr, activation: Mapping[str, Any]) -> Any:
    try:
        return expr.program.evaluate(activation)
    except cel.CelEvalError as exc:
        raise _Failed(where(expr, exc)) from None


def _eval_bool(expr: Expr, activation: Mapping[str, Any]) -> bool:
    value = _eval(expr, activation)
    if not isinstance(value, bool):
        raise _Failed(f"{expr.where()}: expected a bool, got {cel.format_value(value)[:80]}")
    return value


def render(template: Template | None, activation: Mapping[str, Any], default: str) -> str:
    """Interpolate a message; a failing part is shown inline rather than losing the message."""
    if template is None:
        return default
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        try:
            out.append(cel.format_value(part.program.evaluate(activation)))
        except cel.CelEvalError as exc:
            out.append(f"<error: {exc.message}>")
    return "".join(out).strip()


def policy_params(policy: Policy, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's defaults with the overrides for the params it declares."""
    return {name: overrides.get(name, default) for name, default in policy.params.items()}


def _waiver_for(policy: Policy, waivers: Iterable[Waiver], ctx: Context) -> tuple[WaiverUse | None, list[Waiver]]:
    """The whole-policy waiver (valid first, else an expired one to report) and subject waivers."""
    whole: WaiverUse | None = None
    subject_waivers: list[Waiver] = []
    today = ctx.now.date()
    for waiver in waivers:
        if waiver.policy != policy.id:
            continue
        if waiver.subjects is not None:
            subject_waivers.append(waiver)
            continue
        expired = waiver.expired(today)
        if whole is None or (whole.expired and not expired):
            whole = WaiverUse(waiver, expired=expired, applied=False)
    return whole, subject_waivers


def evaluate_policy(policy: Policy, ctx: Context, overrides: Mapping[str, Any] | None = None, *,
                    waivers: Sequence[Waiver] = (), budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> PolicyResult:
    """Evaluate one policy; always returns a result, never raises for data or expression problems."""
    params = policy_params(policy, overrides or {})
    whole, subject_waivers = _waiver_for(policy, waivers, ctx)
    if policy.is_manual:
        return PolicyResult(policy, MANUAL, policy.manual or "", params=params)
    missing = [ctx.status_of(name) for name in policy.requires]
    missing = [s for s in missing if not s.ok]
    if missing:
        reasons = "; ".join(f"{s.name} ({s.describe()})" for s in missing)
        return PolicyResult(policy, ERROR, f"required data not collected: {reasons}", params=params,
                            evidence={"sources": {s.name: s.status for s in missing}})
    activation: dict[str, Any] = {name: ctx.data[name] for name in policy.requires}
    activation.update(params=params, tenant=dict(ctx.tenant), now=ctx.now)
    try:
        with cel.time_budget(budget_seconds):
            result = _evaluate(policy, activation, subject_waivers, ctx)
    except _Failed as exc:
        result = PolicyResult(policy, ERROR, str(exc))
    except cel.CelEvalError as exc:  # the time budget fires outside any one expression
        result = PolicyResult(policy, ERROR, f"{policy.path}: {exc.message}")
    result = _apply_whole_waiver(result, whole)
    return PolicyResult(result.policy, result.status, result.message, result.findings, result.evidence,
                        result.subject_counts, result.findings_omitted, result.waiver, params)


def _apply_whole_waiver(result: PolicyResult, whole: WaiverUse | None) -> PolicyResult:
    if whole is None:
        return result
    if whole.expired:
        use = whole
    elif result.status == FAIL:
        use = WaiverUse(whole.waiver, expired=False, applied=True)
    else:
        return result
    status = WAIVED if use.applied else result.status
    message = result.message
    if use.applied:
        message = f"waived until {whole.waiver.expires.isoformat()} ({whole.waiver.reason}): {message}"
    elif use.expired:
        message = f"{message} [waiver expired on {whole.waiver.expires.isoformat()}, not applied]"
    return PolicyResult(result.policy, status, message, result.findings, result.evidence, result.subject_counts,
                        result.findings_omitted, use)


def _evaluate(policy: Policy, activation: dict[str, Any], subject_waivers: list[Waiver], ctx: Context) -> PolicyResult:
    if policy.applies is not None and not _eval_bool(policy.applies, activation):
        return PolicyResult(policy, NOT_APPLICABLE, "not applicable to this tenant")
    evidence: dict[str, Any] = {}
    for name, expr in policy.variables:
        activation[name] = _eval(expr, activation)
        evidence[name] = compact(activation[name])
    if policy.for_each is None:
        assert policy.assert_ is not None
        if _eval_bool(policy.assert_, activation):
            return PolicyResult(policy, PASS, policy.title, evidence=evidence or None)
        message = render(policy.message, activation, f"requirement not met: {policy.title}")
        return PolicyResult(policy, FAIL, message, evidence=evidence or None)
    from auditor.engine.subjects import evaluate_subjects

    return evaluate_subjects(policy, activation, subject_waivers, ctx, evidence or None)
