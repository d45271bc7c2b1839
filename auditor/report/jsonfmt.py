"""``results.json``: the results document itself, in the file form of :mod:`auditor.results`.

It is the source of truth every other report is rendered from, and what
``auditor verify`` and ``auditor diff`` read back, so it is written by the one
serialiser that the integrity hash is defined against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.results import dumps


class JsonFormat:
    """The results document, indented, with a trailing newline."""

    name = "json"
    filename = "results.json"

    def render(self, doc: Mapping[str, Any]) -> bytes:
        return dumps(dict(doc))
