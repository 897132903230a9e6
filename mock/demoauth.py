"""Security for a user's spec that declares no ``x-understudy`` auth (``auth: {type: demo}``):
the mock publishes one demo credential and accepts exactly that, in whatever form each of
the spec's security schemes asks for (a bearer token, an API key, basic auth's password).

Missing or wrong credentials are a 401, as the real service answers; the credential is
printed at start and served by ``GET /__understudy/credentials``. There are no tenants.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from connexion.security import (
    ApiKeySecurityHandler,
    BasicSecurityHandler,
    BearerSecurityHandler,
    OAuthSecurityHandler,
)

USER = "demo"  # basic auth's user name


def credential(secret: str) -> str:
    """The demo credential: stable for a given secret, so scripts can keep it."""
    return "understudy-" + hashlib.sha256(f"demo:{secret}".encode()).hexdigest()[:24]


def headers(spec: dict[str, Any], secret: str) -> dict[str, str]:
    """Request headers that satisfy every header-borne security scheme of ``spec``."""
    value = credential(secret)
    out: dict[str, str] = {}
    for scheme in spec.get("components", {}).get("securitySchemes", {}).values():
        kind = scheme.get("type")
        if kind == "apiKey" and scheme.get("in") == "header":
            out[scheme["name"]] = value
        elif kind == "http" and scheme.get("scheme", "").lower() == "basic":
            pair = base64.b64encode(f"{USER}:{value}".encode()).decode()
            out.setdefault("Authorization", f"Basic {pair}")
        elif kind in ("http", "oauth2", "openIdConnect"):
            out["Authorization"] = f"Bearer {value}"  # a bearer token wins over basic
    return out


def security_map(secret: str) -> dict[str, type]:
    expected = credential(secret)

    def token_info(token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        return {"sub": USER, "scope": []} if token == expected else None

    def basic_info(user: str, password: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        return {"sub": user} if (user, password) == (USER, expected) else None

    class Bearer(BearerSecurityHandler):
        def _resolve_func(self, scheme: Any) -> Any:
            return token_info

    class Basic(BasicSecurityHandler):
        def _resolve_func(self, scheme: Any) -> Any:
            return basic_info

    class ApiKey(ApiKeySecurityHandler):
        def _resolve_func(self, scheme: Any) -> Any:
            return token_info

    class OAuth(OAuthSecurityHandler):
        """The demo credential as a bearer token, granted whatever scopes are asked for."""

        def get_tokeninfo_func(self, security_definition: dict[str, Any]) -> Any:
            return token_info

        @classmethod
        def get_scope_validate_func(cls, security_definition: dict[str, Any]) -> Any:
            return lambda required, granted: True

    return {
        "bearer": Bearer,
        "basic": Basic,
        "apiKey": ApiKey,
        "oauth2": OAuth,
        "openIdConnect": OAuth,
    }
