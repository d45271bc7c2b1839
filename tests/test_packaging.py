"""A plain wheel carries the built-in policies and baselines, so they work from any directory."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_builtin_library_and_schemas(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("auditor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    policies = {n for n in names if n.startswith("auditor/_builtin/policies/") and n.endswith(".yaml")}
    src = set((ROOT / "policies").rglob("*.yaml"))
    assert len(policies) == len(src)
    assert "auditor/_builtin/baselines/rollout-gate.yaml" in names
    for data in (
        "auditor/snapshot/schema.json",
        "auditor/results/schema.json",
        "auditor/policy/schema.json",
        "auditor/baseline/schema.json",
        "auditor/data/demo-snapshot.json",
        "auditor/py.typed",
        "auditor/data/frameworks/cis-m365-v7.json",
        "auditor/data/frameworks/cisa-scuba.json",
        "auditor/policy/framework_schema.json",
    ):
        assert data in names


def test_cli_finds_library_from_another_directory(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "policies", "list", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "AAD.MFA.ALL-USERS" in proc.stdout
