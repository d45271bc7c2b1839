"""Joins written as scans (``coll.exists(v, v.f == k)``, ``coll.filter(...)``) become index lookups.

The lookup must give exactly the scan's result: the same value, the same errors, the same
order of filtered elements, whatever the data (missing fields, non-maps, non-string keys).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from auditor.cel import Runtime
from auditor.cel import compile as cel_compile

from .helpers import err, ev

JOIN = "ids.map(i, users.exists(u, u.id == i) ? users.filter(u, u.id == i)[0].name : null)"
ANTI = "ids.filter(i, !users.exists(u, i == u.id))"

USERS = [
    {"id": "a", "name": "Ann"},
    {"id": "b", "name": "Bob"},
    {"id": "a", "name": "Ann2"},
    {"id": 1, "name": "one"},
    {"id": None, "name": "null"},
]


def test_the_compiler_emits_an_index_lookup_for_a_join_inside_a_macro() -> None:
    source = cel_compile(JOIN, ["ids", "users"])._generated_source()
    assert "_jexists" in source
    assert "_jfilter" in source


def test_a_top_level_scan_against_a_literal_stays_a_scan() -> None:
    source = cel_compile("users.filter(u, u.id == 'a')", ["users"])._generated_source()
    assert "_jfilter" not in source


def _fast(source: str, **data: Any) -> Any:
    """The generated code's own answer (no fallback to the interpreter allowed)."""
    program = cel_compile(source, list(data))
    fn = program._fast_eval()
    return fn(data)


def test_lookups_agree_with_the_interpreter_and_keep_order_and_duplicates() -> None:
    assert ev(JOIN, ids=["a", "b", "c"], users=USERS) == ["Ann", "Bob", None]
    assert ev("ids.map(i, users.filter(u, u.id == i).map(u, u.name))", ids=["a"], users=USERS) == [
        ["Ann", "Ann2"]
    ]
    assert ev(ANTI, ids=["a", "z"], users=USERS) == ["z"]
    assert _fast(JOIN, ids=["a", "b", "c"], users=USERS) == ["Ann", "Bob", None]


def test_non_string_keys_fall_back_to_the_scan_semantics() -> None:
    # 1 == 1.0 in CEL; the index holds strings only, so numeric keys take the scan
    assert ev("ids.map(i, users.exists(u, u.id == i))", ids=[1.0, 2, "b"], users=USERS) == [True, False, True]
    assert ev("ids.map(i, users.exists(u, u.id == i))", ids=[None], users=USERS) == [True]


def test_an_element_without_the_field_errors_unless_a_match_absorbs_it() -> None:
    broken = [*USERS, {"other": 1}]
    assert ev("ids.map(i, users.exists(u, u.id == i))", ids=["a"], users=broken) == [True]
    err("ids.map(i, users.exists(u, u.id == i))", ids=["zz"], users=broken)
    err("ids.map(i, users.filter(u, u.id == i))", ids=["a"], users=broken)
    err("ids.map(i, users.exists(u, u.id == i))", ids=["zz"], users=[*USERS, "not a map"])


def test_an_erroring_key_over_an_empty_collection_is_still_false() -> None:
    assert ev("ids.map(i, users.exists(u, u.id == i.missing))", ids=[{"x": 1}], users=[]) == [False]


@pytest.mark.parametrize("field", ["id", "name"])
def test_the_index_is_per_list_and_field(field: str) -> None:
    a = [{"id": "x", "name": "y"}]
    b = [{"id": "y", "name": "x"}]
    src = f"ks.map(k, xs.exists(v, v.{field} == k))"
    with Runtime() as rt, rt.active():  # one runtime: both lists' indexes live side by side
        assert ev(src, ks=["x", "y"], xs=a) == [field == "id", field == "name"]
        assert ev(src, ks=["x", "y"], xs=b) == [field == "name", field == "id"]
        assert len(rt.joins) == 2
    assert len(rt.joins) == 0  # closing the runtime lets go of the indexes and their lists


IN_FILTER = "users.filter(u, u.id in ids).map(u, u.name)"
IN_EXISTS = "users.exists(u, u.id in ids)"


def test_membership_joins_become_lookups_even_at_the_top_level() -> None:
    """``coll.filter(v, v.f in ks)`` scans with a list search per element; the index is cheaper
    than the scan even once, so it is used wherever ``ks`` does not depend on ``v``."""
    assert "_jfilter_in" in cel_compile(IN_FILTER, ["users", "ids"])._generated_source()
    assert "_jexists_in" in cel_compile(IN_EXISTS, ["users", "ids"])._generated_source()
    assert (
        "_jfilter_in" not in cel_compile("users.filter(u, u.id in u.others)", ["users"])._generated_source()
    )


@pytest.mark.parametrize(
    ("ids", "names", "exists"),
    [
        (["b", "a"], ["Ann", "Bob", "Ann2"], True),  # the list's order and duplicates, not the keys'
        (["a", "a"], ["Ann", "Ann2"], True),
        (["zz"], [], False),
        ([], [], False),
        ([1, "b"], ["Bob", "one"], True),  # a non-string key: the scan decides (1 in [1, 'b'])
    ],
)
def test_membership_lookups_agree_with_the_scan(ids: list[Any], names: list[str], exists: bool) -> None:
    assert ev(IN_FILTER, ids=ids, users=USERS) == names
    assert ev(IN_EXISTS, ids=ids, users=USERS) is exists
    if all(isinstance(i, str) for i in ids):
        assert _fast(IN_FILTER, ids=ids, users=USERS) == names  # answered by the index itself


def test_membership_join_errors_exactly_as_the_scan() -> None:
    broken = [*USERS, {"other": 1}]
    err(IN_FILTER, ids=["a"], users=broken)
    assert ev(IN_EXISTS, ids=["a"], users=broken) is True  # a match absorbs the error
    err(IN_EXISTS, ids=["zz"], users=broken)


@pytest.mark.parametrize(
    ("expression", "size", "step", "bound"),
    [
        # a scan per principal would be 5 x 60 x 2 x 200,000 comparisons (tens of seconds)
        (JOIN, 200_000, 3000, 3.0),
        # five scans with a list search per element: several seconds
        (IN_FILTER, 300_000, 5000, 2.0),
    ],
    ids=["lookups by ==", "a membership filter by in"],
)
def test_sixty_lookups_over_a_large_collection_are_cheap(
    expression: str, size: int, step: int, bound: float
) -> None:
    users = [{"id": f"u{i}", "name": f"n{i}"} for i in range(size)]
    ids = [f"u{i * step}" for i in range(60)]
    program = cel_compile(expression, ["ids", "users"])
    started = time.perf_counter()
    with Runtime() as rt, rt.active():
        for _ in range(5):  # the index is built once per runtime and reused
            result = program.evaluate({"ids": ids, "users": users})
    elapsed = time.perf_counter() - started
    assert result == [f"n{i * step}" for i in range(60)]
    assert elapsed < bound
