"""Records over time: stamps on create and update (``server_stamps``), soft deletion
(``soft_delete``) and the declared lifecycle with its actions and stamps (``lifecycle``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from understudy import binding
from understudy.contracts import lists
from understudy.contracts.semantic import (
    GONE,
    Context,
    Plan,
    Skip,
    Violation,
    expect,
    query_params,
    semantic,
)

REMOVED = (404, 409, 410)  # what an update or action of a deleted record may hear
CLOCK_SKEW = 60  # seconds a $now stamp may differ from the server's Date header


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
    """A deleted record is gone from gets and lists, refuses updates and actions, and comes
    back only where the list declares include_deleted."""
    if plan.delete is None:
        raise Skip(f"{plan.name} has no delete operation")
    record, marker = ctx.marked(plan)
    narrow = {ctx.surface.listing["search"]: marker} if marker else {}
    record_id = record[plan.collection.id_field]
    answer = ctx.a.request(plan.delete.method, ctx.path(plan.delete, record_id))
    expect(answer, (200, 202, 204), f"delete {plan.name}")
    if plan.get:
        expect(ctx.fetch(plan, record_id), GONE, f"read a deleted {plan.name} record")
    if plan.list and ctx.listed(plan, record_id):
        raise Violation(f"the deleted record {record_id} is still listed")
    if plan.update:
        answer = ctx.touch(plan, record)
        expect(answer, REMOVED, f"update a deleted {plan.name} record")
    for action, op in plan.actions.items():
        answer = ctx.a.request(op.method, ctx.path(op, record_id))
        expect(answer, REMOVED, f"{action} a deleted {plan.name} record")
    if plan.get and (plan.update or plan.actions):
        expect(ctx.fetch(plan, record_id), GONE, f"read a deleted {plan.name} record again")
    flag = ctx.surface.listing.get("include_deleted")
    if plan.list and flag and flag in query_params(ctx.spec, plan.list):
        records = lists.collect(ctx, plan, {flag: "true", **narrow})
        if record_id not in ctx.ids(plan, records) and (narrow or len(records) < 50):
            raise Violation(f"{flag}=true does not list the deleted record {record_id}")


@semantic("lifecycle")
def lifecycle(ctx: Context, plan: Plan) -> None:
    """New records start in the documented state; each action moves the state as documented
    and sets exactly the stamps its declaration names (the caller, the current time); an
    impossible transition is refused (4xx) and changes nothing."""
    cycle = plan.collection.lifecycle
    if cycle is None:
        raise Skip(f"{plan.name} has no lifecycle")
    key = cycle.field
    record = ctx.create(plan)
    if record.get(key) != cycle.initial:
        raise Violation(f"a new {plan.name} record is {record.get(key)!r}, not {cycle.initial!r}")
    record_id = record[plan.collection.id_field]
    caller = ctx.claims().get(ctx.surface.auth.get("caller", ""))

    def current() -> Any:
        answer = ctx.fetch(plan, record_id)
        expect(answer, (200,), f"read {plan.name}")
        return answer.json()

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
            if plan.get and current() != record:
                raise Violation(f"a refused {action} changed {plan.name} record {record_id}")
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
        before = ctx.fetch(plan, fresh_id).json() if plan.get else fresh
        answer = ctx.a.request(op.method, ctx.path(op, fresh_id))
        expect(answer, (200, 201), f"{action} a {plan.name} record in {sorted(move.sources)}")
        moved = answer.json()
        if moved.get(key) != move.to:
            raise Violation(f"{action} left {plan.name} in {moved.get(key)!r}, not {move.to!r}")
        missing = [f for f in move.stamp if moved.get(f) in (None, "")]
        if missing:
            raise Violation(f"{action} did not stamp {', '.join(missing)}")
        _exact_stamps(ctx, plan, action, move, before, moved, _server_time(answer))


def _exact_stamps(
    ctx: Context,
    plan: Plan,
    action: str,
    move: binding.Transition,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> None:
    """The stamps ``move`` declares hold the caller and the current time; the stamps other
    transitions declare are left as they were."""
    cycle = plan.collection.lifecycle
    assert cycle is not None
    claims = ctx.claims()
    auth = ctx.surface.auth
    variables = {
        "$caller": claims.get(auth.get("caller", "")),
        "$tenant": claims.get(auth.get("tenant", "")),
    }
    for name, value in move.stamp.items():
        got = after.get(name)
        if value == "$now":
            try:
                moment = datetime.fromisoformat(str(got))
            except ValueError:
                raise Violation(f"{action} stamped {name} with {got!r}, not an instant") from None
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            if abs((moment - now).total_seconds()) > CLOCK_SKEW:
                raise Violation(
                    f"{action} stamped {name} with {got}; the server's clock said {iso(now)}"
                )
        elif isinstance(value, str) and value in variables:
            if variables[value] is not None and got != variables[value]:
                raise Violation(f"{action} stamped {name} with {got!r}, not {variables[value]!r}")
        elif got != value:
            raise Violation(f"{action} set {name} to {got!r}, not {value!r}")
    others = {f for t in cycle.transitions if t is not move for f in t.stamp} - set(move.stamp)
    for name in sorted(others):
        if after.get(name) != before.get(name):
            raise Violation(
                f"{action} changed {name} ({before.get(name)!r} to {after.get(name)!r}); "
                f"it stamps only {', '.join(move.stamp) or 'nothing'}"
            )


def _server_time(answer: httpx.Response) -> datetime:
    """The answer's ``Date`` (the server's clock), else ours."""
    try:
        return parsedate_to_datetime(answer.headers["date"])
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
