"""The results document (docs/formats.md): schema, canonical form, integrity hash.

Reports are rendered from this document alone, and ``auditor verify`` re-checks it,
so its canonical serialisation and hash live here, shared by both sides.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeVar, cast

import msgspec
import re2

from auditor.errors import InputError, check_schema

if TYPE_CHECKING:
    from auditor.results.types import Gate

#: what the process exits with for each gate verdict (docs/formats.md lists them)
GATE_EXIT_CODES: dict[str, Literal[0, 1, 3]] = {"passed": 0, "failed": 1, "incomplete": 3}


def gate_exit_code(gate: Gate) -> Literal[0, 1, 3]:
    """The exit code of a gate verdict: 0 passed, 1 failed, 3 incomplete. The one mapping:
    the results document's ``exitCode``, ``since.exitCode`` and the CLI all read it."""
    return GATE_EXIT_CODES[gate]


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    """The results-document JSON Schema shipped in the package."""
    text = resources.files("auditor.results").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

#: lists longer than this are encoded in batches of this many items (findings of huge policies)
_BATCH = 512
#: containers this deep or deeper are encoded whole by the C encoder
_STREAM_DEPTH = 4


def canonical_json(doc: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the form hashes are computed over."""
    return _CANONICAL.encode(doc).encode("utf-8")


_FAST = msgspec.json.Encoder(order="sorted")
#: a number with an exponent, or under 1e-4 in plain digits: where msgspec's text for a float
#: differs from Python's ``repr`` (which the canonical form follows); strings may match too,
#: which only means the slow encoder is asked
_FLOAT_FORMS = re2.compile(rb"[:,\[]-?[0-9]+(?:\.[0-9]+)?[eE]|[:,\[]-?0\.0000")


def _encode(obj: Any) -> bytes:
    """``canonical_json(obj)``, by msgspec when its bytes are certainly the same.

    msgspec with sorted keys writes the same text as Python's encoder (sorted keys, the same
    escapes, raw UTF-8) ten times faster, except for floats in exponent form; a container
    holding one (or a bare float, or anything msgspec refuses) takes Python's encoder.
    ``tests/spine/test_results_canonical.py`` holds the two against each other."""
    if obj.__class__ is float:
        return _CANONICAL.encode(obj).encode("utf-8")
    try:
        data = _FAST.encode(obj)
    except (TypeError, ValueError, OverflowError, UnicodeError):
        return _CANONICAL.encode(obj).encode("utf-8")
    if _FLOAT_FORMS.search(data) is not None:
        return _CANONICAL.encode(obj).encode("utf-8")
    return data


def iter_canonical(obj: Any, depth: int = 0) -> Iterator[bytes]:
    """The canonical bytes of ``obj`` in pieces: exactly ``canonical_json(obj)`` once joined.

    Why: a results document with a million findings encodes to a gigabyte; hashing and
    writing it piece by piece keeps one finding batch in memory instead of the whole
    text. The outer levels (document, results, each result) are walked here; everything
    below, and findings in batches, goes through :func:`_encode`.
    """
    if depth < _STREAM_DEPTH and obj.__class__ is dict:
        sep = b"{"
        for key in sorted(obj):
            yield sep + _encode(key) + b":"
            yield from iter_canonical(obj[key], depth + 1)
            sep = b","
        yield b"}" if sep == b"," else b"{}"
    elif depth < _STREAM_DEPTH and obj.__class__ is list and len(obj) > 1:
        if len(obj) > _BATCH:
            for start in range(0, len(obj), _BATCH):
                yield (b"[" if start == 0 else b",") + _encode(obj[start : start + _BATCH])[1:-1]
            yield b"]"
        else:
            sep = b"["
            for item in obj:
                yield sep
                yield from iter_canonical(item, depth + 1)
                sep = b","
            yield b"]"
    else:
        yield _encode(obj)


#: members the integrity hash leaves out: itself, and the one field that differs between runs
UNHASHED = ("integrity", "generatedAt")


def _body(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in UNHASHED}


def compute_integrity(doc: Mapping[str, Any]) -> str:
    """sha256 of the document without ``integrity`` and ``generatedAt``.

    ``generatedAt`` is left out so that two evaluations of the same inputs carry the
    same hash (results are byte-identical except ``generatedAt``).
    """
    digest = hashlib.sha256()
    for piece in iter_canonical(_body(doc)):
        digest.update(piece)
    return digest.hexdigest()


DocT = TypeVar("DocT", bound=Mapping[str, Any])


def seal(doc: DocT) -> DocT:
    """Return the document with its ``integrity`` member set (a new document of the same type)."""
    sealed = {k: v for k, v in doc.items() if k != "integrity"}
    sealed["integrity"] = {"algorithm": "sha256", "value": compute_integrity(sealed)}
    return cast(DocT, sealed)


def write_sealed(doc: dict[str, Any], fh: BinaryIO | None) -> dict[str, Any]:
    """Encode the document once: hash it and (when ``fh`` is given) write its file form meanwhile.

    The file form is the canonical encoding of the hashed members, followed by
    ``generatedAt`` and ``integrity``: so the bytes written are the bytes hashed, and
    ``results.json`` needs no second encoding pass, whatever its size. Returns the sealed
    document (the same members plus ``integrity``).
    """
    digest = hashlib.sha256()
    pending = b""
    for piece in iter_canonical(_body(doc)):
        digest.update(piece)
        if fh is not None:
            if pending:
                fh.write(pending)
            pending = piece  # held back one piece: its closing brace is not the file's
    integrity = {"algorithm": "sha256", "value": digest.hexdigest()}
    if fh is not None:
        tail: dict[str, Any] = {"integrity": integrity}
        if "generatedAt" in doc:
            tail = {"generatedAt": doc["generatedAt"], **tail}
        extra = canonical_json(tail)[1:]
        fh.write(pending[:-1] + (b"," if pending != b"{}" else b"") + extra + b"\n")
    sealed = {k: v for k, v in doc.items() if k != "integrity"}
    sealed["integrity"] = integrity
    return sealed


def dumps(doc: dict[str, Any]) -> bytes:
    """The ``results.json`` file form (see :func:`write_sealed`), for a document held in memory."""
    buf = io.BytesIO()
    write_sealed(doc, buf)
    return buf.getvalue()


def validate_results(doc: Any, source: str = "<results>") -> None:
    """Raise :class:`InputError` if ``doc`` does not match the results schema."""
    check_schema(doc, results_schema(), "results document", source)


def read_results_text(path: str | Path) -> str:
    """The text of a results file (results.json or report.html); errors name the file."""
    try:
        return Path(path).read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read results: {exc.strerror or exc}", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=str(path)) from None


def parse_results_json(text: str, source: str) -> dict[str, Any]:
    """Parse a results document's JSON text (not yet validated against the schema)."""
    from auditor import strictjson

    doc = strictjson.loads(text, source)
    if not isinstance(doc, dict):
        raise InputError("a results document must be a JSON object", source=source)
    return doc


def load_results(path: str | Path) -> dict[str, Any]:
    """Read and validate a results document."""
    doc = parse_results_json(read_results_text(path), str(path))
    validate_results(doc, str(path))
    return doc
