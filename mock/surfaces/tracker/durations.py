"""Tracker time entries keep ``hours`` and ``minutes`` consistent (tracker-log-time-entry.txt);
the arithmetic is ``understudy.derive``'s, shared with the fixtures and the harness."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from understudy import derive
from understudy.mock import errors
from understudy.mock.surfaces.tracker import behaviour


@behaviour.deriver("tracker.duration")
def duration(record: dict[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Minutes from hours or hours from minutes, whichever the write sent; out of range is 422."""
    try:
        return derive.tracker_duration(record, changes)
    except ValueError as exc:
        raise errors.Unprocessable(str(exc)) from None
