"""Policies that filter the same collection the same way share one result.

``userRegistrationDetails.filter(u, u.userType != 'guest')`` written in two policies (at
different places, spaced differently) runs once per snapshot list; anything that could
evaluate differently (another literal, another free name, a custom function) does not share.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor import cel
from auditor.cel import compile as cel_compile

from .helpers import ev

REGS = [{"userType": "guest" if i % 3 == 0 else "member", "id": f"u{i}"} for i in range(3000)]


def _run(source: str, names: list[str], **data: Any) -> Any:
    return cel_compile(source, names).evaluate(data)


def test_the_same_macro_in_two_policies_is_evaluated_once() -> None:
    with cel.Runtime() as rt, rt.active():
        first = _run("regs.filter(u, u.userType != 'guest')", ["regs"], regs=REGS)
        second = _run("regs.filter(u,\n   u.userType != 'guest')", ["regs", "other"], regs=REGS, other=1)
        assert first is second  # one result, handed to both
        assert first == [r for r in REGS if r["userType"] != "guest"]
        assert ev("regs.filter(u, u.userType != 'guest')", regs=REGS) == first  # the interpreter agrees
        assert rt.shared
    assert not rt.shared
    with cel.Runtime() as other, other.active():  # another audit shares nothing with the first
        third = _run("regs.filter(u, u.userType != 'guest')", ["regs"], regs=REGS)
    assert third == first and third is not first


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("regs.filter(u, u.userType != kind)", ["regs", "kind"]),  # reads another name
        ("regs.map(u, u.id + suffix)", ["regs", "suffix"]),
        ("[1, 2].map(x, regs.filter(u, u.id == string(x)))", ["regs"]),  # reads the outer variable
    ],
)
def test_macros_that_read_anything_but_their_list_are_not_shared(source: str, names: list[str]) -> None:
    assert "_shared(" not in cel_compile(source, names)._generated_source()


def test_a_different_literal_or_variable_name_is_another_macro() -> None:
    members = _run("regs.filter(u, u.userType != 'guest')", ["regs"], regs=REGS)
    guests = _run("regs.filter(u, u.userType != 'member')", ["regs"], regs=REGS)
    renamed = _run("regs.filter(r, r.userType != 'guest')", ["regs"], regs=REGS)
    assert members is not guests and len(members) == 2000 and len(guests) == 1000
    assert renamed == members


def test_errors_are_not_kept_and_small_lists_are_not_cached() -> None:
    broken = [*REGS, {"id": "no type"}]
    with cel.Runtime() as rt, rt.active():
        for _ in range(2):
            with pytest.raises(cel.CelEvalError, match="userType"):
                _run("regs.filter(u, u.userType != 'guest')", ["regs"], regs=broken)
        assert not rt.shared
        small = REGS[:10]
        assert _run("regs.exists(u, u.userType == 'guest')", ["regs"], regs=small) is True
        assert not rt.shared
