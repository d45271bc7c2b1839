"""``--limit NAME=VALUE`` and ``--debug`` before and after the command, as docs/limits.md shows.

``auditor --limit X audit SNAPSHOT`` used to fail: the command was found as the first word
not starting with ``-``, which was ``--limit``'s value, so the audit command was never loaded.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import _chosen_command, main

DEMO = Path(__file__).resolve().parents[2] / "auditor" / "data" / "demo-snapshot.json"


@pytest.fixture
def snap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copy(DEMO, tmp_path / "snap.json"))


@pytest.mark.parametrize(
    "words",
    [
        ["--limit", "snapshot-bytes=1KiB", "audit", "snap.json"],
        ["--limit=snapshot-bytes=1KiB", "audit", "snap.json"],
        ["audit", "snap.json", "--limit", "snapshot-bytes=1KiB"],
        ["--debug", "--limit", "snapshot-bytes=1KiB", "audit", "snap.json", "--debug"],
        ["--limit", "eval-elements=9000000", "audit", "snap.json", "--limit", "snapshot-bytes=1KiB"],
    ],
)
def test_limit_takes_effect_before_and_after_the_command(
    words: list[str], snap: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*words, "--out", "r", "-q"]) == 2
    err = capsys.readouterr().err
    assert "larger than the limit of 1024 bytes (--limit snapshot-bytes)" in err
    assert "unrecognized" not in err


@pytest.mark.parametrize(
    "words",
    [
        ["--limit", "snapshot-bytes=4GiB", "audit", "snap.json"],
        ["--debug", "audit", "snap.json"],
        ["audit", "snap.json", "--debug", "--limit", "snapshot-bytes=4GiB"],
    ],
)
def test_generous_limit_or_debug_anywhere_audits_normally(
    words: list[str], snap: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*words, "--out", "r", "-q"]) == 1  # the demo tenant fails its gate
    assert (snap.parent / "r" / "results.json").is_file()
    assert "error" not in capsys.readouterr().err


def test_the_command_is_never_a_limit_value() -> None:
    assert _chosen_command(["--limit", "audit=1", "diff", "a", "b"]) == "diff"
    assert _chosen_command(["--limit", "x=1", "--debug", "audit"]) == "audit"
    assert _chosen_command(["--limit"]) is None


def test_docs_example_through_the_installed_entry_point(snap: Path) -> None:
    """The very line docs/limits.md shows, as a user types it (a new process)."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "limits.md").read_text()
    assert "auditor --limit eval-elements=200000000 audit snapshot.json" in docs
    shutil.copy(snap, snap.parent / "snapshot.json")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "--limit",
            "eval-elements=200000000",
            "audit",
            "snapshot.json",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=snap.parent,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
