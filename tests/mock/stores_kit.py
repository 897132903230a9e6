"""What the store tests share: a real PostgreSQL (scripts/postgres.sh), a fresh database per
test on sqlite or postgresql, ``understudy serve`` in a subprocess that can be killed, and
many concurrent writers.

Test modules import the fixtures they use (``from tests.mock.stores_kit import store_url``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from understudy.mock import auth
from understudy.mock.auth import DEV_SECRET

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
STORES = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the whole run (installed on first use)."""
    started = subprocess.run(
        ["sh", str(SCRIPT), "start", str(free_port())],
        capture_output=True,
        text=True,
        timeout=900,  # a first apt-get install
    )
    if started.returncode == 3:
        pytest.skip(f"no PostgreSQL: {started.stderr.strip().splitlines()[-1]}")
    assert started.returncode == 0, started.stderr
    url, folder = started.stdout.split()
    try:
        yield url
    finally:
        subprocess.run(["sh", str(SCRIPT), "stop", folder], capture_output=True, timeout=120)


def fresh_database(server_url: str) -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty store of each durable kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return fresh_database(request.getfixturevalue("postgres_server"))


@dataclass
class Served:
    """``understudy serve`` in its own process group, on a loopback port."""

    store: str
    workers: int = 1
    extra: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None  # the server's stderr (a pipe nobody reads could fill and stall it)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> Served:
        command = [sys.executable, "-m", "understudy.cli", "serve", "--port", str(self.port)]
        command += ["--store", self.store, "--workers", str(self.workers), *self.extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSTUDY_")}
        self.log = Path(tempfile.mkstemp(prefix="understudy-serve-", suffix=".log")[1])
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,  # kill -9 reaches the workers too
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"understudy serve stopped: {self.stderr()}")
            try:
                if httpx.get(self.root + "/__understudy/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"understudy serve --store {self.store} did not start")

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log else ""

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """``kill -9`` the server and all its workers."""
        self._signal(signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start servers; every one still running is stopped at the end of the test."""
    started: list[Served] = []

    def start(store: str, **kwargs: Any) -> Served:
        server = Served(store, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        if server.log:
            server.log.unlink(missing_ok=True)


def bearer(tenant: str, sub: str) -> dict[str, str]:
    """Bearer token of the dev secret (the servers run with it)."""
    token = auth.mint(DEV_SECRET, {"tenant_id": tenant, "sub": sub})
    return {"Authorization": f"Bearer {token}"}


async def _writers(
    url: str,
    headers: dict[str, str],
    bodies: Callable[[int, int], dict[str, Any]],
    writers: int,
    each: int,
    on_answer: Callable[[httpx.Response], None] | None,
    until_gone: bool,
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=writers, max_keepalive_connections=writers)
    answers: list[httpx.Response] = []
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=120) as client:

        async def writer(w: int) -> None:
            for i in range(each):
                try:
                    response = await client.post(url, json=bodies(w, i))
                except httpx.TransportError:
                    if until_gone:
                        return  # the server went away (the kill -9 test)
                    raise
                answers.append(response)
                if on_answer:
                    on_answer(response)

        await asyncio.gather(*(writer(w) for w in range(writers)))
    return answers


def write_concurrently(
    url: str,
    headers: dict[str, str],
    bodies: Callable[[int, int], dict[str, Any]],
    *,
    writers: int,
    each: int,
    on_answer: Callable[[httpx.Response], None] | None = None,
    until_gone: bool = False,
) -> list[httpx.Response]:
    """``writers`` concurrent connections, each POSTing ``each`` bodies one after the other;
    ``until_gone``: a writer stops when the server goes away (else that is an error)."""
    return asyncio.run(_writers(url, headers, bodies, writers, each, on_answer, until_gone))
