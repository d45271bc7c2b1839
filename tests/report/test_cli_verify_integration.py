"""``audit`` then ``verify`` for real: the re-evaluation runs the engine on the same inputs.

Uses its own small policies (not the built-in library) so that it tests the
audit/verify contract, not policy content.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_builders import snapshot_doc, write_snapshot

import auditor.cli

POLICY = """\
id: TEST.GUESTS.INVITES
title: Guest invitations are restricted
severity: high
description: Only admins invite guests.
rationale: Uncontrolled guests.
remediation: Set allowInvitesFrom to adminsAndGuestInviters.
frameworks: {nist-800-53: [AC-2]}
requires: [authorizationPolicy]
assert: "authorizationPolicy.allowInvitesFrom in ['adminsAndGuestInviters', 'none']"
message: "Invitations allowed from {{ authorizationPolicy.allowInvitesFrom }}"
"""

PER_USER = """\
id: TEST.USERS.NAMED
title: Users have a plain display name
severity: low
description: d
rationale: r
remediation: Rename them.
requires: [users]
forEach: users
as: user
subject: user.userPrincipalName
assert: "!user.displayName.contains('<')"
message: "display name {{ user.displayName }}"
"""


@pytest.fixture
def audited(tmp_path: Path) -> tuple[Path, Path, Path]:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "guests.yaml").write_text(POLICY)
    (policies / "users.yaml").write_text(PER_USER)
    snapshot, _ = write_snapshot(tmp_path / "snapshot.json")
    out = tmp_path / "out"
    code = auditor.cli.main(
        ["audit", str(snapshot), "--policies", str(policies), "--out", str(out), "--fail-on", "low"]
    )
    assert code == 1
    return snapshot, policies, out


def test_audit_then_verify_matches(
    audited: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot, _, out = audited
    doc = json.loads((out / "results.json").read_text())
    assert [r["status"] for r in doc["results"]] == ["fail", "fail"]
    capsys.readouterr()
    assert auditor.cli.main(["verify", str(out / "results.json"), str(snapshot)]) == 0
    assert auditor.cli.main(["verify", str(out / "report.html"), str(snapshot)]) == 0
    assert "✗" not in capsys.readouterr().out


def test_verify_notices_an_edited_policy(
    audited: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot, policies, out = audited
    (policies / "guests.yaml").write_text(POLICY.replace("severity: high", "severity: medium"))
    capsys.readouterr()
    assert auditor.cli.main(["verify", str(out / "results.json"), str(snapshot)]) == 1
    text = capsys.readouterr().out
    assert "policy hashes differ for 1 policy (policy files changed): TEST.GUESTS.INVITES" in text
    assert "re-evaluation differs: 1 policy differs: TEST.GUESTS.INVITES" in text


def test_verify_notices_a_swapped_snapshot(
    audited: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot, _, out = audited
    doc = snapshot_doc()
    doc["data"]["authorizationPolicy"]["allowInvitesFrom"] = "none"
    write_snapshot(snapshot, doc)
    capsys.readouterr()
    assert auditor.cli.main(["verify", str(out / "results.json"), str(snapshot)]) == 1
    text = capsys.readouterr().out
    assert "✗ snapshot sha256 differs" in text and "TEST.GUESTS.INVITES" in text
