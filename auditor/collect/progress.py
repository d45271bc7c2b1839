"""Progress per collection: a live rich table on a terminal, one line each otherwise.

Shown on stderr so stdout stays clean for pipes. In CI (``CI=true``) or when stderr is
not a TTY, a live display only produces noise in the log, so a summary line per
collection is printed at the end instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

from auditor.collect.fetching import CollectionResult, Progress
from auditor.terminal import interactive


class Reporter(Protocol):
    def start(self, progress: Iterable[Progress]) -> None: ...
    def refresh(self) -> None: ...
    def finish(self, results: Iterable[CollectionResult]) -> None: ...


def summary_line(result: CollectionResult) -> str:
    parts = [f"{result.name}: {result.status}"]
    if result.count is not None:
        parts.append(f"{result.count} objects")
    if result.pages:
        parts.append(f"{result.pages} pages")
    if result.retries:
        parts.append(f"{result.retries} retries")
    if result.error:
        parts.append(result.error)
    return " | ".join(parts)


class LineReporter:
    """Quiet while working; one line per collection at the end."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet

    def start(self, progress: Iterable[Progress]) -> None:
        pass

    def refresh(self) -> None:
        pass

    def finish(self, results: Iterable[CollectionResult]) -> None:
        if self.quiet:
            return
        for result in results:
            print(summary_line(result), file=self.stream)


class RichReporter:
    """A live table: collection, status, pages, objects, retries."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr)
        self.items: list[Progress] = []
        self.live: Any = None

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title="auditor collect", expand=False)
        for column in ("collection", "status", "pages", "objects", "retries"):
            table.add_column(column, justify="right" if column in ("pages", "objects", "retries") else "left")
        for item in self.items:
            style = {"ok": "green", "running": "cyan"}.get(item.status, "red")
            table.add_row(
                item.name, f"[{style}]{item.status}[/]", str(item.pages), str(item.objects), str(item.retries)
            )
        return table

    def start(self, progress: Iterable[Progress]) -> None:
        from rich.live import Live

        self.items = list(progress)
        self.live = Live(self._table(), console=self.console, refresh_per_second=4, transient=False)
        self.live.start()

    def refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._table())

    def finish(self, results: Iterable[CollectionResult]) -> None:
        if self.live is not None:
            self.live.update(self._table())
            self.live.stop()
        for result in results:
            if result.status != "ok" and result.error:
                from rich.markup import escape

                self.console.print(
                    f"[red]{escape(result.name)}[/]: {result.status}: {escape(result.error)}", highlight=False
                )


def make_reporter(stream: TextIO | None = None, quiet: bool = False) -> Reporter:
    if not quiet and interactive(stream):
        return RichReporter(stream)
    return LineReporter(stream, quiet=quiet)
