"""The collect, run and permissions commands: exit codes, atomic writes, no secrets
anywhere, and ``auditor collect ... && auditor audit s.json`` end to end."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.snapshot import load_snapshot
from tests.collect.conftest import SECRET_TOKEN, cli_args, run_collect
from tests.graphserver import Fault, GraphServer


def test_collect_then_audit_end_to_end(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "unused-but-present-secret-42")
    logging.getLogger().setLevel(logging.DEBUG)  # even debug logs must not show the token
    out = tmp_path / "s.json"
    assert main(cli_args(server, out)) == 0
    snap = load_snapshot(out)
    assert {e["status"] for e in snap.sources.values()} == {"ok"}
    reports = tmp_path / "reports"
    code = main(["audit", str(out), "--out", str(reports), "--quiet"])
    assert code in (0, 1)  # a gate verdict, not a usage/incomplete error
    results = json.loads((reports / "results.json").read_text())
    assert results["snapshot"]["sha256"] == snap.sha256
    # PowerShell-only sources come in through `auditor import`, DNS lookups only when asked for
    from auditor.collect.catalog import CATALOG, OPT_IN_APIS
    from auditor.policy import load_library

    opt_in = {n for n, src in CATALOG.items() if src.api in OPT_IN_APIS}
    needs_opt_in = {p.id for p in load_library(None) if set(p.requires) & opt_in}
    assert not [
        r["policyId"]
        for r in results["results"]
        if r["status"] == "error"
        and "not collected" in (r.get("message") or "")
        and r["policyId"] not in needs_opt_in
    ]
    captured = capfd.readouterr()
    for text in (out.read_text(), captured.out, captured.err, *(p.read_text() for p in reports.iterdir())):
        assert SECRET_TOKEN not in text and "unused-but-present-secret-42" not in text


def test_run_collects_then_audits_with_the_audits_exit_code(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    snap = tmp_path / "run.json.gz"
    code = main(
        [
            "run",
            "--auth",
            "token",
            "--graph-url",
            server.url,
            "--exchange-url",
            server.url,
            "--arm-url",
            server.url,
            "--snapshot",
            str(snap),
            "--out",
            str(tmp_path / "r"),
            "--quiet",
        ]
    )
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert code == results["summary"]["exitCode"]
    assert load_snapshot(snap).sha256 == results["snapshot"]["sha256"]


def test_missing_token_exits_2_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AUDITOR_ACCESS_TOKEN", raising=False)
    assert main(["collect", "--out", str(tmp_path / "s.json"), "--auth", "token"]) == 2
    err = capsys.readouterr().err
    assert "AUDITOR_ACCESS_TOKEN" in err and "Traceback" not in err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--sources", "users,nonsense"],
        ["--graph-url", "http://graph.example.com"],
        ["--import", "users"],
    ],
)
def test_bad_flags_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    assert main(["collect", "--out", str(tmp_path / "s.json"), "--auth", "token", *args]) == 2


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["collect", "--auth", "token"])  # --out is required
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["collect", "--out", str(tmp_path / "s.json"), "--auth", "password"])
    assert info.value.code == 2


def test_failed_write_keeps_the_old_snapshot(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "s.json"
    run_collect(server, ["domains"], out=out)
    old = out.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    import auditor.snapshot.write as write_mod

    monkeypatch.setattr(write_mod.os, "replace", crash)
    with pytest.raises(OSError):
        run_collect(server, ["domains", "users"], out=out)
    monkeypatch.undo()
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]  # no partial file left behind


def test_failed_collections_are_reported_and_absent_from_data(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    monkeypatch.delenv("CI", raising=False)
    server.add_fault("roleEligibilitySchedules", Fault.licence())
    out = tmp_path / "s.json"
    args = [
        a for a in cli_args(server, out, "--sources", "roleEligibilitySchedules,domains") if a != "--quiet"
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "roleEligibilitySchedules: not_licensed" in err  # one line per collection when not a TTY
    assert "domains: ok" in err
    snap = load_snapshot(out)
    assert "roleEligibilitySchedules" not in snap.data
    assert snap.source_status("roleEligibilitySchedules").status == "not_licensed"


def test_permissions_lists_exactly_what_the_policies_need(capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.collect.catalog import CATALOG, with_prerequisites
    from auditor.policy import load_library

    assert main(["permissions", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # what policies require or read through library functions, and what a dependent collection
    # (groupMembers) reads first
    needed = with_prerequisites(
        {c for p in load_library(None) for c in (*p.requires, *p.reads)} | {"organization"}
    )
    assert {c["name"] for c in doc["collections"]} == needed
    expected = {perm for c in needed for perm in CATALOG[c].permissions}
    assert set(doc["applicationPermissions"]) == expected
    assert "Directory.Read.All" not in expected  # least privilege, not the catch-all
    assert main(["permissions"]) == 0
    table = capsys.readouterr().out
    assert "Organization.Read.All" in table and "application permission" in table


def test_permissions_for_a_baseline_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.baseline import load_baseline
    from auditor.collect.catalog import CATALOG, with_prerequisites
    from auditor.policy import load_library

    baseline = tmp_path / "b.yaml"
    baseline.write_text(
        "name: only-ca\ntitle: CA only\ndescription: test\n"
        "policies: {include: ['AAD.CA.*', 'AAD.CONDITIONAL-ACCESS.*'], exclude: []}\n"
    )
    code = main(["permissions", "--baseline", str(baseline), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    selected = [p for p in load_library(None) if load_baseline(str(baseline)).selects(p.id)]
    needed = with_prerequisites({c for p in selected for c in (*p.requires, *p.reads)} | {"organization"})
    assert doc["policies"] == len(selected)
    assert {c["name"] for c in doc["collections"]} == needed
    assert set(doc["applicationPermissions"]) == {perm for c in needed for perm in CATALOG[c].permissions}


def test_no_network_beyond_localhost(server: GraphServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    hosts: list[str] = []
    real = httpx.AsyncHTTPTransport.handle_async_request

    async def recording(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return await real(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", recording)
    doc = run_collect(server, None)
    assert {e["status"] for e in doc["sources"].values()} == {"ok"}
    assert len(hosts) == len(server.requests) and set(hosts) == {"127.0.0.1"}
    assert all(r["authorized"] for r in server.requests)


def test_unwritable_output_exits_2(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(cli_args(server, blocker / "s.json", "--sources", "domains")) == 2
    err = capsys.readouterr().err
    assert "cannot write snapshot" in err and "Traceback" not in err


def test_loopback_graph_url_keeps_exchange_and_arm_on_this_machine() -> None:
    from auditor.cli.collect import _loopback_origin

    assert _loopback_origin("http://127.0.0.1:8123/v1.0") == "http://127.0.0.1:8123"
    assert _loopback_origin("http://localhost:9/v1.0") == "http://localhost:9"
    assert _loopback_origin("http://[::1]:9/v1.0") == "http://[::1]:9"
    assert _loopback_origin("https://graph.microsoft.us/v1.0") is None
    assert _loopback_origin(None) is None
