"""The app factory: every surface's specs mounted on one connexion app (AsyncApp by default).

Routing, parameter and body validation and authentication come from the specs (connexion);
each operation resolves to a view over the generic engine (``mock.engine``) by its
``x-understudy`` binding; errors from any layer leave in the surface's own shape.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import connexion
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolution, Resolver
from connexion.security import NO_VALUE, ApiKeySecurityHandler, BearerSecurityHandler
from python_multipart.exceptions import MultipartParseError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware.cors import CORSMiddleware

from understudy import binding, specs, userspecs
from understudy.mock import (
    admin_access,
    admin_records,
    auth,
    behaviour,
    documented,
    errors,
    oas30,
    request_path,
    response_validation,
    spec_loading,
    strict_json,
)
from understudy.mock.access import AccessLog
from understudy.mock.admin import Admin
from understudy.mock.aliases import Aliases
from understudy.mock.config import Config
from understudy.mock.docs import Docs
from understudy.mock.engine import Call, Caller, Engine
from understudy.mock.guard import Guard, Journal
from understudy.mock.limits import (
    SESSION_HEADER,
    Limiter,
    configured,
    parse_option,
    windows_for,
)
from understudy.mock.outbound import Outbound, Schedule
from understudy.mock.routes import RouteIndex
from understudy.mock.sessions import Sessions, SessionScope
from understudy.mock.store import Store, open_backend
from understudy.mock.validators import validator_map

log = logging.getLogger("understudy.mock")
# connexion logs an ERROR for every query parameter an operation does not declare; a surface
# that declares it ignores them (leniency unknown_query) gets there on purpose
logging.getLogger("connexion.decorators.parameter").addFilter(
    lambda record: "not defined in specification" not in record.getMessage()
)

JSON = "application/json"


@dataclass
class Mounted:
    """One mount of one surface, as served."""

    mount: specs.Mount
    prefix: str
    spec: dict[str, Any]
    surface: binding.Surface
    engine: Engine
    routes: RouteIndex  # the methods each path allows
    asynchronous: bool = False

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/") or not self.prefix


class Mock:
    """The running mock: the connexion app, its stores and what an admin needs."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        request_path.install()
        response_validation.install()
        self.backend = open_backend(self.config.store)
        self.stores: dict[str, Store] = {}
        self.limiters: dict[str, Limiter] = {}  # per surface that declares a rate limit
        self.windows = windows_for(self.backend)  # the rate limits' counters
        self.outbound = Outbound(  # webhook deliveries
            self.config.webhook_allow,
            Schedule(self.config.webhook_attempts, self.config.webhook_retry_delay),
        )
        self.mounted: list[Mounted] = []
        self.aliases: list[tuple[str, str]] = []  # (alias, the prefix it stands for)
        self._alias_mounts: dict[str, Mounted] = {}  # alias → its mount (for error shapes)
        self.journal = Journal(self.config.journal_size)
        self.admin_token = admin_access.admin_token(self.config.host, self.config.admin_token)
        self.records = admin_records.Checker(self)
        self.access_log = AccessLog(self.config.log_format, quiet=self.config.quiet)
        app_class = {"flask": connexion.FlaskApp, "async": connexion.AsyncApp}.get(self.config.app)
        if app_class is None:
            raise specs.SpecError(f"app must be 'flask' or 'async', not {self.config.app!r}")
        self.app = app_class(__name__)
        available = specs.surfaces()
        # a team's own specs are served instead of the built-in surfaces, unless --surface
        chosen = self.config.surfaces or (() if self.config.specs else tuple(available))
        unknown = [s for s in chosen if s not in available]
        if unknown:
            raise specs.SpecError(
                f"unknown surface(s) {', '.join(unknown)}; known: {', '.join(available)}"
            )
        if self.config.root_surface and self.config.root_surface not in chosen:
            raise specs.SpecError(f"--root-surface {self.config.root_surface} is not served")
        if self.config.rate_limit is not None:
            try:
                parse_option(self.config.rate_limit)
            except ValueError as refused:
                raise specs.SpecError(str(refused)) from None
        if self.config.webhook_attempts < 1 or not self.config.webhook_retry_delay >= 0:
            raise specs.SpecError(
                "--webhook-attempts must be at least 1 and --webhook-retry-delay at least 0"
            )
        for name in chosen:
            for mount in available[name]:
                self._add(mount)
        self.user_specs = userspecs.load_all(
            self.config.specs, self.config.prefixes, frozenset(self.stores)
        )
        for user in self.user_specs:
            from understudy.fixtures import instances  # Faker: only for a team's own spec

            try:
                self._add(user.mount, oas30.served(instances.complete(user.spec)))
            except Exception as refused:  # what connexion refuses in a user's spec: one line
                message = str(getattr(refused, "message", refused)).splitlines()[0]
                raise specs.SpecError(f"{user.source} cannot be served: {message}") from None
        # longest prefix first, so /clockify/reports wins over a root mount
        self.mounted.sort(key=lambda m: len(m.prefix), reverse=True)
        self.aliases.sort(key=lambda pair: len(pair[0]), reverse=True)
        for exc in (ProblemException, HTTPException, Exception):
            self.app.add_error_handler(exc, self._on_error)
        # Each lands just outside connexion's exception layer, the later one inside the
        # earlier: CORS outermost, so that every answer (the guard's too) carries its headers.
        origins = list(self.config.cors_origins)
        self.app.add_middleware(
            CORSMiddleware,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            allow_origins=origins,
            # withCredentials needs the origin named, never "*" (Fetch standard)
            allow_credentials="*" not in origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=self.sent_headers(),
            max_age=600,
        )
        self.sessions = Sessions(self)
        self.app.add_middleware(
            SessionScope, position=MiddlewarePosition.BEFORE_EXCEPTION, mock=self
        )
        self.app.add_middleware(Admin, position=MiddlewarePosition.BEFORE_EXCEPTION, mock=self)
        self.app.add_middleware(Aliases, position=MiddlewarePosition.BEFORE_EXCEPTION, mock=self)
        self.app.add_middleware(Docs, position=MiddlewarePosition.BEFORE_EXCEPTION, mock=self)
        self.app.add_middleware(Guard, position=MiddlewarePosition.BEFORE_EXCEPTION, mock=self)

    # ---------------------------------------------------------------- mounting
    def _add(self, mount: specs.Mount, spec: dict[str, Any] | None = None) -> None:
        spec = specs.bundle(mount) if spec is None else copy.deepcopy(spec)
        surface = binding.read_surface(mount.surface, spec)
        if mount.surface not in self.stores:
            self.stores[mount.surface] = self.backend.store(mount.surface, _scope_field(surface))
        engine = Engine(
            surface,
            self.stores[mount.surface],
            behaviour=behaviour.load(mount.behaviour, mount.surface),
            outbound=self.outbound,
        )
        rule = configured(surface.rate_limit, self.config.rate_limit)
        if rule and mount.surface not in self.limiters:  # one count over all of its mounts
            self.limiters[mount.surface] = Limiter(rule, self.windows)
        prefix, aliases = mount.prefix, mount.aliases
        if self.config.root_surface == mount.surface:  # /edm → "", /clockify/api → /api
            prefix = mount.prefix.removeprefix("/" + mount.surface)
            aliases = tuple(a.removeprefix("/" + mount.surface) for a in aliases)
        self.aliases += [(alias, prefix) for alias in aliases]
        routes = RouteIndex(
            (prefix + path, frozenset(m.upper() for m in item if m in specs.HTTP_METHODS))
            for path, item in spec["paths"].items()
        )
        asynchronous = isinstance(self.app, connexion.AsyncApp)
        mounted = Mounted(mount, prefix, spec, surface, engine, routes, asynchronous)
        self.mounted.append(mounted)
        self._alias_mounts.update(dict.fromkeys(aliases, mounted))
        spec.pop("servers", None)  # the mount's base path is the server
        spec_loading.add_api(
            self.app,
            spec,
            base_path=prefix or None,
            name=mount.name,
            resolver=_EngineResolver(mounted),
            security_map=_security_map(
                self.config, surface, self.stores[mount.surface], self.limiters.get(mount.surface)
            ),
            validator_map=validator_map(surface.leniency),
            # undeclared query parameters are a 400 unless the real service ignores them (or
            # the spec is a team's own: most services ignore them)
            strict_validation=surface.leniency.get("unknown_query") != "ignore"
            and surface.auth.get("type") != "demo",
            validate_responses=self.config.validate_responses,
            swagger_ui_options=SwaggerUIOptions(swagger_ui=True),
        )

    def sent_headers(self) -> list[str]:
        """Every header a page may need to read from an answer: those the specs document
        and those the mock adds on its own."""
        names = {"Allow", "Content-Disposition", "Location", "Retry-After", "X-Understudy-Latency"}
        for mounted in self.mounted:
            total = mounted.surface.listing.get("total_header")
            names.update([total] if total else [])
            for _, _, op in specs.operations(mounted.spec):
                for answer in op.get("responses", {}).values():
                    names.update(specs.resolve(mounted.spec, answer).get("headers", {}))
        return sorted(names)

    def mount_for(self, path: str) -> Mounted | None:
        return next((m for m in self.mounted if m.matches(path)), None)

    def surface_for(self, path: str) -> Mounted | None:
        """The mount whose prefix or alias ``path`` is under (an alias answers even where
        it has no operation: its errors still come in the surface's shape)."""
        found = self.mount_for(path)
        for alias, _ in self.aliases:
            if path.startswith(alias + "/") and (found is None or len(found.prefix) < len(alias)):
                return self._alias_mounts[alias]
        return found

    def allowed_methods(self, path: str) -> frozenset[str]:
        """The methods of the path item a request path matches; empty when none does.

        As OpenAPI matches paths, a concrete path wins over a templated one: PUT on
        ``/expenses/categories`` is a 405 there, not a PUT of expense "categories".
        """
        mounted = self.mount_for(path)
        return mounted.routes.allowed(path) if mounted else frozenset()

    # ---------------------------------------------------------------- errors
    def error_response(
        self,
        path: str,
        status: int,
        detail: str,
        errors_: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, str, dict[str, str]]:
        mounted = self.surface_for(path)
        style = mounted.surface.errors if mounted else binding.ErrorShape()
        body, content_type = errors.render(style, status, detail, path, errors_)
        headers = dict(headers or {})
        if status == 405:
            headers["Allow"] = ", ".join(sorted(self.allowed_methods(path)))
        return body, content_type, headers

    def refusal_status(self, method: str, path: str, status: int) -> int:
        """For a team's own spec, invalid input is refused with a status the operation
        documents (``mock.documented``); the built-in surfaces answer as they declare."""
        mounted = self.mount_for(path)
        if mounted and mounted.surface.auth.get("type") == "demo" and status in (400, 415, 422):
            return documented.status(mounted.spec, mounted.prefix, method, path, status)
        return status

    def _on_error(self, request: Any, exc: Exception) -> ConnexionResponse:
        if isinstance(exc, errors.ApiError):  # raised by the mock's security functions
            status, detail, headers = exc.status, exc.detail, dict(exc.headers)
        elif isinstance(exc, ProblemException):
            status, detail, headers = (
                exc.status,
                str(exc.detail or exc.title or ""),
                dict(exc.headers or {}),
            )
        elif isinstance(exc, HTTPException):  # routing: no such path, or no such method
            status, headers = exc.status_code, dict(exc.headers or {})
            detail = {
                404: f"No operation at {request.url.path}",
                405: f"{request.method} is not allowed on {request.url.path}",
            }.get(status, str(exc.detail))
        elif isinstance(exc, ValueError) and "integer string conversion" in str(exc):
            # starlette's int path convertor on a number past Python's 4,300 digits
            status, detail, headers = 400, "A number in the path is too long", {}
        elif isinstance(exc, MultipartParseError | MultiPartException):  # a malformed form
            status, detail, headers = 400, f"The multipart body cannot be read: {exc}", {}
        else:  # a bug in the mock: still a shaped answer, the journal and the log show it
            log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
            status, detail, headers = 500, f"The mock failed: {type(exc).__name__}: {exc}", {}
        status = self.refusal_status(request.method, request.url.path, status)
        body, content_type, headers = self.error_response(
            request.url.path, status, detail, None, headers
        )
        headers.pop("Content-Type", None)
        return ConnexionResponse(
            status_code=status,
            body=body,
            mimetype=content_type,
            headers=headers,
        )

    # ---------------------------------------------------------------- state
    def reset(self, *, demo: bool | None = None) -> None:
        """Empty the stores (of the current session) and load the demo tenant again."""
        from understudy.mock import demo as demo_data

        with self._exclusive():
            for store in self.stores.values():
                store.load({}, replace=True)
            self.windows.clear()
            self.outbound.close()  # deliveries and retries under way belong to the old state
            if self.config.demo if demo is None else demo:
                demo_data.load(self)

    def start(self) -> None:
        """Load the demo tenant into an empty store only: a durable one keeps what it holds."""
        from understudy.mock import demo as demo_data

        with self._exclusive():
            if self.config.demo and not any(store.count() for store in self.stores.values()):
                demo_data.load(self)

    def _exclusive(self) -> Any:
        """One transaction over every surface's store: they share the backend's partition lock."""
        first = next(iter(self.stores.values()), None)
        return first.transaction() if first is not None else contextlib.nullcontext()

    def close(self) -> None:
        self.backend.close()

    def credentials(self) -> dict[str, Any]:
        from understudy.mock import demo as demo_data

        return demo_data.credentials(self)


class _EngineResolver(Resolver):
    """Resolve every operation of a mount to a view over its engine."""

    def __init__(self, mounted: Mounted) -> None:
        super().__init__()
        self.mounted = mounted
        # each of connexion's middlewares resolves every operation again: build a view once
        self.resolved: dict[str, Resolution] = {}

    def resolve(self, operation: Any) -> Resolution:
        raw = operation._operation  # the Operation is half-built here: read the raw dict
        if raw["operationId"] in self.resolved:
            return self.resolved[raw["operationId"]]
        bound = self.mounted.surface.bindings[raw["operationId"]]
        params = _parameters(self.mounted.spec, raw, operation.path)
        view = _view(self.mounted, bound, params)
        resolution = Resolution(view, f"{self.mounted.mount.name}.{bound.operation_id}")
        self.resolved[raw["operationId"]] = resolution
        return resolution


def _upload(file: Any) -> dict[str, Any]:
    """An uploaded file as handlers see it (Flask's FileStorage or Starlette's UploadFile,
    whose ``file`` is read synchronously); the body limit bounds ``content``."""
    content = (getattr(file, "file", None) or file).read()
    content_type = getattr(file, "content_type", None) or getattr(file, "mimetype", None)
    return {
        "filename": file.filename,
        "contentType": content_type,
        "size": len(content),
        "content": content,
    }


@dataclass(frozen=True)
class _Parameters:
    by_kwarg: dict[str, str]  # connexion's sanitised name (`page-size` → `pagesize`) → spec name
    headers: tuple[str, ...]  # header parameters: validated by connexion, not passed to views


def _parameters(spec: dict[str, Any], raw: dict[str, Any], path: str) -> _Parameters:
    from connexion.decorators.parameter import sanitized

    path_item = spec["paths"].get(path, {})
    declared = [
        specs.resolve(spec, p)
        for p in (*raw.get("parameters", ()), *path_item.get("parameters", ()))
    ]
    by_kwarg = {sanitized(p["name"]): p["name"] for p in declared if p["in"] != "header"}
    by_kwarg.update({sanitized(name): name for name in re.findall(r"{([^}]+)}", path)})
    headers = tuple(p["name"] for p in declared if p["in"] == "header")
    return _Parameters(by_kwarg, headers)


def _view(mounted: Mounted, bound: binding.Binding, declared: _Parameters) -> Callable[..., Any]:
    engine = mounted.engine

    def view(**kwargs: Any) -> ConnexionResponse:
        token_info = kwargs.get("token_info") or {}
        caller = token_info.get("caller") or Caller()
        params = {declared.by_kwarg[k]: v for k, v in kwargs.items() if k in declared.by_kwarg}
        for name in declared.headers:
            if name in connexion.request.headers:
                params[name] = connexion.request.headers[name]
        body = kwargs.get("body")
        # multipart: connexion passes the form fields as `body`, each file by its field name
        files = {k: _upload(v) for k, v in kwargs.items() if hasattr(v, "filename")}
        if files:
            body = {**(body or {}), **files}
        call = Call(bound, params, body, caller)
        try:
            if isinstance(body, bytes | str):  # no Content-Type: connexion passed it unread
                if body:
                    raise errors.UnsupportedMedia("A request body needs Content-Type: " + JSON)
                call.body = None
            try:
                reply = engine.handle(call)
            except strict_json.NotJSON as exc:  # refused by the store; its transaction undone
                raise errors.BadRequest(f"The request cannot be stored: {exc}") from None
        except errors.ApiError as exc:
            status = exc.status
            if mounted.surface.auth.get("type") == "demo" and status in (400, 415, 422):
                status = documented.status(
                    mounted.spec, "", bound.method, bound.path, status
                )  # a team's own spec: a status the operation documents (mock.documented)
            body, content_type = errors.render(
                mounted.surface.errors,
                status,
                exc.detail,
                connexion.request.url.path,
                exc.errors,
            )
            return ConnexionResponse(
                status, content_type=content_type, body=body, headers=exc.headers
            )
        if reply.body is None and reply.status == 204:
            return _no_content(mounted, reply.headers)
        if isinstance(reply.body, bytes):  # a file (a PDF, a receipt): the handler names its type
            headers = dict(reply.headers)
            media = headers.pop("Content-Type", "application/octet-stream")
            return ConnexionResponse(
                reply.status, content_type=media, body=reply.body, headers=headers
            )
        # bytes here, so that an answer that cannot be encoded fails inside the view (a logged
        # 500 in the surface's shape), never half-way through sending
        body = json.dumps(
            reply.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
        return ConnexionResponse(reply.status, content_type=JSON, body=body, headers=reply.headers)

    if mounted.asynchronous:
        # the engine only touches memory: run it on the event loop, not in a worker thread
        async def async_view(**kwargs: Any) -> ConnexionResponse:
            return view(**kwargs)

        async_view.__name__ = bound.operation_id
        return async_view
    view.__name__ = bound.operation_id
    return view


def _no_content(mounted: Mounted, headers: dict[str, str]) -> Any:
    if mounted.asynchronous:
        return ConnexionResponse(204, headers=headers)
    import flask  # Flask gives every response a type; a 204 must have none (connexion checks)

    response = flask.Response(status=204, headers=headers)
    del response.headers["Content-Type"]
    return response


def _security_map(
    config: Config, surface: binding.Surface, store: Store, limiter: Limiter | None
) -> dict[str, type]:
    """Security handlers bound to this mock's configuration and this surface's claims; a
    request counts against the surface's rate limit once its credential is valid."""
    if surface.auth.get("type") == "jwt":

        def verify(token: str) -> dict[str, Any]:
            claims = auth.decode(token, config.secret, verify_signature=config.verify_signatures)
            return {
                "caller": auth.caller_from_claims(claims, surface.auth),
                "sub": claims.get("sub"),
            }

        class Bearer(BearerSecurityHandler):
            def _resolve_func(self, scheme: Any) -> Any:
                return verify

            def _get_verify_func(self, fn: Any) -> Any:
                # connexion's generic wrapper inspects the function's signature on every
                # request; this one takes the token and nothing else
                def check(request: Any) -> Any:
                    kind, token = self.get_auth_header_value(request)
                    if kind != "bearer":
                        return NO_VALUE
                    info = fn(token)
                    if limiter:
                        limiter.check(
                            "Authorization", token, request.path_params, _session(request)
                        )
                    return info

                return check

        return {"bearer": Bearer}
    if surface.auth.get("type") == "demo":  # a user's spec: the published demo credential
        from understudy.mock import demoauth

        return demoauth.security_map(config.secret)
    if surface.auth.get("type") == "api_key":
        keys = surface.auth.get("collection", "api_keys")

        def verify_key(key: str, header: str) -> dict[str, Any]:
            """An API key is a record of the surface's key collection, naming its user."""
            record = store.get(keys, key)
            if record is None or record.get("header", header).lower() != header.lower():
                raise errors.Unauthorized(f"The {header} is not valid")
            caller = Caller(
                tenant=record.get(surface.auth.get("tenant", "")),
                actor=record.get(surface.auth.get("caller", "userId")),
                claims=dict(record),
            )
            return {"caller": caller, "sub": caller.actor}

        # every key header of the surface's schemes: a request that presents an invalid one is
        # refused even when another scheme's key is valid (connexion alone would accept it)
        key_headers: set[str] = set()

        class ApiKey(ApiKeySecurityHandler):
            def _resolve_func(self, scheme: Any) -> Any:
                return verify_key

            def _get_verify_func(self, fn: Any, loc: str, name: str, scopes: Any) -> Any:
                if loc == "header":
                    key_headers.add(name)

                def check(request: Any) -> Any:
                    for header in key_headers:
                        presented = request.headers.get(header)
                        if presented is not None and header != name:
                            fn(presented, header)
                    source = request.headers if loc == "header" else request.query_params
                    key = source.get(name)
                    if key is None:
                        return NO_VALUE
                    info = fn(key, name)
                    if limiter:
                        limiter.check(name, key, request.path_params, _session(request))
                    return info

                return check

        return {"apiKey": ApiKey}
    return {}


def _session(request: Any) -> str:
    """The session a request names: sessions count against rate limits apart."""
    return str(request.headers.get(SESSION_HEADER, ""))


def _scope_field(surface: binding.Surface) -> str | None:
    """The field a durable store indexes: the surface's scope (``tenant_id``), else the scope
    most of its paths name (Clockify's ``workspaceId``)."""
    if surface.scope:
        return next(iter(surface.scope))
    named = Counter(next(iter(b.scope_params), None) for b in surface.bindings.values())
    named.pop(None, None)
    return named.most_common(1)[0][0] if named else None


def create_app(config: Config | None = None) -> Mock:
    mock = Mock(config)
    mock.start()
    return mock


def worker_app() -> Any:
    """One of ``--workers N`` processes (uvicorn imports this): the configuration comes from
    the environment, the store was prepared by the parent."""
    return Mock(Config.from_env()).app
