"""The rules a schema cannot express, each a named check.

Every check works from the spec alone — its ``x-understudy`` declarations say which
operations create, read, list, update, delete and act on a collection, how records are
scoped and stamped, and which lifecycle they follow — so it verifies ANY implementation of
the surface. Request bodies are the spec's own examples. A check runs per collection and
raises ``Violation`` with what it saw; the requests it sent become the failure's ``curl``.

Register more with ``@semantic("name")``; a check gets a ``Context`` and a ``Plan``.
"""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from understudy import binding, specs
from understudy.contracts.probe import Probe
from understudy.errors import UnderstudyError
from understudy.registry import Registry
from understudy.specs import properties

GONE = (404, 410)
REFUSED = (403, 404)  # what another tenant may hear about a record it cannot see


class Violation(UnderstudyError):
    """The implementation broke the rule; the message says how."""


class Skip(Exception):
    """The check cannot run on this collection (no such operation, no credentials, ...)."""


@dataclass
class Plan:
    """The operations of one collection, as the spec binds them."""

    collection: binding.Collection
    create: binding.Binding | None = None
    get: binding.Binding | None = None
    list: binding.Binding | None = None
    update: binding.Binding | None = None
    delete: binding.Binding | None = None
    actions: dict[str, binding.Binding] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.collection.name

    @property
    def label(self) -> str:
        op = self.create or self.get or self.list
        return f"{self.name} ({op.method} {op.path})" if op else self.name


@dataclass
class Context:
    spec: dict[str, Any]
    surface: binding.Surface
    a: Probe
    b: Probe | None
    params: dict[str, str] = field(default_factory=dict)  # fixed values, over the examples

    def claims(self) -> dict[str, Any]:
        """The bearer token's claims of identity A (not verified: only to predict stamps)."""
        header = self.a.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or header.count(".") != 2:
            return {}
        payload = header.split(".")[1]
        try:
            decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}

    # ------------------------------------------------------------ requests by binding
    def path_values(self, op: binding.Binding) -> dict[str, str]:
        """The operation's path parameters: fixed by the caller, else the spec's examples."""
        found = {}
        raw = self.spec["paths"][op.path]
        method = raw[op.method.lower()]
        for param in (*raw.get("parameters", ()), *method.get("parameters", ())):
            param = specs.resolve(self.spec, param)
            if param["in"] == "path":
                schema = specs.resolve(self.spec, param.get("schema", {}))
                value = self.params.get(param["name"], param.get("example", schema.get("example")))
                if value is not None:
                    found[param["name"]] = str(value)
        return found

    def path(self, op: binding.Binding, record_id: str | None = None) -> str:
        values = self.path_values(op)
        if op.id_param and record_id is not None:
            values[op.id_param] = record_id
        path = op.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path

    def example_body(self, op: binding.Binding) -> dict[str, Any]:
        raw = self.spec["paths"][op.path][op.method.lower()]
        content = specs.resolve(self.spec, raw.get("requestBody", {})).get("content", {})
        media = content.get("application/json", {})
        example = media.get("example")
        if example is None:
            example = specs.resolve(self.spec, media.get("schema", {})).get("example")
        if not isinstance(example, dict):
            raise Skip(f"{op.operation_id} has no request body example to create a record with")
        body = copy.deepcopy(example)
        props = properties(self.spec, media.get("schema", {}))
        for name in op.key:  # a fresh key, so that an upsert creates
            value = body.get(name, specs.resolve(self.spec, props.get(name, {})).get("example"))
            if isinstance(value, dict):
                body[name] = _suffixed(value)
        return body

    def create(self, plan: Plan, probe: Probe | None = None) -> dict[str, Any]:
        if plan.create is None:
            raise Skip(f"{plan.name} has no create operation")
        probe = probe or self.a
        op = plan.create
        answer = probe.request(op.method, self.path(op), json_body=self.example_body(op))
        expect(answer, (200, 201), f"create {plan.name} with the spec's example")
        record = answer.json()
        if not isinstance(record, dict) or plan.collection.id_field not in record:
            raise Violation(f"create {plan.name}: no {plan.collection.id_field} in the answer")
        return record

    def fetch(self, plan: Plan, record_id: str, probe: Probe | None = None) -> httpx.Response:
        if plan.get is None:
            raise Skip(f"{plan.name} has no get operation")
        return (probe or self.a).request("GET", self.path(plan.get, record_id))

    def listed(
        self, plan: Plan, record_id: str, probe: Probe | None = None, pages: int = 10
    ) -> bool:
        """Whether the record appears in the collection's list (first ``pages`` pages)."""
        if plan.list is None:
            raise Skip(f"{plan.name} has no list operation")
        listing = self.surface.listing
        probe = probe or self.a
        declared = _query_params(self.spec, plan.list)
        paged = listing.get("page") in declared
        size = _max_page_size(self.spec, plan.list, listing.get("page_size"))
        for page in range(1, pages + 1):
            params = {}
            if paged:
                params[listing["page"]] = page
            if listing.get("page_size") in declared and size:
                params[listing["page_size"]] = size
            answer = probe.request("GET", self.path(plan.list), params=params)
            expect(answer, (200,), f"list {plan.name}")
            body = answer.json()
            envelope = listing.get("envelope")
            records = body.get(envelope["data"], []) if envelope else body
            if any(r.get(plan.collection.id_field) == record_id for r in records):
                return True
            if not records or not paged:
                return False
        return False

    def total(self, plan: Plan) -> int:
        """How many records the collection's list holds for identity A."""
        if plan.list is None:
            raise Skip(f"{plan.name} has no list operation")
        listing = self.surface.listing
        declared = _query_params(self.spec, plan.list)
        params = {listing["page_size"]: 1} if listing.get("page_size") in declared else {}
        answer = self.a.request("GET", self.path(plan.list), params=params)
        expect(answer, (200,), f"list {plan.name}")
        if listing.get("total_header"):
            return int(answer.headers[listing["total_header"]])
        envelope = listing.get("envelope")
        if envelope:
            return int(answer.json()[envelope["pagination"]]["total"])
        raise Skip(f"{plan.name}: its list reports no total")

    def touch(
        self, plan: Plan, record: dict[str, Any], probe: Probe | None = None
    ) -> httpx.Response:
        """An update that changes nothing: rewrite one writable field with its own value."""
        if plan.update is None:
            raise Skip(f"{plan.name} has no update operation")
        body = self.example_body(plan.create) if plan.create else {}
        lifecycle = plan.collection.lifecycle
        fields = [
            k
            for k in body
            if k in record
            and k in plan.collection.writable
            and not (lifecycle and k == lifecycle.field)
            and k not in plan.update.key
        ]
        if not fields:
            raise Skip(f"{plan.name}: no writable field to update")
        patch = {fields[0]: record[fields[0]]}
        return (probe or self.a).request(
            plan.update.method,
            self.path(plan.update, record[plan.collection.id_field]),
            json_body=patch,
        )


def expect(answer: httpx.Response, statuses: tuple[int, ...], what: str) -> None:
    if answer.status_code not in statuses:
        wanted = " or ".join(str(s) for s in statuses)
        raise Violation(f"{what}: expected {wanted}, got {answer.status_code} {_excerpt(answer)}")


def _excerpt(answer: httpx.Response) -> str:
    text = answer.text.strip().replace("\n", " ")
    return text[:240] + ("…" if len(text) > 240 else "")


def _suffixed(value: Any) -> Any:
    token = uuid.uuid4().hex[:10]
    if isinstance(value, dict):
        return {k: f"{v}-{token}" if isinstance(v, str) else v for k, v in value.items()}
    return value


def _query_params(spec: dict[str, Any], op: binding.Binding) -> dict[str, dict[str, Any]]:
    """The operation's query parameters by name (path-level ones included)."""
    item = spec["paths"][op.path]
    params = (*item.get("parameters", ()), *item[op.method.lower()].get("parameters", ()))
    resolved = (specs.resolve(spec, p) for p in params)
    return {p["name"]: p for p in resolved if p["in"] == "query"}


def _max_page_size(spec: dict[str, Any], op: binding.Binding, name: str | None) -> int | None:
    param = _query_params(spec, op).get(name or "")
    return specs.resolve(spec, param.get("schema", {})).get("maximum") if param else None


def plans(surface: binding.Surface) -> list[Plan]:
    found: dict[str, Plan] = {}
    for op in surface.bindings.values():
        if op.collection is None or op.handler:
            continue
        plan = found.setdefault(op.collection.name, Plan(op.collection))
        if op.kind in ("create", "upsert") and plan.create is None:
            plan.create = op
        elif op.kind == "get":
            plan.get = op
        elif op.kind == "list":
            plan.list = op
        elif op.kind in ("patch", "replace") and (plan.update is None or op.kind == "patch"):
            plan.update = op
        elif op.kind == "delete":
            plan.delete = op
        elif op.kind == "action" and op.action:
            plan.actions[op.action] = op
    return list(found.values())


# ---------------------------------------------------------------- the registry
CheckFn = Callable[[Context, Plan], None]
REGISTRY: Registry[CheckFn] = Registry("semantic check")


def semantic(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check ``(ctx, plan)`` that raises ``Violation``; a name is taken once."""
    return REGISTRY.register(name)


@semantic("tenant_isolation")
def tenant_isolation(ctx: Context, plan: Plan) -> None:
    """What tenant A created, tenant B cannot read, list, change or delete."""
    if ctx.b is None:
        raise Skip("no credentials of a second tenant (--other-token / --other-header)")
    record = ctx.create(plan)
    record_id = record[plan.collection.id_field]
    if plan.get:
        expect(ctx.fetch(plan, record_id, ctx.b), REFUSED, "tenant B reads A's record")
    if plan.list and ctx.listed(plan, record_id, ctx.b):
        raise Violation(f"tenant B lists A's record {record_id}")
    if plan.update:
        expect(ctx.touch(plan, record, ctx.b), REFUSED, "tenant B updates A's record")
    for action, op in plan.actions.items():
        answer = ctx.b.request(op.method, ctx.path(op, record_id))
        expect(answer, REFUSED, f"tenant B runs {action} on A's record")
    if plan.delete:
        answer = ctx.b.request(plan.delete.method, ctx.path(plan.delete, record_id))
        expect(answer, REFUSED, "tenant B deletes A's record")
    if plan.get:
        after = ctx.fetch(plan, record_id)
        expect(after, (200,), "tenant A reads its record after B's attempts")
        if after.json() != record:
            raise Violation(f"tenant B's attempts changed A's record {record_id}")


@semantic("server_stamps")
def server_stamps(ctx: Context, plan: Plan) -> None:
    """Tenant and creator come from the token; created_at never changes; updated_at
    advances on update."""
    surface = ctx.surface
    created = [k for k, v in surface.create_stamps.items() if v == "$now"]
    updated = [k for k, v in surface.update_stamps.items() if v == "$now"]
    if not created and not updated:
        raise Skip(f"{surface.name} declares no timestamps")
    record = ctx.create(plan)
    claims = ctx.claims()
    expected = {
        "$tenant": claims.get(surface.auth.get("tenant", "")),
        "$caller": claims.get(surface.auth.get("caller", "")),
    }
    stamps = {**surface.scope, **surface.create_stamps}
    for name, variable in stamps.items():
        want = expected.get(variable) if isinstance(variable, str) else None
        if want is not None and name in record and record[name] != want:
            raise Violation(
                f"create {plan.name}: {name} is {record[name]!r}, the token says {want!r}"
            )
    for name in created:
        if not record.get(name):
            raise Violation(f"create {plan.name}: no {name}")
    if plan.update is None:
        return
    # wait long enough for the server's clock resolution to show a change
    time.sleep(0.05 if any("." in str(record.get(n, "")) for n in updated) else 1.05)
    answer = ctx.touch(plan, record)
    expect(answer, (200,), f"update {plan.name}")
    after = answer.json()
    for name in created:
        if name not in updated and after.get(name) != record.get(name):
            raise Violation(
                f"update {plan.name}: {name} changed from {record.get(name)} to {after.get(name)}"
            )
    for name in updated:
        if not (str(after.get(name, "")) > str(record.get(name, ""))):
            raise Violation(
                f"update {plan.name}: {name} did not advance "
                f"({record.get(name)} before, {after.get(name)} after)"
            )


@semantic("soft_delete")
def soft_delete(ctx: Context, plan: Plan) -> None:
    """A deleted record is gone from gets and lists."""
    if plan.delete is None:
        raise Skip(f"{plan.name} has no delete operation")
    record = ctx.create(plan)
    record_id = record[plan.collection.id_field]
    answer = ctx.a.request(plan.delete.method, ctx.path(plan.delete, record_id))
    expect(answer, (200, 202, 204), f"delete {plan.name}")
    if plan.get:
        expect(ctx.fetch(plan, record_id), GONE, f"read a deleted {plan.name} record")
    if plan.list and ctx.listed(plan, record_id):
        raise Violation(f"the deleted record {record_id} is still listed")


@semantic("lifecycle")
def lifecycle(ctx: Context, plan: Plan) -> None:
    """New records start in the documented state; each action moves the state as documented;
    an impossible transition is refused (4xx) and changes nothing."""
    cycle = plan.collection.lifecycle
    if cycle is None:
        raise Skip(f"{plan.name} has no lifecycle")
    key = cycle.field
    record = ctx.create(plan)
    if record.get(key) != cycle.initial:
        raise Violation(f"a new {plan.name} record is {record.get(key)!r}, not {cycle.initial!r}")
    record_id = record[plan.collection.id_field]
    caller = ctx.claims().get(ctx.surface.auth.get("caller", ""))

    def state() -> Any:
        answer = ctx.fetch(plan, record_id)
        expect(answer, (200,), f"read {plan.name}")
        return answer.json().get(key)

    # impossible: actions whose sources exclude the initial state, and updates of the status
    # to a state no transition reaches from it
    for action, op in plan.actions.items():
        move = cycle.for_action(action)
        if move and cycle.initial not in move.sources:
            answer = ctx.a.request(op.method, ctx.path(op, record_id))
            if answer.is_success:
                raise Violation(
                    f"{action} on a {cycle.initial} {plan.name} record was accepted "
                    f"({answer.status_code}); documented only from {sorted(move.sources)}"
                )
            if plan.get and state() != cycle.initial:
                raise Violation(f"a refused {action} changed the state of {record_id}")
    states = {cycle.initial} | {t.to for t in cycle.transitions}
    reachable = {t.to for t in cycle.transitions if cycle.initial in t.sources}
    field_info = plan.collection.fields.get(key)
    if plan.update and field_info and not field_info.read_only:
        for target in sorted(states - reachable - {cycle.initial}):
            answer = ctx.a.request(
                plan.update.method, ctx.path(plan.update, record_id), json_body={key: target}
            )
            if answer.is_success:
                raise Violation(
                    f"moving a {cycle.initial} {plan.name} record to {target!r} was accepted "
                    f"({answer.status_code}); no documented transition does that"
                )
            break
    # possible: walk to each action's source state and run it
    for action, op in plan.actions.items():
        move = cycle.for_action(action)
        if move is None:
            continue
        fresh = ctx.create(plan)
        fresh_id = fresh[plan.collection.id_field]
        if move.forbid_self and fresh.get(move.forbid_self) == caller:
            continue  # the caller may not act on their own record; nothing to learn here
        route = []
        if cycle.initial not in move.sources:
            route = min(
                (cycle.route(cycle.initial, s) for s in move.sources),
                key=lambda r: len(r) or 99,
            )
            if not route or plan.update is None:
                continue
        for step in route:
            if step.action and step.action in plan.actions:
                step_op = plan.actions[step.action]
                answer = ctx.a.request(step_op.method, ctx.path(step_op, fresh_id))
            elif plan.update:
                answer = ctx.a.request(
                    plan.update.method,
                    ctx.path(plan.update, fresh_id),
                    json_body={key: step.to},
                )
            else:
                break
            expect(answer, (200,), f"move {plan.name} to {step.to}")
        answer = ctx.a.request(op.method, ctx.path(op, fresh_id))
        expect(answer, (200, 201), f"{action} a {plan.name} record in {sorted(move.sources)}")
        moved = answer.json()
        if moved.get(key) != move.to:
            raise Violation(f"{action} left {plan.name} in {moved.get(key)!r}, not {move.to!r}")
        missing = [f for f in move.stamp if moved.get(f) in (None, "")]
        if missing:
            raise Violation(f"{action} did not stamp {', '.join(missing)}")


@semantic("idempotency")
def idempotency(ctx: Context, plan: Plan) -> None:
    """A repeat with the same Idempotency-Key answers the same and writes nothing; the key
    with another body is refused; concurrent repeats write once."""
    op = plan.create
    option = op.options.get("idempotency") if op else None
    if op is None or not option:
        raise Skip(f"{plan.name}: its create takes no idempotency key")
    header = option["header"]
    body = ctx.example_body(op)
    key = {header: f"understudy-{uuid.uuid4()}"}
    before = ctx.total(plan)
    first = ctx.a.request(op.method, ctx.path(op), json_body=body, headers=key)
    expect(first, (200, 201), f"create {plan.name} with {header}")
    again = ctx.a.request(op.method, ctx.path(op), json_body=body, headers=key)
    if (again.status_code, again.json()) != (first.status_code, first.json()):
        raise Violation(
            f"a repeat with the same {header} answered {again.status_code} with another body "
            f"(first answer: {first.status_code})"
        )
    if ctx.total(plan) != before + 1:
        raise Violation(f"two requests with one {header} did not create exactly one record")
    other = dict(body)
    other.update(_changed(ctx.spec, plan, body))
    reuse = ctx.a.request(op.method, ctx.path(op), json_body=other, headers=key)
    if reuse.is_success:
        raise Violation(f"the same {header} with another body was accepted ({reuse.status_code})")
    # concurrent repeats of a fresh key and body
    body = ctx.example_body(op)
    key = {header: f"understudy-{uuid.uuid4()}"}
    before = ctx.total(plan)
    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(
                lambda _: ctx.a.request(op.method, ctx.path(op), json_body=body, headers=key),
                range(10),
            )
        )
    if len({(a.status_code, a.text) for a in answers if a.is_success}) > 1:
        raise Violation(f"10 concurrent requests with one {header} got different answers")
    if ctx.total(plan) != before + 1:
        raise Violation(f"10 concurrent requests with one {header} did not create exactly one")


@semantic("upsert")
def upsert(ctx: Context, plan: Plan) -> None:
    """A write whose key already exists updates that record instead of creating another."""
    op = plan.create
    if op is None or op.kind != "upsert" or not op.key:
        raise Skip(f"{plan.name} has no upsert")
    body = ctx.example_body(op)
    first = ctx.a.request(op.method, ctx.path(op), json_body=body)
    expect(first, (200, 201), f"upsert {plan.name}")
    before = ctx.total(plan)
    changes = _changed(ctx.spec, plan, body)
    second = ctx.a.request(op.method, ctx.path(op), json_body={**body, **changes})
    expect(second, (200,), f"upsert {plan.name} again with the same {', '.join(op.key)}")
    id_field = plan.collection.id_field
    if second.json().get(id_field) != first.json().get(id_field):
        raise Violation(f"the same {', '.join(op.key)} gave another record")
    for name, value in changes.items():
        if second.json().get(name) != value:
            raise Violation(f"the upsert did not update {name}")
    if ctx.total(plan) != before:
        raise Violation(f"an upsert with an existing {', '.join(op.key)} created a record")


def _changed(spec: dict[str, Any], plan: Plan, body: dict[str, Any]) -> dict[str, Any]:
    """One plain text field of ``body`` with another valid value."""
    schema = spec["components"]["schemas"][plan.collection.schema]
    props = properties(spec, schema)
    keys = set(plan.create.key) if plan.create else set()
    for name, value in body.items():
        prop = specs.resolve(spec, props.get(name, {}))
        plain = not ({"enum", "pattern", "format"} & set(prop))
        if isinstance(value, str) and name not in keys and plain and prop.get("type") == "string":
            limit = prop.get("maxLength", 10_000)
            return {name: (value + " (changed)")[:limit] if limit > 9 else value[::-1]}
    raise Skip(f"{plan.name}: no plain text field to change")
