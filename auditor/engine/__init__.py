"""Engine stage: evaluate compiled policies against a snapshot into results (statuses: docs/policy-authoring.md).

Never imports ``auditor.collect`` or ``auditor.report``.
"""

from auditor.engine.aggregate import aggregate
from auditor.engine.context import context_from_data, context_from_snapshot, parse_time
from auditor.engine.evaluate import evaluate_policy, policy_params
from auditor.engine.model import Context, Finding, PolicyResult, WaiverUse

__all__ = [
    "Context",
    "Finding",
    "PolicyResult",
    "WaiverUse",
    "aggregate",
    "context_from_data",
    "context_from_snapshot",
    "evaluate_policy",
    "parse_time",
    "policy_params",
]
