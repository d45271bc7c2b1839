"""Hostile snapshots and JSON files (issue 9): each is exit 2 with one line naming the
file, in every command that reads a snapshot — audit, diff, import and verify."""

from __future__ import annotations

import gzip
import json
import resource
import time
import zlib
from pathlib import Path

import pytest

from auditor import limits
from auditor.errors import InputError
from auditor.snapshot.load import gunzip_bounded
from tests.hostile.conftest import MFA_POLICY, assert_input_error, ca_policy, run, snapshot_doc, write

GOOD = snapshot_doc({"conditionalAccessPolicies": [ca_policy("p1")]})
ANCHOR = '"displayName": "p1"'

#: (case id, JSON text spliced into a CA policy, words the error must contain)
PAYLOADS = [
    ("nested-100000-deep", "[" * 100_000 + "]" * 100_000, "nested deeper"),
    ("nested-101-deep-objects", '{"a":' * 101 + "1" + "}" * 101, "nested deeper"),
    ("integer-5000-digits", "1" * 5000, "digits"),
    ("negative-integer-41-digits", "-" + "9" * 41, "digits"),
    ("lone-high-surrogate", '"\\ud800"', "surrogate"),
    ("lone-low-surrogate", '"x\\udc00y"', "surrogate"),
    ("NaN", "NaN", "NaN"),
    ("Infinity", "Infinity", "Infinity"),
    ("minus-Infinity", "-Infinity", "Infinity"),
    ("float-overflowing-to-infinity", "1e400", "too large"),
    ("duplicate-key", '{"id": "a", "id": "b"}', "duplicate key"),
]


def hostile_text(payload: str) -> str:
    text = json.dumps(GOOD)
    assert ANCHOR in text
    return text.replace(ANCHOR, f'{ANCHOR}, "x": {payload}', 1)


@pytest.fixture
def good_path(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    return path


@pytest.fixture
def one_policy(tmp_path: Path) -> str:
    """A one-policy library: audits here test the readers, not the built-in library's speed."""
    return str(write(tmp_path / "policies" / "mfa.yaml", MFA_POLICY))


@pytest.mark.parametrize(("payload", "needle"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS])
@pytest.mark.parametrize("command", ["audit", "diff", "import", "verify"])
def test_hostile_snapshot_exits_2_naming_the_file(
    command: str,
    payload: str,
    needle: str,
    tmp_path: Path,
    good_path: Path,
    one_policy: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "hostile.json"
    bad.write_text(hostile_text(payload), encoding="utf-8")
    if command == "audit":
        argv = ["audit", str(bad), "--out", str(tmp_path / "r"), "--policies", one_policy]
    elif command == "diff":
        argv = ["diff", str(good_path), str(bad)]
    elif command == "import":
        ext = tmp_path / "cfg.json"
        ext.write_text('{"UnifiedAuditLogIngestionEnabled": true}', encoding="utf-8")
        argv = ["import", str(bad), f"exchangeAdminAuditLogConfig={ext}"]
    else:
        code, _, err = run(
            capsys, "audit", str(good_path), "--out", str(tmp_path / "r"), "-q", "--policies", one_policy
        )
        assert code in (0, 1, 3), err
        argv = ["verify", str(tmp_path / "r" / "results.json"), str(bad)]
    code, out, err = run(capsys, *argv)
    if command == "verify":  # verify reports each check on stdout, ✓ or ✗
        assert "Traceback" not in err
        err = out
    assert_input_error(code, err, "hostile.json", needle)
    if command != "verify":
        assert len([line for line in err.splitlines() if line.strip()]) == 1, err


@pytest.mark.parametrize(("payload", "needle"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS])
def test_hostile_import_file_exits_2(
    payload: str, needle: str, tmp_path: Path, good_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ext = tmp_path / "export.json"
    ext.write_text('{"UnifiedAuditLogIngestionEnabled": true, "x": ' + payload + "}", encoding="utf-8")
    code, _, err = run(capsys, "import", str(good_path), f"exchangeAdminAuditLogConfig={ext}")
    assert_input_error(code, err, "export.json", needle)


@pytest.mark.parametrize(("payload", "needle"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS])
def test_hostile_results_document_exits_2_in_verify_and_diff(
    payload: str,
    needle: str,
    tmp_path: Path,
    good_path: Path,
    one_policy: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(
        capsys, "audit", str(good_path), "--out", str(tmp_path / "r"), "-q", "--policies", one_policy
    )
    text = (tmp_path / "r" / "results.json").read_text("utf-8")
    bad = tmp_path / "results-hostile.json"
    bad.write_text(
        text.replace('"schemaVersion": 1', f'"schemaVersion": 1, "x": {payload}', 1), encoding="utf-8"
    )
    for argv in (
        ["verify", str(bad), str(good_path)],
        ["diff", str(tmp_path / "r" / "results.json"), str(bad)],
    ):
        code, out, err = run(capsys, *argv)
        assert "Traceback" not in err
        assert_input_error(code, out + err, "results-hostile.json", needle)


def _bomb(path: Path, inflated: int) -> None:
    """A gzip file of `inflated` zero bytes (about 1/1000 of that on disk), written in chunks."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    with open(path, "wb") as fh:
        for _ in range(inflated // len(chunk)):
            fh.write(comp.compress(chunk))
        fh.write(comp.flush())


def test_gzip_bomb_stops_at_the_decompressed_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "bomb.json.gz"
    _bomb(bomb, 64 << 20)  # 64 MiB inflated, 65 KB on disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    code, _, err = run(
        capsys, "audit", str(bomb), "--limit", "snapshot-bytes=8MiB", "--out", str(tmp_path / "r")
    )
    # (the snapshot is read before any policy, so the built-in library costs nothing here)
    assert time.monotonic() - started < 15  # stopped at 8 MiB, not inflated to 64 MiB first
    assert_input_error(code, err, "bomb.json.gz", "snapshot-bytes")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 100, f"peak memory grew by {grown_mib:.0f} MiB"


def test_gunzip_bounded_never_inflates_past_the_budget() -> None:
    raw = gzip.compress(b"\0" * (16 << 20))
    with pytest.raises(InputError, match="more than the limit of 1048576 bytes"):
        gunzip_bounded(raw, "x.gz", 1 << 20)
    assert gunzip_bounded(gzip.compress(b"abc") + gzip.compress(b"def"), "x.gz", 10) == b"abcdef"
    with pytest.raises(InputError, match="not a valid gzip"):
        gunzip_bounded(gzip.compress(b"abcdef" * 100)[:-30], "x.gz", 10_000)


def test_default_budget_rejects_an_uncompressed_file_over_the_limit(tmp_path: Path) -> None:
    from auditor.snapshot import load_snapshot

    path = tmp_path / "big.json"
    path.write_text(json.dumps(GOOD) + " " * 2048, encoding="utf-8")
    limits.configure(limits.Limits(snapshot_bytes=1024))
    try:
        with pytest.raises(InputError, match="snapshot-bytes"):
            load_snapshot(path)
    finally:
        limits.configure(limits.Limits())


def test_nesting_within_the_budget_still_loads(
    tmp_path: Path, one_policy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deepish.json"
    path.write_text(hostile_text('{"a":' * 90 + "1" + "}" * 90), encoding="utf-8")
    code, _, err = run(
        capsys, "audit", str(path), "--out", str(tmp_path / "r"), "-q", "--policies", one_policy
    )
    assert code in (0, 1, 3) and "error:" not in err, err


def test_paired_surrogates_escape_is_fine(
    tmp_path: Path, one_policy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "emoji.json"
    path.write_text(hostile_text('"\\ud83d\\ude00"'), encoding="utf-8")
    code, _, err = run(
        capsys, "audit", str(path), "--out", str(tmp_path / "r"), "-q", "--policies", one_policy
    )
    assert code in (0, 1, 3), err


def test_depth_budget_holds_when_other_threads_run() -> None:
    """With other threads alive the recursion limit is left alone and depth is checked after."""
    import threading

    from auditor import strictjson

    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    worker.start()
    try:
        for depth, ok in ((100, True), (101, False), (100_000, False)):
            text = "[" * depth + "]" * depth
            if ok:
                assert strictjson.loads(text, "t.json") is not None
            else:
                with pytest.raises(InputError, match="json-depth"):
                    strictjson.loads(text, "t.json")
        assert strictjson.loads("7", "t.json") == 7
    finally:
        stop.set()
        worker.join()
