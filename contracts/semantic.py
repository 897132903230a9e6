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
import contextlib
import copy
import json
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
    handled_create: binding.Binding | None = None  # a create with per-surface behaviour

    @property
    def name(self) -> str:
        return self.collection.name

    @property
    def label(self) -> str:
        op = self.create or self.get or self.list or self.handled_create
        return f"{self.name} ({op.method} {op.path})" if op else self.name


@dataclass
class Context:
    spec: dict[str, Any]
    surface: binding.Surface
    a: Probe
    b: Probe | None
    params: dict[str, str] = field(default_factory=dict)  # fixed values, over the examples
    other_app: Probe | None = None  # identity A's tenant, through another application
    # what the check created, deleted afterwards: (probe, plan, id)
    made: list[tuple[Probe, Plan, str]] = field(default_factory=list)
    # the body each record was created with, by id: what a replace sends again of it
    sent: dict[Any, dict[str, Any]] = field(default_factory=dict)

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
            values[op.id_param] = str(record_id)  # integer ids too
        path = op.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path

    def example_body(self, op: binding.Binding) -> dict[str, Any]:
        media = self.body_media(op)
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

    def create(
        self, plan: Plan, probe: Probe | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if plan.create is None:
            raise Skip(f"{plan.name} has no create operation")
        probe = probe or self.a
        op = plan.create
        body = self.example_body(op) if body is None else body
        answer = probe.request(op.method, self.path(op), json_body=body)
        expect(answer, (200, 201), f"create {plan.name} with the spec's example")
        record = answer.json()
        if not isinstance(record, dict) or plan.collection.id_field not in record:
            raise Violation(f"create {plan.name}: no {plan.collection.id_field} in the answer")
        self.made.append((probe, plan, record[plan.collection.id_field]))
        self.sent[record[plan.collection.id_field]] = body
        return record

    def marked(
        self,
        plan: Plan,
        probe: Probe | None = None,
        marker: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """A record whose first writable search field carries a marker (fresh unless given;
        None when the collection declares no such field): ``q=<marker>`` then finds this
        check's records. ``changes`` override fields of the spec's example."""
        if plan.create is None:
            raise Skip(f"{plan.name} has no create operation")
        body = {**self.example_body(plan.create), **(changes or {})}
        marker = marker or "zq" + uuid.uuid4().hex[:12]
        name = self.search_field(plan)
        if name is None:
            return self.create(plan, probe, body), None
        prop = self.body_properties(plan.create).get(name, {})
        limit = int(prop.get("maxLength", 10_000))
        text = str(body.get(name) or "")[: max(0, limit - len(marker) - 1)]
        body[name] = f"{text} {marker}".strip()
        return self.create(plan, probe, body), marker

    def search_field(self, plan: Plan) -> str | None:
        """The first declared search field a client writes as plain text."""
        if plan.create is None or self.surface.listing.get("search") is None:
            return None
        if plan.list and self.surface.listing["search"] not in query_params(self.spec, plan.list):
            return None
        props = self.body_properties(plan.create)
        for name in plan.collection.search:
            prop = props.get(name, {})
            if prop.get("type") == "string" and not {"enum", "pattern", "format"} & set(prop):
                return name
        return None

    def body_media(self, op: binding.Binding) -> dict[str, Any]:
        """The operation's ``application/json`` request body entry (schema, examples; ``{}``
        where it takes none)."""
        raw = self.spec["paths"][op.path][op.method.lower()]
        content = specs.resolve(self.spec, raw.get("requestBody", {})).get("content", {})
        media: dict[str, Any] = content.get("application/json", {})
        return media

    def body_schema(self, op: binding.Binding) -> dict[str, Any]:
        """The operation's JSON request body schema (``{}`` where it takes none)."""
        schema: dict[str, Any] = self.body_media(op).get("schema", {})
        return schema

    def body_properties(self, op: binding.Binding) -> dict[str, dict[str, Any]]:
        """The request body's properties, resolved (through ``allOf``)."""
        props = properties(self.spec, self.body_schema(op))
        return {name: _flat(self.spec, prop) for name, prop in props.items()}

    def cleanup(self) -> None:
        """Delete what the check created (best effort: a failure here is not the check's)."""
        for probe, plan, record_id in reversed(self.made):
            if plan.delete is not None:
                with contextlib.suppress(httpx.HTTPError):
                    probe.request(plan.delete.method, self.path(plan.delete, record_id))
        self.made.clear()

    def page(
        self, plan: Plan, params: dict[str, Any], probe: Probe | None = None
    ) -> tuple[list[dict[str, Any]], int | None, bool | None]:
        """One page of the collection's list: its records, the total and has_more the
        answer reports (None where the surface reports none)."""
        if plan.list is None:
            raise Skip(f"{plan.name} has no list operation")
        listing = self.surface.listing
        answer = (probe or self.a).request("GET", self.path(plan.list), params=params)
        expect(answer, (200,), f"list {plan.name} with {_query(params)}")
        body = answer.json()
        envelope = plan.list.options.get("envelope") or listing.get("envelope")
        total: int | None = None
        has_more: bool | None = None
        if envelope:
            records = body.get(envelope["data"], [])
            pagination = body.get(envelope.get("pagination") or "") or {}
            if not envelope.get("pagination"):
                pagination = body  # the paging fields sit beside the records
            # the names the envelope gives the total and has_more (EDM: those names)
            fields = envelope.get("fields") or {"total": "total", "has_more": "has_more"}
            named = {source: name for name, source in fields.items()}
            total = pagination.get(named.get("total", ""))
            has_more = pagination.get(named.get("has_more", ""))
        else:
            records = body
            header = listing.get("total_header")
            if header and answer.headers.get(header, "").isdigit():
                total = int(answer.headers[header])
        if not isinstance(records, list):
            raise Violation(f"list {plan.name}: the answer holds no list of records")
        return records, total, has_more

    def ids(self, plan: Plan, records: list[dict[str, Any]]) -> list[Any]:
        return [r.get(plan.collection.id_field) for r in records]

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
        declared = query_params(self.spec, plan.list)
        paged = listing.get("page") in declared
        size = max_page_size(self.spec, plan.list, listing.get("page_size"))
        for page in range(1, pages + 1):
            params = {}
            if paged:
                params[listing["page"]] = page
            if listing.get("page_size") in declared and size:
                params[listing["page_size"]] = size
            answer = probe.request("GET", self.path(plan.list), params=params)
            expect(answer, (200,), f"list {plan.name}")
            body = answer.json()
            envelope = plan.list.options.get("envelope") or listing.get("envelope")
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
        declared = query_params(self.spec, plan.list)
        params = {listing["page_size"]: 1} if listing.get("page_size") in declared else {}
        answer = self.a.request("GET", self.path(plan.list), params=params)
        expect(answer, (200,), f"list {plan.name}")
        if listing.get("total_header"):
            return int(answer.headers[listing["total_header"]])
        envelope = plan.list.options.get("envelope") or listing.get("envelope")
        if envelope:
            body = answer.json()
            paging = body[envelope["pagination"]] if envelope.get("pagination") else body
            total = next(
                (
                    k
                    for k, v in (envelope.get("fields") or {"total": "total"}).items()
                    if v == "total"
                ),
                None,
            )
            if total and total in paging:
                return int(paging[total])
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
        patch = self.update_body(plan, record, {fields[0]: record[fields[0]]})
        return (probe or self.a).request(
            plan.update.method,
            self.path(plan.update, record[plan.collection.id_field]),
            json_body=patch,
        )

    def update_body(
        self, plan: Plan, record: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        """What an update sending ``changes`` sends: the changes (PATCH), or the record's
        fields the body takes or requires with the changes over them (PUT replaces the
        whole) and, as a client does, the write-only values it created the record with
        (a read never shows a ``password``, a replace must send it again)."""
        if plan.update is None or plan.update.kind != "replace":
            return changes
        schema = self.body_schema(plan.update)
        names = {*self.body_properties(plan.update), *specs.required(self.spec, schema)}
        kept = {k: record[k] for k in names if record.get(k) is not None}
        sent = self.sent.get(record.get(plan.collection.id_field))
        if sent:
            kept = _with_write_only(self.spec, schema, kept, sent)
        return {**kept, **changes}


def expect(answer: httpx.Response, statuses: tuple[int, ...], what: str) -> None:
    if answer.status_code not in statuses:
        wanted = " or ".join(str(s) for s in statuses)
        raise Violation(f"{what}: expected {wanted}, got {answer.status_code} {_excerpt(answer)}")


def _query(params: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "no parameters"


def _flat(spec: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """A property schema with its ``$ref`` and single-``allOf`` wrappers merged in."""
    node = specs.resolve(spec, prop)
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for part in node.get("allOf", ()) if len(node.get("allOf", ())) == 1 else ():
        merged = {**_flat(spec, part), **merged}
    return merged


def _with_write_only(
    spec: dict[str, Any], schema: Any, body: dict[str, Any], sent: dict[str, Any], depth: int = 0
) -> dict[str, Any]:
    """``body`` with the write-only values of ``sent`` it lacks, at any depth of ``schema``."""
    out = dict(body)
    for name, prop in properties(spec, schema).items():
        flat = _flat(spec, prop)
        if name not in sent:
            continue
        if flat.get("writeOnly") and name not in out:
            out[name] = copy.deepcopy(sent[name])
        elif depth < 8 and isinstance(out.get(name), dict) and isinstance(sent[name], dict):
            out[name] = _with_write_only(spec, prop, out[name], sent[name], depth + 1)
    return out


def _excerpt(answer: httpx.Response) -> str:
    text = answer.text.strip().replace("\n", " ")
    return text[:240] + ("…" if len(text) > 240 else "")


def _suffixed(value: Any) -> Any:
    token = uuid.uuid4().hex[:10]
    if isinstance(value, dict):
        return {k: f"{v}-{token}" if isinstance(v, str) else v for k, v in value.items()}
    return value


def query_params(spec: dict[str, Any], op: binding.Binding) -> dict[str, dict[str, Any]]:
    """The operation's query parameters by name (path-level ones included)."""
    item = spec["paths"][op.path]
    params = (*item.get("parameters", ()), *item[op.method.lower()].get("parameters", ()))
    resolved = (specs.resolve(spec, p) for p in params)
    return {p["name"]: p for p in resolved if p["in"] == "query"}


def max_page_size(spec: dict[str, Any], op: binding.Binding, name: str | None) -> int | None:
    param = query_params(spec, op).get(name or "")
    return specs.resolve(spec, param.get("schema", {})).get("maximum") if param else None


def plans(surface: binding.Surface) -> list[Plan]:
    found: dict[str, Plan] = {}
    for op in surface.bindings.values():
        if op.collection is None:
            continue
        if op.handler:
            # a handler's create still derives what the collection declares: keep it for
            # the checks of derived values, which need nothing else of the plan
            if op.kind in ("create", "upsert") and op.collection.derive:
                plan = found.setdefault(op.collection.name, Plan(op.collection))
                known = plan.handled_create
                if known is None or op.path.count("{") < known.path.count("{"):
                    plan.handled_create = op  # the plainest: fewest path parameters
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
