"""Other documented base paths of a mount, served as the mount itself.

Clockify documents several hosts for one API (clockify-api-v1.txt, API URLs): the global
reports host serves ``/v1/...`` at its root, regional, subdomain and developer hosts serve
the same reports under ``/report/v1/...``. ``openapi/surfaces.yaml`` lists such paths as a
mount's ``aliases``; a request under one is rewritten to the mount's prefix before anything
else sees it, so a client configured for any documented form changes only its host.

Every request also tells ``mock.outbound`` which address the mock answers on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from understudy.mock.app import Mock


class Aliases:
    def __init__(self, app: ASGIApp, mock: Mock) -> None:
        self.app = app
        self.mock = mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # where the mock answers: webhooks must never be aimed back at it
            self.mock.outbound.listening(scope.get("server"))
        if scope["type"] == "http" and self.mock.aliases:
            served = canonical(self.mock, scope["path"])
            if served is not None:
                alias, prefix, path = served
                scope = {**scope, "path": path}
                raw = scope.get("raw_path")
                if raw is not None:  # keep the client's escaping past the prefix
                    scope["raw_path"] = (
                        prefix.encode() + raw[len(alias) :]
                        if raw.startswith(alias.encode())
                        else path.encode()
                    )
        await self.app(scope, receive, send)


def canonical(mock: Mock, path: str) -> tuple[str, str, str] | None:
    """(alias, prefix, path under the prefix) when ``path`` is under an alias, no mount
    with a longer prefix serves it, and the mount has an operation there."""
    for alias, prefix in mock.aliases:  # longest first
        if not path.startswith(alias + "/"):
            continue
        mounted = mock.mount_for(path)
        if mounted is not None and len(mounted.prefix) >= len(alias):
            return None
        rewritten = prefix + path[len(alias) :]
        return (alias, prefix, rewritten) if mock.allowed_methods(rewritten) else None
    return None
