"""The results document's canonical bytes are the same whichever encoder writes them.

``results.json`` and its integrity hash use Python's JSON encoder's form (sorted keys, no
whitespace, raw UTF-8), so that anyone can recompute the hash with the standard library.
The writer asks msgspec first (ten times faster) and keeps its bytes only when they are
certainly that form: held here against Python's encoder on arbitrary JSON values, floats
of every magnitude and strings of every character.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.results.document import _encode, canonical_json, compute_integrity, iter_canonical

_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), _FLOATS, st.text(st.characters(codec="utf-8"))
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=6), inner)
    ),
    max_leaves=40,
)


@settings(max_examples=600, deadline=None)
@given(_JSON)
def test_the_fast_encoding_is_the_canonical_encoding(value: Any) -> None:
    assert _encode(value) == canonical_json(value)
    assert b"".join(iter_canonical(value)) == canonical_json(value)


@settings(max_examples=800, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(-320, 308))
def test_floats_of_every_magnitude(bits: int, exponent: int) -> None:
    """Exponent forms differ between the encoders ('1e+16' against '1e16', '1e-05' against
    '0.00001'); every float, in a list or a map, must come out as Python writes it."""
    for value in (struct.unpack("d", struct.pack("Q", bits))[0], 1.5 * 10.0**exponent, 10.0**exponent):
        if math.isfinite(value):
            for holder in ([value], {"v": value}, [{"a": [value, "x"]}]):
                assert _encode(holder) == canonical_json(holder), value


def test_a_large_document_in_batches_hashes_as_python_would() -> None:
    findings = [
        {
            "subject": f"user{i}@contoso.com",
            "status": "fail",
            "message": f"é{i}\u2028\x7f\x1f",
            "score": i / 7,
        }
        for i in range(1500)
    ]
    doc = {"results": [{"findings": findings, "ratio": 1e-05}, {"findings": [], "n": 2**65}], "z": None}
    expected = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert b"".join(iter_canonical(doc)) == expected
    assert compute_integrity(doc) == hashlib.sha256(expected).hexdigest()
