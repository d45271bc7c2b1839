"""``groupMembers``: only referenced groups, paged to the end, through msgraph-sdk against the
local server; statuses for a deleted group, a missing permission, failed prerequisites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.collect.catalog import CATALOG, permissions_for, select_sources
from auditor.collect.importer import ImportSpec, coerce_shape
from auditor.collect.members import referenced_groups
from auditor.errors import InputError
from auditor.snapshot import load_snapshot, validate_document
from tests.collect.conftest import SECRET_TOKEN, run_collect
from tests.graphserver import Fault, GraphServer

PREREQS = [
    "conditionalAccessPolicies",
    "roleAssignments",
    "roleEligibilitySchedules",
    "roleManagementPolicyAssignments",
]


def _groups(srv: GraphServer) -> list[str]:
    return [g["id"] for g in srv.tenant["groups"]]


def _deleted(srv: GraphServer) -> str:
    ca = srv.tenant["conditionalAccessPolicies"][2]
    return str(ca["conditions"]["users"]["excludeGroups"][0])


def _member_requests(srv: GraphServer) -> list[dict[str, Any]]:
    return [r for r in srv.requests if r["path"].endswith("/transitiveMembers")]


def test_only_referenced_groups_are_read_verbatim(server: GraphServer, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    doc = run_collect(server, ["groupMembers"], out=out)
    g = _groups(server)
    deleted = _deleted(server)
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "ok"
    # GA group (active role), eligible group, CA exclusion group, PIM approver group, deleted CA group
    assert set(doc["data"]["groupMembers"]) == {g[0], g[1], g[2], g[3], deleted}
    assert entry["missing"] == [deleted] and doc["data"]["groupMembers"][deleted] == []
    assert entry["groups"] == 5
    for gid in g[:4]:
        assert doc["data"]["groupMembers"][gid] == server.tenant["groupMembers"][gid]
    # a nested group is listed as a member with its type, and its members are listed too
    types = [m["@odata.type"] for m in doc["data"]["groupMembers"][g[1]]]
    assert types == ["#microsoft.graph.user"] * 2 + ["#microsoft.graph.group", "#microsoft.graph.user"]
    assert entry["count"] == sum(len(v) for v in doc["data"]["groupMembers"].values()) == 12
    assert entry["endpoint"] == (
        "GET /v1.0/groups/{id}/transitiveMembers?$select=id,userPrincipalName,displayName&$top=999"
    )
    # never every group: the unreferenced ones (and the nested one) are not read
    read = {r["path"].split("/")[3] for r in _member_requests(server)}
    assert read == {g[0], g[1], g[2], g[3], deleted}
    for r in _member_requests(server):
        assert r["query"]["$select"] == ["id,userPrincipalName,displayName"]
        assert r["query"]["$top"] == ["999"]
    # role principals that are users are asked about once (GET /groups/{id} -> 404), groups too
    principals = {a["principalId"] for a in server.tenant["roleAssignments"]} | {
        e["principalId"] for e in server.tenant["roleEligibilitySchedules"]
    }
    lookups = [
        r for r in server.requests if r["path"].count("/") == 3 and r["path"].startswith("/v1.0/groups/")
    ]
    assert sorted(r["path"].split("/")[3] for r in lookups) == sorted(principals)
    # the collector read the prerequisites itself (not selected, so not written); the snapshot validates
    read_paths = {r["path"] for r in server.requests}
    assert {f"/{CATALOG[n].version}{CATALOG[n].path}" for n in PREREQS} <= read_paths
    assert set(doc["sources"]) == {"groupMembers"}
    assert load_snapshot(out).data["groupMembers"] == doc["data"]["groupMembers"]


def test_a_large_group_is_paged_to_the_end(tmp_path: Path) -> None:
    with GraphServer(users=30, token=SECRET_TOKEN) as srv:
        big = "0badc0de-0000-4000-8000-000000000001"
        members = [
            {
                "@odata.type": "#microsoft.graph.user",
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "userPrincipalName": f"m{i}@contoso.example",
                "displayName": f"Member {i}",
            }
            for i in range(4321)
        ]
        srv.tenant["groupMembers"][big] = members
        srv.tenant["conditionalAccessPolicies"][0]["conditions"]["users"]["includeGroups"] = [big]
        srv.add_fault("groupMembers", Fault.throttle(0.01, times=1))
        doc = run_collect(srv, ["groupMembers"])
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "ok" and entry["retries"] == 1
    assert doc["data"]["groupMembers"][big] == members  # every page, in order
    pages = [r for r in srv.requests if r["path"] == f"/v1.0/groups/{big}/transitiveMembers"]
    tokens = [r["query"].get("$skiptoken", ["0"])[0] for r in pages]
    assert sorted(set(tokens), key=int) == ["0", "999", "1998", "2997", "3996"]  # 999 a page
    assert entry["pages"] >= 5


def test_forbidden_names_the_permission_and_keeps_no_data(server: GraphServer) -> None:
    server.add_fault("groupMembers", Fault.forbidden())
    doc = run_collect(server, ["groupMembers"])
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "forbidden" and entry["httpStatus"] == 403
    assert "GroupMember.Read.All" in entry["error"]
    assert "groupMembers" not in doc["data"]
    other = run_collect(server, ["conditionalAccessPolicies", "groupMembers"])
    assert other["sources"]["conditionalAccessPolicies"]["status"] == "ok"  # the others are unaffected
    assert other["sources"]["groupMembers"]["status"] == "forbidden"


def test_a_forbidden_principal_lookup_is_forbidden_too(server: GraphServer) -> None:
    server.add_fault("groupLookup", Fault.forbidden())
    doc = run_collect(server, ["groupMembers"])
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "forbidden" and "GroupMember.Read.All" in entry["error"]
    assert "groupMembers" not in doc["data"]


def test_any_other_failure_is_an_error_without_data(server: GraphServer) -> None:
    server.add_fault("groupMembers", Fault("status", 500, "InternalServerError", "boom", after=2))
    doc = run_collect(server, ["groupMembers"])
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "error" and "InternalServerError: boom" in entry["error"]
    assert "groupMembers" not in doc["data"]


def test_a_failed_prerequisite_makes_it_an_error_naming_it(server: GraphServer) -> None:
    server.add_fault("roleAssignments", Fault.forbidden())
    doc = run_collect(server, ["groupMembers"])
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "error"
    assert "roleAssignments" in entry["error"] and "forbidden" in entry["error"]
    assert "groupMembers" not in doc["data"] and not _member_requests(server)


def test_an_unlicensed_prerequisite_names_no_groups(server: GraphServer) -> None:
    # without Entra ID P2 there are no eligible assignments and no PIM policies to name a group
    server.add_fault("roleEligibilitySchedules", Fault.licence())
    server.add_fault("roleManagementPolicyAssignments", Fault.licence())
    doc = run_collect(server, ["groupMembers"])
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "ok"
    assert entry["referencesNotRead"] == {
        "roleEligibilitySchedules": "not_licensed",
        "roleManagementPolicyAssignments": "not_licensed",
    }
    g = _groups(server)
    assert set(doc["data"]["groupMembers"]) == {g[0], g[2], _deleted(server)}


def test_a_refused_select_is_dropped_once(server: GraphServer) -> None:
    server.reject_select.add("groupMembers")
    doc = run_collect(server, ["groupMembers"])
    entry = doc["sources"]["groupMembers"]
    assert entry["status"] == "ok" and "selectRejected" in entry
    g = _groups(server)
    assert doc["data"]["groupMembers"][g[0]] == server.tenant["groupMembers"][g[0]]


def test_imported_prerequisites_are_used(server: GraphServer, tmp_path: Path) -> None:
    g = _groups(server)
    ca = [{"id": "p1", "conditions": {"users": {"includeGroups": [g[6]], "excludeGroups": []}}}]
    server.tenant["groupMembers"][g[6]] = [
        {"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "a@b", "displayName": "A"}
    ]
    path = tmp_path / "ca.json"
    path.write_text(json.dumps(ca), "utf-8")
    doc = run_collect(server, ["groupMembers"], imports=(ImportSpec("conditionalAccessPolicies", path),))
    assert doc["sources"]["conditionalAccessPolicies"]["endpoint"] == "import"
    assert doc["sources"]["groupMembers"]["status"] == "ok"
    assert g[6] in doc["data"]["groupMembers"] and g[2] not in doc["data"]["groupMembers"]


def test_its_prerequisites_permissions_are_needed_too() -> None:
    assert [s.name for s in select_sources(["groupMembers"])] == ["groupMembers"]
    assert CATALOG["groupMembers"].after == tuple(PREREQS)
    assert CATALOG["groupMembers"].permissions == ("GroupMember.Read.All",)
    perms = {n.name for n in permissions_for(["groupMembers"]) if n.kind == "application permission"}
    assert {"GroupMember.Read.All", "Policy.Read.All", "RoleManagement.Read.Directory"} <= perms


def test_referenced_groups_reads_every_kind_of_reference() -> None:
    data = {
        "conditionalAccessPolicies": [
            {"state": "disabled", "conditions": {"users": {"includeGroups": ["a"], "excludeGroups": ["b"]}}},
            {"conditions": {"users": {"includeGroups": None}}},
        ],
        "roleAssignments": [{"principalId": "p"}, {"principalId": "a"}],
        "roleEligibilitySchedules": [{"principalId": "q"}],
        "roleManagementPolicyAssignments": [
            {
                "policy": {
                    "rules": [
                        {
                            "setting": {
                                "approvalStages": [
                                    {
                                        "primaryApprovers": [{"groupId": "c"}, {"userId": "u"}],
                                        "escalationApprovers": [{"groupId": "d"}],
                                    }
                                ]
                            }
                        },
                        {"notificationRecipients": ["admin@contoso.example"]},
                    ]
                }
            }
        ],
    }
    refs = referenced_groups(data)
    assert refs.groups == {"a", "b", "c", "d"}
    assert refs.principals == {"p", "q"}  # "a" is known to be a group already


def test_import_shape_is_an_object_of_lists(tmp_path: Path) -> None:
    one = {"@odata.type": "#microsoft.graph.user", "id": "u1"}
    assert coerce_shape("groupMembers", {"g": one, "h": []}, "f") == {"g": [one], "h": []}
    with pytest.raises(InputError, match="object of id -> array"):
        coerce_shape("groupMembers", [one], "f")
    with pytest.raises(InputError, match="'g' must be a JSON array"):
        coerce_shape("groupMembers", {"g": "x"}, "f")


def test_a_snapshot_checks_the_object_of_lists_shape() -> None:
    doc = {
        "schemaVersion": 1,
        "tenant": {"id": "t"},
        "collectedAt": "2026-11-23T12:00:00Z",
        "sources": {},
        "data": {"groupMembers": {"g": [{"id": "u"}], "h": []}},
    }
    validate_document(doc, "s.json")
    doc["data"]["groupMembers"]["h"] = {"id": "u"}
    with pytest.raises(InputError, match="data/groupMembers/h"):
        validate_document(doc, "s.json")
    doc["data"]["groupMembers"] = [{"id": "u"}]
    with pytest.raises(InputError, match="data/groupMembers"):
        validate_document(doc, "s.json")


def test_users_carry_guest_typing_and_cloud_only_fields(server: GraphServer) -> None:
    doc = run_collect(server, ["users"])
    users = doc["data"]["users"]
    for field in ("onPremisesImmutableId", "externalUserState", "creationType", "mail"):
        assert all(field in u for u in users), field  # explicit nulls kept, never dropped
    guests = [u for u in users if u["userType"] == "Guest"]
    assert guests and all(u["creationType"] == "Invitation" for u in guests)
    assert {u["externalUserState"] for u in guests} == {"Accepted", "PendingAcceptance"}
    # a formerly synchronized account: sync off, immutable id kept (what SCuBA MS.AAD.7.3v1 reads)
    assert any(u["onPremisesSyncEnabled"] is None and u["onPremisesImmutableId"] for u in users)
    select = next(r for r in server.requests if r["path"] == "/v1.0/users")["query"]["$select"][0]
    assert {"onPremisesImmutableId", "externalUserState", "creationType", "mail"} <= set(select.split(","))


def test_group_progress_adds_to_the_collection_as_it_grows() -> None:
    from auditor.collect.fetching import Progress
    from auditor.collect.members import SharedProgress

    total = Progress("groupMembers", pages=2, objects=10)
    part = SharedProgress(total)
    part.pages += 1
    part.objects = 999
    part.objects = 1998  # collect_pages sets the running size of its own list
    part.retries += 1
    part.status, part.done = "ok", True
    assert (total.pages, total.objects, total.retries) == (3, 2008, 1)
    assert (total.status, total.done) == ("running", False)  # the collection's own state is untouched
