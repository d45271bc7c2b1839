"""FLEET.yaml: schema errors name the file and line; credentials only from the environment;
memory declared per task; the fleet exit code is the worst tenant's."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import InputError
from auditor.fleet.model import load_fleet
from auditor.fleet.rollup import worst_exit
from auditor.fleet.run import BASE_MB, memory_mb

GOOD = """fleet: group
defaults: {baseline: rollout-gate, failOn: high, params: {a: 1}}
tenants:
  - id: 9f4d2c1e-6b8a-4f3e-a1d7-5c2e8b0f4a93
    name: Pharma
    snapshot: snaps/pharma.json
    params: {b: 2}
    tags: [eu]
  - id: contoso.onmicrosoft.com
    auth: workload-identity
    cloud: usgov
    credentialsEnv: CONTOSO
    users: 1500000
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, "utf-8")
    return path


def test_defaults_merge_and_paths_resolve_beside_the_file(tmp_path):
    fleet = load_fleet(write(tmp_path, GOOD))
    pharma, contoso = fleet.tenants
    assert fleet.name == "group"
    assert pharma.snapshot == str((tmp_path / "snaps/pharma.json").resolve()) and pharma.auth is None
    assert pharma.params == {"a": 1, "b": 2} and pharma.baseline == "rollout-gate"
    assert contoso.auth == "workload-identity" and contoso.graph_url == "https://graph.microsoft.us"
    assert contoso.name == contoso.id  # no name: the id stands in


@pytest.mark.parametrize(
    ("bad", "good", "line", "words"),
    [
        ("    auth: workload-identity", "    auth: password", 10, "auth"),
        ("    users: 1500000", "    users: lots", 13, "users"),
        ("    credentialsEnv: CONTOSO", "    credentialsEnv: contoso secret", 12, "credentialsEnv"),
        ("    cloud: usgov", "    cloud: mars", 11, "cloud"),
    ],
)
def test_schema_errors_name_file_and_line(tmp_path, bad, good, line, words):
    path = write(tmp_path, GOOD.replace(bad, good))
    with pytest.raises(InputError) as info:
        load_fleet(path)
    assert f"{path}:{line}" in str(info.value) and words in str(info.value)


def test_a_secret_in_the_file_is_refused(tmp_path):
    # no field can hold a credential: an unknown key such as clientSecret is an error, with its line
    path = write(tmp_path, GOOD.replace("    users: 1500000", "    clientSecret: hunter2"))
    with pytest.raises(InputError, match=r"fleet.yaml:13.*clientSecret"):
        load_fleet(path)


def test_snapshot_and_auth_together_or_neither_are_refused(tmp_path):
    with pytest.raises(InputError, match="either 'snapshot' or 'auth'"):
        load_fleet(write(tmp_path, GOOD.replace("    tags: [eu]", "    auth: token")))
    with pytest.raises(InputError, match="needs 'snapshot'"):
        load_fleet(write(tmp_path, GOOD.replace("    auth: workload-identity\n", "")))


def test_duplicate_tenant_is_refused(tmp_path):
    text = GOOD + "  - id: CONTOSO.onmicrosoft.com\n    snapshot: x.json\n"
    with pytest.raises(InputError, match="listed twice"):
        load_fleet(write(tmp_path, text))


def test_unusable_fleet_file_exits_2(tmp_path, capsys):
    path = write(tmp_path, "fleet: x\ntenants: []\n")
    assert main(["fleet", "run", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "fleet.yaml" in capsys.readouterr().err
    assert main(["fleet", "run", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_credentials_come_from_the_prefixed_environment(tmp_path):
    contoso = load_fleet(write(tmp_path, GOOD)).tenants[1]
    env = contoso.environment(
        {
            "CONTOSO_AZURE_CLIENT_ID": "app-1",
            "AZURE_CLIENT_ID": "other",
            "OTHER_AZURE_CLIENT_ID": "x",
            "PATH": "/bin",
        }
    )
    assert env["AZURE_CLIENT_ID"] == "app-1"
    assert env["AZURE_TENANT_ID"] == contoso.id  # the multi-tenant app signs in to this tenant
    assert env["PATH"] == "/bin"


def test_memory_follows_users_and_snapshot_size(tmp_path):
    fleet = load_fleet(write(tmp_path, GOOD))
    big = fleet.tenants[1]
    assert memory_mb(big) == BASE_MB + 6000  # ~6 GB for 1.5M users
    snap = tmp_path / "snaps" / "pharma.json"
    snap.parent.mkdir()
    snap.write_bytes(b" " * 50_000_000)
    assert memory_mb(fleet.tenants[0]) == BASE_MB + 150
    assert memory_mb(big) > memory_mb(fleet.tenants[0])


def test_worst_exit_is_fail_over_incomplete_over_pass():
    assert worst_exit([0, 3, 1, 0]) == 1
    assert worst_exit([0, 3, 0]) == 3
    assert worst_exit([0, 0]) == 0
