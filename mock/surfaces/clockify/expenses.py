"""Clockify handlers of approvals-expenses.yaml: expenses with their receipts, expense
categories and holidays.

Money is cents of the workspace currency. Uploaded receipts arrive as ``{filename,
contentType, size, content}``; they are kept in the mock's own ``expense_receipts``
collection under the expense's ``fileId`` (bytes base64-encoded, so snapshots stay JSON).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, new_id
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import (
    day as request_day,
)
from understudy.mock.surfaces.clockify.shared import (
    flag,
    instant,
    is_member,
    name_matches,
    owned,
    sort_by,
)

Record = dict[str, Any]
EXPENSES = "expenses"
CATEGORIES = "expense_categories"
HOLIDAYS = "holidays"
RECEIPTS = "expense_receipts"  # the mock's own: receipt files by fileId
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


# ---------------------------------------------------------------- expenses
def _week_start(engine: Engine, workspace: str) -> int:
    record = engine.store.get("workspaces", workspace) or {}
    day = (record.get("workspaceSettings") or {}).get("weekStart") or record.get("weekStart")
    return WEEKDAYS.index(day) if day in WEEKDAYS else 0


@behaviour.handler("listExpenses")
def list_expenses(engine: Engine, call: Call) -> Reply:
    """GET .../expenses: the workspace's `expenses` (of `user-id` when given), newest `date`
    first, paged by `page`/`page-size` (default 50); answer `{dailyTotals: [{date, total}],
    expenses: {count, expenses}, weeklyTotals: [{date (week's first day, workspace week
    start), total}]}` — totals (cents) over all matching expenses, count = all matching.
    """
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
            "expenses": {"count": len(found), "expenses": engine.page(call, found).items},
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


@behaviour.handler("createExpense")
def create_expense(engine: Engine, call: Call) -> Reply:
    """POST .../expenses, multipart: 400 unless `categoryId` is an unarchived
    `expense_categories` record, `projectId` (and `taskId` when given, of that project) and
    `userId` exist in the workspace; store the uploaded `file` (bytes + content type) under
    a new 24-hex `fileId`; `quantity` = `amount` and `total` = amount * `priceInCents` when
    the category `hasUnitPrice`, else `quantity` 1 and `total` = amount * 100; `date` = the
    day (yyyy-MM-dd) of body `date`; `locked` false, `billable` default false; answer 201.
    """
    workspace = call.params["workspaceId"]
    body = call.body or {}
    if body.get("amount") is None or body.get("date") is None:
        raise errors.BadRequest("amount and date are required")
    day = instant(body["date"], "date").date().isoformat()
    record: Record = {
        "id": new_id(engine.surface.collections[EXPENSES], engine.clock.now()),
        "workspaceId": workspace,
        "userId": body.get("userId"),
        "projectId": body.get("projectId") or None,
        "taskId": body.get("taskId") or None,
        "categoryId": body.get("categoryId"),
        "date": day,
        "notes": body.get("notes"),
        "billable": flag(body.get("billable")),
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


@behaviour.handler("updateExpense")
def update_expense(engine: Engine, call: Call) -> Reply:
    """PUT .../expenses/{expenseId}, multipart: 400 when `locked`; apply only the fields
    named in `changeFields` (USER→userId, DATE→date, PROJECT→projectId, TASK→taskId,
    CATEGORY→categoryId, NOTES→notes, AMOUNT→amount, BILLABLE→billable, FILE→replace the
    stored receipt and `fileId`), checking references as on create; recompute
    `quantity`/`total`; answer 200.
    """
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
                    value = flag(value)
                elif field in ("projectId", "taskId"):
                    value = value or None
                record[field] = value
            elif change == "DATE":
                record["date"] = instant(body.get("date"), "date").date().isoformat()
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


@behaviour.handler("downloadExpenseReceipt")
def download_expense_receipt(engine: Engine, call: Call) -> Reply:
    """GET .../expenses/{expenseId}/files/{fileId}: 404 unless the expense exists and its
    `fileId` is `fileId`; answer the stored bytes with their content type
    (application/octet-stream when unknown).
    """
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
@behaviour.handler("listExpenseCategories")
def list_expense_categories(engine: Engine, call: Call) -> Reply:
    """GET .../expenses/categories: the workspace's `expense_categories` filtered by
    `archived` (eq) and `name` (contains, case-insensitive), sorted by name (`sort-order`),
    paged by `page`/`page-size` (default 50); answer `{categories, count}` (count = all
    matching).
    """
    params = call.params
    found = list(engine.store.scan(CATEGORIES, {"workspaceId": params["workspaceId"]}))
    if params.get("archived") is not None:
        wanted = flag(params["archived"])
        found = [c for c in found if bool(c.get("archived")) == wanted]
    found = [c for c in found if name_matches(c.get("name"), params.get("name"))]
    found = sort_by(found, "name", params.get("sort-order"))
    return Reply(200, {"categories": engine.page(call, found).items, "count": len(found)})


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
    start, end = (
        request_day(span.get("startDate"), "startDate"),
        request_day(span.get("endDate"), "endDate"),
    )
    if end < start:
        raise errors.BadRequest("The holiday's endDate is before its startDate")
    groups = [g["id"] for g in engine.store.scan("user_groups", {"workspaceId": workspace})]
    automatic = body.get("automaticTimeEntryCreation")
    record = {
        **current,
        "name": body.get("name", current.get("name")),
        "datePeriod": {"startDate": start.isoformat(), "endDate": end.isoformat()},
        "color": body.get("color", current.get("color")),
        "occursAnnually": flag(body.get("occursAnnually", current.get("occursAnnually"))),
        "everyoneIncludingNew": flag(
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
        record["automaticTimeEntryCreation"] = flag(automatic.get("enabled"))
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


@behaviour.handler("createHoliday")
def create_holiday(engine: Engine, call: Call) -> Reply:
    """POST .../holidays: record from the body: `name`, `datePeriod`, `color`,
    `occursAnnually` (default false), `everyoneIncludingNew` (default false), `userIds` =
    `users.ids` (users of the workspace; `contains` DOES_NOT_CONTAIN → every other member),
    `userGroupIds` = `userGroups.ids` (same), `automaticTimeEntryCreation` =
    `automaticTimeEntryCreation.enabled` (default false), `projectId`/`taskId` = its
    `defaultEntities` (null when absent); 400 when `endDate` < `startDate` or a referenced
    id is unknown; answer 200 with the record.
    """
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


@behaviour.handler("updateHoliday")
def update_holiday(engine: Engine, call: Call) -> Reply:
    """PUT .../holidays/{holidayId}: as `createHoliday` onto the stored record;
    `users`/`userGroups` left out keep `userIds`/`userGroupIds`; answer 200.
    """
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


@behaviour.handler("listHolidaysInPeriod")
def list_holidays_in_period(engine: Engine, call: Call) -> Reply:
    """GET .../holidays/in-period: 400 unless `start` ≤ `end` (dates); the holidays assigned
    to `assigned-to` (in `userIds`, in a group of `userGroupIds`, or `everyoneIncludingNew`)
    whose `datePeriod` overlaps [start, end] — for `occursAnnually`, the period moved into
    each year the range touches; bare array sorted by `datePeriod.startDate`.
    """
    params = call.params
    workspace = params["workspaceId"]
    start, end = request_day(params.get("start"), "start"), request_day(params.get("end"), "end")
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
