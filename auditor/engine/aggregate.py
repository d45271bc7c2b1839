"""Status rules (docs/policy-authoring.md, Statuses): how subject findings and waivers decide a policy's status."""

from __future__ import annotations

from collections.abc import Mapping

from auditor.engine.model import ERROR, FAIL, PASS, WAIVED
from auditor.vocab import Status


def aggregate(counts: Mapping[str, int], pass_ratio: float) -> Status:
    """The status of a per-subject policy from its subjects' statuses.

    With N subjects, P passing, F failing (unwaived) and W waived, and ratio r:
    pass when P >= r*N (so zero subjects pass); fail when the failures alone break
    the bar, N - F < r*N; waived when the bar is met once waived subjects count
    as passing; otherwise error (errors could go either way, and missing data
    never passes).
    """
    n = sum(counts.values())
    p = counts.get(PASS, 0)
    f = counts.get(FAIL, 0)
    w = counts.get(WAIVED, 0)
    bar = pass_ratio * n
    # Compare in integers where possible to avoid float rounding at the boundary (0.99 * 100).
    if p >= bar - 1e-9:
        return PASS
    if n - f < bar - 1e-9:
        return FAIL
    if w and p + w >= bar - 1e-9:
        return WAIVED
    return ERROR
