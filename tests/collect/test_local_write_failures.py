"""A write this machine refuses is a local write failure: one line, exit 2, nothing half-written.

Issue 20: ``auditor import`` under a file-size limit ended in "unexpected failure", and
``collect`` recorded a full disk (its spool files) as a tenant collection ``error`` and exited 0,
so a CI job went on to audit a snapshot that said the tenant had failed. Each case here checks the
exit code, the one-line message, that the previous file is byte-for-byte intact and that no
temporary file or spool folder is left behind.
"""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from tests.collect.conftest import SECRET_TOKEN, cli_args
from tests.graphserver import GraphServer

ROOT = Path(__file__).resolve().parents[2]
IMPORT = '{"UnifiedAuditLogIngestionEnabled": true, "AdminAuditLogEnabled": true}'


def _demo_snapshot(folder: Path) -> Path:
    from importlib import resources

    path = folder / "snap.json"
    path.write_bytes(resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes())
    return path


def _limited(max_bytes: int) -> Any:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return limit


def _run_limited(args: list[str], cwd: Path, max_bytes: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AUDITOR_ACCESS_TOKEN": SECRET_TOKEN,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited(max_bytes),
    )


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("auditor: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "unexpected failure" not in err
    return lines[0]


def _only(folder: Path, *names: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)  # no partial file, no spool


def test_import_over_the_file_size_limit_is_a_local_write_failure(tmp_path: Path) -> None:
    snap = _demo_snapshot(tmp_path)
    (tmp_path / "audit.json").write_text(IMPORT)
    before = snap.read_bytes()
    done = _run_limited(
        ["import", str(snap), f"exchangeAdminAuditLogConfig={tmp_path / 'audit.json'}"], tmp_path, 4096
    )
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done.stderr)
    assert "local write failure" in line and os.strerror(errno.EFBIG) in line and str(snap) in line
    assert snap.read_bytes() == before
    _only(tmp_path, "snap.json", "audit.json")


@pytest.mark.parametrize(
    ("where", "code"),
    [("fsync", errno.ENOSPC), ("mkstemp", errno.EACCES), ("replace", errno.EROFS)],
    ids=["disk-full", "permission-denied", "read-only-file-system"],
)
def test_import_that_cannot_write_keeps_the_snapshot(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    code: int,
) -> None:
    import auditor.snapshot.write as write_mod

    snap = _demo_snapshot(tmp_path)
    (tmp_path / "audit.json").write_text(IMPORT)
    before = snap.read_bytes()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    target = write_mod.tempfile if where == "mkstemp" else write_mod.os
    monkeypatch.setattr(target, where, refuse)
    assert main(["import", str(snap), f"exchangeAdminAuditLogConfig={tmp_path / 'audit.json'}"]) == 2
    monkeypatch.undo()
    line = _one_error_line(capsys.readouterr().err)
    assert "local write failure" in line and os.strerror(code) in line
    assert snap.read_bytes() == before
    _only(tmp_path, "snap.json", "audit.json")


def test_collect_over_the_file_size_limit_is_a_local_write_failure(
    server: GraphServer, tmp_path: Path
) -> None:
    out = tmp_path / "s.json"
    out.write_text('{"previous": "snapshot"}')
    args = [a for a in cli_args(server, out, "--sources", "users,groups,domains") if a != "--quiet"]
    done = _run_limited(args, tmp_path, 16 * 1024)
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done.stderr)
    assert "local write failure" in line and os.strerror(errno.EFBIG) in line
    assert "users: error" not in done.stderr  # not recorded as the tenant's fault
    assert out.read_text() == '{"previous": "snapshot"}'
    _only(tmp_path, "s.json")


def test_collect_with_a_full_disk_under_its_spool_exits_2(
    server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import auditor.collect.spool as spool_mod

    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def close(self) -> None:
            pass

    monkeypatch.setattr(spool_mod.os, "fdopen", lambda fd, *a, **k: (os.close(fd), Full())[1])
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    out = tmp_path / "s.json"
    out.write_text("previous")
    assert main(cli_args(server, out, "--sources", "users,domains")) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "local write failure" in line and os.strerror(errno.ENOSPC) in line and str(out) in line
    assert out.read_text() == "previous"
    _only(tmp_path, "s.json")
