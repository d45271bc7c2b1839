"""Build evaluation contexts from a snapshot, or from a policy test case's data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from auditor.engine.model import Context
from auditor.errors import InputError
from auditor.limits import Limits
from auditor.limits import current as current_limits
from auditor.snapshot.model import Snapshot, SourceStatus

_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def parse_time(text: str, source: str = "collectedAt") -> dt.datetime:
    """RFC 3339 to an aware UTC datetime; Graph's 7-digit fractions are cut to microseconds."""
    try:
        value = dt.datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an RFC 3339 timestamp: {text!r}", source=source) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def context_from_snapshot(snapshot: Snapshot, *, limits: Limits | None = None) -> Context:
    """The evaluation context of one audit of ``snapshot`` (close it afterwards).

    ``limits``: the budgets (default: those in force now)."""
    return Context(
        data=snapshot.data,
        status_of=snapshot.source_status,
        tenant=snapshot.tenant,
        now=parse_time(snapshot.collected_at, f"{snapshot.source}: collectedAt"),
        limits=limits or current_limits(),
    )


def context_from_data(
    data: Mapping[str, Any],
    *,
    now: dt.datetime,
    sources: Mapping[str, Any] | None = None,
    tenant: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
) -> Context:
    """A context for test cases: data as given, statuses from ``sources`` else ok when present
    (close it afterwards)."""
    sources = dict(sources or {})

    def status_of(name: str) -> SourceStatus:
        entry = sources.get(name)
        if entry is not None:
            status = SourceStatus(name, str(entry.get("status", "error")), dict(entry))
            if status.ok and name not in data:
                return SourceStatus(name, "error", {"error": "marked ok but no data"})
            return status
        if name in data:
            return SourceStatus(name, "ok")
        return SourceStatus(name, "not_collected", {"error": "not in the test case's data"})

    return Context(
        data=data,
        status_of=status_of,
        tenant=tenant or {"id": "00000000-0000-0000-0000-000000000000"},
        now=now,
        limits=limits or current_limits(),
    )
