"""Errors shared by every stage.

An :class:`InputError` is the user's to fix (a bad file, flag or value): the CLI
prints its message, with no traceback, and exits 2. Everything that reads a file
raises it with the file (and line, where known) in the message.
"""

from __future__ import annotations


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


class AuditWarning(UserWarning):
    """Something the user should know that changes no result (the CLI prints it on stderr)."""
