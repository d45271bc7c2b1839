"""Baselines and waivers: which policies run, with which params, and accepted exceptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Waiver:
    """An accepted, owned and dated exception to one policy (optionally to some subjects)."""

    policy: str
    reason: str
    owner: str
    expires: dt.date
    subjects: tuple[str, ...] | None = None
    source: str = ""

    def expired(self, on: dt.date) -> bool:
        """A waiver is valid through its expiry day, judged at the snapshot's collection date."""
        return on > self.expires

    def to_json(self, *, expired: bool, applied: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "subjects": list(self.subjects) if self.subjects is not None else None,
            "expired": expired,
            "applied": applied,
        }
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Baseline:
    """A named selection of policies with params, a gate severity and waivers."""

    name: str | None
    title: str = ""
    description: str = ""
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    fail_on: str | None = None
    waivers: tuple[Waiver, ...] = ()
    path: str | None = None
    sha256: str | None = None

    def selects(self, policy_id: str) -> bool:
        """Glob selection over policy IDs: included by some pattern and excluded by none."""
        return any(fnmatchcase(policy_id, p) for p in self.include) and not any(
            fnmatchcase(policy_id, p) for p in self.exclude
        )


#: the baseline used when none is given: every policy, defaults only
NO_BASELINE = Baseline(name=None)
