"""What the store tests share: a real PostgreSQL (scripts/postgres.sh), a fresh database per
test on sqlite or postgresql, ``understudy serve`` in a subprocess that can be killed, and
many concurrent writers.

Test modules import the fixtures they use (``from tests.mock.stores_kit import store_url``).
"""

from __future__ import annotations

import asyncio
import json
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
from urllib.parse import urlsplit

import httpx
import pytest

from understudy.mock import auth
from understudy.mock.auth import DEV_SECRET

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
STORES = ["sqlite", "postgresql"]
ANSWER_WITHIN = 120  # seconds a loaded server may take to answer one write
RAMP = 0.002  # seconds between two writers' connections


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


@dataclass
class Answer:
    """One response as the writers read it."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Gone(Exception):
    """The server closed a writer's connection, or stopped answering it."""


async def _post_each(
    address: tuple[str, int],
    head: bytes,
    bodies: Iterator[bytes],
    on_answer: Callable[[Answer], None] | None,
    answers: list[Answer],
) -> None:
    """POST each body on one keep-alive connection, one after the other."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        for body in bodies:
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            head_block = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ANSWER_WITHIN)
            status_line, *lines = head_block.decode("latin-1").split("\r\n")
            fields = dict(line.lower().split(": ", 1) for line in lines if ": " in line)
            if "content-length" not in fields:  # uvicorn sizes every answer the mock gives
                raise AssertionError(f"an answer without Content-Length: {head_block!r}")
            length = int(fields["content-length"])
            content = await asyncio.wait_for(reader.readexactly(length), ANSWER_WITHIN)
            answer = Answer(int(status_line.split()[1]), content)
            answers.append(answer)
            if on_answer:
                on_answer(answer)
            if fields.get("connection") == "close":
                raise Gone("the server closed a keep-alive connection")
    except (OSError, EOFError, TimeoutError) as exc:  # reset, refused, cut short, silent
        raise Gone(f"{exc!r}") from exc
    finally:
        writer.close()


async def _writers(
    url: str,
    headers: dict[str, str],
    bodies: Callable[[int, int], dict[str, Any]],
    writers: int,
    each: int,
    on_answer: Callable[[Answer], None] | None,
    until_gone: bool,
) -> list[Answer]:
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    answers: list[Answer] = []

    async def writer(w: int) -> None:
        payloads = (json.dumps(bodies(w, i)).encode() for i in range(each))
        # one connection at a time, so that each of several workers waiting on the shared
        # socket may accept one: in a burst, the first to wake takes all the queued ones
        await asyncio.sleep(w * RAMP)
        try:
            await _post_each(address, head, payloads, on_answer, answers)
        except Gone:
            if not until_gone:
                raise  # else the server went away (the kill -9 test): this writer stops

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return answers


def write_concurrently(
    url: str,
    headers: dict[str, str],
    bodies: Callable[[int, int], dict[str, Any]],
    *,
    writers: int,
    each: int,
    on_answer: Callable[[Answer], None] | None = None,
    until_gone: bool = False,
) -> list[Answer]:
    """``writers`` concurrent connections, each POSTing ``each`` JSON bodies one after the
    other; ``until_gone``: a writer stops when the server goes away (else ``Gone`` is raised).

    Plain HTTP/1.1 on asyncio streams, not httpx: the load is the server's, not the client's.
    httpx spent ~4 ms of CPU per request (12 s for 2,560 POSTs, more than the four workers
    serving them), which made the 25,600-create run take minutes; this takes ~0.2 ms."""
    return asyncio.run(_writers(url, headers, bodies, writers, each, on_answer, until_gone))


def connections_per_worker(server: Served) -> dict[int, int]:
    """The connections each of the server's worker processes holds open (Linux ``/proc``)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == server.port:  # ESTABLISHED
                inodes.add(f"socket:[{inode}]")
    assert server.process is not None
    parent = server.process.pid
    out = {}
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        if b"spawn_main" not in Path(f"/proc/{child}/cmdline").read_bytes():
            continue  # multiprocessing's resource tracker
        out[int(child)] = sum(_link(fd) in inodes for fd in Path(f"/proc/{child}/fd").iterdir())
    return out


def _link(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except FileNotFoundError:  # closed while we looked
        return ""
