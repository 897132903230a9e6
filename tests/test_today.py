"""A demo world served as of today (understudy/today.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from understudy import fixtures, today
from understudy.derive import parse_instant

CLOCKIFY = fixtures.generate("clockify", size="small", seed=7).collections


def test_the_served_world_has_a_timer_that_started_today() -> None:
    now = datetime(2027, 3, 10, 15, 30, tzinfo=UTC)  # a Wednesday
    served = today.current(CLOCKIFY, now)
    demo = CLOCKIFY["users"][0]["id"]
    (timer,) = [e for e in served["time_entries"] if not e["timeInterval"]["end"]]
    assert timer["userId"] == demo
    started = parse_instant(timer["timeInterval"]["start"])
    assert started.date() == now.date() and started < now
    for before, after in zip(CLOCKIFY["time_entries"], served["time_entries"], strict=True):
        if after is timer or not after["timeInterval"]["end"]:
            continue
        moved = parse_instant(after["timeInterval"]["start"])
        assert (
            moved <= now
            and moved.weekday() == parse_instant(before["timeInterval"]["start"]).weekday()
        )
        assert (moved - parse_instant(before["timeInterval"]["start"])) % timedelta(
            weeks=1
        ) == timedelta()
    assert today.current(CLOCKIFY, now) == served  # the same moment, the same world
    assert fixtures.generate("clockify", size="small", seed=7).collections == CLOCKIFY  # untouched


def test_a_world_without_a_running_timer_is_served_as_generated() -> None:
    edm = fixtures.generate("edm", size="small", seed=7).collections
    assert today.current(edm, datetime(2027, 3, 10, tzinfo=UTC)) is edm
