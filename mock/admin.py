"""The admin API under ``/__understudy``: health, reset, credentials, snapshots, seeding and
the request journal. Plain JSON outside the specs, for scripts and frontend e2e set-ups.

It is an ASGI layer in front of connexion, so it works the same whichever app class serves
the surfaces.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from understudy import __version__
from understudy.mock import admin_access, demo, guard, strict_json
from understudy.mock.errors import title
from understudy.registry import Registry

if TYPE_CHECKING:
    from understudy.mock.app import Mock

PREFIX = "/__understudy"
SNAPSHOT_FORMAT = "understudy-snapshot/1"
Route = Callable[["Mock", Request], Awaitable[Response]]
ROUTES: Registry[Route] = Registry("admin route")  # by "METHOD /__understudy/path"


def route(method: str, path: str) -> Callable[[Route], Route]:
    return ROUTES.register(f"{method} {PREFIX}{path}")


class Admin:
    def __init__(self, app: ASGIApp, mock: Mock) -> None:
        self.app = app
        self.mock = mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        too_large = guard.oversized(scope, self.mock.config)
        if too_large:
            await _problem(*too_large)(scope, receive, send)
            return
        request = Request(scope, receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            admin_access.check(
                request.method,
                headers,
                token=self.mock.admin_token,
                origins=self.mock.config.cors_origins,
            )
        except admin_access.Refused as refused:
            await _problem(refused.status, refused.detail)(scope, receive, send)
            return
        handler = (
            ROUTES.get(f"{request.method} {path.rstrip('/') or '/'}")
            or ROUTES.get(f"{request.method} {path}")
            or _templated(request.method, path, scope)
        )
        if handler is None:
            allowed = sorted(
                key.split(" ", 1)[0] for key in ROUTES if key.split(" ", 1)[1] == path.rstrip("/")
            )
            response = (
                _problem(
                    405, f"{request.method} is not allowed here", {"Allow": ", ".join(allowed)}
                )
                if allowed
                else _problem(404, f"No admin endpoint at {path}; see GET {PREFIX}/")
            )
        else:
            try:
                response = await handler(self.mock, request)
            except _BadBody as bad:
                response = _problem(bad.status, str(bad))
        await response(scope, receive, send)


@route("GET", "")
async def index(mock: Mock, request: Request) -> Response:
    return JSONResponse(
        {
            "understudy": __version__,
            "surfaces": {
                m.mount.name: {"prefix": m.prefix or "/", "docs": f"{m.prefix}/ui/"}
                for m in mock.mounted
            },
            "endpoints": sorted(ROUTES),
        }
    )


@route("GET", "/health")
async def health(mock: Mock, request: Request) -> Response:
    return JSONResponse(_health(mock))


@route("POST", "/reset")
async def reset(mock: Mock, request: Request) -> Response:
    keep_demo = request.query_params.get("demo", "true").lower() not in ("0", "false", "no")
    mock.reset(demo=keep_demo)
    mock.journal.clear()
    return JSONResponse(_health(mock))


@route("GET", "/credentials")
async def credentials(mock: Mock, request: Request) -> Response:
    return JSONResponse(demo.credentials(mock, str(request.base_url)))


@route("GET", "/snapshot")
async def export_snapshot(mock: Mock, request: Request) -> Response:
    surfaces = {name: store.dump() for name, store in mock.stores.items()}
    return JSONResponse({"format": SNAPSHOT_FORMAT, "surfaces": surfaces})


@route("PUT", "/snapshot")
async def import_snapshot(mock: Mock, request: Request) -> Response:
    data = await _json_object(request, mock.config.max_snapshot)
    surfaces = data.get("surfaces")
    if data.get("format") != SNAPSHOT_FORMAT or not isinstance(surfaces, dict):
        return _problem(400, f"Expected a snapshot with format {SNAPSHOT_FORMAT!r} and 'surfaces'")
    unknown = sorted(set(surfaces) - set(mock.stores))
    if unknown:
        return _problem(400, f"Unknown surfaces in snapshot: {', '.join(unknown)}")
    found = [
        p
        for name, collections in surfaces.items()
        for p in mock.records.problems(name, collections, internal=True)
    ]
    if found:
        return _problem(400, "The snapshot cannot be loaded: " + "; ".join(found[:21]))
    for name, collections in surfaces.items():
        mock.stores[name].load(collections, replace=True)
    return JSONResponse(_health(mock))


@route("POST", "/records")
async def add_records(mock: Mock, request: Request) -> Response:
    data = await _json_object(request, mock.config.max_body)
    surface = str(data.get("surface"))
    if surface not in mock.stores:
        return _problem(400, f"'surface' must be one of {', '.join(mock.stores)}")
    found = mock.records.problems(surface, data.get("collections"))
    if found:
        return _problem(400, "The records cannot be added: " + "; ".join(found))
    replace = bool(data.get("replace", False))
    loaded = mock.stores[surface].load(data["collections"], replace=replace)
    return JSONResponse({"loaded": loaded, **_health(mock)})


@route("GET", "/journal")
async def journal(mock: Mock, request: Request) -> Response:
    """The last requests, newest last; ``?limit=N`` the last N only."""
    entries = mock.journal.entries()
    limit = request.query_params.get("limit")
    if limit is not None:
        if not limit.isdigit():
            return _problem(400, f"limit must be a whole number, not {limit!r}")
        entries = entries[len(entries) - int(limit) :] if int(limit) else []
    return JSONResponse({"entries": entries})


@route("DELETE", "/journal")
async def clear_journal(mock: Mock, request: Request) -> Response:
    mock.journal.clear()
    return Response(status_code=204)


def _templated(method: str, path: str, scope: Scope) -> Route | None:
    """A route with ``{name}`` parts (``/sessions/{name}``); its values go to path_params."""
    for key in ROUTES:
        verb, template = key.split(" ", 1)
        if verb == method and "{" in template:
            pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
            found = re.fullmatch(pattern, path.rstrip("/"))
            if found:
                scope["path_params"] = found.groupdict()
                return ROUTES[key]
    return None


def _health(mock: Mock) -> dict[str, Any]:
    return {"status": "ok", "records": {name: store.count() for name, store in mock.stores.items()}}


class _BadBody(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def _json_object(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object body (at most ``limit`` bytes), or ``_BadBody``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BadBody(413, f"Admin request bodies are limited to {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BadBody(413, f"Admin request bodies are limited to {limit} bytes")
        chunks.append(chunk)
    try:
        data = strict_json.loads(b"".join(chunks).decode("utf-8") or "{}")
    except (strict_json.NotJSON, UnicodeDecodeError) as exc:
        raise _BadBody(400, f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _BadBody(400, "The body must be a JSON object")
    return data


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "title": title(status), "status": status, "detail": detail}
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")
