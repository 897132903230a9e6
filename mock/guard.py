"""The ASGI layer in front of every surface: body limits, fault injection and the journal.

It runs outside connexion, so it turns what connexion would answer with a 500 (a body that
is not UTF-8) into a 400, refuses oversized bodies before anything buffers them, and records
every request, whatever answered it.

Requests are bounded: URLs (``max_url``, 414), headers (``max_header``, 431), bodies
(``max_body``, 413); ``mock/server.py`` bounds the time a request may take to arrive.

Fault injection, per request (documented in the README):
* ``Prefer: code=503`` (Prism's convention) — answer that error status, in the surface's
  error shape, without touching state. Only 4xx/5xx codes are honoured: a stateful mock
  cannot invent a success.
* ``Prefer: latency=250`` or ``X-Understudy-Latency: 250`` — wait that many milliseconds
  (at most 30 s) before handling the request.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from understudy.mock.app import Mock
    from understudy.mock.config import Config

log = logging.getLogger("understudy.mock")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PASSING = frozenset({"OPTIONS"})  # CORS preflights, answered by the CORS middleware
MAX_LATENCY_MS = 30_000
_PREFER = re.compile(r"(code|latency)\s*=\s*(\d+)")


class Journal:
    """The last N requests, newest last."""

    def __init__(self, size: int) -> None:
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Guard:
    def __init__(self, app: ASGIApp, mock: Mock) -> None:
        self.app = app
        self.mock = mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = [0]
        answer = _Captured()

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                answer.headers = message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer.add(message.get("body", b""))
            await send(message)

        asked = _Captured()
        asked.headers = scope["headers"]
        try:
            await self._handle(scope, _recording(receive, asked), send_and_record)
        except Exception:
            # the last resort for what nothing else caught: logged, and a 500 in the surface's
            # shape rather than Starlette's text/plain one (state is the store's to keep whole)
            log.exception("%s %s failed", scope["method"], scope["path"])
            if status[0]:
                raise  # the answer is under way: only closing the connection is left
            await self._error(scope, send_and_record, 500, "The mock failed on this request")
        finally:
            entry = {
                "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status[0],
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "request": asked.as_json(),
                "response": answer.as_json(),
            }
            self.mock.journal.add(entry)
            self.mock.access_log.write(entry)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _UNROUTABLE.search(scope["path"]):
            # a line feed: Starlette's mounts match no path holding one, Flask's router and
            # connexion's then disagree → 500; a NUL: PostgreSQL's text holds none. Other
            # control characters reach the operation (an unknown id is its 404)
            await self._error(scope, send, 400, "The path contains a NUL or a line feed")
            return
        allowed = self.mock.allowed_methods(scope["path"])
        method = scope["method"]
        if (
            allowed
            and method not in allowed | PASSING
            and not (method == "HEAD" and "GET" in allowed)
        ):
            await self._error(scope, send, 405, f"{method} is not allowed on {scope['path']}")
            return
        too_large = oversized(scope, self.mock.config)
        if too_large:
            await self._error(scope, send, *too_large)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        prefer = dict(_PREFER.findall(headers.get("prefer", "")))
        latency = prefer.get("latency") or headers.get("x-understudy-latency", "")
        if latency.strip().isdigit():
            await asyncio.sleep(min(int(latency), MAX_LATENCY_MS) / 1000)
        code = int(prefer.get("code", 0))
        if 400 <= code <= 599:
            await self._error(scope, send, code, f"Injected by the request's Prefer: code={code}")
            return
        if scope["method"] in BODY_METHODS:
            body = await self._read_body(scope, receive, send, headers)
            if body is None:
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _read_body(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> bytes | None:
        """The whole body, or None once an error has been sent."""
        limit = self.mock.config.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._error(scope, send, 413, f"Request bodies are limited to {limit} bytes")
            return None
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._error(scope, send, 413, f"Request bodies are limited to {limit} bytes")
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and "json" in headers.get("content-type", ""):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                await self._error(
                    scope, send, 400, f"The request body is not valid UTF-8 JSON: {exc}"
                )
                return None
        return body

    async def _error(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        status = self.mock.refusal_status(scope.get("method", ""), scope["path"], status)
        body, content_type, headers = self.mock.error_response(scope["path"], status, detail)
        raw_headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        if status == 429:
            raw_headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


def oversized(scope: Scope, config: Config) -> tuple[int, str] | None:
    """414 or 431 and the words when the request's URL or headers pass the limits, the
    same for every path (surfaces and the admin API)."""
    if len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) > config.max_url:
        return 414, f"URLs are limited to {config.max_url} bytes"
    if sum(len(name) + len(value) for name, value in scope["headers"]) > config.max_header:
        return 431, f"Request headers are limited to {config.max_header} bytes in all"
    return None


_UNROUTABLE = re.compile(r"[\x00\n]")
JOURNAL_BODY = 2048  # bytes of each request and response body the journal keeps
JOURNAL_HEADER = 256  # characters of each header value


class _Captured:
    """The head of one body and its headers, bounded, for the journal and the access line."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.body) < JOURNAL_BODY:
            self.body += chunk[: JOURNAL_BODY - len(self.body)]

    def as_json(self) -> dict[str, Any]:
        text = self.body.decode("utf-8", "replace")
        return {
            "headers": {
                k.decode("latin-1"): v.decode("latin-1")[:JOURNAL_HEADER] for k, v in self.headers
            },
            "body": text + ("…" if self.size > len(self.body) else ""),
            "size": self.size,
        }


def _recording(receive: Receive, into: _Captured) -> Receive:
    async def record() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            into.add(message.get("body", b""))
        return message

    return record


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
