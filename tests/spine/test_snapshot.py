"""Snapshot loading, validation, hashing and atomic writing."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.snapshot import load_snapshot, write_snapshot
from auditor.snapshot import write as write_module

from .conftest import snapshot_doc


def test_roundtrip_json_and_gzip(tmp_path: Path) -> None:
    doc = snapshot_doc({"users": [{"id": "1", "signInActivity": None}], "authorizationPolicy": {"id": "a"}})
    for name in ("s.json", "s.json.gz"):
        digest = write_snapshot(tmp_path / name, doc)  # hashed while written
        snap = load_snapshot(tmp_path / name)
        assert snap.data == doc["data"]
        assert snap.sha256 == digest == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert (tmp_path / "s.json.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (
        json.loads(gzip.decompress((tmp_path / "s.json.gz").read_bytes()))["data"]["users"][0][
            "signInActivity"
        ]
        is None
    )


def test_source_status_rules(tmp_path: Path) -> None:
    doc = snapshot_doc(
        {"users": []},
        sources={
            "roleEligibilitySchedules": {
                "status": "forbidden",
                "httpStatus": 403,
                "error": "needs RoleEligibilitySchedule.Read.Directory",
            },
            "domains": {"status": "ok"},
        },
    )
    write_snapshot(tmp_path / "s.json", doc)
    snap = load_snapshot(tmp_path / "s.json")
    assert snap.source_status("users").ok
    forbidden = snap.source_status("roleEligibilitySchedules")
    assert (
        not forbidden.ok
        and "403" in forbidden.describe()
        and "RoleEligibilitySchedule" in forbidden.describe()
    )
    assert snap.source_status("domains").status == "error"  # ok without data is not usable
    assert snap.source_status("groups").status == "not_collected"


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.update(schemaVersion=2), "schemaVersion"),
        (lambda d: d["sources"].update(users={"status": "maybe"}), "sources/users/status"),
        (lambda d: d["data"].update(authorizationPolicy=[]), "expected an object"),
        (lambda d: d.pop("collectedAt"), "collectedAt"),
    ],
)
def test_invalid_documents_name_the_problem(tmp_path: Path, mutate, needle: str) -> None:
    doc = snapshot_doc({"users": []})
    mutate(doc)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as info:
        load_snapshot(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_truncated_gzip_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "s.json.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}')[:12])
    with pytest.raises(InputError, match="gzip"):
        load_snapshot(path)


def test_failed_write_leaves_the_old_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "s.json"
    write_snapshot(path, snapshot_doc({"users": [{"id": "old"}]}))
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(write_module.os, "fsync", boom)
    with pytest.raises(OSError):
        write_snapshot(path, snapshot_doc({"users": [{"id": "new"}]}))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_invalid_document_is_not_written(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        write_snapshot(tmp_path / "s.json", {"schemaVersion": 1})
    assert not (tmp_path / "s.json").exists()
