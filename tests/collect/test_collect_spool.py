"""Collections spooled to disk as they arrive: the snapshot's bytes, memory, and cleanup.

Through the real msgraph-sdk / azure-identity paths against tests/graphserver: users come in
two pages of 999 here, so a spool file is appended to more than once.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import auditor.collect.runner as runner
from auditor.collect.catalog import USER_SELECT
from auditor.snapshot import load_snapshot
from auditor.snapshot.encoding import iter_document
from tests.collect.conftest import SECRET_TOKEN, fast_policy, run_collect
from tests.graphserver import Fault, GraphServer

NAMES = ["users", "userRegistrationDetails", "domains", "organization", "authorizationPolicy"]


@pytest.fixture
def big() -> Iterator[GraphServer]:
    with GraphServer(users=1500, token=SECRET_TOKEN) as srv:
        yield srv


def _leftovers(folder: Path, out: Path) -> list[str]:
    """Everything in ``folder`` but the snapshot itself: spool folders, partial files."""
    return sorted(p.name for p in folder.iterdir() if p != out)


@pytest.mark.parametrize("name", ["s.json", "s.json.gz"])
def test_a_collected_snapshot_is_in_the_one_canonical_encoding(
    big: GraphServer, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    doc = run_collect(big, NAMES, out=out)
    raw = out.read_bytes()
    text = gzip.decompress(raw) if name.endswith(".gz") else raw
    # byte for byte what the snapshot writer produces for the same document
    assert text == b"".join(iter_document(json.loads(text)))
    snap = load_snapshot(out)
    fields = USER_SELECT.split(",")
    assert snap.data["users"] == [{k: u[k] for k in fields} for u in big.tenant["users"]]
    assert snap.data["userRegistrationDetails"] == big.tenant["userRegistrationDetails"]
    assert snap.sources["users"]["count"] == 1500 and snap.sources["users"]["pages"] == 2
    # the spooled lists are in the file only; the returned document says so by their counts
    assert "users" not in doc["data"] and doc["sources"]["users"]["count"] == 1500
    assert doc["data"]["organization"] == big.tenant["organization"]  # read by the run: in memory
    assert _leftovers(tmp_path, out) == []


def test_without_an_output_file_every_collection_is_returned(big: GraphServer) -> None:
    doc = run_collect(big, ["users", "domains"])
    assert len(doc["data"]["users"]) == 1500
    assert doc["data"]["domains"] == big.tenant["domains"]


def test_a_collection_failing_on_its_second_page_leaves_no_spool_and_no_data(
    big: GraphServer, tmp_path: Path
) -> None:
    big.add_fault("users", Fault("status", status=500, after=1, times=None))
    out = tmp_path / "s.json"
    doc = run_collect(big, ["users", "domains"], out=out, retry=fast_policy(max_retries=0))
    entry = doc["sources"]["users"]
    assert entry["status"] == "error" and entry["pages"] == 1
    snap = load_snapshot(out)
    assert "users" not in snap.data and snap.data["domains"] == big.tenant["domains"]
    assert _leftovers(tmp_path, out) == []


def test_ctrl_c_while_writing_leaves_neither_snapshot_nor_spool(
    big: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "s.json"
    out.write_text("old snapshot")
    seen: list[Any] = []

    def interrupted(path: Any, doc: dict[str, Any], mode: int = 0o600) -> None:
        seen.append(doc["data"]["users"])
        raise KeyboardInterrupt

    monkeypatch.setattr("auditor.snapshot.write.write_collected_snapshot", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_collect(big, ["users", "domains"], out=out)
    assert seen and seen[0].count == 1500 and not seen[0].path.exists()
    assert out.read_text() == "old snapshot"
    assert _leftovers(tmp_path, out) == []


def test_collections_the_run_reads_are_never_spooled() -> None:
    # organization names the tenant, the others are read by later collections
    assert {"organization", "domains", "exchangeAcceptedDomains", "entraDiagnosticSettings"} <= set(
        runner.PREREQUISITES
    )
    assert "users" not in runner.PREREQUISITES


@pytest.mark.parametrize("failure", ["missing", "refused", "partial"])
def test_spool_files_are_copied_whole_where_the_kernel_cannot_copy(
    big: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    reference = tmp_path / "ref" / "s.json"
    run_collect(big, NAMES, out=reference)
    import os

    real = getattr(os, "copy_file_range", None)

    def refused(*args: Any) -> int:
        raise OSError(18, "Invalid cross-device link")

    def partial(src: int, dst: int, count: int, offset_src: int, offset_dst: int) -> int:
        if offset_src > 0:  # the first call copies a little, then the system refuses
            raise OSError(38, "Function not implemented")
        assert real is not None
        return real(src, dst, min(count, 1000), offset_src, offset_dst)

    if failure == "missing":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    else:
        monkeypatch.setattr(
            os, "copy_file_range", refused if failure == "refused" else partial, raising=False
        )
    out = tmp_path / "s.json"
    run_collect(big, NAMES, out=out)
    assert _same_but_times(out.read_bytes(), reference.read_bytes())
    assert len(json.loads(out.read_bytes())["data"]["users"]) == 1500


def _same_but_times(a: bytes, b: bytes) -> bool:
    """Equal documents once the run's timestamps are set aside."""
    da, db = json.loads(a), json.loads(b)
    for d in (da, db):
        d.pop("collectedAt")
        for entry in d["sources"].values():
            entry.pop("retrievedAt")
    return bool(da == db) and a == b"".join(iter_document(json.loads(a)))
