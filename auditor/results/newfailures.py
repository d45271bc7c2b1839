"""What a "new failure" is: the one definition ``diff --fail-on-new``, ``audit --since`` and
every report share, so that two regression gates can never disagree about the same pair of
documents.

A *failure* is a policy whose status is ``fail`` (a waived policy is not failing; an
``error`` is not a failure but missing data, which the gate treats as incomplete). Against an
earlier results document, a failure is *new* when:

- the policy did not fail before: it passed, erred, was waived, manual or not applicable, or
  it was not in the earlier document at all. ``error`` -> ``fail`` is new: the earlier run never
  established the failure, so it cannot be debt that predates the change. Policies are matched
  by ``policyId`` only: a renamed policy ID is a new policy (and the old ID a removed one),
  so its failures are new; a changed title or severity under the same ID is the same policy;
- or the policy failed before too, and some of its subjects fail now that did not fail then:
  subjects that are new to the tenant count, as do subjects that passed, erred or were
  waived before. Only the subjects are new then, not the policy.

Two documents are comparable only when they describe the same tenant (``snapshot.tenant.id``):
a results file of another tenant (a matrix job whose artifact names collide) would otherwise
gate silently against someone else's debt. :func:`check_same_tenant` refuses that unless the
user says ``--allow-other-tenant``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.errors import InputError
from auditor.results.types import NewFailure


def failing_subjects(result: Mapping[str, Any]) -> set[str]:
    """The subjects of one policy result whose own status is ``fail``."""
    return {str(f.get("subject")) for f in result.get("findings") or [] if f.get("status") == "fail"}


def new_failure(now: Mapping[str, Any], before: Mapping[str, Any] | None) -> NewFailure | None:
    """What is new about one policy's result against its earlier result (``None``: absent
    before), or ``None`` when nothing is: see the module documentation for the rules."""
    if now.get("status") != "fail":
        return None
    subjects = failing_subjects(now)
    if before is None or before.get("status") != "fail":
        return {"policy": True, "subjects": sorted(subjects)}
    fresh = sorted(subjects - failing_subjects(before))
    return {"policy": False, "subjects": fresh} if fresh else None


def new_failures(doc: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, NewFailure]:
    """``{policyId: {"policy": bool, "subjects": [...]}}`` for every policy of ``doc`` with
    a new failure against ``old``, in ``doc``'s order."""
    before = {str(r.get("policyId")): r for r in old.get("results") or []}
    out: dict[str, NewFailure] = {}
    for r in doc.get("results") or []:
        entry = new_failure(r, before.get(str(r.get("policyId"))))
        if entry is not None:
            out[str(r["policyId"])] = entry
    return out


def tenant_id(doc: Mapping[str, Any]) -> str | None:
    """The tenant a results document describes (``snapshot.tenant.id``), if recorded."""
    tenant = (doc.get("snapshot") or {}).get("tenant") or {}
    value = tenant.get("id") if isinstance(tenant, Mapping) else None
    return str(value) if value else None


def check_same_tenant(
    old: Mapping[str, Any], new: Mapping[str, Any], old_source: str, new_source: str, *, allow: bool
) -> None:
    """``InputError`` (exit 2) when the two documents name different tenants, unless ``allow``.

    A document that records no tenant ID cannot be told apart and is refused as well: a gate
    must not pass because the evidence that it compares like with like is missing.
    """
    if allow:
        return
    a, b = tenant_id(old), tenant_id(new)
    if a is not None and a == b:
        return
    raise InputError(
        f"{old_source} is of tenant {a or '(none recorded)'} but {new_source} is of tenant "
        f"{b or '(none recorded)'}: new failures are only meaningful against the same tenant's "
        "earlier results (pass --allow-other-tenant to compare anyway)"
    )
