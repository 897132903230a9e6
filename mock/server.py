"""The HTTP server the mock runs on: uvicorn, with a deadline for reading each request.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but it waits
forever for a request that arrives slowly: a client that sends half a request line, or one
header byte a minute, holds a connection (and its buffers) as long as it likes. Here every
request must arrive whole — headers and body — within ``read_timeout`` seconds of its first
byte (or of the connection opening), else the connection is closed. What the request may
hold (header and URL sizes, the body limit) the guard checks (``mock/guard.py``).

One process or ``--workers N``, the same classes serve: ``MockConfig`` carries the deadline
and is pickled whole into each worker process (uvicorn spawns them), where
``DeadlineProtocol`` reads it. Both are module-level, so a worker imports them by name.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

# seconds an idle connection stays open between requests: longer than clients keep an idle
# connection for reuse (httpx 5 s, .NET 60 s), so that the client, not the server, ends it.
# A server that closes first races the client's next request on that connection: a request
# sent as the close happens is reset unanswered, and a POST cannot be retried safely. With
# uvicorn's 5 s, 256 busy httpx writers (whose idle clock starts only when they get to read
# the answer) saw 11 resets in 7,680 POSTs; with 75 s (nginx's default), none in 10,240. The
# read deadline still bounds a request that is slow to arrive.
KEEP_ALIVE = 75
READ_TIMEOUT = 30.0  # seconds for a whole request to arrive (--read-timeout)


class MockConfig(uvicorn.Config):
    """uvicorn's configuration plus ``read_timeout``, the deadline ``DeadlineProtocol``
    enforces (an attribute, so it travels with the configuration into each worker)."""

    def __init__(self, app: Any, *, read_timeout: float = READ_TIMEOUT, **options: Any) -> None:
        self.read_timeout = read_timeout
        options.setdefault("timeout_keep_alive", KEEP_ALIVE)
        super().__init__(app, http=DeadlineProtocol, **options)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request is not all there
    within the configuration's ``read_timeout`` seconds."""

    _deadline: asyncio.TimerHandle | None = None

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.read_timeout: float = getattr(config, "read_timeout", READ_TIMEOUT)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def config(app: Any, *, read_timeout: float = READ_TIMEOUT, **options: Any) -> MockConfig:
    """uvicorn's configuration for the mock's ``app`` (``options`` are uvicorn's own; with
    ``workers`` > 1, ``app`` is an import string each worker loads)."""
    return MockConfig(app, read_timeout=read_timeout, **options)


def serve(settings: MockConfig, sock: socket.socket) -> None:
    """Serve on the bound ``sock``: in this process, or in ``settings.workers`` processes
    that share it (uvicorn's supervisor restarts a worker that dies)."""
    if settings.workers > 1:
        Multiprocess(settings, sockets=[sock]).run()
    else:
        uvicorn.Server(settings).run(sockets=[sock])
