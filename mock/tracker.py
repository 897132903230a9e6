"""Behaviour of the tracker surface that its spec cannot declare (tracker-log-time-entry.txt)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import deriver

MAX_MINUTES = 24 * 60


@deriver("tracker.duration")
def duration(record: dict[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keep ``minutes`` and ``hours`` consistent: "minutes takes precedence" when a write sends
    both; the one sent sets the other (``"2.5"`` ↔ ``150``)."""
    sent = record if changes is None else changes
    if sent.get("minutes") is not None:
        minutes = int(sent["minutes"])
    elif sent.get("hours") is not None:
        try:
            hours = Decimal(str(sent["hours"]))
        except InvalidOperation:
            raise errors.Unprocessable(f"hours {sent['hours']!r} is not a decimal number") from None
        minutes = int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))
    else:
        return record
    if not 1 <= minutes <= MAX_MINUTES:
        raise errors.Unprocessable(f"hours must come to 1 to {MAX_MINUTES} minutes, not {minutes}")
    return {**record, "minutes": minutes, "hours": _hours(minutes)}


def _hours(minutes: int) -> str:
    """150 → "2.5", 60 → "1", 20 → "0.333333" (at most six decimals, no trailing zeros)."""
    text = f"{Decimal(minutes) / 60:.6f}".rstrip("0").rstrip(".")
    return text or "0"
