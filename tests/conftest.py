"""Shared fixtures: one real uvicorn server on an ephemeral loopback port for the end-to-end
tests, with response validation on (the mock never lies)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from understudy.mock import auth
from understudy.mock import server as mock_server
from understudy.mock.app import Mock, create_app
from understudy.mock.config import Config

pytest_plugins = ["pytester"]

TENANT_A = "ten_01HXAAAAAAAAAAAAAAAAAAAAAA"
TENANT_B = "ten_01HXBBBBBBBBBBBBBBBBBBBBBB"
ALICE = "per_01HXA11CE0000000000000000A"
BOB = "per_01HXB0B000000000000000000B"


@dataclass
class LiveMock:
    root: str
    mock: Mock

    @property
    def url(self) -> str:
        """Base URL of the EDM surface."""
        return self.root + "/edm"

    def token(self, sub: str = ALICE, tenant: str = TENANT_A, app: str | None = None) -> str:
        claims = {"tenant_id": tenant, "sub": sub, "app_id": app}
        return auth.mint(self.mock.config.secret, claims)

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """A client on the EDM surface authenticated as ``kwargs`` (default: Alice of tenant A)."""
        return httpx.Client(base_url=self.url, headers=self.headers(**kwargs), timeout=30)

    def admin(self, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.root}/__understudy{path}", timeout=60, **kwargs)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@contextmanager
def running(mock: Mock, wrap: Callable[[Any], Any] | None = None) -> Iterator[LiveMock]:
    """``mock`` served by a real uvicorn on an ephemeral loopback port; ``wrap`` may put an
    ASGI middleware around it (the broken variants of the contract tests do)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = wrap(mock.app) if wrap else mock.app
    server = _Server(
        mock_server.config(app, read_timeout=mock.config.read_timeout, log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the mock did not start")
        time.sleep(0.05)
    try:
        yield LiveMock(f"http://127.0.0.1:{port}", mock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _serve(app: str) -> Iterator[LiveMock]:
    # webhook retries after 0.01 s: a test sees a delivery's every attempt at once
    config = Config(app=app, validate_responses=True, webhook_retry_delay=0.01)
    with running(create_app(config)) as live:
        yield live


@pytest.fixture(scope="session")
def flask_mock() -> Iterator[LiveMock]:
    """The mock on connexion's FlaskApp (``--app flask``)."""
    yield from _serve("flask")


@pytest.fixture(scope="session")
def async_mock() -> Iterator[LiveMock]:
    """The mock on connexion's AsyncApp (the default)."""
    yield from _serve("async")


@pytest.fixture(scope="session")
def live_mock(request: pytest.FixtureRequest) -> LiveMock:
    """The mock on the default app class; ``UNDERSTUDY_APP=flask ./dev test`` runs the tests
    that use it on FlaskApp instead."""
    return request.getfixturevalue(f"{Config.from_env().app}_mock")


@pytest.fixture(params=["flask", "async"])
def either_app(request: pytest.FixtureRequest) -> LiveMock:
    """For end-to-end tests of behaviour: run them on both app classes."""
    return request.getfixturevalue(f"{request.param}_mock")
