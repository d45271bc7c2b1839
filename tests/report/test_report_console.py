"""The console summary (rendered to plain text)."""

from __future__ import annotations

import copy

from report_builders import passing_doc, results_doc
from rich.console import Group

from auditor.report.console import render_console, render_console_text
from auditor.results import validate_results


def test_console_header_table_notes_and_verdict() -> None:
    text = render_console_text(results_doc(), width=120)
    assert "Contoso (contoso.onmicrosoft.com, 11111111-2222-3333-4444-555555555555)" in text
    assert "aaaaaaaaaaaa" in text and "2026-11-23T12:00:00Z" in text
    assert "rollout-gate" in text and "fail-on high" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("✘ FAIL"))
    order = [
        next(i for i, line in enumerate(lines) if pid in line and i >= start)
        for pid in (
            "AAD.ADMINS.MFA-REGISTERED",
            "AUDIT.UAL.ENABLED",
            "AAD.PIM.ELIGIBLE-ONLY",
            "AAD.LEGACY-AUTH.BLOCKED",
            "AUDIT.LOG.REVIEWED",
            "AAD.SECURITY-DEFAULTS.OFF",
            "AAD.AUTHZ.GUEST-INVITES",
        )
    ]
    assert order == sorted(order)  # fail (critical, high), error, waived, manual, n/a, pass
    assert "FAIL" in lines[order[0]] and "critical" in lines[order[0]]
    assert "• bob@contoso.com" in text and "alice@contoso.com" not in text  # failing subjects only
    assert "FAIL 2  ERROR 1  WAIVED 1  MANUAL 1  N/A 1  PASS 1" in text
    assert "Collections not collected:" in text
    assert "roleEligibilitySchedules  forbidden: HTTP 403: Authorization_RequestDenied" in text
    assert "Expired waivers (not applied): 1" in text
    assert lines[-1].strip() == "Gate: FAILED  (exit 1, fail-on high)"
    assert "\x1b[" not in text


def test_console_renders_markup_like_text_literally() -> None:
    doc = results_doc(sealed=False)
    doc["results"][0]["title"] = "[bold red]not markup[/bold red]"
    text = render_console_text(doc, width=140)
    assert "[bold red]not markup[/bold red]" in text


def test_console_collapses_many_passes_unless_verbose() -> None:
    doc = passing_doc()
    template = doc["results"][0]
    doc = copy.deepcopy(doc)
    doc.pop("integrity")
    doc["results"] = []
    for i in range(15):
        r = copy.deepcopy(template)
        r["policyId"] = f"AAD.OK.P{i:02d}"
        doc["results"].append(r)
    doc["summary"]["pass"] = 15
    validate_results(doc)
    short = render_console_text(doc)
    assert "15 passing policies not shown" in short and "AAD.OK.P00" not in short
    assert "Gate: PASSED  (exit 0, fail-on high)" in short
    assert "Collections not collected" not in short and "Expired waivers" not in short
    full = render_console_text(doc, verbose=True)
    assert all(f"AAD.OK.P{i:02d}" in full for i in range(15)) and "not shown" not in full


def test_console_limits_failing_subjects_unless_verbose() -> None:
    doc = results_doc(sealed=False)
    r = doc["results"][0]
    r["findings"] = [
        {"subject": f"user{i:02d}@contoso.com", "status": "fail", "message": "m", "waiver": None}
        for i in range(8)
    ]
    r["subjectCounts"] = {"pass": 0, "fail": 8, "error": 0}
    text = render_console_text(doc, width=140)
    assert "user02@contoso.com" in text and "user03@contoso.com" not in text and "… and 5 more" in text
    verbose = render_console_text(doc, width=140, verbose=True)
    assert "user07@contoso.com" in verbose and "… and 5 more" not in verbose


def test_incomplete_verdict_and_renderable_type() -> None:
    doc = results_doc(sealed=False)
    doc["summary"].update(gate="incomplete", exitCode=3)
    assert isinstance(render_console(doc), Group)
    assert "Gate: INCOMPLETE  (exit 3, fail-on high)" in render_console_text(doc)
