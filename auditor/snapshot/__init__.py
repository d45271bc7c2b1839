"""Snapshot stage: load, validate, hash and write tenant snapshots (format: docs/formats.md)."""

from auditor.snapshot.collections import COLLECTIONS, SOURCE_STATUSES
from auditor.snapshot.load import load_snapshot, load_snapshot_bytes, snapshot_schema, validate_document
from auditor.snapshot.model import Snapshot, SourceStatus
from auditor.snapshot.write import write_atomic, write_snapshot

__all__ = [
    "COLLECTIONS",
    "SOURCE_STATUSES",
    "Snapshot",
    "SourceStatus",
    "load_snapshot",
    "load_snapshot_bytes",
    "snapshot_schema",
    "validate_document",
    "write_atomic",
    "write_snapshot",
]
