"""Update semantics: a partial update changes exactly the fields it sends
(``partial_update``), no write lets a client set what the server stamps or the schema marks
read-only (``read_only_fields``), and the schema's bounds hold on update as on create
(``update_bounds``)."""

from __future__ import annotations

import math
from typing import Any

from understudy import specs
from understudy.contracts.lists import comparable
from understudy.contracts.semantic import Context, Plan, Skip, Violation, expect, semantic
from understudy.specs import properties

FORGED_INSTANT = "2001-02-03T04:05:06Z"


@semantic("partial_update")
def partial_update(ctx: Context, plan: Plan) -> None:
    """PATCH changes the fields sent and keeps every other one (PUT: the fields sent take
    effect); what the answer says is what a get reads back."""
    if plan.update is None:
        raise Skip(f"{plan.name} has no update operation")
    record = ctx.create(plan)
    change = _one_change(ctx, plan, record)
    ((name, value),) = change.items()
    record_id = record[plan.collection.id_field]
    answer = ctx.a.request(
        plan.update.method,
        ctx.path(plan.update, record_id),
        json_body=ctx.update_body(plan, record, change),
    )
    expect(answer, (200,), f"{plan.update.method} {plan.name} with {change}")
    after = answer.json()
    if comparable(plan, name, after.get(name)) != comparable(plan, name, value):
        raise Violation(
            f"{plan.update.method} {name}={value!r} answered {name}={after.get(name)!r}"
        )
    if plan.update.kind == "patch":
        stamped = set(ctx.surface.update_stamps)
        for other, before in record.items():
            if other in stamped or other == name:
                continue
            if other not in after:
                raise Violation(f"PATCH of {name} alone dropped {other} (was {before!r})")
            if after[other] != before:
                raise Violation(
                    f"PATCH of {name} alone changed {other} from {before!r} to {after[other]!r}"
                )
    if plan.get:
        fetched = ctx.fetch(plan, record_id)
        expect(fetched, (200,), f"read {plan.name} after an update")
        read = fetched.json()
        if read != after:
            differs = sorted(k for k in {*after, *read} if read.get(k) != after.get(k))
            raise Violation(
                f"after {plan.update.method} a get reads other values than the answer said: "
                f"{', '.join(differs)}"
            )


@semantic("read_only_fields")
def read_only_fields(ctx: Context, plan: Plan) -> None:
    """A client cannot set ids, scope, server stamps or readOnly fields — sent on create or
    update they are refused or ignored."""
    if plan.create is None:
        raise Skip(f"{plan.name} has no create operation")
    record = ctx.create(plan)
    forged = _forgeries(ctx, plan, record)
    if not forged:
        raise Skip(f"{plan.name}: no server-set field to forge")
    made = ctx.a.request(
        plan.create.method,
        ctx.path(plan.create),
        json_body={**ctx.example_body(plan.create), **forged},
    )
    if made.is_success:
        body = made.json()
        ctx.made.append((ctx.a, plan, body.get(plan.collection.id_field)))
        _not_forged(plan, "create", forged, body)
    if plan.update is None:
        return
    record_id = record[plan.collection.id_field]
    genuine = _one_change(ctx, plan, record)
    answer = ctx.a.request(
        plan.update.method,
        ctx.path(plan.update, record_id),
        json_body=ctx.update_body(plan, record, {**forged, **genuine}),
    )
    if answer.is_success:
        _not_forged(plan, plan.update.method, forged, answer.json())
    if plan.get:
        fetched = ctx.fetch(plan, record_id)
        expect(fetched, (200,), f"read {plan.name} after a forged update")
        _not_forged(plan, plan.update.method, forged, fetched.json())


@semantic("update_bounds")
def update_bounds(ctx: Context, plan: Plan) -> None:
    """Each number's declared minimum and maximum: the bound itself is accepted and one
    step beyond it refused, on create and on update alike."""
    tried = 0
    for kind, op in (("create", plan.create), ("update", plan.update)):
        if op is None:
            continue
        for name, prop, good, bad in _bounds(ctx, plan, op):
            if kind == "create":
                body = ctx.example_body(op)
                accepted = ctx.a.request(op.method, ctx.path(op), json_body={**body, name: good})
                if not accepted.is_success:
                    continue  # refused for another reason: nothing to learn from the bound
                ctx.made.append((ctx.a, plan, accepted.json().get(plan.collection.id_field)))
                body = ctx.example_body(op)
                answer = ctx.a.request(op.method, ctx.path(op), json_body={**body, name: bad})
                if answer.is_success:
                    ctx.made.append((ctx.a, plan, answer.json().get(plan.collection.id_field)))
            else:
                record = ctx.create(plan)
                path = ctx.path(op, record[plan.collection.id_field])
                body = ctx.update_body(plan, record, {name: good})
                if not ctx.a.request(op.method, path, json_body=body).is_success:
                    continue
                body = ctx.update_body(plan, record, {name: bad})
                answer = ctx.a.request(op.method, path, json_body=body)
            tried += 1
            if answer.is_success:
                raise Violation(
                    f"{kind} {plan.name} with {name}={bad} was accepted ({answer.status_code}); "
                    f"the spec bounds it to {_range(prop)}"
                )
            expect(answer, (400, 422, *ctx.surface.refusals), f"{kind} with {name}={bad}")
    if not tried:
        raise Skip(f"{plan.name}: no bounded number to probe")


# ---------------------------------------------------------------- helpers
def _one_change(ctx: Context, plan: Plan, record: dict[str, Any]) -> dict[str, Any]:
    """One writable field of the update body with another valid value: plain text first,
    then a boolean, a number within its bounds, another enum value."""
    assert plan.update is not None
    props = ctx.body_properties(plan.update)
    lifecycle = plan.collection.lifecycle
    ruled = {f for r in plan.collection.rules for f in r.fields} | set(plan.update.key)
    if lifecycle:
        ruled.add(lifecycle.field)
    options = [
        (n, p)
        for n, p in props.items()
        if n in plan.collection.writable and n not in ruled and n in record
    ]
    for name, prop in options:
        if prop.get("type") == "string" and not {"enum", "pattern", "format"} & set(prop):
            limit = int(prop.get("maxLength", 10_000))
            text = str(record.get(name) or "")
            changed = (text + " (changed)")[:limit] if limit > 9 else text[::-1]
            if changed != text and len(changed) >= int(prop.get("minLength", 0)):
                return {name: changed}
    for name, prop in options:
        if prop.get("type") == "boolean" and isinstance(record.get(name), bool):
            return {name: not record[name]}
    for name, prop in options:
        value = record.get(name)
        if prop.get("type") in ("integer", "number") and isinstance(value, (int, float)):
            step = prop.get("multipleOf", 1)
            for candidate in (value + step, value - step):
                if prop.get("minimum", -math.inf) < candidate < prop.get("maximum", math.inf):
                    return {name: candidate}
    for name, prop in options:
        others = [v for v in prop.get("enum", ()) if v not in (None, record.get(name))]
        if others:
            return {name: others[0]}
    raise Skip(f"{plan.name}: no writable field to change")


def _forgeries(ctx: Context, plan: Plan, record: dict[str, Any]) -> dict[str, Any]:
    """Values other than the record's for every field the server sets: read-only fields,
    the scope and the create and update stamps."""
    surface = ctx.surface
    names = {n for n, f in plan.collection.fields.items() if f.read_only}
    names |= set(surface.scope) | set(surface.create_stamps) | set(surface.update_stamps)
    names.add(plan.collection.id_field)
    schema = ctx.spec["components"]["schemas"][plan.collection.schema]
    props = properties(ctx.spec, schema)
    forged: dict[str, Any] = {}
    for name in sorted(names):
        spec_field = plan.collection.fields.get(name)
        if spec_field is None:
            continue
        current = record.get(name)
        example = _example(ctx, props.get(name, {}))
        if spec_field.format == "date-time":
            value: Any = FORGED_INSTANT
        elif spec_field.type == "boolean":
            value = not current if isinstance(current, bool) else True
        elif spec_field.type == "integer":
            value = current + 1 if isinstance(current, int) else example
        else:
            value = example
        if value is not None and value != current:
            forged[name] = value
    return forged


def _example(ctx: Context, prop: dict[str, Any]) -> Any:
    node = specs.resolve(ctx.spec, prop)
    while "example" not in node and len(node.get("allOf", ())) == 1:
        node = specs.resolve(ctx.spec, node["allOf"][0])
    return node.get("example")


def _not_forged(plan: Plan, how: str, forged: dict[str, Any], record: dict[str, Any]) -> None:
    for name, value in forged.items():
        if name in record and comparable(plan, name, record[name]) == comparable(plan, name, value):
            raise Violation(f"a client set the server's {name} to {value!r} with {how}")


def _bounds(ctx: Context, plan: Plan, op: Any) -> list[tuple[str, dict[str, Any], Any, Any]]:
    """(field, schema, a value at a bound, one step beyond it) for each bounded number of
    the operation's body that no rule or lifecycle also governs."""
    props = ctx.body_properties(op)
    ruled = {f for r in plan.collection.rules for f in r.fields} | set(op.key)
    found = []
    for name, prop in props.items():
        if prop.get("type") not in ("integer", "number") or name in ruled:
            continue
        if name not in plan.collection.writable:
            continue
        step = prop.get("multipleOf", 1)
        if "maximum" in prop:
            top = prop["maximum"] - (step if prop.get("exclusiveMaximum") else 0)
            found.append((name, prop, top, top + step))
        if "minimum" in prop:
            bottom = prop["minimum"] + (step if prop.get("exclusiveMinimum") else 0)
            found.append((name, prop, bottom, bottom - step))
    return found


def _range(prop: dict[str, Any]) -> str:
    low = prop.get("minimum", "-∞")
    high = prop.get("maximum", "∞")
    return f"{low}..{high}"
