"""Static checks that CI must keep green: mypy over the package and ruff over the tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_is_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "auditor"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or "ruff"
    proc = subprocess.run(
        [ruff, "check", "auditor", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dependency_rules_between_stages() -> None:
    """docs/architecture.md: cel imports nothing of the project; engine never imports collect or report;
    collect never imports policy or engine; report never imports engine."""
    rules = {
        "cel": ("auditor.",),
        "engine": ("auditor.collect", "auditor.report"),
        "collect": ("auditor.policy", "auditor.engine"),
        "report": ("auditor.engine",),
    }
    problems = []
    for package, banned in rules.items():
        for path in (ROOT / "auditor" / package).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                stripped = line.strip()
                if not stripped.startswith(("import auditor", "from auditor")):
                    continue
                module = stripped.split()[1]
                if package == "cel" and module.startswith("auditor.cel"):
                    continue
                if any(
                    module == b.rstrip(".")
                    or module.startswith(b if b.endswith(".") else b + ".")
                    or module == b
                    for b in banned
                ):
                    problems.append(f"{path.relative_to(ROOT)}:{n}: {stripped}")
    assert problems == []
