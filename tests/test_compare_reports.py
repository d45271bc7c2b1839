"""``tools/compare_reports.py``: every report of two runs compared, generatedAt and paths aside."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_reports", ROOT / "tools" / "compare_reports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_reports"] = module
    spec.loader.exec_module(module)
    return module


def test_saved_reports_compare_identical_and_a_changed_byte_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = _tool()
    reference = tmp_path / "reference"
    assert tool.main(["--demo", "--after", str(ROOT), "--save", str(reference)]) == 0
    saved = {p.name for p in reference.iterdir() if not p.name.startswith(".")}
    assert {"results.json", "results.sarif", "results.junit.xml", "summary.md", "findings.csv"} <= saved
    assert {"report.html", "console.txt", "exit-code.txt"} <= saved

    # a second run (another generatedAt, another output folder) is identical once normalised
    assert tool.main(["--demo", "--after", str(ROOT), "--reference", str(reference)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("identical")

    # one changed byte in one report is a difference, named, with its diff
    summary = reference / "summary.md"
    text = summary.read_bytes()
    assert b"FAILED" in text
    summary.write_bytes(text.replace(b"FAILED", b"FA1LED", 1))
    assert tool.main(["--demo", "--after", str(ROOT), "--reference", str(reference)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT  summary.md" in out and "FA1LED" in out
    assert "1 report(s) differ: summary.md" in out


def test_normalised_replaces_generated_at_integrity_tree_and_folder(tmp_path: Path) -> None:
    tool = _tool()
    folder = tmp_path / "run"
    folder.mkdir()
    doc = {"generatedAt": "2026-12-08T01:02:03Z", "integrity": {"algorithm": "sha256", "value": "ab12"}}
    (folder / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "report.html").write_text(
        f"at 2026-12-08T01:02:03Z from /src/tree/policies, in {folder}, hash ab12, kept 2026-12-08",
        encoding="utf-8",
    )
    files = tool.normalised(folder, "/src/tree")
    assert (
        files["report.html"]
        == b"at <generatedAt> from <tree>/policies, in <out>, hash <integrity>, kept 2026-12-08"
    )
