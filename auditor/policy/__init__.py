"""Policy stage: load, validate and compile YAML policies (docs/policy-authoring.md)."""

from auditor.policy.load import discover, load_library, load_policies, load_policy_file, schema_errors
from auditor.policy.model import Expr, Policy, Template

__all__ = [
    "Expr",
    "Policy",
    "Template",
    "discover",
    "load_library",
    "load_policies",
    "load_policy_file",
    "schema_errors",
]
