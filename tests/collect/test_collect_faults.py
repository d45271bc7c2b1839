"""Throttling and faults: each is recorded with the right status, retries are counted, and
a failed collection never has data nor stops the others."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from auditor.errors import InputError
from tests.collect.conftest import fast_policy, run_collect
from tests.graphserver import Fault, GraphServer

OTHERS = ["domains", "authorizationPolicy", "roleDefinitions"]


def _check_others(doc: dict, failed: str) -> None:
    assert failed not in doc["data"], "a failed collection must have no data"
    for name in OTHERS:
        assert doc["sources"][name]["status"] == "ok"
        assert name in doc["data"]


def test_429_with_retry_after_is_honoured_and_counted(server: GraphServer) -> None:
    server.add_fault("users", Fault.throttle(1, times=2))
    started = time.monotonic()
    doc = run_collect(server, ["users"])
    assert time.monotonic() - started >= 2.0  # two Retry-After: 1 waits
    entry = doc["sources"]["users"]
    assert entry["status"] == "ok" and entry["retries"] == 2
    assert len(doc["data"]["users"]) == 120


def test_503_and_504_retry_then_succeed(server: GraphServer) -> None:
    server.add_fault("domains", Fault("status", 503, "ServiceUnavailable", "busy", times=2))
    server.add_fault("groups", Fault("status", 504, "GatewayTimeout", "slow", times=1))
    doc = run_collect(server, ["domains", "groups"])
    assert doc["sources"]["domains"]["retries"] == 2 and doc["sources"]["domains"]["status"] == "ok"
    assert doc["sources"]["groups"]["retries"] == 1 and doc["sources"]["groups"]["status"] == "ok"


def test_retry_after_beyond_the_budget_is_an_error_not_a_silent_pass(server: GraphServer) -> None:
    # the SDK's own RetryHandler would hand back the 429 silently for Retry-After >= 180 s
    server.add_fault("users", Fault.throttle(600, times=None))
    started = time.monotonic()
    doc = run_collect(server, ["users", *OTHERS], retry=fast_policy(budget_seconds=20))
    assert time.monotonic() - started < 10
    entry = doc["sources"]["users"]
    assert entry["status"] == "error" and entry["httpStatus"] == 429
    assert "time budget" in entry["error"]
    _check_others(doc, "users")


def test_persistent_5xx_gives_up_after_bounded_retries(server: GraphServer) -> None:
    server.add_fault("domains", Fault("status", 503, "ServiceUnavailable", "down", times=None))
    server.add_fault("groups", Fault("status", 500, "InternalServerError", "boom", times=None))
    doc = run_collect(
        server,
        ["domains", "groups", "authorizationPolicy", "roleDefinitions"],
        retry=fast_policy(max_retries=2),
    )
    assert doc["sources"]["domains"]["status"] == "error"
    assert doc["sources"]["domains"]["httpStatus"] == 503 and doc["sources"]["domains"]["retries"] == 2
    assert "ServiceUnavailable: down" in doc["sources"]["domains"]["error"]
    assert doc["sources"]["groups"]["status"] == "error" and doc["sources"]["groups"]["retries"] == 0
    assert doc["sources"]["groups"]["error"] == "InternalServerError: boom"
    # our retries only: the SDK's RetryHandler is set to zero, so 1 + 2 requests, not 1 + 2 * 4
    assert len([r for r in server.requests if r["path"] == "/v1.0/domains"]) == 3
    assert "domains" not in doc["data"] and "groups" not in doc["data"]
    assert doc["sources"]["roleDefinitions"]["status"] == "ok"


def test_403_is_forbidden_and_names_the_missing_permission(server: GraphServer) -> None:
    server.add_fault("roleEligibilitySchedules", Fault.forbidden())
    doc = run_collect(server, ["roleEligibilitySchedules", *OTHERS])
    entry = doc["sources"]["roleEligibilitySchedules"]
    assert entry["status"] == "forbidden" and entry["httpStatus"] == 403
    assert entry["error"].startswith(
        "Authorization_RequestDenied: needs RoleEligibilitySchedule.Read.Directory"
    )
    _check_others(doc, "roleEligibilitySchedules")


@pytest.mark.parametrize(
    "fault",
    [
        Fault.licence(),
        Fault(
            "status", 403, "Authorization_RequestDenied", "The tenant does not have a valid license for this."
        ),
        Fault("status", 400, "AadPremiumLicenseRequired", "An Entra ID P2 license is required."),
    ],
)
def test_licence_errors_are_not_licensed(server: GraphServer, fault: Fault) -> None:
    server.add_fault("conditionalAccessPolicies", fault)
    doc = run_collect(server, ["conditionalAccessPolicies", *OTHERS])
    entry = doc["sources"]["conditionalAccessPolicies"]
    assert entry["status"] == "not_licensed"
    assert "Entra ID P1" in entry["error"]
    _check_others(doc, "conditionalAccessPolicies")


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", 404, "Request_ResourceNotFound", "Resource not found."),
        Fault("status", 400, "BadRequest", "Resource not found for the segment 'settings'."),
    ],
)
def test_unsupported_endpoints_are_not_supported(server: GraphServer, fault: Fault) -> None:
    server.add_fault("sharepointSettings", fault)
    doc = run_collect(server, ["sharepointSettings", *OTHERS])
    assert doc["sources"]["sharepointSettings"]["status"] == "not_supported"
    assert doc["sources"]["sharepointSettings"]["httpStatus"] in (400, 404)
    _check_others(doc, "sharepointSettings")


def test_a_rejected_query_is_an_error_not_unsupported(server: GraphServer) -> None:
    server.add_fault(
        "users", Fault("status", 400, "Request_UnsupportedQuery", "Invalid page size specified.")
    )
    doc = run_collect(server, ["users"])
    assert doc["sources"]["users"]["status"] == "error"
    assert doc["sources"]["users"]["error"] == "Request_UnsupportedQuery: Invalid page size specified."
    assert "users" not in doc["data"]


def test_a_refused_page_size_is_retried_without_top(server: GraphServer) -> None:
    server.max_top["userRegistrationDetails"] = 500
    doc = run_collect(server, ["userRegistrationDetails"])
    entry = doc["sources"]["userRegistrationDetails"]
    assert entry["status"] == "ok" and entry["count"] == 120
    assert entry["topRejected"].startswith("Request_UnsupportedQuery")
    tops = [r["query"].get("$top") for r in server.requests if r["path"].endswith("/userRegistrationDetails")]
    assert tops[:2] == [["999"], None]


def test_timeout_is_an_error_after_retries(server: GraphServer) -> None:
    server.add_fault("groups", Fault("timeout", delay=1.5, times=None))
    doc = run_collect(server, ["groups", *OTHERS], timeout=0.5, retry=fast_policy(max_retries=1))
    entry = doc["sources"]["groups"]
    assert entry["status"] == "error" and entry["retries"] == 1
    assert "timeout" in entry["error"]
    _check_others(doc, "groups")


def test_one_slow_response_is_retried(server: GraphServer) -> None:
    server.add_fault("groups", Fault("timeout", delay=1.0, times=1))
    doc = run_collect(server, ["groups"], timeout=0.5)
    assert doc["sources"]["groups"]["status"] == "ok" and doc["sources"]["groups"]["retries"] == 1


@pytest.mark.parametrize("kind", ["malformed", "html"])
def test_bad_bodies_on_a_later_page_leave_no_partial_data(kind: str) -> None:
    with GraphServer(users=1500, token="t") as srv:
        srv.add_fault("users", Fault(kind, after=1, times=None))  # the second page is broken
        doc = run_collect(srv, ["users", *OTHERS], token="t")
    entry = doc["sources"]["users"]
    assert entry["status"] == "error" and entry["httpStatus"] == 200
    assert "malformed JSON" in entry["error"]
    assert entry["pages"] == 1 and "count" not in entry
    _check_others(doc, "users")


def test_exchange_and_arm_faults_use_the_same_bookkeeping(server: GraphServer) -> None:
    server.add_fault(
        "exchangeAdminAuditLogConfig",
        Fault("status", 401, "Unauthorized", "The user is not authorized (Exchange.ManageAsApp)."),
    )
    server.add_fault("entraDiagnosticSettings", Fault.throttle(0, times=1))
    server.add_fault(
        "auditLogRetentionPolicies",
        Fault(
            "status",
            400,
            "BadRequest",
            "The term 'Get-UnifiedAuditLogRetentionPolicy' is not "
            "recognized; the cmdlet is not supported here.",
        ),
    )
    doc = run_collect(
        server,
        [
            "exchangeAdminAuditLogConfig",
            "entraDiagnosticSettings",
            "auditLogRetentionPolicies",
            "exchangeOrganizationConfig",
        ],
    )
    assert doc["sources"]["exchangeAdminAuditLogConfig"]["status"] == "forbidden"
    assert "Exchange.ManageAsApp" in doc["sources"]["exchangeAdminAuditLogConfig"]["error"]
    assert doc["sources"]["entraDiagnosticSettings"] | {"retrievedAt": ""} == {
        "status": "ok",
        "endpoint": "GET /providers/microsoft.aadiam/diagnosticSettings?api-version=2017-04-01-preview",
        "count": 1,
        "retrievedAt": "",
        "pages": 1,
        "retries": 1,
    }
    assert doc["sources"]["auditLogRetentionPolicies"]["status"] == "not_supported"
    assert doc["data"]["exchangeOrganizationConfig"] == server.tenant["exchangeOrganizationConfig"][0]


def test_a_refused_token_stops_collection_with_the_next_step(server: GraphServer, tmp_path: Path) -> None:
    # Graph answers 401 to the first request (organization): the credential is wrong, so a snapshot
    # where every collection is forbidden would only hide that; the run stops as an input error.
    out = tmp_path / "s.json"
    with pytest.raises(InputError) as caught:
        run_collect(server, ["domains", "exchangeOrganizationConfig"], token="wrong", tenant_id="t", out=out)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2 and "authentication failed (--auth token)" in lines[0]
    assert lines[1].startswith("next step:")
    assert not out.exists()


def test_concurrency_bounds_requests_in_flight(server: GraphServer) -> None:
    names = ["domains", "groups", "roleDefinitions", "roleAssignments", "applications", "servicePrincipals"]
    for name in names:
        server.add_fault(name, Fault("timeout", delay=0.15, times=None))
    doc = run_collect(server, names, concurrency=2)
    assert {doc["sources"][n]["status"] for n in names} == {"ok"}
    assert server.max_in_flight == 2


def test_a_next_link_to_another_host_is_not_followed(server: GraphServer) -> None:
    server.add_fault("groups", Fault("foreign_link", times=None))
    doc = run_collect(server, ["groups", *OTHERS])
    entry = doc["sources"]["groups"]
    assert entry["status"] == "error" and "another host" in entry["error"]
    _check_others(doc, "groups")


def test_an_exhausted_budget_stops_paging(server: GraphServer) -> None:
    doc = run_collect(server, ["users"], retry=fast_policy(budget_seconds=1e-9))
    assert doc["sources"]["users"]["status"] == "error"
    assert "time budget" in doc["sources"]["users"]["error"] and "users" not in doc["data"]


def test_a_service_without_beta_is_read_at_v1_for_conditional_access(server: GraphServer) -> None:
    """Conditional access is read from beta (the agent identity conditions live there only); a
    Graph-compatible service that answers 404 for the beta path is read at v1.0 instead, and the
    snapshot says which endpoint its data came from."""
    beta = "/beta/identity/conditionalAccess/policies"
    assert server.by_path.pop(beta) == "conditionalAccessPolicies"
    server.by_path["/v1.0/identity/conditionalAccess/policies"] = "conditionalAccessPolicies"
    doc = run_collect(server, ["conditionalAccessPolicies"])
    entry = doc["sources"]["conditionalAccessPolicies"]
    assert entry["status"] == "ok"
    assert entry["endpoint"].startswith("GET /v1.0/identity/conditionalAccess/policies")
    assert entry["versionFallback"].startswith("beta refused")
    assert doc["data"]["conditionalAccessPolicies"] == server.tenant["conditionalAccessPolicies"]
    assert any(r["path"].startswith(beta) for r in server.requests)


def test_the_beta_read_is_kept_when_beta_answers(server: GraphServer) -> None:
    doc = run_collect(server, ["conditionalAccessPolicies"])
    entry = doc["sources"]["conditionalAccessPolicies"]
    assert entry["endpoint"].startswith("GET /beta/identity/conditionalAccess/policies")
    assert "versionFallback" not in entry
