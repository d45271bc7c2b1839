"""The Power BI (Fabric) and Power Platform admin APIs, read through the loopback test server's
real HTTP path: paging by continuationUri and nextLink, the POST that reads tenant settings, the
tenant-scoped isolation policy, and failures recorded with the permission they need."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main
from auditor.collect.catalog import CATALOG, select_sources
from auditor.collect.power import powerbi_scope, powerplatform_scope
from auditor.snapshot import load_snapshot
from tests.collect.conftest import SECRET_TOKEN, cli_args, run_collect
from tests.graphserver import GraphServer
from tests.graphserver.server import Fault
from tests.graphserver.tenant import TENANT_ID

POWER = [
    "powerBiTenantSettings",
    "powerPlatformTenantSettings",
    "powerPlatformEnvironments",
    "powerPlatformDlpPolicies",
    "powerPlatformTenantIsolationPolicy",
]


def test_every_power_collection_is_read_verbatim(server: GraphServer) -> None:
    doc = run_collect(server, POWER)
    for name in POWER:
        assert doc["sources"][name]["status"] == "ok", doc["sources"][name]
        assert doc["data"][name] == server.tenant[name], name
    # two pages each, joined: Fabric's continuationUri and the admin API's nextLink were followed
    assert doc["sources"]["powerBiTenantSettings"]["pages"] == 2
    assert doc["sources"]["powerPlatformEnvironments"]["pages"] == 2
    assert doc["sources"]["powerBiTenantSettings"]["count"] == len(server.tenant["powerBiTenantSettings"])
    assert doc["sources"]["powerPlatformTenantSettings"]["endpoint"] == (
        "POST /providers/Microsoft.BusinessAppPlatform/listTenantSettings?api-version=2023-06-01"
    )


def test_requests_are_the_read_only_admin_calls(server: GraphServer) -> None:
    run_collect(server, POWER)
    seen = {
        (r["method"], r["path"])
        for r in server.requests
        if r["path"].startswith(("/providers/", "/v1/admin/"))
    }
    assert ("POST", "/providers/Microsoft.BusinessAppPlatform/listTenantSettings") in seen  # the only POST
    assert (
        "GET",
        f"/providers/PowerPlatform.Governance/v1/tenants/{TENANT_ID}/tenantIsolationPolicy",
    ) in seen
    posts = [r for r in server.requests if r["method"] == "POST"]
    assert [r["path"] for r in posts] == ["/providers/Microsoft.BusinessAppPlatform/listTenantSettings"]


def test_a_never_configured_isolation_policy_is_an_empty_object(server: GraphServer) -> None:
    server.power_isolation_unset = True
    doc = run_collect(server, ["powerPlatformTenantIsolationPolicy"])
    assert doc["sources"]["powerPlatformTenantIsolationPolicy"]["status"] == "ok"
    assert doc["data"]["powerPlatformTenantIsolationPolicy"] == {}


def test_forbidden_names_the_role_and_keeps_the_others(server: GraphServer) -> None:
    server.add_fault("powerBiTenantSettings", Fault.forbidden())
    doc = run_collect(server, ["powerBiTenantSettings", "powerPlatformTenantSettings"])
    entry = doc["sources"]["powerBiTenantSettings"]
    assert entry["status"] == "forbidden" and entry["httpStatus"] == 403
    assert "Fabric Administrator" in entry["error"] and "Tenant.Read.All" in entry["error"]
    assert "powerBiTenantSettings" not in doc["data"]
    assert doc["sources"]["powerPlatformTenantSettings"]["status"] == "ok"


def test_a_server_error_is_retried_then_recorded_never_empty(server: GraphServer) -> None:
    server.add_fault("powerPlatformDlpPolicies", Fault(kind="status", status=500, code="InternalError"))
    doc = run_collect(server, ["powerPlatformDlpPolicies"])
    assert doc["sources"]["powerPlatformDlpPolicies"]["status"] == "error"
    assert "powerPlatformDlpPolicies" not in doc["data"]


def test_power_collections_are_opt_in() -> None:
    default = {s.name for s in select_sources(None)}
    assert not default & set(POWER)
    assert [s.name for s in select_sources(POWER)] == POWER
    assert all(CATALOG[n].import_command.endswith(f"> {n}.json") for n in POWER)


def test_scopes_per_cloud() -> None:
    assert powerbi_scope("https://api.fabric.microsoft.com") == "https://api.fabric.microsoft.com/.default"
    assert powerplatform_scope("https://api.bap.microsoft.com") == "https://service.powerapps.com/.default"
    assert (
        powerplatform_scope("https://high.api.bap.microsoft.us")
        == "https://high.service.powerapps.us/.default"
    )
    assert powerplatform_scope("http://127.0.0.1:8080") == "https://service.powerapps.com/.default"


def test_the_cli_reads_them_from_the_loopback_server(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --graph-url on a loopback address sends --powerbi-url and --powerplatform-url there too
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    out = tmp_path / "s.json"
    assert main(cli_args(server, out, "--sources", ",".join(POWER))) == 0
    snap = load_snapshot(out)
    assert snap.data["powerPlatformEnvironments"] == server.tenant["powerPlatformEnvironments"]
    assert snap.data["powerBiTenantSettings"] == server.tenant["powerBiTenantSettings"]
