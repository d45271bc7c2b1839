"""The page decoder: its fast path accepts only what the strict parser accepts, the same way."""

from __future__ import annotations

import json

import pytest

from auditor import strictjson
from auditor.collect.pagejson import MalformedPage, _fast, decode_page, shape_within
from auditor.errors import InputError
from auditor.snapshot.encoding import encode_value

PAGES = [
    {"@odata.context": "x", "value": []},
    {"value": [{"id": "1", "n": 2, "f": 1.5, "b": True, "z": None, "l": [1, [2, {"a": []}]]}]},
    {
        "value": [{"t": "a: b", "url": "https://h:443/x?y=1", "u": "é ☃ 😀"}],
        "@odata.nextLink": "http://h:1/n",
    },
    {"value": [{"big": 10**39, "neg": -(10**39), "e": 1e300, "tiny": 5e-324}]},
    {"id": "o", "nested": {"a": {"b": {"c": 1}}}},
]


@pytest.mark.parametrize("doc", PAGES)
@pytest.mark.parametrize("style", ["dumps", "compact", "ascii-escaped", "indented"])
def test_fast_path_reads_what_the_strict_parser_reads(doc: dict[str, object], style: str) -> None:
    text = {
        "dumps": json.dumps(doc, ensure_ascii=False),
        "compact": json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
        "ascii-escaped": json.dumps(doc),
        "indented": json.dumps(doc, indent=2, ensure_ascii=False),
    }[style]
    body = text.encode("utf-8")
    assert _fast(body) is not None  # these pages need no strict re-parse
    page = decode_page(body)
    assert page.doc == strictjson.loads(text, "t")
    values = doc.get("value")
    assert page.items == (encode_value(values) if isinstance(values, list) else None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"value": [{"id": "1", "n": NaN}]}', "NaN"),
        ('{"value": [{"id": "1", "id": "2"}]}', "duplicate key"),
        ('{"value": [{"id": "1", "x": {"k": 1, "k": 1}}]}', "duplicate key"),
        # an escaped colon must not hide a dropped key from the colon count
        ('{"value": [{"a": "\\u003a", "a": "b"}]}', "duplicate key"),
        ('{"value": [{"id": "\\ud800"}]}', "surrogate"),
        ('{"value": [' + "[" * 150 + "]" * 150 + "]}", "nested deeper"),
        ('{"value": [{"id": ' + "9" * 60 + "}]}", "digits"),
        ('{"value": [1,]}', "not valid JSON"),
        ('{"value": [1e400]}', "too large"),
    ],
)
def test_what_the_snapshot_reader_refuses_is_refused_with_its_reason(body: str, message: str) -> None:
    with pytest.raises(InputError):
        strictjson.loads(body, "t")
    with pytest.raises(MalformedPage, match=message):
        decode_page(body.encode("utf-8"))


def test_a_byte_order_mark_is_allowed_and_bad_utf8_is_refused() -> None:
    assert decode_page(b'\xef\xbb\xbf{"value": [1]}').items == b"[1]"
    with pytest.raises(MalformedPage):
        decode_page(b'{"value": ["\xff"]}')


@pytest.mark.parametrize("depth", [1, 2, 5, 99, 100, 101, 130])
def test_nesting_is_measured_exactly_on_canonical_bytes(depth: int) -> None:
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    canonical = encode_value(value)
    assert shape_within(canonical, 100, 40) is (depth <= 100)


def test_strings_that_look_like_structure_fall_back_to_the_strict_parser() -> None:
    # brackets and escaped quotes inside strings: the byte checks cannot vouch; still read right
    doc = {"value": [{"a": "[[{", "b": 'say "hi"', "c": "]}"}]}
    body = json.dumps(doc).encode()
    assert _fast(body) is None
    assert decode_page(body).doc == doc
    assert not shape_within(encode_value(doc), 100, 40)


def test_long_digit_runs_in_strings_fall_back_and_are_accepted() -> None:
    doc = {"value": [{"thumbprint": "1" * 80}]}
    body = json.dumps(doc).encode()
    assert _fast(body) is None
    assert decode_page(body).doc == doc
