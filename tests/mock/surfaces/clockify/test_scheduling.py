"""Clockify scheduling assignments on the engine (every answer checked against the spec)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mock.surfaces.clockify.kit import Kit

UNKNOWN = "0" * 24
MONDAY = "2026-03-02T00:00:00Z"  # a Monday; the week runs to Sunday 2026-03-08
FRIDAY_END = "2026-03-06T23:59:59Z"
RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T23:59:59Z"}


@pytest.fixture
def kit() -> Kit:
    kit = Kit()
    for assignment in kit.records("assignments"):  # start from an empty schedule
        kit.store.delete("assignments", assignment["id"])
    return kit


def project(kit: Kit, name: str = "Apollo", billable: bool = False) -> dict[str, Any]:
    """A project of the demo workspace (put in the store while projects have no spec file)."""
    client = kit.records("clients", workspaceId=kit.workspace)[0]
    record = {
        "id": f"{len(kit.records('projects')) + 1:024x}",
        "name": name,
        "clientId": client["id"],
        "color": "#03A9F4",
        "archived": False,
        "billable": billable,
        "workspaceId": kit.workspace,
    }
    kit.store.put("projects", record["id"], record)
    return record


def task(kit: Kit, project_id: str) -> dict[str, Any]:
    record = {
        "id": f"{len(kit.records('tasks')) + 1:023x}f",
        "name": "Design",
        "projectId": project_id,
        "workspaceId": kit.workspace,
        "status": "ACTIVE",
    }
    kit.store.put("tasks", record["id"], record)
    return record


def create(kit: Kit, project_id: str, **body: Any) -> list[dict[str, Any]]:
    request = {
        "userId": kit.user,
        "projectId": project_id,
        "start": MONDAY,
        "end": FRIDAY_END,
        "hoursPerDay": 4,
        **body,
    }
    answer = kit.call("createRecurringAssignment", {}, request)
    assert answer.status == 201, answer.body
    return answer.body


def series(kit: Kit, project_id: str, weeks: int = 3) -> list[dict[str, Any]]:
    return create(kit, project_id, recurringAssignment={"repeat": True, "weeks": weeks})


# ---------------------------------------------------------------- create
def test_create_one_off_stores_one_unpublished_assignment(kit: Kit) -> None:
    apollo = project(kit, billable=True)
    design = task(kit, apollo["id"])
    [made] = create(kit, apollo["id"], taskId=design["id"], note="kick-off", startTime="09:00")
    assert made["recurring"] is None and made["published"] is False
    assert made["billable"] is True  # the project's
    assert made["period"] == {"start": MONDAY, "end": FRIDAY_END}
    assert made["excludeDays"] == []
    assert kit.store.get("assignments", made["id"]) == made


def test_create_excludes_weekends_unless_non_working_days_count(kit: Kit) -> None:
    apollo = project(kit)
    [made] = create(kit, apollo["id"], end="2026-03-08T23:59:59Z")
    assert [d["date"] for d in made["excludeDays"]] == [
        "2026-03-07T00:00:00Z",
        "2026-03-08T00:00:00Z",
    ]
    [full] = create(kit, apollo["id"], end="2026-03-08T23:59:59Z", includeNonWorkingDays=True)
    assert full["excludeDays"] == []


def test_create_repeats_weekly_in_one_series(kit: Kit) -> None:
    made = series(kit, project(kit)["id"], weeks=3)
    assert [a["period"]["start"] for a in made] == [
        MONDAY,
        "2026-03-09T00:00:00Z",
        "2026-03-16T00:00:00Z",
    ]
    assert len({a["recurring"]["seriesId"] for a in made}) == 1
    assert all(a["recurring"]["weeks"] == 3 for a in made)


def test_create_refuses_bad_references(kit: Kit) -> None:
    apollo = project(kit)
    other = project(kit, "Other")
    bad_bodies = [
        {"userId": UNKNOWN},
        {"projectId": UNKNOWN},
        {"taskId": task(kit, other["id"])["id"]},
        {"end": "2026-03-01T00:00:00Z"},
        {"recurringAssignment": {"repeat": True, "weeks": 0}},
    ]
    for bad in bad_bodies:
        request = {
            "userId": kit.user,
            "projectId": apollo["id"],
            "start": MONDAY,
            "end": FRIDAY_END,
            "hoursPerDay": 4,
            **bad,
        }
        assert kit.call("createRecurringAssignment", {}, request).status == 400, bad
    assert kit.records("assignments") == []


# ---------------------------------------------------------------- reading
def test_list_assignments_hydrates_filters_sorts_and_pages(kit: Kit) -> None:
    apollo, zeus = project(kit, "Apollo"), project(kit, "Zeus")
    create(kit, zeus["id"])
    create(kit, apollo["id"])
    create(kit, apollo["id"], start="2027-01-04T00:00:00Z", end="2027-01-08T23:59:59Z")
    listed = kit.call("getAllAssignments", RANGE).body
    assert [a["projectName"] for a in listed] == ["Apollo", "Zeus"]
    client = kit.store.get("clients", apollo["clientId"])
    assert client and listed[0]["clientName"] == client["name"]
    assert listed[0]["userName"]
    backwards = kit.call("getAllAssignments", {**RANGE, "sort-order": "DESCENDING"}).body
    assert [a["projectName"] for a in backwards] == ["Zeus", "Apollo"]
    assert [a["projectName"] for a in kit.call("getAllAssignments", {**RANGE, "name": "zeu"}).body]
    assert kit.call("getAllAssignments", {**RANGE, "name": "nothing-like-it"}).body == []
    second = kit.call("getAllAssignments", {**RANGE, "page": 2, "page-size": 1}).body
    assert [a["projectName"] for a in second] == ["Zeus"]
    by_user = kit.call("getAllAssignments", {**RANGE, "sort-column": "USER"})
    assert by_user.status == 200 and len(by_user.body) == 2


def test_project_totals_count_hours_of_counted_days(kit: Kit) -> None:
    apollo = project(kit, "Apollo")
    create(kit, apollo["id"], hoursPerDay=4, end="2026-03-08T23:59:59Z")  # 5 working days
    series(kit, apollo["id"], weeks=2)  # 2 x 5 days x 4 h
    posted = kit.call("filterProjectAssignmentTotals", {}, {**RANGE, "statusFilter": "ALL"})
    [totals] = posted.body
    assert totals["projectId"] == apollo["id"] and totals["totalHours"] == 60
    assert len(totals["assignments"]) == 3 and totals["milestones"] == []
    # the range cuts the first week to Monday..Wednesday: 2 assignments x 3 days x 4 h
    part = kit.call(
        "filterProjectAssignmentTotals",
        {},
        {"start": MONDAY, "end": "2026-03-04T12:00:00Z"},
    ).body
    assert part[0]["totalHours"] == 24
    published = {**RANGE, "statusFilter": "PUBLISHED"}
    assert kit.call("filterProjectAssignmentTotals", {}, published).body == []
    assert kit.call("filterProjectAssignmentTotals", {}, {**RANGE, "search": "zzz"}).body == []
    old = kit.call("getProjectsAssignmentTotalsDeprecated", {**RANGE, "search": "apol"})
    assert old.status == 200 and old.body[0]["totalHours"] == 60


def test_one_project_totals(kit: Kit) -> None:
    apollo, idle = project(kit, "Apollo"), project(kit, "Idle")
    create(kit, apollo["id"])
    one = kit.call("getProjectAssignmentTotals", {**RANGE, "projectId": apollo["id"]}).body
    assert one["totalHours"] == 20 and len(one["assignments"]) == 1
    empty = kit.call("getProjectAssignmentTotals", {**RANGE, "projectId": idle["id"]}).body
    assert empty["assignments"] == [] and empty["totalHours"] == 0
    missing = kit.call("getProjectAssignmentTotals", {**RANGE, "projectId": UNKNOWN})
    assert missing.status == 404


def test_user_capacity_totals(kit: Kit) -> None:
    apollo = project(kit)
    create(kit, apollo["id"], hoursPerDay=3)
    create(kit, apollo["id"], hoursPerDay=2, start="2026-03-04T00:00:00Z")
    listed = kit.call("filterUserCapacityTotals", {}, RANGE).body
    assert {u["userId"] for u in listed} == set(kit.members())
    names = [u["userName"].casefold() for u in listed]
    assert names == sorted(names)
    mine = next(u for u in listed if u["userId"] == kit.user)
    assert mine["capacityPerDay"] == 28800
    assert mine["workingDays"] == ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    assert [d["totalHours"] for d in mine["totalHoursPerDay"]] == [3, 3, 5, 5, 5]
    only_me = {**RANGE, "userFilter": {"contains": "CONTAINS", "ids": [kit.user]}}
    assert [u["userId"] for u in kit.call("filterUserCapacityTotals", {}, only_me).body] == [
        kit.user
    ]
    not_me = {**RANGE, "userFilter": {"contains": "DOES_NOT_CONTAIN", "ids": [kit.user]}}
    assert kit.user not in {
        u["userId"] for u in kit.call("filterUserCapacityTotals", {}, not_me).body
    }
    published = kit.call("filterUserCapacityTotals", {}, {**RANGE, "statusFilter": "PUBLISHED"})
    assert all(u["totalHoursPerDay"] == [] for u in published.body)
    group = kit.records("user_groups", workspaceId=kit.workspace)[0]
    by_group = {**RANGE, "userGroupFilter": {"contains": "CONTAINS", "ids": [group["id"]]}}
    in_group = {u["userId"] for u in kit.call("filterUserCapacityTotals", {}, by_group).body}
    assert in_group == set(group["userIds"]) & set(kit.members())
    one = kit.call("getUserCapacityTotals", {**RANGE, "userId": kit.user, "page-size": 2}).body
    assert [d["date"] for d in one["totalHoursPerDay"]] == [
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z",
    ]
    missing = kit.call("getUserCapacityTotals", {**RANGE, "userId": UNKNOWN})
    assert missing.status == 404


# ---------------------------------------------------------------- publishing
def test_publish_sets_published_on_matching_assignments(kit: Kit) -> None:
    apollo = project(kit)
    others = [u for u in kit.members() if u != kit.user]
    [mine] = create(kit, apollo["id"])
    [theirs] = create(kit, apollo["id"], userId=others[0])
    [later] = create(kit, apollo["id"], start="2027-01-04T00:00:00Z", end="2027-01-08T00:00:00Z")
    body = {
        "start": MONDAY,
        "end": FRIDAY_END,
        "userFilter": {"contains": "CONTAINS", "ids": [kit.user]},
        "notifyUsers": True,
    }
    answer = kit.call("publishAssignments", {}, body)
    assert answer.status == 200 and answer.body is None
    published = {a["id"]: a["published"] for a in kit.records("assignments")}
    assert published == {mine["id"]: True, theirs["id"]: False, later["id"]: False}
    totals = kit.call("filterProjectAssignmentTotals", {}, {**RANGE, "statusFilter": "PUBLISHED"})
    assert [a["id"] for a in totals.body[0]["assignments"]] == [mine["id"]]
    backwards = {"start": FRIDAY_END, "end": MONDAY}
    assert kit.call("publishAssignments", {}, backwards).status == 400


# ---------------------------------------------------------------- series changes
def test_delete_this_one_following_or_all(kit: Kit) -> None:
    apollo = project(kit)
    weeks = series(kit, apollo["id"], weeks=4)
    ids = [a["id"] for a in weeks]
    gone = kit.call("deleteRecurringAssignment", {"assignmentId": ids[3]}).body
    assert [a["id"] for a in gone] == [ids[3]]
    following = kit.call(
        "deleteRecurringAssignment",
        {"assignmentId": ids[1], "seriesUpdateOption": "THIS_AND_FOLLOWING"},
    ).body
    assert [a["id"] for a in following] == ids[1:3]
    left = kit.records("assignments")
    assert [a["id"] for a in left] == [ids[0]] and left[0]["recurring"]["weeks"] == 1
    everything = kit.call(
        "deleteRecurringAssignment", {"assignmentId": ids[0], "seriesUpdateOption": "ALL"}
    )
    assert everything.status == 200 and kit.records("assignments") == []
    missing = kit.call("deleteRecurringAssignment", {"assignmentId": ids[0]})
    assert missing.status == 404


def test_update_applies_to_the_chosen_part_of_the_series(kit: Kit) -> None:
    apollo = project(kit)
    weeks = series(kit, apollo["id"], weeks=3)
    body = {
        "start": "2026-03-10T00:00:00Z",  # the second week, a day later
        "end": "2026-03-13T23:59:59Z",
        "hoursPerDay": 6,
        "note": "moved",
        "seriesUpdateOption": "THIS_AND_FOLLOWING",
    }
    updated = kit.call("updateRecurringAssignment", {"assignmentId": weeks[1]["id"]}, body).body
    assert [a["id"] for a in updated] == [weeks[1]["id"], weeks[2]["id"]]
    assert updated[1]["period"] == {
        "start": "2026-03-17T00:00:00Z",
        "end": "2026-03-20T23:59:59Z",
    }
    first = kit.store.get("assignments", weeks[0]["id"])
    assert first and first["hoursPerDay"] == 4 and first["note"] is None
    stored = kit.store.get("assignments", weeks[2]["id"])
    assert stored and stored["hoursPerDay"] == 6 and stored["note"] == "moved"
    one = kit.call(
        "updateRecurringAssignment",
        {"assignmentId": weeks[0]["id"]},
        {"start": MONDAY, "end": FRIDAY_END, "billable": True},
    ).body
    assert [a["id"] for a in one] == [weeks[0]["id"]] and one[0]["billable"] is True
    params = {"assignmentId": weeks[0]["id"]}
    backwards = {"start": FRIDAY_END, "end": MONDAY}
    assert kit.call("updateRecurringAssignment", params, backwards).status == 400
    wrong_task = {"start": MONDAY, "end": FRIDAY_END, "taskId": UNKNOWN}
    assert kit.call("updateRecurringAssignment", params, wrong_task).status == 400
    unknown = kit.call("updateRecurringAssignment", {"assignmentId": UNKNOWN}, backwards)
    assert unknown.status == 404


def test_change_period_grows_shrinks_and_ends_a_series(kit: Kit) -> None:
    apollo = project(kit)
    [single] = create(kit, apollo["id"])
    grown = kit.call(
        "changeRecurringPeriod", {"assignmentId": single["id"]}, {"repeat": True, "weeks": 3}
    ).body
    assert [a["period"]["start"][:10] for a in grown] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert len({a["recurring"]["seriesId"] for a in grown}) == 1
    assert all(a["recurring"]["weeks"] == 3 for a in grown)
    assert len(kit.records("assignments")) == 3
    shrunk = kit.call(
        "changeRecurringPeriod", {"assignmentId": grown[2]["id"]}, {"repeat": True, "weeks": 2}
    ).body
    assert [a["id"] for a in shrunk] == [grown[0]["id"], grown[1]["id"]]
    assert kit.store.get("assignments", grown[2]["id"]) is None
    ended = kit.call(
        "changeRecurringPeriod", {"assignmentId": grown[0]["id"]}, {"repeat": False, "weeks": 1}
    ).body
    assert [a["id"] for a in ended] == [grown[0]["id"]] and ended[0]["recurring"] is None
    assert [a["id"] for a in kit.records("assignments")] == [grown[0]["id"]]
    missing = kit.call("changeRecurringPeriod", {"assignmentId": UNKNOWN}, {"weeks": 1})
    assert missing.status == 404


def test_copy_to_another_member(kit: Kit) -> None:
    apollo = project(kit)
    other = next(u for u in kit.members() if u != kit.user)
    weeks = series(kit, apollo["id"], weeks=3)
    kit.call("publishAssignments", {}, RANGE)
    [copy] = kit.call("copyAssignment", {"assignmentId": weeks[0]["id"]}, {"userId": other}).body
    assert copy["userId"] == other and copy["published"] is False and copy["recurring"] is None
    assert copy["id"] != weeks[0]["id"] and kit.store.get("assignments", copy["id"]) == copy
    copies = kit.call(
        "copyAssignment",
        {"assignmentId": weeks[1]["id"]},
        {"userId": other, "seriesUpdateOption": "THIS_AND_FOLLOWING"},
    ).body
    assert len(copies) == 2
    series_ids = {c["recurring"]["seriesId"] for c in copies}
    assert len(series_ids) == 1 and series_ids != {weeks[0]["recurring"]["seriesId"]}
    everything = kit.call(
        "copyAssignment",
        {"assignmentId": weeks[1]["id"]},
        {"userId": other, "seriesUpdateOption": "ALL"},
    )
    assert len(everything.body) == 3
    bad_user = kit.call("copyAssignment", {"assignmentId": weeks[0]["id"]}, {"userId": UNKNOWN})
    assert bad_user.status == 400
    missing = kit.call("copyAssignment", {"assignmentId": UNKNOWN}, {"userId": other})
    assert missing.status == 404


def test_generated_assignments_answer_validly() -> None:
    """The demo world's own schedule (if its spec declares projects) reads back validly."""
    kit = Kit()
    assert kit.call("getAllAssignments", RANGE).status == 200
    assert kit.call("filterUserCapacityTotals", {}, RANGE).status == 200
    assert kit.call("filterProjectAssignmentTotals", {}, RANGE).status == 200
