"""Collection through msgraph-sdk's pipeline against the local server: every collection,
paging to the end, query options, shapes and the tenant block."""

from __future__ import annotations

import json
from typing import Any

from auditor.collect.catalog import CATALOG, OPT_IN_APIS, USER_SELECT
from auditor.snapshot import COLLECTIONS, load_snapshot
from tests.collect.conftest import SECRET_TOKEN, make_jwt, run_collect
from tests.graphserver import TENANT_ID, Fault, GraphServer


def _strip_context(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "@odata.context"}


def test_every_collection_is_collected_verbatim(server: GraphServer, tmp_path: Any) -> None:
    out = tmp_path / "s.json"
    doc = run_collect(server, out=out)
    # import-only (PowerShell) sources, the DNS lookups and the Power BI / Power Platform admin APIs
    # are collected only when named
    default = {n for n, src in CATALOG.items() if src.api not in OPT_IN_APIS}
    assert set(doc["sources"]) == default
    assert {e["status"] for e in doc["sources"].values()} == {"ok"}
    snap = load_snapshot(out)
    for name, shape in COLLECTIONS.items():
        if name not in default:
            continue
        data = snap.data[name]
        if name == "recentAuditActivity":  # composite: tests/collect/test_collect_logging.py
            assert set(data) == {"directoryAudits", "signIns", "subscriptions", "contentTypes"}
            continue
        expected = server.tenant[name]
        if shape == "object":
            expected = expected[0] if isinstance(expected, list) else expected
            assert data == expected, name
            assert snap.sources[name]["count"] == 1
        elif name == "secureScores":
            assert data == expected[:1]  # $top=1, the latest score, no paging beyond
        elif name == "users":
            fields = USER_SELECT.split(",")
            assert data == [{k: u[k] for k in fields} for u in expected]
        elif name == "groupMembers":  # only referenced groups (test_collect_members.py has the details)
            assert set(data) < set(expected) | set(snap.sources[name].get("missing", []))
            assert all(data[g] == expected[g] for g in data if g in expected)
            assert snap.sources[name]["count"] == sum(len(v) for v in data.values())
        else:
            assert data == expected, name
        if shape == "list":
            assert snap.sources[name]["count"] == len(data)
    assert snap.tenant == {"id": TENANT_ID, "displayName": "Contoso Test", "defaultDomain": "contoso.example"}
    assert snap.document["collector"]["tool"] == "auditor"
    # explicit nulls survive (raw JSON, not typed models)
    assert snap.data["users"][1]["onPremisesSyncEnabled"] is None
    assert snap.data["conditionalAccessPolicies"][0]["conditions"]["platforms"] is None


def test_requests_carry_select_top_filter_and_token(server: GraphServer) -> None:
    run_collect(
        server,
        [
            "users",
            "roleManagementPolicyAssignments",
            "secureScores",
            "exchangeOrganizationConfig",
            "entraDiagnosticSettings",
        ],
    )
    assert all(r["authorized"] for r in server.requests)
    users = [r for r in server.requests if r["path"] == "/v1.0/users"]
    assert users[0]["query"]["$select"] == [USER_SELECT]
    assert users[0]["query"]["$top"] == ["999"]
    rmpa = next(r for r in server.requests if r["path"] == "/v1.0/policies/roleManagementPolicyAssignments")
    assert rmpa["query"]["$filter"] == ["scopeId eq '/' and scopeType eq 'DirectoryRole'"]
    assert rmpa["query"]["$expand"] == ["policy($expand=rules)"]
    scores = [r for r in server.requests if r["path"] == "/v1.0/security/secureScores"]
    assert len(scores) == 1 and scores[0]["query"]["$top"] == ["1"]
    exo = next(r for r in server.requests if r["method"] == "POST")
    assert exo["path"] == f"/adminapi/beta/{TENANT_ID}/InvokeCommand"
    assert json.loads(exo["body"]) == {"CmdletInput": {"CmdletName": "Get-OrganizationConfig"}}
    arm = next(r for r in server.requests if r["path"].startswith("/providers/"))
    assert arm["query"]["api-version"] == ["2017-04-01-preview"]


def test_paging_reaches_the_end_over_many_pages() -> None:
    with GraphServer(users=2500, token=SECRET_TOKEN) as srv:
        doc = run_collect(srv, ["users", "userRegistrationDetails", "exchangeMailboxAuditBypassAssociations"])
    assert doc["sources"]["users"]["pages"] == 3  # 999 + 999 + 502
    assert len(doc["data"]["users"]) == 2500
    assert [u["id"] for u in doc["data"]["users"]] == [u["id"] for u in srv.tenant["users"]]
    assert doc["sources"]["userRegistrationDetails"]["count"] == 2500
    assert doc["sources"]["exchangeMailboxAuditBypassAssociations"]["pages"] == 3  # 2 + 2 + 1, POSTed again


def test_empty_pages_with_a_next_link_are_followed(server: GraphServer) -> None:
    server.add_fault("users", Fault("empty_pages"))
    server.add_fault("roleDefinitions", Fault("empty_pages"))
    doc = run_collect(server, ["users", "roleDefinitions"])
    assert doc["sources"]["users"]["status"] == "ok"
    assert len(doc["data"]["users"]) == 120
    # an empty first page with a nextLink, the data, then two trailing empty pages (the first linked)
    assert doc["sources"]["users"]["pages"] == 4
    assert doc["data"]["roleDefinitions"] == server.tenant["roleDefinitions"]
    assert doc["sources"]["roleDefinitions"]["pages"] == 4


def test_tenant_and_principal_from_token_claims(server: GraphServer) -> None:
    token = make_jwt(
        {"oid": "obj-1", "appid": "11111111-2222-3333-4444-555555555555", "tid": TENANT_ID, "exp": 4102444800}
    )
    server.token = token
    doc = run_collect(server, ["domains"], token=token)
    assert doc["collector"]["principal"] == "11111111-2222-3333-4444-555555555555"
    assert doc["tenant"]["id"] == TENANT_ID
    assert "organization" not in doc["sources"] and "organization" not in doc["data"]  # read, not selected
    assert doc["collector"]["cloud"] == "local"
    user_token = make_jwt(
        {
            "oid": "user-object-id",
            "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "scp": "Directory.Read.All",
            "tid": TENANT_ID,
        }
    )
    server.token = user_token
    doc = run_collect(server, ["domains"], token=user_token)
    assert doc["collector"]["principal"] == "user-object-id"  # the signed-in user, not the CLI's app id


def test_tenant_id_falls_back_when_organization_fails(server: GraphServer) -> None:
    server.add_fault("organization", Fault.forbidden())
    doc = run_collect(server, ["organization", "exchangeOrganizationConfig"], tenant_id=TENANT_ID)
    assert doc["sources"]["organization"]["status"] == "forbidden"
    assert "organization" not in doc["data"]
    assert doc["tenant"]["id"] == TENANT_ID
    assert doc["sources"]["exchangeOrganizationConfig"]["status"] == "ok"


def test_gzip_snapshot_is_written_and_valid(server: GraphServer, tmp_path: Any) -> None:
    out = tmp_path / "s.json.gz"
    run_collect(server, ["domains", "authorizationPolicy"], out=out)
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    snap = load_snapshot(out)
    assert snap.data["authorizationPolicy"] == _strip_context(server.tenant["authorizationPolicy"])


def test_catalog_covers_every_collection_with_its_shape() -> None:
    assert list(CATALOG) == list(COLLECTIONS)
    for name, source in CATALOG.items():
        assert source.shape == COLLECTIONS[name]
        if source.api == "import":  # PowerShell only: the exporting person's role, and the exact line
            assert source.directory_role and source.import_command.endswith(f"> {name}.json"), name
        elif source.api != "dns":  # public DNS needs no permission
            assert source.permissions or source.azure_role, name
    assert CATALOG["roleEligibilitySchedules"].licence and "P2" in CATALOG["roleEligibilitySchedules"].licence
    assert "P1" in (CATALOG["conditionalAccessPolicies"].licence or "")


def test_fan_out_collections_read_per_parent(server: GraphServer) -> None:
    """PIM for Groups policies: one request per role-assignable group; app management policies
    with their appliesTo attached, as $expand would give them."""
    doc = run_collect(server, ["groupRoleManagementPolicyAssignments", "appManagementPolicies"])
    pim = doc["data"]["groupRoleManagementPolicyAssignments"]
    assert pim == server.tenant["groupRoleManagementPolicyAssignments"]
    group_paths = [r for r in server.requests if r["path"] == "/v1.0/groups"]
    assert group_paths[0]["query"]["$filter"] == ["isAssignableToRole eq true"]
    pim_requests = [
        r for r in server.requests if r["path"] == "/v1.0/policies/roleManagementPolicyAssignments"
    ]
    # one request per group, sent concurrently: compare as sets, not in arrival order
    assert {r["query"]["$filter"][0] for r in pim_requests} >= {
        f"scopeId eq '{p['scopeId']}' and scopeType eq 'Group'" for p in pim
    }
    assert all(r["query"]["$expand"] == ["policy($expand=rules)"] for r in pim_requests)
    apps = doc["data"]["appManagementPolicies"]
    assert apps == server.tenant["appManagementPolicies"]
    assert apps[0]["appliesTo"][0]["@odata.type"] == "#microsoft.graph.application"
    assert doc["sources"]["appManagementPolicies"]["requests"] == 2


def test_fan_out_child_failure_fails_the_whole_collection(server: GraphServer) -> None:
    server.add_fault("groupRoleManagementPolicyAssignments", Fault.forbidden())
    doc = run_collect(server, ["groupRoleManagementPolicyAssignments"])
    entry = doc["sources"]["groupRoleManagementPolicyAssignments"]
    assert entry["status"] == "forbidden"
    assert "RoleManagementPolicy.Read.AzureADGroup" in entry["error"]
    assert "groupRoleManagementPolicyAssignments" not in doc["data"]


def test_import_only_sources_are_recorded_not_supported(server: GraphServer) -> None:
    doc = run_collect(server, ["teamsMeetingPolicies"])
    entry = doc["sources"]["teamsMeetingPolicies"]
    assert entry["status"] == "not_supported"
    assert "Get-CsTeamsMeetingPolicy | ConvertTo-Json -Depth 10 > teamsMeetingPolicies.json" in entry["error"]
    assert not [r for r in server.requests if "Teams" in r["path"]]


def test_sharepoint_tenant_from_the_admin_rest_endpoint(server: GraphServer) -> None:
    doc = run_collect(server, ["sharepointTenant"])
    assert doc["data"]["sharepointTenant"] == server.tenant["sharepointTenant"]  # odata.metadata dropped
    assert (
        doc["sources"]["sharepointTenant"]["endpoint"]
        == "GET https://{tenant}-admin.sharepoint.com/_api/SPO.Tenant"
    )


def test_dns_txt_records_through_a_fixture_resolver(server: GraphServer, tmp_path: Any) -> None:
    """No DNS traffic: the resolver reads a fixture file; names come from the accepted domains."""
    from auditor.collect.dnstxt import FileResolver

    fixture = tmp_path / "dns.json"
    fixture.write_text(
        json.dumps(
            {
                "contoso.example": ["v=spf1 include:spf.protection.outlook.com -all", "ms=ms12345"],
                "_dmarc.contoso.example": ["v=DMARC1; p=reject; rua=mailto:reports@dmarc.cyber.dhs.gov"],
                "selector1._domainkey.contoso.example": ["v=DKIM1; k=rsa; p=MIIBIjAN"],
            }
        )
    )
    resolver = FileResolver(fixture)
    doc = run_collect(server, ["exchangeAcceptedDomains", "dnsTxtRecords"], dns_resolver=resolver)
    records = doc["data"]["dnsTxtRecords"]
    assert records["contoso.example"][0].startswith("v=spf1")
    assert records["_dmarc.contoso.example"] == ["v=DMARC1; p=reject; rua=mailto:reports@dmarc.cyber.dhs.gov"]
    assert records["selector2._domainkey.contoso.example"] == []  # no record is an empty list
    assert "_dmarc.contoso.onmicrosoft.example" in records
    assert doc["sources"]["dnsTxtRecords"]["domains"] == ["contoso.example", "contoso.onmicrosoft.example"]
    assert len(resolver.asked) == 8


def test_dns_txt_records_alone_look_up_graph_domains(server: GraphServer, tmp_path: Any) -> None:
    """Without accepted domains in the run, the verified Graph domains are read first (a prerequisite)."""
    from auditor.collect.dnstxt import FileResolver

    fixture = tmp_path / "dns.json"
    fixture.write_text("{}")
    resolver = FileResolver(fixture)
    doc = run_collect(server, ["dnsTxtRecords"], dns_resolver=resolver)
    verified = sorted(d["id"].lower() for d in server.tenant["domains"] if d.get("isVerified"))
    assert doc["sources"]["dnsTxtRecords"]["domains"] == verified
    assert all(v == [] for v in doc["data"]["dnsTxtRecords"].values())
    assert "domains" not in doc["sources"]  # a prerequisite, not a selected collection


def test_dns_failure_fails_the_collection(server: GraphServer) -> None:
    from auditor.collect.dnstxt import DnsLookupError

    class Failing:
        async def txt(self, name: str) -> list[str]:
            raise DnsLookupError(f"{name}: LifetimeTimeout")

    doc = run_collect(server, ["exchangeAcceptedDomains", "dnsTxtRecords"], dns_resolver=Failing())
    assert doc["sources"]["dnsTxtRecords"]["status"] == "error"
    assert "LifetimeTimeout" in doc["sources"]["dnsTxtRecords"]["error"]
    assert "dnsTxtRecords" not in doc["data"]
