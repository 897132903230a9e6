"""The Clockify reports (reports.yaml), computed from the stored time entries and expenses.

Durations in reports are integer seconds and amounts integer cents (the reports API's units,
unlike the main API's ISO-8601 durations). The common filters — users, projects, clients,
tasks, tags (``contains``), billable, description — apply to every time entry report.

Entries are the workspace's stored ``time_entries`` / ``expenses`` with a start in
[``dateRangeStart``, ``dateRangeEnd``].
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import ids_match

Record = dict[str, Any]
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def seconds(duration: str | None) -> int:
    """``PT1H30M`` → 5400; None (a running timer) → 0."""
    match = _ISO_DURATION.match(duration or "")
    if not duration or not match:
        return 0
    days, hours, minutes, secs = (float(g or 0) for g in match.groups())
    return int(days * 86400 + hours * 3600 + minutes * 60 + secs)


def _by_id(engine: Engine, collection: str, workspace: str) -> dict[str, Record]:
    return {r["id"]: r for r in engine.store.scan(collection, {"workspaceId": workspace})}


def _users(engine: Engine) -> dict[str, Record]:
    return {r["id"]: r for r in engine.store.scan("users", {})}


def _range(body: Mapping[str, Any]) -> tuple[datetime, datetime]:
    try:
        start = parse_instant(body["dateRangeStart"])
        end = parse_instant(body["dateRangeEnd"])
    except (KeyError, ValueError):
        raise errors.BadRequest("dateRangeStart and dateRangeEnd are required date-times") from None
    if end < start:
        raise errors.BadRequest("dateRangeEnd is before dateRangeStart")
    return start, end


def _selected(value: str | None, spec: Mapping[str, Any] | None) -> bool:
    """A ``{ids, contains}`` filter on one value."""
    if not spec or not spec.get("ids"):
        return True
    inside = value in spec["ids"]
    return not inside if spec.get("contains") == "DOES_NOT_CONTAIN" else inside


def matching_entries(engine: Engine, call: Call) -> list[Record]:
    body = call.body or {}
    start, end = _range(body)
    projects = _by_id(engine, "projects", call.params["workspaceId"])
    found = []
    for entry in engine.store.scan("time_entries", {"workspaceId": call.params["workspaceId"]}):
        interval = entry.get("timeInterval") or {}
        if not interval.get("start") or not start <= parse_instant(interval["start"]) <= end:
            continue
        client = (projects.get(entry.get("projectId") or "") or {}).get("clientId")
        text = body.get("description")
        if not (
            _selected(entry.get("userId"), body.get("users"))
            and _selected(entry.get("projectId"), body.get("projects"))
            and _selected(client, body.get("clients"))
            and _selected(entry.get("taskId"), body.get("tasks"))
            and ids_match(entry.get("tagIds") or [], body.get("tags"))
            and (body.get("billable") is None or entry.get("billable") == body["billable"])
            and (not text or text.casefold() in (entry.get("description") or "").casefold())
            and (not body.get("withoutDescription") or not entry.get("description"))
        ):
            continue
        found.append(entry)
    return found


class _Names:
    """Names of the records a report mentions, looked up once per request."""

    def __init__(self, engine: Engine, workspace: str) -> None:
        self.users = _users(engine)
        self.projects = _by_id(engine, "projects", workspace)
        self.clients = _by_id(engine, "clients", workspace)
        self.tasks = _by_id(engine, "tasks", workspace)
        self.tags = _by_id(engine, "tags", workspace)

    def name(self, collection: str, record_id: str | None) -> str | None:
        record = getattr(self, collection).get(record_id or "")
        return record.get("name") if record else None


def _rate_cents(entry: Record, names: _Names) -> int:
    project = names.projects.get(entry.get("projectId") or "") or {}
    rate = entry.get("hourlyRate") or project.get("hourlyRate") or {}
    return int(rate.get("amount") or 0) if isinstance(rate, dict) else 0


def _amount(entry: Record, names: _Names) -> int:
    if not entry.get("billable"):
        return 0
    worked = seconds((entry.get("timeInterval") or {}).get("duration"))
    return round(_rate_cents(entry, names) * worked / 3600)


def _report_entry(entry: Record, names: _Names) -> Record:
    user = names.users.get(entry.get("userId") or "", {})
    project = names.projects.get(entry.get("projectId") or "") or {}
    interval = entry.get("timeInterval") or {}
    amount = _amount(entry, names)
    return {
        "_id": entry["id"],
        "description": entry.get("description") or "",
        "userId": entry.get("userId"),
        "userName": user.get("name") or "",
        "userEmail": user.get("email"),
        "billable": bool(entry.get("billable")),
        "projectId": entry.get("projectId"),
        "projectName": project.get("name"),
        "projectColor": project.get("color"),
        "clientId": project.get("clientId"),
        "clientName": names.name("clients", project.get("clientId")),
        "taskId": entry.get("taskId"),
        "taskName": names.name("tasks", entry.get("taskId")),
        "tagIds": entry.get("tagIds") or [],
        "tags": [{"id": t, "name": names.name("tags", t) or ""} for t in entry.get("tagIds") or []],
        "type": entry.get("type") or "REGULAR",
        "timeInterval": {
            "start": interval.get("start"),
            "end": interval.get("end"),
            "duration": seconds(interval.get("duration")),
        },
        "approvalRequestId": entry.get("approvalRequestId"),
        "isLocked": bool(entry.get("isLocked")),
        "customFields": [],
        "rate": _rate_cents(entry, names),
        "amount": amount,
        "earnedRate": _rate_cents(entry, names),
        "earnedAmount": amount,
    }


def _totals(rows: list[Record]) -> list[Record | None]:
    if not rows:
        return [None]  # as the live API answers when nothing matched
    total = sum(r["timeInterval"]["duration"] for r in rows)
    billable = sum(r["timeInterval"]["duration"] for r in rows if r["billable"])
    amount = sum(r["amount"] for r in rows)
    return [
        {
            "_id": "",
            "totalTime": total,
            "totalBillableTime": billable,
            "entriesCount": len(rows),
            "totalAmount": amount,
            "amounts": [{"type": "EARNED", "value": amount}],
        }
    ]


_DETAILED_SORT = {
    "ID": lambda r: r["_id"],
    "DESCRIPTION": lambda r: r["description"].casefold(),
    "USER": lambda r: r["userName"].casefold(),
    "DURATION": lambda r: r["timeInterval"]["duration"],
}


@behaviour.handler("detailedReport")
def detailed_report(engine: Engine, call: Call) -> Reply:
    """POST .../reports/detailed: matching time entries (users/userGroups, projects, clients,
    tasks, tags with `contains`, billable, description substring / `withoutDescription`,
    approvalState, invoicingState, customFields, auditFilter), sorted by
    `detailedFilter.sortColumn` + `sortOrder`, paged by `detailedFilter.page`/`pageSize`;
    each as ReportTimeEntry (`_id`, names, `timeInterval.duration` seconds, rate/amount in
    cents); `totals` = one grand total over all matches (`[null]` when none), omitted work
    when `options.totals` = EXCLUDE (answer `totals: []`).
    """
    body = call.body or {}
    names = _Names(engine, call.params["workspaceId"])
    rows = [_report_entry(e, names) for e in matching_entries(engine, call)]
    options = body.get("detailedFilter") or {}
    by_date = _DETAILED_SORT.get("DATE", lambda r: r["timeInterval"]["start"])
    key = _DETAILED_SORT.get(options.get("sortColumn", "DATE"), by_date)
    rows.sort(key=key, reverse=body.get("sortOrder", "DESCENDING") == "DESCENDING")
    excluded = (options.get("options") or {}).get("totals") == "EXCLUDE"
    return Reply(
        200,
        {
            "totals": [] if excluded else _totals(rows),
            "timeentries": engine.page(call, rows).items,  # spelt so (the guide)
        },
    )


def _group_key(level: str, row: Record, names: _Names) -> tuple[str, str | None, Record]:
    """(group id, group name, extra fields) of a report row at one grouping level."""
    match level:
        case "PROJECT":
            project = names.projects.get(row["projectId"] or "") or {}
            return (
                row["projectId"] or "",
                project.get("name") or "(Without project)",
                {"color": project.get("color"), "clientName": row["clientName"]},
            )
        case "CLIENT":
            return row["clientId"] or "", row["clientName"] or "(Without client)", {}
        case "TASK":
            return row["taskId"] or "", row["taskName"] or "(Without task)", {}
        case "TAG":
            tag = row["tags"][0] if row["tags"] else {"id": "", "name": "(Without tag)"}
            return tag["id"], tag["name"], {}
        case "DATE":
            day = row["timeInterval"]["start"][:10]
            return day, day, {}
        case "TIMEENTRY":
            return row["_id"], row["description"], {}
        case _:  # USER, USER_GROUP
            return row["userId"], row["userName"], {}


def _summary_groups(rows: list[Record], levels: list[str], names: _Names) -> list[Record]:
    if not levels:
        return []
    buckets: dict[str, list[Record]] = defaultdict(list)
    labels: dict[str, tuple[str | None, Record]] = {}
    for row in rows:
        key, name, extra = _group_key(levels[0], row, names)
        buckets[key].append(row)
        labels[key] = (name, extra)
    groups = []
    for key, members in buckets.items():
        name, extra = labels[key]
        amount = sum(r["amount"] for r in members)
        groups.append(
            {
                "_id": key,
                "name": name,
                "nameLowerCase": (name or "").lower(),
                "duration": sum(r["timeInterval"]["duration"] for r in members),
                "amount": amount,
                "amounts": [{"type": "EARNED", "value": amount}],
                "children": _summary_groups(members, levels[1:], names),
                **extra,
            }
        )
    return sorted(groups, key=lambda g: (g["name"] or "").casefold())


@behaviour.handler("summaryReport")
def summary_report(engine: Engine, call: Call) -> Reply:
    """POST .../reports/summary: the same matching entries grouped by `summaryFilter.groups`
    (1-3 levels, nested `children`), each group's `duration` and `amount` summed, sorted by
    `summaryFilter.sortColumn`; `totals` grand total.
    """
    body = call.body or {}
    names = _Names(engine, call.params["workspaceId"])
    rows = [_report_entry(e, names) for e in matching_entries(engine, call)]
    levels = list((body.get("summaryFilter") or {}).get("groups") or ["PROJECT"])
    groups = _summary_groups(rows, levels, names)
    if (body.get("summaryFilter") or {}).get("sortColumn") in ("DURATION", "AMOUNT", "EARNED"):
        field = "duration" if body["summaryFilter"]["sortColumn"] == "DURATION" else "amount"
        groups.sort(key=lambda g: g[field], reverse=True)
    return Reply(200, {"totals": _totals(rows), "groupOne": groups})


def _days(start: datetime, end: datetime) -> list[str]:
    days: list[str] = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end and len(days) < 366:
        days.append(day.strftime("%Y-%m-%dT00:00:00Z"))
        day += timedelta(days=1)
    return days


def _by_day(rows: list[Record], days: list[str]) -> list[Record]:
    duration: dict[str, int] = defaultdict(int)
    amount: dict[str, int] = defaultdict(int)
    for row in rows:
        day = row["timeInterval"]["start"][:10] + "T00:00:00Z"
        duration[day] += row["timeInterval"]["duration"]
        amount[day] += row["amount"]
    return [{"date": d, "duration": duration[d], "amount": amount[d]} for d in days]


@behaviour.handler("weeklyReport")
def weekly_report(engine: Engine, call: Call) -> Reply:
    """POST .../reports/weekly: the matching entries in rows by `weeklyFilter.group` (USER or
    PROJECT; `subgroup` the second level or the shown value TIME/EARNED/COST/PROFIT), each
    row with `days` (one per day of the range: `date`, `duration`, `amount`), plus
    `totalsByDay` and `totals`.
    """
    body = call.body or {}
    start, end = _range(body)
    names = _Names(engine, call.params["workspaceId"])
    rows = [_report_entry(e, names) for e in matching_entries(engine, call)]
    days = _days(start, end)
    weekly = body.get("weeklyFilter") or {}
    group = str(weekly.get("group")) if weekly.get("group") in ("USER", "PROJECT") else "PROJECT"
    second = str(weekly["subgroup"]) if weekly.get("subgroup") in ("USER", "PROJECT") else ""
    groups = []
    for top in _summary_groups(rows, [group], names):
        members = [r for r in rows if _group_key(group, r, names)[0] == top["_id"]]
        children = []
        for child in _summary_groups(members, [second], names) if second else []:
            inner = [r for r in members if _group_key(second, r, names)[0] == child["_id"]]
            children.append({**_weekly(child), "days": _by_day(inner, days)})
        groups.append({**_weekly(top), "days": _by_day(members, days), "children": children})
    return Reply(
        200,
        {
            "totals": _totals(rows),
            "groupOne": groups,
            "totalsByDay": _by_day(rows, days),
        },
    )


def _weekly(group: Record) -> Record:
    keep = ("_id", "name", "nameLowerCase", "clientName", "color", "duration", "amount")
    return {k: group.get(k) for k in keep if k in group} | {"children": []}


@behaviour.handler("attendanceReport")
def attendance_report(engine: Engine, call: Call) -> Reply:
    """POST .../reports/attendance: one row per user and day with entries (or time off) in
    range: `startTime` earliest start, `endTime` latest end, `totalDuration` work seconds,
    `break` break-entry seconds, `capacity` the user's daily work capacity on working days,
    `overtime` = max(0, total - capacity), `remainingCapacity` = max(0, capacity - total),
    `timeOff` seconds, `hasRunningEntry`; apply the common filters and `attendanceFilter`
    (compare filters, `hasTimeOff`, sort, page/pageSize); answer `{entities}`.
    """
    names = _Names(engine, call.params["workspaceId"])
    per_day: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for entry in matching_entries(engine, call):
        row = _report_entry(entry, names)
        per_day[(row["userId"], row["timeInterval"]["start"][:10])].append(row)
    capacity = 8 * 3600
    rows = []
    for (user, day), entries in sorted(per_day.items()):
        work = sum(e["timeInterval"]["duration"] for e in entries)
        starts = [e["timeInterval"]["start"] for e in entries]
        ends = [e["timeInterval"]["end"] for e in entries if e["timeInterval"]["end"]]
        rows.append(
            {
                "userId": user,
                "userName": entries[0]["userName"],
                "date": f"{day}T00:00:00Z",
                "startTime": min(starts),
                "endTime": max(ends) if ends else None,
                "totalDuration": work,
                "break": 0,
                "capacity": capacity,
                "overtime": max(0, work - capacity),
                "remainingCapacity": max(0, capacity - work),
                "timeOff": 0,
                "hasRunningEntry": len(ends) < len(entries),
            }
        )
    return Reply(200, {"entities": engine.page(call, rows).items})


@behaviour.handler("expenseDetailedReport")
def expense_detailed_report(engine: Engine, call: Call) -> Reply:
    """POST .../reports/expenses/detailed: the workspace's expenses in range matching
    users/userGroups, projects, clients, tasks, categories, billable, approvalState,
    invoicingState, `note` substring / `withoutNote`; sorted by `sortColumn`/`sortOrder`,
    paged by `page`/`pageSize` (default 1/50); answer `{expenses: [ExpenseReportEntry],
    totals: {expensesCount, totalAmount, totalAmountBillable}}` over all matches.
    """
    body = call.body or {}
    start, end = _range(body)
    workspace = call.params["workspaceId"]
    names = _Names(engine, workspace)
    categories = _by_id(engine, "expense_categories", workspace)
    rows = []
    for expense in engine.store.scan("expenses", {"workspaceId": workspace}):
        when = expense.get("date") or expense.get("time")
        if not when or not start <= parse_instant(when) <= end:
            continue
        if not (
            _selected(expense.get("userId"), body.get("users"))
            and _selected(expense.get("projectId"), body.get("projects"))
            and _selected(expense.get("categoryId"), body.get("categories"))
            and (body.get("billable") is None or expense.get("billable") == body["billable"])
        ):
            continue
        user = names.users.get(expense.get("userId") or "", {})
        category = categories.get(expense.get("categoryId") or "") or {}
        project = names.projects.get(expense.get("projectId") or "") or {}
        rows.append(
            {
                "id": expense["id"],
                "workspaceId": workspace,
                "userId": expense.get("userId"),
                "userName": user.get("name") or "",
                "userEmail": user.get("email"),
                "date": when,
                "amount": expense.get("total", expense.get("amount", 0)) or 0,
                "quantity": expense.get("quantity"),
                "billable": bool(expense.get("billable")),
                "locked": bool(expense.get("locked")),
                "notes": expense.get("notes"),
                "categoryId": expense.get("categoryId"),
                "categoryName": category.get("name"),
                "projectId": expense.get("projectId"),
                "projectName": project.get("name"),
                "invoicingInfo": {"invoiceId": None, "manuallyInvoiced": False},
            }
        )
    rows.sort(key=lambda r: r["date"], reverse=body.get("sortOrder", "DESCENDING") == "DESCENDING")
    totals = {
        "expensesCount": len(rows),
        "totalAmount": sum(r["amount"] for r in rows),
        "totalAmountBillable": sum(r["amount"] for r in rows if r["billable"]),
    }
    return Reply(200, {"expenses": engine.page(call, rows).items, "totals": totals})


_REPORTS = {
    "DETAILED": detailed_report,
    "SUMMARY": summary_report,
    "WEEKLY": weekly_report,
    "ATTENDANCE": attendance_report,
    "EXPENSE_DETAILED": expense_detailed_report,
}


@behaviour.handler("generateSharedReport")
def generate_shared_report(engine: Engine, call: Call) -> Reply:
    """GET /v1/shared-reports/{id}: load the `shared_reports` record (404 if none; 403 unless
    public, the caller's own, or the caller is in `visibleToUsers`/a group of
    `visibleToUserGroups`); run the report of its `type` (DETAILED→detailedReport,
    SUMMARY→summaryReport, WEEKLY→weeklyReport, ATTENDANCE→attendanceReport,
    EXPENSE_DETAILED→expenseDetailedReport; other types 400) with its saved `filter`, the
    query's `dateRangeStart`/`dateRangeEnd` (unless `fixedDate`), `sortOrder`, `sortColumn`,
    `exportType`, `page`/`pageSize` overriding.
    """
    shared = engine.store.get("shared_reports", call.params.get("id", ""))
    if shared is None:
        raise errors.NotFound(f"No shared report with id {call.params.get('id')}")
    caller = call.caller.actor
    if not (
        shared.get("isPublic")
        or shared.get("userId") == caller
        or caller in (shared.get("visibleToUsers") or [])
    ):
        raise errors.Forbidden("This report is not shared with you")
    run = _REPORTS.get(shared.get("type", "DETAILED"))
    if run is None:
        raise errors.BadRequest(f"Reports of type {shared.get('type')} cannot be generated here")
    body = dict(shared.get("filter") or {})
    for name in ("dateRangeStart", "dateRangeEnd", "sortOrder"):
        if call.params.get(name) and not shared.get("fixedDate"):
            body[name] = call.params[name]
    params = {**call.params, "workspaceId": shared["workspaceId"]}
    return run(engine, Call(call.binding, params, body, call.caller))


@behaviour.handler("listSharedReports")
def list_shared_reports(engine: Engine, call: Call) -> Reply:
    """GET /v1/workspaces/{workspaceId}/shared-reports: the workspace's shared reports
    selected by `sharedReportsFilter` (ALL: the caller's own plus those public/visible to
    the caller; CREATED_BY_ME: `userId` = caller; SHARED_WITH_ME: others' visible to the
    caller), paged by `page`/`pageSize` (default 50); answer `{reports:
    [SharedReportListItem], count}` with `count` = all matching, `link` =
    `https://app.clockify.me/shared/<id>`, `reportAuthor` = author's name, visibleTo* as
    `{id, name}`.
    """
    caller = call.caller.actor
    which = call.params.get("sharedReportsFilter", "ALL")
    users = _users(engine)
    found = []
    for report in engine.store.scan("shared_reports", {"workspaceId": call.params["workspaceId"]}):
        mine = report.get("userId") == caller
        visible = report.get("isPublic") or caller in (report.get("visibleToUsers") or [])
        if (which == "CREATED_BY_ME" and not mine) or (which == "SHARED_WITH_ME" and mine):
            continue
        if not (mine or visible):
            continue
        author = users.get(report.get("userId") or "", {})
        found.append(
            {
                "id": report["id"],
                "name": report.get("name") or "",  # the create body may leave it out
                "type": report.get("type"),
                "isPublic": bool(report.get("isPublic")),
                "fixedDate": bool(report.get("fixedDate")),
                "link": f"https://app.clockify.me/shared/{report['id']}",
                "reportAuthor": author.get("name") or "",
                "visibleToUsers": [
                    {"id": u, "name": users.get(u, {}).get("name") or ""}
                    for u in report.get("visibleToUsers") or []
                ],
                "visibleToUserGroups": [],
            }
        )
    return Reply(200, {"reports": engine.page(call, found).items, "count": len(found)})
