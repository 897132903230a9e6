"""A generated demo world served as of today.

A tenant is generated around a fixed epoch, so that a seed always gives the same bytes; a
mock serving it moves it to the present. A world with a running timer (a ``time_entries``
record whose ``timeInterval`` has no end: Clockify's) is moved by whole weeks and its timer
started today. Standard library only: the mock calls it at start without importing the
generators.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from understudy.derive import iso, parse_instant

_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def current(
    collections: dict[str, list[dict[str, Any]]], now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The world moved to this week, as a mock serves it: every date by the same whole
    number of weeks (working days stay working days), so that the running timer's day is
    the latest such weekday up to today; the timer itself started today, before ``now``.
    The generated tenant stays the same bytes for a seed; only the served copy moves."""

    def running(entry: dict[str, Any]) -> bool:
        return isinstance(entry.get("timeInterval"), dict) and not entry["timeInterval"].get("end")

    if not any(running(e) for e in collections.get("time_entries", ())):
        return collections  # nothing that must be today: served as generated
    moved = copy.deepcopy(collections)
    timers = [e for e in moved["time_entries"] if running(e)]
    began = parse_instant(timers[0]["timeInterval"]["start"])
    weeks = (now.date() - began.date()).days // 7
    shift = timedelta(weeks=weeks)
    for records in moved.values():
        for record in records:
            _shift(record, shift)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    start = max(today, min(today + timedelta(hours=8), now - timedelta(minutes=5)))
    for timer in timers:
        timer["timeInterval"]["start"] = iso(start)
    return moved


def _shift(value: Any, shift: timedelta) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _shift(item, shift)
    elif isinstance(value, list):
        value[:] = [_shift(item, shift) for item in value]
    elif isinstance(value, str):
        if _INSTANT.fullmatch(value):
            return iso(parse_instant(value) + shift)
        if _DAY.fullmatch(value):
            return (date.fromisoformat(value) + shift).isoformat()
    return value
