"""Credentials: minting and checking the bearer JWTs of the EDM and tracker surfaces.

By default tokens are HS256 with a development secret (``UNDERSTUDY_SECRET``). With
``verify_signatures`` off, any well-formed JWT is accepted on its claims alone, so a frontend
can keep the tokens its real identity provider issues.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any

import jwt

from understudy.mock.engine import Caller
from understudy.mock.errors import Unauthorized

DEV_SECRET = "understudy-dev-secret-change-me-0123456789"  # >= 32 bytes, as HS256 wants
ALGORITHM = "HS256"
DAY = 24 * 3600


def mint(secret: str, claims: Mapping[str, Any], *, ttl: int | None = 30 * DAY) -> str:
    """A signed token; ``ttl=None`` gives one without ``iat``/``exp``, the same bytes every
    time, which a frontend can keep in its configuration across restarts of the mock."""
    payload = {k: v for k, v in claims.items() if v is not None}
    if ttl is not None:
        now = int(time.time())
        payload = {"iat": now, "exp": now + ttl, **payload}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode(token: str, secret: str, *, verify_signature: bool = True) -> dict[str, Any]:
    claims = _decode(token, secret, verify_signature)
    expiry = claims.get("exp")
    if isinstance(expiry, int | float) and expiry < time.time():
        raise Unauthorized("The token has expired")
    return dict(claims)


@functools.lru_cache(maxsize=4096)  # a client sends the same token again and again
def _decode(token: str, secret: str, verify_signature: bool) -> dict[str, Any]:
    try:
        if not verify_signature:
            return jwt.decode(token, options={"verify_signature": False, "verify_exp": True})
        return jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"The token is not valid: {exc}") from None


def caller_from_claims(claims: Mapping[str, Any], auth: Mapping[str, Any]) -> Caller:
    """Map a token's claims to a Caller by the surface's ``auth`` declaration."""
    tenant = claims.get(auth.get("tenant", "tenant_id"))
    actor = claims.get(auth.get("caller", "sub"))
    missing = [name for name, value in (("tenant", tenant), ("caller", actor)) if not value]
    if missing:
        names = ", ".join(repr(auth.get(m, m)) for m in missing)
        raise Unauthorized(f"The token has no {names} claim")
    if not isinstance(tenant, str) or not isinstance(actor, str):
        raise Unauthorized("The token's tenant and subject claims must be strings")
    app = claims.get(auth["app"]) if auth.get("app") else None
    return Caller(
        tenant=tenant, actor=actor, app=app if isinstance(app, str) else None, claims=dict(claims)
    )
