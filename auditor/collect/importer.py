"""Bring a collection in from a file a user exported (``Get-X | ConvertTo-Json``).

Windows PowerShell 5.1 writes UTF-16 LE with a BOM when redirecting with ``>``;
PowerShell 7 writes UTF-8, sometimes with a BOM. ``ConvertTo-Json`` prints a bare
object for one result and an array for several, so the shape is coerced to what the
collection expects rather than rejected.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import strictjson
from auditor.collect.fetching import CollectionResult, utc_now
from auditor.errors import InputError, local_write_failure
from auditor.snapshot.collections import COLLECTIONS
from auditor.suggest import did_you_mean

#: the keys of one API page (Graph, Resource Manager); a dict with only these is a page, not an item
PAGE_KEYS = frozenset({"value", "@odata.context", "@odata.nextLink", "nextLink"})

#: collections whose API wraps its list in an object of its own: the keys that hold the list, and the
#: keys that say more pages follow (the Fabric admin API: ``tenantSettings``, or ``value`` with a
#: continuation token)
WRAPPED_LISTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "powerBiTenantSettings": (("tenantSettings", "value"), ("continuationToken", "continuationUri")),
}

#: collections whose PowerShell cmdlet prints each API object under a property of its own
#: (``Get-AdminPowerAppEnvironment``: the admin API's environment is ``Internal``)
CMDLET_WRAPPED_ITEMS: dict[str, str] = {"powerPlatformEnvironments": "Internal"}

#: singletons whose cmdlet prints ``null`` when the tenant never configured them
#: (``Get-PowerAppTenantIsolationPolicy``): kept as an empty object, which the policies judge as unset
NULL_WHEN_UNSET = frozenset({"powerPlatformTenantIsolationPolicy"})


def unwrap_api_json(name: str, value: Any, source: str) -> Any:
    """The API's own JSON inside what a cmdlet or an API call printed, for the few collections
    that need it; every other collection is returned unchanged."""
    if name in NULL_WHEN_UNSET and (value is None or value == [None]):
        return {}
    if name in WRAPPED_LISTS and isinstance(value, dict):
        list_keys, more_keys = WRAPPED_LISTS[name]
        key = next((k for k in list_keys if isinstance(value.get(k), list)), None)
        if key is not None:
            if any(value.get(k) for k in more_keys):
                raise InputError(
                    f"{name}: the file holds one page of several (it has a continuation token); "
                    "export every page",
                    source=source,
                )
            value = value[key]
    inner = CMDLET_WRAPPED_ITEMS.get(name)
    if inner is not None:
        items = value if isinstance(value, list) else [value]
        if all(isinstance(i, dict) and isinstance(i.get(inner), dict) for i in items):
            value = [i[inner] for i in items]
    return value


@dataclass(frozen=True)
class ImportSpec:
    """One ``NAME=FILE`` argument."""

    name: str
    path: Path


def parse_import_arg(text: str) -> ImportSpec:
    """Parse ``NAME=FILE``; an unknown NAME lists the known ones."""
    name, sep, file = text.partition("=")
    name = name.strip()
    if not sep or not name or not file:
        raise InputError(f"expected NAME=FILE, got {text!r}")
    if name not in COLLECTIONS:
        raise InputError(
            f"unknown collection {name!r}{did_you_mean(name, COLLECTIONS)} (known: {', '.join(COLLECTIONS)})"
        )
    return ImportSpec(name, Path(file))


def decode_text(raw: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 LE/BE with BOM."""
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-16 text: {exc}", source=source) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 or UTF-16 (with BOM) text: {exc}", source=source) from None


def coerce_shape(name: str, value: Any, source: str) -> Any:
    """Fit the parsed JSON to the collection's shape (object vs list vs object of lists)."""
    shape = COLLECTIONS[name]
    if shape == "objectOfLists":
        if not isinstance(value, dict):
            raise InputError(f"{name} must be a JSON object of id -> array", source=source)
        # ConvertTo-Json prints a one-member array as a bare object: wrap it back
        shaped = {str(k): [v] if isinstance(v, dict) else v for k, v in value.items()}
        bad = next((k for k, v in shaped.items() if not isinstance(v, list)), None)
        if bad is not None:
            raise InputError(f"{name}: the value of {bad!r} must be a JSON array", source=source)
        return shaped
    if shape == "object":
        if isinstance(value, list):
            if len(value) != 1:
                raise InputError(
                    f"{name} is a single object but the file holds {len(value)} items", source=source
                )
            value = value[0]
        if not isinstance(value, dict):
            raise InputError(f"{name} must be a JSON object", source=source)
        return value
    if isinstance(value, dict) and isinstance(value.get("value"), list) and set(value) <= PAGE_KEYS:
        # one page as `az rest` or Invoke-RestMethod print it: keep the items, but never a partial list
        if value.get("@odata.nextLink") or value.get("nextLink"):
            raise InputError(
                f"{name}: the file holds one page of several (it has a next link); export every page",
                source=source,
            )
        return value["value"]
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise InputError(f"{name} must be a JSON array or object", source=source)
    return value


def load_import(spec: ImportSpec) -> CollectionResult:
    """Read and shape one import; errors name the file (and line for bad JSON)."""
    source = str(spec.path)
    try:
        raw = spec.path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read import file: {exc.strerror or exc}", source=source) from None
    text = decode_text(raw, source)
    value = strictjson.loads(text, source)
    data = coerce_shape(spec.name, unwrap_api_json(spec.name, value, source), source)
    if COLLECTIONS[spec.name] == "objectOfLists":
        count = sum(len(v) for v in data.values())
    else:
        count = len(data) if isinstance(data, list) else 1
    return CollectionResult(
        spec.name, "ok", "import", utc_now(), data=data, count=count, extra={"importedFrom": spec.path.name}
    )


def import_entry(result: CollectionResult) -> dict[str, Any]:
    """The ``sources`` entry of an import (no pages or retries: nothing was fetched)."""
    return {
        "status": "ok",
        "endpoint": "import",
        "importedFrom": result.extra["importedFrom"],
        "count": result.count,
        "retrievedAt": result.retrieved_at,
    }


def apply_imports(doc: dict[str, Any], results: list[CollectionResult]) -> dict[str, Any]:
    """Put imported collections into a snapshot document (replacing what was there)."""
    for result in results:
        doc.setdefault("sources", {})[result.name] = import_entry(result)
        doc.setdefault("data", {})[result.name] = result.data
    return doc


def import_into_snapshot(snapshot_path: Path, specs: list[ImportSpec], mode: int = 0o600) -> dict[str, Any]:
    """``auditor import``: read, add, re-validate and rewrite the snapshot atomically, with
    permissions ``mode`` (``--mode``; default 0600: a snapshot holds personal data)."""
    from auditor.snapshot import load_snapshot, write_snapshot

    results = [load_import(spec) for spec in specs]
    snapshot = load_snapshot(snapshot_path)
    doc = apply_imports(dict(snapshot.document), results)
    try:
        write_snapshot(snapshot_path, doc, mode)
    except OSError as exc:  # disk full, file-size limit, permissions: written atomically, so intact
        raise local_write_failure("snapshot", exc, str(snapshot_path)) from None
    return doc
