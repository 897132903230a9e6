"""Values computed from other values, the same in the mock (which stores them), the fixtures
(which generate them) and the contract harness (which checks them): instants, ISO-8601
durations, tracker hours and minutes. Pure functions; a value that cannot be derived is a
``ValueError`` the caller turns into its own refusal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MAX_TRACKER_MINUTES = 24 * 60  # "at most 24 hours" — tracker-log-time-entry.txt


def iso(moment: datetime) -> str:
    """An instant as the APIs write it: ``2026-01-05T09:00:00Z``."""
    return moment.isoformat().replace("+00:00", "Z")


def parse_instant(value: str) -> datetime:
    """An ISO-8601 instant; one without an offset is UTC."""
    moment = datetime.fromisoformat(value.upper())  # RFC 3339 allows a lower-case t and z
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_duration(start: datetime, end: datetime) -> str:
    """5400 seconds → ``PT1H30M``; zero → ``PT0S``."""
    total = int((end - start).total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs or total == 0 else "")


def clockify_interval(record: dict[str, Any]) -> dict[str, Any]:
    """A Clockify time entry with ``timeInterval.duration`` from its start and end (null while
    the timer runs); ``ValueError`` when the end is before the start."""
    interval = dict(record.get("timeInterval") or {})
    if not interval.get("start"):
        return record
    start = parse_instant(interval["start"])
    end = parse_instant(interval["end"]) if interval.get("end") else None
    if end is not None and end < start:
        raise ValueError("The time entry's end is before its start")
    interval["start"] = iso(start)
    interval["end"] = iso(end) if end else None
    interval["duration"] = iso_duration(start, end) if end else None
    return {**record, "timeInterval": interval}


def tracker_duration(
    record: dict[str, Any], changes: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A tracker entry with ``minutes`` and ``hours`` consistent: "minutes takes precedence"
    when a write sends both; the one sent sets the other (``"2.5"`` ↔ ``150``)."""
    sent = record if changes is None else changes
    if sent.get("minutes") is not None:
        minutes = int(sent["minutes"])
    elif sent.get("hours") is not None:
        try:
            hours = Decimal(str(sent["hours"]))
        except InvalidOperation:
            raise ValueError(f"hours {sent['hours']!r} is not a decimal number") from None
        minutes = int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))
    else:
        return record
    if not 1 <= minutes <= MAX_TRACKER_MINUTES:
        raise ValueError(f"hours must come to 1 to {MAX_TRACKER_MINUTES} minutes, not {minutes}")
    return {**record, "minutes": minutes, "hours": hours_text(minutes)}


def hours_text(minutes: int) -> str:
    """150 → "2.5", 60 → "1", 20 → "0.333333" (at most six decimals, no trailing zeros)."""
    text = f"{Decimal(minutes) / 60:.6f}".rstrip("0").rstrip(".")
    return text or "0"
