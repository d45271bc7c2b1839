"""One evaluation context per audit: audits running at once never see each other's state.

The conditional access model, join indexes, shared macro results and the size budget's
count live in the audit's context (``engine.Context`` and its ``cel.Runtime``), not in
module globals. These tests run two different audits (the demo tenant and a copy whose
conditional access policies are all switched off) in two threads at once, forcing the
interleaving that once made one thread judge its snapshot with the other's model: both
threads build their model, then wait for each other, then use it. Each result must be the
one its audit gives alone.
"""

from __future__ import annotations

import copy
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from auditor import api, cel
from auditor.coverage import functions as cov
from auditor.engine import context_from_data, context_from_snapshot
from auditor.snapshot import Snapshot


def _document(inputs: api.AuditInputs) -> dict[str, Any]:
    doc = dict(api.evaluate(inputs))
    doc.pop("generatedAt", None)
    return doc


def _inputs(snapshot: Snapshot) -> api.AuditInputs:
    return api.prepare(snapshot, waivers=api.demo_waivers_path())


@pytest.fixture(scope="module")
def snapshots() -> tuple[Snapshot, Snapshot]:
    demo = api.demo_snapshot()
    doc = copy.deepcopy(dict(demo.document))
    for policy in doc["data"]["conditionalAccessPolicies"]:
        policy["state"] = "disabled"
    doc["data"]["users"] = doc["data"]["users"][: len(doc["data"]["users"]) // 2]
    return demo, api.load_snapshot(doc, name="demo, conditional access off")


@pytest.fixture(scope="module")
def alone(snapshots: tuple[Snapshot, Snapshot]) -> tuple[dict[str, Any], dict[str, Any]]:
    a, b = snapshots
    return _document(_inputs(a)), _document(_inputs(b))


@pytest.fixture
def fine_switching() -> Iterator[None]:
    """Switch threads as often as the interpreter allows, so that the audits really interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _rendezvous_after_build(monkeypatch: pytest.MonkeyPatch, parties: int) -> list[int]:
    """Make every audit wait, model built and not yet used, until all ``parties`` have built theirs."""
    barrier = threading.Barrier(parties, timeout=60)
    built: list[int] = []
    original: Callable[..., Any] = cov._build

    def build(data: Mapping[str, Any], status_of: Callable[[str], Any]) -> Any:
        tenant = original(data, status_of)
        built.append(id(data))
        barrier.wait()
        return tenant

    monkeypatch.setattr(cov, "_build", build)
    return built


def _concurrently(*jobs: Callable[[], dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | BaseException | None] = [None] * len(jobs)

    def run(k: int) -> None:
        try:
            results[k] = jobs[k]()
        except BaseException as exc:  # reported below, in the test's thread
            results[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    out: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None, "an audit did not finish"
        out.append(result)
    return out


def test_the_two_audits_differ(alone: tuple[dict[str, Any], dict[str, Any]]) -> None:
    a, b = alone
    mine = {r["policyId"]: r for r in a["results"]}
    other = {r["policyId"]: r for r in b["results"]}
    # otherwise the concurrent tests below could not tell them apart; caCoverage judges this one
    assert mine["AAD.MFA.ALL-USERS"]["message"] != other["AAD.MFA.ALL-USERS"]["message"]
    assert [r["status"] for r in a["results"]] != [r["status"] for r in b["results"]]


def test_two_different_audits_at_once_each_get_their_own_results(
    snapshots: tuple[Snapshot, Snapshot],
    alone: tuple[dict[str, Any], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    fine_switching: None,
) -> None:
    a, b = snapshots
    inputs_a, inputs_b = _inputs(a), _inputs(b)
    built = _rendezvous_after_build(monkeypatch, 2)
    got_a, got_b = _concurrently(lambda: _document(inputs_a), lambda: _document(inputs_b))
    assert sorted(built) == sorted({id(a.data), id(b.data)})  # one model per audit, both built first
    assert got_a == alone[0]
    assert got_b == alone[1]


def test_the_same_audit_twice_at_once_gives_the_same_results(
    snapshots: tuple[Snapshot, Snapshot],
    alone: tuple[dict[str, Any], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    fine_switching: None,
) -> None:
    a, _ = snapshots
    inputs = _inputs(a)
    built = _rendezvous_after_build(monkeypatch, 2)
    first, second = _concurrently(lambda: _document(inputs), lambda: _document(inputs))
    assert len(built) == 2  # each audit builds (and keeps) its own model
    assert first == alone[0] and second == alone[0]


def test_the_model_is_built_once_per_audit_and_released_with_it(
    snapshots: tuple[Snapshot, Snapshot], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = snapshots
    calls: list[int] = []
    original = cov._build

    def counted(data: Mapping[str, Any], status_of: Callable[[str], Any]) -> Any:
        calls.append(id(data))
        return original(data, status_of)

    monkeypatch.setattr(cov, "_build", counted)
    ctx_a, ctx_b = context_from_snapshot(a), context_from_snapshot(b)
    with ctx_a.runtime.active():
        model_a = cov.tenant_for(a.data, a.source_status)
        with ctx_b.runtime.active():  # another audit, interleaved
            model_b = cov.tenant_for(b.data, b.source_status)
        assert cov.tenant_for(a.data, a.source_status) is model_a  # still this audit's own
    assert model_a is not model_b
    assert calls == [id(a.data), id(b.data)]
    assert ctx_a.runtime.cache
    ctx_a.close()
    assert not ctx_a.runtime.cache  # closing lets go of the model
    assert cov.tenant_for(a.data, a.source_status) is not model_a  # outside an audit: built afresh
    ctx_b.close()


def test_size_budgets_of_two_threads_are_counted_apart() -> None:
    """Each thread's evaluation charges its own runtime: a large evaluation in one thread does
    not use up the budget of another."""
    program = cel.compile("xs.map(x, x + 1)", ["xs"])
    barrier = threading.Barrier(2, timeout=30)

    def run(n: int, budget: int) -> Any:
        ctx = context_from_data({}, now=context_from_snapshot(api.demo_snapshot()).now)
        with ctx, ctx.runtime.active(), ctx.runtime.size_budget(budget):
            barrier.wait()
            try:
                return program.evaluate({"xs": list(range(n))})
            except cel.CelEvalError as exc:
                return exc.message

    results: dict[str, Any] = {}
    threads = [
        threading.Thread(target=lambda: results.__setitem__("small", run(10, 100))),
        threading.Thread(target=lambda: results.__setitem__("large", run(1000, 100))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results["small"] == list(range(1, 11))
    assert "more than 100" in results["large"]


def test_an_unreadable_audit_feed_is_an_error_that_names_the_reason() -> None:
    """AUDIT.LOGS.FLOWING gives an unreadable feed no verdict through ``error()``: the finding's
    message is the reason itself, not a failed timestamp parse."""
    import datetime as dt
    from pathlib import Path

    from auditor.engine import evaluate_policy
    from auditor.policy import load_policy_file

    root = Path(__file__).resolve().parents[2]
    policy = load_policy_file(root / "policies" / "audit" / "audit-logs-flowing.yaml")
    fresh = {"status": "ok", "value": [{"activityDateTime": "2026-11-30T11:50:00Z"}]}
    data = {
        "recentAuditActivity": {
            "directoryAudits": fresh,
            "signIns": {"status": "not_licensed", "error": "Entra ID P1 is needed for sign-in logs"},
            "subscriptions": {"status": "forbidden", "error": "403 ActivityFeed.Read"},
        }
    }
    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    with context_from_data(data, now=now) as ctx:
        result = evaluate_policy(policy, ctx)
    assert result.status == "error"
    by_subject = {f.subject: f for f in result.findings}
    assert by_subject["directoryAudits"].status == "pass"
    sign_ins = by_subject["signIns"]
    assert sign_ins.status == "error"
    assert sign_ins.message.endswith("unreadable (not_licensed): Entra ID P1 is needed for sign-in logs")
    assert "timestamp" not in sign_ins.message
    exchange = by_subject["Audit.Exchange"]
    assert exchange.status == "error"
    assert exchange.message.endswith(
        "unreadable (forbidden): the subscription list could not be read: 403 ActivityFeed.Read"
    )
