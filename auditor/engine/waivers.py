"""Which waiver covers a policy or a subject, and how its use shows in a message.

One rule for whole-policy and per-subject waivers alike: a valid waiver wins
over an expired one, and an expired one is kept only so the report can say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from auditor.baseline.model import Waiver
from auditor.engine.model import WaiverUse


def choose(candidates: Iterable[Waiver], today: dt.date) -> WaiverUse | None:
    """The first valid candidate, else the first expired one (``applied`` is left False)."""
    found: WaiverUse | None = None
    for waiver in candidates:
        expired = waiver.expired(today)
        if found is None or (found.expired and not expired):
            found = WaiverUse(waiver, expired=expired, applied=False)
    return found


def annotate(message: str, use: WaiverUse) -> str:
    """Prefix an applied waiver, or flag an expired one that was not applied."""
    if use.applied:
        return f"waived until {use.waiver.expires.isoformat()} ({use.waiver.reason}): {message}"
    if use.expired:
        return f"{message} [waiver expired on {use.waiver.expires.isoformat()}, not applied]"
    return message
