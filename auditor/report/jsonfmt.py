"""``results.json``: the results document itself, in the file form of :mod:`auditor.results`.

It is the source of truth every other report is rendered from, and what
``auditor verify`` and ``auditor diff`` read back, so it is written by the one
serialiser that the integrity hash is defined against.
"""

from __future__ import annotations

from typing import BinaryIO

from auditor.report._common import Doc
from auditor.results import dumps, write_sealed


class JsonFormat:
    """The results document in its canonical encoding, with a trailing newline.

    One encoding whatever the size (no indentation, which would need Python's slow
    encoder): the bytes written are the bytes the integrity hash covers, so writing is
    also sealing (see :func:`auditor.results.write_sealed`).
    """

    name = "json"
    filename = "results.json"

    def render(self, doc: Doc) -> bytes:
        return dumps(dict(doc))

    def write(self, doc: Doc, fh: BinaryIO) -> None:
        """Stream the file form into ``fh`` (one finding batch in memory at a time)."""
        write_sealed(dict(doc), fh)
