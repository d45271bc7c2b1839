""" "Fix first": the ten failures to fix first, each with who is affected, the one-line fix
and a link into the admin portal where it is fixed.

Ranked by severity times subjects affected (a tenant-level failure counts as one subject, and
subjects count on a log scale): a critical gap that leaves two users without MFA comes
before a high one that leaves forty, and a high one affecting a million users rises above a
critical tenant setting. With ``audit --since``, new
failures come first. Every format (console, Markdown, HTML) shows the same list.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from auditor.report._common import (
    Doc,
    Result,
    failing_findings,
    failing_subject_count,
    is_new,
    one_line,
    one_line_fix,
)
from auditor.report.products import portal_link

#: how many failures "Fix first" shows
FIX_FIRST = 10
#: names shown per entry
NAMES_SHOWN = 3
#: weight of a severity in the ranking (one critical subject outweighs four high ones)
SEVERITY_WEIGHT = {"critical": 100.0, "high": 25.0, "medium": 5.0, "low": 1.0, "info": 0.2}


class FixItem(NamedTuple):
    result: Result
    #: failing subjects (1 for a tenant-level failure)
    affected: int
    #: the first failing subjects' names, in full
    names: list[str]
    fix: str
    portal: str
    url: str
    new: bool


def fix_text(result: Result) -> str:
    """The policy's one-line ``fix``; for a policy without one, the first sentence of its
    remediation, else its title."""
    return one_line(result.get("fix")) or one_line_fix(result, 0) or one_line(result["title"])


def affected(result: Result) -> int:
    """Subjects affected by a failure: its failing subjects, or 1 for a tenant-level failure."""
    return max(failing_subject_count(result), 1)


def score(result: Result) -> float:
    """Severity weight times subjects affected, the subjects on a log scale: ten times the users
    weighs one step more, so a critical gap for two users stays above a high one for forty,
    while a high one for a million users rises above a critical tenant setting."""
    return SEVERITY_WEIGHT.get(str(result["severity"]), 0.0) * (1 + math.log10(affected(result)))


def fix_first(doc: Doc, limit: int = FIX_FIRST) -> list[FixItem]:
    """The failures to fix first, best first (see the module docstring for the order)."""
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    fails.sort(key=lambda r: (not is_new(doc, str(r["policyId"])), -score(r), str(r["policyId"])))
    out = []
    for r in fails[:limit]:
        portal, url = portal_link(r)
        names = [str(f["subject"]) for f in failing_findings(r, NAMES_SHOWN)]
        out.append(FixItem(r, affected(r), names, fix_text(r), portal, url, is_new(doc, str(r["policyId"]))))
    return out


def who_text(item: FixItem) -> str:
    """``2 affected: a@x, b@x`` or ``tenant-wide setting`` — names in full, never cut."""
    if not item.names and item.affected <= 1:
        return "tenant-wide setting"
    more = item.affected - len(item.names)
    names = ", ".join(item.names) + (f" and {more} more" if more > 0 and item.names else "")
    return f"{item.affected} affected" + (f": {names}" if item.names else "")
