"""``auditor import`` of the Power BI and Power Platform exports: each API's own JSON is kept
verbatim, whether the file holds what the API returned or what the PowerShell cmdlet printed."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.collect.catalog import CATALOG
from auditor.collect.importer import ImportSpec, load_import
from auditor.errors import InputError
from auditor.snapshot import load_snapshot, write_snapshot

SETTINGS = [
    {
        "settingName": "PublishToWeb",
        "title": "Publish to web",
        "enabled": False,
        "tenantSettingGroup": "ExportAndSharing",
    },
    {
        "settingName": "AllowGuestUserToAccessSharedContent",
        "title": "Guest users can access Microsoft Fabric",
        "enabled": True,
        "canSpecifySecurityGroups": True,
        "enabledSecurityGroups": [
            {"graphId": "5f0b2c1e-8d3a-4e6b-9c7d-1a2b3c4d5e6f", "name": "Fabric guests"}
        ],
        "tenantSettingGroup": "ExportAndSharing",
    },
]

ENVIRONMENT = {
    "id": "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/Default-7e1c",
    "name": "Default-7e1c",
    "type": "Microsoft.BusinessAppPlatform/scopes/environments",
    "location": "unitedstates",
    "properties": {"displayName": "Contoso (default)", "isDefault": True, "environmentSku": "Default"},
}


def _write(path: Path, value: object, bom_utf16: bool = False) -> Path:
    text = json.dumps(value, indent=4)
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le") if bom_utf16 else text.encode("utf-8"))
    return path


@pytest.mark.parametrize("wrapper", ["tenantSettings", "value"])
def test_fabric_tenant_settings_are_unwrapped_from_either_response_shape(
    tmp_path: Path, wrapper: str
) -> None:
    # the Fabric admin API answered {"tenantSettings": [...]} and now answers {"value": [...]}
    f = _write(tmp_path / "pbi.json", {wrapper: SETTINGS, "continuationToken": None}, bom_utf16=True)
    result = load_import(ImportSpec("powerBiTenantSettings", f))
    assert result.data == SETTINGS and result.count == 2


def test_fabric_tenant_settings_with_a_continuation_token_are_refused(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "pbi.json", {"value": SETTINGS, "continuationToken": "abc", "continuationUri": "https://x"}
    )
    with pytest.raises(InputError, match="continuation token"):
        load_import(ImportSpec("powerBiTenantSettings", f))


def test_fabric_tenant_settings_as_a_bare_list_are_kept(tmp_path: Path) -> None:
    f = _write(tmp_path / "pbi.json", SETTINGS)
    assert load_import(ImportSpec("powerBiTenantSettings", f)).data == SETTINGS


def test_get_adminpowerappenvironment_output_keeps_the_api_object_under_internal(tmp_path: Path) -> None:
    cmdlet = {
        "EnvironmentName": ENVIRONMENT["name"],
        "DisplayName": "Contoso (default)",
        "IsDefault": True,
        "Location": "unitedstates",
        "Internal": ENVIRONMENT,
    }
    one = load_import(ImportSpec("powerPlatformEnvironments", _write(tmp_path / "one.json", cmdlet)))
    assert one.data == [ENVIRONMENT]  # one environment: ConvertTo-Json prints a bare object
    two = load_import(
        ImportSpec("powerPlatformEnvironments", _write(tmp_path / "two.json", [cmdlet, cmdlet]))
    )
    assert two.data == [ENVIRONMENT, ENVIRONMENT]
    api = load_import(
        ImportSpec("powerPlatformEnvironments", _write(tmp_path / "api.json", {"value": [ENVIRONMENT]}))
    )
    assert api.data == [ENVIRONMENT]  # the admin API's page, as Invoke-RestMethod prints it


def test_get_dlppolicy_output_is_its_value_list(tmp_path: Path) -> None:
    policy = {
        "name": "2b7c0a51-0000-4c1e-9f1d-3c5e7a9b1d2f",
        "displayName": "Default environment: business connectors only",
        "environmentType": "OnlyEnvironments",
        "environments": [{"id": "/providers/x/Default-7e1c", "name": "Default-7e1c", "type": "x"}],
        "connectorGroups": [{"classification": "Confidential", "connectors": []}],
    }
    result = load_import(
        ImportSpec("powerPlatformDlpPolicies", _write(tmp_path / "dlp.json", {"value": [policy]}))
    )
    assert result.data == [policy]


@pytest.mark.parametrize("printed", [None, [None]])
def test_a_never_configured_tenant_isolation_policy_is_an_empty_object(
    tmp_path: Path, printed: object
) -> None:
    # Get-PowerAppTenantIsolationPolicy prints null when isolation was never configured
    f = _write(tmp_path / "iso.json", printed)
    assert load_import(ImportSpec("powerPlatformTenantIsolationPolicy", f)).data == {}
    with pytest.raises(
        InputError, match="must be a JSON object"
    ):  # null is not accepted for other singletons
        load_import(ImportSpec("powerPlatformTenantSettings", f))


def test_import_into_a_snapshot_records_the_file(tmp_path: Path) -> None:
    snap = tmp_path / "s.json"
    write_snapshot(
        snap,
        {
            "schemaVersion": 1,
            "tenant": {"id": "t"},
            "collectedAt": "2026-11-23T12:00:00Z",
            "sources": {},
            "data": {},
        },
    )
    iso = _write(tmp_path / "iso.json", {"properties": {"isDisabled": False, "allowedTenants": []}})
    settings = _write(tmp_path / "pp.json", {"disableEnvironmentCreationByNonAdminUsers": True})
    rc = main(
        [
            "import",
            str(snap),
            f"powerPlatformTenantIsolationPolicy={iso}",
            f"powerPlatformTenantSettings={settings}",
        ]
    )
    assert rc == 0
    loaded = load_snapshot(snap)
    assert loaded.data["powerPlatformTenantIsolationPolicy"] == {
        "properties": {"isDisabled": False, "allowedTenants": []}
    }
    assert loaded.document["sources"]["powerPlatformTenantSettings"]["importedFrom"] == "pp.json"


def test_catalog_names_the_export_line_and_role_of_each_power_collection() -> None:
    for name in (
        "powerBiTenantSettings",
        "powerPlatformTenantSettings",
        "powerPlatformEnvironments",
        "powerPlatformDlpPolicies",
        "powerPlatformTenantIsolationPolicy",
    ):
        source = CATALOG[name]
        assert source.import_command.endswith(f"> {name}.json"), name
        assert source.directory_role and "Administrator" in source.directory_role, name
