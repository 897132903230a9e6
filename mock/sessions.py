"""Sessions for parallel tests: ``X-Understudy-Session: NAME`` gives a caller its own partition
of every surface's state, seeded with the demo tenant on first use, so that many test runs can
share one mock without seeing each other's writes. Without the header nothing changes.

The ASGI layer ``SessionScope`` sets ``store.partition`` for the request (connexion's thread
pool copies the context, so the views see it too); the backend keeps the registry, so every
worker on a shared store knows the same sessions. Idle sessions expire after
``Config.session_ttl`` seconds. Admin: ``GET /__understudy/sessions``,
``POST /__understudy/sessions/{name}/reset``, ``DELETE /__understudy/sessions/{name}``; the
other admin endpoints (reset, snapshot, records, health) act on the caller's session.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from understudy.mock.admin import PREFIX, _problem, route
from understudy.mock.store import partition

if TYPE_CHECKING:
    from understudy.mock.app import Mock

HEADER = "X-Understudy-Session"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
RECHECK = 30.0  # seconds a worker trusts that a session it saw still exists


class Sessions:
    """This process's view of the sessions: which it has seen lately, when it last swept."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self.ttl = mock.config.session_ttl
        self._seen: dict[str, float] = {}
        self._swept = time.monotonic()
        self._lock = threading.Lock()

    def enter(self, name: str) -> None:
        """Make sure session ``name`` exists, seeded on first use, and note that it is used.
        The caller has set ``store.partition`` to ``name``."""
        now = time.monotonic()
        seen = self._seen.get(name)
        if seen is not None and now - seen < min(RECHECK, self.ttl / 4 or RECHECK):
            return
        self.mock.backend.open_session(name, self._seed)
        self._seen[name] = now
        if self.ttl and now - self._swept > min(60.0, self.ttl / 4):
            self.expire()

    def _seed(self) -> None:
        # clears first: records a worker wrote after another expired the session go too
        self.mock.reset()

    def expire(self) -> list[str]:
        """Drop the sessions idle for longer than the ttl."""
        with self._lock:
            self._swept = time.monotonic()
        cutoff = datetime.now(UTC) - timedelta(seconds=self.ttl)
        gone = self.mock.backend.expire_sessions(cutoff)
        for name in gone:
            self._seen.pop(name, None)
        return gone

    def listing(self) -> list[dict[str, Any]]:
        out = []
        for entry in self.mock.backend.sessions():
            token = partition.set(entry["name"])
            try:
                records = {n: sum(s.count().values()) for n, s in self.mock.stores.items()}
            finally:
                partition.reset(token)
            out.append({**entry, "records": records})
        return out

    def reset(self, name: str) -> bool:
        if not any(s["name"] == name for s in self.mock.backend.sessions()):
            return False
        token = partition.set(name)
        try:
            self.mock.reset()
        finally:
            partition.reset(token)
        return True

    def delete(self, name: str) -> bool:
        self._seen.pop(name, None)
        return self.mock.backend.drop_session(name)


class SessionScope:
    """Route a request with ``X-Understudy-Session`` to that session's partition."""

    def __init__(self, app: ASGIApp, mock: Mock) -> None:
        self.app = app
        self.mock = mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = _header(scope) if scope["type"] == "http" else None
        if name is None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if not NAME.fullmatch(name):
            detail = (
                f"{HEADER} must be 1 to 100 letters, digits, '.', '_' or '-' "
                f"(starting with a letter or digit), not {name[:120]!r}"
            )
            body, content_type, headers = self.mock.error_response(path, 400, detail)
            response = Response(body, 400, headers=headers, media_type=content_type)
            await response(scope, receive, send)
            return
        token = partition.set(name)
        try:
            if not path.startswith(f"{PREFIX}/sessions"):  # managing sessions opens none
                self.mock.sessions.enter(name)
            await self.app(scope, receive, send)
        finally:
            partition.reset(token)


def _header(scope: Scope) -> str | None:
    wanted = HEADER.lower().encode()
    for key, value in scope.get("headers", ()):
        if key.lower() == wanted:
            return value.decode("latin-1").strip()
    return None


@route("GET", "/sessions")
async def list_sessions(mock: Mock, request: Request) -> Response:
    return JSONResponse({"ttl": mock.sessions.ttl, "sessions": mock.sessions.listing()})


@route("POST", "/sessions/{name}/reset")
async def reset_session(mock: Mock, request: Request) -> Response:
    name = request.path_params["name"]
    if not mock.sessions.reset(name):
        return _problem(404, f"No session {name!r}; see GET {PREFIX}/sessions")
    return Response(status_code=204)


@route("DELETE", "/sessions/{name}")
async def delete_session(mock: Mock, request: Request) -> Response:
    name = request.path_params["name"]
    if not mock.sessions.delete(name):
        return _problem(404, f"No session {name!r}; see GET {PREFIX}/sessions")
    return Response(status_code=204)
