"""Issue 26: a policy's one-line ``fix`` is an action, never a menu path; built-in policies
must have one, a user's own policy without one still loads (a warning from validate)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.policy import load_library, load_policy_file
from auditor.policy.fixlint import fix_problem, lint_fix

POLICY = """\
id: MY.ORG.SETTING
title: "A setting is on"
severity: high
description: d
rationale: r
remediation: |
  Portal: Microsoft Entra admin center > Identity > Settings.
{fix}requires: [organization]
assert: "size(organization) > 0"
"""


@pytest.mark.parametrize(
    "text",
    [
        "Portal: Microsoft Entra admin center > Entra ID > Conditional Access",
        "Microsoft Entra admin center > Protection > Conditional Access > New policy",
        "Entra ID > Conditional Access > Policies > New policy.",
        "Go to Settings and switch it on",
        "Open the Exchange admin center and edit the policy",
        "Settings > Org settings > Calendar: untick the box",
        "Purview portal: turn on auditing",
        "Defender portal → Policies & rules → Threat policies",
    ],
)
def test_menu_paths_and_portal_names_are_rejected(text: str) -> None:
    assert fix_problem(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Require MFA for All users and All resources in an enabled conditional access policy.",
        "Run Set-OrganizationConfig -AuditDisabled $false so mailbox auditing is on.",
        'Set SharePoint external sharing to "Existing guests" or "Only people in your organization".',
        "Publish a _dmarc TXT record (v=DMARC1; p=reject) for each listed domain.",
        'Turn off "Anonymous users can join a meeting" in the meeting policies.',
    ],
)
def test_actions_are_accepted(text: str) -> None:
    assert fix_problem(text) is None


def _write(tmp_path: Path, fix: str) -> Path:
    path = tmp_path / "my-setting.yaml"
    path.write_text(POLICY.format(fix=fix), encoding="utf-8")
    return path


def test_a_user_policy_without_fix_loads_and_validates_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "")
    policy = load_policy_file(path)
    assert policy.fix == ""
    assert lint_fix(policy)[0] == [] and "no 'fix'" in lint_fix(policy)[1][0]
    assert main(["policies", "validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "MY.ORG.SETTING" in captured.err and "1 policy valid" in captured.out


def test_a_menu_path_fix_fails_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, 'fix: "Portal: Microsoft Entra admin center > Identity > Settings"\n')
    assert load_policy_file(path).fix.startswith("Portal:")  # it loads: the lint is validate's
    assert main(["policies", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "my-setting.yaml: MY.ORG.SETTING: fix starts with a portal name" in err and "1 error(s)" in err


def test_a_multi_line_fix_is_a_schema_error(tmp_path: Path) -> None:
    from auditor.errors import InputErrors

    path = _write(tmp_path, 'fix: "Turn it on.\\nThen wait."\n')
    with pytest.raises(InputErrors):
        load_policy_file(path)


def test_a_builtin_policy_without_fix_is_an_error() -> None:
    policy = next(p for p in load_library() if p.id == "AAD.MFA.ALL-USERS")
    errors, warnings = lint_fix(replace(policy, fix=""))
    assert warnings == [] and "AAD.MFA.ALL-USERS" in errors[0]


def test_the_fix_reaches_the_results_document(tmp_path: Path) -> None:
    import json

    assert main(["audit", "--demo", "--format", "json", "--out", str(tmp_path), "--quiet"]) == 1
    doc = json.loads((tmp_path / "results.json").read_text())
    entry = next(r for r in doc["results"] if r["policyId"] == "AAD.MFA.ALL-USERS")
    assert entry["fix"].startswith("Require MFA for All users")
