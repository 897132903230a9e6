"""Rate-limit counters in the SQL store, so a limit holds across ``--workers`` and hosts.

The same sliding window as ``limits.MemoryWindows`` — at most ``limit`` requests in any
``window`` seconds per key, a refused request not counted — with one row per request let
through (``sqlstore.HITS``). Reading the key's count and adding the request is one transaction
holding a lock of that key (``Database.transaction``: PostgreSQL's advisory lock of the key,
SQLite's write lock), so two workers never both take the last place in a window.

Every worker reads the same clock: the database server's on PostgreSQL (workers may run on
several hosts), the wall clock on SQLite (one file, one host); never a per-process monotonic
clock. Rows whose window passed ``SWEEP_EVERY`` seconds ago are swept every ``SWEEP_EVERY``
seconds, so the table holds about (requests let through per second) x (window + 2 x
SWEEP_EVERY) rows at most.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from understudy.mock.sqlstore import HITS, Database, PostgresDatabase

SWEEP_EVERY = 10.0  # seconds between two sweeps of expired rows by one process


class SqlWindows:
    """``limits.Windows`` over a ``Database`` that several processes share."""

    def __init__(self, db: Database, clock: Callable[[], float] | None = None) -> None:
        self.db = db
        if clock is None:
            clock = self._database_clock if isinstance(db, PostgresDatabase) else time.time
        self._clock = clock
        self._swept = time.monotonic()  # only paces this process's sweeps

    def hit(self, key: str, limit: int, window: float) -> float:
        db = self.db
        with db.transaction(f"rate-limit/{key}"):  # the key's writers queue here
            now = self._clock()
            # the limit-th most recent request let through: the window is full while it is in it
            row = db.execute(
                f"SELECT at FROM {HITS} WHERE rate_key = ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                (key, limit - 1),
            )
            if row and now - row[0][0] < window:
                return window - (now - row[0][0])
            db.execute(
                f"INSERT INTO {HITS} (rate_key, at, expires) VALUES (?, ?, ?)",
                (key, now, now + window),
            )
        if time.monotonic() - self._swept >= SWEEP_EVERY:
            self.sweep()
        return 0.0

    def sweep(self) -> int:
        """Delete the rows no window counts any more; returns how many. It runs beside ``hit``
        without the keys' locks: a row past its window never decides a count, and the margin
        covers a ``hit`` that read the clock a moment before this did."""
        self._swept = time.monotonic()
        with self.db.transaction("rate-limit/sweep"):  # one sweeper at a time
            cutoff = self._clock() - SWEEP_EVERY
            gone = self.db.execute(f"DELETE FROM {HITS} WHERE expires <= ? RETURNING 1", (cutoff,))
        return len(gone)

    def clear(self) -> None:
        with self.db.transaction("rate-limit/sweep"):
            self.db.execute(f"DELETE FROM {HITS}")

    def _database_clock(self) -> float:
        return float(self.db.execute("SELECT extract(epoch FROM clock_timestamp())::float8")[0][0])
