"""The package rules between stages are import-linter contracts in ``pyproject.toml``.

``.ci/run`` runs ``lint-imports`` over the package; this test proves that the
contracts bite: a copy of the package with one forbidden import added fails the
check, naming the broken contract, while the unchanged copy passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "auditor", tmp_path / "auditor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "added", "contract"),
    [
        ("engine/aggregate.py", "from auditor import report", "engine never imports collect or report"),
        ("cel/ops.py", "import auditor.errors", "cel imports nothing else of the project"),
        ("collect/arm.py", "from auditor.policy import Policy", "collect never imports policy or engine"),
        ("report/csvfmt.py", "import auditor.engine.model", "report renders from the results document"),
        ("snapshot/model.py", "import auditor.results", "Stages are layered"),
    ],
)
def test_a_forbidden_import_fails_the_check(tmp_path: Path, module: str, added: str, contract: str) -> None:
    root = _copy(tmp_path)
    target = root / "auditor" / module
    target.write_text(target.read_text("utf-8") + f"\n{added}  # noqa\n", "utf-8")
    proc = _lint(root)
    assert proc.returncode != 0, proc.stdout
    broken = [line for line in proc.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), proc.stdout


def test_the_unchanged_package_keeps_every_contract(tmp_path: Path) -> None:
    proc = _lint(_copy(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
