"""Reports (mock/surfaces/clockify/reports.py) computed from the stored entries and expenses
of the demo workspace: each figure is recomputed here from the records, and every answer
validates against its documented schema (Kit.call checks it)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.mock.surfaces.clockify.kit import Kit
from understudy.derive import parse_instant
from understudy.mock.surfaces.clockify.reports import seconds

START, END = "2020-01-01T00:00:00Z", "2030-12-31T23:59:59Z"


@pytest.fixture(scope="module")
def kit() -> Kit:
    return Kit()


def entries(kit: Kit, **where: Any) -> list[dict[str, Any]]:
    return kit.records("time_entries", workspaceId=kit.workspace, **where)


def worked(entry: dict[str, Any]) -> int:
    return seconds((entry.get("timeInterval") or {}).get("duration"))


def report(kit: Kit, operation: str, **body: Any) -> dict[str, Any]:
    reply = kit.call(operation, body={"dateRangeStart": START, "dateRangeEnd": END, **body})
    assert reply.status == 200, reply.body
    return reply.body


def test_durations_read_iso_8601() -> None:
    assert [seconds(d) for d in ("PT1H30M", "PT45S", "P1DT1H", None, "junk")] == [
        5400,
        45,
        90000,
        0,
        0,
    ]


def test_detailed_report_lists_every_entry_and_totals_them(kit: Kit) -> None:
    stored = entries(kit)
    body = report(kit, "generateDetailedReport", detailedFilter={"page": 1, "pageSize": 1000})
    assert sorted(r["_id"] for r in body["timeentries"]) == sorted(e["id"] for e in stored)
    (totals,) = body["totals"]
    assert totals["entriesCount"] == len(stored)
    assert totals["totalTime"] == sum(worked(e) for e in stored)
    assert totals["totalBillableTime"] == sum(worked(e) for e in stored if e.get("billable"))


def test_detailed_report_pages_and_filters(kit: Kit) -> None:
    user = kit.user
    mine = {e["id"] for e in entries(kit, userId=user)}
    pages = [
        report(
            kit,
            "generateDetailedReport",
            users={"ids": [user], "contains": "CONTAINS"},
            detailedFilter={"page": n, "pageSize": 7},
        )["timeentries"]
        for n in range(1, len(mine) // 7 + 3)
    ]
    seen = [r["_id"] for page in pages for r in page]
    assert len(seen) == len(set(seen)) and set(seen) == mine
    assert all(len(page) <= 7 for page in pages) and pages[-1] == []


def test_detailed_report_with_nothing_matching_totals_null(kit: Kit) -> None:
    body = report(kit, "generateDetailedReport", description="no entry says this, ever")
    assert body == {"totals": [None], "timeentries": []}


def test_summary_groups_by_project_then_user(kit: Kit) -> None:
    body = report(kit, "generateSummaryReport", summaryFilter={"groups": ["PROJECT", "USER"]})
    expected: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries(kit):
        expected[entry.get("projectId") or ""][entry["userId"]] += worked(entry)
    got = {
        group["_id"]: {child["_id"]: child["duration"] for child in group["children"]}
        for group in body["groupOne"]
    }
    assert got == {p: dict(users) for p, users in expected.items()}
    assert body["totals"][0]["totalTime"] == sum(worked(e) for e in entries(kit))


def test_weekly_totals_by_day_add_up(kit: Kit) -> None:
    stored = entries(kit)
    first = min(e["timeInterval"]["start"] for e in stored)[:10]
    body = report(
        kit,
        "generateWeeklyReport",
        dateRangeStart=f"{first}T00:00:00Z",
        dateRangeEnd=f"{first}T23:59:59Z",
    )
    that_day = [e for e in stored if e["timeInterval"]["start"].startswith(first)]
    (day,) = body["totalsByDay"]
    assert day["date"].startswith(first) and day["duration"] == sum(worked(e) for e in that_day)
    assert sum(g["duration"] for g in body["groupOne"]) == day["duration"]


def test_attendance_is_one_row_per_person_and_day(kit: Kit) -> None:
    body = report(kit, "generateAttendanceReport", attendanceFilter={"page": 1, "pageSize": 1000})
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries(kit):
        expected[(entry["userId"], entry["timeInterval"]["start"][:10])] += worked(entry)
    got = {(r["userId"], r["date"][:10]): r["totalDuration"] for r in body["entities"]}
    assert got == dict(expected)
    for row in body["entities"]:
        assert row["overtime"] == max(0, row["totalDuration"] - row["capacity"])


def test_expense_report_totals_the_expenses_in_range(kit: Kit) -> None:
    stored = kit.records("expenses", workspaceId=kit.workspace)
    body = report(kit, "generateExpenseDetailedReport", pageSize=1000)
    assert sorted(e["id"] for e in body["expenses"]) == sorted(e["id"] for e in stored)
    assert body["totals"]["expensesCount"] == len(stored)
    assert body["totals"]["totalAmount"] == sum(e["amount"] for e in body["expenses"])
    dates = [parse_instant(e["date"]) for e in body["expenses"]]
    assert dates == sorted(dates, reverse=True)  # newest first by default


def test_a_shared_report_runs_its_saved_filter_for_those_it_is_shared_with(kit: Kit) -> None:
    created = kit.call(
        "createSharedReport",
        body={
            "name": "Team time",
            "type": "SUMMARY",
            "isPublic": False,
            "fixedDate": False,
            "filter": {"dateRangeStart": START, "dateRangeEnd": END},
        },
    )
    assert created.status in (200, 201), created.body
    report_id = created.body["id"]
    listed = kit.call("getSharedReports", {"page": 1, "pageSize": 50}).body
    assert report_id in [r["id"] for r in listed["reports"]]
    ran = kit.call("generateSharedReport", {"id": report_id}).body
    assert ran["totals"][0]["totalTime"] == sum(worked(e) for e in entries(kit))
    refused = kit.call("generateSharedReport", {"id": report_id}, user=kit.other())
    assert refused.status == 403
