"""Credentials: minting and checking the bearer JWTs of the EDM and tracker surfaces.

By default tokens are HS256 with a development secret (``UNDERSTUDY_SECRET``). With
``verify_signatures`` off, any well-formed JWT is accepted on its claims alone, so a frontend
can keep the tokens its real identity provider issues.
"""

from __future__ import annotations

import collections
import threading
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


class TokenCache:
    """Decoded tokens by (token, secret, verify), least recently used dropped first, bounded
    by the bytes it holds: a client sends the same token again and again, but a flood of
    distinct large tokens must not grow the process (a count bound alone let 300 tokens of
    600 kB keep 350 MB)."""

    def __init__(self, max_bytes: int = 4 * 1024 * 1024, max_token: int = 16 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_token = max_token  # a larger token is checked every time, never kept
        self.bytes = 0
        self._entries: collections.OrderedDict[tuple[str, str, bool], tuple[Any, int]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, token: str, secret: str, verify: bool) -> Any:
        key = (token, secret, verify)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0]
        value: Any
        try:
            value = _check(token, secret, verify)
        except Unauthorized as refusal:
            value = refusal
        # the token is kept twice (key and payload) plus the decoded claims, about its size
        cost = 3 * len(token) + len(secret) + 200
        if len(token) <= self.max_token:
            with self._lock:
                if key not in self._entries:
                    self._entries[key] = (value, cost)
                    self.bytes += cost
                while self.bytes > self.max_bytes:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self.bytes -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0


TOKENS = TokenCache()


def _decode(token: str, secret: str, verify_signature: bool) -> dict[str, Any]:
    value = TOKENS.get(token, secret, verify_signature)
    if isinstance(value, Unauthorized):
        raise Unauthorized(value.detail)
    return value


def _check(token: str, secret: str, verify_signature: bool) -> dict[str, Any]:
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
    if app is not None and not isinstance(app, str):
        # read as "no app" it would widen an app token to the whole tenant
        raise Unauthorized(f"The token's {auth['app']!r} claim must be a string")
    return Caller(tenant=tenant, actor=actor, app=app, claims=dict(claims))
