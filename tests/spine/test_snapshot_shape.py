"""The quick snapshot check never says yes where the JSON Schema says no.

``plainly_conforms`` lets an audit skip importing jsonschema; it must be at least as strict
as ``schema.json``. Held against jsonschema on the demo snapshot, on documents built from
pieces that are nearly right (wrong types, floats for integers, booleans, odd names,
missing keys), and on every single-key removal or replacement of a conforming document.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import api
from auditor.errors import InputError
from auditor.snapshot import snapshot_schema, validate_document
from auditor.snapshot.shape import plainly_conforms

VALIDATOR = jsonschema.Draft202012Validator(snapshot_schema())

_ODD = st.sampled_from([None, True, False, 0, 1, 1.0, -1, 2.5, "", "x", [], {}, ["a"], {"a": 1}])
_NAMES = st.sampled_from(
    ["users", "users", "groupMembers", "groupMembers", "a1", "Users", "1users", "user_s", "x\n", ""]
)
_STAMPS = st.sampled_from(
    [
        "2026-11-30T10:00:00Z",
        "2026-11-30T10:00:00Z",
        "2026-11-30T10:00:00.123+01:00",
        "2026-11-30T10:00:00.123+01:00",
        "2026-11-30T10:00:00Z\n",
        "2026-11-30 10:00:00Z",
        "2026-11-30T10:00:00",
        "٢٠٢٦-11-30T10:00:00Z",
    ]
)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``value``; one time in ten something nearly right."""
    return st.integers(0, 9).flatmap(lambda n: value if n else _ODD)


_STATUS = st.sampled_from(["ok", "error", "forbidden", "not_licensed", "not_supported"])
_SOURCE = st.fixed_dictionaries(
    {"status": _maybe(_STATUS)},
    optional={
        "endpoint": _maybe(st.just("/v1.0/users")),
        "count": _maybe(st.integers(0, 5)),
        "retrievedAt": _maybe(_STAMPS),
        "httpStatus": _maybe(st.integers(200, 503)),
        "error": _maybe(st.just("denied")),
        "importedFrom": _maybe(st.just("x.csv")),
    },
)
_DATA = st.dictionaries(
    _NAMES,
    _maybe(
        st.one_of(
            st.lists(_ODD, max_size=2),
            st.dictionaries(st.sampled_from(["g1", "g2"]), _maybe(st.lists(_ODD, max_size=2)), max_size=2),
        )
    ),
    max_size=3,
)
_DOCS = st.fixed_dictionaries(
    {
        "schemaVersion": _maybe(st.just(1)),
        "tenant": _maybe(
            st.fixed_dictionaries(
                {"id": _maybe(st.just("t"))},
                optional={"displayName": _maybe(st.none()), "defaultDomain": _maybe(st.just("c.com"))},
            )
        ),
        "collectedAt": _maybe(_STAMPS),
        "sources": _maybe(st.dictionaries(_NAMES, _maybe(_SOURCE), max_size=3)),
        "data": _maybe(_DATA),
    },
    optional={
        "collector": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "tool": _maybe(st.just("auditor")),
                    "version": _maybe(st.just("1")),
                    "principal": _maybe(st.none()),
                    "cloud": _maybe(st.just("global")),
                },
            )
        ),
    },
)


@settings(max_examples=600, deadline=None)
@given(_DOCS)
def test_quick_yes_implies_the_schema_agrees(doc: dict[str, Any]) -> None:
    if plainly_conforms(doc):
        assert VALIDATOR.is_valid(doc), doc


def _demo() -> dict[str, Any]:
    return copy.deepcopy(api.demo_snapshot().document)


def test_the_demo_snapshot_is_plainly_conforming() -> None:
    assert plainly_conforms(_demo())


def _places(doc: Any, path: tuple[Any, ...] = (), depth: int = 3) -> list[tuple[Any, ...]]:
    """Every key path down to ``depth`` (the schema says nothing deeper)."""
    out = []
    if isinstance(doc, dict) and depth:
        for key, value in doc.items():
            out.append((*path, key))
            if not (len(path) == 1 and path[0] == "data" and key != "groupMembers"):
                out.extend(_places(value, (*path, key), depth - 1))
    return out


@pytest.mark.parametrize("replacement", [None, True, 1.0, -1, "", [], {}, "removed"])
def test_every_single_change_to_the_demo_is_judged_no_laxer_than_the_schema(replacement: Any) -> None:
    base = _demo()
    for place in _places(base):
        doc = parent = dict(base)  # copies along the path only: the rest is shared, unchanged
        for key in place[:-1]:
            parent[key] = parent = dict(parent[key])
        if replacement == "removed":
            del parent[place[-1]]
        else:
            parent[place[-1]] = replacement
        if plainly_conforms(doc):
            assert VALIDATOR.is_valid(doc), place


def test_a_doubtful_document_is_judged_by_the_schema_with_its_message() -> None:
    doc = _demo()
    doc["schemaVersion"] = 1.0  # the schema's const 1 accepts it; the quick check is not sure
    assert not plainly_conforms(doc)
    validate_document(doc, "s.json")  # accepted by the schema
    doc["sources"]["users"]["count"] = -1
    with pytest.raises(InputError, match=r"invalid snapshot at sources/users/count"):
        validate_document(doc, "s.json")
