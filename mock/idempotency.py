"""Idempotency keys (draft-ietf-httpapi-idempotency-key-header), where an operation declares
``idempotency: {header, ttl}``: a repeat of (key, path) within ``ttl`` seconds is answered
from the cache, the key with another body is a 422, and concurrent repeats run one after the
other. Cached answers live in the store (``_idempotency``), so snapshots keep them; they are
forgotten once their ttl is up, and at most ``MAX_IDEMPOTENCY`` are kept per surface.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from understudy.mock import errors
from understudy.mock.engine import IDEMPOTENCY, Call, Reply, iso, parse_instant

if TYPE_CHECKING:
    from understudy.mock.engine import Engine

MAX_IDEMPOTENCY = 10_000  # cached answers per surface (openapi/DECISIONS.md)


def answer(engine: Engine, call: Call, key: str, ttl: int) -> Reply:
    """Answer a repeat of (key, path) within ``ttl`` seconds from the cache, refuse the key
    with another body (422), and run concurrent repeats one after the other."""
    scope = engine.scope(call)
    entry_id = hashlib.sha256(
        json.dumps([scope, call.binding.path, call.params, key], sort_keys=True).encode()
    ).hexdigest()
    fingerprint = hashlib.sha256(json.dumps(call.body, sort_keys=True).encode()).hexdigest()
    with engine.store.transaction():
        now = engine.clock.now()
        cached = engine.store.get(IDEMPOTENCY, entry_id)
        if cached and parse_instant(cached["expires_at"]) > now:
            if cached["fingerprint"] != fingerprint:
                raise errors.Unprocessable(
                    f"Idempotency-Key {key!r} was already used with a different request body"
                )
            return Reply(cached["status"], cached["body"], {"Idempotent-Replayed": "true"})
        reply = engine.dispatch(call)
        engine.store.put(
            IDEMPOTENCY,
            entry_id,
            {
                "id": entry_id,
                "fingerprint": fingerprint,
                "status": reply.status,
                "body": reply.body,
                "expires_at": iso(now + timedelta(seconds=ttl)),
            },
        )
        _forget(engine, now)
        return reply


def _forget(engine: Engine, now: datetime) -> None:
    """Drop the cached answers whose time is up (at most once a minute), and the soonest
    to expire beyond ``MAX_IDEMPOTENCY``: the cache keeps what its ``ttl`` documents, and
    a flood of distinct keys cannot grow it past a bound."""
    if engine.next_purge is None or now >= engine.next_purge:
        engine.next_purge = now + timedelta(seconds=60)
        entries = list(engine.store.scan(IDEMPOTENCY, {}))
        for entry in entries:
            if parse_instant(entry["expires_at"]) <= now:
                engine.store.delete(IDEMPOTENCY, entry["id"])
    engine.idempotent_writes += 1
    if engine.idempotent_writes % 100 == 0:  # the count is a scan: not on every write
        entries = list(engine.store.scan(IDEMPOTENCY, {}))
        entries.sort(key=lambda e: e["expires_at"])
        for entry in entries[: max(0, len(entries) - MAX_IDEMPOTENCY)]:
            engine.store.delete(IDEMPOTENCY, entry["id"])
