"""Shared helpers for the hostile-input tests (issue 9): run the CLI in-process and
check the outcome every hostile input must have — exit 2 with one line naming the
file, or a bounded ``error`` result — and never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from auditor.cli import main  # noqa: E402
from tests.spine.conftest import (  # noqa: E402, F401  (fixtures re-exported)
    MFA_POLICY,
    ca_policy,
    policy_dir,
    snapshot_doc,
    write,
    write_snapshot,
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``auditor *argv`` in-process; returns (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_input_error(code: int, err: str, *needles: str) -> None:
    """Exit 2, no traceback, an error line (``auditor: error:``, argparse's, or verify's ✗)."""
    assert code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line or line.startswith("✗")]
    assert errors, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


@pytest.fixture
def raw_snapshot(tmp_path: Path) -> Callable[[str | bytes, str], Path]:
    def _write(text: str | bytes, name: str = "bad.json") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


def good_snapshot_text(**data: Any) -> str:
    return json.dumps(snapshot_doc(data or {"conditionalAccessPolicies": [ca_policy("p1")]}))
