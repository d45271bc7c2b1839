"""Issue 20: another local user plants a compiled-policy cache entry that would turn the demo
tenant's failing SMTP AUTH control into a pass (and leave a marker file while it loads).

Every plant has the cache's own format and sits under the exact name a run looks up. The
control case shows the plant is potent when authenticated under the user's key; every hostile
case shows it is never deserialised: the verdict stays ``fail`` and the marker never appears.
Where the folder, key or entry breaks the ownership or mode rules, one warning line says why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.policy import cachestore, load_library

from .cachekit import (
    audit,
    cache_folder_fixture,  # noqa: F401  (fixture)
    code_entry_name,
    demo_snapshot_file,
    fresh_process_fixture,  # noqa: F401  (fixture)
    new_process,
    planted_code,
    planted_pickle,
    policy_entry_name,
    sign,
    smtp_folder_fixture,  # noqa: F401  (fixture)
    user_key,
)

OTHER_UID = 4242

#: (folder, kind, entry name, payload) -> nothing: arranges one attack on a warm cache
Arrange = Callable[[Path, str, str, bytes], None]


def _plant(folder: Path, kind: str, name: str, data: bytes) -> Path:
    path = folder / kind / name
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _signed(folder: Path, kind: str, name: str, payload: bytes) -> Path:
    """Signed with the key now in the folder: whoever can write the folder can replace the key."""
    return _plant(folder, kind, name, sign(user_key(folder), kind, name, payload))


def unsigned(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _plant(folder, kind, name, payload)  # the format before issue 20: a bare pickle / marshal


def zero_tag(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _plant(folder, kind, name, cachestore.MAGIC + bytes(cachestore.TAG_BYTES) + payload)


def attackers_key(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _plant(folder, kind, name, sign(os.urandom(32), kind, name, payload))


def another_entrys_tag(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _plant(folder, kind, name, sign(user_key(folder), kind, "0" * 64 + ".pickle", payload))


def another_kinds_tag(folder: Path, kind: str, name: str, payload: bytes) -> None:
    other = "code" if kind == "policies" else "policies"
    _plant(folder, kind, name, sign(user_key(folder), other, name, payload))


def torn(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _plant(folder, kind, name, cachestore.MAGIC + b"\x01\x02")


def swapped_key(folder: Path, kind: str, name: str, payload: bytes) -> None:
    """The attacker replaces the key with their own and signs the plant: the key is not ours."""
    key = folder / cachestore.KEY_FILE
    key.unlink()
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    os.chown(key, OTHER_UID, OTHER_UID)
    _signed(folder, kind, name, payload)


def folder_group_writable(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload)
    folder.chmod(0o770)


def folder_world_writable(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload)
    folder.chmod(0o777)


def folder_of_another_user(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload)
    os.chown(folder, OTHER_UID, OTHER_UID)


def subfolder_writable(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload)
    (folder / kind).chmod(0o773)


def subfolder_of_another_user(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload)
    os.chown(folder / kind, OTHER_UID, OTHER_UID)


def subfolder_linked(folder: Path, kind: str, name: str, payload: bytes) -> None:
    elsewhere = folder.parent / "attacker"
    (folder / kind).rename(elsewhere)
    (folder / kind).symlink_to(elsewhere, target_is_directory=True)
    _signed(folder, kind, name, payload)


def entry_of_another_user(folder: Path, kind: str, name: str, payload: bytes) -> None:
    os.chown(_signed(folder, kind, name, payload), OTHER_UID, OTHER_UID)


def entry_writable(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload).chmod(0o666)


def entry_linked(folder: Path, kind: str, name: str, payload: bytes) -> None:
    target = folder.parent / "attacker-entry"
    target.write_bytes(sign(user_key(folder), kind, name, payload))
    (folder / kind / name).unlink(missing_ok=True)
    (folder / kind / name).symlink_to(target)


def key_readable(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload)
    (folder / cachestore.KEY_FILE).chmod(0o644)


def key_of_another_user(folder: Path, kind: str, name: str, payload: bytes) -> None:
    _signed(folder, kind, name, payload)
    os.chown(folder / cachestore.KEY_FILE, OTHER_UID, OTHER_UID)


def key_linked(folder: Path, kind: str, name: str, payload: bytes) -> None:
    key = folder / cachestore.KEY_FILE
    target = folder.parent / "attacker-key"
    target.write_bytes(key.read_bytes())
    target.chmod(0o600)
    key.unlink()
    key.symlink_to(target)
    _plant(folder, kind, name, sign(target.read_bytes(), kind, name, payload))


def key_damaged(folder: Path, kind: str, name: str, payload: bytes) -> None:
    key = folder / cachestore.KEY_FILE
    key.write_bytes(key.read_bytes()[:16])
    _plant(folder, kind, name, sign(key.read_bytes(), kind, name, payload))


#: each attack, and what the warning line must say (None: a silent miss is enough)
ATTACKS: list[tuple[Arrange, str | None]] = [
    (unsigned, None),
    (zero_tag, "failed authentication"),
    (attackers_key, "failed authentication"),
    (another_entrys_tag, "failed authentication"),
    (another_kinds_tag, "failed authentication"),
    (torn, None),
    (swapped_key, "owned by another user"),
    (folder_group_writable, "writable by group or others"),
    (folder_world_writable, "writable by group or others"),
    (folder_of_another_user, "owned by another user"),
    (subfolder_writable, "writable by group or others"),
    (subfolder_of_another_user, "owned by another user"),
    (subfolder_linked, "is not a folder"),
    (entry_of_another_user, "owned by another user"),
    (entry_writable, "writable by group or others"),
    (entry_linked, None),
    (key_readable, "readable by group or others"),
    (key_of_another_user, "owned by another user"),
    (key_linked, "symbolic link"),
    (key_damaged, "damaged"),
]


def _payload(kind: str, smtp: Path, tmp_path: Path, marker: Path) -> tuple[str, bytes]:
    if kind == "policies":
        return policy_entry_name(smtp), planted_pickle(smtp, tmp_path, marker)
    return code_entry_name(), planted_code(smtp, marker)


@pytest.mark.parametrize("kind", ["policies", "code"])
def test_a_plant_under_the_users_key_is_potent(
    kind: str, cache_folder: Path, smtp_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Control: the plants below do flip the verdict and run code when authenticated, so what
    stops them in the hostile cases is the cache's checks, not a dud payload."""
    marker = tmp_path / "pwned"
    assert audit(smtp_folder, tmp_path / "r0", capsys)[0] == "fail"
    name, payload = _payload(kind, smtp_folder, tmp_path, marker)
    _signed(cache_folder, kind, name, payload)
    new_process()
    assert audit(smtp_folder, tmp_path / "r1", capsys)[0] == "pass"
    assert marker.exists()


@pytest.mark.parametrize("kind", ["policies", "code"])
@pytest.mark.parametrize(("arrange", "warning"), ATTACKS, ids=[a.__name__ for a, _ in ATTACKS])
def test_a_planted_entry_never_runs(
    arrange: Arrange,
    warning: str | None,
    kind: str,
    cache_folder: Path,
    smtp_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    marker = tmp_path / "pwned"
    assert audit(smtp_folder, tmp_path / "r0", capsys)[0] == "fail"  # a warm, genuine cache
    name, payload = _payload(kind, smtp_folder, tmp_path, marker)
    arrange(cache_folder, kind, name, payload)
    for run in (1, 2):  # and the run after, which may have rewritten the entry
        new_process()
        status, err = audit(smtp_folder, tmp_path / f"r{run}", capsys)
        assert status == "fail"
        assert not marker.exists()
        assert "Traceback" not in err
        if warning is not None and run == 1:
            lines = [line for line in err.splitlines() if line.startswith("auditor: warning:")]
            assert len(lines) == 1 and warning in lines[0], err


def test_nothing_planted_runs_on_verify(
    cache_folder: Path, smtp_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    snap = demo_snapshot_file(tmp_path)
    assert audit(smtp_folder, tmp_path / "r0", capsys, snapshot=snap)[0] == "fail"
    name = policy_entry_name(smtp_folder)
    attackers_key(cache_folder, "policies", name, planted_pickle(smtp_folder, tmp_path, marker))
    zero_tag(cache_folder, "code", code_entry_name(), planted_code(smtp_folder, marker))
    new_process()
    code = main(["verify", str(tmp_path / "r0" / "results.json"), str(snap)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert not marker.exists()


def test_a_relative_xdg_cache_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_folder: Path, fresh_process: None
) -> None:
    """XDG: a relative $XDG_CACHE_HOME is invalid and ignored; the cache must not land in the
    working folder (where a checked-out repository could have put one)."""
    monkeypatch.delenv("AUDITOR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relcache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert cachestore.cache_dir() == tmp_path / "home" / ".cache" / "auditor"
    load_library([smtp_folder])
    assert not any(work.iterdir())
    assert (tmp_path / "home" / ".cache" / "auditor" / "policies").is_dir()


def test_a_relative_auditor_cache_dir_switches_the_cache_off(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_folder: Path,
    fresh_process: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AUDITOR_CACHE_DIR", "relcache")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    status, err = audit(smtp_folder, tmp_path / "r", capsys)
    assert status == "fail"
    assert not (work / "relcache").exists()
    assert "AUDITOR_CACHE_DIR='relcache' is not an absolute path" in err


def test_another_users_folder_is_refused_by_uid(
    cache_folder: Path,
    smtp_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same refusal seen from the other side: the folder belongs to root, we run as 4242."""
    marker = tmp_path / "pwned"
    audit(smtp_folder, tmp_path / "r0", capsys)
    _signed(
        cache_folder,
        "policies",
        policy_entry_name(smtp_folder),
        planted_pickle(smtp_folder, tmp_path, marker),
    )
    new_process()
    monkeypatch.setattr(os, "getuid", lambda: OTHER_UID)
    status, err = audit(smtp_folder, tmp_path / "r1", capsys)
    assert status == "fail" and not marker.exists()
    assert "owned by another user (uid 0)" in err or "owned by another user" in err


def test_a_warm_cache_still_loads(
    cache_folder: Path, smtp_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks do not cost the cache its purpose: a second load compiles nothing."""
    load_library([smtp_folder])
    new_process()
    from auditor.policy import load as load_module

    def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled although the cache was warm")

    monkeypatch.setattr(load_module, "compile_sources", no_compile)
    assert load_library([smtp_folder])[0].id == "EXO.SMTP-AUTH.DISABLED"
    entries = list((cache_folder / "policies").iterdir())
    assert len(entries) == 1 and entries[0].read_bytes().startswith(cachestore.MAGIC)
