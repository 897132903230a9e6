"""End-to-end on sqlite and on a real PostgreSQL: ``understudy serve --store URL`` in its own
processes keeps what it answered 2xx through ``kill -9`` and restarts, and ``--workers N``
processes over one store never both win a read-modify-write.

At the issue's scale on each store: 4 workers x 64 concurrent writers x 100 creates = 25,600
records, exactly (about 30 s per store on two cores; the writers are plain HTTP/1.1, see
``stores_kit.write_concurrently``).
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.conftest import ALICE, BOB
from tests.mock.stores_kit import (  # noqa: F401  (fixtures)
    Answer,
    Gone,
    Served,
    bearer,
    connections_per_worker,
    postgres_server,
    serve,
    store_url,
    write_concurrently,
)
from tests.mock.test_app_edm import CRUD, example_body

USER = "9a8b7c6d-0000-0000-0000-000000000002"  # the tracker's demo user id form
CREATES_EACH = 100
# what the servers need: two surfaces, response validation (a half-written record fails it),
# no demo tenant (each step writes its own data)
SERVE = ("--surface", "tracker", "--surface", "edm", "--validate-responses", "--empty")


def entry(writer: int, n: int) -> dict[str, Any]:
    return {
        "userId": USER,
        "workDate": "2025-01-15",
        "minutes": 1 + (writer * 997 + n) % 600,
        "description": f"writer {writer} entry {n}",
    }


def tracker(root: str, project: str) -> str:
    return f"{root}/tracker/projects/{project}/time-entries"


def listed(root: str, project: str, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every entry of a project, page by page (the server validates each response)."""
    out: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        answer = httpx.get(
            tracker(root, project), params={"page": page, "pageSize": 200}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        out.update({r["id"]: r for r in answer.json()})
        if page * 200 >= int(answer.headers["X-Total-Count"]):
            return out
        page += 1


def total(root: str, project: str, headers: dict[str, str]) -> int:
    answer = httpx.get(tracker(root, project), params={"pageSize": 1}, headers=headers)
    assert answer.status_code == 200, answer.text
    return int(answer.headers["X-Total-Count"])


def test_answered_writes_survive_kill_9_and_workers_share_one_store(
    store_url: str,  # noqa: F811
    serve: Callable[..., Served],  # noqa: F811
) -> None:
    """One store through the issue's list; each step starts the processes it needs, the
    restarted server then races the four workers."""
    first = serve(store_url, extra=SERVE)
    restarted = _kill_9_amid_64_writers_loses_no_answered_write(first, serve)
    pool = serve(store_url, workers=4, extra=SERVE)
    _four_workers_lose_no_create(pool, restarted)
    _one_lifecycle_action_wins(pool.root, restarted.root)
    _one_entry_per_idempotency_key(pool.root, restarted.root)


def _kill_9_amid_64_writers_loses_no_answered_write(
    server: Served,
    serve: Callable[..., Served],  # noqa: F811
) -> Served:
    """``kill -9`` while 64 writers have requests in flight; after a restart every write
    answered 201 is there, and none is half-written."""
    headers = bearer(str(uuid.uuid4()), USER)
    project = str(uuid.uuid4())
    answered: dict[str, dict[str, Any]] = {}
    killed = threading.Event()

    def note(response: Answer) -> None:
        assert response.status_code == 201, response.text
        answered[response.json()["id"]] = response.json()
        if len(answered) >= 200 and not killed.is_set():
            killed.set()
            server.kill()  # while the other 63 writers have requests in flight

    url = tracker(server.root, project)
    write_concurrently(url, headers, entry, writers=64, each=50, on_answer=note, until_gone=True)
    assert killed.is_set() and len(answered) < 64 * 50, "the server was killed mid-run"

    again = serve(server.store, extra=SERVE)  # a restart on the same store
    stored = listed(again.root, project, headers)  # the server validates every record it lists
    missing = sorted(set(answered) - set(stored))
    assert not missing, f"{len(missing)} writes answered 201 are gone, e.g. {missing[:3]}"
    assert all(stored[i] == body for i, body in answered.items())
    # a write in flight at the kill is there whole or not at all: every field of a record
    assert all(set(record) == set(next(iter(answered.values()))) for record in stored.values())
    return again


def _four_workers_lose_no_create(pool: Served, other: Served) -> None:
    """4 workers x 64 concurrent writers x CREATES_EACH creates: exactly that many records."""
    headers = bearer(str(uuid.uuid4()), USER)
    project = str(uuid.uuid4())
    spread: dict[int, int] = {}
    answered = itertools.count(1)

    def look(_: Answer) -> None:  # a tenth in: the writers the workers have accepted so far
        if next(answered) == 4 * 64 * CREATES_EACH // 10:
            spread.update(connections_per_worker(pool))

    try:
        answers = write_concurrently(
            tracker(pool.root, project),
            headers,
            entry,
            writers=4 * 64,
            each=CREATES_EACH,
            on_answer=look,
        )
    except Gone as exc:
        raise AssertionError(f"{exc!r}; the server said:\n{pool.stderr()}") from exc
    # every worker took writers (how many each is the kernel's choice)
    assert len(spread) == 4 and all(spread.values()), spread
    assert sorted({a.status_code for a in answers}) == [201]
    assert len({a.json()["id"] for a in answers}) == 4 * 64 * CREATES_EACH
    assert total(other.root, project, headers) == 4 * 64 * CREATES_EACH


def _one_lifecycle_action_wins(first: str, second: str) -> None:
    """Two processes approve the same access request at once: one 200, one 409."""
    tenant = f"ten_{uuid.uuid4().hex}"
    path = "/edm" + CRUD["access_requests"]
    body = {**example_body(CRUD["access_requests"], "post"), "requester_id": ALICE}
    created = [
        httpx.post(first + path, json=body, headers=bearer(tenant, ALICE)).json()["id"]
        for _ in range(6)
    ]
    for request_id in created:
        barrier = threading.Barrier(2)

        def approve(root: str, request_id: str = request_id, barrier: Any = barrier) -> int:
            barrier.wait()
            url = f"{root}{path}/{request_id}/approve"
            return httpx.post(url, headers=bearer(tenant, BOB), timeout=60).status_code

        with ThreadPoolExecutor(2) as threads:
            statuses = sorted(threads.map(approve, [first, second]))
        assert statuses == [200, 409], request_id


def _one_entry_per_idempotency_key(first: str, second: str) -> None:
    """20 concurrent posts with one Idempotency-Key, half to each process: one entry."""
    headers = {**bearer(str(uuid.uuid4()), USER), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    project = str(uuid.uuid4())
    barrier = threading.Barrier(20)

    def post(n: int) -> httpx.Response:
        barrier.wait()
        root = first if n % 2 else second
        return httpx.post(tracker(root, project), json=entry(0, 0), headers=headers, timeout=60)

    with ThreadPoolExecutor(20) as threads:
        answers = list(threads.map(post, range(20)))
    assert [a.status_code for a in answers] == [201] * 20
    assert len({a.json()["id"] for a in answers}) == 1
    assert total(first, project, headers) == total(second, project, headers) == 1
