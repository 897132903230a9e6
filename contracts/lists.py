"""List semantics, from the list operation's declared parameters: filters return exactly the
matching records (``list_filters``), the search term finds what it should and nothing of
another tenant (``list_search``), every declared sort key orders the list both ways
(``list_sort``), and the pages are a partition of the list that its totals agree with
(``list_paging``).

Each check creates a few records of its own — the spec's example, varied in the fields the
list filters and sorts on — marked with a fresh term in a searched field, so that ``q``
narrows every list to them on an implementation full of other data. A list without a
search parameter is read whole (a bounded number of pages). Nothing the spec does not
declare is assumed: no sort default unless declared, no tie-break, no order of nulls.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from understudy import binding, specs
from understudy.contracts.probe import Probe
from understudy.contracts.semantic import (
    Context,
    Plan,
    Skip,
    Violation,
    expect,
    max_page_size,
    query_params,
    semantic,
)

RECORDS = 3  # records each list check creates
MAX_PAGES = 10  # pages read to see a whole list that cannot be narrowed by search
DATES = ("date-time", "date")


# ---------------------------------------------------------------- the checks
@semantic("list_filters")
def list_filters(ctx: Context, plan: Plan) -> None:
    """Each declared filter lists exactly the matching records: equality, inclusive ranges
    (``*_from``/``*_to``), presence."""
    if plan.list is None or not plan.list.filters:
        raise Skip(f"{plan.name} has no list filters")
    mine, narrow = fixture(ctx, plan)
    id_field = plan.collection.id_field
    for flt in plan.list.filters:
        for wanted in _probe_values(ctx, plan, flt, mine):
            query = {**narrow, flt.param: encode(wanted)}
            got = collect(ctx, plan, query)
            for record in got:
                if not matches(ctx, plan, flt, record.get(flt.field), wanted):
                    raise Violation(
                        f"{flt.param}={encode(wanted)} lists {record.get(id_field)} whose "
                        f"{flt.field} is {record.get(flt.field)!r}"
                    )
            listed = set(ctx.ids(plan, got))
            for record in mine:
                fits = matches(ctx, plan, flt, record.get(flt.field), wanted)
                whole = narrow or len(got) < _cap(ctx, plan)
                if fits and record[id_field] not in listed and whole:
                    raise Violation(
                        f"{flt.param}={encode(wanted)} leaves out {record[id_field]} whose "
                        f"{flt.field} is {record.get(flt.field)!r}"
                    )


@semantic("list_search")
def list_search(ctx: Context, plan: Plan) -> None:
    """The search parameter finds every record whose searched fields hold the term, only
    those, and never another tenant's."""
    if plan.list is None or ctx.search_field(plan) is None:
        raise Skip(f"{plan.name}: its list searches no field a client writes")
    mine, narrow = fixture(ctx, plan)
    term = next(iter(narrow.values()))
    param = ctx.surface.listing["search"]
    theirs: set[Any] = set()
    if ctx.b is not None:
        other, _ = ctx.marked(plan, ctx.b, marker=term)
        theirs.add(other[plan.collection.id_field])
    got = collect(ctx, plan, narrow)
    listed = ctx.ids(plan, got)
    leaked = theirs & set(listed)
    if leaked:
        raise Violation(f"{param}={term} lists tenant B's record {leaked.pop()}")
    id_field = plan.collection.id_field
    missing = [r[id_field] for r in mine if r[id_field] not in listed]
    if missing:
        raise Violation(f"{param}={term} leaves out {missing[0]}, which holds the term")
    fields = plan.collection.search
    for record in got:
        if not any(term.casefold() in str(record.get(f) or "").casefold() for f in fields):
            raise Violation(
                f"{param}={term} lists {record.get(plan.collection.id_field)}, whose "
                f"{', '.join(fields)} do not hold the term"
            )
    absent = collect(ctx, plan, {param: term[::-1]})
    if set(ctx.ids(plan, absent)) & set(listed):
        raise Violation(f"{param}={term[::-1]} lists records that hold only {term}")


@semantic("list_sort")
def list_sort(ctx: Context, plan: Plan) -> None:
    """The list is ordered as declared when no sort is given, and by each declared sort key
    in its direction (``-`` descending); ties and nulls are left alone."""
    keys = sort_keys(ctx, plan)
    default = default_sort(ctx, plan)
    if plan.list is None or not (keys or default):
        raise Skip(f"{plan.name}: its list declares no sort")
    mine, narrow = fixture(ctx, plan)
    size = page_size_param(ctx, plan)
    base = {**narrow, **({size[0]: size[1]} if size else {})}
    param = ctx.surface.listing.get("sort")
    for key in [None, *keys] if default else keys:
        query = {**base, param: key} if key else base
        records, _, _ = ctx.page(plan, query)
        if narrow:
            missing = {r[plan.collection.id_field] for r in mine} - set(ctx.ids(plan, records))
            if missing:
                raise Violation(f"list with {_show(query)} leaves out {missing.pop()}")
        _ordered(ctx, plan, records, key or str(default), query)


@semantic("list_paging")
def list_paging(ctx: Context, plan: Plan) -> None:
    """Pages partition the list: every record once, none twice, in the list's order; the
    reported total (or total header) and has_more agree with the pages (a deleted record
    counts nowhere)."""
    listing = ctx.surface.listing
    if plan.list is None:
        raise Skip(f"{plan.name} has no list operation")
    declared = query_params(ctx.spec, plan.list)
    size = page_size_param(ctx, plan)
    if size is None or listing.get("page") not in declared:
        raise Skip(f"{plan.name}: its list declares no paging")
    _, narrow = fixture(ctx, plan)
    deleted_record(ctx, plan, next(iter(narrow.values()), None))  # must not be counted
    whole = collect(ctx, plan, narrow)
    if not narrow and len(whole) >= _cap(ctx, plan):
        raise Skip(f"{plan.name}: too many records to page through without a search term")
    expected = ctx.ids(plan, whole)
    step = max(2, math.ceil(len(expected) / 20))
    walked: list[Any] = []
    where: dict[Any, int] = {}
    for number in range(1, math.ceil(len(expected) / step) + 2):
        query = {**narrow, listing["page"]: number, size[0]: step}
        records, total, has_more = ctx.page(plan, query)
        if total is not None and total != len(expected):
            raise Violation(
                f"page {number} ({_show(query)}) reports a total of {total}; "
                f"the list holds {len(expected)}"
            )
        more = number * step < len(expected)
        if has_more is not None and bool(has_more) != more:
            raise Violation(
                f"page {number} ({_show(query)}) says has_more={has_more} with "
                f"{len(expected)} records in pages of {step}"
            )
        for record_id in ctx.ids(plan, records):
            if record_id in where:
                raise Violation(
                    f"page {number} ({_show(query)}) repeats {record_id} of page {where[record_id]}"
                )
            where[record_id] = number
            walked.append(record_id)
        if not records:
            break
    if walked != expected:
        missing = [i for i in expected if i not in where]
        detail = f"leave out {missing[0]}" if missing else "hold them in another order"
        raise Violation(
            f"pages of {step} ({_show(narrow)}) {detail}: {len(walked)} records paged, "
            f"{len(expected)} in one page"
        )


# ---------------------------------------------------------------- records to list
def fixture(ctx: Context, plan: Plan) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``RECORDS`` records of A's, varied in the fields the list filters and sorts on, and
    the query that narrows the list to them (empty when the list searches nothing)."""
    if plan.create is None:
        raise Skip(f"{plan.name} has no create operation")
    marker = None
    made: dict[Any, dict[str, Any]] = {}
    for index in range(RECORDS):
        record, marker = ctx.marked(plan, marker=marker, changes=_variant(ctx, plan, index))
        made[record[plan.collection.id_field]] = record
    narrow = {ctx.surface.listing["search"]: marker} if marker else {}
    return list(made.values()), narrow


def deleted_record(ctx: Context, plan: Plan, marker: str | None) -> str | None:
    """A soft-deleted record of A's carrying the marker, for the include_deleted path."""
    flag = ctx.surface.listing.get("include_deleted")
    if not (marker and flag and plan.delete and ctx.surface.soft_delete):
        return None
    assert plan.list is not None
    if flag not in query_params(ctx.spec, plan.list):
        return None
    record, _ = ctx.marked(plan, marker=marker)
    record_id = record[plan.collection.id_field]
    if plan.create and plan.create.kind == "upsert":
        return None  # the same key: the marked record itself
    answer = ctx.a.request(plan.delete.method, ctx.path(plan.delete, record_id))
    expect(answer, (200, 202, 204), f"delete {plan.name}")
    return str(record_id)


def _variant(ctx: Context, plan: Plan, index: int) -> dict[str, Any]:
    """The example's values moved by ``index`` steps in the listed fields: booleans
    alternate, enums cycle, numbers step within their bounds, dates move by days (together
    with the fields an ``order`` rule ties them to)."""
    assert plan.create is not None
    if index == 0:
        return {}
    body = ctx.example_body(plan.create)
    props = ctx.body_properties(plan.create)
    listed = {f.field for f in plan.list.filters} if plan.list else set()
    listed |= {k.lstrip("-") for k in sort_keys(ctx, plan)}
    lifecycle = plan.collection.lifecycle
    ruled = {f for r in plan.collection.rules if r.kind != "order" for f in r.fields}
    ordered = {f for r in plan.collection.rules if r.kind == "order" for f in r.fields}
    changes: dict[str, Any] = {}
    for name, value in body.items():
        prop = props.get(name, {})
        if name in ruled or (lifecycle and name == lifecycle.field) or value is None:
            continue
        if prop.get("format") in DATES and (name in listed or name in ordered):
            changes[name] = _shift(value, index)
        elif name not in listed or name in (plan.create.key if plan.create else ()):
            continue
        elif isinstance(value, bool):
            changes[name] = value if index % 2 == 0 else not value
        elif "enum" in prop:
            choices = [c for c in prop["enum"] if c is not None]
            start = choices.index(value) if value in choices else 0
            changes[name] = choices[(start + index) % len(choices)]
        elif isinstance(value, (int, float)):
            changes[name] = _stepped(prop, value, index)
    return changes


def _shift(value: Any, days: int) -> Any:
    try:
        if len(str(value)) == 10:
            return (datetime.fromisoformat(str(value)) + timedelta(days=days)).date().isoformat()
        moment = datetime.fromisoformat(str(value)) + timedelta(days=days)
    except ValueError:
        return value
    return moment.isoformat().replace("+00:00", "Z")


def _stepped(prop: dict[str, Any], value: float, index: int) -> float:
    step = prop.get("multipleOf", 1)
    low, high = prop.get("minimum", -math.inf), prop.get("maximum", math.inf)
    for candidate in (value - index * step, value + index * step):
        exclusive = (prop.get("exclusiveMinimum") and candidate <= low) or (
            prop.get("exclusiveMaximum") and candidate >= high
        )
        if low <= candidate <= high and not exclusive:
            return type(value)(candidate) if isinstance(value, int) else candidate
    return value


def collect(
    ctx: Context, plan: Plan, query: dict[str, Any], probe: Probe | None = None
) -> list[dict[str, Any]]:
    """The whole list for ``query`` in the largest declared pages (at most ``MAX_PAGES``)."""
    assert plan.list is not None
    listing = ctx.surface.listing
    size = page_size_param(ctx, plan)
    paged = listing.get("page") in query_params(ctx.spec, plan.list)
    found: list[dict[str, Any]] = []
    for number in range(1, MAX_PAGES + 1):
        params = dict(query)
        if size:
            params[size[0]] = size[1]
        if paged:
            params[listing["page"]] = number
        records, _, has_more = ctx.page(plan, params, probe)
        found += records
        if not paged or not records or has_more is False or (size and len(records) < size[1]):
            break
    return found


def _cap(ctx: Context, plan: Plan) -> int:
    """How many records ``collect`` reads at most: a list this long may hold more."""
    size = page_size_param(ctx, plan)
    return MAX_PAGES * size[1] if size else 1


# ---------------------------------------------------------------- what the spec declares
def page_size_param(ctx: Context, plan: Plan) -> tuple[str, int] | None:
    """The page size parameter and its largest declared value (its default if unbounded)."""
    if plan.list is None:
        return None
    name = ctx.surface.listing.get("page_size")
    param = query_params(ctx.spec, plan.list).get(name or "")
    if name is None or param is None:
        return None
    schema = specs.resolve(ctx.spec, param.get("schema", {}))
    largest = max_page_size(ctx.spec, plan.list, name) or schema.get("default") or 50
    return name, int(min(largest, 200))


def sort_keys(ctx: Context, plan: Plan) -> list[str]:
    """The declared values of the list's sort parameter (``-`` for descending)."""
    name = ctx.surface.listing.get("sort")
    param = query_params(ctx.spec, plan.list).get(name or "") if plan.list else None
    if param is None:
        return []
    schema = specs.resolve(ctx.spec, param.get("schema", {}))
    fields = plan.collection.fields
    return [str(k) for k in schema.get("enum", ()) if str(k).lstrip("-") in fields]


def default_sort(ctx: Context, plan: Plan) -> str | None:
    """The order of a list asked for none: the sort parameter's default, else the
    collection's or the surface's declared ``default_sort``."""
    name = ctx.surface.listing.get("sort")
    param = query_params(ctx.spec, plan.list).get(name or "") if plan.list else None
    if param is not None:
        default = specs.resolve(ctx.spec, param.get("schema", {})).get("default")
        if default:
            return str(default)
    found = plan.collection.default_sort or ctx.surface.listing.get("default_sort")
    return found if found and found.lstrip("-") in plan.collection.fields else None


# ---------------------------------------------------------------- comparing values
def encode(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def comparable(plan: Plan, name: str, value: Any) -> Any:
    spec_field = plan.collection.fields.get(name)
    if spec_field and spec_field.format == "date-time" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def matches(ctx: Context, plan: Plan, flt: binding.Filter, actual: Any, wanted: Any) -> bool:
    if flt.op == "present":
        return (actual is not None) == bool(wanted)
    if flt.op == "contains":
        return str(wanted).casefold() in str(actual or "").casefold()
    if actual is None:
        return False
    have, want = comparable(plan, flt.field, actual), comparable(plan, flt.field, wanted)
    try:
        if flt.op == "gte":
            return bool(have >= want)
        if flt.op == "lte":
            return bool(have <= want)
    except TypeError:
        return False
    return bool(have == want)


def _probe_values(
    ctx: Context, plan: Plan, flt: binding.Filter, mine: list[dict[str, Any]]
) -> list[Any]:
    """The values to filter by: both answers of a presence filter, else values the
    created records hold (for a range, the middle one: its bound is inclusive)."""
    if flt.op == "present":
        return [True, False]
    values = [r.get(flt.field) for r in mine]
    values = [v for v in values if v is not None and not isinstance(v, (dict, list))]
    if not values:
        return []
    if flt.op in ("gte", "lte"):
        ordered = sorted(values, key=lambda v: comparable(plan, flt.field, v))
        return [ordered[len(ordered) // 2]]
    distinct = list(dict.fromkeys(encode(v) for v in values))
    return [next(v for v in values if encode(v) == d) for d in distinct[:2]]


def _ordered(
    ctx: Context, plan: Plan, records: list[dict[str, Any]], key: str, query: dict[str, Any]
) -> None:
    name, descending = key.lstrip("-"), key.startswith("-")
    id_field = plan.collection.id_field
    present = [r for r in records if r.get(name) is not None]
    for first, second in pairwise(present):
        a, b = comparable(plan, name, first[name]), comparable(plan, name, second[name])
        try:
            wrong = a < b if descending else a > b
        except TypeError:
            continue
        if wrong:
            order = "descending" if descending else "ascending"
            raise Violation(
                f"list with {_show(query) if query else 'no sort'} is not {order} by {name}: "
                f"{first.get(id_field)} ({first[name]}) comes before "
                f"{second.get(id_field)} ({second[name]})"
            )


def _show(query: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items()) or "no parameters"
