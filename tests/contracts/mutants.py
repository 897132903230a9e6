"""The bugs the mutation suite plants: each a function ``(mock, monkeypatch)`` that breaks
the live mock in this process — its engine, a surface's handlers or derivers, the request
validator — through ``monkeypatch``, so that the break is undone after the test."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from understudy.mock import engine as engine_module
from understudy.mock import errors
from understudy.mock.app import Mock
from understudy.mock.engine import Call, Engine, Reply, parse_instant
from understudy.mock.surfaces.clockify import shared as clockify_shared

Patch = Callable[[Mock, pytest.MonkeyPatch], None]


def engine(mock: Mock, surface: str = "edm") -> Engine:
    return next(m.engine for m in mock.mounted if m.mount.surface == surface)


def wrap_behaviour(
    mock: Mock, monkeypatch: pytest.MonkeyPatch, kind: str, change: Callable[..., Reply]
) -> None:
    """Replace the ``kind`` behaviour with ``change(original, call)``."""
    eng = engine(mock)
    original = eng._behaviours[kind]
    monkeypatch.setitem(eng._behaviours, kind, lambda call: change(original, call))


def with_params(call: Call, **params: Any) -> Call:
    return dataclasses.replace(call, params={**call.params, **params})


# ---------------------------------------------------------------- list semantics
def ignore_billable_filter(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        return (
            list(records) if name == "billable" else original(records, op, name, wanted, collection)
        )

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def exclusive_ranges(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        kept = original(records, op, name, wanted, collection)
        if op not in ("gte", "lte"):
            return kept
        bound = engine_module._comparable(collection, name, wanted)
        return [r for r in kept if engine_module._comparable(collection, name, r[name]) != bound]

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def ignore_date_to(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        if op == "lte" and name == "date":
            return list(records)
        return original(records, op, name, wanted, collection)

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def inverted_presence(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        if op == "present":
            wanted = not wanted
        return original(records, op, name, wanted, collection)

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def search_ignores_term(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    wrap_behaviour(mock, monkeypatch, "list", lambda orig, call: orig(with_params(call, q=None)))


def search_every_tenant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """``q`` runs a query of its own that forgets the tenant (a cross-tenant leak)."""
    eng = engine(mock)
    original = eng.scope

    def scope(call: Call) -> dict[str, Any]:
        if call.binding.kind == "list" and call.params.get("q"):
            return {}
        return original(call)

    monkeypatch.setattr(eng, "scope", scope)


def default_sort_oldest_first(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default order, ``-created_at``, comes out oldest first."""

    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        newest_first = call.params.get("sort") in (None, "-created_at")
        return orig(with_params(call, sort="created_at") if newest_first else call)

    wrap_behaviour(mock, monkeypatch, "list", change)


def sort_ignores_direction(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._sorted
    monkeypatch.setattr(
        engine_module, "_sorted", lambda records, sort, c: original(records, sort.lstrip("-"), c)
    )


def page_two_repeats(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offset computed as (page - 1) * size - 1: page 2 repeats page 1's last record."""

    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        page, size = int(call.params.get("page") or 1), int(call.params.get("page_size") or 50)
        if page < 2:
            return orig(call)
        whole = orig(with_params(call, page=1, page_size=page * size + size))
        data = whole.body["data"]
        start = (page - 1) * size - 1
        whole.body["data"] = data[start : start + size]
        whole.body["pagination"].update(page=page, page_size=size)
        return whole

    wrap_behaviour(mock, monkeypatch, "list", change)


def total_counts_deleted(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The count query forgets the soft-delete flag the page query applies."""

    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        reply = orig(call)
        everything = orig(with_params(call, include_deleted=True))
        reply.body["pagination"]["total"] = everything.body["pagination"]["total"]
        return reply

    wrap_behaviour(mock, monkeypatch, "list", change)


def has_more_never(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        reply = orig(call)
        reply.body["pagination"]["has_more"] = False
        return reply

    wrap_behaviour(mock, monkeypatch, "list", change)


def tracker_total_is_page_length(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock, "tracker")
    original = eng._behaviours["list"]

    def listing(call: Call) -> Reply:
        reply = original(call)
        reply.headers["X-Total-Count"] = str(len(reply.body))
        return reply

    monkeypatch.setitem(eng._behaviours, "list", listing)


# ---------------------------------------------------------------- isolation
def scope_dropped_when(test: Callable[[Call], bool]) -> Patch:
    def plant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
        eng = engine(mock)
        original = eng.scope
        monkeypatch.setattr(eng, "scope", lambda call: {} if test(call) else original(call))

    return plant


def listing_with(*names: str) -> Callable[[Call], bool]:
    return lambda call: call.binding.kind == "list" and any(call.params.get(n) for n in names)


def app_scope_ignored(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock)
    monkeypatch.setattr(eng, "surface", dataclasses.replace(eng.surface, app_scope=None))


def reads_by_id_ignore_tenant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock)
    original = eng.load

    def load(call: Call, collection: Any = None) -> Any:
        if call.binding.kind != "action":
            return original(call, collection)
        collection = collection or eng._collection(call)
        record = eng.store.get(collection.name, call.params.get(call.binding.id_param))
        if record is None:
            raise errors.NotFound("No such record")
        return record

    monkeypatch.setattr(eng, "load", load)


# ---------------------------------------------------------------- updates
def patch_drops_unsent(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATCH writes the whole row from the body: writable fields it was not sent are lost."""
    eng = engine(mock)
    original = eng._update

    def update(call: Call, collection: Any, current: Any, body: Any, stamps: Any = None) -> Any:
        if call.binding.kind == "patch":
            writable = collection.writable
            current = {k: v for k, v in current.items() if k not in writable or k in body}
        return original(call, collection, current, body, stamps)

    monkeypatch.setattr(eng, "_update", update)


def read_only_writable(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The update copies every field of the body, created_by and tenant_id included."""
    eng = engine(mock)
    original = eng._update

    def update(call: Call, collection: Any, current: Any, body: Any, stamps: Any = None) -> Any:
        record = original(call, collection, current, body, stamps)
        forged = {k: v for k, v in body.items() if k in ("created_by", "tenant_id")}
        if forged:
            record = {**record, **forged}
            eng.store.put(collection.name, record[collection.id_field], record)
        return record

    monkeypatch.setattr(eng, "_update", update)


def created_at_restamped(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock)
    stamps = {**eng.surface.update_stamps, "created_at": "$now"}
    monkeypatch.setattr(eng, "surface", dataclasses.replace(eng.surface, update_stamps=stamps))


def maximum_unchecked(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    from connexion.json_schema import Draft4RequestValidator

    from understudy.mock import validators

    monkeypatch.setitem(Draft4RequestValidator.VALIDATORS, "maximum", lambda *args: iter(()))
    monkeypatch.setattr(validators, "_compiled", {})


# ---------------------------------------------------------------- lifecycle and deletion
def deleted_readable(kinds: tuple[str, ...]) -> Patch:
    """``load`` for these kinds of operation forgets the soft-delete flag."""

    def plant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
        eng = engine(mock)
        original = eng.visible

        def visible(record: Any, call: Call, scope: Any, *, include_deleted: bool = False) -> bool:
            include_deleted = include_deleted or call.binding.kind in kinds
            return original(record, call, scope, include_deleted=include_deleted)

        monkeypatch.setattr(eng, "visible", visible)

    return plant


def include_deleted_ignored(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    wrap_behaviour(
        mock, monkeypatch, "list", lambda orig, call: orig(with_params(call, include_deleted=None))
    )


def transition_stamps(change: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Patch:
    """Actions stamp ``change(declared stamps, record)`` instead of what the lifecycle
    declares."""

    def plant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
        eng = engine(mock)
        original = eng._update

        def update(call: Call, collection: Any, current: Any, body: Any, stamps: Any = None) -> Any:
            if stamps:
                stamps = change(dict(stamps), current)
            return original(call, collection, current, body, stamps)

        monkeypatch.setattr(eng, "_update", update)

    return plant


def stamp_in_wrong_field(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    if "approved_at" in stamps:
        stamps["expires_at"] = stamps.pop("approved_at")
    return stamps


def stamp_too_many(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    return {**stamps, "provisioned_at": "$now"} if "approved_at" in stamps else stamps


def requester_as_granter(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    if "granted_by_id" not in stamps:
        return stamps
    return {**stamps, "granted_by_id": record["requester_id"]}


def stale_time(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    if "fulfilled_at" not in stamps:
        return stamps
    return {**stamps, "fulfilled_at": "2026-01-01T00:00:00Z"}  # a default that was never set


# ---------------------------------------------------------------- tracker
def replay_differs(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock, "tracker")
    original = eng._idempotent

    def idempotent(call: Call, key: str, ttl: int) -> Reply:
        reply = original(call, key, ttl)
        if reply.headers.get("Idempotent-Replayed"):
            return Reply(reply.status, {**reply.body, "description": "replayed"}, reply.headers)
        return reply

    monkeypatch.setattr(eng, "_idempotent", idempotent)


def upsert_duplicates(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock, "tracker")
    monkeypatch.setitem(eng._behaviours, "upsert", lambda call: Reply(201, eng.create(call).body))


def truncated_hours(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hours turned into minutes through an int: "2.5" becomes 120 minutes."""
    derivers = engine(mock, "tracker").behaviour.derivers._entries
    original = derivers["tracker.duration"]

    def duration(record: dict[str, Any], changes: Any) -> dict[str, Any]:
        sent = record if changes is None else changes
        if sent.get("minutes") is None and sent.get("hours") is not None:
            return original(record, {"minutes": int(float(sent["hours"])) * 60})
        return original(record, changes)

    monkeypatch.setitem(derivers, "tracker.duration", duration)


def total_minutes_in_duration(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """08:00-09:30 written as PT1H90M: the minutes are the total, not the remainder."""
    original = clockify_shared.duration

    def duration(record: dict[str, Any], changes: Any) -> dict[str, Any]:
        record = original(record, changes)
        interval = record.get("timeInterval") or {}
        if interval.get("end"):
            seconds = (parse_instant(interval["end"]) - parse_instant(interval["start"])).seconds
            wrong = f"PT{seconds // 3600}H{seconds // 60}M"
            record = {**record, "timeInterval": {**interval, "duration": wrong}}
        return record

    monkeypatch.setattr(clockify_shared, "duration", duration)


def prefixless_ids(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module.new_id
    monkeypatch.setattr(
        engine_module, "new_id", lambda c, moment: original(c, moment).split("_")[-1]
    )
