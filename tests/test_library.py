"""The built-in library and baselines: they load, their tests pass, every policy is tested both ways."""

from __future__ import annotations

from collections import defaultdict

import pytest

from auditor.baseline import bind, builtin_baselines, load_baseline_file
from auditor.builtin import builtin_dir
from auditor.cli import main
from auditor.engine.cases import run_tests
from auditor.policy import discover, load_library


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def outcomes(library):
    results, errors = run_tests(discover([builtin_dir("policies")], tests=True), library)
    assert errors == []
    return results


def test_library_loads_with_unique_ids(library) -> None:
    assert len(library) >= 6
    assert len({p.id for p in library}) == len(library)


def test_every_policy_test_case_passes(outcomes) -> None:
    failed = [f"{o.policy_id} — {o.name}: {'; '.join(o.problems)}" for o in outcomes if not o.passed]
    assert failed == []


def test_every_automated_policy_has_a_passing_and_a_failing_case(library, outcomes) -> None:
    expectations: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        expectations[o.policy_id].add(o.expected)
    missing = []
    for p in library:
        wanted = {"manual"} if p.is_manual else {"pass", "fail"}
        if not wanted <= expectations[p.id]:
            missing.append(f"{p.id}: has {sorted(expectations[p.id])}")
    assert missing == []


def test_every_policy_has_remediation_frameworks_and_requires(library) -> None:
    for p in library:
        assert p.remediation.strip() and p.references, p.id
        assert p.frameworks, p.id
        if not p.is_manual:
            assert p.requires, p.id


def test_starter_controls_exist(library) -> None:
    ids = {p.id for p in library}
    for wanted in (
        "AAD.MFA.ALL-USERS",
        "AAD.LEGACY-AUTH.BLOCKED",
        "AAD.ROLES.GLOBAL-ADMIN-COUNT",
        "AAD.ROLES.ADMIN-PHISHING-RESISTANT-METHODS",
        "AUDIT.UNIFIED-AUDIT-LOG.ENABLED",
        "AUDIT.RETENTION.MINIMUM",
    ):
        assert wanted in ids


def test_builtin_baselines_load_and_bind(library) -> None:
    baselines = builtin_baselines()
    assert {"rollout-gate", "cisa-scuba", "cis-m365-v7-l1", "cis-m365-v7-l2", "cis-m365-v6-l1"} <= set(
        baselines
    )
    for name, path in baselines.items():
        baseline = load_baseline_file(path)
        assert baseline.name == name
        bind(baseline, library)
        assert any(baseline.selects(p.id) for p in library), name


def test_policies_validate_command_on_library(capsys) -> None:
    assert main(["policies", "validate", str(builtin_dir("policies"))]) == 0
    assert "policies valid" in capsys.readouterr().out


def test_test_command_on_library() -> None:
    assert main(["test"]) == 0


def _passing_cases(library):
    """(policy, case) for every passing test case of the built-in library."""
    from auditor.policy.yamlpos import read_yaml

    by_id = {p.id: p for p in library}
    for path in discover([builtin_dir("policies")], tests=True):
        doc, _ = read_yaml(str(path))
        policy = by_id[doc.value["policy"]]
        for case in doc.value["cases"]:
            if case["expect"] == "pass":
                yield policy, case


def test_no_policy_passes_when_a_required_collection_is_absent(library) -> None:
    """Missing data never passes: each passing case, with each ``requires`` collection removed in turn."""
    from auditor.engine.cases import DEFAULT_NOW
    from auditor.engine.context import context_from_data
    from auditor.engine.evaluate import evaluate_policy

    checked, wrong = 0, []
    for policy, case in _passing_cases(library):
        for name in policy.requires:
            data = {k: v for k, v in (case.get("data") or {}).items() if k != name}
            ctx = context_from_data(data, now=DEFAULT_NOW, tenant=case.get("tenant"))
            result = evaluate_policy(policy, ctx, case.get("params") or {})
            checked += 1
            if result.status == "pass":
                wrong.append(f"{policy.id} passes without {name} ({case['name']})")
    assert wrong == []
    assert checked >= len([p for p in library if not p.is_manual])


def test_cisa_scuba_baseline_gives_scuba_verdicts(library) -> None:
    """A baseline named after a framework gives its verdicts: SCuBA reads an unset password validity
    as never expire (ScubaGear test_PasswordValidityPeriodInDays_NullRootDomain_Correct)."""
    from auditor.engine.cases import DEFAULT_NOW
    from auditor.engine.context import context_from_data
    from auditor.engine.evaluate import evaluate_policy

    baseline = load_baseline_file(builtin_baselines()["cisa-scuba"])
    policy = next(p for p in library if p.id == "AAD.PASSWORDS.NEVER-EXPIRE")
    domain = {
        "id": "contoso.com",
        "authenticationType": "Managed",
        "isVerified": True,
        "isRoot": True,
        "passwordValidityPeriodInDays": None,
    }
    ctx = context_from_data({"domains": [domain]}, now=DEFAULT_NOW)
    params = {k: v for k, v in baseline.params.items() if k in policy.params}
    assert evaluate_policy(policy, ctx, params).status == "pass"
    assert evaluate_policy(policy, ctx, {}).status == "fail"


def test_framework_catalogue_knows_every_mapped_control(library) -> None:
    """A mapping to a control the framework does not define is a typo or an outdated ID."""
    from auditor.policy.frameworks import load_frameworks

    frameworks = load_frameworks()
    unknown = [
        f"{p.id}: {key} {control}"
        for p in library
        for key, controls in p.frameworks.items()
        for control in controls
        if key not in frameworks or control not in frameworks[key].controls
    ]
    assert unknown == []
    assert len(frameworks["cis-m365-v7"].controls) == 160  # the whole benchmark, not just what is automated
    assert "cis-m365-v5" not in {key for p in library for key in p.frameworks}  # retired: mixed v5/v6 IDs
    assert len(set(frameworks["cisa-scuba"].controls)) == len(frameworks["cisa-scuba"].controls)


def test_library_coverage_targets(library) -> None:
    from auditor.policy.frameworks import coverage

    by_key = {c.framework.key: c for c in coverage(library)}
    assert len(library) >= 120
    assert len(by_key["cisa-scuba"].automated | by_key["cisa-scuba"].manual_only) >= 75
    assert len(by_key["cis-m365-v7"].automated | by_key["cis-m365-v7"].manual_only) >= 80
    assert len(by_key["cis-m365-v6"].automated | by_key["cis-m365-v6"].manual_only) >= 80
    products = {c.split(".")[1] for c in by_key["cisa-scuba"].automated}
    assert {"AAD", "EXO", "SECURITYSUITE", "SHAREPOINT", "TEAMS"} <= products


def test_policies_list_prints_coverage_per_framework(capsys) -> None:
    from auditor.policy.frameworks import load_frameworks

    assert main(["policies", "list"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Coverage per framework version" in out
    for key, framework in load_frameworks().items():
        if framework.complete:
            assert f"{key}: " in out and f"/{len(framework.controls)} controls automated" in out
        else:  # the mapped controls only: a count, never mapped/mapped
            assert f"{key}: {len(framework.controls)} controls mapped" in out
            assert f"{len(framework.controls)}/{len(framework.controls)}" not in out


def test_framework_baselines_select_their_products(library) -> None:
    baselines = builtin_baselines()
    assert {"cisa-scuba-aad", "cisa-scuba-exo"} <= set(baselines)
    for name, product in (("cisa-scuba-aad", "MS.AAD."), ("cisa-scuba-exo", "MS.EXO.")):
        baseline = load_baseline_file(baselines[name])
        selected = [p for p in library if baseline.selects(p.id)]
        assert selected and all(
            any(c.startswith(product) for c in p.frameworks["cisa-scuba"]) for p in selected
        )
        expected = {
            p.id for p in library if any(c.startswith(product) for c in p.frameworks.get("cisa-scuba", ()))
        }
        assert {p.id for p in selected} == expected
    scuba = load_baseline_file(baselines["cisa-scuba"])
    assert {p.id for p in library if scuba.selects(p.id)} == {
        p.id for p in library if "cisa-scuba" in p.frameworks
    }


def test_every_builtin_policy_has_a_one_line_fix_that_is_an_action(library) -> None:
    """Issue 26: "Fix first" shows each policy's ``fix``; a built-in policy must have one, and
    it must say what to do, not where to click."""
    from auditor.policy.fixlint import fix_problem, lint_fix

    problems = []
    for p in library:
        errors, warnings = lint_fix(p)
        problems += errors + warnings
        assert p.fix and "\n" not in p.fix and len(p.fix) <= 200, p.id
        assert fix_problem(p.fix) is None, p.id
        assert p.fix.split()[0][0].isupper(), p.id  # a sentence that starts with its verb
    assert problems == []
