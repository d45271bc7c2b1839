"""Progress output: a live rich table on a terminal, one line per collection otherwise."""

from __future__ import annotations

import io

import pytest

from auditor.collect.fetching import CollectionResult, Progress
from auditor.collect.progress import LineReporter, RichReporter, make_reporter


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


RESULTS = [
    CollectionResult(
        "users", "ok", "GET /v1.0/users", "2026-11-23T12:00:00Z", data=[1, 2], count=2, pages=2, retries=1
    ),
    CollectionResult(
        "roleEligibilitySchedules",
        "forbidden",
        "GET ...",
        "2026-11-23T12:00:00Z",
        http_status=403,
        error="Authorization_RequestDenied: needs [X]",
    ),
]


def test_terminal_gets_a_live_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = _Tty()
    reporter = make_reporter(stream)
    assert isinstance(reporter, RichReporter)
    progress = [
        Progress("users", pages=2, objects=2, retries=1, status="ok"),
        Progress("roleEligibilitySchedules"),
    ]
    reporter.start(progress)
    reporter.refresh()
    reporter.finish(RESULTS)
    text = stream.getvalue()
    assert "users" in text and "retries" in text and "needs [X]" in text  # markup in errors is escaped


def test_ci_or_pipe_gets_one_line_per_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    stream = _Tty()
    reporter = make_reporter(stream)
    assert isinstance(reporter, LineReporter)
    reporter.start([])
    reporter.finish(RESULTS)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "users: ok | 2 objects | 2 pages | 1 retries",
        "roleEligibilitySchedules: forbidden | Authorization_RequestDenied: needs [X]",
    ]
    monkeypatch.delenv("CI")
    assert isinstance(make_reporter(io.StringIO()), LineReporter)  # not a TTY
    assert make_reporter(_Tty(), quiet=True).__class__ is LineReporter
