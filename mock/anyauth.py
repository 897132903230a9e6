"""Security for a user's spec that declares no ``x-understudy`` auth: whatever credentials
its security schemes ask for must be there, and any value is accepted.

A request without them is a 401 (as the real service would answer), one with them is let
through: the mock cannot know the team's real keys or tokens. There are no tenants.
"""

from __future__ import annotations

from typing import Any

from connexion.security import (
    ApiKeySecurityHandler,
    BasicSecurityHandler,
    BearerSecurityHandler,
    OAuthSecurityHandler,
)


def _anyone(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return {"sub": "anyone"}


class _Bearer(BearerSecurityHandler):
    def _resolve_func(self, scheme: Any) -> Any:
        return _anyone


class _Basic(BasicSecurityHandler):
    def _resolve_func(self, scheme: Any) -> Any:
        return _anyone


class _ApiKey(ApiKeySecurityHandler):
    def _resolve_func(self, scheme: Any) -> Any:
        return _anyone


class _OAuth(OAuthSecurityHandler):
    """A bearer token with any scopes: the mock grants what the operation asks for."""

    def get_tokeninfo_func(self, security_definition: dict[str, Any]) -> Any:
        return _anyone

    @classmethod
    def get_scope_validate_func(cls, security_definition: dict[str, Any]) -> Any:
        return lambda required, granted: True


SECURITY_MAP: dict[str, type] = {
    "bearer": _Bearer,
    "basic": _Basic,
    "apiKey": _ApiKey,
    "oauth2": _OAuth,
    "openIdConnect": _OAuth,  # a bearer token, as for OAuth 2
}
