"""``policies list`` of the built-in library at 80 and 200 columns.

At 80 columns a four-column table left the title 8 characters wide (1,130 lines for the
library). Below 120 columns each policy is now a block: the ID whole on its own line, then
the title and mappings wrapped between words under it.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

import auditor.cli.policies as policies_cli
from auditor.cli import main
from auditor.policy.load import summarise_library

LIBRARY = summarise_library(None)


def _listing(width: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> list[str]:
    buf = io.StringIO()
    monkeypatch.setattr(
        policies_cli, "listing_console", lambda: Console(file=buf, width=width, color_system=None)
    )
    assert main(["policies", "list"]) == 0
    capsys.readouterr()
    return buf.getvalue().splitlines()


def _policy_part(lines: list[str]) -> list[str]:
    return lines[: next(i for i, x in enumerate(lines) if x.startswith("Policies by framework"))]


def test_80_columns_is_readable(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _listing(80, monkeypatch, capsys)
    body = _policy_part(lines)
    assert all(len(x) <= 80 for x in body), max(body, key=len)
    assert len(lines) < 5 * len(LIBRARY)  # was 1,130 lines for 142 policies
    text = "\n".join(body)
    flat = re.sub(r"\s+", " ", text)
    for p in LIBRARY:
        assert (
            f"{p.id}  {p.severity}"
            in lines[lines.index(f"{p.id}  {p.severity}" + (" (manual)" if p.manual else ""))]
        )
        assert " ".join(p.title.split()) in flat  # the whole title, wrapped only between words
    assert lines[0] == f"{len(LIBRARY)} policies"
    # title lines hang under their ID: no line is a narrow table cell
    assert not any("│" in x or "┃" in x for x in body)


def test_200_columns_is_a_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _listing(200, monkeypatch, capsys)
    body = _policy_part(lines)
    assert all(len(x) <= 200 for x in body)
    assert any(x.startswith("┃ ID") and "Title" in x and "Frameworks" in x for x in body)
    rows = [x for x in body if x.startswith("│ ")]
    ids = {x.split("│")[1].strip() for x in rows} - {""}
    assert ids == {p.id for p in LIBRARY}  # every ID whole, on one line
    assert len(lines) < 3 * len(LIBRARY)


def test_pipe_keeps_the_wide_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert policies_cli.listing_console().width >= policies_cli.TABLE_MIN_WIDTH  # not a TTY here
    assert main(["policies", "list"]) == 0
    out = capsys.readouterr().out
    assert "Frameworks" in out and "1 policies" not in out
