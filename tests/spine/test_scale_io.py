"""Start-up imports only the chosen command; snapshots are written in pieces, hashed as written."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from auditor.snapshot import load_snapshot, write_snapshot
from auditor.snapshot.write import encode_document

from .conftest import reg, snapshot_doc

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(*argv: str) -> set[str]:
    code = (
        "import sys\n"
        "from auditor.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return set(out.split())


def test_version_imports_no_command_and_no_heavy_library() -> None:
    loaded = _modules_after("--version")
    assert not {m for m in loaded if m.startswith("auditor.cli.")}
    assert not {"jsonschema", "yaml", "rich", "auditor.cel", "auditor.engine"} & loaded


def test_a_command_imports_only_its_own_module() -> None:
    loaded = _modules_after("baselines", "list")
    assert "auditor.cli.baselines" in loaded
    assert not {"auditor.cli.collect", "auditor.cli.verify", "auditor.cli.diff", "auditor.engine"} & loaded


def test_help_still_lists_every_command(capsys) -> None:
    from auditor.cli import COMMANDS, main

    try:
        main(["--help"])
    except SystemExit:
        pass
    text = capsys.readouterr().out
    assert all(name in text for name in COMMANDS)


def _doc() -> dict:
    users = [{**reg(f"u{i}@x.com", False, ["fido2"]), "displayName": "é"} for i in range(2500)]
    data = {"userRegistrationDetails": users, "groupMembers": {"g": [{"id": str(i)} for i in range(1200)]}}
    return snapshot_doc(data)


def test_streamed_snapshot_is_the_compact_encoding_and_its_hash(tmp_path: Path) -> None:
    doc = _doc()
    digest = write_snapshot(tmp_path / "s.json", doc)
    raw = (tmp_path / "s.json").read_bytes()
    assert raw == json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert digest == hashlib.sha256(raw).hexdigest() == load_snapshot(tmp_path / "s.json").sha256


def test_gzip_snapshots_are_reproducible_and_load(tmp_path: Path) -> None:
    doc = _doc()
    first = write_snapshot(tmp_path / "a.json.gz", doc)
    second = write_snapshot(tmp_path / "b.json.gz", doc)
    assert first == second  # no file name or time in the gzip header
    zipped = (tmp_path / "a.json.gz").read_bytes()
    assert gzip.decompress(zipped) == encode_document(doc, compress=False)
    assert load_snapshot(tmp_path / "a.json.gz").data["groupMembers"]["g"][5] == {"id": "5"}
