"""The admin API under ``/__understudy``: health, reset, credentials, snapshots, seeding and
the request journal. Plain JSON, outside the specs, for scripts and frontend e2e set-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flask

from understudy import __version__
from understudy.mock import demo
from understudy.mock.guard import ADMIN_PREFIX

if TYPE_CHECKING:
    from understudy.mock.app import Mock

SNAPSHOT_FORMAT = "understudy-snapshot/1"


def register(mock: Mock) -> None:
    def route(rule: str, methods: list[str]) -> Any:
        def decorate(fn: Any) -> Any:
            mock.app.add_url_rule(
                ADMIN_PREFIX + rule, f"understudy_{fn.__name__}", fn, methods=methods
            )
            return fn

        return decorate

    @route("/", ["GET"])
    def index() -> Any:
        return {
            "understudy": __version__,
            "surfaces": {
                m.mount.name: {"prefix": m.prefix or "/", "docs": f"{m.prefix}/ui/"}
                for m in mock.mounted
            },
            "endpoints": sorted(
                str(r) for r in mock.app.app.url_map.iter_rules() if str(r).startswith(ADMIN_PREFIX)
            ),
        }

    @route("/health", ["GET"])
    def health() -> Any:
        return {
            "status": "ok",
            "records": {name: store.count() for name, store in mock.stores.items()},
        }

    @route("/reset", ["POST"])
    def reset() -> Any:
        keep_demo = flask.request.args.get("demo", "true").lower() not in ("0", "false", "no")
        mock.reset(demo=keep_demo)
        mock.journal.clear()
        return health()

    @route("/credentials", ["GET"])
    def credentials() -> Any:
        return demo.credentials(mock, flask.request.host_url)

    @route("/snapshot", ["GET"])
    def export_snapshot() -> Any:
        return {
            "format": SNAPSHOT_FORMAT,
            "surfaces": {name: store.dump() for name, store in mock.stores.items()},
        }

    @route("/snapshot", ["PUT"])
    def import_snapshot() -> Any:
        data = _json_object()
        if data.get("format") != SNAPSHOT_FORMAT or not isinstance(data.get("surfaces"), dict):
            return _problem(
                400, f"Expected a snapshot with format {SNAPSHOT_FORMAT!r} and 'surfaces'"
            )
        unknown = set(data["surfaces"]) - set(mock.stores)
        if unknown:
            return _problem(400, f"Unknown surfaces in snapshot: {', '.join(sorted(unknown))}")
        problem = _check_collections(data["surfaces"])
        if problem:
            return problem
        for name, collections in data["surfaces"].items():
            mock.stores[name].load(collections, replace=True)
        return health()

    @route("/records", ["POST"])
    def add_records() -> Any:
        data = _json_object()
        surface = str(data.get("surface"))
        if surface not in mock.stores:
            return _problem(400, f"'surface' must be one of {', '.join(mock.stores)}")
        problem = _check_collections({surface: data.get("collections")})
        if problem:
            return problem
        loaded = mock.stores[surface].load(
            data["collections"], replace=bool(data.get("replace", False))
        )
        return {"loaded": loaded, **health()}

    @route("/journal", ["GET"])
    def journal() -> Any:
        return {"entries": mock.journal.entries()}

    @route("/journal", ["DELETE"])
    def clear_journal() -> Any:
        mock.journal.clear()
        return flask.Response(status=204)


def _json_object() -> dict[str, Any]:
    data = flask.request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _check_collections(surfaces: dict[str, Any]) -> flask.Response | None:
    for name, collections in surfaces.items():
        if not isinstance(collections, dict) or not all(
            isinstance(records, list) and all(isinstance(r, dict) and "id" in r for r in records)
            for records in collections.values()
        ):
            return _problem(
                400, f"{name}: collections must map names to lists of records with an 'id'"
            )
    return None


def _problem(status: int, detail: str) -> flask.Response:
    response = flask.jsonify(
        {"type": "about:blank", "title": "Bad Request", "status": status, "detail": detail}
    )
    response.status_code = status
    response.content_type = "application/problem+json"
    return response
