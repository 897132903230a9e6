"""Clockify handlers of approvals-expenses.yaml: approval requests with their period totals,
client updates with archive cascades, per-project custom field values, expenses with their
receipts, and holidays.

Money is cents of the workspace currency, durations ISO-8601 strings. Uploaded receipts arrive
as ``{filename, contentType, size}`` (plus ``content`` bytes when the view passes them); they
are kept in the mock's own ``expense_receipts`` collection under the expense's ``fileId``.
"""

from __future__ import annotations

import base64
import calendar
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.clockify import (
    currency,
    is_member,
    iso_duration,
    name_matches,
    owned,
    page,
    sort_by,
)
from understudy.mock.clockify_reports import seconds
from understudy.mock.engine import Call, Engine, Reply, handler, iso, new_id, parse_instant

Record = dict[str, Any]
APPROVALS = "approval_requests"
EXPENSES = "expenses"
CATEGORIES = "expense_categories"
HOLIDAYS = "holidays"
FIELDS = "custom_fields"
RECEIPTS = "expense_receipts"  # the mock's own: receipt files by fileId
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
MOVES = {
    "PENDING": {"APPROVED", "REJECTED", "WITHDRAWN_SUBMISSION"},
    "APPROVED": {"WITHDRAWN_APPROVAL"},
    "REJECTED": {"PENDING"},
    "WITHDRAWN_SUBMISSION": {"PENDING"},
    "WITHDRAWN_APPROVAL": {"PENDING"},
}
REOPENABLE = {"REJECTED", "WITHDRAWN_SUBMISSION", "WITHDRAWN_APPROVAL"}


def _bool(value: Any, default: bool = False) -> bool:
    """A flag from JSON or from a multipart form field (``"true"``)."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _user(engine: Engine, user_id: str | None) -> Record:
    return engine.store.get("users", user_id or "") or {}


def _instant(value: Any, what: str) -> datetime:
    try:
        return parse_instant(str(value)).astimezone(UTC)
    except (TypeError, ValueError):
        raise errors.BadRequest(f"{what} is not a valid date-time: {value}") from None


def _day(value: Any, what: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        raise errors.BadRequest(f"{what} is not a valid date: {value}") from None


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
    start = _instant(body.get("periodStart"), "periodStart")
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


@handler("submitApprovalRequest")
def submit_approval_request(engine: Engine, call: Call) -> Reply:
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


@handler("resubmitApprovalEntries")
def resubmit_approval_entries(engine: Engine, call: Call) -> Reply:
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


@handler("updateApprovalRequest")
def update_approval_request(engine: Engine, call: Call) -> Reply:
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


@handler("listApprovalRequests")
def list_approval_requests(engine: Engine, call: Call) -> Reply:
    params = call.params
    requests = list(engine.store.scan(APPROVALS, {"workspaceId": params["workspaceId"]}))
    if params.get("status"):
        requests = [r for r in requests if (r.get("status") or {}).get("state") == params["status"]]
    key = _APPROVAL_SORT.get(str(params.get("sort-column") or "START"), _APPROVAL_SORT["START"])
    descending = str(params.get("sort-order") or "").upper().startswith("DESC")
    requests.sort(key=lambda r: (key(r), r.get("id") or ""), reverse=descending)
    return Reply(200, [_details(engine, r) for r in page(requests, params)])


# ---------------------------------------------------------------- clients
@handler("updateClient")
def update_client(engine: Engine, call: Call) -> Reply:
    collection = engine.surface.collections["clients"]
    workspace = call.params["workspaceId"]
    body = dict(call.body or {})
    with engine.store.transaction():
        current = engine.load(call)
        if "currencyId" in body:
            body["currencyCode"] = _currency_code(engine, workspace, body["currencyId"])
        record = engine._update(call, collection, current, body)
        if record.get("archived") and _bool(call.params.get("archive-projects")):
            done = _bool(call.params.get("mark-tasks-as-done"))
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


@handler("listProjectCustomFields")
def list_project_custom_fields(engine: Engine, call: Call) -> Reply:
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


@handler("removeProjectCustomField")
def remove_project_custom_field(engine: Engine, call: Call) -> Reply:
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


@handler("updateProjectCustomField")
def update_project_custom_field(engine: Engine, call: Call) -> Reply:
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


# ---------------------------------------------------------------- expenses
def _week_start(engine: Engine, workspace: str) -> int:
    record = engine.store.get("workspaces", workspace) or {}
    day = (record.get("workspaceSettings") or {}).get("weekStart") or record.get("weekStart")
    return WEEKDAYS.index(day) if day in WEEKDAYS else 0


@handler("listExpenses")
def list_expenses(engine: Engine, call: Call) -> Reply:
    workspace = call.params["workspaceId"]
    where = {"workspaceId": workspace}
    if call.params.get("user-id"):
        where["userId"] = call.params["user-id"]
    found = list(engine.store.scan(EXPENSES, where))
    found.sort(key=lambda x: (str(x.get("date") or ""), x.get("id") or ""), reverse=True)
    first_day = _week_start(engine, workspace)
    daily: dict[str, float] = {}
    weekly: dict[str, float] = {}
    for expense in found:
        total = float(expense.get("total") or 0)
        try:
            day = date.fromisoformat(str(expense.get("date"))[:10])
        except ValueError:
            continue
        week = day - timedelta(days=(day.weekday() - first_day) % 7)
        daily[day.isoformat()] = daily.get(day.isoformat(), 0) + total
        weekly[week.isoformat()] = weekly.get(week.isoformat(), 0) + total
    return Reply(
        200,
        {
            "dailyTotals": [{"date": d, "total": t} for d, t in sorted(daily.items())],
            "expenses": {"count": len(found), "expenses": page(found, call.params)},
            "weeklyTotals": [{"date": d, "total": t} for d, t in sorted(weekly.items())],
        },
    )


def _check_expense(engine: Engine, workspace: str, record: Record) -> Record:
    """The expense's references must hold in the workspace (400); answers its category."""
    category = engine.store.get(CATEGORIES, str(record.get("categoryId") or ""))
    if category is None or category.get("workspaceId") != workspace or category.get("archived"):
        raise errors.BadRequest(f"Expense category doesn't exist: {record.get('categoryId')}")
    project = engine.store.get("projects", str(record.get("projectId") or ""))
    if record.get("projectId") and (project is None or project.get("workspaceId") != workspace):
        raise errors.BadRequest(f"Project doesn't belong to Workspace: {record.get('projectId')}")
    if record.get("taskId"):
        task = engine.store.get("tasks", str(record["taskId"])) or {}
        if task.get("workspaceId", workspace) != workspace or (
            not task or task.get("projectId") != record.get("projectId")
        ):
            raise errors.BadRequest(f"Task doesn't belong to the project: {record['taskId']}")
    if not is_member(engine, workspace, record.get("userId")):
        raise errors.BadRequest(f"User doesn't belong to Workspace: {record.get('userId')}")
    return category


def _amounts(category: Record, amount: Any) -> Record:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        raise errors.BadRequest(f"amount is not a number: {amount}") from None
    if category.get("hasUnitPrice"):
        return {"quantity": value, "total": value * float(category.get("priceInCents") or 0)}
    return {"quantity": 1.0, "total": round(value * 100, 2)}


def _store_receipt(engine: Engine, upload: Any, expense_id: str) -> str | None:
    if not isinstance(upload, Mapping):
        return None
    file_id = new_id(engine.surface.collections[EXPENSES], engine.clock.now())
    content = upload.get("content")
    receipt = {
        "id": file_id,
        "expenseId": expense_id,
        "filename": upload.get("filename"),
        "contentType": upload.get("contentType"),
        "size": upload.get("size"),
        "content": base64.b64encode(content).decode() if isinstance(content, bytes) else None,
    }
    engine.store.put(RECEIPTS, file_id, receipt)
    return file_id


@handler("createExpense")
def create_expense(engine: Engine, call: Call) -> Reply:
    workspace = call.params["workspaceId"]
    body = call.body or {}
    if body.get("amount") is None or body.get("date") is None:
        raise errors.BadRequest("amount and date are required")
    day = _instant(body["date"], "date").date().isoformat()
    record: Record = {
        "id": new_id(engine.surface.collections[EXPENSES], engine.clock.now()),
        "workspaceId": workspace,
        "userId": body.get("userId"),
        "projectId": body.get("projectId") or None,
        "taskId": body.get("taskId") or None,
        "categoryId": body.get("categoryId"),
        "date": day,
        "notes": body.get("notes"),
        "billable": _bool(body.get("billable")),
        "locked": False,
        "fileId": None,
    }
    with engine.store.transaction():
        category = _check_expense(engine, workspace, record)
        record.update(_amounts(category, body["amount"]))
        record["fileId"] = _store_receipt(engine, body.get("file"), record["id"])
        engine.store.put(EXPENSES, record["id"], record)
    return Reply(201, record)


_CHANGES = {
    "USER": "userId",
    "PROJECT": "projectId",
    "TASK": "taskId",
    "CATEGORY": "categoryId",
    "NOTES": "notes",
    "BILLABLE": "billable",
}


@handler("updateExpense")
def update_expense(engine: Engine, call: Call) -> Reply:
    workspace = call.params["workspaceId"]
    body = call.body or {}
    changes = body.get("changeFields") or []
    if isinstance(changes, str):  # a form field may carry the list comma-separated
        changes = [c.strip() for c in changes.split(",") if c.strip()]
    with engine.store.transaction():
        current = engine.load(call)
        if current.get("locked"):
            raise errors.BadRequest("The expense is locked")
        record = dict(current)
        for change in changes:
            if change in _CHANGES:
                field = _CHANGES[change]
                value = body.get(field)
                if field == "billable":
                    value = _bool(value)
                elif field in ("projectId", "taskId"):
                    value = value or None
                record[field] = value
            elif change == "DATE":
                record["date"] = _instant(body.get("date"), "date").date().isoformat()
        category = _check_expense(engine, workspace, record)
        if "AMOUNT" in changes:
            record.update(_amounts(category, body.get("amount")))
        elif "CATEGORY" in changes:  # the same amount, priced by the new category
            amount = current.get("quantity") if category.get("hasUnitPrice") else None
            if amount is None:
                amount = float(current.get("total") or 0) / 100
            record.update(_amounts(category, amount))
        if "FILE" in changes and isinstance(body.get("file"), Mapping):
            if current.get("fileId"):
                engine.store.delete(RECEIPTS, current["fileId"])
            record["fileId"] = _store_receipt(engine, body["file"], record["id"])
        engine.store.put(EXPENSES, record["id"], record)
    return Reply(200, record)


@handler("downloadExpenseReceipt")
def download_expense_receipt(engine: Engine, call: Call) -> Reply:
    workspace = call.params["workspaceId"]
    expense = owned(engine, EXPENSES, call.params.get("expenseId"), workspace, "Expense")
    file_id = call.params.get("fileId")
    if not file_id or expense.get("fileId") != file_id:
        raise errors.NotFound(f"File with id {file_id} is not a receipt of this expense")
    receipt = engine.store.get(RECEIPTS, file_id) or {}
    media = receipt.get("contentType") or "application/octet-stream"
    if receipt.get("content"):
        content = base64.b64decode(receipt["content"])
    else:  # no bytes were kept (a generated expense, or an upload seen as metadata only)
        content = f"Receipt {receipt.get('filename') or file_id}\n".encode()
    return Reply(200, content, {"Content-Type": media})


# ---------------------------------------------------------------- expense categories
@handler("listExpenseCategories")
def list_expense_categories(engine: Engine, call: Call) -> Reply:
    params = call.params
    found = list(engine.store.scan(CATEGORIES, {"workspaceId": params["workspaceId"]}))
    if params.get("archived") is not None:
        wanted = _bool(params["archived"])
        found = [c for c in found if bool(c.get("archived")) == wanted]
    found = [c for c in found if name_matches(c.get("name"), params.get("name"))]
    found = sort_by(found, "name", params.get("sort-order"))
    return Reply(200, {"categories": page(found, params), "count": len(found)})


# ---------------------------------------------------------------- holidays
def _chosen(selection: Any, every: list[str], what: str, current: list[str]) -> list[str]:
    """The ids a users/userGroups filter assigns (``current`` when the filter is absent)."""
    if not isinstance(selection, Mapping):
        return current
    ids = list(dict.fromkeys(selection.get("ids") or []))
    unknown = [i for i in ids if i not in every]
    if unknown:
        raise errors.BadRequest(f"{what} doesn't belong to Workspace: {unknown[0]}")
    if selection.get("contains") == "DOES_NOT_CONTAIN":
        return [i for i in every if i not in ids]
    return ids


def _members(engine: Engine, workspace: str) -> list[str]:
    record = engine.store.get("workspaces", workspace) or {}
    ids = [m.get("userId") for m in record.get("memberships") or [] if m.get("userId")]
    ids += [
        u["id"] for u in engine.store.scan("users", {}) if is_member(engine, workspace, u["id"])
    ]
    return list(dict.fromkeys(ids))


def _holiday(engine: Engine, call: Call, current: Record) -> Record:
    workspace = call.params["workspaceId"]
    body = call.body or {}
    span = body.get("datePeriod") or current.get("datePeriod") or {}
    start, end = _day(span.get("startDate"), "startDate"), _day(span.get("endDate"), "endDate")
    if end < start:
        raise errors.BadRequest("The holiday's endDate is before its startDate")
    groups = [g["id"] for g in engine.store.scan("user_groups", {"workspaceId": workspace})]
    automatic = body.get("automaticTimeEntryCreation")
    record = {
        **current,
        "name": body.get("name", current.get("name")),
        "datePeriod": {"startDate": start.isoformat(), "endDate": end.isoformat()},
        "color": body.get("color", current.get("color")),
        "occursAnnually": _bool(body.get("occursAnnually", current.get("occursAnnually"))),
        "everyoneIncludingNew": _bool(
            body.get("everyoneIncludingNew", current.get("everyoneIncludingNew"))
        ),
        "userIds": _chosen(
            body.get("users"), _members(engine, workspace), "User", current.get("userIds") or []
        ),
        "userGroupIds": _chosen(
            body.get("userGroups"), groups, "User group", current.get("userGroupIds") or []
        ),
    }
    if isinstance(automatic, Mapping) or "automaticTimeEntryCreation" not in current:
        automatic = automatic if isinstance(automatic, Mapping) else {}
        defaults = automatic.get("defaultEntities") or {}
        record["automaticTimeEntryCreation"] = _bool(automatic.get("enabled"))
        record["projectId"] = defaults.get("projectId") or None
        record["taskId"] = defaults.get("taskId") or None
        if record["projectId"]:
            owned(engine, "projects", record["projectId"], workspace, "Project")
    for field in ("projectId", "taskId"):
        record.setdefault(field, None)
    if record["taskId"]:
        task = engine.store.get("tasks", record["taskId"])
        if task is None or task.get("projectId") != record["projectId"]:
            raise errors.BadRequest(f"Task doesn't belong to the project: {record['taskId']}")
    return record


@handler("createHoliday")
def create_holiday(engine: Engine, call: Call) -> Reply:
    base = {
        "id": new_id(engine.surface.collections[HOLIDAYS], engine.clock.now()),
        "workspaceId": call.params["workspaceId"],
        "color": None,
        "userIds": [],
        "userGroupIds": [],
    }
    try:
        record = _holiday(engine, call, base)
    except errors.NotFound as exc:  # a default project that is not in the workspace
        raise errors.BadRequest(str(exc.detail)) from None
    engine.store.put(HOLIDAYS, record["id"], record)
    return Reply(200, record)


@handler("updateHoliday")
def update_holiday(engine: Engine, call: Call) -> Reply:
    with engine.store.transaction():
        current = engine.load(call)
        try:
            record = _holiday(engine, call, current)
        except errors.NotFound as exc:
            raise errors.BadRequest(str(exc.detail)) from None
        engine.store.put(HOLIDAYS, record["id"], record)
    return Reply(200, record)


def _overlaps(holiday: Record, start: date, end: date) -> bool:
    span = holiday.get("datePeriod") or {}
    try:
        first, last = date.fromisoformat(span["startDate"]), date.fromisoformat(span["endDate"])
    except (KeyError, TypeError, ValueError):
        return False
    if not holiday.get("occursAnnually"):
        return first <= end and start <= last
    for year in range(start.year - 1, end.year + 1):  # a span may cross the new year
        try:
            moved = first.replace(year=year)
        except ValueError:  # 29 February in a common year
            moved = first.replace(year=year, day=28)
        if moved <= end and start <= moved + (last - first):
            return True
    return False


@handler("listHolidaysInPeriod")
def list_holidays_in_period(engine: Engine, call: Call) -> Reply:
    params = call.params
    workspace = params["workspaceId"]
    start, end = _day(params.get("start"), "start"), _day(params.get("end"), "end")
    if end < start:
        raise errors.BadRequest("end is before start")
    user = params.get("assigned-to")
    groups = {
        g["id"]
        for g in engine.store.scan("user_groups", {"workspaceId": workspace})
        if user in (g.get("userIds") or [])
    }
    found = [
        h
        for h in engine.store.scan(HOLIDAYS, {"workspaceId": workspace})
        if (
            h.get("everyoneIncludingNew")
            or user in (h.get("userIds") or [])
            or groups & set(h.get("userGroupIds") or [])
        )
        and _overlaps(h, start, end)
    ]
    found.sort(key=lambda h: ((h.get("datePeriod") or {}).get("startDate") or "", h["id"]))
    return Reply(200, found)
