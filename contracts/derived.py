"""Derived values (``derived_values``): where a collection declares fields computed from
others (``derive: [name]`` in its ``x-understudy``), the records a client writes come back
with them computed as ``understudy.derive`` computes them — the arithmetic the mock itself
uses, so the harness and the mock cannot drift apart.

A derivation the harness does not know by name is skipped, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from understudy import derive, specs
from understudy.contracts.semantic import Context, Plan, Skip, Violation, expect, semantic

Derivation = Callable[[dict[str, Any], Mapping[str, Any] | None], dict[str, Any]]


def _clockify(record: dict[str, Any], sent: Mapping[str, Any] | None) -> dict[str, Any]:
    return derive.clockify_interval(record)


# declared name -> (the computation, the request fields it derives from)
DERIVATIONS: dict[str, tuple[Derivation, tuple[str, ...]]] = {
    "tracker.duration": (derive.tracker_duration, ("hours", "minutes")),
    "clockify.duration": (_clockify, ("start", "end")),
}


@semantic("derived_values")
def derived_values(ctx: Context, plan: Plan) -> None:
    """Fields the spec declares as derived (tracker minutes from hours, Clockify durations
    from start and end) hold the declared arithmetic on every example the spec gives."""
    known = [DERIVATIONS[n] for n in plan.collection.derive if n in DERIVATIONS]
    op = plan.create or plan.handled_create
    if not known or op is None:
        raise Skip(f"{plan.name} declares no derived value the harness knows")
    tried = 0
    for body in _examples(ctx, op):
        for compute, inputs in known:
            if not any(name in body for name in inputs):
                continue
            answer = ctx.a.request(op.method, ctx.path(op), json_body=body)
            if answer.status_code == 400 or answer.status_code in ctx.surface.refusals:
                # the example names things this account does not hold: keep what the
                # schema requires and what the value derives from
                body = _essential(ctx, op, body, inputs)
                answer = ctx.a.request(op.method, ctx.path(op), json_body=body)
            expect(answer, (200, 201), f"create {plan.name} with {body}")
            record = answer.json()
            if plan.delete and plan.collection.id_field in record:
                ctx.made.append((ctx.a, plan, record[plan.collection.id_field]))
            _compare(plan, compute, record, body)
            if plan.get and plan.collection.id_field in record:
                fetched = ctx.fetch(plan, record[plan.collection.id_field])
                expect(fetched, (200,), f"read {plan.name}")
                _compare(plan, compute, fetched.json(), body)
            tried += 1
    if not tried:
        raise Skip(f"{plan.name}: no example sends what its values derive from")


def _compare(plan: Plan, compute: Derivation, record: dict[str, Any], sent: dict[str, Any]) -> None:
    try:
        expected = compute(dict(record), sent)
    except ValueError as exc:
        raise Violation(f"{plan.name} accepted {sent}, which cannot be derived: {exc}") from None
    for name, value in expected.items():
        if record.get(name) != value:
            raise Violation(
                f"{plan.name} from {sent}: {name} is {record.get(name)!r}, "
                f"the declared derivation gives {value!r}"
            )


def _examples(ctx: Context, op: Any) -> list[dict[str, Any]]:
    """Every request body example the operation's spec gives (``example``, each of
    ``examples``, the schema's example)."""
    media = ctx.body_media(op)
    found = [media.get("example")]
    found += [specs.resolve(ctx.spec, e).get("value") for e in media.get("examples", {}).values()]
    found.append(specs.resolve(ctx.spec, media.get("schema", {})).get("example"))
    unique: list[dict[str, Any]] = []
    for body in found:
        if isinstance(body, dict) and body not in unique:
            unique.append(dict(body))
    return unique


def _essential(
    ctx: Context, op: Any, body: dict[str, Any], inputs: tuple[str, ...]
) -> dict[str, Any]:
    """The body cut down to what the schema requires and what the value derives from."""
    schema = specs.resolve(ctx.spec, ctx.body_schema(op))
    required = set(schema.get("required", ()))
    return {k: v for k, v in body.items() if k in required or k in inputs}
