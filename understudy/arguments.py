"""Values given on the command line (and to the pytest plugin), parsed once for every
command: ``Name: value`` headers and ``name=value`` parameters. Bad input is a ValueError
whose message names the pair and the expected form."""

from __future__ import annotations

import secrets


def parse_headers(pairs: list[str], token: str | None = None) -> dict[str, str]:
    """``['Name: value', ...]`` and an optional bearer token, as request headers."""
    headers = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header {pair!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``['name=value', ...]`` as fixed parameter values."""
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"param {pair!r}: expected NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


SESSION_HEADER = "X-Understudy-Session"


def session_headers(name: str | None) -> dict[str, str]:
    """``--session NAME``: the header that puts a run in its own session of an understudy
    mock (a real implementation ignores it); ``new`` names a fresh one, so that this run sees
    no other run's writes."""
    if not name:
        return {}
    if name == "new":
        name = f"run-{secrets.token_hex(6)}"
    return {SESSION_HEADER: name}
