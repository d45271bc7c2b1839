"""The fast path of snapshot loading: text in the collector's own compact encoding is parsed
by msgspec and accepted only when it re-encodes to exactly the same bytes. Every hostile
payload must still be refused, with the strict parser's message, when it arrives in that
compact form (a fast parser keeps the last of two equal keys silently)."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import limits, strictjson
from auditor.errors import InputError
from auditor.snapshot import load_snapshot, write_snapshot
from auditor.snapshot.encoding import encode_value, is_canonical
from auditor.snapshot.load import parse_bytes
from tests.hostile.conftest import ca_policy, snapshot_doc
from tests.hostile.test_hostile_snapshots import PAYLOADS

GOOD = snapshot_doc({"conditionalAccessPolicies": [ca_policy("p1")]})


def compact_with(payload: str) -> bytes:
    """The canonical text of GOOD with ``"x": payload`` spliced into the CA policy, compact."""
    text = encode_value(GOOD)
    anchor = b'"displayName":"p1"'
    assert anchor in text
    return text.replace(anchor, anchor + b',"x":' + payload.encode(), 1)


@pytest.fixture
def strict_path_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    calls: list[str] = []
    real = strictjson.loads

    def spy(text: str, source: str) -> Any:
        calls.append(source)
        return real(text, source)

    monkeypatch.setattr(strictjson, "loads", spy)
    yield calls


@pytest.mark.parametrize(
    ("payload", "needle"), [(p, n) for _, p, n in PAYLOADS], ids=[i for i, _, _ in PAYLOADS]
)
def test_compact_hostile_payloads_are_refused_with_the_strict_message(payload: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as info:
        parse_bytes(compact_with(payload), "bad.json")
    assert info.value.source == "bad.json"


def test_compact_duplicate_key_in_a_large_collection_is_refused() -> None:
    users = [{"id": f"u{i}", "accountEnabled": True} for i in range(5000)]
    doc = snapshot_doc({"users": users})
    text = encode_value(doc).replace(b'{"id":"u4321",', b'{"id":"u4321","accountEnabled":false,', 1)
    with pytest.raises(InputError, match="duplicate key"):
        parse_bytes(text, "dup.json")


def test_a_written_snapshot_takes_the_fast_path_and_loads_exactly(
    tmp_path: Path, strict_path_spy: list[str]
) -> None:
    users = [{"id": f"u{i}", "displayName": f"Ünïcode \u2028 {i}", "n": i * 1.5} for i in range(3000)]
    doc = snapshot_doc({"users": users, "conditionalAccessPolicies": [ca_policy("p1")]})
    path = tmp_path / "snap.json"
    write_snapshot(path, doc)
    loaded = load_snapshot(path)
    assert strict_path_spy == []  # the strict parser never ran
    assert loaded.document == json.loads(path.read_bytes())
    assert is_canonical(path.read_bytes(), loaded.document)


def test_other_encodings_take_the_strict_path_and_load_the_same(
    tmp_path: Path, strict_path_spy: list[str]
) -> None:
    doc = snapshot_doc({"conditionalAccessPolicies": [ca_policy("p1")]})
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + encode_value(doc))
    assert load_snapshot(pretty).document == doc
    assert load_snapshot(bom).document == doc
    assert strict_path_spy == [str(pretty), str(bom)]


@pytest.mark.parametrize("with_thread", [False, True], ids=["alone", "other-thread-running"])
def test_depth_budget_on_the_fast_path(with_thread: bool) -> None:
    """100 levels load and 101 do not, whether the recursion limit can bound the parser
    (alone) or depth is checked after the parse (another thread runs Python code)."""
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    if with_thread:
        worker.start()
    try:
        for depth, ok in ((100, True), (101, False), (100_000, False)):
            text = b"[" * depth + b"]" * depth
            if ok:
                assert strictjson.loads_canonical(text, "t.json", is_canonical) is not None
            else:
                with pytest.raises(InputError, match="json-depth"):
                    strictjson.loads_canonical(text, "t.json", is_canonical)
    finally:
        stop.set()
        if with_thread:
            worker.join()


@pytest.mark.parametrize("budget", [5, 40, 60])
def test_integer_budget_holds_on_the_fast_path(budget: int, strict_path_spy: list[str]) -> None:
    """The fast parser reads integers of any length: --limit int-digits must still hold, and a
    long run of digits inside a string must not be refused for it."""
    previous = limits.current()
    limits.configure(dataclasses.replace(previous, int_digits=budget))
    try:
        at_limit = encode_value(snapshot_doc({"users": [{"id": "u", "n": int("9" * budget)}]}))
        assert parse_bytes(at_limit, "ok.json")["data"]["users"][0]["n"] == int("9" * budget)
        over = encode_value(snapshot_doc({"users": [{"id": "u", "n": -int("9" * (budget + 1))}]}))
        with pytest.raises(InputError, match="digits"):
            parse_bytes(over, "ints.json")
        in_string = encode_value(snapshot_doc({"users": [{"id": "7" * (budget + 5)}]}))
        assert parse_bytes(in_string, "s.json")["data"]["users"][0]["id"] == "7" * (budget + 5)
    finally:
        limits.configure(previous)
    assert "ints.json" in strict_path_spy
    if budget >= 40:  # (a tiny budget also matches digit runs in ids: the strict parser decides)
        assert "ok.json" not in strict_path_spy
