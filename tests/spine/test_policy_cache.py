"""The compiled-policy cache: keyed by the files' content, safe to delete, never trusted blindly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.policy import cache, load_library
from auditor.policy.load import discover_named, read_sources

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
    sources = read_sources(discover_named([root]))
    before = cache.cache_key(sources)
    cache._code_stamp.cache_clear()
    monkeypatch.setattr(cache, "_code_stamp", lambda: "another build of the compiler")
    assert cache.cache_key(sources) != before


def test_generated_code_is_kept_between_runs_and_reused(
    cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An audit keeps the Python it compiled for the policies' expressions; the next run
    (simulated: the process's table emptied, then read back from the cache) compiles none."""
    from auditor.cel import program as cel_program

    monkeypatch.setattr(cel_program, "_CODE", {})
    monkeypatch.setattr(cel_program, "_NEW_CODE", set())
    out = tmp_path / "r1"
    assert main(["audit", "--demo", "--format", "json", "--out", str(out), "--quiet"]) in (0, 1, 3)
    kept = sorted((cache_folder / "code").glob("*.marshal"))
    assert len(kept) == 1 and kept[0].stat().st_size > 0
    first = (out / "results.json").read_text("utf-8")

    cel_program._CODE.clear()  # a new process: nothing compiled yet, nothing new either
    cel_program._NEW_CODE.clear()
    cache.load_code()
    assert len(cel_program._CODE) > 100

    def no_compiler(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled although the code was cached")

    monkeypatch.setattr(cel_program.builtins, "compile", no_compiler)
    before = kept[0].stat().st_mtime_ns
    cel_program.reset_fallback_counts()
    out2 = tmp_path / "r2"
    assert main(["audit", "--demo", "--format", "json", "--out", str(out2), "--quiet"]) in (0, 1, 3)
    assert cel_program.fallback_counts()["build"] == 0
    assert kept[0].stat().st_mtime_ns == before  # nothing new: the file is not rewritten
    second = (out2 / "results.json").read_text("utf-8")
    strip = lambda text: json.loads(text)["results"]  # noqa: E731 - times and hashes differ by run
    assert strip(first) == strip(second)


def test_an_unreadable_code_file_is_ignored(cache_folder: Path) -> None:
    entry = cache._code_entry()
    assert entry is not None
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"\x00not marshal")
    cache.load_code()  # no exception: the code is simply compiled again
    assert main(["audit", "--demo", "--format", "json", "--out", str(cache_folder / "r"), "--quiet"]) in (
        0,
        1,
        3,
    )


def test_entries_are_authenticated_and_private(cache_folder: Path, tmp_path: Path) -> None:
    """The folder is the user's alone, the key readable by the user alone, every entry signed."""
    from auditor.policy import cachestore

    root = tmp_path / "p"
    write(root / "admins.yaml", ADMIN_POLICY)
    load_library([root])
    assert cache_folder.stat().st_mode & 0o777 == 0o700
    assert (cache_folder / "key").stat().st_mode & 0o777 == 0o600
    (entry,) = _entries(cache_folder)
    assert entry.stat().st_mode & 0o777 == 0o600
    assert entry.read_bytes().startswith(cachestore.MAGIC)
    store = cachestore.open_store()
    assert store is not None and store.read("policies", entry.name) is not None
    assert store.read("code", entry.name) is None  # the HMAC binds the kind and the name


def test_policy_file_is_named_as_the_policies_entry_was_written(
    cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "p" / "admins.yaml", ADMIN_POLICY)
    monkeypatch.chdir(tmp_path)
    assert [p.rel_path for p in load_library(["./p"])] == ["p/admins.yaml"]
    monkeypatch.chdir(tmp_path / "p")  # warm cache, another folder, an absolute entry
    assert [p.rel_path for p in load_library([str(tmp_path / "p")])] == [
        f"{tmp_path.as_posix()}/p/admins.yaml"
    ]
