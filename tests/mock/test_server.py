"""The server closes a connection whose request does not arrive in time, and answers the
size limits, in one process and in each of ``--workers N`` processes alike."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import running
from tests.mock.stores_kit import Served, serve  # noqa: F401  (fixture)
from understudy.mock.app import Mock
from understudy.mock.config import Config

LIMITS = ("--read-timeout", "0.5", "--max-url", "2048", "--max-header", "4096")
SMALL = ("--surface", "tracker", "--empty")


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection, or None if it stayed open."""
    sock.settimeout(seconds)
    started = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def _status(address: tuple[str, int], request: bytes) -> bytes:
    with socket.create_connection(address) as sock:
        sock.sendall(request)
        sock.settimeout(10)
        return sock.recv(4096).split(b"\r\n", 1)[0]


def _holds_the_line(root: str, connections: int = 1) -> None:
    """A silent connection and one that sends half its headers are closed within seconds
    (the server's read timeout is 0.5 s); whole requests are served; an oversized URL is a
    414 and oversized headers a 431."""
    host, port = root.removeprefix("http://").split(":")
    address = (host, int(port))
    # several of each at once: each worker that accepts one closes it
    with contextlib.ExitStack() as open_:
        opened = [
            open_.enter_context(socket.create_connection(address)) for _ in range(2 * connections)
        ]
        for sock in opened[connections:]:
            sock.sendall(b"GET /tracker/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        started = time.monotonic()
        for sock in opened:  # connected and sent nothing, or half its headers
            assert _closed_within(sock, 5) is not None
        assert time.monotonic() - started < 3
    health = b"GET /__understudy/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert _status(address, health) == b"HTTP/1.1 200 OK"
    get = b"GET /tracker/projects/p/time-entries%s HTTP/1.1\r\nHost: localhost\r\n%s\r\n"
    long_url = b"?pad=" + b"x" * 3000
    assert _status(address, get % (long_url, b"")).startswith(b"HTTP/1.1 414")
    big_header = b"X-Pad: " + b"y" * 5000 + b"\r\n"
    assert _status(address, get % (b"", big_header)).startswith(b"HTTP/1.1 431")


def test_half_a_request_is_not_held_open() -> None:
    limits = {"read_timeout": 0.5, "max_url": 2048, "max_header": 4096}
    with running(Mock(Config(surfaces=("tracker",), demo=False, **limits))) as live:
        _holds_the_line(live.root)


def test_every_worker_holds_the_line(
    tmp_path: Path,
    serve: Callable[..., Served],  # noqa: F811
) -> None:
    """``--workers 2``: the workers serve with the same read timeout and limits."""
    server = serve(f"sqlite:///{tmp_path / 'state.db'}", workers=2, extra=LIMITS + SMALL)
    _holds_the_line(server.root, connections=4)
