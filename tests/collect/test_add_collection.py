"""docs/architecture.md "How to add a collection", followed step by step for a toy Graph collection.

The steps: the collection name and shape where the snapshot schema lists them (here patched into
``COLLECTIONS`` for the test's duration), one catalog row naming its reader (here a copy of the
catalog with the extra row, given to the run), and data for the test server. Nothing else: no
reader, runner or source code changes. Plus the structural promise behind it: the runner and the
readers name no collection.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from auditor.collect.auth import build_credential
from auditor.collect.catalog import CATALOG, Source
from auditor.collect.readers import READERS
from auditor.collect.runner import CollectOptions, collect
from auditor.snapshot.collections import COLLECTIONS
from auditor.snapshot.load import load_snapshot
from tests.collect.conftest import SECRET_TOKEN, fast_policy
from tests.graphserver import Fault, GraphServer

COLLECT = Path(__file__).resolve().parents[2] / "auditor" / "collect"

WIDGETS = [{"id": f"w{i}", "displayName": f"Widget {i}", "enabled": i % 2 == 0} for i in range(5)]


def _toy_row() -> Source:
    # step 2: one catalog row; reader="graph" is the default for api="graph", named here to show it
    return Source(
        "toyWidgets",
        "graph",
        "/toy/widgets",
        ("Widget.Read.All",),
        top=2,
        licence="Toy licence",
        reader="graph",
    )


def test_a_toy_graph_collection_is_collected_from_one_catalog_row(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # step 1: the snapshot schema knows the name and its shape
    monkeypatch.setitem(COLLECTIONS, "toyWidgets", "list")
    row = _toy_row()
    catalog = {**CATALOG, row.name: row}
    # the test server serves it like any Graph list
    server.by_path["/v1.0/toy/widgets"] = "toyWidgets"
    server.tenant["toyWidgets"] = WIDGETS

    auth = build_credential("token", env={"AUDITOR_ACCESS_TOKEN": SECRET_TOKEN})
    options = CollectOptions(
        sources=(catalog["organization"], row),
        catalog=catalog,
        graph_url=server.url,
        retry=fast_policy(),
        timeout=10.0,
    )
    out = tmp_path / "snapshot.json"
    collect(auth, options, out=out)

    doc = json.loads(out.read_text("utf-8"))
    assert list(doc["sources"]) == ["organization", "toyWidgets"]  # the catalog's order
    entry = doc["sources"]["toyWidgets"]
    assert entry["status"] == "ok"
    assert entry["endpoint"] == "GET /v1.0/toy/widgets?$top=2"  # written by the Graph reader
    assert entry["count"] == 5 and entry["pages"] == 3  # paged through @odata.nextLink
    assert doc["data"]["toyWidgets"] == WIDGETS
    # the snapshot loads (shape checked against the schema) and the collection reads back
    snapshot = load_snapshot(out)
    assert snapshot.data["toyWidgets"] == WIDGETS
    assert any(r["path"] == "/v1.0/toy/widgets" for r in server.requests)


def test_a_missing_permission_on_the_toy_collection_is_named_from_its_row(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(COLLECTIONS, "toyWidgets", "list")
    row = _toy_row()
    catalog = {**CATALOG, row.name: row}
    server.by_path["/v1.0/toy/widgets"] = "toyWidgets"
    server.tenant["toyWidgets"] = WIDGETS
    server.add_fault("toyWidgets", Fault.forbidden())
    auth = build_credential("token", env={"AUDITOR_ACCESS_TOKEN": SECRET_TOKEN})
    options = CollectOptions(
        sources=(row,), catalog=catalog, graph_url=server.url, retry=fast_policy(), timeout=10.0
    )
    doc = collect(auth, options)
    entry = doc["sources"]["toyWidgets"]
    assert entry["status"] == "forbidden"
    assert "Widget.Read.All" in json.dumps(entry)
    assert "toyWidgets" not in doc["data"]  # a failed collection never has data


def test_every_catalog_row_names_a_known_reader() -> None:
    assert {s.reader for s in CATALOG.values()} <= set(READERS)
    # each reader writes the endpoint of its own rows
    assert CATALOG["users"].endpoint.startswith("GET /v1.0/users?")
    assert CATALOG["exchangeAcceptedDomains"].endpoint.endswith("InvokeCommand Get-AcceptedDomain")


def _string_constants(path: Path) -> set[str]:
    """String literals, except keys of dict displays (``extra={"domains": ...}`` is a field name)."""
    tree = ast.parse(path.read_text("utf-8"))
    keys = {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys if k is not None}
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in keys
    }


@pytest.mark.parametrize(
    "path",
    [COLLECT / "runner.py", *sorted((COLLECT / "readers").glob("*.py"))],
    ids=lambda p: p.name,
)
def test_the_runner_and_the_readers_name_no_collection(path: Path) -> None:
    named = _string_constants(path) & set(COLLECTIONS)
    assert not named, f"{path.name} names collections {sorted(named)}: put it in the catalog row"
