"""Progress per collection: a live rich table on a terminal, one line each otherwise.

Shown on stderr so stdout stays clean for pipes. In CI (``CI=true``) or when stderr is
not a TTY, a live display only produces noise in the log, so a summary line per
collection is printed at the end instead.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TextIO

from auditor.collect.fetching import API_LABELS, CollectionResult, Progress
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


#: names listed per group of failures before "and N more"
_NAMES_SHOWN = 4
_RETRIES = re.compile(r" \(gave up after \d+ retries\)$")


def failure_groups(sources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The ``error`` collections grouped by reason and API, largest group first.

    ``connection refused to 127.0.0.1:1 (Microsoft Graph), 28 collections: organization, ...``:
    fifty identical lines would hide the one reason that matters.
    """
    from auditor.collect.catalog import CATALOG

    groups: dict[tuple[str, str], list[str]] = {}
    for name, entry in sources.items():
        if entry.get("status") != "error":
            continue
        reason = _RETRIES.sub("", str(entry.get("error") or "no reason recorded"))
        source = CATALOG.get(name)
        api = API_LABELS.get(source.api, source.api) if source is not None else "import"
        groups.setdefault((reason, api), []).append(name)
    lines = []
    for (reason, api), names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = ", ".join(names[:_NAMES_SHOWN])
        more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
        count = "1 collection" if len(names) == 1 else f"{len(names)} collections"
        lines.append(f"{reason} ({api}), {count}: {shown}{more}")
    return lines


def incomplete_report(doc: Mapping[str, Any]) -> list[str]:
    """Why a collection run is incomplete (exit 3), one line each; empty when it is not.

    Incomplete: a collection is ``error``, no collection succeeded, or the tenant is unknown
    (``/organization`` failed and no ``--tenant-id`` named it). ``forbidden``,
    ``not_licensed`` and ``not_supported`` are answers about the tenant, not failures.
    """
    sources: Mapping[str, Mapping[str, Any]] = doc.get("sources") or {}
    lines = []
    errors = failure_groups(sources)
    if errors:
        failed = sum(1 for e in sources.values() if e.get("status") == "error")
        plural = "collection" if len(sources) == 1 else "collections"
        lines.append(f"{failed} of {len(sources)} {plural} failed:")
        lines.extend(f"  {line}" for line in errors)
    if sources and not any(e.get("status") == "ok" for e in sources.values()):
        statuses = Counter(str(e.get("status")) for e in sources.values())
        counts = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        lines.append(f"no collection succeeded ({counts})")
    tenant = doc.get("tenant") or {}
    if str(tenant.get("id") or "unknown") == "unknown":
        lines.append("the tenant is unknown: organization could not be read and no --tenant-id was given")
    return lines


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
