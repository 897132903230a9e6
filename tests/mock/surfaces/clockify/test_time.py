"""Clockify time entries and tags on the engine (every answer checked against the spec)."""

from __future__ import annotations

import pytest

from tests.mock.surfaces.clockify.kit import Kit


@pytest.fixture
def kit() -> Kit:
    return Kit()


def running(kit: Kit, user: str) -> list[dict]:
    return [
        e
        for e in kit.records("time_entries", workspaceId=kit.workspace, userId=user)
        if e["timeInterval"]["end"] is None
    ]


def test_a_new_timer_stops_the_running_one(kit: Kit) -> None:
    before = running(kit, kit.user)
    assert len(before) == 1  # the demo user's timer
    started = kit.call("createTimeEntry", {}, {"start": "2026-02-02T09:00:00Z"})
    assert started.status == 201 and started.body["timeInterval"]["duration"] is None
    now_running = running(kit, kit.user)
    assert [e["id"] for e in now_running] == [started.body["id"]]
    old = kit.store.get("time_entries", before[0]["id"])
    assert old["timeInterval"]["end"] is not None and old["timeInterval"]["duration"]


def test_an_update_that_restarts_an_entry_stops_the_running_one(kit: Kit) -> None:
    (timer,) = running(kit, kit.user)
    done = next(
        e
        for e in kit.records("time_entries", workspaceId=kit.workspace, userId=kit.user)
        if e["timeInterval"]["end"]
    )
    restarted = kit.call("updateTimeEntry", {"id": done["id"]}, {"start": "2026-03-03T09:00:00Z"})
    assert restarted.status == 200 and restarted.body["timeInterval"]["end"] is None
    assert [e["id"] for e in running(kit, kit.user)] == [done["id"]]  # one timer per user
    assert kit.store.get("time_entries", timer["id"])["timeInterval"]["end"]


def test_stop_the_timer_computes_the_duration(kit: Kit) -> None:
    kit.call("createTimeEntry", {}, {"start": "2026-02-02T09:00:00Z"})
    stopped = kit.call("stopTimer", {"userId": kit.user}, {"end": "2026-02-02T10:30:00Z"})
    assert stopped.status == 200
    assert stopped.body["timeInterval"]["duration"] == "PT1H30M"
    assert (
        kit.call("stopTimer", {"userId": kit.user}, {"end": "2026-02-02T11:00:00Z"}).status == 404
    )
    assert kit.call("getInProgressTimeEntries").body == []


def test_references_must_exist_in_the_workspace(kit: Kit) -> None:
    unknown = "0" * 24
    for body in ({"projectId": unknown}, {"taskId": unknown}, {"tagIds": [unknown]}):
        answer = kit.call("createTimeEntry", {}, {"start": "2026-02-02T09:00:00Z", **body})
        assert answer.status == 400, body
    tag = kit.records("tags", workspaceId=kit.workspace)[0]["id"]
    ok = kit.call(
        "createTimeEntry",
        {},
        {"start": "2026-02-02T09:00:00Z", "end": "2026-02-02T09:20:00Z", "tagIds": [tag]},
    )
    assert ok.status == 201 and ok.body["timeInterval"]["duration"] == "PT20M"
    bad = kit.call(
        "createTimeEntry", {}, {"start": "2026-02-02T09:00:00Z", "end": "2026-02-02T08:00:00Z"}
    )
    assert bad.status == 400


def test_update_replace_duplicate_bulk_invoice_delete(kit: Kit) -> None:
    entry = kit.call("createTimeEntry", {}, {"start": "2026-02-02T09:00:00Z", "description": "a"})
    entry_id = entry.body["id"]
    put = kit.call(
        "updateTimeEntry",
        {"id": entry_id},
        {"start": "2026-02-02T08:00:00Z", "end": "2026-02-02T08:45:00Z"},
    )
    assert put.body["timeInterval"]["duration"] == "PT45M" and put.body["description"] == ""
    copy = kit.call("duplicateTimeEntry", {"userId": kit.user, "id": entry_id})  # stopped now
    assert copy.status == 201 and copy.body["id"] != entry_id
    assert copy.body["timeInterval"] == put.body["timeInterval"]
    bulk = kit.call(
        "bulkUpdateTimeEntries", {"userId": kit.user}, [{"id": entry_id, "description": "b"}]
    )
    assert bulk.body[0]["description"] == "b"
    kit.call("markTimeEntriesInvoiced", {}, {"timeEntryIds": [entry_id], "invoiced": True})
    assert kit.call("getTimeEntry", {"id": entry_id}).body["invoiced"] is True
    hydrated = kit.call("getTimeEntry", {"id": entry_id, "hydrated": True}).body
    assert "project" in hydrated and "tags" in hydrated
    gone = kit.call("deleteUserTimeEntries", {"userId": kit.user, "time-entry-ids": [entry_id]})
    assert [e["id"] for e in gone.body] == [entry_id]
    assert kit.call("getTimeEntry", {"id": entry_id}).status == 404


def test_user_entries_are_filtered_and_paged(kit: Kit) -> None:
    mine = kit.records("time_entries", workspaceId=kit.workspace, userId=kit.user)
    page = kit.call("getUserTimeEntries", {"userId": kit.user, "page-size": 5}).body
    assert len(page) == 5 and len(mine) > 5
    starts = [e["timeInterval"]["start"] for e in page]
    assert starts == sorted(starts, reverse=True)
    running_only = kit.call("getUserTimeEntries", {"userId": kit.user, "in-progress": True}).body
    assert all(e["timeInterval"]["end"] is None for e in running_only) and running_only


def test_tag_names_are_unique_in_a_workspace(kit: Kit) -> None:
    assert kit.call("createTag", {}, {"name": "Sprint1"}).status == 201
    assert kit.call("createTag", {}, {"name": "sprint1"}).status == 400
    names = [t["name"] for t in kit.call("getTags").body]
    assert "Sprint1" in names
    assert kit.call("createTag", {}, {}).status == 400
    assert kit.call("createTag", {}, {"name": "  "}).status == 400
