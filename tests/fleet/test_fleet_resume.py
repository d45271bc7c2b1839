"""Resume: a ``fleet run`` killed mid-run (the whole process group, workers included) and
run again skips the tenants it had finished — the pre-collected ones by their inputs, the
collected one because the interrupted run's id is still on disk — and completes the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from auditor.cli import main
from tests.fleet.conftest import GOOD_ID, SNAP_IDS, SOURCES, TOKEN, write_fleet
from tests.graphserver import GraphServer
from tests.graphserver.server import Fault

ROOT = Path(__file__).resolve().parents[2]
SLOW_ID = "66666666-6666-4666-8666-666666666666"


def test_killed_run_resumes_without_redoing_finished_tenants(tmp_path, demo_snapshot, credentials, capsys):
    with GraphServer(users=10, token=TOKEN) as quick, GraphServer(users=10, token=TOKEN) as slow:
        # the slow tenant's organization request hangs long enough to kill the run around it
        slow.add_fault("organization", Fault(kind="timeout", delay=60.0, times=None))
        tenants = [
            {
                "id": SLOW_ID,
                "auth": "token",
                "credentialsEnv": "GOOD",
                "graphUrl": slow.url,
                "sources": SOURCES,
            },
            {
                "id": GOOD_ID,
                "auth": "token",
                "credentialsEnv": "GOOD",
                "graphUrl": quick.url,
                "sources": SOURCES,
            },
            *({"id": sid, "snapshot": str(demo_snapshot)} for sid in SNAP_IDS),
        ]
        fleet = write_fleet(tmp_path / "fleet.yaml", tenants)
        out = tmp_path / "out"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "auditor",
                "fleet",
                "run",
                str(fleet),
                "--out",
                str(out),
                "--workers",
                "2",
                "--quiet",
            ],
            env=env,
            start_new_session=True,  # its own process group: the kill takes the workers too
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            done = [out / t / "fleet-task.json" for t in (GOOD_ID, *SNAP_IDS)]
            deadline = time.monotonic() + 45
            while not all(p.is_file() for p in done) and time.monotonic() < deadline:
                assert proc.poll() is None, "the run ended before it could be interrupted"
                time.sleep(0.2)
            assert all(p.is_file() for p in done)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert not (out / "fleet.json").exists() and (out / ".fleet-run.json").is_file()
        assert not (out / SLOW_ID / "fleet-task.json").exists()
        stamps = {p: p.stat().st_mtime_ns for p in done}
        requests_before = quick.counts.copy()

        slow.faults.clear()
        code = main(["fleet", "run", str(fleet), "--out", str(out), "--workers", "2"])

    err = capsys.readouterr().err
    assert err.count("(done earlier, skipped)") == 3
    assert {p: p.stat().st_mtime_ns for p in done} == stamps
    assert quick.counts == requests_before  # the finished collected tenant was not collected again
    assert code == 1  # the demo snapshots fail their gate
    doc = json.loads((out / "fleet.json").read_text())
    assert {t["id"] for t in doc["tenants"]} == {SLOW_ID, GOOD_ID, *SNAP_IDS}
    assert (out / SLOW_ID / "results.json").is_file()
    assert not (out / ".fleet-run.json").exists()  # the run finished: the next one starts afresh
