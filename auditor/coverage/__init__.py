"""The conditional access model: who is covered by which policy, written once in Python.

Sits between the snapshot and the policies: the policy compiler registers its CEL functions
into its function table (:func:`register`), the engine binds each evaluation's snapshot (:func:`bound`), and the
``whatif`` command asks it about one user. It imports only the snapshot's vocabulary.
"""

from auditor.coverage.functions import (
    FUNCTIONS,
    READS,
    CoverageError,
    bound,
    recording,
    register,
    requirement_from,
    tenant_for,
)

__all__ = [
    "FUNCTIONS",
    "READS",
    "CoverageError",
    "bound",
    "recording",
    "register",
    "requirement_from",
    "tenant_for",
]
