"""The generic behaviours every spec operation binds to: list, get, create, replace, patch,
delete, action, upsert and computed.

A behaviour gets a ``Call`` (the binding, the parameters by their spec names, the body, the
authenticated ``Caller``) and returns a ``Reply``. It knows nothing of HTTP frameworks; what a
surface stamps, scopes and forbids comes from its spec (``mock.binding``). Behaviour that no
declaration can say lives in the surface's ``mock.behaviour.Behaviour``.
"""

from __future__ import annotations

import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from ulid import ULID

from understudy.binding import NO_DEFAULT, Binding, BindingError, Collection, Surface
from understudy.derive import iso, parse_instant
from understudy.mock import envelopes, errors, writes
from understudy.mock.behaviour import Behaviour
from understudy.mock.outbound import Outbound
from understudy.mock.store import AuditedStore, Record, Store

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the surface's credentials say."""

    tenant: str | None = None
    actor: str | None = None
    app: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    binding: Binding
    params: dict[str, Any]
    body: Any
    caller: Caller


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and where it sits in the whole."""

    items: list[T]
    number: int
    size: int
    total: int

    @property
    def has_more(self) -> bool:
        return self.number * self.size < self.total


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


log = logging.getLogger("understudy.mock")
IDEMPOTENCY = "_idempotency"  # the store collection of cached idempotent answers


class Clock:
    """UTC timestamps that strictly increase, so ``updated_at`` always advances."""

    def __init__(self, start: datetime | None = None) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)
        self._fixed = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            now = self._fixed or datetime.now(UTC)
            if now <= self._last:
                now = self._last + timedelta(microseconds=1)
            self._last = now
            if self._fixed:
                self._fixed = now
            return now


def new_id(collection: Collection, moment: datetime) -> str | int:
    if collection.id_style == "integer":  # microseconds: unique per strictly increasing Clock
        return int(moment.timestamp() * 1_000_000)
    if collection.id_style == "hex24":  # a MongoDB ObjectId: 4 bytes of time, 8 random
        return f"{int(moment.timestamp()):08x}{secrets.token_hex(8)}"
    if collection.id_style == "uuid":
        return str(uuid.uuid4())
    ulid = str(ULID.from_datetime(moment))
    return f"{collection.id_prefix}_{ulid}" if collection.id_prefix else ulid


class Engine:
    """One surface's behaviours over a store."""

    def __init__(
        self,
        surface: Surface,
        store: Store,
        clock: Clock | None = None,
        behaviour: Behaviour | None = None,
        outbound: Outbound | None = None,
    ) -> None:
        behaviour = behaviour or Behaviour(surface.name)
        unknown = sorted(
            f"{op} names handler {b.handler!r}"
            for op, b in surface.bindings.items()
            if b.handler and b.handler not in behaviour.handlers
        )
        unknown += [f"observer {n!r}" for n in surface.observe if n not in behaviour.observers]
        unknown += [
            f"authorizer {n!r}" for n in surface.authorize if n not in behaviour.authorizers
        ]
        unknown += [
            f"deriver {n!r}"
            for c in surface.collections.values()
            for n in c.derive
            if n not in behaviour.derivers
        ]
        if unknown:  # a typo or a module not imported: refuse to start rather than answer 501
            raise BindingError(f"{surface.name}: not registered: {'; '.join(unknown)}")
        self.surface = surface
        self.behaviour = behaviour
        self.clock = clock or Clock()
        self.outbound = outbound or Outbound()  # where and how behaviour may call out
        self.next_purge: datetime | None = None  # when expired idempotent answers go next
        self.idempotent_writes = 0
        self.store: Store = (
            AuditedStore(store, surface.audit, self.clock.now) if surface.audit else store
        )
        self._behaviours: dict[str, Callable[[Call], Reply]] = {
            "list": self.list,
            "get": self.get,
            "create": self.create,
            "replace": self.patch,  # PUT merges like PATCH: see openapi/DECISIONS.md
            "patch": self.patch,
            "delete": self.delete,
            "action": self.action,
            "upsert": self.upsert,
            "computed": self.computed,
        }

    def handle(self, call: Call) -> Reply:
        if (
            call.body is not None
            and not isinstance(call.body, Mapping)
            and not call.binding.handler
        ):
            raise errors.BadRequest("The request body must be a JSON object")
        for name in self.surface.authorize:
            self.behaviour.authorizers[name](self, call)
        idempotency = call.binding.options.get("idempotency")
        if idempotency and call.params.get(idempotency["header"]):
            reply = self._idempotent(call, call.params[idempotency["header"]], idempotency["ttl"])
        else:
            reply = self.dispatch(call)
        if reply.status < 400:
            for name in self.surface.observe:
                try:
                    self.behaviour.observers[name](self, call, reply)
                except Exception:  # the write happened: a failing reaction must not undo it
                    log.exception("observer %s failed on %s", name, call.binding.operation_id)
        return reply

    def dispatch(self, call: Call) -> Reply:
        if call.binding.handler or (call.binding.kind == "action" and not call.binding.action):
            return self.computed(call)
        return self._behaviours[call.binding.kind](call)

    def _idempotent(self, call: Call, key: str, ttl: int) -> Reply:
        from understudy.mock import idempotency

        return idempotency.answer(self, call, key, ttl)

    # ---------------------------------------------------------------- reading
    def scope(self, call: Call) -> dict[str, Any]:
        """The field values every record the caller may touch here carries."""
        scope = {k: self.value(v, call.caller, None) for k, v in self.surface.scope.items()}
        scope.update({f: call.params[p] for f, p in call.binding.scope_params.items()})
        return scope

    def visible(
        self, record: Record, call: Call, scope: Mapping[str, Any], *, include_deleted: bool = False
    ) -> bool:
        if any(record.get(k) != v for k, v in scope.items()):
            return False
        app_field = self.surface.app_scope
        if app_field and call.caller.app and record.get(app_field) != call.caller.app:
            return False
        soft = self.surface.soft_delete
        return include_deleted or not (soft and record.get(soft["flag"]))

    def load(self, call: Call, collection: Collection | None = None) -> Record:
        collection = collection or self._collection(call)
        record_id = call.params.get(call.binding.id_param or "")
        if call.binding.options.get("id_from") == "body" and isinstance(call.body, Mapping):
            record_id = call.body.get(collection.id_field)  # PUT /pets with the pet's id in it
        record = self.store.get(collection.name, record_id) if record_id else None
        if record is None or not self.visible(record, call, self.scope(call)):
            raise errors.NotFound(f"No {collection.schema} with id {record_id}")
        return record

    def get(self, call: Call) -> Reply:
        return Reply(200, self.load(call))

    def list(self, call: Call) -> Reply:
        collection = self._collection(call)
        listing = self.surface.listing
        params = call.params
        include_deleted = bool(params.get(listing.get("include_deleted", ""), False))
        scope = self.scope(call)
        records = [
            r
            for r in self.store.scan(collection.name, scope)
            if self.visible(r, call, scope, include_deleted=include_deleted)
        ]
        for flt in call.binding.filters:
            if params.get(flt.param) is not None:
                records = _apply_filter(records, flt.op, flt.field, params[flt.param], collection)
        term = params.get(listing.get("search", ""))
        if term:
            needle = term.casefold()
            records = [
                r
                for r in records
                if any(needle in str(r.get(f) or "").casefold() for f in collection.search)
            ]
        sort = params.get(listing.get("sort", "")) or _column_sort(params, listing)
        sort = sort or collection.default_sort or listing.get("default_sort", "-created_at")
        records = _sorted(records, sort, collection)
        page = self.page(call, records)
        start = (page.number - 1) * page.size
        if call.params.get(listing.get("offset", "")) is not None:  # limit/offset paging
            start = int(call.params[listing["offset"]])
            page = Page(list(records[start : start + page.size]), 1, page.size, len(records))
        envelope = call.binding.options.get("envelope") or listing.get("envelope")
        if not envelope:
            total = listing.get("total_header")
            return Reply(
                call.binding.success, page.items, {total: str(page.total)} if total else {}
            )
        body = envelopes.wrap(
            envelope, page.items, page=page.number, size=page.size, total=page.total, start=start
        )
        return Reply(call.binding.success, body)

    def page(self, call: Call, items: Sequence[T]) -> Page[T]:
        """The page of ``items`` the call asks for, by the operation's declared paging: every
        list pages here, the generic one and the surfaces' handlers alike."""
        paging = call.binding.paging
        source: Any = call.params if paging.source == "query" else call.body or {}
        if paging.at:
            source = source.get(paging.at) or {}
        number = max(int(source.get(paging.page) or paging.first), paging.first)
        size = max(int(source.get(paging.size) or paging.default_size), 1)
        start = (number - paging.first) * size
        return Page(list(items[start : start + size]), number - paging.first + 1, size, len(items))

    # ---------------------------------------------------------------- writing
    def create(self, call: Call, body: Mapping[str, Any] | None = None) -> Reply:
        collection = self._collection(call)
        body = call.body if body is None else body
        now = self.clock.now()
        caller = call.caller
        record: dict[str, Any] = {collection.id_field: new_id(collection, now)}
        record.update(self.scope(call))
        for name, spec_field in collection.fields.items():
            if spec_field.default is not NO_DEFAULT and not spec_field.read_only:
                record[name] = spec_field.default
        for name, value in collection.defaults.items():
            record[name] = self.value(value, caller, now)
        record.update(self.writable(collection, body, call.binding.options.get("accept")))
        missing = [f for f in call.binding.options.get("require", ()) if record.get(f) is None]
        if missing:  # a create whose body the spec leaves optional still needs these
            raise errors.BadRequest(f"{', '.join(missing)} must be given")
        lifecycle = collection.lifecycle
        if lifecycle:
            state = record.get(lifecycle.field, lifecycle.initial)
            if state != lifecycle.initial:
                raise errors.Unprocessable(
                    f"A new {collection.schema} starts as '{lifecycle.initial}', not '{state}'"
                )
            record[lifecycle.field] = lifecycle.initial
        for name, spec_field in collection.fields.items():
            if spec_field.nullable and name not in record:
                record[name] = None
        if self.surface.app_scope and caller.app:
            record[self.surface.app_scope] = caller.app
        record.update(self.stamps(self.surface.create_stamps, caller, now))
        record = self.derive(collection, record)
        self.check_rules(collection, record, call)
        self.store.put(collection.name, record[collection.id_field], record)
        return Reply(call.binding.success, record)

    def patch(self, call: Call) -> Reply:
        collection = self._collection(call)
        with self.store.transaction():
            current = self.load(call)
            return Reply(200, self._update(call, collection, current, call.body or {}))

    def _update(
        self,
        call: Call,
        collection: Collection,
        current: Record,
        body: Mapping[str, Any],
        transition_stamps: Mapping[str, Any] | None = None,
    ) -> Record:
        now = self.clock.now()
        changes = self.writable(collection, body, call.binding.options.get("accept"))
        lifecycle = collection.lifecycle
        stamps = dict(transition_stamps or {})
        if lifecycle and transition_stamps is None and lifecycle.field in changes:
            source, target = current.get(lifecycle.field), changes[lifecycle.field]
            if source != target:
                move = lifecycle.for_move(source, target)
                if move is None or move.action:
                    hint = f"; use the {move.action} action" if move and move.action else ""
                    raise errors.Conflict(
                        f"{collection.schema} cannot move from '{source}' to '{target}'{hint}"
                    )
                stamps = move.stamp
        record = {
            **current,
            **changes,
            **self.stamps(stamps, call.caller, now),
            **self.stamps(self.surface.update_stamps, call.caller, now),
        }
        record = self.derive(collection, record, changes)
        self.check_rules(collection, record, call, changes)
        self.store.put(collection.name, record[collection.id_field], record)
        return record

    def action(self, call: Call) -> Reply:
        collection = self._collection(call)
        lifecycle = collection.lifecycle
        transition = lifecycle.for_action(call.binding.action or "") if lifecycle else None
        assert lifecycle and transition, "checked when the binding was read"
        with self.store.transaction():
            current = self.load(call)
            state = current.get(lifecycle.field)
            if state not in transition.sources:
                raise errors.Conflict(
                    f"Cannot {transition.action} a {collection.schema} whose {lifecycle.field} "
                    f"is '{state}' (only from {', '.join(sorted(transition.sources))})"
                )
            if transition.forbid_self and current.get(transition.forbid_self) == call.caller.actor:
                raise errors.Forbidden(
                    f"The {transition.forbid_self.removesuffix('_id')} cannot {transition.action} "
                    f"their own {collection.schema}"
                )
            body = {**(call.body or {}), lifecycle.field: transition.to}
            return Reply(200, self._update(call, collection, current, body, transition.stamp))

    def delete(self, call: Call) -> Reply:
        collection = self._collection(call)
        with self.store.transaction():
            current = self.load(call)
            soft = self.surface.soft_delete
            if soft:
                now = self.clock.now()
                record = {**current, **self.stamps(soft["stamps"], call.caller, now)}
                self.store.put(collection.name, record[collection.id_field], record)
            else:
                self.store.delete(collection.name, current[collection.id_field])
        if call.binding.options.get("returns") == "record":  # the answer is what was deleted
            return Reply(call.binding.success, current)
        respond = call.binding.options.get("respond")
        if respond and "json" in str(respond.get("media")):  # a user's spec's own answer
            return Reply(call.binding.success, respond.get("body"))
        return Reply(call.binding.success)

    def upsert(self, call: Call) -> Reply:
        """Update the live record whose key fields equal the body's, or create one."""
        collection = self._collection(call)
        body = call.body or {}
        key = {k: self.writable(collection, {k: body.get(k)}).get(k) for k in call.binding.key}
        if None in key.values():  # no key, nothing to match: a plain create
            return Reply(201, self.create(call).body)
        with self.store.transaction():
            scope = self.scope(call)
            match = next(
                (
                    r
                    for r in self.store.scan(collection.name, {**scope, **key})
                    if self.visible(r, call, scope)
                ),
                None,
            )
            if match is None:
                return Reply(201, self.create(call).body)
            return Reply(200, self._update(call, collection, match, body))

    def computed(self, call: Call) -> Reply:
        name = call.binding.handler or ""
        fn = self.behaviour.handlers.get(name)
        if fn is not None:
            return fn(self, call)
        if call.binding.kind == "action" and call.binding.collection and call.binding.id_param:
            return self.set_fields(call)
        raise errors.NotImplementedHere(f"The mock does not implement {name!r} yet")

    def set_fields(self, call: Call) -> Reply:
        """An action that sets fields of one record: the body's writable fields, or the whole
        body into the field the binding names (``into: hourlyRate``)."""
        collection = self._collection(call)
        body = call.body or {}
        into = call.binding.options.get("into")
        with self.store.transaction():
            current = self.load(call)
            changes = {into: body} if into else body
            return Reply(200, self._update(call, collection, current, changes))

    # ---------------------------------------------------------------- helpers
    def value(self, value: Any, caller: Caller, now: datetime | None) -> Any:
        if not (isinstance(value, str) and value.startswith("$")):
            return value
        if value == "$now":
            return iso(now or self.clock.now())
        variables = {"$caller": caller.actor, "$tenant": caller.tenant, "$app": caller.app}
        return variables[value]

    def stamps(self, stamps: Mapping[str, Any], caller: Caller, now: datetime) -> dict[str, Any]:
        return {k: self.value(v, caller, now) for k, v in stamps.items()}

    def writable(
        self, collection: Collection, body: Mapping[str, Any], accept: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """The body's fields a client may set, date-times in UTC; the rest is ignored (and what
        ``mock.writes`` leaves out)."""
        fields = collection.fields
        out = {}
        for name, value in writes.kept(body, accept, collection.hide).items():
            spec_field = fields.get(name)
            if spec_field is None or spec_field.read_only:
                continue
            if spec_field.format == "date-time" and isinstance(value, str):
                value = iso(parse_instant(value).astimezone(UTC))
            out[name] = value
        return out

    def derive(
        self,
        collection: Collection,
        record: dict[str, Any],
        changes: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run the collection's derive hooks; ``changes`` are the fields this write sets
        (None on create), so a hook can tell which of two related fields the client sent."""
        for name in collection.derive:
            record = self.behaviour.derivers[name](record, changes)
        return record

    def check_rules(
        self,
        collection: Collection,
        record: Mapping[str, Any],
        call: Call,
        changes: Mapping[str, Any] | None = None,
    ) -> None:
        """The collection's rules on a record about to be stored; on an update (``changes``)
        only the rules whose fields the update sets: what it leaves alone it cannot break."""
        for rule in collection.rules:
            if changes is not None and not any(f in changes for f in rule.fields):
                continue
            values = [record.get(f) for f in rule.fields]
            if rule.kind == "together" and len({v is None for v in values}) > 1:
                raise self._refusal(f"{' and '.join(rule.fields)} are set together or not at all")
            if rule.kind in ("order", "less") and None not in values:
                low, high = (
                    _comparable(collection, f, v) for f, v in zip(rule.fields, values, strict=True)
                )
                first, second = rule.fields
                if rule.kind == "order" and low > high:
                    raise self._refusal(f"{second} must not be before {first}")
                if rule.kind == "less" and low >= high:
                    raise self._refusal(f"{first} must be below {second}")
            if rule.kind == "refers" and values[0] is not None:
                target = self.surface.collections[rule.target or ""]
                other = self.store.get(target.name, values[0])
                if other is None or not self.visible(other, call, self.scope(call)):
                    raise self._refusal(f"{rule.fields[0]} names no {target.schema}: {values[0]}")

    def _refusal(self, detail: str) -> errors.ApiError:
        """A broken rule, in the surface's own refusal status (EDM 422, Clockify 400)."""
        if 422 in self.surface.refusals:
            return errors.Unprocessable(detail)
        return errors.BadRequest(detail)

    def _collection(self, call: Call) -> Collection:
        collection = call.binding.collection
        assert collection is not None, "checked when the binding was read"
        return collection


def _comparable(collection: Collection, name: str, value: Any) -> Any:
    spec_field = collection.fields.get(name)
    if spec_field and spec_field.format == "date-time" and isinstance(value, str):
        return _instant_key(value)
    return value


def _instant_key(value: str) -> str:
    """A sortable key for an instant. Instants the mock stores are UTC with a ``Z`` (see
    ``Engine.writable``); padding the fraction makes them compare as strings, which is ~20x
    cheaper than parsing each one when a list sorts thousands."""
    if len(value) >= 20 and value.endswith("Z") and value[10] == "T":
        seconds, _, fraction = value[:-1].partition(".")
        return f"{seconds}.{fraction.ljust(6, '0')}"
    return _instant_key(iso(parse_instant(value).astimezone(UTC)))


def _apply_filter(
    records: Iterable[Record], op: str, name: str, wanted: Any, collection: Collection
) -> list[Record]:
    if op == "present":
        return [r for r in records if (r.get(name) is not None) == bool(wanted)]
    if op == "in":  # a list parameter: any of its values (?status=a&status=b)
        options = {_comparable(collection, name, v) for v in wanted}
        return [r for r in records if _comparable(collection, name, r.get(name)) in options]
    if op == "contains":
        needle = str(wanted).casefold()
        return [r for r in records if needle in str(r.get(name) or "").casefold()]
    wanted = _comparable(collection, name, wanted)
    if op == "eq":
        return [r for r in records if _comparable(collection, name, r.get(name)) == wanted]
    keep = []
    for r in records:
        value = r.get(name)
        if value is None:
            continue
        value = _comparable(collection, name, value)
        if (op == "gte" and value >= wanted) or (op == "lte" and value <= wanted):
            keep.append(r)
    return keep


def _column_sort(params: Mapping[str, Any], listing: Mapping[str, Any]) -> str | None:
    """Sort given as a column and an order (Clockify's ``sort-column``/``sort-order``)."""
    column = params.get(listing.get("sort_column", ""))
    if not column:
        return None
    descending = str(params.get(listing.get("sort_order", ""), "")).upper().startswith("DESC")
    return ("-" if descending else "") + str(column)


def _sorted(records: list[Record], sort: str, collection: Collection) -> list[Record]:
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in collection.fields:  # an enum like CLIENT_NAME names the field clientName
        head, *rest = name.lower().split("_")
        name = head + "".join(part.title() for part in rest)
    present = [r for r in records if r.get(name) is not None]
    missing = [r for r in records if r.get(name) is None]
    id_field = collection.id_field
    present.sort(
        key=lambda r: (_comparable(collection, name, r[name]), r[id_field]), reverse=descending
    )
    return present + missing
