"""Snapshots, results and reports are written 0600 by default; ``--mode`` widens them.

Issue 20: snapshots (names, principal names, mail addresses) were written 0644, readable by
every local user. The default must hold whatever the umask is (a umask of 000 is common in
containers), and ``--mode`` on ``collect``, ``import``, ``audit`` and ``run`` gives exactly the
permissions asked for, refusing modes that would make no sense for data files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from auditor.cli import main
from tests.collect.conftest import SECRET_TOKEN, cli_args
from tests.graphserver import GraphServer


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The most permissive umask: the default must not rely on the user's umask."""
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.json"
    path.write_bytes(resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes())
    path.chmod(0o644)
    return path


@pytest.mark.parametrize(("extra", "expected"), [((), 0o600), (("--mode", "0640"), 0o640)])
@pytest.mark.parametrize("name", ["s.json", "s.json.gz"])
def test_collect_writes_the_snapshot_private_unless_widened(
    server: GraphServer, tmp_path: Path, name: str, extra: tuple[str, ...], expected: int
) -> None:
    out = tmp_path / name
    assert main(cli_args(server, out, "--sources", "domains", *extra)) == 0
    assert _mode(out) == expected


def test_collect_replacing_a_world_readable_snapshot_makes_it_private(
    server: GraphServer, tmp_path: Path
) -> None:
    out = tmp_path / "s.json"
    out.write_text("{}")
    out.chmod(0o644)
    assert main(cli_args(server, out, "--sources", "domains")) == 0
    assert _mode(out) == 0o600


@pytest.mark.parametrize(("extra", "expected"), [((), 0o600), (("--mode", "664"), 0o664)])
def test_import_rewrites_the_snapshot_private_unless_widened(
    tmp_path: Path, extra: tuple[str, ...], expected: int
) -> None:
    snap = _demo(tmp_path)
    imported = tmp_path / "audit.json"
    imported.write_text('{"UnifiedAuditLogIngestionEnabled": true}')
    assert main(["import", str(snap), f"exchangeAdminAuditLogConfig={imported}", *extra]) == 0
    assert _mode(snap) == expected


@pytest.mark.parametrize(("extra", "expected"), [((), 0o600), (("--mode", "0o640"), 0o640)])
def test_audit_writes_every_report_private_unless_widened(
    tmp_path: Path, extra: tuple[str, ...], expected: int
) -> None:
    out = tmp_path / "reports"
    assert main(["audit", "--demo", "--out", str(out), "-q", *extra]) in (0, 1)
    files = sorted(out.iterdir())
    assert "results.json" in {f.name for f in files} and len(files) >= 6
    assert {f.name: _mode(f) for f in files} == {f.name: expected for f in files}


def test_run_applies_one_mode_to_the_snapshot_and_the_reports(server: GraphServer, tmp_path: Path) -> None:
    snap, out = tmp_path / "s.json", tmp_path / "r"
    args = ["run", "--auth", "token", "--graph-url", server.url, "--snapshot", str(snap)]
    code = main([*args, "--sources", "domains", "--out", str(out), "--quiet", "--mode", "0640"])
    assert code in (0, 1, 3)
    assert _mode(snap) == 0o640
    assert {_mode(f) for f in out.iterdir()} == {0o640}


@pytest.mark.parametrize("bad", ["0755", "0400", "4600", "rw-r-----", "0o1000", "", "9"])
def test_a_mode_that_makes_no_sense_for_data_files_is_refused(
    tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["audit", "--demo", "--out", str(tmp_path / "r"), "--mode", bad])
    assert info.value.code == 2
    assert "--mode" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
