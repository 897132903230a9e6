"""The HTTP server the mock runs on: uvicorn, with a deadline for reading each request.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but it waits
forever for a request that arrives slowly: a client that sends half a request line, or one
header byte a minute, holds a connection (and its buffers) as long as it likes. Here every
request must arrive whole — headers and body — within ``read_timeout`` seconds of its first
byte (or of the connection opening), else the connection is closed. What the request may
hold (header and URL sizes, the body limit) the guard checks (``mock/guard.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

KEEP_ALIVE = 5  # seconds an idle connection stays open between requests (uvicorn's default)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request is not all there
    within ``read_timeout`` seconds."""

    read_timeout: float = 30.0
    _deadline: asyncio.TimerHandle | None = None

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


def config(app: Any, *, read_timeout: float = 30.0, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the mock's ``app`` (``options`` are uvicorn's own)."""
    protocol = type("Protocol", (DeadlineProtocol,), {"read_timeout": read_timeout})
    return uvicorn.Config(app, http=protocol, timeout_keep_alive=KEEP_ALIVE, **options)
