"""Run policy test cases (``NAME.test.yaml``, docs/formats.md) through the real engine.

A case is a tiny snapshot (``data``, optional ``sources``, ``now``, ``params``)
and the statuses it must produce; the engine path is the same one ``audit``
uses, so a passing test means the policy behaves that way on a real snapshot.

Cases of one file usually differ in a field or two of the same Graph objects, so a
file may hold a ``base`` (``base.data``) that every case starts from: a case with
``patch`` gets ``base.data`` with that merge patch applied (:mod:`.patch`), a case
with neither ``data`` nor ``patch`` gets ``base.data`` itself, and a case with
``data`` gets exactly that.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.baseline.load import param_problem
from auditor.engine.context import context_from_data, parse_time
from auditor.engine.evaluate import evaluate_policy
from auditor.engine.model import ERROR, PolicyResult
from auditor.engine.patch import PatchError, merge_patch
from auditor.errors import InputError, InputErrors
from auditor.policy.load import schema_errors
from auditor.policy.model import Policy
from auditor.policy.yamlpos import YamlDocument, read_yaml

DEFAULT_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    text = resources.files("auditor.policy").joinpath("testcase_schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CaseOutcome:
    file: str
    policy_id: str
    name: str
    line: int | None
    passed: bool
    expected: str
    actual: str
    problems: tuple[str, ...]
    message: str
    #: the run-time errors behind an ``error`` status (the policy's and each erroring subject's),
    #: so that a typo shows as the CEL error it caused, not as "1 error"
    errors: tuple[str, ...] = ()


def _case_error(doc: YamlDocument, index: int, message: str) -> InputError:
    return doc.error(message, ("cases", index))


def case_data(
    case: Mapping[str, Any], base: Mapping[str, Any], error: Callable[[str], InputError]
) -> dict[str, Any]:
    """The ``data`` a case evaluates: its own, or the base patched by its ``patch``, or the base."""
    if "data" in case and "patch" in case:
        raise error(f"case {case['name']!r}: give either data or patch, not both")
    if "data" in case:
        return dict(case["data"] or {})
    if "patch" not in case:
        return dict(copy.deepcopy(base))
    try:
        patched = merge_patch(base, case["patch"])
    except PatchError as exc:
        raise error(f"case {case['name']!r}: patch: {exc}") from None
    return dict(patched)


def run_test_file(path: Path, policies: dict[str, Policy]) -> list[CaseOutcome]:
    """Run every case of one test file; load problems raise InputErrors (exit 2)."""
    doc, _ = read_yaml(str(path))
    if not isinstance(doc.value, dict):
        raise InputError("a policy test file must be a YAML mapping", source=str(path), line=1)
    errors = schema_errors(doc, _schema(), "test file")
    if errors:
        raise InputErrors(errors)
    policy_id = doc.value["policy"]
    policy = policies.get(policy_id)
    if policy is None:
        raise doc.error(f"no policy with id {policy_id!r} among the loaded policies", ("policy",))
    base = (doc.value.get("base") or {}).get("data") or {}
    outcomes = []
    for i, case in enumerate(doc.value["cases"]):
        pos = doc.position(("cases", i))
        data = case_data(case, base, functools.partial(_case_error, doc, i))
        for name, value in (case.get("params") or {}).items():
            problem = param_problem(name, value, dict(policy.params))
            if problem:
                raise doc.error(f"case {case['name']!r}: {problem}", ("cases", i, "params", name))
        now = parse_time(case["now"], f"{path}: cases[{i}].now") if "now" in case else DEFAULT_NOW
        with context_from_data(data, now=now, sources=case.get("sources"), tenant=case.get("tenant")) as ctx:
            result = evaluate_policy(policy, ctx, case.get("params") or {})
        problems = []
        if result.status != case["expect"]:
            problems.append(f"expected {case['expect']}, got {result.status}")
        actual_subjects = {f.subject: f.status for f in result.findings}
        for subject, expected in (case.get("subjects") or {}).items():
            got = actual_subjects.get(subject)
            if got != expected:
                problems.append(f"subject {subject!r}: expected {expected}, got {got or 'no finding'}")
        outcomes.append(
            CaseOutcome(
                str(path),
                policy_id,
                case["name"],
                pos.line if pos else None,
                not problems,
                case["expect"],
                result.status,
                tuple(problems),
                result.message,
                _errors_of(result),
            )
        )
    return outcomes


def _errors_of(result: PolicyResult) -> tuple[str, ...]:
    found = [f"{f.subject}: {f.message}" for f in result.findings if f.status == ERROR]
    if result.status == ERROR and not found:
        found.append(result.message)
    return tuple(found)


def run_tests(
    files: Sequence[Path], policies: Sequence[Policy]
) -> tuple[list[CaseOutcome], list[InputError]]:
    """Run all test files; returns outcomes and the load errors of files that could not run."""
    by_id = {p.id: p for p in policies}
    outcomes: list[CaseOutcome] = []
    errors: list[InputError] = []
    for path in files:
        try:
            outcomes.extend(run_test_file(path, by_id))
        except InputErrors as exc:
            errors.extend(exc.errors)
        except InputError as exc:
            errors.append(exc)
    return outcomes, errors
