"""The server closes a connection whose request does not arrive in time."""

from __future__ import annotations

import socket
import time

from tests.conftest import running
from understudy.mock.app import Mock
from understudy.mock.config import Config


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


def test_half_a_request_is_not_held_open() -> None:
    mock = Mock(Config(surfaces=("tracker",), demo=False, read_timeout=0.5))
    with running(mock) as live:
        host, port = live.root.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as silent:
            assert _closed_within(silent, 5) is not None  # connected, sent nothing
        with socket.create_connection((host, int(port))) as slow:
            slow.sendall(b"GET /tracker/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            closed = _closed_within(slow, 5)
            assert closed is not None and closed < 3
        with socket.create_connection((host, int(port))) as quick:  # a whole request is served
            quick.sendall(b"GET /__understudy/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            quick.settimeout(5)
            assert quick.recv(4096).startswith(b"HTTP/1.1 200")
