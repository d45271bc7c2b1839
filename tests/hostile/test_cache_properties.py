"""Issue 20: driven by hypothesis, the compiled-policy cache never changes an answer.

Each example is a sequence of runs. Before each run the policy files are edited (verdict flips,
severity changes, broken YAML, nesting and aliases that only some budgets allow), a ``--limit``
budget is chosen, and so are the policy folder, how it is named (relative or absolute) and
from which working folder, and the cache folder. The run's answer without a cache is computed
first; then several threads run it at once against the shared cache, and every one must give
exactly that answer (the results, or the same error). A last test runs separate processes at
once against one cold cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import api, limits
from auditor.cel import program as cel_program
from auditor.errors import InputError
from auditor.policy import cache, cachestore
from tests.spine.conftest import snapshot_doc

from .cachekit import SMTP_POLICY

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

SMTP_TEXT = SMTP_POLICY.read_text("utf-8")
SMTP_ASSERT = "assert: exchangeTransportConfig.SmtpClientAuthenticationDisabled == true"
POSTMASTER = textwrap.dedent(
    """\
    id: TEST.TRANSPORT.POSTMASTER
    title: An external postmaster address is set
    severity: low
    description: The transport configuration names an external postmaster.
    rationale: Bounces need an owner.
    remediation: Set-TransportConfig -ExternalPostmasterAddress.
    requires: [exchangeTransportConfig]
    tags: [exchange]
    assert: exchangeTransportConfig.ExternalPostmasterAddress != null
    """
)

#: each file's variants: what a user (or an attacker racing the cache) might leave on disk
VARIANTS: dict[str, list[str]] = {
    "smtp.yaml": [
        SMTP_TEXT,
        SMTP_TEXT.replace(SMTP_ASSERT, 'assert: "true"'),
        SMTP_TEXT.replace("severity: medium", "severity: critical"),
        SMTP_TEXT.replace(SMTP_ASSERT, "assert: [unclosed"),
        SMTP_TEXT.replace("- exchange-online", "- [[[[[[exchange-online]]]]]]"),
        SMTP_TEXT.replace("requires:", "params:\n  nested: [[[[[[1]]]]]]\nrequires:"),
    ],
    "postmaster.yaml": [
        POSTMASTER,
        POSTMASTER.replace("!= null", "== null"),
        POSTMASTER.replace(
            "tags: [exchange]",
            "tags: &t [a, b, c, d, e, f, g, h, i, j]\nframeworks: {nist-800-53: *t, cis-m365-v5: *t, iso-27001: *t}",
        ),
        POSTMASTER.replace("assert: exchangeTransportConfig", "assert: exchangeTransportConfig.nope("),
    ],
}
LIMITS = [[], ["yaml-depth=6"], ["yaml-nodes=60"], ["yaml-depth=6", "yaml-nodes=60"]]
SNAPSHOT = snapshot_doc(
    {
        "exchangeTransportConfig": {
            "Identity": "Transport Settings",
            "SmtpClientAuthenticationDisabled": False,
            "ExternalPostmasterAddress": None,
        }
    }
)

#: one change to the previous run's inputs: consecutive runs share everything else, so an entry
#: written by one run is there to be (wrongly) reused by the next
change = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(sorted(VARIANTS)), st.integers(0, 9)),
    st.tuples(st.just("limits"), st.integers(0, len(LIMITS) - 1)),
    st.tuples(st.just("root"), st.sampled_from(["a", "b"])),
    st.tuples(st.just("relative"), st.booleans()),
    st.tuples(st.just("cwd"), st.sampled_from(["base", "root", "elsewhere"])),
    st.tuples(st.just("cache"), st.sampled_from(["one", "two"])),
)


def _apply(state: dict[str, Any], what: tuple[Any, ...]) -> dict[str, Any]:
    kind, *args = what
    if kind == "edit":
        name, index = args
        return {**state, "edits": {**state["edits"], name: index % len(VARIANTS[name])}}
    return {**state, kind: args[0]}


def _outcome(paths: list[str]) -> str:
    """The audit's answer as text: the results (policy, status, severity, hash, file, findings)
    or the error. Run in the calling thread with the environment and budgets in force."""
    try:
        cache.load_code()
        doc = api.evaluate(api.prepare(SNAPSHOT, policies=paths))
        cache.store_code()
    except InputError as exc:
        return f"error: {exc}"
    return json.dumps(doc["results"], sort_keys=True, default=str)


def _run_step(base: Path, s: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    root = base / s["root"]
    root.mkdir(exist_ok=True)
    for name, index in s["edits"].items():
        (root / name).write_text(VARIANTS[name][index], encoding="utf-8")
    if s["relative"]:  # as written on a command line run from the folder above
        monkeypatch.chdir(base)
        paths = [s["root"]]
    else:  # an absolute path, from any working folder
        elsewhere = base / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        monkeypatch.chdir({"base": base, "root": root, "elsewhere": elsewhere}[s["cwd"]])
        paths = [str(root)]
    previous = limits.current()
    limits.configure(limits.parse_limits(LIMITS[s["limits"]], previous))
    try:
        monkeypatch.setenv("AUDITOR_CACHE_DIR", "off")
        cel_program._CODE.clear()  # the cold answer compiles everything itself
        expected = _outcome(paths)
        monkeypatch.setenv("AUDITOR_CACHE_DIR", str(base / "cache" / s["cache"]))
        with ThreadPoolExecutor(s["threads"]) as pool:
            answers = list(pool.map(lambda _: _outcome(paths), range(s["threads"])))
        cel_program._CODE.clear()  # a new process reads what the threads left
        answers.append(_outcome(paths))
    finally:
        limits.configure(previous)
    assert answers == [expected] * len(answers), s


start = st.fixed_dictionaries(
    {
        "edits": st.fixed_dictionaries({name: st.integers(0, len(v) - 1) for name, v in VARIANTS.items()}),
        "limits": st.integers(0, len(LIMITS) - 1),
        "root": st.sampled_from(["a", "b"]),
        "relative": st.booleans(),
        "cwd": st.sampled_from(["base", "root", "elsewhere"]),
        "cache": st.sampled_from(["one", "two"]),
    }
)


@SETTINGS
@given(
    state=start,
    changes=st.lists(change, min_size=1, max_size=10),
    threads=st.lists(st.integers(1, 3), min_size=11, max_size=11),
)
def test_the_cache_never_changes_an_answer(
    state: dict[str, Any], changes: list[tuple[Any, ...]], threads: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(cel_program, "_CODE", {})
        monkeypatch.setattr(cel_program, "_NEW_CODE", set())
        monkeypatch.setattr(cachestore, "_WARNED", set())
        _run_step(Path(tmp), {**state, "threads": threads[0]}, monkeypatch)
        for what, n in zip(changes, threads[1:], strict=False):
            state = _apply(state, what)
            _run_step(Path(tmp), {**state, "threads": n}, monkeypatch)


def test_the_variants_cover_every_kind_of_answer() -> None:
    """The edits above are not all alike: they give passes, failures and load errors, and the
    budgets turn some loadable files into errors (else the property would prove little)."""
    answers: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AUDITOR_CACHE_DIR", "off")
        root = Path(tmp)
        for name, texts in VARIANTS.items():
            for text in texts:
                (root / name).write_text(text, encoding="utf-8")
                for budget in LIMITS:
                    previous = limits.current()
                    limits.configure(limits.parse_limits(budget, previous))
                    try:
                        out = _outcome([str(root)])
                    finally:
                        limits.configure(previous)
                    kind = "error" if out.startswith("error") else "ok"
                    if kind == "error":
                        kind += (
                            " depth" if "yaml-depth" in out else " nodes" if "yaml-nodes" in out else " other"
                        )
                    answers.add(kind)
                (root / name).write_text(texts[0], encoding="utf-8")
            answers.update({"pass", "fail"} & set(_statuses(_outcome([str(root)]))))
    assert answers >= {"ok", "error depth", "error nodes", "error other", "fail"}


def _statuses(out: str) -> list[str]:
    return [r["status"] for r in json.loads(out)] if not out.startswith("error") else []


def test_processes_racing_on_one_cold_cache_agree_with_no_cache(tmp_path: Path) -> None:
    """Four audits start at once on an empty cache (two folders, two verdicts), then once more
    warm: each result equals the cache-less run of its folder."""
    folders = {}
    for verdict, text in (("fail", SMTP_TEXT), ("pass", SMTP_TEXT.replace(SMTP_ASSERT, 'assert: "true"'))):
        folder = tmp_path / verdict
        folder.mkdir()
        (folder / "smtp.yaml").write_text(text, encoding="utf-8")
        folders[verdict] = folder
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "AUDITOR_CACHE_DIR": str(tmp_path / "cache")}

    def start(verdict: str, out: str, cache_dir: str | None = None) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "auditor", "audit", "--demo", "--policies", str(folders[verdict])]
        argv += ["--format", "json", "--out", str(tmp_path / out), "--quiet"]
        run_env = {**env, "AUDITOR_CACHE_DIR": cache_dir} if cache_dir else env
        return subprocess.Popen(argv, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def status(out: str) -> str:
        doc = json.loads((tmp_path / out / "results.json").read_text("utf-8"))
        return str(doc["results"][0]["status"])

    racing = [start(v, f"{v}{i}") for v in folders for i in range(2)]
    cold = [start(v, f"{v}-nocache", "off") for v in folders]
    for proc in racing + cold:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, 1), err
        assert b"warning" not in err
    warm = [start(v, f"{v}-warm") for v in folders]
    for proc in warm:
        proc.communicate(timeout=120)
    for verdict in folders:
        expected = status(f"{verdict}-nocache")
        assert expected == verdict
        assert [status(f"{verdict}{i}") for i in range(2)] + [status(f"{verdict}-warm")] == [expected] * 3
    assert len(list((tmp_path / "cache" / "policies").glob("*.pickle"))) == 2


def test_one_key_when_runs_race_to_create_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs that find no key at once end up with the same one (and so can read each other's entries)."""
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cachestore, "_WARNED", set())
    with ThreadPoolExecutor(8) as pool:
        stores = list(pool.map(lambda _: cachestore.open_store(), range(8)))
    keys = {s._key for s in stores if s is not None}
    assert len(keys) == 1 and len([s for s in stores if s is not None]) == 8
    assert (tmp_path / "cache" / "key").stat().st_mode & 0o777 == 0o600
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".key.")]
