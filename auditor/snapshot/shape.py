"""A quick yes to "does this snapshot match its JSON Schema?", for the usual case.

Why: the schema (``schema.json``) is the authority, and ``jsonschema`` checks it and words
the error. But importing ``jsonschema`` (and ``referencing``, ``attrs``) is a tenth of an
audit's start-up, and a snapshot written by ``auditor collect`` always conforms. So
:func:`plainly_conforms` answers True only when the document certainly conforms; any
doubt (a float where an integer belongs, an unexpected type, a failed pattern) answers
False, and the caller then asks ``jsonschema``, which gives the verdict and the message.

It may be stricter than the schema, never laxer: ``tests/snapshot/test_shape.py`` holds
it against ``jsonschema`` on generated and mutated documents.
"""

from __future__ import annotations

import re
from typing import Any

#: the schema's own patterns, used the way jsonschema uses them (``re.search``)
_NAME = re.compile("^[a-z][A-Za-z0-9]*$")
_COLLECTED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_STATUSES = frozenset(("ok", "error", "forbidden", "not_licensed", "not_supported"))
_SOURCE_STRINGS = ("endpoint", "retrievedAt", "error", "importedFrom")
_COLLECTOR_STRINGS = ("tool", "version", "cloud")


def _str_or_none(value: Any) -> bool:
    return value is None or value.__class__ is str


def _int(value: Any) -> bool:
    return value.__class__ is int  # not bool, not a float holding an integer: those go to the schema


def _tenant(tenant: Any) -> bool:
    return (
        tenant.__class__ is dict
        and tenant.get("id").__class__ is str
        and _str_or_none(tenant.get("displayName"))
        and _str_or_none(tenant.get("defaultDomain"))
    )


def _collector(collector: Any) -> bool:
    if collector.__class__ is not dict:
        return False
    if any(k in collector and collector[k].__class__ is not str for k in _COLLECTOR_STRINGS):
        return False
    return _str_or_none(collector.get("principal"))


def _source(entry: Any) -> bool:
    if entry.__class__ is not dict:
        return False
    status = entry.get("status")
    if status.__class__ is not str or status not in _STATUSES:
        return False
    if any(k in entry and entry[k].__class__ is not str for k in _SOURCE_STRINGS):
        return False
    if "count" in entry and not (_int(entry["count"]) and entry["count"] >= 0):
        return False
    return "httpStatus" not in entry or _int(entry["httpStatus"])


def _data(data: Any) -> bool:
    if data.__class__ is not dict:
        return False
    for name, value in data.items():
        if name.__class__ is not str or not _NAME.search(name):
            return False
        if name == "groupMembers":
            if value.__class__ is not dict or any(v.__class__ is not list for v in value.values()):
                return False
        elif value.__class__ is not list and value.__class__ is not dict:
            return False
    return True


def plainly_conforms(doc: Any) -> bool:
    """True only if ``doc`` certainly matches the snapshot schema (False: ask jsonschema)."""
    if doc.__class__ is not dict:
        return False
    version = doc.get("schemaVersion")
    if not (_int(version) and version == 1):
        return False
    collected = doc.get("collectedAt")
    if collected.__class__ is not str or not _COLLECTED_AT.search(collected):
        return False
    if not _tenant(doc.get("tenant")):
        return False
    if "collector" in doc and not _collector(doc["collector"]):
        return False
    sources = doc.get("sources")
    if sources.__class__ is not dict:
        return False
    for name, entry in sources.items():
        if name.__class__ is not str or not _NAME.search(name) or not _source(entry):
            return False
    return _data(doc.get("data"))
