"""Clockify handlers of approvals-expenses.yaml: approval requests with their period totals,
client updates with archive cascades and per-project custom field values (expenses and
holidays are in expenses.py).

Money is cents of the workspace currency, durations ISO-8601 strings.
"The caller" is the API key's user; records are scoped by ``workspaceId``; ids are 24-hex.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from understudy.derive import iso_duration
from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, new_id, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.reports import seconds
from understudy.mock.surfaces.clockify.shared import (
    currency,
    flag,
    instant,
    is_member,
    owned,
    sort_by,
)

Record = dict[str, Any]
APPROVALS = "approval_requests"
EXPENSES = "expenses"
CATEGORIES = "expense_categories"
HOLIDAYS = "holidays"
FIELDS = "custom_fields"
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
MOVES = {
    "PENDING": {"APPROVED", "REJECTED", "WITHDRAWN_SUBMISSION"},
    "APPROVED": {"WITHDRAWN_APPROVAL"},
    "REJECTED": {"PENDING"},
    "WITHDRAWN_SUBMISSION": {"PENDING"},
    "WITHDRAWN_APPROVAL": {"PENDING"},
}
REOPENABLE = {"REJECTED", "WITHDRAWN_SUBMISSION", "WITHDRAWN_APPROVAL"}


def _user(engine: Engine, user_id: str | None) -> Record:
    return engine.store.get("users", user_id or "") or {}


# ---------------------------------------------------------------- approval requests
def _period_end(start: datetime, period: str) -> datetime:
    """The last second of the period that begins at ``start``."""
    if period == "WEEKLY":
        return start + timedelta(days=7, seconds=-1)
    if period == "SEMI_MONTHLY" and start.day < 16:
        return start.replace(day=16) - timedelta(seconds=1)
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=last) + timedelta(days=1, seconds=-1)


def _workspace_period(engine: Engine, workspace: str) -> str | None:
    record = engine.store.get("workspaces", workspace) or {}
    settings = record.get("workspaceSettings") or {}
    value = settings.get("approvalPeriod") or (settings.get("approvalSettings") or {}).get("period")
    return str(value) if value else None


def _owner_id(engine: Engine, call: Call) -> str:
    user = call.params.get("userId")
    if user is None:
        return str(call.caller.actor)
    if not is_member(engine, call.params["workspaceId"], user):
        raise errors.NotFound(f"User with id {user} doesn't exist in the workspace")
    return str(user)


def _period(engine: Engine, call: Call) -> tuple[datetime, datetime]:
    body = call.body or {}
    start = instant(body.get("periodStart"), "periodStart")
    setting = _workspace_period(engine, call.params["workspaceId"])
    period = body.get("period") or setting or "WEEKLY"
    if setting and period != setting:
        raise errors.BadRequest(f"The period {period} doesn't match the workspace's {setting}")
    return start, _period_end(start, period)


def _in_range(moment: str | None, request: Record) -> bool:
    span = request.get("dateRange") or {}
    if not moment or not span.get("start") or not span.get("end"):
        return False
    when = parse_instant(moment)
    return parse_instant(span["start"]) <= when <= parse_instant(span["end"])


def _period_entries(engine: Engine, request: Record) -> list[Record]:
    where = {"workspaceId": request["workspaceId"], "userId": request["owner"]["userId"]}
    return [
        e
        for e in engine.store.scan("time_entries", where)
        if _in_range((e.get("timeInterval") or {}).get("start"), request)
    ]


def _period_expenses(engine: Engine, request: Record) -> list[Record]:
    where = {"workspaceId": request["workspaceId"], "userId": request["owner"]["userId"]}
    span = request.get("dateRange") or {}
    first, last = str(span.get("start", ""))[:10], str(span.get("end", ""))[:10]
    return [x for x in engine.store.scan(EXPENSES, where) if first <= str(x.get("date")) <= last]


def _stamp_status(engine: Engine, call: Call, state: str, note: Any) -> Record:
    caller = _user(engine, call.caller.actor)
    return {
        "state": state,
        "note": note,
        "updatedAt": iso(engine.clock.now()),
        "updatedBy": call.caller.actor,
        "updatedByUserName": caller.get("name"),
    }


@behaviour.handler("submitApprovalRequest")
def submit_approval_request(engine: Engine, call: Call) -> Reply:
    """POST .../approval-requests and .../approval-requests/users/{userId}: owner = path
    `userId` (404 if no member of the workspace) or the caller; creator = caller (userId,
    userName, userEmail); `dateRange` = the period (`period`, default the workspace's
    approval period, WEEKLY: 7 days, SEMI_MONTHLY: 1st-15th / 16th-end, MONTHLY: the
    calendar month) starting at `periodStart` (400 if `period` differs from the workspace
    setting, or an approval request for that owner and start exists and is not WITHDRAWN_*);
    `owner.startOfWeek`/`timeZone` from the user's settings; `status` = {state: PENDING,
    note: null, updatedAt: now, updatedBy: caller, updatedByUserName}; set
    `approvalRequestId` on the owner's entries of the period; store and answer 201.
    """
    workspace = call.params["workspaceId"]
    owner_id = _owner_id(engine, call)
    start, end = _period(engine, call)
    with engine.store.transaction():
        for other in engine.store.scan(APPROVALS, {"workspaceId": workspace}):
            same = (other.get("owner") or {}).get("userId") == owner_id and _same_start(
                other, start
            )
            if same and not str((other.get("status") or {}).get("state")).startswith("WITHDRAWN"):
                raise errors.BadRequest("An approval request for this period already exists")
        owner, creator = _user(engine, owner_id), _user(engine, call.caller.actor)
        settings = owner.get("settings") or {}
        record: Record = {
            "id": new_id(engine.surface.collections[APPROVALS], engine.clock.now()),
            "workspaceId": workspace,
            "creator": {
                "userId": call.caller.actor,
                "userName": creator.get("name"),
                "userEmail": creator.get("email"),
            },
            "owner": {
                "userId": owner_id,
                "userName": owner.get("name"),
                "startOfWeek": settings.get("weekStart") or "MONDAY",
                "timeZone": settings.get("timeZone") or "UTC",
            },
            "dateRange": {"start": iso(start), "end": iso(end)},
            "status": _stamp_status(engine, call, "PENDING", None),
        }
        record = {k: v for k, v in record.items() if v is not None}
        engine.store.put(APPROVALS, record["id"], record)
        for entry in _period_entries(engine, record):
            engine.store.put(
                "time_entries", entry["id"], {**entry, "approvalRequestId": record["id"]}
            )
    return Reply(201, record)


def _same_start(request: Record, start: datetime) -> bool:
    begin = (request.get("dateRange") or {}).get("start")
    return bool(begin) and parse_instant(begin) == start


@behaviour.handler("resubmitApprovalEntries")
def resubmit_approval_entries(engine: Engine, call: Call) -> Reply:
    """POST .../resubmit-entries-for-approval, caller or path `userId`: find the owner's
    approval request for the period starting at `periodStart` (400 if none); if REJECTED or
    WITHDRAWN_*, set it back to PENDING (stamp updatedAt/updatedBy, clear note); answer 200
    with no body.
    """
    workspace = call.params["workspaceId"]
    owner_id = _owner_id(engine, call)
    start, _ = _period(engine, call)
    with engine.store.transaction():
        found = [
            r
            for r in engine.store.scan(APPROVALS, {"workspaceId": workspace})
            if (r.get("owner") or {}).get("userId") == owner_id and _same_start(r, start)
        ]
        if not found:
            raise errors.BadRequest("No approval request for this period")
        for request in found:
            if (request.get("status") or {}).get("state") in REOPENABLE:
                status = _stamp_status(engine, call, "PENDING", None)
                engine.store.put(APPROVALS, request["id"], {**request, "status": status})
    return Reply(200)


@behaviour.handler("updateApprovalRequest")
def update_approval_request(engine: Engine, call: Call) -> Reply:
    """PATCH .../approval-requests/{approvalRequestId}: set `status.state` = body `state` and
    `status.note` = body `note`, stamp `updatedAt` now, `updatedBy` caller,
    `updatedByUserName`; allowed moves PENDING→APPROVED|REJECTED|WITHDRAWN_SUBMISSION,
    APPROVED→WITHDRAWN_APPROVAL, REJECTED|WITHDRAWN_SUBMISSION|WITHDRAWN_APPROVAL→PENDING
    (same state: no-op); others 400. APPROVED sets `locked` on the period's expenses (and
    `isLocked` on its time entries); leaving APPROVED clears it.
    """
    body = call.body or {}
    target = body.get("state")
    with engine.store.transaction():
        current = engine.load(call)
        state = (current.get("status") or {}).get("state")
        if target == state:
            return Reply(200, current)
        if target not in MOVES.get(str(state), set()):
            raise errors.BadRequest(f"An approval request cannot move from {state} to {target}")
        record = {**current, "status": _stamp_status(engine, call, target, body.get("note"))}
        engine.store.put(APPROVALS, record["id"], record)
        if "APPROVED" in (state, target):
            locked = target == "APPROVED"
            for expense in _period_expenses(engine, record):
                engine.store.put(EXPENSES, expense["id"], {**expense, "locked": locked})
            for entry in _period_entries(engine, record):
                engine.store.put("time_entries", entry["id"], {**entry, "isLocked": locked})
    return Reply(200, record)


def _rate(entry: Record, project: Record, name: str) -> int:
    rate = entry.get(name) or project.get(name) or {}
    return int(rate.get("amount") or 0) if isinstance(rate, Mapping) else 0


_ENTRY_FIELDS = (
    "id",
    "description",
    "userId",
    "projectId",
    "taskId",
    "tagIds",
    "billable",
    "type",
    "approvalRequestId",
    "timeInterval",
)


def _details(engine: Engine, request: Record) -> Record:
    entries = _period_entries(engine, request)
    expenses = _period_expenses(engine, request)
    tracked = billable = breaks = 0
    billable_amount = cost_amount = 0.0
    for entry in entries:
        worked = seconds((entry.get("timeInterval") or {}).get("duration"))
        if entry.get("type") == "BREAK":
            breaks += worked
            continue
        tracked += worked
        project = engine.store.get("projects", entry.get("projectId") or "") or {}
        cost_amount += _rate(entry, project, "costRate") * worked / 3600
        if entry.get("billable"):
            billable += worked
            billable_amount += _rate(entry, project, "hourlyRate") * worked / 3600
    state = (request.get("status") or {}).get("state")
    zero = datetime(2000, 1, 1, tzinfo=UTC)

    def text(total: int) -> str:
        return iso_duration(zero, zero + timedelta(seconds=total))

    return {
        "approvalRequest": request,
        "approvedTime": text(tracked if state == "APPROVED" else 0),
        "billableAmount": round(billable_amount),
        "billableTime": text(billable),
        "breakTime": text(breaks),
        "costAmount": round(cost_amount),
        "entries": [{k: e.get(k) for k in _ENTRY_FIELDS if k in e} for e in entries],
        "expenseTotal": round(sum(float(x.get("total") or 0) for x in expenses)),
        "expenses": expenses,
        "pendingTime": text(tracked if state == "PENDING" else 0),
        "trackedTime": text(tracked),
    }


_APPROVAL_SORT = {
    "ID": lambda r: r.get("id") or "",
    "USER_ID": lambda r: (r.get("owner") or {}).get("userId") or "",
    "START": lambda r: (r.get("dateRange") or {}).get("start") or "",
    "UPDATED_AT": lambda r: (r.get("status") or {}).get("updatedAt") or "",
}


@behaviour.handler("listApprovalRequests")
def list_approval_requests(engine: Engine, call: Call) -> Reply:
    """GET .../approval-requests: the workspace's `approval_requests`, filtered by `status`
    (= `status.state`), sorted by `sort-column` (ID→id, USER_ID→owner.userId,
    START→dateRange.start, UPDATED_AT→status.updatedAt) and `sort-order`, paged by
    `page`/`page-size` (default 50); answer a bare array of `{approvalRequest, approvedTime,
    billableAmount, billableTime, breakTime, costAmount, entries, expenseTotal, expenses,
    pendingTime, trackedTime}` computed from the owner's `time_entries` and `expenses`
    inside `dateRange` (times as ISO durations; break entries → breakTime; approvedTime =
    trackedTime when APPROVED, pendingTime when PENDING; amounts in cents).
    """
    params = call.params
    requests = list(engine.store.scan(APPROVALS, {"workspaceId": params["workspaceId"]}))
    if params.get("status"):
        requests = [r for r in requests if (r.get("status") or {}).get("state") == params["status"]]
    key = _APPROVAL_SORT.get(str(params.get("sort-column") or "START"), _APPROVAL_SORT["START"])
    descending = str(params.get("sort-order") or "").upper().startswith("DESC")
    requests.sort(key=lambda r: (key(r), r.get("id") or ""), reverse=descending)
    return Reply(200, [_details(engine, r) for r in engine.page(call, requests).items])


# ---------------------------------------------------------------- clients
@behaviour.handler("updateClient")
def update_client(engine: Engine, call: Call) -> Reply:
    """PUT .../clients/{id}: merge the body into the client (as the generic replace does);
    `currencyCode` follows `currencyId` (the workspace currency's code); when the result is
    `archived` and query `archive-projects` is true, set `archived: true` on the workspace's
    `projects` with this `clientId`, and with `mark-tasks-as-done` also set `status: DONE`
    on those projects' `tasks`.
    """
    collection = engine.surface.collections["clients"]
    workspace = call.params["workspaceId"]
    body = dict(call.body or {})
    with engine.store.transaction():
        current = engine.load(call)
        if "currencyId" in body:
            body["currencyCode"] = _currency_code(engine, workspace, body["currencyId"])
        record = engine._update(call, collection, current, body)
        if record.get("archived") and flag(call.params.get("archive-projects")):
            done = flag(call.params.get("mark-tasks-as-done"))
            where = {"workspaceId": workspace, "clientId": record["id"]}
            for project in list(engine.store.scan("projects", where)):
                engine.store.put("projects", project["id"], {**project, "archived": True})
                if done:
                    for task in list(engine.store.scan("tasks", {"projectId": project["id"]})):
                        engine.store.put("tasks", task["id"], {**task, "status": "DONE"})
    return Reply(200, record)


def _currency_code(engine: Engine, workspace: str, currency_id: Any) -> str | None:
    if not currency_id:
        return None
    record = engine.store.get("workspaces", workspace) or {}
    for item in record.get("currencies") or []:
        if item.get("id") == currency_id:
            return str(item.get("code")) if item.get("code") else None
    return currency(engine, workspace)


# ---------------------------------------------------------------- project custom fields
def _project(engine: Engine, call: Call) -> Record:
    return owned(
        engine, "projects", call.params.get("projectId"), call.params["workspaceId"], "Project"
    )


def _field(engine: Engine, call: Call) -> Record:
    return owned(
        engine, FIELDS, call.params.get("customFieldId"), call.params["workspaceId"], "CustomField"
    )


def _for_project(field: Record, project_id: str) -> Record:
    entries = [
        e for e in field.get("projectDefaultValues") or [] if e.get("projectId") == project_id
    ]
    return {**field, "projectDefaultValues": entries}


@behaviour.handler("listProjectCustomFields")
def list_project_custom_fields(engine: Engine, call: Call) -> Reply:
    """GET .../projects/{projectId}/custom-fields: 404 if the project is not in the
    workspace; the workspace's `custom_fields` (entityType filter from `entity-type`), each
    answered with `projectDefaultValues` reduced to this project's entry; `status` filters
    on the project entry's status when present, else the field's status.
    """
    project = _project(engine, call)
    kind, status = call.params.get("entity-type"), call.params.get("status")
    found = []
    for field in engine.store.scan(FIELDS, {"workspaceId": call.params["workspaceId"]}):
        if kind and field.get("entityType") != kind:
            continue
        shown = _for_project(field, project["id"])
        entries = shown["projectDefaultValues"]
        effective = (entries[0].get("status") if entries else None) or field.get("status")
        if status and effective != status:
            continue
        found.append(shown)
    return Reply(200, sort_by(found, "name", "ASCENDING"))


@behaviour.handler("removeProjectCustomField")
def remove_project_custom_field(engine: Engine, call: Call) -> Reply:
    """DELETE .../projects/{projectId}/custom-fields/{customFieldId}: 404 if project or field
    unknown; remove the entry with this `projectId` from the field's `projectDefaultValues`;
    answer the field (200).
    """
    project = _project(engine, call)
    with engine.store.transaction():
        field = _field(engine, call)
        entries = [
            e
            for e in field.get("projectDefaultValues") or []
            if e.get("projectId") != project["id"]
        ]
        field = {**field, "projectDefaultValues": entries}
        engine.store.put(FIELDS, field["id"], field)
    return Reply(200, field)


@behaviour.handler("updateProjectCustomField")
def update_project_custom_field(engine: Engine, call: Call) -> Reply:
    """PATCH .../projects/{projectId}/custom-fields/{customFieldId}: 404 if project or field
    unknown; upsert `{projectId, value: defaultValue, status}` in the field's
    `projectDefaultValues` (fields left out keep the entry's value, a new entry takes the
    field's `workspaceDefaultValue`/`status`); answer the field.
    """
    project = _project(engine, call)
    body = call.body or {}
    with engine.store.transaction():
        field = _field(engine, call)
        entries = list(field.get("projectDefaultValues") or [])
        index = next(
            (i for i, e in enumerate(entries) if e.get("projectId") == project["id"]), None
        )
        entry = (
            dict(entries[index])
            if index is not None
            else {"value": field.get("workspaceDefaultValue"), "status": field.get("status")}
        )
        entry["projectId"] = project["id"]
        if "defaultValue" in body:
            entry["value"] = body["defaultValue"]
        if body.get("status"):
            entry["status"] = body["status"]
        entry["status"] = entry.get("status") or "VISIBLE"
        if index is None:
            entries.append(entry)
        else:
            entries[index] = entry
        field = {**field, "projectDefaultValues": entries}
        engine.store.put(FIELDS, field["id"], field)
    return Reply(200, field)
