"""Framework coverage of a results document, by the one definition the CLI uses.

``auditor policies list`` computes coverage from the policies; the reports have only the results
document, whose entries carry the same two facts (the ``frameworks`` map and whether the policy is
manual). Both go through :func:`auditor.policy.frameworks.coverage`, so the same policies give the
same numbers in every output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor.policy.frameworks import Coverage, coverage, load_frameworks
from auditor.report._common import Doc, Result


@dataclass(frozen=True)
class _Mapped:
    frameworks: Mapping[str, tuple[str, ...]]
    is_manual: bool


def _mapped(result: Result) -> _Mapped:
    fws = result["frameworks"] or {}
    manual = result.get("manual") is not None or result["status"] == "manual"
    return _Mapped({k: tuple(str(c) for c in v) for k, v in fws.items()}, manual)


def framework_coverage(doc: Doc) -> dict[str, Coverage]:
    """Coverage per framework the run's policies map and the library ships a catalogue for."""
    keys = {k for r in doc["results"] for k in (r["frameworks"] or {})}
    catalogue = {k: f for k, f in load_frameworks().items() if k in keys}
    return {c.framework.key: c for c in coverage(map(_mapped, doc["results"]), catalogue)}
