"""Public API: evaluate/evaluate_each, introspection, budgets, conversion helpers."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from auditor import cel
from auditor.cel import CelEvalError, CelType, Uint, format_value, time_budget, to_json
from auditor.cel import compile as cel_compile


def test_evaluate_each_values_and_errors() -> None:
    program = cel_compile("u.isMfaRegistered", ["u", "params"])
    items = [{"isMfaRegistered": True}, {"isMfaRegistered": False}, {}, None, {"isMfaRegistered": None}]
    out = program.evaluate_each({"params": {}}, "u", items)
    assert out[:2] == [True, False]
    assert isinstance(out[2], CelEvalError) and out[2].message == "no such key: 'isMfaRegistered'"
    assert (out[2].line, out[2].column) == (1, 3)
    assert isinstance(out[3], CelEvalError) and "null_type" in out[3].message
    assert out[4] is None


def test_evaluate_each_uses_other_names_and_absorbs_per_item() -> None:
    program = cel_compile(
        "u.methods.exists(m, m in params.strong) || u.upn in params.exempt", ["u", "params"]
    )
    params = {"strong": ["fido2", "windowsHelloForBusiness"], "exempt": ["bg@x"]}
    items = [
        {"upn": "a@x", "methods": ["fido2"]},
        {"upn": "b@x", "methods": ["sms"]},
        {"upn": "bg@x", "methods": None},  # error on the left, absorbed by the true right side
        {"upn": "c@x"},  # error, not absorbed
    ]
    out = program.evaluate_each({"params": params}, "u", items)
    assert out[:3] == [True, False, True]
    assert isinstance(out[3], CelEvalError) and out[3].message == "no such key: 'methods'"


def test_evaluate_each_matches_evaluate() -> None:
    program = cel_compile("size(u.roles.filter(r, r.startsWith('Global'))) > 0 ? 'admin' : u.name", ["u"])
    items = [
        {"roles": ["GlobalReader"], "name": "a"},
        {"roles": [], "name": "b"},
        {"roles": [1]},
        {"name": "d"},
    ]
    each = program.evaluate_each({}, "u", items)
    for item, got in zip(items, each, strict=True):
        try:
            expected = program.evaluate({"u": item})
        except CelEvalError as exc:
            expected = exc
        assert got == expected


def test_evaluate_each_rejects_undeclared_name() -> None:
    program = cel_compile("u", ["u"])
    with pytest.raises(CelEvalError):
        program.evaluate_each({}, "v", [1])


def test_evaluate_each_with_missing_activation_name() -> None:
    program = cel_compile("u.a + p", ["u", "p"])
    out = program.evaluate_each({}, "u", [{"a": 1}])
    assert isinstance(out[0], CelEvalError) and "'p'" in out[0].message


def test_missing_activation_variable() -> None:
    with pytest.raises(CelEvalError) as info:
        cel_compile("x + 1", ["x"]).evaluate({})
    assert "no value for 'x'" in info.value.message


def test_references_and_selections() -> None:
    program = cel_compile(
        "params.a + params.b > 0 && has(params.c) && users.all(u, u.x == params['d']) && [1].all(params, params > 0)",
        ["params", "users", "unused"],
    )
    assert program.references() == {"params", "users"}
    assert program.selections("params") == {"a", "b", "c", "d"}
    assert program.selections("users") == set()
    assert program.selections("u") == set()
    assert cel_compile("1 + 2", ["x"]).references() == set()


def test_custom_functions() -> None:
    def domain(upn: str) -> str:
        return upn.split("@", 1)[1]

    def boom(x: object) -> object:
        raise RuntimeError("kaput")

    program = cel_compile(
        "domain(u.upn) == 'x.com' && u.upn.domain() == 'x.com'", ["u"], functions={"domain": domain}
    )
    assert program.evaluate({"u": {"upn": "a@x.com"}}) is True
    with pytest.raises(CelEvalError) as info:
        program.evaluate({"u": {"upn": "no-at-sign"}})
    assert "domain" in info.value.message
    with pytest.raises(cel.CelCompileError):
        cel_compile("domain(1, 2)", [], functions={"domain": domain})
    with pytest.raises(CelEvalError) as info:
        cel_compile("boom(1)", [], functions={"boom": boom}).evaluate({})
    assert "kaput" in info.value.message


class _Opaque:
    pass


@pytest.mark.parametrize(
    "source",
    [
        "x + 1",
        "x.a",
        "x[0]",
        "size(x)",
        "x < 1",
        "type(x)",
        "string(x)",
        "x.all(v, v)",
        "-x",
        "!x",
        "x ? 1 : 2",
        "x.matches('a')",
        "has(x.a)",
        "1 in x",
        "int(x)",
        "timestamp(x)",
    ],
)
def test_never_raises_other_exception_types(source: str) -> None:
    program = cel_compile(source, ["x"])
    for value in (_Opaque(), {1, 2}, object(), (1, "a"), float("nan")):
        try:
            program.evaluate({"x": value})
        except CelEvalError:
            pass
        out = program.evaluate_each({}, "x", [value])
        assert len(out) == 1


def test_internal_recursion_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    program = cel_compile("[1].map(a, " * 40 + "a" + ")" * 40, [])
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(120)
        try:
            program.evaluate({})
        except CelEvalError as exc:
            assert "nested" in exc.message or "internal" in exc.message
    finally:
        sys.setrecursionlimit(limit)


def test_python_compile_failure_falls_back_to_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.cel.codegen import CodeGen
    from auditor.cel.program import _FAILED

    # Simulate generated code Python refuses to compile (e.g. beyond its own nesting limits).
    monkeypatch.setattr(CodeGen, "eval_source", lambda self: "def _eval(:\n")
    monkeypatch.setattr(CodeGen, "each_source", lambda self, item: "def _each(:\n")
    program = cel_compile("[1, 2].all(v, v > 0) && x.a == 1", ["x"])
    assert program.evaluate({"x": {"a": 1}}) is True
    assert program._fast_eval() is _FAILED
    assert program.evaluate_each({}, "x", [{"a": 1}, {}])[0] is True


def test_deep_but_legal_expressions_evaluate() -> None:
    source = "".join(f"[1].all(v{i}, " for i in range(90)) + "true" + ")" * 90
    assert cel_compile(source, []).evaluate({}) is True
    source = "(" * 95 + "1" + " + 1)" * 95
    assert cel_compile(source, []).evaluate({}) == 96


def test_fast_path_falls_back_per_item() -> None:
    program = cel_compile("u.n * 2", ["u"])
    out = program.evaluate_each({}, "u", [{"n": 1}, {"n": 9223372036854775807}, {"n": 2}])
    assert out[0] == 2 and out[2] == 4
    assert isinstance(out[1], CelEvalError) and out[1].message == "integer overflow"


def test_time_budget_stops_runaway_evaluation() -> None:
    big = list(range(2000))
    program = cel_compile(
        "[1, 2, 3, 4, 5, 6, 7, 8].map(a, big.map(b, big.map(c, b + c)))", ["big"]
    )  # reads b: not loop-invariant, so not shared
    for fast in (True, False):
        program._fast_enabled = fast
        started = time.perf_counter()
        with pytest.raises(CelEvalError) as info, time_budget(0.3):
            program.evaluate({"big": big})
        assert info.value.message == "evaluation exceeded the time budget of 0.3 s"
        assert time.perf_counter() - started < 3


def test_time_budget_in_evaluate_each_and_no_effect_when_fast_enough() -> None:
    program = cel_compile("big.exists(b, big.exists(c, b + c < 0))", ["big", "u"])
    with pytest.raises(CelEvalError), time_budget(0.2):
        program.evaluate_each({"big": list(range(3000))}, "u", [1, 2, 3])
    with time_budget(5):
        assert cel_compile("1 + 1", []).evaluate({}) == 2
    time.sleep(0.01)  # the timer is cancelled on exit


def test_size_guard_against_memory_bombs(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.cel import ops

    monkeypatch.setattr(ops, "MAX_SIZE", 100)
    program = cel_compile("[l].map(a, a + a).map(a, a + a)", ["l"])
    with pytest.raises(CelEvalError) as info:
        program.evaluate({"l": list(range(30))})
    assert "larger than 100" in info.value.message
    with pytest.raises(CelEvalError):
        cel_compile("s + s", ["s"]).evaluate({"s": "x" * 60})


def test_to_json() -> None:
    value = {
        "ts": dt.datetime(2020, 1, 1, 0, 0, 0, 500000, tzinfo=dt.UTC),
        "dur": dt.timedelta(hours=1),
        "u": Uint(3),
        "b": b"\x00\xff",
        "t": CelType("int"),
        "l": [None, True, 1.5, "s"],
        1: "int key",
    }
    assert to_json(value) == {
        "ts": "2020-01-01T00:00:00.500Z",
        "dur": "3600s",
        "u": 3,
        "b": "AP8=",
        "t": "int",
        "l": [None, True, 1.5, "s"],
        "1": "int key",
    }
    assert type(to_json(Uint(3))) is int


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (Uint(3), "3u"),
        (1.5, "1.5"),
        (2.0, "2"),
        ([1, "a", None], '[1, "a", null]'),
        ({"k": [True]}, '{"k": [true]}'),
        (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "2020-01-01T00:00:00Z"),
        (dt.timedelta(seconds=90), "90s"),
        (CelType("google.protobuf.Timestamp"), "google.protobuf.Timestamp"),
        (b"ab", 'b"ab"'),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_cel_error_str_and_equality() -> None:
    e = CelEvalError("no such key: 'x'", 2, 5)
    assert str(e) == "2:5: no such key: 'x'"
    assert e == CelEvalError("no such key: 'x'", 2, 5)
    assert e != cel.CelCompileError("no such key: 'x'", 2, 5)


def test_program_is_reusable_and_thread_safe() -> None:
    import concurrent.futures

    program = cel_compile("xs.filter(x, x % 2 == 0).size()", ["xs"])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: program.evaluate({"xs": list(range(n))}), range(200)))
    assert results == [(n + 1) // 2 for n in range(200)]


def test_time_budget_nesting_and_threads() -> None:
    import threading
    import types

    slow = cel_compile("big.map(a, big.map(b, a + b))", ["big"])
    with time_budget(10):
        with pytest.raises(CelEvalError) as info, time_budget(0.1):
            slow.evaluate({"big": list(range(5000))})
        assert "0.1 s" in info.value.message
        # the outer budget is still armed and did not fire
        assert cel_compile("1 + 1", []).evaluate({}) == 2

    results: list[object] = []

    def worker() -> None:
        with time_budget(5):  # off the main thread the deadline applies; this one is met
            results.append(cel_compile("x.a", ["x"]).evaluate(types.MappingProxyType({"x": {"a": 5}})))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert results == [5]


def test_evaluate_each_accepts_any_sequence() -> None:
    program = cel_compile("u * 2", ["u"])
    assert program.evaluate_each({}, "u", (1, 2, 3)) == [2, 4, 6]
    assert program.evaluate_each({}, "u", []) == []


def test_fast_exists_absorbs_errors_without_falling_back() -> None:
    program = cel_compile("policies.exists(p, 'mfa' in p.grantControls.builtInControls)", ["policies"])
    policies = [{"grantControls": None}] * 50 + [{"grantControls": {"builtInControls": ["mfa"]}}]
    assert program._fast_eval()({"policies": policies}) is True
    assert program.evaluate({"policies": policies}) is True
    with pytest.raises(CelEvalError) as info:
        program.evaluate({"policies": policies[:50]})
    assert "null_type" in info.value.message
    program = cel_compile("xs.all(x, x.ok)", ["xs"])
    assert program._fast_eval()({"xs": [{}, {"ok": False}]}) is False


def test_compile_never_raises_recursion_error_on_a_deep_stack() -> None:
    import sys

    source = "[1].map(a, " * 60 + "a" + ")" * 60
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(150)
        with pytest.raises(cel.CelSyntaxError) as info:
            cel_compile(source, [])
        assert "too deep" in info.value.message
    finally:
        sys.setrecursionlimit(limit)
    expected: object = 1
    for _ in range(60):
        expected = [expected]
    assert cel_compile(source, []).evaluate({}) == expected


def test_format_value_quotes_times_inside_collections() -> None:
    when = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert format_value([when, dt.timedelta(hours=1)]) == '["2020-01-01T00:00:00Z", "3600s"]'
    assert format_value({"a": ["x", 1.0, None]}) == '{"a": ["x", 1, null]}'


@pytest.mark.parametrize(
    "source",
    [
        "u.isMfaRegistered",
        "u.isAdmin && !u.methodsRegistered.exists(m, m in params.strong)",
        "u.userPrincipalName.endsWith('@contoso.com') && size(u.methodsRegistered) >= 2",
        "u.userType in ['member', 'guest'] ? u.isMfaRegistered : true",
        "now - timestamp(u.lastSignIn) < duration('8760h')",
        "has(u.manager) && u.manager.id != ''",
    ],
)
def test_fast_path_handles_typical_per_subject_rules(source: str) -> None:
    """The speed contract: typical rules must not silently fall back to the interpreter."""
    program = cel_compile(source, ["u", "params", "now"])
    users = [
        {
            "isMfaRegistered": i % 2 == 0,
            "isAdmin": i % 3 == 0,
            "methodsRegistered": ["fido2"] if i % 4 else [],
            "userPrincipalName": f"u{i}@contoso.com",
            "userType": "member",
            "lastSignIn": "2025-01-01T00:00:00.1234567Z",
            "manager": {"id": "m"},
        }
        for i in range(50)
    ]
    act = {"params": {"strong": ["fido2"]}, "now": dt.datetime(2025, 6, 1, tzinfo=dt.UTC)}
    out, bad = program._fast_each("u")(act, users, object())
    assert bad == [] and len(out) == 50
    program._fast_enabled = False
    assert program.evaluate_each(act, "u", users) == out


def test_fast_path_handles_benchmark_aggregates() -> None:
    users = [{"isMfaRegistered": i != 7} for i in range(1000)]
    program = cel_compile("size(users.filter(u, u.isMfaRegistered)) * 100 / size(users) >= 99", ["users"])
    assert program._fast_eval()({"users": users}) is True
    policies = [
        {
            "state": "enabled",
            "grantControls": {"builtInControls": ["mfa"]},
            "conditions": {"users": {"includeUsers": ["All"]}},
        }
    ]
    program = cel_compile(
        "policies.exists(p, p.state == 'enabled' && 'mfa' in p.grantControls.builtInControls"
        " && 'All' in p.conditions.users.includeUsers)",
        ["policies"],
    )
    assert program._fast_eval()({"policies": policies}) is True


def test_qualified_names_resolve_longest_prefix_first() -> None:
    program = cel_compile("a.b.c", ["a", "a.b"])
    assert program.evaluate({"a": {"b": {"c": "short"}}, "a.b": {"c": "long"}}) == "long"
    assert program.references() == {"a.b"} and program.selections("a.b") == {"c"}
    assert cel_compile("a.b.c", ["a.b.c"]).evaluate({"a.b.c": 5}) == 5
    assert cel_compile("a.b.c", ["a"]).evaluate({"a": {"b": {"c": 6}}}) == 6
    # a macro variable shadows the dotted name's root
    assert cel_compile("[{'b': 2}].map(a, a.b)", ["a.b"]).evaluate({"a.b": 9}) == [2]
    program = cel_compile("x.y + has(x.y.z)", ["x.y", "x_y"])
    program._fast_enabled = True
    assert program.evaluate_each({"x_y": 0}, "x.y", [{"z": 1}]) == [
        CelEvalError("no matching overload for '_+_' applied to (map, bool)", 1, 5)
    ]


@pytest.mark.parametrize("engine", cel.ENGINES)
def test_time_budget_stops_runaway_evaluation_off_the_main_thread(engine: cel.Engine) -> None:
    """No SIGALRM off the main thread: the deadline checked at each comprehension step stops it."""
    import threading

    program = cel_compile("big.map(a, big.map(b, a + b)).size()", ["big"], engine=engine)
    outcome: list[object] = []

    def worker() -> None:
        started = time.perf_counter()
        try:
            with time_budget(0.2):
                outcome.append(program.evaluate({"big": list(range(20000))}))
        except CelEvalError as exc:
            outcome.append(exc.message)
        outcome.append(time.perf_counter() - started)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    assert outcome[0] == "evaluation exceeded the time budget of 0.2 s"
    assert isinstance(outcome[1], float) and outcome[1] < 5


def test_the_engine_is_chosen_at_compile_time_and_both_agree() -> None:
    source = "xs.filter(x, x > 1).map(x, x * 2)"
    compiled = cel_compile(source, ["xs"])
    interpreted = cel_compile(source, ["xs"], engine="interpreter")
    assert (compiled.engine, interpreted.engine) == ("compiled", "interpreter")
    assert compiled.evaluate({"xs": [1, 2, 3]}) == interpreted.evaluate({"xs": [1, 2, 3]}) == [4, 6]
    cel.reset_fallback_counts()
    with pytest.raises(CelEvalError) as info:
        interpreted.evaluate({"xs": [1, "a"]})
    assert "no matching overload" in info.value.message
    assert cel.fallback_counts() == {"build": 0, "exception": 0, "error": 0}
    with pytest.raises(ValueError, match="unknown CEL engine"):
        cel_compile(source, ["xs"], engine="fast")  # type: ignore[arg-type]


def test_fallbacks_are_counted_by_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    cel.reset_fallback_counts()
    program = cel_compile("x.a + 1", ["x"])
    assert program.evaluate({"x": {"a": 1}}) == 2
    assert cel.fallback_counts() == {"build": 0, "exception": 0, "error": 0}
    with pytest.raises(CelEvalError):
        program.evaluate({"x": {}})  # a CEL error: the interpreter gives the positioned message
    assert cel.fallback_counts()["error"] == 1

    def broken(_act: object) -> object:
        raise KeyError("generated code gave up")

    program._eval_fn = broken  # as if the code generator had a bug for this input
    assert program.evaluate({"x": {"a": 1}}) == 2
    assert cel.fallback_counts()["exception"] == 1
    assert program.evaluate_each({"x": {"a": 1}}, "x", [{"a": 1}, {}])[0] == 2
    assert cel.fallback_counts() == {"build": 0, "exception": 1, "error": 2}

    from auditor.cel.codegen import CodeGen

    monkeypatch.setattr(CodeGen, "eval_source", lambda self: "def _eval(:\n")
    assert cel_compile("1 + 2", []).evaluate({}) == 3  # built once, failed, interpreted
    assert cel.fallback_counts()["build"] == 1


def test_the_alarm_never_fires_outside_an_evaluation() -> None:
    """SIGALRM raised while a budget's block is being left could skip that budget's clean-up
    and leave a stale deadline behind; it only interrupts evaluations."""
    from auditor.cel import budget

    with time_budget(0.05):
        time.sleep(0.15)  # no evaluation running: the alarm is ignored
    assert budget._DEADLINE.get() is None
    assert cel_compile("1 + 1", []).evaluate({}) == 2
