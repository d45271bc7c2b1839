"""``auditor import`` and ``collect --import``: PowerShell exports in their real encodings."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.collect.importer import ImportSpec, load_import, parse_import_arg
from auditor.errors import InputError
from auditor.snapshot import load_snapshot, write_snapshot
from tests.collect.conftest import SECRET_TOKEN, cli_args
from tests.graphserver import GraphServer

AUDIT_CONFIG = {
    "Identity": "Admin Audit Log Settings",
    "UnifiedAuditLogIngestionEnabled": True,
    "AdminAuditLogAgeLimit": "90.00:00:00",
    "Name": "Ünïcode ✓",
}


def _base_snapshot(path: Path) -> None:
    write_snapshot(
        path,
        {
            "schemaVersion": 1,
            "tenant": {"id": "t"},
            "collectedAt": "2026-11-23T12:00:00Z",
            "sources": {
                "domains": {
                    "status": "ok",
                    "endpoint": "GET /v1.0/domains",
                    "count": 0,
                    "retrievedAt": "2026-11-23T12:00:00Z",
                }
            },
            "data": {"domains": []},
        },
    )


@pytest.mark.parametrize("encoding", ["utf-16-le-bom", "utf-16-be-bom", "utf-8-bom", "utf-8"])
def test_encodings_powershell_writes(tmp_path: Path, encoding: str) -> None:
    text = json.dumps(AUDIT_CONFIG, indent=4, ensure_ascii=False)  # ConvertTo-Json style
    raw = {
        "utf-16-le-bom": codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        "utf-16-be-bom": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        "utf-8-bom": codecs.BOM_UTF8 + text.encode("utf-8"),
        "utf-8": text.encode("utf-8"),
    }[encoding]
    f = tmp_path / "audit.json"
    f.write_bytes(raw)
    result = load_import(ImportSpec("exchangeAdminAuditLogConfig", f))
    assert result.data == AUDIT_CONFIG and result.count == 1


def test_shapes_are_coerced(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps([AUDIT_CONFIG]))
    assert load_import(ImportSpec("exchangeAdminAuditLogConfig", one)).data == AUDIT_CONFIG  # [obj] -> obj
    single = tmp_path / "policy.json"
    single.write_text(json.dumps({"Name": "Retain 1 year", "RetentionDuration": "OneYear"}))
    listed = load_import(ImportSpec("auditLogRetentionPolicies", single))
    assert listed.data == [{"Name": "Retain 1 year", "RetentionDuration": "OneYear"}] and listed.count == 1
    two = tmp_path / "two.json"
    two.write_text(json.dumps([AUDIT_CONFIG, AUDIT_CONFIG]))
    with pytest.raises(InputError, match="holds 2 items"):
        load_import(ImportSpec("exchangeAdminAuditLogConfig", two))


def test_bad_inputs_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_import_arg("exchangeAuditConfig=x.json")
    assert "unknown collection 'exchangeAuditConfig'" in str(info.value)
    assert "exchangeAdminAuditLogConfig" in str(info.value)  # lists the known names
    with pytest.raises(InputError, match="NAME=FILE"):
        parse_import_arg("justafile.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "Identity": "x",\n  "Enabled": tru\n}')
    with pytest.raises(InputError) as info:
        load_import(ImportSpec("exchangeOrganizationConfig", bad))
    assert f"{bad}:3:" in str(info.value) and "not valid JSON" in str(info.value)


def test_import_command_rewrites_and_revalidates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "s.json"
    _base_snapshot(snap)
    f = tmp_path / "AdminAuditLogConfig.json"
    f.write_bytes(codecs.BOM_UTF16_LE + json.dumps(AUDIT_CONFIG).encode("utf-16-le"))
    assert main(["import", str(snap), f"exchangeAdminAuditLogConfig={f}"]) == 0
    loaded = load_snapshot(snap)
    assert loaded.data["exchangeAdminAuditLogConfig"] == AUDIT_CONFIG
    entry = loaded.sources["exchangeAdminAuditLogConfig"]
    assert entry == {
        "status": "ok",
        "endpoint": "import",
        "importedFrom": "AdminAuditLogConfig.json",
        "count": 1,
        "retrievedAt": entry["retrievedAt"],
    }
    assert loaded.data["domains"] == []  # the rest is kept
    assert list(tmp_path.glob("*.partial")) == []
    before = snap.read_bytes()
    assert main(["import", str(snap), "nope=x.json"]) == 2
    assert main(["import", str(tmp_path / "missing.json"), f"exchangeAdminAuditLogConfig={f}"]) == 2
    err = capsys.readouterr().err
    assert "unknown collection 'nope'" in err and "Traceback" not in err
    assert snap.read_bytes() == before


def test_import_group_members_an_object_of_lists(tmp_path: Path) -> None:
    snap = tmp_path / "s.json"
    _base_snapshot(snap)
    user = {"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "a@contoso.example"}
    f = tmp_path / "members.json"
    # ConvertTo-Json prints a one-member list as a bare object; it is wrapped back into a list
    f.write_bytes(codecs.BOM_UTF8 + json.dumps({"g1": user, "g2": [user, user], "g3": []}).encode())
    assert main(["import", str(snap), f"groupMembers={f}"]) == 0
    loaded = load_snapshot(snap)
    assert loaded.data["groupMembers"] == {"g1": [user], "g2": [user, user], "g3": []}
    assert loaded.sources["groupMembers"]["count"] == 3
    f.write_text(json.dumps([user]), "utf-8")
    assert main(["import", str(snap), f"groupMembers={f}"]) == 2


def test_collect_with_import_replaces_the_api_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_ACCESS_TOKEN", SECRET_TOKEN)
    f = tmp_path / "org.json"
    f.write_text(json.dumps({"Identity": "contoso", "AuditDisabled": True}))
    out = tmp_path / "s.json"
    with GraphServer(users=5, token=SECRET_TOKEN) as srv:
        code = main(
            cli_args(
                srv,
                out,
                "--sources",
                "domains,exchangeOrganizationConfig",
                "--import",
                f"exchangeOrganizationConfig={f}",
            )
        )
        posted = [r for r in srv.requests if r["method"] == "POST"]
    assert code == 0
    assert posted == []  # imported, so not fetched
    loaded = load_snapshot(out)
    assert loaded.data["exchangeOrganizationConfig"] == {"Identity": "contoso", "AuditDisabled": True}
    assert loaded.sources["exchangeOrganizationConfig"]["endpoint"] == "import"
    assert loaded.sources["domains"]["status"] == "ok"
