"""Issue 26: the demo's critical findings read whole on a terminal (80 and 200 columns, rich,
forced terminal) and in a pipe: every name in full on one line, no message cut to a width."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from rich.console import Console

from auditor.cli import main
from auditor.report.console import render_console
from auditor.report.consolelines import render_console_lines

CRITICAL = ("AAD.MFA.ALL-USERS", "AAD.MFA.PHISHING-RESISTANT-ADMINS")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo")
    assert main(["audit", "--demo", "--format", "json", "--out", str(out), "--quiet"]) == 1
    doc: dict[str, Any] = json.loads((out / "results.json").read_text())
    return doc


def _terminal(doc: dict[str, Any], width: int) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, force_terminal=True, color_system=None, highlight=False).print(
        render_console(doc), crop=False
    )
    return buf.getvalue()


def _shown_names(doc: dict[str, Any]) -> list[str]:
    """The first uncovered users of the critical controls (those every view shows)."""
    names = []
    for r in doc["results"]:
        if r["policyId"] in CRITICAL:
            assert r["status"] == "fail" and r["findings"], r["policyId"]
            names += [f["subject"] for f in r["findings"][:3]]
    return names


def _assert_whole(text: str, doc: dict[str, Any], width: int | None) -> None:
    lines = text.splitlines()
    if width is not None:
        assert max(len(ln.rstrip()) for ln in lines) <= width
    for name in _shown_names(doc):
        # the name on one line, not wrapped or cut inside
        assert any(re.search(rf"(^|[\s(:,]){re.escape(name)}($|[\s,:)])", ln) for ln in lines), name
    flat = " ".join(text.split())
    for r in doc["results"]:
        if r["policyId"] in CRITICAL:
            # the whole message (count, names, grouped reasons), only wrapped at spaces
            assert " ".join(r["message"].split()) in flat, r["policyId"]
            for f in r["findings"][:3]:
                assert " ".join(f["message"].split()) in flat
    # nothing cut: the only ellipsis says how many more there are
    assert not [ln for ln in lines if "…" in ln and not re.search(r"… and \d+ more|and \d+ more", ln)]


def test_demo_criticals_whole_on_an_80_column_terminal(demo: dict[str, Any]) -> None:
    text = _terminal(demo, 80)
    _assert_whole(text, demo, 80)
    # a hanging indent: a continuation of a subject's line starts under its text, not at column 0
    bullet = next(i for i, ln in enumerate(text.splitlines()) if "• svc-mailarchiver@contosopharma.com" in ln)
    assert text.splitlines()[bullet + 1].startswith("      ")


def test_demo_criticals_whole_on_a_200_column_terminal(demo: dict[str, Any]) -> None:
    _assert_whole(_terminal(demo, 200), demo, 200)


def test_demo_criticals_whole_in_a_pipe(demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    _assert_whole(render_console_lines(demo), demo, None)
    assert main(["audit", "--demo"]) == 1  # stdout is not a terminal under pytest: plain lines
    out = capsys.readouterr().out
    _assert_whole(out, demo, None)
    line = next(ln for ln in out.splitlines() if ln.startswith("FAIL   critical AAD.MFA.ALL-USERS "))
    assert (
        "2 of 42 users" in line
        and "svc-mailarchiver@contosopharma.com, svc-scanner@contosopharma.com" in line
    )
    assert (
        "Why: 2 users: 'CA001b - Internals - Require MFA' excludes them through group 'CA-Exclude-MFA'"
        in line
    )


def test_fix_first_in_a_pipe_has_count_names_fix_and_link(demo: dict[str, Any]) -> None:
    lines = render_console_lines(demo).splitlines()
    start = lines.index("Fix first:")
    block = lines[start : start + 41]
    entries = [ln for ln in block if re.match(r"^  (critical|high|medium|low|info) ", ln)]
    assert len(entries) == 10
    at = next(i for i, ln in enumerate(block) if ln.split()[1:2] == ["AAD.MFA.ALL-USERS"])
    assert block[at + 1].strip() == (
        "who: 2 affected: svc-mailarchiver@contosopharma.com, svc-scanner@contosopharma.com"
    )
    assert block[at + 2].strip().startswith("fix: Require MFA for All users and All resources")
    assert block[at + 3].strip() == (
        "in:  Microsoft Entra admin center "
        "https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/~/Policies"
    )
