"""Fixtures for the fleet tests: Graph-compatible test servers (one per collected tenant, so
that a fault injected for one tenant cannot touch another), the demo snapshot copied as
pre-collected tenants, and a FLEET.yaml writer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.graphserver import GraphServer  # noqa: E402
from tests.graphserver.server import Fault  # noqa: E402

TOKEN = "fleet-tok-9c1e-SECRET"
SOURCES = ["organization", "users", "conditionalAccessPolicies", "authorizationPolicy"]
GOOD_ID = "11111111-1111-4111-8111-111111111111"
BADAUTH_ID = "22222222-2222-4222-8222-222222222222"
FAULTY_ID = "33333333-3333-4333-8333-333333333333"
SNAP_IDS = ["44444444-4444-4444-8444-444444444444", "55555555-5555-4555-8555-555555555555"]


@pytest.fixture
def servers() -> Iterator[dict[str, GraphServer]]:
    good = GraphServer(users=20, token=TOKEN).start()
    faulty = GraphServer(users=20, token=TOKEN).start()
    faulty.add_fault(
        "conditionalAccessPolicies",
        Fault(kind="status", status=500, code="InternalServerError", message="boom", times=None),
    )
    try:
        yield {"good": good, "faulty": faulty}
    finally:
        good.stop()
        faulty.stop()


@pytest.fixture
def demo_snapshot(tmp_path: Path) -> Path:
    from importlib import resources

    path = tmp_path / "snapshots" / "demo.json"
    path.parent.mkdir()
    path.write_bytes(resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes())
    return path


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-tenant tokens in the environment, under each tenant's prefix (the workers inherit them)."""
    monkeypatch.setenv("GOOD_AUDITOR_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("FAULTY_AUDITOR_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("BAD_AUDITOR_ACCESS_TOKEN", "not-the-token")


def write_fleet(path: Path, tenants: list[dict[str, Any]], **defaults: Any) -> Path:
    doc = {"fleet": "test-fleet", "defaults": {"failOn": "high", **defaults}, "tenants": tenants}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def fleet_tenants(servers: dict[str, GraphServer], snapshot: Path) -> list[dict[str, Any]]:
    return [
        {
            "id": GOOD_ID,
            "name": "Good Collected",
            "auth": "token",
            "credentialsEnv": "GOOD",
            "graphUrl": servers["good"].url,
            "sources": SOURCES,
            "tags": ["eu"],
        },
        {
            "id": BADAUTH_ID,
            "name": "Bad Credentials",
            "auth": "token",
            "credentialsEnv": "BAD",
            "graphUrl": servers["good"].url,
            "sources": SOURCES,
        },
        {
            "id": FAULTY_ID,
            "name": "Faulty Server",
            "auth": "token",
            "credentialsEnv": "FAULTY",
            "graphUrl": servers["faulty"].url,
            "sources": SOURCES,
        },
        *(
            {"id": sid, "name": f"Snapshot {n}", "snapshot": str(snapshot), "tags": ["vendor"]}
            for n, sid in enumerate(SNAP_IDS)
        ),
    ]
