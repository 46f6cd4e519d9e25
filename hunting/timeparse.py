"""Parsing the moments and durations users write in files and flags.

A moment without an offset is UTC (design.md), so a change calendar exported
from a tool that drops the offset still lines up with telemetry.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

_KQL_TIMESPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(d|h|m|s|ms|microsecond|tick)?\s*$", re.I)
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds",
          "microsecond": "microseconds"}


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime; a date alone is its midnight.

    Raises:
        ValueError: the text is not ISO 8601.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty date")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"invalid date {text.strip()!r} (expected ISO 8601, e.g. 2026-12-03T10:00:00Z)") from None
    return as_utc(moment)


def parse_expiry(text: str) -> datetime:
    """Like parse_moment, but a date alone means the end of that day (rules valid through it)."""
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return parse_moment(value)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc)


def utc_now() -> datetime:
    """The wall clock, aware UTC: the default clock wherever one is injected."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_timespan(text: str) -> timedelta:
    """A KQL timespan literal (``5d``, ``1h``, ``90m``) or an ISO 8601 duration (``P5D``, ``PT1H``).

    Raises:
        ValueError: neither form.
    """
    match = _KQL_TIMESPAN.match(text)
    if match:
        number, unit = float(match.group(1)), (match.group(2) or "d").lower()
        if unit == "tick":
            return timedelta(microseconds=number / 10)
        return timedelta(**{_UNITS[unit]: number})
    iso = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", text.strip(), re.I)
    if iso and any(iso.groups()):
        d, h, m, s = iso.groups()
        return timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(m or 0), seconds=float(s or 0))
    raise ValueError(f"invalid timespan {text!r} (expected e.g. 5d, 12h or P5D)")
