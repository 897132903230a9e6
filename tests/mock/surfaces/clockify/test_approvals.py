"""The approvals-expenses.yaml handlers, run through the kit (every answer validated)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mock.surfaces.clockify.kit import Kit
from understudy.mock.surfaces.clockify.shared import is_member

RECEIPT = {"filename": "receipt.pdf", "contentType": "application/pdf", "size": 12}
PERIOD = {"period": "WEEKLY", "periodStart": "2026-01-05T00:00:00Z"}


@pytest.fixture()
def kit() -> Kit:
    return Kit()


def _first(kit: Kit, collection: str, **where: Any) -> dict[str, Any]:
    return kit.records(collection, workspaceId=kit.workspace, **where)[0]


def _expense_body(kit: Kit, **extra: Any) -> dict[str, Any]:
    category = _first(kit, "expense_categories", archived=False)
    task = _first(kit, "tasks")
    return {
        "amount": 12.5,
        "categoryId": category["id"],
        "date": "2026-01-06T10:00:00Z",
        "file": RECEIPT,
        "projectId": task["projectId"],
        "taskId": task["id"],
        "userId": kit.user,
        "notes": "Taxi",
        **extra,
    }


# ---------------------------------------------------------------- approvals
def test_submit_then_list_and_update(kit: Kit) -> None:
    created = kit.call("submitApprovalRequest", {}, PERIOD)
    assert created.status == 201
    request = created.body
    assert request["owner"]["userId"] == kit.user
    assert request["dateRange"] == {"start": "2026-01-05T00:00:00Z", "end": "2026-01-11T23:59:59Z"}
    assert request["status"]["state"] == "PENDING"
    entries = kit.records("time_entries", workspaceId=kit.workspace, userId=kit.user)
    inside = [e for e in entries if e["timeInterval"]["start"] < "2026-01-12"]
    assert inside and all(e.get("approvalRequestId") == request["id"] for e in inside)

    again = kit.call("submitApprovalRequest", {}, PERIOD)
    assert again.status == 400

    listed = kit.call("getApprovalRequests", {"status": "PENDING", "sort-column": "START"})
    mine = [d for d in listed.body if d["approvalRequest"]["id"] == request["id"]]
    assert mine and mine[0]["entries"] and mine[0]["pendingTime"] == mine[0]["trackedTime"]

    params = {"approvalRequestId": request["id"]}
    approved = kit.call("updateApprovalRequest", params, {"state": "APPROVED", "note": "ok"})
    assert approved.status == 200
    assert approved.body["status"]["state"] == "APPROVED"
    assert approved.body["status"]["note"] == "ok"
    locked = kit.records("time_entries", approvalRequestId=request["id"])
    assert locked and all(e["isLocked"] for e in locked)

    assert kit.call("updateApprovalRequest", params, {"state": "REJECTED"}).status == 400
    withdrawn = kit.call("updateApprovalRequest", params, {"state": "WITHDRAWN_APPROVAL"})
    assert withdrawn.body["status"]["state"] == "WITHDRAWN_APPROVAL"
    assert not any(
        e["isLocked"] for e in kit.records("time_entries", approvalRequestId=request["id"])
    )

    resubmitted = kit.call("resubmitApprovalEntries", {}, PERIOD)
    assert resubmitted.status == 200 and resubmitted.body is None
    stored = kit.records("approval_requests", id=request["id"])[0]
    assert stored["status"]["state"] == "PENDING"


def test_submit_for_user_and_unknown(kit: Kit) -> None:
    member = next(
        u["id"]
        for u in kit.records("users")
        if u["id"] != kit.user and is_member(kit.engine, kit.workspace, u["id"])
    )
    body = {"periodStart": "2026-02-01T00:00:00Z", "period": "MONTHLY"}
    created = kit.call("submitApprovalRequestForUser", {"userId": member}, body)
    assert created.status == 201
    assert created.body["owner"]["userId"] == member
    assert created.body["creator"]["userId"] == kit.user
    assert created.body["dateRange"]["end"] == "2026-02-28T23:59:59Z"
    missing = kit.call("submitApprovalRequestForUser", {"userId": "0" * 24}, body)
    assert missing.status == 404
    resub = kit.call("resubmitApprovalEntriesForUser", {"userId": member}, body)
    assert resub.status == 200
    none = kit.call("resubmitApprovalEntriesForUser", {"userId": member}, PERIOD)
    assert none.status == 400


def test_update_unknown_approval_request(kit: Kit) -> None:
    answer = kit.call(
        "updateApprovalRequest", {"approvalRequestId": "0" * 24}, {"state": "APPROVED"}
    )
    assert answer.status == 404


def test_semi_monthly_period_end() -> None:
    from datetime import UTC, datetime

    from understudy.mock.surfaces.clockify.approvals import _period_end

    assert _period_end(datetime(2026, 1, 1, tzinfo=UTC), "SEMI_MONTHLY").day == 15
    assert _period_end(datetime(2026, 1, 16, tzinfo=UTC), "SEMI_MONTHLY").day == 31


# ---------------------------------------------------------------- clients
def test_update_client_archives_projects_and_tasks(kit: Kit) -> None:
    project = next(
        p for p in kit.records("projects", workspaceId=kit.workspace) if p.get("clientId")
    )
    client_id = project["clientId"]
    params = {"id": client_id, "archive-projects": True, "mark-tasks-as-done": True}
    currency_id = kit.records("workspaces", id=kit.workspace)[0]["currencies"][0]["id"]
    answer = kit.call("updateClient", params, {"archived": True, "currencyId": currency_id})
    assert answer.status == 200
    assert answer.body["archived"] is True and answer.body["currencyCode"]
    for stored in kit.records("projects", clientId=client_id):
        assert stored["archived"] is True
        assert all(t["status"] == "DONE" for t in kit.records("tasks", projectId=stored["id"]))
    assert kit.call("getClient", {"id": client_id}).body["archived"] is True
    assert kit.call("updateClient", {"id": "0" * 24}, {"name": "x"}).status == 404


def test_delete_client_answers_it(kit: Kit) -> None:
    client = _first(kit, "clients")
    answer = kit.call("deleteClient", {"id": client["id"]})
    assert answer.status == 200 and answer.body["id"] == client["id"]
    assert not kit.records("clients", id=client["id"])


# ---------------------------------------------------------------- project custom fields
def test_project_custom_fields(kit: Kit) -> None:
    project = _first(kit, "projects")
    field = _first(kit, "custom_fields")
    ids = {"projectId": project["id"], "customFieldId": field["id"]}
    updated = kit.call(
        "updateProjectCustomField", ids, {"defaultValue": "x", "status": "INVISIBLE"}
    )
    assert updated.status == 200
    entry = [e for e in updated.body["projectDefaultValues"] if e["projectId"] == project["id"]]
    assert entry == [{"projectId": project["id"], "status": "INVISIBLE", "value": "x"}]

    listed = kit.call("getProjectCustomFields", {"projectId": project["id"], "status": "INVISIBLE"})
    assert [f["id"] for f in listed.body] == [field["id"]]
    assert listed.body[0]["projectDefaultValues"] == entry

    removed = kit.call("removeProjectCustomField", ids)
    assert removed.status == 200
    assert all(e["projectId"] != project["id"] for e in removed.body["projectDefaultValues"])
    stored = kit.records("custom_fields", id=field["id"])[0]
    assert all(e["projectId"] != project["id"] for e in stored["projectDefaultValues"])

    assert kit.call("getProjectCustomFields", {"projectId": "0" * 24}).status == 404
    bad = {"projectId": project["id"], "customFieldId": "0" * 24}
    assert kit.call("updateProjectCustomField", bad, {"status": "VISIBLE"}).status == 404
    assert kit.call("removeProjectCustomField", bad).status == 404


# ---------------------------------------------------------------- expenses
def test_create_update_download_expense(kit: Kit) -> None:
    created = kit.call("createExpense", {}, _expense_body(kit))
    assert created.status == 201
    expense = created.body
    assert expense["date"] == "2026-01-06" and expense["fileId"] and expense["locked"] is False

    params = {"expenseId": expense["id"], "fileId": expense["fileId"]}
    receipt = kit.call("downloadExpenseReceipt", params)
    assert receipt.status == 200 and isinstance(receipt.body, bytes)
    assert receipt.headers["Content-Type"] == "application/pdf"
    wrong = kit.call("downloadExpenseReceipt", {**params, "fileId": "0" * 24})
    assert wrong.status == 404
    unknown = kit.call("downloadExpenseReceipt", {**params, "expenseId": "0" * 24})
    assert unknown.status == 404

    body = _expense_body(kit, amount=3, notes="changed", changeFields=["NOTES", "AMOUNT"])
    updated = kit.call("updateExpense", {"expenseId": expense["id"]}, body)
    assert updated.status == 200
    assert updated.body["notes"] == "changed"
    assert updated.body["fileId"] == expense["fileId"]
    assert kit.call("getExpense", {"expenseId": expense["id"]}).body["notes"] == "changed"

    listed = kit.call("getExpenses", {"user-id": kit.user, "page-size": 1})
    assert listed.body["expenses"]["count"] >= 1
    assert len(listed.body["expenses"]["expenses"]) == 1
    days = {d["date"]: d["total"] for d in listed.body["dailyTotals"]}
    assert days["2026-01-06"] >= updated.body["total"]
    assert listed.body["weeklyTotals"]


def test_expense_totals_by_category(kit: Kit) -> None:
    unit = kit.call(
        "createExpenseCategory", {}, {"name": "Km", "hasUnitPrice": True, "priceInCents": 50}
    ).body
    created = kit.call("createExpense", {}, _expense_body(kit, categoryId=unit["id"], amount=4))
    assert created.body["quantity"] == 4 and created.body["total"] == 200
    plain = kit.call("createExpense", {}, _expense_body(kit, amount=1.5)).body
    assert plain["quantity"] == 1 and plain["total"] == 150


def test_expense_bad_references(kit: Kit) -> None:
    assert kit.call("createExpense", {}, _expense_body(kit, categoryId="0" * 24)).status == 400
    assert kit.call("createExpense", {}, _expense_body(kit, projectId="0" * 24)).status == 400
    assert kit.call("createExpense", {}, _expense_body(kit, userId="0" * 24)).status == 400
    body = _expense_body(kit, changeFields=["AMOUNT"])
    assert kit.call("updateExpense", {"expenseId": "0" * 24}, body).status == 404


def test_locked_expense_refuses_update(kit: Kit) -> None:
    expense = kit.call("createExpense", {}, _expense_body(kit)).body
    kit.store.put("expenses", expense["id"], {**expense, "locked": True})
    body = _expense_body(kit, changeFields=["NOTES"])
    assert kit.call("updateExpense", {"expenseId": expense["id"]}, body).status == 400


def test_expense_categories_list(kit: Kit) -> None:
    kit.call("createExpenseCategory", {}, {"name": "Zeta travel"})
    archived = kit.call("createExpenseCategory", {}, {"name": "Alpha travel"}).body
    kit.call("archiveExpenseCategory", {"categoryId": archived["id"]}, {"archived": True})
    answer = kit.call("getExpenseCategories", {"name": "TRAVEL", "archived": False})
    assert answer.body["count"] == 1
    assert [c["name"] for c in answer.body["categories"]] == ["Zeta travel"]
    every = kit.call("getExpenseCategories", {"sort-order": "DESCENDING", "page-size": 2})
    assert len(every.body["categories"]) == 2 and every.body["count"] >= 4
    names = [c["name"] for c in every.body["categories"]]
    assert names == sorted(names, reverse=True)


# ---------------------------------------------------------------- holidays
def test_holidays(kit: Kit) -> None:
    body = {
        "name": "New Year",
        "datePeriod": {"startDate": "2025-12-31", "endDate": "2026-01-01"},
        "occursAnnually": True,
        "users": {"contains": "CONTAINS", "ids": [kit.user]},
        "color": "#8BC34A",
    }
    created = kit.call("createHoliday", {}, body)
    assert created.status == 200
    holiday = created.body
    assert holiday["userIds"] == [kit.user] and holiday["automaticTimeEntryCreation"] is False

    period = {"assigned-to": kit.user, "start": "2030-01-01", "end": "2030-01-10"}
    found = kit.call("getHolidaysInPeriod", period)
    assert holiday["id"] in [h["id"] for h in found.body]
    other = {"assigned-to": "0" * 24, "start": "2030-01-01", "end": "2030-01-10"}
    assert holiday["id"] not in [h["id"] for h in kit.call("getHolidaysInPeriod", other).body]
    assert kit.call("getHolidaysInPeriod", {**period, "start": "2030-02-01"}).status == 400

    update = {
        "name": "New Year's Day",
        "datePeriod": {"startDate": "2026-01-01", "endDate": "2026-01-01"},
        "occursAnnually": False,
        "everyoneIncludingNew": True,
    }
    updated = kit.call("updateHoliday", {"holidayId": holiday["id"]}, update)
    assert updated.status == 200
    assert updated.body["userIds"] == [kit.user] and updated.body["name"] == "New Year's Day"
    everyone = {"assigned-to": "0" * 24, "start": "2026-01-01", "end": "2026-01-01"}
    assert holiday["id"] in [h["id"] for h in kit.call("getHolidaysInPeriod", everyone).body]
    assert not kit.call(
        "getHolidaysInPeriod", {**everyone, "start": "2027-01-01", "end": "2027-01-02"}
    ).body

    reversed_span = {**update, "datePeriod": {"startDate": "2026-01-02", "endDate": "2026-01-01"}}
    assert kit.call("updateHoliday", {"holidayId": holiday["id"]}, reversed_span).status == 400
    assert kit.call("updateHoliday", {"holidayId": "0" * 24}, update).status == 404
    unknown = {**body, "users": {"ids": ["0" * 24]}}
    assert kit.call("createHoliday", {}, unknown).status == 400
    deleted = kit.call("deleteHoliday", {"holidayId": holiday["id"]})
    assert deleted.status == 200 and not kit.records("holidays", id=holiday["id"])


def test_holiday_automatic_entries_and_exclusion(kit: Kit) -> None:
    task = _first(kit, "tasks")
    body = {
        "name": "Closed",
        "datePeriod": {"startDate": "2026-03-02", "endDate": "2026-03-02"},
        "users": {"contains": "DOES_NOT_CONTAIN", "ids": [kit.user]},
        "automaticTimeEntryCreation": {
            "enabled": True,
            "defaultEntities": {"projectId": task["projectId"], "taskId": task["id"]},
        },
    }
    created = kit.call("createHoliday", {}, body).body
    assert kit.user not in created["userIds"] and created["userIds"]
    assert created["automaticTimeEntryCreation"] is True
    assert created["projectId"] == task["projectId"] and created["taskId"] == task["id"]
    bad = {**body, "automaticTimeEntryCreation": {"defaultEntities": {"projectId": "0" * 24}}}
    assert kit.call("createHoliday", {}, bad).status == 400


def test_demo_world_reads(kit: Kit) -> None:
    """The generated records answer validly through every list of this file."""
    for request in kit.records("approval_requests", workspaceId=kit.workspace):
        span = request["dateRange"]
        assert span["start"] <= span["end"]
    listed = kit.call(
        "getApprovalRequests", {"sort-column": "UPDATED_AT", "sort-order": "DESCENDING"}
    )
    stamps = [d["approvalRequest"]["status"]["updatedAt"] for d in listed.body]
    assert stamps == sorted(stamps, reverse=True)
    assert len(kit.call("getApprovalRequests", {"page-size": 1}).body) == 1
    expenses = kit.call("getExpenses").body
    assert expenses["expenses"]["count"] == len(kit.records("expenses", workspaceId=kit.workspace))
    total = sum(x["total"] for x in kit.records("expenses", workspaceId=kit.workspace))
    assert abs(sum(d["total"] for d in expenses["dailyTotals"]) - total) < 1e-6
    dates = [x["date"] for x in expenses["expenses"]["expenses"]]
    assert dates == sorted(dates, reverse=True)
    for holiday in kit.records("holidays", workspaceId=kit.workspace):
        assert holiday["datePeriod"]["startDate"] <= holiday["datePeriod"]["endDate"]
    kit.call("getHolidays")
    kit.call("getCustomFields")
    kit.call("getClients")
    project = _first(kit, "projects")
    for field in kit.call("getProjectCustomFields", {"projectId": project["id"]}).body:
        assert all(e["projectId"] == project["id"] for e in field["projectDefaultValues"])


def test_approval_locks_expenses_of_the_period(kit: Kit) -> None:
    expense = kit.call("createExpense", {}, _expense_body(kit)).body  # on 2026-01-06
    request = kit.call("submitApprovalRequest", {}, PERIOD).body
    params = {"approvalRequestId": request["id"]}
    kit.call("updateApprovalRequest", params, {"state": "APPROVED"})
    assert kit.call("getExpense", {"expenseId": expense["id"]}).body["locked"] is True
    body = _expense_body(kit, changeFields=["NOTES"])
    assert kit.call("updateExpense", {"expenseId": expense["id"]}, body).status == 400
    kit.call("updateApprovalRequest", params, {"state": "WITHDRAWN_APPROVAL"})
    assert kit.call("getExpense", {"expenseId": expense["id"]}).body["locked"] is False
    # a withdrawn request no longer blocks a new submission of the period
    assert kit.call("submitApprovalRequest", {}, PERIOD).status == 201


def test_update_expense_file_and_category(kit: Kit) -> None:
    expense = kit.call("createExpense", {}, _expense_body(kit, amount=2)).body
    unit = kit.call(
        "createExpenseCategory", {}, {"name": "Night", "hasUnitPrice": True, "priceInCents": 7000}
    ).body
    png = {"filename": "r.png", "contentType": "image/png", "size": 4}
    body = _expense_body(kit, categoryId=unit["id"], file=png, changeFields=["CATEGORY", "FILE"])
    updated = kit.call("updateExpense", {"expenseId": expense["id"]}, body).body
    assert updated["categoryId"] == unit["id"] and updated["fileId"] != expense["fileId"]
    params = {"expenseId": expense["id"], "fileId": updated["fileId"]}
    assert kit.call("downloadExpenseReceipt", params).headers["Content-Type"] == "image/png"
    old = {"expenseId": expense["id"], "fileId": expense["fileId"]}
    assert kit.call("downloadExpenseReceipt", old).status == 404
