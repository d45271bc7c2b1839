"""Errors shared by every stage.

An :class:`InputError` is the user's to fix (a bad file, flag or value): the CLI
prints its message, with no traceback, and exits 2. Everything that reads a file
raises it with the file (and line, where known) in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class InputError(Exception):
    """Bad input: a malformed snapshot, policy, baseline, waiver or flag (exit code 2)."""

    def __init__(
        self, message: str, *, source: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.detail = message
        where = ""
        if source:
            where = source
            if line is not None:
                where += f":{line}"
                if column is not None:
                    where += f":{column}"
            where += ": "
        super().__init__(where + message)


class InputErrors(InputError):
    """Several input errors found in one pass (``policies validate`` reports them all)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def local_write_failure(what: str, exc: OSError, source: str) -> InputError:
    """A write this machine refused (disk full, file-size limit, permissions), as one line, exit 2.

    Files are written to a temporary sibling and renamed into place, so nothing was replaced.
    """
    return InputError(
        f"cannot write {what}: local write failure ({exc.strerror or exc}); nothing was replaced",
        source=source,
    )


class AuditWarning(UserWarning):
    """Something the user should know that changes no result (the CLI prints it on stderr)."""


def check_schema(doc: Any, schema: Mapping[str, Any], what: str, source: str) -> None:
    """Raise :class:`InputError` for the first problem (by path) of ``doc`` against a JSON Schema:
    ``invalid {what} at {path}: {message}``, naming ``source``.

    jsonschema is imported here, when a document is first checked: importing it is a tenth of
    an audit's start-up, and an audit of a well-formed snapshot never needs it.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(document)"
        raise InputError(f"invalid {what} at {where}: {first.message}", source=source)
