"""What the cache tests share: an isolated cache folder, the SMTP AUTH control (which the demo
tenant fails), and the attacker's tools — valid-format pickles and code tables that would turn
that failure into a pass and leave a marker file, signed or not."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import marshal
import pickle
import shutil
from importlib import resources
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

from auditor.builtin import builtin_dir
from auditor.cel import program as cel_program
from auditor.cli import main
from auditor.policy import cache, cachestore
from auditor.policy.load import discover_named, load_policy_file, read_sources
from auditor.policy.model import Policy

SMTP = "EXO.SMTP-AUTH.DISABLED"
SMTP_POLICY = builtin_dir("policies") / "exchange" / "exo-smtp-auth-disabled.yaml"


@pytest.fixture(name="fresh_process")
def fresh_process_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process starts with: no generated code compiled or imported, no warning given."""
    monkeypatch.setattr(cel_program, "_CODE", {})
    monkeypatch.setattr(cel_program, "_NEW_CODE", set())
    monkeypatch.setattr(cachestore, "_WARNED", set())


@pytest.fixture(name="cache_folder")
def cache_folder_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_process: None) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(name="smtp_folder")
def smtp_folder_fixture(tmp_path: Path) -> Path:
    """A policy folder holding a copy of the built-in SMTP AUTH control."""
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(SMTP_POLICY, folder / SMTP_POLICY.name)
    return folder


def new_process() -> None:
    """Forget what this process compiled and warned, as a later run would."""
    cel_program._CODE.clear()
    cel_program._NEW_CODE.clear()
    cachestore._WARNED.clear()


def demo_snapshot_file(folder: Path) -> Path:
    """The demo tenant as a snapshot file (``verify`` needs one)."""
    path = folder / "demo-snapshot.json"
    path.write_bytes(resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes())
    return path


def audit(
    policies: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str, snapshot: Path | None = None
) -> tuple[str, str]:
    """Audit the demo tenant with ``policies``; (the SMTP control's status, stderr)."""
    source = [str(snapshot)] if snapshot else ["--demo"]
    argv = ["audit", *source, "--policies", str(policies), "--format", "json", "--out", str(out), *extra]
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 1), err
    doc = json.loads((out / "results.json").read_text("utf-8"))
    return {r["policyId"]: r["status"] for r in doc["results"]}[SMTP], err


def sign(key: bytes, kind: str, name: str, payload: bytes) -> bytes:
    """An entry in the cache's format, authenticated under ``key``."""
    mac = hmac.new(key, f"{kind}\0{name}\0".encode(), hashlib.sha256)
    mac.update(payload)
    return cachestore.MAGIC + mac.digest() + payload


def policy_entry_name(policies: Path) -> str:
    """The name the cache gives the entry of ``policies``: anyone can compute it."""
    return f"{cache.cache_key(read_sources(discover_named([policies])))}.pickle"


def code_entry_name() -> str:
    return cache._code_name()


def _plant(marker: str, policies: tuple[Policy, ...]) -> tuple[Policy, ...]:
    """What the planted pickle runs while it is loaded: leave a mark, hand back the forgery."""
    Path(marker).write_text("the planted pickle ran", encoding="utf-8")
    return policies


class _Gadget:
    def __init__(self, marker: Path, policies: tuple[Policy, ...]) -> None:
        self.marker, self.policies = marker, policies

    def __reduce__(self) -> tuple[Any, ...]:
        return (_plant, (str(self.marker), self.policies))


def forged_policies(policies: Path, tmp: Path) -> tuple[Policy, ...]:
    """The folder's policies as the cache would hold them, with SMTP AUTH's assertion made
    ``true``: path, name and sha256 are the genuine file's, so only authentication stops it."""
    (path, name, raw) = read_sources(discover_named([policies]))[0]
    fake = tmp / "forged.yaml"
    text = raw.decode().replace(
        "assert: exchangeTransportConfig.SmtpClientAuthenticationDisabled == true", 'assert: "true"'
    )
    assert text != raw.decode()
    fake.write_text(text, encoding="utf-8")
    forged = load_policy_file(fake, fake.read_bytes(), name)
    return (dataclasses.replace(forged, path=str(path), sha256=hashlib.sha256(raw).hexdigest()),)


def planted_pickle(policies: Path, tmp: Path, marker: Path) -> bytes:
    """A pickle that, loaded, writes ``marker`` and yields the forged library."""
    return pickle.dumps(_Gadget(marker, forged_policies(policies, tmp)))


def smtp_source(policies: Path) -> str:
    """The Python the CEL engine generates for SMTP AUTH's assertion (the code table's key)."""
    (path, name, raw) = read_sources(discover_named([policies]))[0]
    policy = load_policy_file(path, raw, name)
    assert policy.assert_ is not None
    return policy.assert_.program._generated_source()


def planted_code(policies: Path, marker: Path) -> bytes:
    """A code table in which SMTP AUTH's assertion writes ``marker`` and returns true."""
    body = f"def _eval(a):\n    open({str(marker)!r}, 'w').write('the planted code ran')\n    return True\n"
    code: CodeType = compile(body, "<cel _eval>", "exec")
    return marshal.dumps({smtp_source(policies): code})


def user_key(folder: Path) -> bytes:
    return (folder / cachestore.KEY_FILE).read_bytes()
