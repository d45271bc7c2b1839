"""The results document (docs/formats.md): schema, canonical form, integrity hash.

Reports are rendered from this document alone, and ``auditor verify`` re-checks it,
so its canonical serialisation and hash live here, shared by both sides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import jsonschema

from auditor.errors import InputError

GATE_EXIT_CODES = {"passed": 0, "failed": 1, "incomplete": 3}


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    """The results-document JSON Schema shipped in the package."""
    text = resources.files("auditor.results").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def canonical_json(doc: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the form hashes are computed over."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


#: members the integrity hash leaves out: itself, and the one field that differs between runs
UNHASHED = ("integrity", "generatedAt")


def compute_integrity(doc: Mapping[str, Any]) -> str:
    """sha256 of the document without ``integrity`` and ``generatedAt``.

    ``generatedAt`` is left out so that two evaluations of the same inputs carry the
    same hash (results are byte-identical except ``generatedAt``).
    """
    body = {k: v for k, v in doc.items() if k not in UNHASHED}
    return hashlib.sha256(canonical_json(body)).hexdigest()


DocT = TypeVar("DocT", bound=Mapping[str, Any])


def seal(doc: DocT) -> DocT:
    """Return the document with its ``integrity`` member set (a new document of the same type)."""
    sealed = {k: v for k, v in doc.items() if k != "integrity"}
    sealed["integrity"] = {"algorithm": "sha256", "value": compute_integrity(sealed)}
    return cast(DocT, sealed)


#: above this many findings results.json is written compact: Python's indenting encoder is ~20x slower
COMPACT_ABOVE_FINDINGS = 20_000


def dumps(doc: dict[str, Any]) -> bytes:
    """The ``results.json`` file form: indented (compact for huge documents), trailing newline."""
    findings = sum(len(r.get("findings", ())) for r in doc.get("results", ()))
    indent = None if findings > COMPACT_ABOVE_FINDINGS else 2
    return (json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def validate_results(doc: Any, source: str = "<results>") -> None:
    """Raise :class:`InputError` if ``doc`` does not match the results schema."""
    validator = jsonschema.Draft202012Validator(results_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(document)"
        raise InputError(f"invalid results document at {where}: {first.message}", source=source)


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
