"""Isolation on every path a record can be reached by: another tenant (``tenant_isolation``)
and, within one tenant, another application's token (``app_isolation``).

A record of identity A must not come back to the other identity from a get, from the list
under any of the list's declared parameters (each filter set to the record's own value, the
search term only it carries, every declared sort key, ``include_deleted``), nor be changed,
acted on or deleted by it.
"""

from __future__ import annotations

from typing import Any

from understudy.contracts import lists
from understudy.contracts.probe import Probe
from understudy.contracts.semantic import (
    REFUSED,
    Context,
    Plan,
    Skip,
    Violation,
    expect,
    query_params,
    semantic,
)


@semantic("tenant_isolation")
def tenant_isolation(ctx: Context, plan: Plan) -> None:
    """What tenant A created, tenant B cannot read (by id, or through any list filter,
    search, sort or include_deleted), change, act on or delete."""
    if ctx.b is None:
        raise Skip("no credentials of a second tenant (--other-token / --other-header)")
    unreachable(ctx, plan, ctx.b, "tenant B")


@semantic("app_isolation")
def app_isolation(ctx: Context, plan: Plan) -> None:
    """Where the surface scopes records to an application: a token of the same tenant for
    another application cannot read, list, change, act on or delete A's records."""
    if ctx.surface.app_scope is None:
        raise Skip(f"{ctx.surface.name} declares no application scope")
    if ctx.other_app is None:
        raise Skip("no credentials of another application (--other-app-token)")
    unreachable(ctx, plan, ctx.other_app, "another application", every_path=False)


def unreachable(
    ctx: Context, plan: Plan, other: Probe, who: str, *, every_path: bool = True
) -> None:
    """``other`` cannot reach A's record by id or through the list (under each declared
    parameter when ``every_path``; else the plain list, its search and include_deleted)."""
    record, marker = ctx.marked(plan)
    record_id = record[plan.collection.id_field]
    if plan.get:
        expect(ctx.fetch(plan, record_id, other), REFUSED, f"{who} reads A's record")
    if plan.list:
        deleted = lists.deleted_record(ctx, plan, marker)
        mine = {record_id} | ({deleted} if deleted else set())
        paths = read_paths(ctx, plan, record, marker)
        if not every_path:
            flag = ctx.surface.listing.get("include_deleted")
            paths = [p for p in paths if len(p) == len(paths[0]) or flag in p]
        for params in paths:
            records, _, _ = ctx.page(plan, params, other)
            seen = mine & set(ctx.ids(plan, records))
            if seen:
                query = "&".join(f"{k}={v}" for k, v in params.items()) or "no parameters"
                raise Violation(f"{who} lists A's record {seen.pop()} (list with {query})")
        if not marker and ctx.listed(plan, record_id, other):
            raise Violation(f"{who} lists A's record {record_id}")
    if plan.update:
        expect(ctx.touch(plan, record, other), REFUSED, f"{who} updates A's record")
    for action, op in plan.actions.items():
        answer = other.request(op.method, ctx.path(op, record_id))
        expect(answer, REFUSED, f"{who} runs {action} on A's record")
    if plan.delete:
        answer = other.request(plan.delete.method, ctx.path(plan.delete, record_id))
        expect(answer, REFUSED, f"{who} deletes A's record")
    if plan.get:
        after = ctx.fetch(plan, record_id)
        expect(after, (200,), f"tenant A reads its record after {who}'s attempts")
        if after.json() != record:
            raise Violation(f"{who}'s attempts changed A's record {record_id}")


def read_paths(
    ctx: Context, plan: Plan, record: dict[str, Any], marker: str | None
) -> list[dict[str, Any]]:
    """The list queries that would find ``record`` if the scope were ignored: the search for
    its marker, each declared filter at the record's own value, each declared sort key and
    include_deleted — each narrowed to the marker where the list searches."""
    assert plan.list is not None
    declared = query_params(ctx.spec, plan.list)
    listing = ctx.surface.listing
    base: dict[str, Any] = {}
    if marker:
        base[listing["search"]] = marker
    size = lists.page_size_param(ctx, plan)
    if size:
        base[size[0]] = size[1]
    paths = [dict(base)]
    for flt in plan.list.filters:
        value = record.get(flt.field)
        if flt.op == "present":
            paths.append({**base, flt.param: lists.encode(value is not None)})
        elif value is not None and not isinstance(value, (dict, list)):
            paths.append({**base, flt.param: lists.encode(value)})
    # the direction does not change which records a query reaches: one key per field
    fields = {key.lstrip("-"): key for key in lists.sort_keys(ctx, plan)}
    paths += [{**base, listing["sort"]: key} for key in fields.values()]
    flag = listing.get("include_deleted")
    if flag and flag in declared:
        paths.append({**base, flag: "true"})
    return paths
