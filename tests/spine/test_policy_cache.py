"""The compiled-policy cache: keyed by the files' content, safe to delete, never trusted blindly."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main
from auditor.policy import cache, load_library

from .conftest import ADMIN_POLICY, write


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(folder))
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted((folder / "policies").glob("*.pickle"))


def test_a_second_load_comes_from_the_cache_and_evaluates_the_same(
    cache_folder: Path, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    write(root / "admins.yaml", ADMIN_POLICY)
    first = load_library([root])
    assert len(_entries(cache_folder)) == 1
    second = load_library([root])
    assert second is not first and [p.id for p in second] == [p.id for p in first]
    program = second[0].assert_.program  # type: ignore[union-attr]
    item = {"methodsRegistered": ["fido2"]}
    assert program.evaluate({"admin": item, "params": {"methods": ["fido2"]}}) is True


def test_an_edit_misses_the_cache_and_a_broken_entry_is_ignored(cache_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "p"
    path = write(root / "admins.yaml", ADMIN_POLICY)
    load_library([root])
    path.write_text(ADMIN_POLICY.replace("severity: high", "severity: low"), encoding="utf-8")
    assert load_library([root])[0].severity == "low"
    assert len(_entries(cache_folder)) == 2
    for entry in _entries(cache_folder):
        entry.write_bytes(b"not a pickle")
    assert load_library([root])[0].severity == "low"


def test_the_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert load_library()  # compiles, writes nothing


def test_policies_list_reads_no_expression(cache_folder: Path, tmp_path: Path, capsys) -> None:
    root = tmp_path / "p"
    # an expression that does not compile: listing does not care, validation does
    write(root / "admins.yaml", ADMIN_POLICY.replace("admin.methodsRegistered.exists", "admin.nope(("))
    assert main(["policies", "list", "--policies", str(root), "--json"]) == 0
    assert "TEST.ADMINS.PHISHING-RESISTANT" in capsys.readouterr().out
    assert main(["policies", "validate", str(root)]) == 2
    assert not _entries(cache_folder)


def test_a_changed_compiler_misses_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = tmp_path / "p"
    write(root / "admins.yaml", ADMIN_POLICY)
    files = [root / "admins.yaml"]
    before = cache.cache_key(files)
    cache._code_stamp.cache_clear()
    monkeypatch.setattr(cache, "_code_stamp", lambda: "another build of the compiler")
    assert cache.cache_key(files) != before
