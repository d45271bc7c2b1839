"""Read, hash and validate snapshot files (``.json`` or gzip-compressed ``.json.gz``).

Validation runs structure first (the JSON Schema shipped beside this module), then
details (known collections have the right shape). Every problem is an
:class:`~auditor.errors.InputError` naming the file, so the CLI exits 2 with no
traceback.
"""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from auditor import limits, strictjson
from auditor.errors import InputError, check_schema
from auditor.gcpause import gc_paused
from auditor.snapshot.collections import COLLECTIONS
from auditor.snapshot.encoding import is_canonical
from auditor.snapshot.model import Snapshot
from auditor.snapshot.shape import plainly_conforms

GZIP_MAGIC = b"\x1f\x8b"


@lru_cache(maxsize=1)
def snapshot_schema() -> dict[str, Any]:
    """The snapshot JSON Schema shipped in the package."""
    text = resources.files("auditor.snapshot").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def gunzip_bounded(raw: bytes, source: str, budget: int) -> bytes:
    """Inflate gzip data (all members), stopping as soon as the output passes ``budget`` bytes.

    ``gzip.decompress`` would inflate a 4 MB bomb to 4 GiB before anyone could look.
    """
    out: list[bytes] = []
    total = 0
    data = raw
    try:
        while data:
            inflater = zlib.decompressobj(wbits=31)
            while data and not inflater.eof:
                chunk = inflater.decompress(data, budget - total + 1)
                total += len(chunk)
                if total > budget:
                    raise InputError(
                        f"decompresses to more than the limit of {budget} bytes (--limit snapshot-bytes)",
                        source=source,
                    )
                out.append(chunk)
                data = inflater.unconsumed_tail
            if not inflater.eof:
                raise InputError("not a valid gzip file: the data ends early", source=source)
            data = inflater.unused_data.lstrip(b"\0")
    except zlib.error as exc:
        raise InputError(f"not a valid gzip file: {exc}", source=source) from None
    return b"".join(out)


def decode_bytes(raw: bytes, source: str, *, alongside: Callable[[], object] | None = None) -> dict[str, Any]:
    """Decompress (if gzip) and parse snapshot bytes under the budgets; errors name ``source``.
    ``alongside``: work that releases the interpreter lock, done while parsing."""
    budget = limits.current().snapshot_bytes
    if raw[:2] == GZIP_MAGIC:
        raw = gunzip_bounded(raw, source, budget)
    return parse_bytes(raw, source, alongside=alongside)


def parse_bytes(raw: bytes, source: str, *, alongside: Callable[[], object] | None = None) -> dict[str, Any]:
    """Parse snapshot bytes strictly and within budgets (GC paused, result frozen); errors name
    ``source`` and the place. Text in the collector's own encoding takes the fast path.
    ``alongside``: work that releases the interpreter lock, done while parsing."""
    # Parsing a 1.5-million-user snapshot allocates tens of millions of containers, and each
    # burst would trigger a collection walking everything parsed so far (a third of the parse
    # time). Parsed JSON has no cycles, so it is frozen out of the collector's sight for good.
    with gc_paused(freeze=True):
        doc = strictjson.loads_canonical(raw, source, is_canonical, alongside=alongside)
    if not isinstance(doc, dict):
        raise InputError("a snapshot must be a JSON object", source=source)
    return doc


def validate_document(doc: dict[str, Any], source: str) -> None:
    """Check structure against the schema, then each known collection's shape.

    The schema is asked only when the quick check (:mod:`auditor.snapshot.shape`) is not
    sure: importing jsonschema is a tenth of an audit's start-up."""
    if not plainly_conforms(doc):
        check_schema(doc, snapshot_schema(), "snapshot", source)
    for name, value in doc["data"].items():
        shape = COLLECTIONS.get(name)
        if shape == "list" and not isinstance(value, list):
            raise InputError(f"invalid snapshot at data/{name}: expected a list (JSON array)", source=source)
        if shape == "object" and not isinstance(value, dict):
            raise InputError(f"invalid snapshot at data/{name}: expected an object", source=source)
        if shape == "objectOfLists":
            if not isinstance(value, dict):
                raise InputError(
                    f"invalid snapshot at data/{name}: expected an object of lists (id -> JSON array)",
                    source=source,
                )
            for key, members in value.items():
                if not isinstance(members, list):
                    raise InputError(
                        f"invalid snapshot at data/{name}/{key}: expected a list (JSON array)", source=source
                    )


def load_snapshot_bytes(raw: bytes, source: str) -> Snapshot:
    """Parse and validate a snapshot held in memory (the demo snapshot, tests)."""
    sha256 = hashlib.sha256(raw).hexdigest()
    doc = decode_bytes(raw, source)
    validate_document(doc, source)
    return Snapshot(source=source, sha256=sha256, document=doc)


def load_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot file; raise :class:`InputError` naming the path on any problem.

    The file's sha256 is computed while the text is parsed (see ``loads_canonical``).
    """
    source = str(path)
    budget = limits.current().snapshot_bytes
    try:
        if Path(path).stat().st_size > budget:  # refuse before reading, not after
            raise InputError(
                f"larger than the limit of {budget} bytes (--limit snapshot-bytes)", source=source
            )
        with open(path, "rb") as fh:
            file_bytes = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read snapshot: {exc.strerror or exc}", source=source) from None
    digest = hashlib.sha256()
    doc = decode_bytes(file_bytes, source, alongside=functools.partial(digest.update, file_bytes))
    del file_bytes
    validate_document(doc, source)
    return Snapshot(source=source, sha256=digest.hexdigest(), document=doc)
