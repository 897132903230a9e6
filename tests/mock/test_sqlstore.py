"""The SQL stores (SQLite and a real PostgreSQL) keep the ``Store`` protocol: scans by scope,
order, load/dump/count, partitions, transactions that roll back and serialise writers, a
schema version, one-line errors. ``open_backend`` reads ``--store`` URLs."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import running
from tests.mock.stores_kit import fresh_database, postgres_server, store_url  # noqa: F401
from understudy.mock import strict_json
from understudy.mock.app import create_app
from understudy.mock.config import Config
from understudy.mock.sqlstore import VERSION, Database, SqlStore
from understudy.mock.store import MemoryBackend, StoreError, open_backend, partition

JSON = "application/json"


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:  # noqa: F811
    backend = open_backend(store_url)
    assert isinstance(backend, Database)
    yield backend
    backend.close()


def ids(store: SqlStore, **where: object) -> list[str]:
    return [r["id"] for r in store.scan("things", where)]


def test_scan_by_scope_follows_updates_and_deletes_in_insertion_order(db: Database) -> None:
    store = db.store("s", "tenant")
    store.put("things", "b", {"id": "b", "tenant": "t1", "n": 1})
    store.put("things", "a", {"id": "a", "tenant": "t1", "n": 2, "ref": {"x": [1, "é"]}})
    store.put("things", "c", {"id": "c", "tenant": "t2", "n": 1})
    assert ids(store, tenant="t1") == ["b", "a"]
    assert store.get("things", "a") == {"id": "a", "tenant": "t1", "n": 2, "ref": {"x": [1, "é"]}}
    store.put("things", "b", {"id": "b", "tenant": "t2", "n": 1})  # moves scope, keeps its place
    assert ids(store, tenant="t2") == ["b", "c"]
    assert ids(store, tenant="t2", n=1) == ["b", "c"]
    assert ids(store, n=2) == ["a"]  # a field that is not the scope: filtered, not indexed
    store.delete("things", "c")
    assert ids(store) == ["b", "a"]
    assert store.get("things", "c") is None
    assert db.store("other-surface", "tenant").get("things", "a") is None


def test_load_dump_count_and_partitions(db: Database) -> None:
    store = db.store("s", "tenant")
    store.put("things", "a", {"id": "a", "tenant": "t"})
    assert store.load({"things": [{"id": "x", "tenant": "t"}]}, replace=False) == 1
    assert ids(store, tenant="t") == ["a", "x"]
    store.load({"things": [{"id": "y", "tenant": "t"}], "_hidden": [{"id": "h"}]}, replace=True)
    assert store.dump() == {"things": [{"id": "y", "tenant": "t"}], "_hidden": [{"id": "h"}]}
    assert store.count() == {"things": 1}  # the mock's own collections are not counted
    token = partition.set("session-1")
    try:
        assert store.count() == {} and store.get("things", "y") is None
        store.put("things", "z", {"id": "z", "tenant": "t"})
        assert ids(store, tenant="t") == ["z"]
    finally:
        partition.reset(token)
    assert ids(store, tenant="t") == ["y"]


def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    store = db.store("s", "tenant")
    with pytest.raises(RuntimeError), store.transaction():
        store.put("things", "a", {"id": "a"})
        with store.transaction():  # nested: joins the outer one
            store.put("things", "b", {"id": "b"})
        raise RuntimeError("the handler failed")
    assert ids(store) == []


UNSERVABLE = {
    "lone surrogate": {"notes": "\ud800"},
    "lone surrogate in a key": {"\udc00": 1},
    "NaN": {"hours": float("nan")},
    "Infinity": {"hours": [float("inf")]},
    "integer beyond a double": {"n": 10**400},
    "nesting beyond 64": {"deep": functools.reduce(lambda inner, _: [inner], range(70), [])},
    "a key that is not a string": {1: 2},
}


@pytest.mark.parametrize("extra", UNSERVABLE.values(), ids=UNSERVABLE.keys())
def test_a_record_that_cannot_be_served_back_is_not_kept(
    db: Database, extra: dict[Any, Any]
) -> None:
    """As MemoryStore.put: refused, and nothing changes (put, or a load that holds one)."""
    store = db.store("s", "tenant")
    store.put("things", "a", {"id": "a", "tenant": "t"})
    before = store.dump()
    with pytest.raises(strict_json.NotJSON):
        store.put("things", "a", {"id": "a", "tenant": "t", **extra})
    with pytest.raises(strict_json.NotJSON):
        store.put("things", "b", {"id": "b", "tenant": "t", **extra})
    with pytest.raises(strict_json.NotJSON):
        store.load({"things": [{"id": "c", "tenant": "t"}, {"id": "d", "tenant": "t", **extra}]})
    with pytest.raises(strict_json.NotJSON), store.transaction():
        store.put("things", "e", {"id": "e", "tenant": "t"})
        store.put("things", "f", {"id": "f", "tenant": "t", **extra})
    assert store.dump() == before


def test_transactions_serialise_read_modify_write(db: Database) -> None:
    """Eight threads, each on its own connection, increment one counter 25 times."""
    store = db.store("s", None)
    store.put("things", "n", {"id": "n", "value": 0})

    def bump() -> None:
        for _ in range(25):
            with store.transaction():
                current = store.get("things", "n")
                assert current is not None
                store.put("things", "n", {"id": "n", "value": current["value"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("things", "n") == {"id": "n", "value": 200}


def test_a_store_of_another_schema_version_is_refused(store_url: str) -> None:  # noqa: F811
    db = open_backend(store_url)
    assert isinstance(db, Database)
    db.execute(f"UPDATE {VERSION} SET version = 99")
    db.close()
    with pytest.raises(StoreError, match=r"schema version 99; this understudy uses version 2"):
        open_backend(store_url)


def test_the_mock_loads_the_demo_into_an_empty_store_only(store_url: str) -> None:  # noqa: F811
    first = create_app(Config(store=store_url, surfaces=("tracker",)))
    demo = first.stores["tracker"].count()
    assert sum(demo.values()) > 0
    first.stores["tracker"].put("time_entries", "mine", {"id": "mine", "organizationId": "o"})
    first.close()
    again = create_app(Config(store=store_url, surfaces=("tracker",)))
    assert again.stores["tracker"].get("time_entries", "mine") is not None
    counts = again.stores["tracker"].count()
    assert counts == {**demo, "time_entries": demo["time_entries"] + 1}
    again.reset()  # reset is the same on every store: the demo tenant alone
    assert again.stores["tracker"].count() == demo
    again.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x", "--store must be memory, sqlite:///PATH or postgresql://"),
        ("sqlite:///", "name a file"),
        ("sqlite:////no/such/folder/state.db", "the folder /no/such/folder does not exist"),
        ("postgresql://u:secret@127.0.0.1:1/db", "cannot reach postgresql://u:***@127.0.0.1:1/db"),
    ],
    ids=["scheme", "sqlite-no-file", "sqlite-no-folder", "postgres-unreachable"],
)
def test_unusable_stores_say_why_in_one_line(url: str, message: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_backend(url)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_memory_is_the_default() -> None:
    assert isinstance(open_backend("memory"), MemoryBackend)
    assert not open_backend("").shared


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return fresh_database(request.getfixturevalue("postgres_server"))


def test_a_write_no_client_could_read_back_is_a_400_and_changes_nothing(any_store: str) -> None:
    """Through HTTP on every store: a JSON body with a lone surrogate (the request validator
    refuses it), and a multipart expense whose ``charset=utf-7`` smuggles one into ``notes``
    past every parser (the store refuses it, after the handler kept the receipt: undone)."""
    mock = create_app(Config(store=any_store, surfaces=("clockify",)))
    with running(mock) as live:
        demo = live.admin("/credentials").json()["clockify"]
        base = f"{live.root}/clockify/api/v1/workspaces/{demo['workspaceId']}"
        client = httpx.Client(base_url=base, headers={"X-Api-Key": demo["api_key"]}, timeout=30)
        category = client.post("/expenses/categories", json={"name": "travel"}).json()["id"]
        project = client.get("/projects").json()[0]["id"]
        before = live.admin("/snapshot").json()
        json_body = b'{"name": "p", "note": "\\ud800"}'
        answer = client.post("/projects", content=json_body, headers={"Content-Type": JSON})
        assert answer.status_code == 400 and answer.json()["code"] == 400, answer.text
        fields = {
            "amount": "12",
            "categoryId": category,
            "date": "2026-01-05T00:00:00Z",
            "projectId": project,
            "userId": demo["userId"],
            "notes": "+2AA-",  # U+D800 in UTF-7
        }
        answer = client.post(
            "/expenses",
            content=_multipart(fields, receipt=b"a receipt"),
            headers={"Content-Type": "multipart/form-data; boundary=x; charset=utf-7"},
        )
        assert answer.status_code == 400 and "lone surrogate" in answer.json()["message"]
        assert live.admin("/snapshot").json() == before
        client.close()
    mock.close()


def _multipart(fields: dict[str, str], receipt: bytes) -> bytes:
    parts = [
        b'--x\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (name.encode(), value.encode())
        for name, value in fields.items()
    ]
    parts.append(
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="r.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + receipt + b"\r\n--x--\r\n"
    )
    return b"".join(parts)
