"""Where the mock's records live.

The engine talks to a ``Store``: records are JSON objects grouped in named collections and
keyed by id. Records handed out are never mutated in place — the engine builds a new dict and
``put``s it — so readers need no copies. Read-modify-write sequences run under
``store.transaction()``, which serialises writers (FlaskApp runs handlers in threads).

``MemoryStore`` is the embedded default. ``mock/sqlstore.py`` implements the same methods over
SQLite and PostgreSQL. A ``Backend`` (``open_backend(url)``) hands out one store per surface and
keeps the sessions: each session is a partition of every store, chosen per request through the
``partition`` context variable (``mock/sessions.py`` sets it from a header). ``put`` refuses a
record that is not JSON every client can read back (``strict_json.check``) before keeping
anything.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol

from understudy.mock import strict_json

Record = Mapping[str, Any]

# the session whose partition this request reads and writes ("" is the shared default)
partition: ContextVar[str] = ContextVar("understudy_partition", default="")


class StoreError(Exception):
    """A store that cannot be used (unreachable, another schema version, a bad URL): the
    message is one line for the user."""


class Store(Protocol):
    def get(self, collection: str, record_id: str) -> Record | None: ...

    def put(self, collection: str, record_id: str, record: Record) -> None: ...

    def delete(self, collection: str, record_id: str) -> None: ...

    def scan(self, collection: str, where: Mapping[str, Any]) -> Iterable[Record]: ...

    def transaction(self) -> Any: ...

    def dump(self) -> dict[str, list[Record]]: ...

    def load(self, data: Mapping[str, Iterable[Record]], *, replace: bool = True) -> int: ...

    def count(self) -> dict[str, int]: ...


class Backend(Protocol):
    """Where every surface's store lives, and the registry of sessions."""

    name: str  # what to show: "memory", "sqlite:///state.db", a URL without its password
    shared: bool  # several processes may open it at once (--workers)

    def store(self, surface: str, scope_field: str | None) -> Store: ...

    def open_session(self, name: str, seed: Callable[[], None]) -> bool: ...

    def sessions(self) -> list[dict[str, Any]]: ...

    def drop_session(self, name: str) -> bool: ...

    def expire_sessions(self, idle_since: datetime) -> list[str]: ...

    def close(self) -> None: ...


def open_backend(url: str) -> Backend:
    """The backend a ``--store`` URL names: ``memory``, ``sqlite:///PATH``, ``postgresql://…``."""
    scheme = url.partition("://")[0].lower() if "://" in url else url.lower()
    if scheme in ("", "memory"):
        return MemoryBackend()
    if scheme == "sqlite":
        from understudy.mock.sqlstore import SqliteDatabase

        return SqliteDatabase(url)
    if scheme in ("postgresql", "postgres"):
        from understudy.mock.sqlstore import PostgresDatabase  # psycopg only when asked for

        return PostgresDatabase(url)
    raise StoreError(
        f"--store must be memory, sqlite:///PATH or postgresql://USER@HOST/DB, not {url!r}"
    )


class MemoryStore:
    """In-process dicts behind one re-entrant lock, with equality indexes built on demand.

    ``scan`` indexes the first field of ``where`` the first time it is asked for (a surface
    always scans by its scope: ``tenant_id``, ``workspaceId``, …), so listing one tenant's
    records does not walk every tenant's.
    """

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Record]] = {}
        # (collection, field) -> field value -> id -> record
        self._indexes: dict[tuple[str, str], dict[Any, dict[str, Record]]] = {}
        self._lock = threading.RLock()
        # inside transaction(): (collection, id, record before) of each write, to undo them
        # all if it fails — a refused write changes nothing, as in a SQL store
        self._undo: list[tuple[str, str, Record | None]] | None = None

    def get(self, collection: str, record_id: str) -> Record | None:
        return self._data.get(collection, {}).get(record_id)

    def put(self, collection: str, record_id: str, record: Record) -> None:
        # what cannot be served back is never kept: one such record would break every list
        # and snapshot of its tenant (raises strict_json.NotJSON, a ValueError)
        strict_json.check(record)
        self._set(collection, record_id, record)

    def _set(self, collection: str, record_id: str, record: Record) -> None:
        with self._lock:
            records = self._data.setdefault(collection, {})
            old = records.get(record_id)
            if self._undo is not None:
                self._undo.append((collection, record_id, old))
            records[record_id] = record
            for (name, field), index in self._indexes.items():
                if name == collection:
                    if old is not None:
                        index.get(_key(old.get(field)), {}).pop(record_id, None)
                    index.setdefault(_key(record.get(field)), {})[record_id] = record

    def delete(self, collection: str, record_id: str) -> None:
        with self._lock:
            old = self._data.get(collection, {}).pop(record_id, None)
            if old is None:
                return
            if self._undo is not None:
                self._undo.append((collection, record_id, old))
            for (name, field), index in self._indexes.items():
                if name == collection:
                    index.get(_key(old.get(field)), {}).pop(record_id, None)

    def scan(self, collection: str, where: Mapping[str, Any]) -> Iterator[Record]:
        if where:
            first, value = next(iter(where.items()))
            with self._lock:
                bucket = self._index(collection, first).get(_key(value), {})
                # list() snapshots the values so a concurrent put cannot break the iteration
                records = list(bucket.values())
        else:
            records = list(self._data.get(collection, {}).values())
        items = tuple(where.items())
        for record in records:
            if all(record.get(k) == v for k, v in items):
                yield record

    def _index(self, collection: str, field: str) -> dict[Any, dict[str, Record]]:
        index = self._indexes.get((collection, field))
        if index is None:
            index = {}
            for record_id, record in self._data.get(collection, {}).items():
                index.setdefault(_key(record.get(field)), {})[record_id] = record
            self._indexes[(collection, field)] = index
        return index

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writers queue on the lock; a nested transaction joins the outer one, and when the
        outer one fails, its puts and deletes are undone."""
        with self._lock:
            if self._undo is not None:  # nested
                yield
                return
            self._undo, collections = [], set(self._data)
            try:
                yield
            except BaseException:
                undo, self._undo = self._undo, None
                for collection, record_id, old in reversed(undo):
                    if old is None:
                        self.delete(collection, record_id)
                    else:
                        self._set(collection, record_id, old)
                for name in set(self._data) - collections:  # a collection it began is gone
                    if not self._data[name]:
                        del self._data[name]
                raise
            finally:
                self._undo = None

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
            self._indexes.clear()  # rebuilt on the next scan
        return sum(len(r) for r in fresh.values())

    def count(self) -> dict[str, int]:
        return {
            name: len(records) for name, records in self._data.items() if not name.startswith("_")
        }


class PartitionedStore:
    """One ``MemoryStore`` per session partition, picked by the ``partition`` context."""

    def __init__(self) -> None:
        self.partitions: dict[str, MemoryStore] = {"": MemoryStore()}

    def __getattr__(self, name: str) -> Any:  # get, put, delete, scan, transaction, ...
        key = partition.get()
        store = self.partitions.get(key)
        if store is None:
            store = self.partitions.setdefault(key, MemoryStore())
        return getattr(store, name)


class MemoryBackend:
    """Every surface's records in this process's memory: the default, one worker only."""

    name = "memory"
    shared = False

    def __init__(self) -> None:
        self._stores: dict[str, PartitionedStore] = {}
        self._sessions: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    def store(self, surface: str, scope_field: str | None) -> Store:
        return self._stores.setdefault(surface, PartitionedStore())

    def open_session(self, name: str, seed: Callable[[], None]) -> bool:
        """Register ``name`` and ``seed`` it on first use (True); else note that it was used."""
        now = _now()
        with self._lock:
            known = self._sessions.get(name)
            if known is not None:
                known["last_used"] = now
                return False
            seed()
            self._sessions[name] = {"name": name, "created_at": now, "last_used": now}
            return True

    def sessions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for _, s in sorted(self._sessions.items())]

    def drop_session(self, name: str) -> bool:
        with self._lock:
            for store in self._stores.values():
                store.partitions.pop(name, None)
            return self._sessions.pop(name, None) is not None

    def expire_sessions(self, idle_since: datetime) -> list[str]:
        cutoff = idle_since.isoformat()
        with self._lock:
            idle = [n for n, s in self._sessions.items() if s["last_used"] < cutoff]
            for name in idle:
                self.drop_session(name)
        return idle

    def close(self) -> None:
        pass


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _key(value: Any) -> Any:
    """A hashable stand-in for a field value (scopes are strings; objects are rare)."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


AUDIT = "_audit"  # when audited records were created, last written and deleted


class AuditedStore:
    """A store that remembers, for the records of some collections, when they were created,
    last updated and deleted (with the record as it was) — what feeds of changes answer
    (Clockify's entity changes). The audit lives in the wrapped store, so snapshots keep it."""

    MAX_DELETED = 1000  # deleted records whose last document each collection remembers

    def __init__(self, inner: Store, collections: Iterable[str], now: Any) -> None:
        self._inner = inner
        self._collections = frozenset(collections)
        self._now = now  # () -> datetime
        # per collection, the audit keys of its deletions, oldest first: past MAX_DELETED the
        # oldest is forgotten, so a stream of creations and deletions cannot grow the audit
        self._deleted: dict[str, deque[str]] = {}

    def __getattr__(self, name: str) -> Any:  # scan, transaction, dump, load, count, ...
        return getattr(self._inner, name)

    def get(self, collection: str, record_id: str) -> Record | None:
        return self._inner.get(collection, record_id)

    def put(self, collection: str, record_id: str, record: Record) -> None:
        if collection not in self._collections:
            return self._inner.put(collection, record_id, record)
        with self._inner.transaction():
            existed = self._inner.get(collection, record_id) is not None
            self._inner.put(collection, record_id, record)
            self._note(collection, record_id, "updatedAt" if existed else "createdAt")

    def delete(self, collection: str, record_id: str) -> None:
        if collection not in self._collections:
            return self._inner.delete(collection, record_id)
        with self._inner.transaction():
            old = self._inner.get(collection, record_id)
            self._inner.delete(collection, record_id)
            if old is not None:
                self._note(collection, record_id, "deletedAt", document=dict(old))
                deleted = self._deleted.setdefault(collection, deque())
                deleted.append(f"{collection}/{record_id}")
                while len(deleted) > self.MAX_DELETED:
                    key = deleted.popleft()
                    entry = self._inner.get(AUDIT, key)
                    if entry is not None and entry.get("deletedAt"):  # not created again since
                        self._inner.delete(AUDIT, key)

    def audit(self, collection: str) -> list[Record]:
        """The audit records of a collection: ``{recordId, createdAt, updatedAt, deletedAt,
        document}`` (ISO-8601 UTC instants; ``document`` only once deleted)."""
        return list(self._inner.scan(AUDIT, {"collection": collection}))

    def audit_of(self, collection: str, record_id: str) -> Record | None:
        """One record's audit entry (its last ``document`` once deleted), if it has one."""
        return self._inner.get(AUDIT, f"{collection}/{record_id}")

    def _note(self, collection: str, record_id: str, event: str, **extra: Any) -> None:
        key = f"{collection}/{record_id}"
        entry = dict(self._inner.get(AUDIT, key) or {})
        entry.update(id=key, collection=collection, recordId=record_id, **extra)
        entry[event] = self._now().isoformat().replace("+00:00", "Z")
        if event == "createdAt":  # an id used again starts a new history
            entry.update(updatedAt=None, deletedAt=None, document=None)
        self._inner.put(AUDIT, key, entry)
