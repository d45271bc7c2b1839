"""The function table: one declaration per function, read by checker, interpreter and code generator.

Follows "How to add a CEL function" in docs/architecture.md with a toy function, and checks
``error()``, the declared reads, the frozen table and pickling.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from auditor import cel
from auditor.cel.errors import EvalFailure
from auditor.cel.ops import no_overload


def domain_of(upn: Any) -> str:
    if upn.__class__ is not str:
        raise no_overload("domainOf", upn)
    if "@" not in upn:
        raise EvalFailure(f"'{upn}' has no domain")
    return upn.split("@", 1)[1]


def fast_domain_of(
    gen: cel.Emitter, node: Any, operands: Any
) -> tuple[str, str] | None:  # an inline form: a str method call, else give up
    t = gen.tmp()
    return (
        f"({t}.partition('@')[2] if ({t} := {operands[0][0]}).__class__ is _str and '@' in {t} else _fail())",
        "string",
    )


def licensed_users(plan: Any) -> list[Any]:
    raise RuntimeError("no snapshot bound")  # a host function: any exception becomes `name: message`


def table(*, fast: bool = False) -> cel.FunctionTable:
    out = cel.standard_functions()
    out.register(
        cel.Function(
            "domainOf",
            domain_of,
            (cel.Overload(("string",), "string"),),
            style="member",
            fast=fast_domain_of if fast else None,
        )
    )
    out.register(
        cel.Function(
            "licensedUsers",
            licensed_users,
            (cel.Overload(("string",), "list"),),
            reads=("users", "subscribedSkus"),
            pure=False,
        )
    )
    return out.freeze()


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("engine", cel.ENGINES)
def test_a_registered_function_runs_the_same_in_both_engines(engine: cel.Engine, fast: bool) -> None:
    program = cel.compile(
        "users.map(u, u.upn.domainOf())", ["users"], functions=table(fast=fast), engine=engine
    )
    assert program.evaluate({"users": [{"upn": "a@x.com"}, {"upn": "b@y.org"}]}) == ["x.com", "y.org"]
    with pytest.raises(cel.CelEvalError) as info:
        program.evaluate({"users": [{"upn": "nobody"}]})
    assert info.value.message == "'nobody' has no domain"
    assert (info.value.line, info.value.column) == (1, 20)  # the call


def test_the_fast_form_is_what_the_generated_code_calls() -> None:
    inline = cel.compile("u.domainOf() == 'x.com'", ["u"], functions=table(fast=True))
    called = cel.compile("u.domainOf() == 'x.com'", ["u"], functions=table())
    assert ".partition('@')" in inline._generated_source()
    assert ".partition('@')" not in called._generated_source()
    cel.reset_fallback_counts()
    assert inline.evaluate({"u": "a@x.com"}) is True
    assert cel.fallback_counts()["exception"] == 0


def test_calls_are_checked_against_the_declaration() -> None:
    functions = table()
    with pytest.raises(cel.CelCompileError, match="no matching overload for 'domainOf' with 1 argument"):
        cel.compile("u.domainOf('x')", ["u"], functions=functions)
    with pytest.raises(cel.CelCompileError, match="undeclared reference to 'domainOf'"):
        cel.compile("domainOf(u)", ["u"], functions=functions)  # declared as a member function only
    with pytest.raises(cel.CelCompileError, match="undeclared reference to 'domainOf'"):
        cel.compile("u.domainOf()", ["u"])  # the standard table alone does not have it


def test_reads_come_from_the_functions_the_checked_tree_calls() -> None:
    functions = table()
    program = cel.compile("size(licensedUsers('E5')) > 0", [], functions=functions)
    assert program.calls() == {"size", "licensedUsers"}
    assert program.reads() == {"users", "subscribedSkus"}
    # the name in a string or a comment-like text is not a call
    assert cel.compile("'licensedUsers(' == x", ["x"], functions=functions).reads() == set()


def test_host_function_errors_are_named_and_never_shared() -> None:
    functions = table()
    with pytest.raises(cel.CelEvalError, match="licensedUsers: no snapshot bound"):
        cel.compile("licensedUsers('E5')", [], functions=functions).evaluate({})
    program = cel.compile("xs.filter(x, size(licensedUsers(x)) > 0)", ["xs"], functions=functions)
    assert "_shared(" not in program._generated_source()  # not pure: the result is not shared


def test_a_frozen_table_refuses_changes_and_names_are_declared_once() -> None:
    functions = table()
    extra = cel.Function("other", domain_of, (cel.Overload(("string",), "string"),))
    with pytest.raises(ValueError, match="frozen"):
        functions.register(extra)
    copy = functions.copy()
    copy.register(extra)
    assert copy.lookup("other", member=False) is extra and functions.lookup("other", member=False) is None
    with pytest.raises(ValueError, match="declared twice"):
        copy.register(extra)
    with pytest.raises(ValueError, match="not pure"):
        cel.Function("bad", domain_of, (cel.Overload((), "dyn"),), reads=("users",))


def test_a_pickled_program_keeps_its_host_functions() -> None:
    program = cel.compile("u.domainOf() + ':' + string(size(licensedUsers('x')))", ["u"], functions=table())
    loaded = pickle.loads(pickle.dumps(program))
    assert loaded.reads() == {"users", "subscribedSkus"}
    assert loaded.functions.lookup("domainOf", member=True) is not None
    assert loaded.functions.lookup("size", member=False) is not None
    with pytest.raises(cel.CelEvalError, match="licensedUsers: no snapshot bound"):
        loaded.evaluate({"u": "a@x.com"})


@pytest.mark.parametrize("engine", cel.ENGINES)
def test_error_makes_an_error_value_with_its_message(engine: cel.Engine) -> None:
    def run(source: str, **names: Any) -> Any:
        return cel.compile(source, list(names), engine=engine).evaluate(names)

    with pytest.raises(cel.CelEvalError) as info:
        run("x > 0 ? x : error('unreadable (' + s + '): no licence')", x=0, s="forbidden")
    assert info.value.message == "unreadable (forbidden): no licence"
    assert (info.value.line, info.value.column) == (1, 13)
    # an error is absorbed where another operand decides, as every CEL error is
    assert run("false && error('x')") is False
    assert run("error('x') || true") is True
    assert run("[1, 2].exists(i, i == 2 || error('x'))") is True
    with pytest.raises(cel.CelEvalError, match="no matching overload for 'error'"):
        run("error(1)")
    with pytest.raises(cel.CelCompileError):
        cel.compile("error()", [])


def test_the_policy_compiler_table_holds_the_domain_functions() -> None:
    from auditor.policy.compile import function_table

    functions = function_table()
    ca = functions.lookup("caCoverage", member=False)
    assert ca is not None and "conditionalAccessPolicies" in ca.reads and not ca.pure
    assert functions.lookup("error", member=False) is not None
    with pytest.raises(ValueError, match="frozen"):
        functions.register(cel.Function("x", domain_of, (cel.Overload((), "dyn"),)))
