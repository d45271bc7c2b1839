"""``auditor diff`` of two snapshots whose ``groupMembers`` (an object of lists) differ:
who joined or left which group, and groups that appeared or went away."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_builders import snapshot_doc, write_snapshot

import auditor.cli


def _user(uid: str, upn: str) -> dict[str, str]:
    return {"@odata.type": "#microsoft.graph.user", "id": uid, "userPrincipalName": upn, "displayName": upn}


def test_diff_group_members_by_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = snapshot_doc()
    old["data"]["groupMembers"] = {
        "g1": [_user("u1", "alice@contoso.com"), _user("u2", "bob@contoso.com")],
        "g2": [_user("u3", "carol@contoso.com")],
    }
    new = snapshot_doc()
    renamed = _user("u2", "bob@contoso.com") | {"displayName": "Bob B."}
    new["data"]["groupMembers"] = {
        "g1": [renamed, _user("u4", "dave@contoso.com")],
        "g3": [],
    }
    old_path, _ = write_snapshot(tmp_path / "old.json", old)
    new_path, _ = write_snapshot(tmp_path / "new.json", new)
    assert auditor.cli.main(["diff", str(old_path), str(new_path), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["collections"]["groupMembers"] == {
        "added": ["dave@contoso.com (u4) in g1", "g3 (0 items)"],
        "removed": ["alice@contoso.com (u1) in g1", "g2 (1 item)"],
        "changed": ["bob@contoso.com (u2) in g1"],
    }
    assert auditor.cli.main(["diff", str(old_path), str(new_path)]) == 0
    assert "+ dave@contoso.com (u4) in g1" in capsys.readouterr().out
