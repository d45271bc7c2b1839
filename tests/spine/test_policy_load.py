"""Policy loading: structure first, then details, then CEL — every error with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError, InputErrors
from auditor.policy import load_policies, load_policy_file

from .conftest import MFA_POLICY, write


def _errors(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_policies([path])
    exc = info.value
    return [str(e) for e in exc.errors] if isinstance(exc, InputErrors) else [str(exc)]


def test_valid_policy_loads_compiled(policy_dir: Path) -> None:
    policies = load_policies([policy_dir])
    ids = [p.id for p in policies]
    assert ids == sorted(ids)
    mfa = next(p for p in policies if p.id == "TEST.MFA.ALL")
    assert mfa.requires == ("conditionalAccessPolicies",)
    assert mfa.variables[0][0] == "enforcing"
    assert len(mfa.sha256) == 64
    manual = next(p for p in policies if p.id == "TEST.GUESTS.DOMAINS")
    assert manual.is_manual and manual.assert_ is None


def test_unknown_top_level_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", MFA_POLICY + "colour: blue\n")
    errors = _errors(tmp_path)
    assert len(errors) == 1
    assert "unknown key 'colour'" in errors[0]
    line = path.read_text().splitlines().index("colour: blue") + 1
    assert errors[0].startswith(f"{path}:{line}:")


def test_cel_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    text = MFA_POLICY.replace('assert: "size(enforcing) > 0"', 'assert: "size(enforcing) > > 0"')
    path = write(tmp_path / "p.yaml", text)
    errors = _errors(tmp_path)
    line = path.read_text().splitlines().index('assert: "size(enforcing) > > 0"') + 1
    assert len(errors) == 1 and errors[0].startswith(f"{path}:{line}:")
    assert "assert" in errors[0]


def test_unknown_function_and_undeclared_collection_and_param(tmp_path: Path) -> None:
    text = MFA_POLICY.replace(
        'assert: "size(enforcing) > 0"',
        'assert: "sizee(enforcing) > 0 && size(users) > 0 && size(params.nope) == 0"',
    )
    write(tmp_path / "p.yaml", text)
    errors = _errors(tmp_path)
    assert any("sizee" in e for e in errors)


def test_collection_not_in_requires_is_a_load_error(tmp_path: Path) -> None:
    text = MFA_POLICY.replace(
        'assert: "size(enforcing) > 0"', 'assert: "size(enforcing) > 0 && size(users) > 0"'
    )
    write(tmp_path / "p.yaml", text)
    errors = _errors(tmp_path)
    assert any("reads collection 'users', which is not listed in requires" in e for e in errors)


def test_undeclared_param_is_a_load_error(tmp_path: Path) -> None:
    text = MFA_POLICY.replace('assert: "size(enforcing) > 0"', 'assert: "size(enforcing) > params.minimum"')
    write(tmp_path / "p.yaml", text)
    assert any("params.minimum is not declared" in e for e in _errors(tmp_path))


def test_all_errors_of_all_files_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", MFA_POLICY.replace("severity: high", "severity: urgent"))
    write(
        tmp_path / "b.yaml",
        MFA_POLICY.replace("id: TEST.MFA.ALL", "id: TEST.OTHER").replace(
            "size(enforcing) > 0", "size(enforcing) >"
        ),
    )
    write(tmp_path / "c.yaml", "id: [unclosed\n")
    errors = _errors(tmp_path)
    assert len(errors) == 3
    assert any("a.yaml" in e and "severity" in e for e in errors)
    assert any("b.yaml" in e for e in errors)
    assert any("c.yaml" in e and "invalid YAML" in e for e in errors)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", MFA_POLICY)
    write(tmp_path / "b.yaml", MFA_POLICY)
    assert any("duplicate policy id TEST.MFA.ALL" in e for e in _errors(tmp_path))


def test_missing_assert_and_manual_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "p.yaml", MFA_POLICY.replace('assert: "size(enforcing) > 0"\n', ""))
    assert any("needs 'assert'" in e for e in _errors(tmp_path))


def test_unknown_requires_collection(tmp_path: Path) -> None:
    write(
        tmp_path / "p.yaml",
        MFA_POLICY.replace(
            "requires: [conditionalAccessPolicies]",
            "requires: [conditionalAccessPolicies, conditionalAccesPolicy]",
        ),
    )
    assert any("unknown collection 'conditionalAccesPolicy'" in e for e in _errors(tmp_path))


def test_single_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", MFA_POLICY)
    assert load_policy_file(path).id == "TEST.MFA.ALL"
