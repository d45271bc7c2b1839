"""The loaded snapshot, handed from the snapshot stage to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceStatus:
    """Whether one collection was collected, and if not, why (the ``sources`` entry)."""

    name: str
    status: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        """A one-line reason for a collection that cannot be used, for error results."""
        parts = [self.status]
        if "httpStatus" in self.detail:
            parts.append(f"HTTP {self.detail['httpStatus']}")
        if self.detail.get("error"):
            parts.append(str(self.detail["error"]))
        return ": ".join(parts)


@dataclass(frozen=True)
class Snapshot:
    """A validated snapshot document and the hash of the file it came from.

    ``document`` is the whole parsed JSON; ``data`` maps collection names to the
    API's own JSON. The sha256 is of the file's bytes as stored, so that an auditor
    can check it with ``sha256sum``.
    """

    source: str
    sha256: str
    document: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        return self.document["data"]  # type: ignore[no-any-return]

    @property
    def tenant(self) -> dict[str, Any]:
        return self.document["tenant"]  # type: ignore[no-any-return]

    @property
    def collected_at(self) -> str:
        return self.document["collectedAt"]  # type: ignore[no-any-return]

    @property
    def sources(self) -> dict[str, Any]:
        return self.document.get("sources", {})  # type: ignore[no-any-return]

    def source_status(self, name: str) -> SourceStatus:
        """The status of collection ``name``; data without a sources entry counts as ok,
        and a collection absent from both maps is reported as ``not_collected``."""
        entry = self.sources.get(name)
        if entry is None:
            if name in self.data:
                return SourceStatus(name, "ok")
            return SourceStatus(name, "not_collected", {"error": "not in the snapshot"})
        status = SourceStatus(name, entry.get("status", "error"), dict(entry))
        if status.ok and name not in self.data:
            return SourceStatus(name, "error", {"error": "marked ok but no data in the snapshot"})
        return status
