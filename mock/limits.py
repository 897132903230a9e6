"""Rate limits as a surface declares them (``x-understudy.surface.rate_limit``).

Clockify: "50 requests per second (by addon on one workspace) when accessed using
X-Addon-Token", exceeding it answers "Too many requests" (clockify-api-v1.txt). A request
counts once its credential is known to be valid (the security handlers call ``Limiter.check``
after authenticating it), so made-up tokens cannot fill the counters.

The window slides: at most ``limit`` requests in any ``window`` seconds per key — the
credential, the value of the declared path parameter (the workspace), the session. A refused
request does not count, so a client that waits ``Retry-After`` is served again. Counters sit
behind ``Windows``: in this process on the memory store, in the SQL store otherwise
(``sqlwindows.py``), so that a limit holds across several workers.
"""

from __future__ import annotations

import collections
import hashlib
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from understudy.binding import RateLimit
from understudy.mock import errors
from understudy.mock.store import Backend

OFF = "off"
SESSION_HEADER = "X-Understudy-Session"  # each session of the mock counts apart


class Windows(Protocol):
    def hit(self, key: str, limit: int, window: float) -> float:
        """Count one request under ``key``; 0 when within the limit, else (counting nothing)
        the seconds until one more would be."""
        ...

    def clear(self) -> None:
        """Forget every count (a reset of the mock)."""
        ...


class MemoryWindows:
    """Sliding windows in memory: the last ``limit`` request times of each key. The least
    recently used keys beyond ``max_keys`` are forgotten (memory stays bounded)."""

    def __init__(self, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._keys: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self._clock = clock

    def hit(self, key: str, limit: int, window: float) -> float:
        with self._lock:
            now = self._clock()
            times = self._keys.get(key)
            if times is None or times.maxlen != limit:
                times = self._keys[key] = collections.deque(maxlen=limit)
                if len(self._keys) > self._max_keys:
                    self._keys.popitem(last=False)
            else:
                self._keys.move_to_end(key)
            if len(times) == limit and now - times[0] < window:
                return window - (now - times[0])
            times.append(now)
            return 0.0

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


def windows_for(backend: Backend) -> Windows:
    """The counters of a mock over ``backend``: in the store when processes share it, so that
    a limit holds across ``--workers``; else in this process."""
    if backend.shared:
        from understudy.mock.sqlstore import Database  # imported already: the store is SQL
        from understudy.mock.sqlwindows import SqlWindows

        if isinstance(backend, Database):
            return SqlWindows(backend)
    return MemoryWindows()


class Limiter:
    """One surface's rule over its counters."""

    def __init__(self, rule: RateLimit, windows: Windows) -> None:
        self.rule = rule
        self.windows = windows
        self._counted = frozenset(c.lower() for c in rule.credentials)  # empty: every one

    def check(
        self, header: str, value: str, path_params: Mapping[str, str], session: str = ""
    ) -> None:
        """Count a request authenticated by ``value`` in ``header``; 429 beyond the limit."""
        rule = self.rule
        if self._counted and header.lower() not in self._counted:
            return
        partition = str(path_params.get(rule.per, "")) if rule.per else ""
        raw = "\0".join((session, header.lower(), value, partition)).encode("utf-8", "replace")
        key = hashlib.blake2b(raw, digest_size=16).hexdigest()
        wait = self.windows.hit(key, rule.limit, rule.window)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise errors.TooManyRequests(rule.message, headers={"Retry-After": str(retry)})


def configured(rule: RateLimit | None, option: str | None) -> RateLimit | None:
    """The surface's rule under ``serve --rate-limit``: None keeps the declaration, ``off``
    drops it, ``N`` makes it N per window for every credential (to test a client's back-off
    with an API key too)."""
    if rule is None or option is None:
        return rule
    limit = parse_option(option)
    return None if limit is None else RateLimit(limit, rule.window, (), rule.per, rule.message)


def parse_option(option: str) -> int | None:
    """``--rate-limit``'s value: None for ``off``, else the number; ValueError says why."""
    text = option.strip().lower()
    if text == OFF:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"--rate-limit must be 'off' or a whole number ≥ 1, not {option!r}")
    return int(text)
