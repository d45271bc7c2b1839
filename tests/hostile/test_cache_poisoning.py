"""Issue 20: a warm compiled-policy cache must never answer differently from a cold run.

* a policy file edited during a run (between reading, hashing, compiling and storing) cannot
  leave an entry that makes a later run report the other text's verdict;
* an authenticated entry whose policies do not carry the hashes of the bytes on disk is not
  believed, and ``verify`` hashes the policy files itself, warm cache or not;
* a tighter ``--limit`` is never answered from an entry compiled under a looser one;
* ``policyFile`` is the same whatever the working folder and the cache hold.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor import limits
from auditor.cli import main
from auditor.policy import cache, load_library
from auditor.policy import load as load_module
from auditor.policy.cachestore import open_store

from .cachekit import (
    SMTP,
    audit,
    cache_folder_fixture,  # noqa: F401  (fixture)
    demo_snapshot_file,
    forged_policies,
    fresh_process_fixture,  # noqa: F401  (fixture)
    new_process,
    policy_entry_name,
    sign,
    smtp_folder_fixture,  # noqa: F401  (fixture)
    user_key,
)

PASSING = 'assert: "true"'
FAILING = "assert: exchangeTransportConfig.SmtpClientAuthenticationDisabled == true"


def _results(out: Path) -> dict[str, Any]:
    doc = json.loads((out / "results.json").read_text("utf-8"))
    return {r["policyId"]: r for r in doc["results"]}


def _hook(monkeypatch: pytest.MonkeyPatch, where: str, edit: Callable[[], None]) -> None:
    """Run ``edit`` at one point of loading the library, as a concurrent writer would."""
    owner = {"after-key": cache, "before-compile": load_module, "before-store": cache}[where]
    name = {"after-key": "cache_key", "before-compile": "compile_sources", "before-store": "store"}[where]
    original = getattr(owner, name)
    done: list[bool] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            edit()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)


@pytest.mark.parametrize("where", ["after-key", "before-compile", "before-store"])
@pytest.mark.parametrize("direction", ["fail-to-pass", "pass-to-fail"])
def test_an_edit_during_a_run_cannot_poison_a_later_run(
    where: str,
    direction: str,
    cache_folder: Path,
    smtp_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's attack: the run hashes text A, the file says B while it compiles, then A again
    (a branch switched and back, an editor saving twice). Every later run of A must give A's verdict."""
    policy = next(smtp_folder.iterdir())
    genuine = policy.read_text("utf-8")
    texts = {"fail": genuine, "pass": genuine.replace(FAILING, PASSING)}
    first, during = direction.split("-to-")
    policy.write_text(texts[first], encoding="utf-8")

    def edit() -> None:
        policy.write_text(texts[during], encoding="utf-8")

    _hook(monkeypatch, where, edit)
    audit(smtp_folder, tmp_path / "during", capsys)
    monkeypatch.undo()
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(cache_folder))
    during_run = _results(tmp_path / "during")[SMTP]
    # the run that saw the edit is consistent with itself: the verdict of the bytes it hashed
    hashed = {hashlib.sha256(t.encode()).hexdigest(): v for v, t in texts.items()}
    assert during_run["status"] == hashed[during_run["policySha256"]]

    # nothing is stored under a text's key but that text's policies
    store = open_store()
    assert store is not None
    for text in texts.values():
        policy.write_text(text, encoding="utf-8")
        blob = store.read("policies", policy_entry_name(smtp_folder))
        if blob is not None:
            assert [p.sha256 for p in pickle.loads(blob)] == [hashlib.sha256(text.encode()).hexdigest()]

    for text in (texts[first], texts[during], texts[first]):
        policy.write_text(text, encoding="utf-8")
        new_process()
        out = tmp_path / f"later-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        status, _ = audit(smtp_folder, out, capsys)
        expected = "pass" if text == texts["pass"] else "fail"
        assert status == expected
        assert _results(out)[SMTP]["policySha256"] == hashlib.sha256(text.encode()).hexdigest()


def test_an_authenticated_entry_with_other_hashes_is_not_believed(
    cache_folder: Path, smtp_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry written by this user's auditor but holding other bytes' policies (the shape the
    old key-before-compile race left) is recompiled: a cached hash never stands in for the file's."""
    audit(smtp_folder, tmp_path / "r0", capsys)
    name = policy_entry_name(smtp_folder)
    forged = tuple(dataclasses.replace(p, sha256="0" * 64) for p in forged_policies(smtp_folder, tmp_path))
    payload = pickle.dumps(forged)
    (cache_folder / "policies" / name).write_bytes(sign(user_key(cache_folder), "policies", name, payload))
    new_process()
    status, _ = audit(smtp_folder, tmp_path / "r1", capsys)
    assert status == "fail"
    raw = next(smtp_folder.iterdir()).read_bytes()
    assert _results(tmp_path / "r1")[SMTP]["policySha256"] == hashlib.sha256(raw).hexdigest()


def test_verify_detects_an_edited_policy_with_a_warm_cache(
    cache_folder: Path, smtp_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = demo_snapshot_file(tmp_path)
    policy = next(smtp_folder.iterdir())
    genuine = policy.read_text("utf-8")
    assert audit(smtp_folder, tmp_path / "fail", capsys, snapshot=snap)[0] == "fail"
    policy.write_text(genuine.replace(FAILING, PASSING), encoding="utf-8")
    assert audit(smtp_folder, tmp_path / "pass", capsys, snapshot=snap)[0] == "pass"  # both texts cached
    for results, verdict in ((tmp_path / "fail", 1), (tmp_path / "pass", 0)):
        new_process()
        code = main(["verify", str(results / "results.json"), str(snap)])
        out = capsys.readouterr().out
        assert code == verdict, out
        if verdict:
            assert "policy hashes differ for 1 policy" in out and SMTP in out
    policy.write_text(genuine, encoding="utf-8")
    new_process()
    assert main(["verify", str(tmp_path / "fail" / "results.json"), str(snap)]) == 0
    capsys.readouterr()


def test_verify_hashes_the_files_even_when_the_cache_lies(
    cache_folder: Path,
    smtp_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Should a cached library ever carry a recorded hash (a bug, a forged entry that passed every
    check), verify's own reading of the file still tells the truth."""
    snap = demo_snapshot_file(tmp_path)
    policy = next(smtp_folder.iterdir())
    genuine = policy.read_bytes()
    audit(smtp_folder, tmp_path / "fail", capsys, snapshot=snap)
    policy.write_text(genuine.decode().replace(FAILING, PASSING), encoding="utf-8")
    lying = load_library([smtp_folder])
    recorded = hashlib.sha256(genuine).hexdigest()
    monkeypatch.setattr(
        load_module,
        "load_library",
        lambda paths=None: tuple(dataclasses.replace(p, sha256=recorded) for p in lying),
    )
    monkeypatch.setattr("auditor.api.load_library", load_module.load_library)
    code = main(["verify", str(tmp_path / "fail" / "results.json"), str(snap)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "policy hashes differ for 1 policy" in out
    assert "re-evaluation read other bytes than the policy files hold" in out


@pytest.mark.parametrize(
    ("limit", "words"), [("yaml-depth=2", "--limit yaml-depth"), ("yaml-nodes=20", "--limit yaml-nodes")]
)
def test_a_tighter_limit_is_not_answered_from_the_cache(
    limit: str,
    words: str,
    cache_folder: Path,
    smtp_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["audit", "--demo", "--policies", str(smtp_folder), "--format", "json", "--quiet"]
    monkeypatch.setenv("AUDITOR_CACHE_DIR", "off")
    assert main([*argv, "--out", str(tmp_path / "cold"), "--limit", limit]) == 2
    cold = capsys.readouterr().err
    assert words in cold
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(cache_folder))
    assert main([*argv, "--out", str(tmp_path / "warm")]) in (0, 1)  # the looser run fills the cache
    new_process()
    assert main([*argv, "--out", str(tmp_path / "tight"), "--limit", limit]) == 2
    assert capsys.readouterr().err == cold


def test_every_limit_is_part_of_the_key(smtp_folder: Path) -> None:
    """Every budget, today's and any added later, changes the key (over-inclusive is safe)."""
    sources = load_module.read_sources(load_module.discover_named([smtp_folder]))
    base = cache.cache_key(sources)
    previous = limits.current()
    try:
        for field in dataclasses.fields(limits.Limits):
            limits.configure(dataclasses.replace(previous, **{field.name: getattr(previous, field.name) - 1}))
            assert cache.cache_key(sources) != base, field.name
    finally:
        limits.configure(previous)
    assert cache.cache_key(sources) == base


def test_the_key_covers_the_python_build(smtp_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = load_module.read_sources(load_module.discover_named([smtp_folder]))
    base = cache.cache_key(sources)
    code = cache._code_name()
    import importlib.util
    import sys

    for target, value in (
        (sys, "version"),
        (importlib.util, "MAGIC_NUMBER"),
    ):
        with monkeypatch.context() as m:
            m.setattr(target, value, b"other" if value == "MAGIC_NUMBER" else "3.99 other")
            assert cache.cache_key(sources) != base and cache._code_name() != code
    with monkeypatch.context() as m:
        m.setattr(sys.implementation, "name", "otherpython", raising=False)
        assert cache.cache_key(sources) != base


def test_policy_file_does_not_depend_on_the_working_folder_or_the_cache(
    cache_folder: Path,
    tmp_path: Path,
    smtp_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same command writes the same ``policyFile`` from any folder, cold or warm."""
    names: list[str] = []
    for cwd, cache_dir in (
        (tmp_path, "off"),
        (tmp_path, str(cache_folder)),
        (smtp_folder, str(cache_folder)),
        (Path("/"), str(cache_folder)),
        (Path("/"), "off"),
    ):
        monkeypatch.chdir(cwd)
        monkeypatch.setenv("AUDITOR_CACHE_DIR", cache_dir)
        new_process()
        out = tmp_path / f"r{len(names)}"
        audit(smtp_folder, out, capsys)
        names.append(_results(out)[SMTP]["policyFile"])
    assert names == [f"{smtp_folder.as_posix()}/exo-smtp-auth-disabled.yaml"] * 5


def test_a_relative_policies_entry_names_files_as_written_and_sarif_anchors_them(
    cache_folder: Path,
    tmp_path: Path,
    smtp_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Run from the repository's root with ``--policies ./p`` (as CI does): ``policyFile`` is
    ``p/…``, a path that exists in the repository, and SARIF (no anchor with --demo) points at it."""
    monkeypatch.chdir(tmp_path)
    docs = []
    for run in range(2):  # cold, then warm
        new_process()
        out = tmp_path / f"s{run}"
        code = main(
            ["audit", "--demo", "--policies", "./p", "--format", "json,sarif", "--out", str(out), "--quiet"]
        )
        assert code in (0, 1)
        docs.append(_results(out)[SMTP])
        sarif = json.loads((out / "results.sarif").read_text("utf-8"))
        uris = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for res in sarif["runs"][0]["results"]
            for loc in res["locations"]
        }
        assert uris == {"p/exo-smtp-auth-disabled.yaml"}
        assert (tmp_path / "p" / "exo-smtp-auth-disabled.yaml").is_file()
    capsys.readouterr()
    assert docs[0] == docs[1]
    assert docs[0]["policyFile"] == "p/exo-smtp-auth-disabled.yaml"


def test_built_in_policies_are_named_from_the_library_root(
    cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    library = {p.id: p for p in load_library(None)}
    assert library[SMTP].rel_path == "policies/exchange/exo-smtp-auth-disabled.yaml"
