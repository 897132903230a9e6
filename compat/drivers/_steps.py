"""Step recording for the client drivers (standard library only: it runs in each client's
own virtual environment).

A driver calls ``steps.run("name", fn)`` for each thing it asks of the library; the step
passes when ``fn`` returns without raising. It prints one JSON line per step on stdout,
which the runner (``compat/run.py``) reads. A step whose prerequisite failed is reported
as failed with that reason, so a broken create never hides behind a skipped update.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Missing(Exception):
    """A prerequisite step failed."""


class Steps:
    def __init__(self) -> None:
        self.api = os.environ["COMPAT_API"]  # e.g. http://127.0.0.1:PORT/clockify/api/v1
        self.reports = os.environ["COMPAT_REPORTS"]  # ... /clockify/reports/v1
        self.key = os.environ["COMPAT_KEY"]
        self.tag = os.environ.get("COMPAT_TAG", "compat")  # makes created names unique per run
        self.failed: set[str] = set()

    def run(self, name: str, fn: Callable[[], T], *needs: str) -> T | None:
        missing = [n for n in needs if n in self.failed]
        if missing:
            return self._record(name, False, f"needs step {missing[0]!r}, which failed")
        try:
            value = fn()
        except Exception as exc:  # the library's own error, whatever its class
            return self._record(name, False, _reason(exc))
        self._record(name, True, "")
        return value

    def _record(self, name: str, ok: bool, reason: str) -> None:
        if not ok:
            self.failed.add(name)
        print(json.dumps({"step": name, "ok": ok, "reason": reason}), flush=True)


def check(condition: object, message: str) -> None:
    """A failed expectation about what the library returned."""
    if not condition:
        raise AssertionError(message)


def today_at(hour: int, minute: int = 0, days_ago: int = 0) -> dt.datetime:
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days_ago)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def _reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    where = traceback.extract_tb(exc.__traceback__)
    frame = where[-1] if where else None
    origin = f" (at {os.path.basename(frame.filename)}:{frame.lineno})" if frame else ""
    return (text[:300] + origin).strip()


def field(record: Any, name: str) -> Any:
    """A field of a dict answer, or an attribute of a model answer."""
    return record[name] if isinstance(record, dict) else getattr(record, name)


def main(drive: Callable[[Steps], None]) -> None:
    steps = Steps()
    drive(steps)
    sys.exit(0)
