"""The conditional access model: who is covered by which policy, written once in Python.

Sits between the snapshot and the policies: the policy compiler takes its CEL functions
(:data:`FUNCTIONS`), the engine binds each evaluation's snapshot (:func:`bound`), and the
``whatif`` command asks it about one user. It imports only the snapshot's vocabulary.
"""

from auditor.coverage.functions import (
    FUNCTIONS,
    READS,
    CoverageError,
    bound,
    recording,
    requirement_from,
    tenant_for,
)

__all__ = ["FUNCTIONS", "READS", "CoverageError", "bound", "recording", "requirement_from", "tenant_for"]
