"""HTTP for the semantic checks: one client per identity, every exchange reproducible.

A ``Probe`` sends requests as one identity (tenant A, or the other tenant B) and keeps the
last exchanges as ``curl`` commands, with the credentials replaced by ``$UNDERSTUDY_AUTH_A``
/ ``_B`` so a report can be pasted into a shell (export the variables first) and never leaks
a secret.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

import httpx

from understudy.contracts import credentials
from understudy.contracts.outcome import Counter, reached


class Probe:
    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        name: str,
        counter: Counter,
        trail: list[str],
        timeout: float = 30.0,
        pace: Callable[[], None] | None = None,  # waits before each request (a rate limit)
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.name = name  # "A", "B", or "C" (another application)
        self.counter = counter
        # a client shared between checks (its own closes with the probe): making one costs
        # tens of milliseconds, mostly its TLS context
        self.shared = client is not None
        self.client = client or httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout
        )
        self.trail = trail  # curl commands of this check (shared by A and B), oldest first
        self.pace = pace

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        if self.pace:
            self.pace()
        self.counter.requests += 1
        self.trail.append(self.curl(method, path, json_body, params, headers))
        answer = self.client.request(method, path, json=json_body, params=params, headers=headers)
        self.counter.reached += reached(answer.status_code)
        return answer

    def curl(
        self,
        method: str,
        path: str,
        body: Any,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
    ) -> str:
        url = str(httpx.URL(self.base_url + path, params=params))
        parts = ["curl", "-X", method, shlex.quote(url)]
        parts += credentials.header_args(self.headers, self.name)
        for name, value in (headers or {}).items():
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if body is not None:
            parts += ["-H", "'Content-Type: application/json'", "-d", shlex.quote(json.dumps(body))]
        return " ".join(parts)

    def close(self) -> None:
        if not self.shared:
            self.client.close()
