"""Rate-limit counters in the SQL store (mock/sqlwindows.py), on SQLite and a real PostgreSQL:
the sliding window of ``MemoryWindows``, one transaction per count so that processes never
together pass the limit, pruning, the schema version, and Clockify's documented limit held by
``understudy serve --workers 2`` over one store."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.mock.stores_kit import (  # noqa: F401  (fixtures)
    Served,
    postgres_server,
    serve,
    store_url,
)
from tests.mock.test_limits import Clock, check_sliding_window
from understudy import binding
from understudy.mock import errors, sqlwindows
from understudy.mock.app import create_app
from understudy.mock.config import Config
from understudy.mock.limits import Limiter, MemoryWindows
from understudy.mock.sqlstore import HITS, SCHEMA_VERSION, VERSION, Database
from understudy.mock.sqlwindows import SqlWindows
from understudy.mock.store import StoreError, open_backend


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:  # noqa: F811
    backend = open_backend(store_url)
    assert isinstance(backend, Database)
    yield backend
    backend.close()


def rows(db: Database) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {HITS}")[0][0])


# ---------------------------------------------------------------- the window
def test_at_most_limit_requests_in_any_window_and_refusals_do_not_count(db: Database) -> None:
    clock = Clock()
    check_sliding_window(SqlWindows(db, clock=clock), clock, counted=lambda: rows(db))


def test_two_processes_never_together_pass_the_limit(store_url: str) -> None:  # noqa: F811
    """Two databases (as two workers open them), 8 threads each, 160 hits on one key at one
    instant: exactly 50 let through."""
    clock = Clock()
    workers = [open_backend(store_url) for _ in range(2)]
    counters = [SqlWindows(w, clock=clock) for w in workers if isinstance(w, Database)]
    start = threading.Barrier(16)
    waits: list[float] = []

    def burst(windows: SqlWindows) -> None:
        start.wait()
        for _ in range(10):
            waits.append(windows.hit("shared", 50, 1.0))

    threads = [threading.Thread(target=burst, args=(counters[n % 2],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(waits) == 160 and waits.count(0.0) == 50
    for worker in workers:
        worker.close()


def test_expired_hits_are_swept_and_reset_clears_them(db: Database) -> None:
    clock = Clock()
    windows = SqlWindows(db, clock=clock)
    for n in range(30):
        windows.hit(f"key-{n}", 5, 1.0)
    clock.now += 1.0 + sqlwindows.SWEEP_EVERY  # long past the window
    windows.hit("fresh", 5, 1.0)
    assert windows.sweep() == 30 and rows(db) == 1  # only the one that still counts stays
    assert windows.hit("fresh", 1, 1.0) > 0  # and still counts
    clock.now += 0.5
    assert windows.sweep() == 0  # a hit within the sweep's margin is kept
    windows.clear()
    assert rows(db) == 0 and windows.hit("fresh", 1, 1.0) == 0.0


def test_hit_sweeps_on_its_own_every_so_often(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    windows = SqlWindows(db, clock=clock)
    windows.hit("old", 5, 1.0)
    clock.now += 1.0 + sqlwindows.SWEEP_EVERY
    monkeypatch.setattr(sqlwindows, "SWEEP_EVERY", 0.0)  # due at once
    windows.hit("new", 5, 1.0)
    assert db.execute(f"SELECT rate_key FROM {HITS}") == [("new",)]


def test_every_worker_reads_one_clock(db: Database) -> None:
    """The database's clock on PostgreSQL, the wall clock on SQLite: epoch seconds either way."""
    windows = SqlWindows(db)
    assert abs(windows._clock() - time.time()) < 5  # the database server runs on this host
    assert windows.hit("k", 1, 60.0) == 0.0 and 59 < windows.hit("k", 1, 60.0) <= 60


def test_sessions_count_apart(db: Database) -> None:
    limiter = Limiter(binding.RateLimit(2, 60.0, ("X-Addon-Token",), "workspaceId"), SqlWindows(db))
    ws = {"workspaceId": "a" * 24}
    for session in ("", "", "one", "one", "two"):
        limiter.check("X-Addon-Token", "tok", ws, session)
    for session in ("", "one"):
        with pytest.raises(errors.TooManyRequests):
            limiter.check("X-Addon-Token", "tok", ws, session)
    limiter.check("X-Addon-Token", "tok", ws, "two")


# ---------------------------------------------------------------- schema and wiring
def test_a_version_1_store_gains_the_table_and_a_version_2_needs_it(
    store_url: str,  # noqa: F811
) -> None:
    db = open_backend(store_url)
    assert isinstance(db, Database)
    db.execute(f"DROP TABLE {HITS}")
    db.execute(f"UPDATE {VERSION} SET version = 1")
    db.close()
    db = open_backend(store_url)  # upgraded in place: nothing else changed since version 1
    assert isinstance(db, Database)
    assert db.execute(f"SELECT version FROM {VERSION}") == [(SCHEMA_VERSION,)] == [(2,)]
    assert SqlWindows(db).hit("k", 1, 1.0) == 0.0
    db.execute(f"DROP TABLE {HITS}")
    db.close()
    with pytest.raises(StoreError, match=f"lacks the table {HITS} of schema version 2"):
        open_backend(store_url)


def test_a_sql_store_keeps_the_counters_and_memory_its_own(store_url: str) -> None:  # noqa: F811
    shared = create_app(Config(store=store_url, surfaces=("clockify",)))
    assert isinstance(shared.windows, SqlWindows)
    assert shared.limiters["clockify"].windows is shared.windows
    shared.close()
    assert isinstance(create_app(Config(surfaces=("clockify",))).windows, MemoryWindows)


# ---------------------------------------------------------------- two workers, end to end
@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: float
    received: float
    worker: int


def _process_group_sockets(group: int) -> dict[str, int]:
    """Socket inode → pid, for every process of the server's process group (Linux /proc)."""
    owners: dict[str, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) != group:
                continue
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    owners[link[8:-1]] = int(proc.name)
        except OSError:  # a process that ended meanwhile
            continue
    return owners


def workers_of(server: Served, client_ports: list[int]) -> dict[int, int]:
    """Which worker process holds the server end of each client connection (by its port)."""
    assert server.process is not None
    owners = _process_group_sockets(server.process.pid)
    found: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(f.rsplit(":", 1)[1], 16) for f in fields[1:3])
            if local == server.port and fields[9] in owners:
                found[remote] = owners[fields[9]]
    return {port: found[port] for port in client_ports if port in found}


class Connection:
    """One keep-alive connection, and the worker that accepted it."""

    def __init__(self, server: Served) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.http.connect()
        self.port: int = self.http.sock.getsockname()[1]
        self.worker = 0

    def get(self, path: str, headers: dict[str, str]) -> Answer:
        sent = time.monotonic()
        self.http.request("GET", path, headers=headers)
        reply = self.http.getresponse()
        body = reply.read()
        headers = {name.lower(): value for name, value in reply.getheaders()}
        return Answer(reply.status, headers, body, sent, time.monotonic(), self.worker)


def connections_to_both_workers(server: Served, headers: dict[str, str], path: str) -> list:
    """Keep-alive connections until each of the two workers holds at least four, each warmed
    up by a request with a credential the limit does not count."""
    opened: list[Connection] = []
    while len(opened) < 60:
        connection = Connection(server)
        assert connection.get(path, headers).status == 200
        opened.append(connection)
        held = workers_of(server, [c.port for c in opened])
        for c in opened:
            c.worker = held.get(c.port, 0)
        per_worker = {w: sum(c.worker == w for c in opened) for w in {c.worker for c in opened}}
        if len(per_worker) == 2 and 0 not in per_worker and min(per_worker.values()) >= 4:
            return opened
    raise AssertionError(f"60 connections did not reach two workers: {per_worker}")


def burst(connections: list[Connection], path: str, headers: dict[str, str], n: int) -> list:
    """``n`` requests at once, spread over the connections (each sends its share in turn)."""
    start = threading.Barrier(len(connections))
    answers: list[Answer] = []

    def send(connection: Connection, count: int) -> None:
        start.wait()
        for _ in range(count):
            answers.append(connection.get(path, headers))

    shares = [n // len(connections) + (i < n % len(connections)) for i in range(len(connections))]
    threads = [
        threading.Thread(target=send, args=pair) for pair in zip(connections, shares, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_two_workers_hold_clockifys_limit_together(
    store_url: str,  # noqa: F811
    serve: Callable[..., Served],  # noqa: F811
) -> None:
    """120 requests at once with one add-on token on one workspace, over connections to both
    of two workers: 50 served in the window, not 2 x 50; the rest 429 "Too many requests" with
    Retry-After; another workspace and another session served in that window; the token
    served again after it."""
    server = serve(store_url, workers=2, extra=("--surface", "clockify"))
    first = Connection(server)
    demo = json.loads(first.get("/__understudy/credentials", {}).body)["clockify"]
    api = "/clockify/api/v1"
    listed = first.get(f"{api}/workspaces", {"X-Api-Key": demo["api_key"]})
    workspaces = [w["id"] for w in json.loads(listed.body)]
    first.http.close()
    key, token = {"X-Api-Key": demo["api_key"]}, {"X-Addon-Token": demo["api_key"]}
    mine = f"{api}/workspaces/{demo['workspaceId']}/tags"
    other_ws = f"{api}/workspaces/{next(w for w in workspaces if w != demo['workspaceId'])}/tags"
    session = {**token, "X-Understudy-Session": f"limits-{uuid.uuid4().hex[:8]}"}
    connections = connections_to_both_workers(server, key, mine)
    # the session exists (seeded) before the burst, so that its request below is quick
    assert connections[0].get(mine, {**key, **session}).status == 200

    answers = burst(connections, mine, token, 120)
    served = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status == 429]
    assert len(served) + len(refused) == 120, {a.status for a in answers}
    # both workers took a share of the burst: counted apart, they would let ~2 x 50 through
    assert len({a.worker for a in answers}) == 2
    # every 200 was let through between its request's sending and its answer: those that
    # both began and ended inside one second are at most 50, however slow this machine is
    densest = max(
        sum(1 for b in served if b.sent >= a.sent and b.received < a.sent + 1.0) for a in served
    )
    assert densest <= 50, f"{densest} requests served in one second by two workers"
    span = max(a.received for a in answers) - min(a.sent for a in answers)
    if span < 1.0:  # the whole burst inside one window (as on an idle machine): the limit
        assert len(served) == 50
    assert json.loads(refused[0].body) == {"message": "Too many requests", "code": 429}
    assert all(int(a.headers["retry-after"]) >= 1 for a in refused)

    # inside the window (the token is refused before and after): another workspace and
    # another session are served
    checks = [
        connections[i].get(path, headers)
        for i, (path, headers) in enumerate(
            [(mine, token), (other_ws, token), (mine, session), (mine, token)]
        )
    ]
    assert [a.status for a in checks] == [429, 200, 200, 429]
    time.sleep(int(checks[-1].headers["retry-after"]))  # after the window: served again
    assert connections[0].get(mine, token).status == 200
    for connection in connections:
        connection.http.close()


def test_rate_limit_off_serves_the_whole_burst(
    tmp_path: Path,
    serve: Callable[..., Served],  # noqa: F811
) -> None:
    """``--rate-limit off`` on two workers: the same burst is served in full (on SQLite only:
    off means no counter at all, whatever the store)."""
    extra = ("--surface", "clockify", "--rate-limit", "off")
    server = serve(f"sqlite:///{tmp_path / 'state.db'}", workers=2, extra=extra)
    first = Connection(server)
    demo = json.loads(first.get("/__understudy/credentials", {}).body)["clockify"]
    first.http.close()
    mine = f"/clockify/api/v1/workspaces/{demo['workspaceId']}/tags"
    connections = connections_to_both_workers(server, {"X-Api-Key": demo["api_key"]}, mine)
    answers = burst(connections, mine, {"X-Addon-Token": demo["api_key"]}, 120)
    assert [a.status for a in answers] == [200] * 120
    for connection in connections:
        connection.http.close()
