"""Stores in a SQL database: SQLite (one file, embedded, no server) and PostgreSQL (shared by
several workers and hosts), both behind the ``Store`` protocol.

Every record is one row ``(surface, session, collection, id, scope, document)``: the record as
JSON text, plus the value of its surface's scope field (``tenant_id``, ``workspaceId``, …) in
an indexed column, so listing one tenant's records reads only theirs. ``seq`` keeps insertion
order, as the memory store does.

``transaction()`` is a database transaction that serialises the writers of one session
partition across processes, which is what makes read-modify-write sequences (idempotency keys,
lifecycle actions, upserts, running timers) safe between workers: SQLite takes the file's
write lock (``BEGIN IMMEDIATE``), PostgreSQL a transaction-scoped advisory lock on the
partition. A nested ``transaction()`` joins the outer one; an exception rolls it all back.
Each thread has its own connection (FlaskApp runs views in a thread pool).
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from understudy.mock import strict_json
from understudy.mock.store import Record, StoreError, partition

SCHEMA_VERSION = 2  # 2 added HITS; a version-1 store gains the table on open
RECORDS = "understudy_records"
SESSIONS = "understudy_sessions"
VERSION = "understudy_schema"
HITS = "understudy_rate_hits"  # the rate limits' counters (sqlwindows.py)


class Database(abc.ABC):
    """One SQL database: connections per thread, transactions, the schema and sessions."""

    shared = True
    serial_key = "SERIAL PRIMARY KEY"  # the column type of ``seq``

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = _without_password(url)
        self._local = threading.local()
        self._connections: list[Any] = []
        self._guard = threading.Lock()
        self._prepare()

    # ------------------------------------------------------------- per dialect
    @abc.abstractmethod
    def _connect(self) -> Any:
        """A new connection, in autocommit mode (``transaction`` begins and ends its own)."""

    @abc.abstractmethod
    def _begin(self, conn: Any, key: str) -> None:
        """Begin a transaction holding the write lock of partition ``key``."""

    def _usable(self, conn: Any) -> bool:
        return True

    def _sql(self, statement: str) -> str:
        return statement

    # ------------------------------------------------------------- connections
    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or not self._usable(conn):
            conn = self._local.conn = self._connect()
            with self._guard:
                self._connections.append(conn)
        return conn

    def execute(self, statement: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection().execute(self._sql(statement), tuple(params))
        return cursor.fetchall() if cursor.description else []

    def execute_many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.connection().cursor().executemany(self._sql(statement), rows)

    @contextmanager
    def transaction(self, key: str = "") -> Iterator[None]:
        """A transaction holding the write lock of partition ``key`` (joins an outer one)."""
        local = self._local
        if getattr(local, "depth", 0):
            local.depth += 1
            try:
                yield
            finally:
                local.depth -= 1
            return
        conn = self.connection()
        self._begin(conn, key)
        local.depth = 1
        try:
            yield
        except BaseException:
            local.depth = 0
            self._end(conn, "ROLLBACK")
            raise
        local.depth = 0
        self._end(conn, "COMMIT")

    def _end(self, conn: Any, verb: str) -> None:
        conn.execute(verb)

    def in_transaction(self) -> bool:
        return bool(getattr(self._local, "depth", 0))

    def close(self) -> None:
        with self._guard:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(Exception):  # at shutdown: nothing to do about a broken one
                conn.close()
        self._local = threading.local()

    # ------------------------------------------------------------- schema
    def _prepare(self) -> None:
        """Create the tables in an empty database; refuse one of another schema version."""
        try:
            with self.transaction("understudy/schema"):
                tables = self._tables()
                if VERSION not in tables:
                    if RECORDS in tables:
                        raise StoreError(f"{self.name} has understudy tables but no schema version")
                    self._create()
                    return
                found = self.execute(f"SELECT version FROM {VERSION}")
                if found and found[0][0] == 1:  # only a table added since: add it
                    self._create_hits()
                    self.execute(f"UPDATE {VERSION} SET version = ?", (SCHEMA_VERSION,))
                    return
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot use {self.name}: {_first_line(exc)}") from exc
        version = found[0][0] if found else None
        if version == SCHEMA_VERSION and HITS not in tables:
            raise StoreError(f"{self.name} lacks the table {HITS} of schema version {version}")
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.name} holds an understudy store of schema version {version}; this "
                f"understudy uses version {SCHEMA_VERSION}: use a new database, or move the "
                "data with GET /__understudy/snapshot on the old version and PUT on the new"
            )

    @abc.abstractmethod
    def _tables(self) -> set[str]:
        """The names of the tables in the database's current schema."""

    def _create(self) -> None:
        for statement in (
            f"CREATE TABLE {VERSION} (version INTEGER NOT NULL)",
            f"""CREATE TABLE {RECORDS} (
                seq {self.serial_key},
                surface TEXT NOT NULL,
                session TEXT NOT NULL,
                collection TEXT NOT NULL,
                id TEXT NOT NULL,
                scope TEXT,
                document TEXT NOT NULL,
                UNIQUE (surface, session, collection, id))""",
            f"CREATE INDEX {RECORDS}_scope ON {RECORDS} (surface, session, collection, scope)",
            f"""CREATE TABLE {SESSIONS} (
                name TEXT PRIMARY KEY, created_at TEXT NOT NULL, last_used TEXT NOT NULL)""",
        ):
            self.execute(statement)
        self._create_hits()
        self.execute(f"INSERT INTO {VERSION} (version) VALUES (?)", (SCHEMA_VERSION,))

    def _create_hits(self) -> None:
        """One row per request a rate limit let through, until ``expires`` (seconds of the
        shared clock) has passed."""
        self.execute(
            f"""CREATE TABLE {HITS} (rate_key TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
                expires DOUBLE PRECISION NOT NULL)"""
        )
        self.execute(f"CREATE INDEX {HITS}_key ON {HITS} (rate_key, at)")
        self.execute(f"CREATE INDEX {HITS}_expires ON {HITS} (expires)")

    # ------------------------------------------------------------- stores and sessions
    def store(self, surface: str, scope_field: str | None) -> SqlStore:
        return SqlStore(self, surface, scope_field)

    def open_session(self, name: str, seed: Callable[[], None]) -> bool:
        """Register ``name`` and ``seed`` it in one transaction on first use (True), so that a
        worker racing to the same new session waits and then sees it seeded."""
        now = _now()
        with self.transaction(name):
            if self.execute(f"SELECT 1 FROM {SESSIONS} WHERE name = ?", (name,)):
                self.execute(f"UPDATE {SESSIONS} SET last_used = ? WHERE name = ?", (now, name))
                return False
            seed()
            self.execute(
                f"INSERT INTO {SESSIONS} (name, created_at, last_used) VALUES (?, ?, ?)",
                (name, now, now),
            )
            return True

    def sessions(self) -> list[dict[str, Any]]:
        rows = self.execute(f"SELECT name, created_at, last_used FROM {SESSIONS} ORDER BY name")
        return [{"name": n, "created_at": c, "last_used": u} for n, c, u in rows]

    def drop_session(self, name: str) -> bool:
        with self.transaction(name):
            self.execute(f"DELETE FROM {RECORDS} WHERE session = ?", (name,))
            return bool(self.execute(f"DELETE FROM {SESSIONS} WHERE name = ? RETURNING 1", (name,)))

    def expire_sessions(self, idle_since: datetime) -> list[str]:
        cutoff = idle_since.isoformat()
        idle = self.execute(f"SELECT name FROM {SESSIONS} WHERE last_used < ?", (cutoff,))
        return [name for (name,) in idle if self.drop_session(name)]


class SqlStore:
    """One surface's records in a ``Database``, in the partition of the current session."""

    def __init__(self, db: Database, surface: str, scope_field: str | None) -> None:
        self.db = db
        self.surface = surface
        self.scope_field = scope_field

    def _where(self) -> tuple[str, tuple[str, str]]:
        return "surface = ? AND session = ?", (self.surface, partition.get())

    def get(self, collection: str, record_id: str) -> Record | None:
        where, params = self._where()
        rows = self.db.execute(
            f"SELECT document FROM {RECORDS} WHERE {where} AND collection = ? AND id = ?",
            (*params, collection, str(record_id)),
        )
        return json.loads(rows[0][0]) if rows else None

    def put(self, collection: str, record_id: str, record: Record) -> None:
        row = self._row(collection, record_id, record)  # refuses before anything is written
        with self._writing():
            self.db.execute(UPSERT, row)

    def delete(self, collection: str, record_id: str) -> None:
        where, params = self._where()
        with self._writing():
            self.db.execute(
                f"DELETE FROM {RECORDS} WHERE {where} AND collection = ? AND id = ?",
                (*params, collection, str(record_id)),
            )

    def scan(self, collection: str, where: Mapping[str, Any]) -> Iterator[Record]:
        clause, params = self._where()
        sql = f"SELECT document FROM {RECORDS} WHERE {clause} AND collection = ?"
        args: tuple[Any, ...] = (*params, collection)
        if self.scope_field and self.scope_field in where:  # the index narrows it down
            sql += " AND scope = ?"
            args += (_scope(where[self.scope_field]),)
        items = tuple(where.items())
        for (document,) in self.db.execute(sql + " ORDER BY seq", args):
            record = json.loads(document)
            if all(record.get(k) == v for k, v in items):
                yield record

    def transaction(self) -> Any:
        return self.db.transaction(partition.get())

    def dump(self) -> dict[str, list[Record]]:
        where, params = self._where()
        out: dict[str, list[Record]] = {}
        rows = self.db.execute(
            f"SELECT collection, document FROM {RECORDS} WHERE {where} ORDER BY seq", params
        )
        for collection, document in rows:
            out.setdefault(collection, []).append(json.loads(document))
        return out

    def load(self, data: Mapping[str, Iterable[Record]], *, replace: bool = True) -> int:
        """Add (or, with ``replace``, swap in) whole collections; returns records loaded."""
        rows = [
            self._row(name, record["id"], record)
            for name, records in data.items()
            for record in records
        ]
        with self.transaction():
            if replace:
                where, params = self._where()
                self.db.execute(f"DELETE FROM {RECORDS} WHERE {where}", params)
            self.db.execute_many(UPSERT, rows)
        return len(rows)

    def count(self) -> dict[str, int]:
        where, params = self._where()
        rows = self.db.execute(
            f"SELECT collection, COUNT(*) FROM {RECORDS} WHERE {where} GROUP BY collection "
            "ORDER BY MIN(seq)",
            params,
        )
        return {name: n for name, n in rows if not name.startswith("_")}

    def _row(self, collection: str, record_id: str, record: Record) -> tuple[Any, ...]:
        # what cannot be served back is never kept, as in MemoryStore.put: json.dumps would
        # write NaN, or escape a lone surrogate that no client can read back (raises
        # strict_json.NotJSON; a transaction around the write rolls back)
        strict_json.check(record)
        scope = _scope(record[self.scope_field]) if self.scope_field in record else None
        document = json.dumps(record, separators=(",", ":"))
        return (self.surface, partition.get(), collection, str(record_id), scope, document)

    def _writing(self) -> Any:
        """A single write outside a transaction: its own transaction on SQLite, where the
        process lock spares it the file lock's busy-waiting; autocommit on PostgreSQL."""
        if isinstance(self.db, SqliteDatabase) and not self.db.in_transaction():
            return self.transaction()
        return _NOTHING


UPSERT = (
    f"INSERT INTO {RECORDS} (surface, session, collection, id, scope, document) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (surface, session, collection, id) "
    "DO UPDATE SET scope = excluded.scope, document = excluded.document"
)


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NOTHING = _Nothing()


class SqliteDatabase(Database):
    """``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``, in WAL mode: readers
    never wait for the writer, and a commit survives ``kill -9`` (synchronous=NORMAL loses
    nothing but on power loss)."""

    serial_key = "INTEGER PRIMARY KEY"  # the rowid

    def __init__(self, url: str) -> None:
        path = url.split("://", 1)[1]
        path = path[1:] if path.startswith("/") else path  # sqlite:///x.db → x.db
        if not path or path == ":memory:":
            raise StoreError(f"{url}: name a file (sqlite:///state.db), or use --store memory")
        self.path = Path(path)
        # SQLite has one writer at a time: threads of this process queue on this lock instead
        # of polling the file lock (its busy handler sleeps up to 100 ms between tries)
        self._write_lock = threading.Lock()
        super().__init__(url)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=60, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _begin(self, conn: Any, key: str) -> None:
        self._write_lock.acquire()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._write_lock.release()
            raise

    def _end(self, conn: Any, verb: str) -> None:
        try:
            conn.execute(verb)
        finally:
            self._write_lock.release()

    def _tables(self) -> set[str]:
        rows = self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def _prepare(self) -> None:
        if not self.path.parent.is_dir():
            folder = self.path.parent
            raise StoreError(f"cannot use {self.name}: the folder {folder} does not exist")
        super()._prepare()


class PostgresDatabase(Database):
    """``postgresql://USER:PASSWORD@HOST:PORT/DB`` (any libpq URL), through psycopg 3."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        super().__init__(url)

    def _connect(self) -> Any:
        try:
            return self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except self._psycopg.Error as exc:
            raise StoreError(f"cannot reach {self.name}: {_first_line(exc)}") from exc

    def _usable(self, conn: Any) -> bool:
        return not conn.closed and not conn.broken

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def _begin(self, conn: Any, key: str) -> None:
        conn.execute("BEGIN")
        # writers of one partition queue here, in every process and on every host
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_id(key),))

    def _tables(self) -> set[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {name for (name,) in rows}


def _lock_id(key: str) -> int:
    """A partition's advisory lock: a signed 64-bit number from its name."""
    digest = hashlib.blake2b(f"understudy:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _scope(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].strip()


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
