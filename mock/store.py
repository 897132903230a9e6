"""Where the mock's records live.

The engine talks to a ``Store``: records are JSON objects grouped in named collections and
keyed by id. Records handed out are never mutated in place — the engine builds a new dict and
``put``s it — so readers need no copies. Read-modify-write sequences run under
``store.transaction()``, which serialises writers (FlaskApp runs handlers in threads).

``MemoryStore`` is the embedded default. A SQL store shared by several workers implements the
same six methods over one table ``(collection, id, partition, document)``; ``scan``'s
``where`` is an equality filter on top-level fields it can push down.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

Record = Mapping[str, Any]


class Store(Protocol):
    def get(self, collection: str, record_id: str) -> Record | None: ...

    def put(self, collection: str, record_id: str, record: Record) -> None: ...

    def delete(self, collection: str, record_id: str) -> None: ...

    def scan(self, collection: str, where: Mapping[str, Any]) -> Iterable[Record]: ...

    def transaction(self) -> Any: ...

    def dump(self) -> dict[str, list[Record]]: ...

    def load(self, data: Mapping[str, Iterable[Record]], *, replace: bool = True) -> int: ...


class MemoryStore:
    """In-process dicts behind one re-entrant lock."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Record]] = {}
        self._lock = threading.RLock()

    def get(self, collection: str, record_id: str) -> Record | None:
        return self._data.get(collection, {}).get(record_id)

    def put(self, collection: str, record_id: str, record: Record) -> None:
        with self._lock:
            self._data.setdefault(collection, {})[record_id] = record

    def delete(self, collection: str, record_id: str) -> None:
        with self._lock:
            self._data.get(collection, {}).pop(record_id, None)

    def scan(self, collection: str, where: Mapping[str, Any]) -> Iterator[Record]:
        # list() snapshots the values so a concurrent put cannot break the iteration
        records = list(self._data.get(collection, {}).values())
        items = tuple(where.items())
        for record in records:
            if all(record.get(k) == v for k, v in items):
                yield record

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            yield

    def dump(self) -> dict[str, list[Record]]:
        with self._lock:
            return {name: list(records.values()) for name, records in self._data.items()}

    def load(self, data: Mapping[str, Iterable[Record]], *, replace: bool = True) -> int:
        """Add (or, with ``replace``, swap in) whole collections; returns records loaded."""
        fresh = {name: {r["id"]: r for r in records} for name, records in data.items()}
        with self._lock:
            if replace:
                self._data = fresh
            else:
                for name, records in fresh.items():
                    self._data.setdefault(name, {}).update(records)
        return sum(len(r) for r in fresh.values())

    def count(self) -> dict[str, int]:
        return {name: len(records) for name, records in self._data.items()}
