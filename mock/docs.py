"""Pages for people: a landing page at ``/`` and at every surface prefix (surfaces, docs,
credentials, the admin API), and each mount's Swagger UI, opened pre-authorised with the demo
credentials so that "Try it out" on any list returns the demo data.

Swagger UI fills a parameter's field from its example; the specs give optional filters
examples (``q=onboarding``, ids of someone else's records) that would turn every first list
into ``"data": []``. So the UI reads its own copy of the spec (``<prefix>/ui/openapi.json``)
in which an optional parameter's example is said in its description instead, and a path
parameter naming the demo identity (``workspaceId``) shows the demo's value. The spec itself
(``<prefix>/openapi.json``) is served unchanged. Connexion still serves the UI's assets.
"""

from __future__ import annotations

import copy
import html
import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from understudy import __version__, specs
from understudy.mock import admin_access, demo

if TYPE_CHECKING:
    from understudy.mock.app import Mock, Mounted


class Docs:
    def __init__(self, app: ASGIApp, mock: Mock) -> None:
        self.app = app
        self.mock = mock
        self._ui_specs: dict[str, dict[str, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        response = self._page(Request(scope, receive))
        if response is None:
            await self.app(scope, receive, send)
        else:
            await response(scope, receive, send)

    def _page(self, request: Request) -> Response | None:
        path = request.url.path
        for mounted in self.mock.mounted:
            ui = mounted.prefix + "/ui"
            if path in (ui + "/", ui + "/index.html"):
                return HTMLResponse(self._swagger_ui(mounted, request, self._trusted(request)))
            if path == ui + "/openapi.json":
                return JSONResponse(self._ui_spec(mounted, request))
        prefixes = {m.prefix for m in self.mock.mounted}
        if path in ("/", "") or path.rstrip("/") in prefixes:
            if path.rstrip("/") in prefixes and self.mock.allowed_methods(path):
                return None  # a surface's own operation lives here (a root mount's "/")
            return HTMLResponse(landing(self.mock, _base(request), self._trusted(request)))
        return None

    def _trusted(self, request: Request) -> bool:
        """Whether the page may show the demo credentials: to whoever may read them from the
        admin API (loopback, or the admin token; not a page of another site)."""
        try:
            admin_access.check(
                "GET",
                {k.lower(): v for k, v in request.headers.items()},
                token=self.mock.admin_token,
                origins=self.mock.config.cors_origins,
            )
        except admin_access.Refused:
            return False
        return True

    # ------------------------------------------------------------ Swagger UI
    def _swagger_ui(self, mounted: Mounted, request: Request, trusted: bool) -> str:
        credentials = demo.credentials(self.mock, _base(request)).get(mounted.mount.surface, {})
        auth = preauthorization(mounted.spec, credentials) if trusted else {}
        title = html.escape(mounted.spec.get("info", {}).get("title", mounted.mount.name))
        return _SWAGGER_UI.format(title=title, auth=json.dumps(auth))

    def _ui_spec(self, mounted: Mounted, request: Request) -> dict[str, Any]:
        key = mounted.prefix
        if key not in self._ui_specs:
            credentials = demo.credentials(self.mock).get(mounted.mount.surface, {})
            self._ui_specs[key] = ui_spec(mounted.spec, credentials, self._demo_paths(mounted))
        return {**self._ui_specs[key], "servers": [{"url": mounted.prefix or "/"}]}

    def _demo_paths(self, mounted: Mounted) -> dict[str, dict[str, Any]]:
        return demo.path_values(self.mock, mounted)


def preauthorization(spec: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
    """Security scheme name → the demo value Swagger UI should hold for it."""
    headers = {k.lower(): v for k, v in (credentials.get("headers") or {}).items()}
    out = {}
    for name, scheme in spec.get("components", {}).get("securitySchemes", {}).items():
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
            if credentials.get("token"):
                out[name] = credentials["token"]
        elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            value = headers.get(scheme.get("name", "").lower())
            if value:
                out[name] = value
    return out


def ui_spec(
    spec: dict[str, Any],
    credentials: dict[str, Any],
    demo_paths: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The spec as Swagger UI should show it: optional parameters start empty (their examples
    move into the description), path parameters naming the demo identity (or scoping a list
    to a demo record) show its value."""
    shown = copy.deepcopy(spec)
    for path, item in shown.get("paths", {}).items():
        values = {**credentials, **(demo_paths or {}).get(path, {})}
        for key, operation in item.items():
            if key == "parameters":
                item[key] = [_ui_parameter(shown, p, values) for p in operation]
            elif key in specs.HTTP_METHODS and isinstance(operation, dict):
                operation["parameters"] = [
                    _ui_parameter(shown, p, values) for p in operation.get("parameters", ())
                ]
    return shown


def _ui_parameter(
    spec: dict[str, Any], parameter: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    param = copy.deepcopy(specs.resolve(spec, parameter))
    if param.get("in") == "path" and isinstance(values.get(param.get("name")), str):
        param.pop("examples", None)
        param["example"] = values[param["name"]]
        return param
    if param.get("required"):
        return param
    schema = copy.deepcopy(specs.resolve(spec, param.get("schema", {})))
    examples = [param.pop("example", None), schema.pop("example", None)]
    examples += [e.get("value") for e in (param.pop("examples", None) or {}).values()]
    shown = next((e for e in examples if e is not None), None)
    if shown is not None:
        text = json.dumps(shown) if not isinstance(shown, str) else shown
        param["description"] = (param.get("description", "") + f"\n\nExample: `{text}`").strip()
    if schema:
        param["schema"] = schema
    return param


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def landing(mock: Mock, base: str, trusted: bool = True) -> str:
    """What is served here and how to use it, for a person who opened the base URL (the
    demo credentials only for whom the admin API would give them)."""
    from understudy.mock.admin import ROUTES

    credentials = demo.credentials(mock, base)
    rows = []
    for surface, entry in credentials.items():
        mounts = [m for m in mock.mounted if m.mount.surface == surface]
        for mounted in sorted(mounts, key=lambda m: m.prefix):
            url = base + mounted.prefix
            title = mounted.spec.get("info", {}).get("title", mounted.mount.name)
            rows.append(
                f"<tr><td><b>{html.escape(mounted.mount.name)}</b><br>{html.escape(title)}</td>"
                f"<td><code>{html.escape(url)}</code></td>"
                f'<td><a href="{mounted.prefix}/ui/">Swagger UI</a> · '
                f'<a href="{mounted.prefix}/openapi.json">spec</a></td>'
                f"<td>{_credential_cell(entry) if trusted else _HIDDEN}</td></tr>"
            )
    admin = "".join(
        f"<li><code>{html.escape(route)}</code></li>"
        for route in sorted(ROUTES, key=lambda r: r.split(" ", 1)[::-1])
    )
    return _LANDING.format(
        version=__version__, base=html.escape(base), rows="".join(rows), admin=admin
    )


_HIDDEN = (
    "<code>GET /__understudy/credentials</code> with the admin token "
    "(<code>X-Understudy-Admin-Token</code>, printed at start)"
)


def _credential_cell(entry: dict[str, Any]) -> str:
    headers = entry.get("headers") or {}
    if not headers:
        return (
            "no demo user (started empty, or on another surface's fixture): "
            "load one with <code>understudy seed --mock</code>"
        )
    shown = "<br>".join(
        f"<code>{html.escape(k)}: {html.escape(v)}</code>" for k, v in headers.items()
    )
    who = ", ".join(
        f"{k} {html.escape(str(entry[k]))}"
        for k in ("tenant_id", "sub", "workspaceId", "userId")
        if entry.get(k)
    )
    return f"{shown}<br><small>{who}</small>"


_LANDING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Understudy {version}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em }}
table {{ border-collapse: collapse; width: 100% }}
td, th {{ border-bottom: 1px solid #ddd; padding: .5em; text-align: left; vertical-align: top }}
code {{ word-break: break-all; font-size: 13px }}
</style></head><body>
<h1>Understudy {version}</h1>
<p>A stateful mock of the APIs below, on <code>{base}</code>. What you write you can read back;
every request is checked against the spec.</p>
<table><tr><th>surface</th><th>base URL</th><th>docs</th><th>demo credentials</th></tr>
{rows}</table>
<h2>Admin API</h2>
<p>Plain JSON for scripts and end-to-end set-ups
(<a href="/__understudy/credentials">credentials</a>,
<a href="/__understudy/journal?limit=20">the last requests</a>):</p>
<ul>{admin}</ul>
</body></html>
"""

_SWAGGER_UI = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Understudy</title>
<link rel="stylesheet" type="text/css" href="./swagger-ui.css">
<link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
</head><body><div id="swagger-ui"></div>
<script src="./swagger-ui-bundle.js" charset="UTF-8"></script>
<script>
window.onload = function () {{
  const demo = {auth};  // security scheme -> the demo credential
  window.ui = SwaggerUIBundle({{
    url: "./openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    onComplete: function () {{
      for (const [scheme, value] of Object.entries(demo)) {{
        window.ui.preauthorizeApiKey(scheme, value);
      }}
      window.understudyReady = true;
    }},
  }});
}};
</script></body></html>
"""
