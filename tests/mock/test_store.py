"""MemoryStore: equality indexes stay right through puts, moves and deletes."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from understudy.mock import strict_json
from understudy.mock.store import MemoryStore


def ids(store: MemoryStore, **where: object) -> set[str]:
    return {r["id"] for r in store.scan("things", where)}


def test_scan_by_index_follows_updates_and_deletes() -> None:
    store = MemoryStore()
    store.put("things", "a", {"id": "a", "tenant": "t1", "n": 1})
    store.put("things", "b", {"id": "b", "tenant": "t1", "n": 2})
    assert ids(store, tenant="t1") == {"a", "b"}  # builds the index
    store.put("things", "c", {"id": "c", "tenant": "t2", "n": 1})
    store.put("things", "b", {"id": "b", "tenant": "t2", "n": 2})  # moves between buckets
    assert ids(store, tenant="t1") == {"a"}
    assert ids(store, tenant="t2") == {"b", "c"}
    assert ids(store, tenant="t2", n=1) == {"c"}
    store.delete("things", "c")
    assert ids(store, tenant="t2") == {"b"}
    assert ids(store) == {"a", "b"}


def test_load_replaces_or_merges_and_resets_indexes() -> None:
    store = MemoryStore()
    store.put("things", "a", {"id": "a", "tenant": "t1"})
    assert ids(store, tenant="t1") == {"a"}
    store.load({"things": [{"id": "x", "tenant": "t1"}]}, replace=False)
    assert ids(store, tenant="t1") == {"a", "x"}
    store.load({"things": [{"id": "y", "tenant": "t1"}]}, replace=True)
    assert ids(store, tenant="t1") == {"y"}
    assert store.count() == {"things": 1}
    assert store.dump() == {"things": [{"id": "y", "tenant": "t1"}]}


def test_unhashable_values_are_indexable() -> None:
    store = MemoryStore()
    ref = {"provider": "jira", "externalId": "1"}
    store.put("things", "a", {"id": "a", "ref": ref})
    assert ids(store, ref=dict(ref)) == {"a"}


def test_concurrent_puts_lose_nothing() -> None:
    store = MemoryStore()
    assert ids(store, tenant="t") == set()

    def write(n: int) -> None:
        for i in range(200):
            store.put("things", f"{n}-{i}", {"id": f"{n}-{i}", "tenant": "t"})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids(store, tenant="t")) == 1600


@pytest.mark.parametrize(
    "record",
    [{"id": "a", "notes": "\ud800"}, {"id": "a", "hours": float("nan")}],
    ids=["lone surrogate", "NaN"],
)
def test_a_record_that_cannot_be_served_back_is_not_kept(record: dict[str, Any]) -> None:
    store = MemoryStore()
    with pytest.raises(strict_json.NotJSON):
        store.put("time_entries", "a", record)
    assert store.get("time_entries", "a") is None and store.dump() == {}


def test_a_failed_transaction_undoes_its_writes() -> None:
    store = MemoryStore()
    store.put("things", "kept", {"id": "kept", "n": 1})
    store.put("things", "gone", {"id": "gone"})
    assert ids(store, n=1) == {"kept"}  # an index, to follow the undo too
    with pytest.raises(strict_json.NotJSON), store.transaction():
        store.put("things", "kept", {"id": "kept", "n": 2})
        store.delete("things", "gone")
        with store.transaction():  # nested: joins the outer one
            store.put("others", "new", {"id": "new"})
        store.put("things", "bad", {"id": "bad", "notes": "\ud800"})  # refused: all undone
    assert store.dump() == {"things": [{"id": "kept", "n": 1}, {"id": "gone"}]}
    assert ids(store, n=1) == {"kept"} and ids(store, n=2) == set()
