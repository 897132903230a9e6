"""The admin API under ``/__understudy``: health, reset, credentials, snapshots, seeding and
the request journal. Plain JSON outside the specs, for scripts and frontend e2e set-ups.

It is an ASGI layer in front of connexion, so it works the same whichever app class serves
the surfaces.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from understudy import __version__
from understudy.mock import demo
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
        request = Request(scope, receive)
        handler = ROUTES.get(f"{request.method} {path.rstrip('/') or '/'}") or ROUTES.get(
            f"{request.method} {path}"
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
            response = await handler(self.mock, request)
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
    data = await _json_object(request)
    surfaces = data.get("surfaces")
    if data.get("format") != SNAPSHOT_FORMAT or not isinstance(surfaces, dict):
        return _problem(400, f"Expected a snapshot with format {SNAPSHOT_FORMAT!r} and 'surfaces'")
    unknown = sorted(set(surfaces) - set(mock.stores))
    if unknown:
        return _problem(400, f"Unknown surfaces in snapshot: {', '.join(unknown)}")
    problem = _check_collections(surfaces)
    if problem:
        return problem
    for name, collections in surfaces.items():
        mock.stores[name].load(collections, replace=True)
    return JSONResponse(_health(mock))


@route("POST", "/records")
async def add_records(mock: Mock, request: Request) -> Response:
    data = await _json_object(request)
    surface = str(data.get("surface"))
    if surface not in mock.stores:
        return _problem(400, f"'surface' must be one of {', '.join(mock.stores)}")
    problem = _check_collections({surface: data.get("collections")})
    if problem:
        return problem
    replace = bool(data.get("replace", False))
    loaded = mock.stores[surface].load(data["collections"], replace=replace)
    return JSONResponse({"loaded": loaded, **_health(mock)})


@route("GET", "/journal")
async def journal(mock: Mock, request: Request) -> Response:
    return JSONResponse({"entries": mock.journal.entries()})


@route("DELETE", "/journal")
async def clear_journal(mock: Mock, request: Request) -> Response:
    mock.journal.clear()
    return Response(status_code=204)


def _health(mock: Mock) -> dict[str, Any]:
    return {"status": "ok", "records": {name: store.count() for name, store in mock.stores.items()}}


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _check_collections(surfaces: dict[str, Any]) -> Response | None:
    for name, collections in surfaces.items():
        valid = isinstance(collections, dict) and all(
            isinstance(records, list) and all(isinstance(r, dict) and "id" in r for r in records)
            for records in collections.values()
        )
        if not valid:
            return _problem(
                400, f"{name}: collections must map names to lists of records with an 'id'"
            )
    return None


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    titles = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    body = {"type": "about:blank", "title": titles[status], "status": status, "detail": detail}
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")
