"""Tenant text in CI logs, step summaries and terminals (issue 20).

Anyone who can name an application, a group or a user writes text that auditor prints. In a
GitHub Actions log a line starting with ``::add-mask::`` hides text, ``::error`` forges an
annotation, ``::stop-commands::`` switches command processing off; in ``summary.md`` (a pull
request comment, a step summary) Markdown makes images and links; in a terminal, bidi
overrides reorder what is shown. Every printed line goes through one sanitiser
(``auditor/report/safetext.py``); these tests feed it the payloads through the real commands.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from auditor.report import safetext
from auditor.report.markdown import cell
from tests.hostile.conftest import ca_policy, run, snapshot_doc, write

#: how the payload gets onto a line of its own
BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\n   "]
#: GitHub Actions workflow commands and the older form
COMMANDS = [
    "::add-mask::secret-verdict",
    "::error file=a,line=1::gate passed",
    "::set-output name=gate::passed",
    "::stop-commands::tok123",
    "::warning::x",
    "::notice::x",
    "::group::x",
    "::save-state name=a::b",
    "##[error]forged",
    "::debug::x",
]
PAYLOADS = [f"app{b}{c}" for b in BREAKS for c in COMMANDS[:4]] + [f"x{BREAKS[0]}{c}" for c in COMMANDS[4:]]
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
CONTROL_CHARS = (
    "".join(chr(c) for c in [*range(0, 9), *range(11, 32), *range(127, 160)]) + BIDI + "\u2028\u2029"
)

_COMMAND_LINE = re.compile(r"^\s*(::|##\[)")


def _assert_no_command_lines(text: str) -> None:
    # the runner splits on \n and \r; a browser may also break at U+2028/2029
    for line in re.split(r"[\n\r\u2028\u2029\x85]", text):
        assert not _COMMAND_LINE.match(line), repr(line)


def _assert_clean(text: str) -> None:
    _assert_no_command_lines(text)
    for ch in CONTROL_CHARS:
        if ch not in "\n":
            assert ch not in text, f"{ch!r} in output"


POLICY = """
id: TEST.CI.APPS
title: Every application is listed
severity: high
description: d
rationale: r
remediation: r
requires: [servicePrincipals]
forEach: "servicePrincipals"
as: sp
subject: "sp.displayName"
assert: "false"
message: "{{ sp.displayName }} has {{ sp.appId }}"
"""


def _snapshot(tmp_path: Path, names: list[str], tenant: str = "Contoso") -> Path:
    doc = snapshot_doc(
        {"servicePrincipals": [{"id": f"s{i}", "appId": n, "displayName": n} for i, n in enumerate(names)]}
    )
    doc["tenant"]["displayName"] = tenant
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("payload", PAYLOADS, ids=[repr(p)[1:30] for p in PAYLOADS])
def test_an_application_name_cannot_start_a_workflow_command_in_the_console(
    tmp_path: Path, capsys, payload: str
) -> None:
    snap = _snapshot(tmp_path, [payload, payload + BIDI], tenant=payload)
    pol = write(tmp_path / "p" / "apps.yaml", POLICY)
    code, out, err = run(
        capsys, "audit", str(snap), "--policies", str(pol), "--out", str(tmp_path / "r"), "-v"
    )
    assert code == 1, err
    _assert_clean(out + err)
    assert "\\::" in out or "\\##[" in out  # shown, defused
    # the document keeps the data as the tenant wrote it
    doc = json.loads((tmp_path / "r" / "results.json").read_text("utf-8"))
    assert payload in {f["subject"] for f in doc["results"][0]["findings"]}


def test_the_terminal_rendering_is_guarded_too_when_it_wraps(tmp_path: Path, capsys, monkeypatch) -> None:
    """A terminal is sometimes a CI log (``docker run -t``); rich wraps long names at spaces."""
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    names = ["x" * 40 + " ::add-mask::hidden " + "y" * 30, "a\n::error::forged", "b" * 70 + "::warning::w"]
    snap = _snapshot(tmp_path, names)
    pol = write(tmp_path / "p" / "apps.yaml", POLICY)
    code, out, err = run(
        capsys, "audit", str(snap), "--policies", str(pol), "--out", str(tmp_path / "r"), "-v"
    )
    assert code == 1, err
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    _assert_no_command_lines(plain)
    assert "add-mask" in plain and "forged" in plain


def test_error_and_warning_lines_cannot_start_a_workflow_command(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad\n::add-mask::x.json"
    bad.write_text("{", encoding="utf-8")
    code, out, err = run(capsys, "audit", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2
    _assert_clean(out + err)


# -- summary.md ------------------------------------------------------------------------------

MARKDOWN_PAYLOADS = [
    "![pixel](https://evil.example/p.png)",
    "[click here](https://evil.example/login)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<a href='https://evil.example'>x</a>",
    "https://evil.example/bare",
    "www.evil.example",
    "cell | break | out",
    "`code` and ``double``",
    "**bold** _em_ ~~strike~~",
    "[ref]: https://evil.example",
    "<details open>",
    "&lt;img src=x&gt;",
    "\\![escaped](https://evil.example/e.png)",
    "x\n\n| a | b |\n|---|---|\n| c | d |",
]
_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _rendered(markdown: str) -> str:
    return _MD.render(markdown)


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_summary_md_makes_no_image_link_or_html_from_tenant_text(
    tmp_path: Path, capsys, payload: str
) -> None:
    snap = _snapshot(tmp_path, [payload], tenant=payload)
    pol = write(tmp_path / "p" / "apps.yaml", POLICY)
    code, _, err = run(capsys, "audit", str(snap), "--policies", str(pol), "--out", str(tmp_path / "r"), "-q")
    assert code == 1, err
    md = (tmp_path / "r" / "summary.md").read_text("utf-8")
    page = _rendered(md)
    assert "<img" not in page and "<script" not in page
    assert "<a " not in page
    assert not re.search(r"<(strong|em|del)>", page.split("Remediation")[0].split("Failing subjects")[-1])
    # every table row still has the columns of its header
    header: int | None = None
    for line in md.splitlines():
        if not line.startswith("|"):
            header = None  # a table ends at the first line that is not a row
            continue
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        if header is None:
            header = len(cells)
        assert len(cells) == header, line
    _assert_no_command_lines(md)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_markdown_cells_render_as_the_text_itself(text: str) -> None:
    """Whatever the text, a cell renders to that text (one line, no controls), never markup."""
    row = f"| h |\n|---|\n| {cell(text, 0)} |\n"
    page = _rendered(row)
    assert "<img" not in page and "<a " not in page and "<code>" not in page and "<em>" not in page
    body = page.split("<tbody>")[1] if "<tbody>" in page else ""
    shown = html.unescape(re.sub(r"</?(tbody|tr|td|table)>", "", body)).strip()
    expected = " ".join(safetext.inert(text).split())
    assert " ".join(shown.split()) == expected


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120), st.sampled_from(["", "FAIL   high     ID  ", "  "]))
def test_generated_console_fields_stay_on_one_harmless_line(text: str, prefix: str) -> None:
    flat = safetext.inert(text)
    assert not re.search(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", flat)
    assert not any(ch in flat for ch in CONTROL_CHARS if ch != "\n")
    _assert_no_command_lines(safetext.guard_lines(prefix + flat))
    _assert_no_command_lines(safetext.guard_lines(prefix + text))


# -- whatif ---------------------------------------------------------------------------------


def _whatif_snapshot(tmp_path: Path, policies: list[Any], users: Any = None) -> Path:
    users = (
        users
        if users is not None
        else [{"id": "u1", "userPrincipalName": "a@contoso.com", "displayName": "A"}]
    )
    path = tmp_path / "w.json"
    path.write_text(json.dumps(snapshot_doc({"conditionalAccessPolicies": policies, "users": users})))
    return path


def test_whatif_strips_escape_and_bidi_characters_and_commands(tmp_path: Path, capsys) -> None:
    names = ["\x1b[2Jgate \u202eDEKCOLB\u202c", "p\n::add-mask::x", "q\u2028##[error]forged"]
    snap = _whatif_snapshot(tmp_path, [{**ca_policy("p"), "displayName": n} for n in names])
    code, out, err = run(capsys, "whatif", str(snap), "--user", "a@contoso.com")
    assert code == 0, err
    _assert_clean(out + err)
    assert "[2Jgate DEKCOLB" in out
    code, out, err = run(capsys, "whatif", str(snap), "--user", "a@contoso.com", "--json")
    assert code == 0 and "\u202e" not in out and "\x1b" not in out
    assert {p["name"] for p in json.loads(out)["policies"]} == set(names)  # the data, escaped


def _cond(**over: Any) -> dict[str, Any]:
    base = ca_policy("p")
    return {**base, "conditions": {**base["conditions"], **over}}


MALFORMED: list[tuple[str, Any, str]] = [
    ("conditions-string", {**ca_policy("p"), "conditions": "x"}, "conditions is a string"),
    (
        "conditions-missing",
        {k: v for k, v in ca_policy("p").items() if k != "conditions"},
        "conditions is null",
    ),
    ("users-number", _cond(users=5), "conditions.users is a number"),
    ("applications-list", _cond(applications=["All"]), "conditions.applications is a list"),
    ("include-users-string", _cond(users={"includeUsers": "All"}), "includeUsers is a string"),
    ("include-users-numbers", _cond(users={"includeUsers": [1]}), "includeUsers[0] is a number"),
    ("client-app-types-string", _cond(clientAppTypes="all"), "clientAppTypes is a string"),
    ("platforms-true", _cond(platforms=True), "platforms is a boolean"),
    ("policy-list", [ca_policy("p")], "conditionalAccessPolicies[0] is a list"),
    ("policy-string", "p", "conditionalAccessPolicies[0] is a string"),
    ("grant-string", {**ca_policy("p"), "grantControls": "mfa"}, "grantControls is a string"),
    (
        "grant-controls-object",
        {**ca_policy("p"), "grantControls": {"builtInControls": {}}},
        "builtInControls",
    ),
    ("session-list", {**ca_policy("p"), "sessionControls": []}, "sessionControls is a list"),
    ("state-number", {**ca_policy("p"), "state": 5}, "state is a number"),
    ("name-list", {**ca_policy("p"), "displayName": ["x"]}, "displayName is a list"),
]


@pytest.mark.parametrize(("policy", "needle"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_whatif_on_malformed_shapes_is_a_one_line_error_naming_the_snapshot(
    tmp_path: Path, capsys, policy: Any, needle: str
) -> None:
    snap = _whatif_snapshot(tmp_path, [policy])
    code, _out, err = run(capsys, "whatif", str(snap), "--user", "a@contoso.com")
    assert code == 2, err
    assert "unexpected failure" not in err and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(snap) in lines[0] and needle in lines[0], err


@pytest.mark.parametrize("users", [[5], [["a@contoso.com"]], [{"id": "u1", "userPrincipalName": 7}]])
def test_whatif_on_malformed_users_is_a_one_line_error(tmp_path: Path, capsys, users: Any) -> None:
    snap = _whatif_snapshot(tmp_path, [ca_policy("p")], users=users)
    code, _, err = run(capsys, "whatif", str(snap), "--user", "a@contoso.com")
    assert code == 2 and "unexpected failure" not in err and str(snap) in err, err


# -- diff -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_diff_strips_control_and_bidi_characters(tmp_path: Path, capsys, fmt: str) -> None:
    pol = write(tmp_path / "p" / "apps.yaml", POLICY)
    old = _snapshot(tmp_path, ["ok"])
    run(capsys, "audit", str(old), "--policies", str(pol), "--out", str(tmp_path / "a"), "-q")
    new = _snapshot(
        tmp_path, ["ok", "evil\u202egnp.exe\n::add-mask::x\x1b[31m", "![i](https://evil.example/i.png)"]
    )
    run(capsys, "audit", str(new), "--policies", str(pol), "--out", str(tmp_path / "b"), "-q")
    code, out, err = run(
        capsys,
        "diff",
        str(tmp_path / "a" / "results.json"),
        str(tmp_path / "b" / "results.json"),
        "--format",
        fmt,
    )
    assert code == 0, err
    _assert_clean(out + err)
    if fmt == "json":  # the data whole, the characters as escapes
        assert "\\u202e" in out and json.loads(out)
    if fmt == "markdown":
        assert "<img" not in _rendered(out)
