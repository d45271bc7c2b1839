"""The README's commands work as written: set-up commands, and the usage block run against the
Graph-compatible test server (the only change: ``--auth token`` and the server's URL)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from auditor.cli import main
from tests.authoring.conftest import ROOT
from tests.graphserver import GraphServer

TOKEN = "readme-test-token"


def _blocks(section: str) -> list[str]:
    """Fenced code blocks of one ``## section`` of the README."""
    text = (ROOT / "README.md").read_text("utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```[a-z]*\n(.*?)```", body, re.S)


def _commands(block: str) -> list[list[str]]:
    out = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        for part in line.split("&&"):
            words = shlex.split(part)
            if words:
                out.append(words)
    return out


def test_setup_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    blocks = _blocks("Set-up (fresh machine, Python ≥ 3.11)")
    assert len(blocks) == 2
    demo, tests = (b.strip() for b in blocks)
    for cmd in (demo, tests):
        # a virtual environment before any pip install (externally managed system Pythons refuse it)
        assert (
            cmd.index("python3 -m venv .venv") < cmd.index(". .venv/bin/activate") < cmd.index("pip install")
        )
    assert demo.endswith("auditor audit --demo")
    assert tests.endswith("python3 -m pytest -n 2 -q")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert tests in ci


def test_demo_command_runs_and_fails_the_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (demo,) = [c for c in _commands(_blocks("Set-up (fresh machine, Python ≥ 3.11)")[0]) if c[0] == "auditor"]
    assert main([*demo[1:], "--quiet"]) == 1  # the README says the demo gate fails
    assert (tmp_path / "reports" / "results.json").is_file()


def _localise(words: list[str], url: str) -> list[str]:
    """The README line as a user would run it, pointed at the test server."""
    args = list(words[1:])
    if words[1] in ("collect", "run"):
        if "--auth" in args:
            del args[args.index("--auth") : args.index("--auth") + 2]
        args += ["--auth", "token", "--graph-url", url]
    return args


def test_usage_block_runs_in_order_against_the_graph_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (block,) = _blocks("Use")
    commands = [c for c in _commands(block) if c[0] == "auditor"]
    assert [c[1] for c in commands] == ["collect", "audit", "run", "verify"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", TOKEN)
    with GraphServer(users=30, token=TOKEN) as server:
        for words in commands:
            args = _localise(words, server.url)
            code = main([*args, "--quiet"] if words[1] in ("collect", "audit", "run") else args)
            expected = {0} if words[1] in ("collect", "verify") else {0, 1}
            assert code in expected, (words, code)
    assert (tmp_path / "snapshot.json").is_file()
    assert (tmp_path / "reports" / "results.json").is_file()
    assert (tmp_path / "reports" / "results.sarif").is_file()
