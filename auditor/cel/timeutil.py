"""Timestamps and durations.

Deviation (documented in DEVIATIONS.md): CEL timestamps and durations have nanosecond
precision; here they are Python ``datetime``/``timedelta`` with *microsecond* precision.
Parsing accepts up to 9 fractional digits (Microsoft Graph writes 7) and truncates to
microseconds. That keeps snapshot values native Python objects, which is what makes
the compiled fast path cheap.

Ranges follow the specification: timestamps from 0001-01-01T00:00:00Z to
9999-12-31T23:59:59.999999Z, durations within +/-315,576,000,000 seconds.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import zoneinfo

from .errors import EvalFailure

UTC = _dt.UTC
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
MAX_DURATION_US = 315_576_000_000 * 1_000_000 + 999_999
MAX_ARITH_DURATION_US = (2**63 - 1) // 1000
_MAX_ARITH_TD = _dt.timedelta(microseconds=MAX_ARITH_DURATION_US)
_MIN_ARITH_TD = -_MAX_ARITH_TD
_US = _dt.timedelta(microseconds=1)

_TS_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"
)
_DUR_PART_RE = re.compile(r"(\d+\.?\d*|\.\d+)(h|ms|m|s|us|ns)")
_UNIT_NS = {
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1_000,
    "ns": 1,
}
_OFFSET_RE = re.compile(r"([+-])?(\d{1,2}):(\d{2})\Z")


def parse_timestamp(text: str) -> _dt.datetime:
    """Parse an RFC 3339 timestamp into an aware UTC datetime (microseconds kept).

    The regex enforces RFC 3339's shape (``fromisoformat`` alone accepts many ISO 8601
    variants); ``fromisoformat`` then does the arithmetic fast, which matters when a
    rule parses one timestamp per user over a million users.
    """
    n = len(text)
    fast = (
        20 <= n <= 30
        and text[-1] == "Z"
        and text[10] == "T"
        and text[4] == "-"
        and text[7] == "-"
        and text[13] == ":"
        and text[16] == ":"
        and text.isascii()
        and (n == 20 or (text[19] == "." and text[20:-1].isdigit()))
    )
    if fast:
        try:
            return _dt.datetime.fromisoformat(text)
        except ValueError:
            raise EvalFailure(f"invalid timestamp '{text}'") from None
    if _TS_RE.match(text) is None:
        raise EvalFailure(f"invalid timestamp '{text}'")
    try:
        value = _dt.datetime.fromisoformat(text.upper())
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise EvalFailure(f"invalid timestamp '{text}'") from None
    return value


def timestamp_from_seconds(seconds: int) -> _dt.datetime:
    """``timestamp(int)``: seconds since the Unix epoch, range-checked."""
    try:
        return EPOCH + _dt.timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        raise EvalFailure("timestamp overflow") from None


def format_timestamp(value: _dt.datetime) -> str:
    """RFC 3339 in UTC with 'Z'; fraction printed with 3 or 6 digits as cel-cpp does."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    frac = _fraction(value.microsecond)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{frac}Z"
    )


def _fraction(micro: int) -> str:
    if micro == 0:
        return ""
    if micro % 1000 == 0:
        return f".{micro // 1000:03d}"
    return f".{micro:06d}"


def parse_duration(text: str) -> _dt.timedelta:
    """Parse Go-style durations (``8760h``, ``1.5h``, ``-30m``, ``1h30m``); no day unit."""
    body = text
    negative = False
    if body[:1] in ("+", "-"):
        negative = body[0] == "-"
        body = body[1:]
    if body == "0":
        return _dt.timedelta(0)
    if not body:
        raise EvalFailure(f"invalid duration '{text}'")
    total_ns = 0
    pos = 0
    while pos < len(body):
        m = _DUR_PART_RE.match(body, pos)
        if m is None:
            raise EvalFailure(f"invalid duration '{text}'")
        number, unit = m.group(1), m.group(2)
        whole, _, frac = number.partition(".")
        scale = _UNIT_NS[unit]
        total_ns += int(whole or "0") * scale
        if frac:
            total_ns += int(frac) * scale // 10 ** len(frac)
        pos = m.end()
    micros = total_ns // 1000
    if negative:
        micros = -micros
    return check_duration_us(micros)


def check_duration_us(micros: int) -> _dt.timedelta:
    """Build a duration from microseconds, enforcing CEL's +/-10000-year range."""
    if micros > MAX_DURATION_US or micros < -MAX_DURATION_US:
        raise EvalFailure("duration out of range")
    return _dt.timedelta(microseconds=micros)


def check_duration(value: _dt.timedelta) -> _dt.timedelta:
    """Range-check a duration produced by arithmetic (ts - ts, dur +/- dur).

    Like cel-cpp and cel-go (and the conformance suite), results of arithmetic must fit
    in int64 nanoseconds (about +/-292 years), a tighter bound than for parsed durations.
    """
    if _MIN_ARITH_TD <= value <= _MAX_ARITH_TD:
        return value
    raise EvalFailure("duration out of range")


def format_duration(value: _dt.timedelta) -> str:
    """``string(duration)``: seconds with an 's' suffix, e.g. ``3600s``, ``-1.500s``."""
    micros = value // _US
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    return f"{sign}{micros // 1_000_000}{_fraction(micros % 1_000_000)}s"


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // b
    return -q if a < 0 else q


def duration_part(value: _dt.timedelta, part: str) -> int:
    """Duration accessors: totals truncated toward zero, except milliseconds (the 0-999 part)."""
    micros = value // _US
    if part == "getHours":
        return _trunc_div(micros, 3_600_000_000)
    if part == "getMinutes":
        return _trunc_div(micros, 60_000_000)
    if part == "getSeconds":
        return _trunc_div(micros, 1_000_000)
    if part == "getMilliseconds":
        ms = abs(micros) // 1000 % 1000
        return -ms if micros < 0 else ms
    raise EvalFailure(f"no such duration accessor '{part}'")


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> _dt.tzinfo:
    m = _OFFSET_RE.match(name)
    if m is not None:
        offset = _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        if offset >= _dt.timedelta(hours=24):
            raise EvalFailure(f"invalid timezone '{name}'")
        return _dt.timezone(-offset if m.group(1) == "-" else offset)
    if name in ("UTC", "Z"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except Exception:
        raise EvalFailure(f"invalid timezone '{name}'") from None


def timestamp_part(value: _dt.datetime, part: str, tz: str | None = None) -> int:
    """Timestamp accessors in UTC or the given IANA zone / fixed offset (CEL's 0/1-based rules)."""
    local = value.astimezone(_zone(tz)) if tz is not None else value.astimezone(UTC)
    if part == "getFullYear":
        return local.year
    if part == "getMonth":
        return local.month - 1
    if part == "getDayOfYear":
        return local.timetuple().tm_yday - 1
    if part == "getDate":
        return local.day
    if part == "getDayOfMonth":
        return local.day - 1
    if part == "getDayOfWeek":
        return (local.weekday() + 1) % 7
    if part == "getHours":
        return local.hour
    if part == "getMinutes":
        return local.minute
    if part == "getSeconds":
        return local.second
    if part == "getMilliseconds":
        return local.microsecond // 1000
    raise EvalFailure(f"no such timestamp accessor '{part}'")


def timestamp_seconds(value: _dt.datetime) -> int:
    """``int(timestamp)``: whole seconds since the epoch (floor)."""
    return (value - EPOCH) // _dt.timedelta(seconds=1)
