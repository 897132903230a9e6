"""The SQL stores (SQLite and a real PostgreSQL) keep the ``Store`` protocol: scans by scope,
order, load/dump/count, partitions, transactions that roll back and serialise writers, a
schema version, one-line errors. ``open_backend`` reads ``--store`` URLs."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.mock.stores_kit import postgres_server, store_url  # noqa: F401  (fixtures)
from understudy.mock.app import create_app
from understudy.mock.config import Config
from understudy.mock.sqlstore import VERSION, Database, SqlStore
from understudy.mock.store import MemoryBackend, StoreError, open_backend, partition


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
