"""Who may call the admin API: the developer running the mock, not a web page they visit.

The admin API can read the demo credentials and wipe every surface, so a browser tab on
another site must not be able to reach it through the developer's machine:

* **Host** must be a loopback name or address (``localhost``, ``127.0.0.1``, ``[::1]``):
  a DNS-rebinding page reaches the mock under its own host name, and is refused.
* **Origin**, when a browser sends one, must be the mock's own origin, a loopback origin (a
  frontend dev server) or one of the configured ``--cors-origin`` values.
* **Writes** may not look like an HTML form: a body typed ``text/plain``, form-urlencoded or
  multipart needs no CORS preflight, so it is refused unless the request carries
  ``X-Understudy-Admin`` (which no form can set). ``curl -X POST`` without a body, and any
  ``application/json`` body, work as before.
* Bound to a non-loopback address the mock has an **admin token** (``--admin-token``, or one
  generated and printed at start); then every admin request must carry it in
  ``X-Understudy-Admin-Token``, whatever its Host.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

ADMIN_HEADER = "x-understudy-admin"
TOKEN_HEADER = "x-understudy-admin-token"
# what an HTML form (or a no-cors fetch) can send without a preflight (Fetch standard)
_SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def is_loopback(host: str) -> bool:
    """Whether a host name or address (no port) is this machine's loopback."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(authority: str) -> str:
    """``example.test:8080`` → ``example.test``; ``[::1]:8080`` → ``::1``."""
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else authority
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def admin_token(host: str, configured: str | None) -> str | None:
    """The token admin requests must carry: the configured one, else a fresh one when the
    mock listens beyond loopback (printed at start), else none."""
    if configured:
        return configured
    return None if is_loopback(host) else secrets.token_urlsafe(24)


def check(
    method: str,
    headers: Mapping[str, str],
    *,
    token: str | None,
    origins: Iterable[str],
) -> None:
    """Raise ``Refused`` unless this admin request comes from the developer (see above).

    ``headers`` are the request's, lower-cased names; ``origins`` the configured CORS origins.
    """
    host = headers.get("host", "")
    if token is not None:
        presented = headers.get(TOKEN_HEADER, "")
        if not secrets.compare_digest(presented.encode(), token.encode()):
            raise Refused(401, f"The admin API needs the admin token in {TOKEN_HEADER}")
    elif not is_loopback(host_name(host)):
        raise Refused(
            403,
            f"The admin API answers only on a loopback address, not Host {host!r} "
            "(listening beyond loopback, it takes the admin token printed at start)",
        )
    origin = headers.get("origin")
    if origin is not None and not _allowed_origin(origin, host, origins):
        raise Refused(403, f"The admin API does not answer pages from {origin}")
    if method not in _SAFE_METHODS and ADMIN_HEADER not in headers:
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media in _SIMPLE_TYPES:
            raise Refused(
                415,
                f"An admin write takes an application/json body (or the {ADMIN_HEADER} "
                f"header), not {media}",
            )


def _allowed_origin(origin: str, host: str, configured: Iterable[str]) -> bool:
    if origin in configured:  # "*" is never equal to an origin: only explicit ones count
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (sandboxed frames, file://) and the like
    return parts.netloc == host or is_loopback(parts.hostname or "")
