"""``collect``'s exit code says whether the snapshot is complete (issue 26, item 4).

0: every collection ``ok`` or answered about the tenant (forbidden, not_licensed, ...);
3: a collection is ``error``, none succeeded, or the tenant is unknown, with the reasons
printed once per reason (fifty identical lines hide the one that matters); 2: usage errors.
Before, ``collect`` against an unreachable Graph printed "0 of 58 collections ok" and exited 0.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.collect.catalog import CATALOG
from tests.collect.conftest import SECRET_TOKEN, cli_args
from tests.graphserver import Fault, GraphServer


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _collect(*args: str) -> list[str]:
    return ["collect", "--auth", "token", "--timeout", "5", "--max-retries", "0", *args]


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    monkeypatch.delenv("CI", raising=False)


def test_an_unreachable_graph_exits_3_with_the_reason_grouped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    out = tmp_path / "s.json"
    assert main(_collect("--out", str(out), "--graph-url", f"http://127.0.0.1:{port}", "--quiet")) == 3
    err = capsys.readouterr().err
    total = len(json.loads(out.read_text("utf-8"))["sources"])
    assert total > 50 and f"{total} of {total} collections failed:" in err
    graph = [
        line
        for line in err.splitlines()
        if f"connection refused to 127.0.0.1:{port} (Microsoft Graph)" in line
    ]
    assert len(graph) == 1, err  # one line for every Graph collection refused alike
    count = int(graph[0].split("(Microsoft Graph), ")[1].split()[0])
    assert count == sum(1 for s in CATALOG.values() if s.api == "graph" and not s.after)
    assert "organization" in graph[0] and "more" in graph[0]
    assert "no collection succeeded" in err
    assert "the tenant is unknown" in err
    assert "Traceback" not in err and "unexpected failure" not in err
    assert out.exists()  # the record of what failed is still written, for the audit to show `error`


def test_with_a_tenant_id_every_api_is_refused_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}"
    code = main(
        _collect("--out", str(tmp_path / "s.json"), "--graph-url", url, "--tenant-id", "contoso.example")
    )
    assert code == 3
    err = capsys.readouterr().err
    assert "the tenant is unknown" not in err  # named by --tenant-id
    assert f"connection refused to 127.0.0.1:{port} (Exchange admin API)" in err
    assert f"connection refused to 127.0.0.1:{port} (Office 365 Management Activity API)" in err
    assert err.count(f"connection refused to 127.0.0.1:{port} (Microsoft Graph)") == 1


def test_one_error_among_ok_collections_is_incomplete(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add_fault("groups", Fault("status", 500, "InternalServerError", "boom", times=None))
    assert (
        main(cli_args(server, tmp_path / "s.json", "--sources", "groups,domains", "--max-retries", "0")) == 3
    )
    err = capsys.readouterr().err
    assert "1 of 2 collections failed:" in err
    assert "InternalServerError: boom (Microsoft Graph), 1 collection: groups" in err


def test_answers_about_the_tenant_are_not_failures(
    server: GraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add_fault("groups", Fault.forbidden())
    server.add_fault("roleEligibilitySchedules", Fault.licence())
    args = cli_args(server, tmp_path / "s.json", "--sources", "groups,roleEligibilitySchedules,domains")
    assert main(args) == 0
    assert "failed" not in capsys.readouterr().err


def test_the_grouping_lists_names_and_counts() -> None:
    from auditor.collect.progress import failure_groups, incomplete_report

    refused = {"status": "error", "error": "connection refused to 127.0.0.1:9 (gave up after 2 retries)"}
    sources = dict.fromkeys(("users", "groups", "domains", "applications", "servicePrincipals"), refused)
    sources["exchangeTransportRules"] = {"status": "forbidden", "error": "needs a role"}
    lines = failure_groups(sources)
    assert lines == [
        "connection refused to 127.0.0.1:9 (Microsoft Graph), 5 collections: "
        "users, groups, domains, applications and 1 more"
    ]
    doc = {
        "tenant": {"id": "t"},
        "sources": {"users": {"status": "ok"}, "exchangeTransportRules": sources["exchangeTransportRules"]},
    }
    assert incomplete_report(doc) == []
