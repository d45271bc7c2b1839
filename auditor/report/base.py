"""The report-format interface: a format turns a results document into bytes.

Formats never touch the terminal or choose files; the CLI writes what they return
into ``--out DIR`` under each format's ``filename``.
"""

from __future__ import annotations

from typing import Protocol

from auditor.report._common import Doc


class ReportFormat(Protocol):
    """One output format (one module per implementation in ``auditor.report``)."""

    #: the name used with ``--format`` (json, sarif, junit, markdown, csv, html)
    name: str
    #: the file written into ``--out DIR``
    filename: str

    def render(self, doc: Doc) -> bytes:
        """Render the results document; deterministic for a given document."""
        ...
