"""Shared fixtures in policy test files: ``base`` + ``patch``, and ``tools/compact_tests.py``."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from auditor.cli import main
from auditor.engine.cases import run_test_file
from auditor.engine.patch import PatchError, merge_patch
from auditor.policy import load_policy_file

ROOT = Path(__file__).resolve().parent.parent
REAL = [
    "policies/privileged-access/aad-pim-no-permanent-active",
    "policies/directory/aad-passwords-never-expire",
]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compact_tests", ROOT / "tools" / "compact_tests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["compact_tests"] = module
    spec.loader.exec_module(module)
    return module


def test_merge_patch_follows_rfc7386_and_patches_list_elements_by_id() -> None:
    base = {"a": {"b": 1, "c": 2}, "xs": [{"id": "1", "v": 1}, {"id": "2", "v": 2}], "keep": [1, 2]}
    patch = {
        "a": {"b": None, "d": 4},
        "xs": {"$byId": {"1": {"v": 10}, "2": None, "3": {"v": 3}}},
        "keep": [3],
        "n": {"$replace": None},
    }
    assert merge_patch(base, patch) == {
        "a": {"c": 2, "d": 4},
        "xs": [{"id": "1", "v": 10}, {"id": "3", "v": 3}],
        "keep": [3],
        "n": None,
    }
    assert base["xs"] == [{"id": "1", "v": 1}, {"id": "2", "v": 2}]  # not modified
    with pytest.raises(PatchError):
        merge_patch({"a": 1}, {"a": {"$byId": {"x": {}}}})


def test_a_case_patch_applies_over_the_base(tmp_path: Path) -> None:
    shutil.copy(ROOT / (REAL[1] + ".yaml"), tmp_path / "p.yaml")
    domain = {"id": "contoso.com", "authenticationType": "Managed", "isRoot": True, "isVerified": True}
    (tmp_path / "p.test.yaml").write_text(
        yaml.safe_dump(
            {
                "policy": "AAD.PASSWORDS.NEVER-EXPIRE",
                "base": {"data": {"domains": [{**domain, "passwordValidityPeriodInDays": 2147483647}]}},
                "cases": [
                    {"name": "base passes", "expect": "pass"},
                    {
                        "name": "90 days fails",
                        "patch": {
                            "domains": {"$byId": {"contoso.com": {"passwordValidityPeriodInDays": 90}}}
                        },
                        "expect": "fail",
                    },
                    {"name": "no data", "data": {}, "expect": "error"},
                    {"name": "both", "data": {}, "patch": {}, "expect": "error"},
                ],
            }
        )
    )
    policy = load_policy_file(tmp_path / "p.yaml")
    with pytest.raises(Exception, match="either data or patch"):
        run_test_file(tmp_path / "p.test.yaml", {policy.id: policy})
    text = (tmp_path / "p.test.yaml").read_text()
    (tmp_path / "p.test.yaml").write_text(
        text.replace("- data: {}\n  expect: error\n  name: both\n  patch: {}\n", "")
    )
    outcomes = run_test_file(tmp_path / "p.test.yaml", {policy.id: policy})
    assert [(o.name, o.actual, o.passed) for o in outcomes] == [
        ("base passes", "pass", True),
        ("90 days fails", "fail", True),
        ("no data", "error", True),
    ]


def test_compact_tests_rewrites_real_files_smaller_with_the_same_results(tmp_path: Path) -> None:
    tool = _tool()
    for stem in REAL:
        shutil.copy(ROOT / (stem + ".yaml"), tmp_path / (Path(stem).name + ".yaml"))
        # the library's files are compact already: start from their expanded form (full data per case)
        (tmp_path / (Path(stem).name + ".test.yaml")).write_text(_expanded(ROOT / (stem + ".test.yaml")))
    files = sorted(tmp_path.glob("*.test.yaml"))
    before = {f: run_test_file(f, {(p := load_policy_file(_policy(f))).id: p}) for f in files}
    for f in files:
        outcome = tool.compact_file(f)
        assert outcome.written, outcome.note
        assert outcome.after < outcome.before
        doc = yaml.safe_load(f.read_text())
        assert "base" in doc and any("patch" in c for c in doc["cases"])
    for f in files:
        policy = load_policy_file(_policy(f))
        after = run_test_file(f, {policy.id: policy})
        assert [(o.name, o.actual, o.passed, o.message) for o in after] == [
            (o.name, o.actual, o.passed, o.message) for o in before[f]
        ]
    assert main(["test", str(tmp_path)]) == 0
    again = tool.compact_file(files[0], write=False)  # already compact: nothing worse happens
    assert again.after <= again.before


def _policy(test_file: Path) -> Path:
    return test_file.with_name(test_file.name.removesuffix(".test.yaml") + ".yaml")


def _expanded(test_file: Path) -> str:
    """A test file with ``base`` + ``patch`` written out as full ``data`` per case."""
    doc = yaml.safe_load(test_file.read_text())
    base = (doc.pop("base", None) or {}).get("data")
    for case in doc["cases"]:
        if "patch" in case:
            case["data"] = merge_patch(base or {}, case.pop("patch"))
        elif "data" not in case and base is not None:
            case["data"] = base
    return yaml.safe_dump(doc, sort_keys=False)
