"""Timestamps and durations (microsecond precision; see DEVIATIONS.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from .helpers import err, ev

UTC = dt.UTC
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-01T00:00:00Z", dt.datetime(2020, 1, 1, tzinfo=UTC)),
        ("2020-01-01t00:00:00z", dt.datetime(2020, 1, 1, tzinfo=UTC)),
        ("2020-01-01T10:00:00+02:00", dt.datetime(2020, 1, 1, 8, tzinfo=UTC)),
        ("2020-01-01T00:00:00-01:30", dt.datetime(2020, 1, 1, 1, 30, tzinfo=UTC)),
        ("2024-02-29T23:59:59.5Z", dt.datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=UTC)),
        # Microsoft Graph writes 7 fractional digits; up to 9 accepted, truncated to microseconds
        ("2023-05-04T03:02:01.1234567Z", dt.datetime(2023, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)),
        ("2023-05-04T03:02:01.123456789Z", dt.datetime(2023, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", dt.datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999Z", dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_timestamp_parsing(text: str, expected: dt.datetime) -> None:
    assert ev(f"timestamp('{text}')") == expected


@pytest.mark.parametrize(
    "text",
    [
        "2020-01-01",
        "2020-13-01T00:00:00Z",
        "2020-02-30T00:00:00Z",
        "2020-01-01T00:00:00",
        "2020-01-01T00:00:00.1234567890Z",
        "2020-01-01 00:00:00Z",
        "garbage",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_invalid_timestamps(text: str) -> None:
    assert "timestamp" in err(f"timestamp('{text}')").message


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600),
        ("1.5h", 5400),
        ("-30m", -1800),
        ("8760h", 31_536_000),
        ("1h30m15s", 5415),
        ("100ms", 0.1),
        ("250us", 0.00025),
        ("1000ns", 0.000001),
        ("0", 0),
        ("+5s", 5),
        (".5s", 0.5),
        ("5.s", 5),
        ("2562047h", 2562047 * 3600),
    ],
)
def test_duration_parsing(text: str, seconds: float) -> None:
    assert ev(f"duration('{text}')") == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["1d", "1w", "", "1", "h", "-", "1h-1m", "1.5.5h", "320000000000s", "1µs"])
def test_invalid_durations(text: str) -> None:
    err(f"duration('{text}')")


def test_age_comparison_pitfall() -> None:
    data = {"now": NOW, "u": {"lastSignIn": "2024-05-01T00:00:00Z"}}
    assert ev("now - timestamp(u.lastSignIn) > duration('8760h')", **data) is True
    data["u"] = {"lastSignIn": "2025-01-01T00:00:00.0000000Z"}
    assert ev("now - timestamp(u.lastSignIn) > duration('8760h')", **data) is False


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("timestamp('2021-01-01T00:00:00Z') - timestamp('2020-01-01T00:00:00Z')", dt.timedelta(days=366)),
        ("timestamp('2020-01-01T00:00:00Z') + duration('24h')", dt.datetime(2020, 1, 2, tzinfo=UTC)),
        ("duration('24h') + timestamp('2020-01-01T00:00:00Z')", dt.datetime(2020, 1, 2, tzinfo=UTC)),
        (
            "timestamp('2020-01-01T00:00:00Z') - duration('1s')",
            dt.datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC),
        ),
        ("duration('1h') + duration('30m')", dt.timedelta(minutes=90)),
        ("duration('1h') - duration('90m')", dt.timedelta(minutes=-30)),
        ("duration('1h') < duration('2h')", True),
        ("duration('60m') == duration('1h')", True),
        ("timestamp('2020-01-01T00:00:00Z') == timestamp('2020-01-01T01:00:00+01:00')", True),
        ("timestamp('2020-01-01T00:00:00Z') < timestamp('2020-01-02T00:00:00Z')", True),
        ("timestamp(1577836800) == timestamp('2020-01-01T00:00:00Z')", True),
        ("int(timestamp('2020-01-01T00:00:00Z'))", 1577836800),
        ("string(timestamp('2020-01-01T00:00:00Z'))", "2020-01-01T00:00:00Z"),
        ("string(timestamp('2020-01-01T00:00:00.5Z'))", "2020-01-01T00:00:00.500Z"),
        ("string(timestamp('2020-01-01T00:00:00.1234567Z'))", "2020-01-01T00:00:00.123456Z"),
        ("string(duration('1h'))", "3600s"),
        ("string(duration('-1.5s'))", "-1.500s"),
        ("timestamp(timestamp('2020-01-01T00:00:00Z')) == timestamp('2020-01-01T00:00:00Z')", True),
        ("duration(duration('1h')) == duration('3600s')", True),
    ],
)
def test_time_arithmetic(source: str, expected: object) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("timestamp('9999-12-31T23:59:59Z') + duration('1s')", "timestamp overflow"),
        ("timestamp('0001-01-01T00:00:00Z') - duration('1s')", "timestamp overflow"),
        ("timestamp(253402300800)", "timestamp overflow"),
        ("duration('87600000h') + duration('87600000h')", "duration out of range"),
        (
            "timestamp('2020-01-01T00:00:00Z') + 1",
            "no matching overload for '_+_' applied to (timestamp, int)",
        ),
        ("duration('1h') * 2", "no matching overload for '_*_' applied to (duration, int)"),
        ("-duration('1h')", "no matching overload for '-_' applied to (duration)"),
        (
            "timestamp('2020-01-01T00:00:00Z') < 1",
            "no matching overload for '_<_' applied to (timestamp, int)",
        ),
        (
            "timestamp('2020-01-01T00:00:00Z') + timestamp('2020-01-01T00:00:00Z')",
            "no matching overload for '_+_' applied to (timestamp, timestamp)",
        ),
    ],
)
def test_time_errors(source: str, message: str) -> None:
    assert err(source).message == message


@pytest.mark.parametrize(
    ("accessor", "expected"),
    [
        ("getFullYear()", 2020),
        ("getMonth()", 2),
        ("getDayOfYear()", 74),
        ("getDate()", 15),
        ("getDayOfMonth()", 14),
        ("getDayOfWeek()", 0),
        ("getHours()", 10),
        ("getMinutes()", 20),
        ("getSeconds()", 30),
        ("getMilliseconds()", 456),
        ("getHours('America/New_York')", 6),
        ("getDate('Pacific/Auckland')", 15),
        ("getHours('+05:30')", 15),
        ("getMinutes('+05:30')", 50),
        ("getHours('-02:00')", 8),
        ("getHours('UTC')", 10),
        ("getDayOfWeek('Asia/Tokyo')", 0),
    ],
)
def test_timestamp_accessors(accessor: str, expected: int) -> None:
    assert ev(f"timestamp('2020-03-15T10:20:30.456Z').{accessor}") == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("duration('90m').getHours()", 1),
        ("duration('90m').getMinutes()", 90),
        ("duration('90m').getSeconds()", 5400),
        ("duration('1.5s').getMilliseconds()", 500),
        ("duration('-90m').getHours()", -1),
        ("duration('-1.5s').getMilliseconds()", -500),
        ("duration('-0.5s').getSeconds()", 0),
    ],
)
def test_duration_accessors(source: str, expected: int) -> None:
    assert ev(source) == expected


def test_accessor_errors() -> None:
    assert "invalid timezone" in err("timestamp('2020-01-01T00:00:00Z').getHours('Not/AZone')").message
    assert "no matching overload" in err("duration('1h').getFullYear()").message
    assert "no matching overload" in err("duration('1h').getHours('UTC')").message
    assert "no matching overload" in err("'2020'.getFullYear()").message
