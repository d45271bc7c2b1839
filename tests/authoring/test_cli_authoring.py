"""Authoring commands: --policies builtin, policies new, test FILE alone with real errors, policies show by
framework ID; did-you-mean everywhere a name is typed; failed sign-in in at most three lines; help texts."""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cli import build_parser, main
from auditor.policy import load_library
from tests.graphserver import GraphServer

MINE = """\
id: ORG.GUESTS.INVITES
title: Only admins and guest inviters can invite guests
severity: medium
description: d
rationale: r
remediation: x
requires: [authorizationPolicy]
assert: "authorizationPolicy.allowInvitesFrom in ['adminsAndGuestInviters', 'none']"
message: "Guests can be invited by {{ authorizationPolicy.allowInvitesFrom }}"
"""


def _mine(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "org-guests-invites.yaml"
    path.write_text(MINE, encoding="utf-8")
    return path


@pytest.mark.parametrize("spelling", [["builtin,{mine}"], ["builtin", "{mine}"], ["{mine}", "builtin"]])
def test_policies_builtin_adds_the_library_beside_own_policies(
    tmp_path: Path, spelling: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    mine = _mine(tmp_path / "mine").parent
    args = [s.format(mine=mine) for s in spelling]
    out = tmp_path / "r"
    assert (
        main(["audit", "--demo", "--quiet", "--out", str(out), "--format", "json", "--policies", *args]) == 1
    )
    ids = {r["policyId"] for r in json.loads((out / "results.json").read_text())["results"]}
    assert "ORG.GUESTS.INVITES" in ids
    assert ids >= {p.id for p in load_library()}  # the whole built-in library too


def test_policies_without_builtin_replace_the_library(tmp_path: Path) -> None:
    mine = _mine(tmp_path / "mine").parent
    assert [p.id for p in load_library([str(mine)])] == ["ORG.GUESTS.INVITES"]
    # the demo's waivers name built-in policies: they are left out when the library does not run
    out = tmp_path / "r"
    assert main(
        ["audit", "--demo", "--quiet", "--out", str(out), "--format", "json", "--policies", str(mine)]
    ) in (0, 1)
    ids = [r["policyId"] for r in json.loads((out / "results.json").read_text())["results"]]
    assert ids == ["ORG.GUESTS.INVITES"]


def test_policies_new_scaffolds_a_valid_policy_whose_test_fails_until_edited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "policies"
    assert main(["policies", "new", "ORG.GUESTS.INVITE-RESTRICTED", "--dir", str(folder)]) == 0
    policy = folder / "org-guests-invite-restricted.yaml"
    tests = folder / "org-guests-invite-restricted.test.yaml"
    assert policy.is_file() and tests.is_file()
    assert main(["policies", "validate", str(folder)]) == 0
    capsys.readouterr()
    assert main(["test", str(policy)]) == 1  # the placeholder assert fails the passing case
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "a compliant setting passes" in out
        and "expected pass, got fail" in out
        and "2 passed, 1 failed" in out
    )
    # the author writes the real requirement: every case passes
    policy.write_text(
        policy.read_text().replace("== 'TODO'", "in ['adminsAndGuestInviters', 'none']"), encoding="utf-8"
    )
    assert main(["test", str(policy)]) == 0
    # a second scaffold never overwrites
    assert main(["policies", "new", "ORG.GUESTS.INVITE-RESTRICTED", "--dir", str(folder)]) == 2
    assert main(["policies", "new", "not-an-id", "--dir", str(folder)]) == 2


def test_test_file_loads_that_policy_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "p"
    main(["policies", "new", "ORG.A.ONE", "--dir", str(folder)])
    (folder / "org-broken.yaml").write_text("id: ORG.BROKEN\ntitle: [unclosed\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["test", str(folder / "org-a-one.yaml")]) == 1  # runs despite the broken neighbour
    assert "1 test file, 1 policy" in capsys.readouterr().out
    assert main(["test", str(folder)]) == 2  # the folder loads every policy in it


def test_test_prints_the_run_time_error_behind_an_error_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "org-users.yaml").write_text(
        MINE.replace("ORG.GUESTS.INVITES", "ORG.USERS.SIGNIN")
        .replace("requires: [authorizationPolicy]", "requires: [users]")
        .replace(
            "assert: \"authorizationPolicy.allowInvitesFrom in ['adminsAndGuestInviters', 'none']\"",
            "forEach: users\nas: u\nsubject: u.userPrincipalName\n"
            'assert: "u.signInActivity.lastSignInDateTime != null"',
        )
        .replace("{{ authorizationPolicy.allowInvitesFrom }}", "{{ u.displayName }}"),
        encoding="utf-8",
    )
    (folder / "org-users.test.yaml").write_text(
        textwrap.dedent(
            """\
            policy: ORG.USERS.SIGNIN
            cases:
              - name: a user who never signed in fails
                data: {users: [{userPrincipalName: a@contoso.com, displayName: A}]}
                expect: fail
            """
        ),
        encoding="utf-8",
    )
    assert main(["test", str(folder / "org-users.yaml")]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "expected fail, got error" in out
    assert "error: a@contoso.com:" in out and "no such key: 'signInActivity'" in out


@pytest.mark.parametrize(
    ("framework", "lower"), [("cisa-scuba", False), ("cis-m365-v7", False), ("cisa-scuba", True)]
)
def test_policies_show_accepts_a_framework_control_id(
    framework: str, lower: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    library = load_library()
    (control,) = next(p for p in library if p.id == "AAD.MFA.ALL-USERS").frameworks[framework]
    assert main(["policies", "show", control.lower() if lower else control]) == 0
    out = capsys.readouterr().out
    mapped = [p.id for p in library if control in p.frameworks.get(framework, ())]
    assert "AAD.MFA.ALL-USERS" in mapped and all(pid in out for pid in mapped)
    assert f"mapped to {control.lower() if lower else control}" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["policies", "show", "AAD.MFA.ALL-USER"], "did you mean AAD.MFA.ALL-USERS"),
        (["policies", "show", "aad.mfa.all-users"], "did you mean AAD.MFA.ALL-USERS"),
        (["policies", "list", "--framework", "cisa-scbua"], "did you mean cisa-scuba?"),
        (["audit", "--demo", "--baseline", "rollout-gat"], "did you mean rollout-gate?"),
        (["baselines", "show", "cisa-scbua"], "did you mean cisa-scuba?"),
        (["audit", "--demo", "--param", "breakGlassAcounts=[]"], "did you mean breakGlassAccounts"),
        (["collect", "--out", "x.json", "--sources", "user,groups"], "did you mean users?"),
        (["collect", "--out", "x.json", "--import", "exchangeAdminAuditLogConfg=x.json"], "did you mean"),
    ],
)
def test_did_you_mean_for_typed_names(
    argv: list[str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert expected in err and "Traceback" not in err


def test_did_you_mean_in_policy_and_baseline_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = _mine(tmp_path / "mine")
    mine.write_text(
        MINE.replace(
            "requires: [authorizationPolicy]",
            "frameworks: {cisa-scbua: [X]}\nrequires: [authorizationPolicy]",
        )
    )
    assert main(["policies", "validate", str(mine)]) == 2
    assert "did you mean cisa-scuba?" in " ".join(capsys.readouterr().err.split())
    mine.write_text(MINE.replace("requires: [authorizationPolicy]", "requires: [authorizationPolicies]"))
    assert main(["policies", "validate", str(mine)]) == 2
    assert "did you mean authorizationPolicy?" in " ".join(capsys.readouterr().err.split())
    baseline = tmp_path / "b.yaml"
    baseline.write_text(
        "name: b\ntitle: t\npolicies: {include: [AAD.MFA.ALL-USER]}\nwaivers:\n"
        "  - {policy: AAD.LEGACY-AUTH.BLOCKD, reason: r, owner: o, expires: 2099-01-01}\n"
    )
    assert main(["audit", "--demo", "--baseline", str(baseline)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "did you mean AAD.MFA.ALL-USERS" in err and "did you mean AAD.LEGACY-AUTH.BLOCKED" in err


def test_own_framework_names_are_accepted(tmp_path: Path) -> None:
    mine = _mine(tmp_path / "mine")
    mine.write_text(MINE.replace("requires:", "frameworks: {iso-27001: [A.5.17]}\nrequires:"))
    assert main(["policies", "validate", str(mine)]) == 0


def test_failed_sign_in_prints_at_most_three_lines_with_the_next_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", "an-expired-token")
    with GraphServer(users=2, token="the-valid-token") as server:
        code = main(
            ["collect", "--out", str(tmp_path / "s.json"), "--auth", "token", "--graph-url", server.url]
        )
    assert code == 2 and not (tmp_path / "s.json").exists()
    err = capfd.readouterr().err.strip().splitlines()
    assert 1 <= len(err) <= 3, err
    assert "authentication failed (--auth token)" in err[0]
    assert err[-1].startswith("next step:") and "az account get-access-token" in err[-1]


def test_failed_default_sign_in_is_short_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no az, no pwsh, no azd
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:9/token")  # managed identity: refused at once
    monkeypatch.setenv("IMDS_ENDPOINT", "http://127.0.0.1:9")
    with GraphServer(users=2) as server:
        code = main(
            ["collect", "--out", str(tmp_path / "s.json"), "--auth", "default", "--graph-url", server.url]
        )
    assert code == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert 1 <= len(err) <= 3, err
    assert err[-1].startswith("next step:") and "az login" in err[-1]


def _parsers(
    parser: argparse.ArgumentParser, path: str = "auditor"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_subcommand_has_a_description_and_help_has_no_rst_markup() -> None:
    seen = 0
    for path, parser in _parsers(build_parser()):
        seen += 1
        assert parser.description and len(parser.description) > 20, path
        texts = [parser.description, *(a.help or "" for a in parser._actions)]
        for text in texts:
            assert not re.search(r"``|:(func|mod|class|meth|data|ref):`", text), (path, text)
        assert "DESIGN" not in parser.format_help(), path
    assert seen >= 15
