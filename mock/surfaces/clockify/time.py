"""Clockify handlers: tags and time entries (scheduling-time.yaml).

A time entry is stored as the API answers it (``timeInterval`` with start, end and an
ISO-8601 duration); requests send ``start``/``end`` at the top (``mock.clockify.new_entry``).
An entry without ``end`` is the running timer: at most one per user and workspace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, new_id, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import (
    ENTRIES,
    load_entry,
    new_entry,
    running,
    stop,
    update_entry,
)

Record = dict[str, Any]


# ---------------------------------------------------------------- tags
def _unique_name(engine: Engine, workspace: str, name: str | None, own: str | None) -> None:
    if not name:
        return
    for tag in engine.store.scan("tags", {"workspaceId": workspace}):
        if tag["id"] != own and tag.get("name", "").casefold() == name.casefold():
            raise errors.BadRequest(f"Tag with name '{name}' already exists")


@behaviour.handler("listTags")
def list_tags(engine: Engine, call: Call) -> Reply:
    """GET .../tags: the generic list (name contains, archived eq, sort NAME/ID, paging)
    plus: `strict-name-search=true` → name equals `name` (case-insensitive) instead of
    contains; `excluded-ids` (repeatable) → drop those ids.
    """
    return engine.list(call)


@behaviour.handler("createTag")
def create_tag(engine: Engine, call: Call) -> Reply:
    """POST .../tags: 400 when `name` is missing/blank or another tag of the workspace has
    the same name (case-insensitive); store {name, archived: false}; 201.
    """
    body = dict(call.body or {})
    if not (body.get("name") or "").strip():  # the document leaves name optional; a tag has one
        raise errors.BadRequest("Tag name is required")
    _unique_name(engine, call.params["workspaceId"], body.get("name"), None)
    return Reply(201, engine.create(call, body).body)


@behaviour.handler("updateTag")
def update_tag(engine: Engine, call: Call) -> Reply:
    """PUT .../tags/{id}: merge `name`/`archived` (fields left out keep their value); 400
    when the new name is blank or used by another tag of the workspace; answer 200.
    """
    _unique_name(
        engine, call.params["workspaceId"], (call.body or {}).get("name"), call.params["id"]
    )
    return engine.patch(call)


# ---------------------------------------------------------------- time entries
def _hydrated(engine: Engine, entry: Record) -> Record:
    """The entry with its ``project``, ``task`` and ``tags`` objects (``hydrated=true``)."""
    project = engine.store.get("projects", entry.get("projectId") or "")
    task = engine.store.get("tasks", entry.get("taskId") or "")
    tags = [engine.store.get("tags", t) for t in entry.get("tagIds") or []]
    return {
        **entry,
        "project": _summary(project, ("id", "name", "workspaceId", "clientId", "color")),
        "task": _summary(task, ("id", "name", "projectId", "status")),
        "tags": [t for t in tags if t],
    }


def _summary(record: Record | None, keys: tuple[str, ...]) -> Record | None:
    return {k: record[k] for k in keys if k in record} if record else None


def _started(entry: Record) -> str:
    return str((entry.get("timeInterval") or {}).get("start") or "")


def _member(engine: Engine, call: Call, user: str) -> None:
    from understudy.mock.surfaces.clockify.shared import is_member

    if not is_member(engine, call.params["workspaceId"], user):
        raise errors.NotFound(f"User {user} is not a member of the workspace")


@behaviour.handler("createTimeEntry")
def create_time_entry(engine: Engine, call: Call) -> Reply:
    """POST .../time-entries scope [workspaceId] → userId = caller; POST
    .../user/{userId}/time-entries scope [workspaceId, userId] → 404 if the user is no
    member: with query `from-entry` (user variant) first copy description, projectId,
    taskId, tagIds, billable, type from that entry of the workspace (400 if unknown) for the
    fields the body leaves out; `start` default now; 400 when `end` < `start`, `projectId`
    is not a project of the workspace, `taskId` not a task of that project (or given without
    a project), a `tagIds` id not a tag of the workspace, or a `customFields` id not a
    custom field of the workspace; `timeInterval` = {start, end (null when absent), duration
    = ISO-8601 of end - start (null while running)}; when the new entry is running, stop the
    user's current running timer at the new start; `customFieldValues` from `customFields`
    (name/type from `custom_fields`, timeEntryId = the new id); `customAttributes` stored as
    given; billable default = the project's billable (false without project); type default
    REGULAR; isLocked false, kioskId null, invoiced false, approvalRequestId null;
    hourlyRate/costRate = the member's project rate, else the member's workspace rate, else
    the workspace rate (null when none); answer 201.
    """
    body: Mapping[str, Any] = call.body or {}
    user = call.params.get("userId") or call.caller.actor or ""
    _member(engine, call, user)
    source = call.params.get("from-entry")
    if source:  # "from-entry": start a new entry with the other entry's details
        other = load_entry(engine, call, source)
        body = {
            **{k: other.get(k) for k in ("description", "projectId", "taskId", "tagIds")},
            "billable": other.get("billable"),
            **body,
        }
    return Reply(201, new_entry(engine, call, user, body))


@behaviour.handler("getTimeEntry")
def get_time_entry(engine: Engine, call: Call) -> Reply:
    """GET .../time-entries/{id}: the generic get; with `hydrated=true` add `project` {id,
    name, color, clientId, clientName, billable, archived, workspaceId} (null without
    project), `task` {id, name, projectId, status} (null without task) and `tags` (the Tag
    records of `tagIds`, [] when none).
    """
    entry = load_entry(engine, call, call.params["id"])
    return Reply(200, _hydrated(engine, entry) if call.params.get("hydrated") else entry)


@behaviour.handler("updateTimeEntry")
def update_time_entry(engine: Engine, call: Call) -> Reply:
    """PUT replaces the entry: what the body leaves out is cleared.

    PUT .../time-entries/{id}: replace description, projectId, taskId, tagIds, billable,
    type, customFieldValues with the body's (left out → null/[]/false/REGULAR),
    `timeInterval` from `start`/`end` (no end → running; duration recomputed); reference
    checks as `createTimeEntry` (400); if the result is running, stop any other running
    timer of the entry's user at this start; answer 200.
    """
    body = call.body or {}
    with engine.store.transaction():
        entry = load_entry(engine, call, call.params["id"])
        if entry.get("isLocked"):
            raise errors.BadRequest("The time entry is locked")
        cleared: dict[str, Any] = {
            "end": None,
            "description": "",
            "projectId": None,
            "taskId": None,
            "tagIds": [],
            "billable": False,
        }
        replaced = update_entry(engine, call, entry, {**cleared, **body})
    return Reply(200, replaced)


@behaviour.handler("listInProgressTimeEntries")
def list_in_progress(engine: Engine, call: Call) -> Reply:
    """GET .../time-entries/status/in-progress: the workspace's entries with
    `timeInterval.end` null, sorted by `timeInterval.start` descending, paged by
    `page`/`page-size` (default 10).
    """
    entries = [
        e
        for e in engine.store.scan(ENTRIES, {"workspaceId": call.params["workspaceId"]})
        if not (e.get("timeInterval") or {}).get("end")
    ]
    entries.sort(key=_started, reverse=True)
    return Reply(200, engine.page(call, entries).items)


def _listed(engine: Engine, call: Call, entry_id: str) -> Record:
    """An entry a bulk request lists: an unknown id is a bad request, not a missing route."""
    entry = engine.store.get(ENTRIES, entry_id)
    if entry is None or entry.get("workspaceId") != call.params["workspaceId"]:
        raise errors.BadRequest(f"TimeEntry with id {entry_id} doesn't exist")
    return entry


@behaviour.handler("markTimeEntriesInvoiced")
def mark_invoiced(engine: Engine, call: Call) -> Reply:
    """PATCH .../time-entries/invoiced: 400 if any id is not a time entry of the workspace;
    set `invoiced` = body `invoiced` on each; 200, no body.
    """
    body = call.body or {}
    ids = body.get("timeEntryIds") or []
    with engine.store.transaction():
        entries = [_listed(engine, call, i) for i in ids]  # 400 before anything changes
        for entry in entries:
            engine.store.put(ENTRIES, entry["id"], {**entry, "invoiced": bool(body["invoiced"])})
    return Reply(200)


@behaviour.handler("listUserTimeEntries")
def list_user_time_entries(engine: Engine, call: Call) -> Reply:
    """GET .../user/{userId}/time-entries: 404 if the user is no member; the user's entries
    of the workspace filtered by `description` (contains, case-insensitive), `start`
    (timeInterval.start >= start), `end` (timeInterval.start <= end), `project` (projectId
    eq), `task` (taskId eq), `tags` (tagIds contains any of them), `project-required`=true
    (projectId not null), `task-required`=true (taskId not null), `in-progress`=true (end
    null), `get-week-before` (start in [t - 7 days, t) and projectId or taskId not null);
    sorted by `timeInterval.start` descending; paged by `page`/`page-size` (default 50);
    `hydrated` as `getTimeEntry`.
    """
    params = call.params
    user = params["userId"]
    _member(engine, call, user)
    entries = list(
        engine.store.scan(ENTRIES, {"workspaceId": params["workspaceId"], "userId": user})
    )
    text = (params.get("description") or "").casefold()
    start = parse_instant(params["start"]) if params.get("start") else None
    end = parse_instant(params["end"]) if params.get("end") else None
    tags = set(params.get("tags") or [])
    picked = []
    for entry in entries:
        interval = entry.get("timeInterval") or {}
        began = parse_instant(interval["start"])
        if text and text not in (entry.get("description") or "").casefold():
            continue
        if (start and began < start) or (end and began > end):
            continue
        if params.get("project") and entry.get("projectId") != params["project"]:
            continue
        if params.get("task") and entry.get("taskId") != params["task"]:
            continue
        if tags and not tags & set(entry.get("tagIds") or []):
            continue
        if params.get("project-required") and not entry.get("projectId"):
            continue
        if params.get("task-required") and not entry.get("taskId"):
            continue
        if params.get("in-progress") is not None and (not interval.get("end")) != bool(
            params["in-progress"]
        ):
            continue
        picked.append(entry)
    picked.sort(key=_started, reverse=True)
    chunk = engine.page(call, picked).items
    if params.get("hydrated"):
        chunk = [_hydrated(engine, e) for e in chunk]
    return Reply(200, chunk)


@behaviour.handler("stopTimer")
def stop_timer(engine: Engine, call: Call) -> Reply:
    """PATCH .../user/{userId}/time-entries: the user's running entry in the workspace (404
    when none); 400 when body `end` < its start; set `timeInterval.end` = `end`, `duration`
    = end - start; answer 200 with the entry.
    """
    body = call.body or {}
    with engine.store.transaction():
        current = running(engine, call.params["workspaceId"], call.params["userId"])
        if current is None:
            raise errors.NotFound("The user has no running timer in this workspace")
        end = parse_instant(body["end"]) if body.get("end") else engine.clock.now()
        if end < parse_instant(current["timeInterval"]["start"]):
            raise errors.BadRequest("end is before the running entry's start")
        return Reply(200, stop(engine, current, end))


@behaviour.handler("deleteUserTimeEntries")
def delete_user_time_entries(engine: Engine, call: Call) -> Reply:
    """DELETE .../user/{userId}/time-entries: delete the entries of `time-entry-ids` that
    belong to this user in this workspace (others skipped); answer 200 with the deleted
    records.
    """
    user = call.params["userId"]
    ids = call.params.get("time-entry-ids") or []
    deleted = []
    with engine.store.transaction():
        for entry_id in ids:
            entry = engine.store.get(ENTRIES, entry_id)
            if (
                entry
                and entry.get("workspaceId") == call.params["workspaceId"]
                and (entry.get("userId") == user)
            ):
                engine.store.delete(ENTRIES, entry_id)
                deleted.append(entry)
    return Reply(200, deleted)


@behaviour.handler("bulkUpdateTimeEntries")
def bulk_update(engine: Engine, call: Call) -> Reply:
    """PUT .../user/{userId}/time-entries: 400 when an item's `id` is not an entry of this
    user in the workspace, or a reference check fails (as create) — nothing changed then;
    merge each item's given fields (start/end → timeInterval, duration recomputed;
    customFields → customFieldValues); answer 200 with the updated entries in body order
    (hydrated as `getTimeEntry` when `hydrated=true`).
    """
    items = call.body if isinstance(call.body, list) else []
    user = call.params["userId"]
    updated = []
    with engine.store.transaction():
        for item in items:
            entry = _listed(engine, call, item["id"])
            if entry.get("userId") != user:
                raise errors.BadRequest(f"TimeEntry with id {item['id']} doesn't exist")
            changes = {k: v for k, v in item.items() if k != "id"}
            updated.append(update_entry(engine, call, entry, changes))
    if call.params.get("hydrated"):
        updated = [_hydrated(engine, e) for e in updated]
    return Reply(200, updated)


@behaviour.handler("duplicateTimeEntry")
def duplicate(engine: Engine, call: Call) -> Reply:
    """POST .../user/{userId}/time-entries/{id}/duplicate: 404 unless the entry exists and
    belongs to the user in the workspace; 400 when it is running; store a copy (new id, same
    timeInterval, description, project, task, tags, billable, type, customFieldValues with
    the new timeEntryId, rates; isLocked false, invoiced false, approvalRequestId null);
    answer 201.
    """
    with engine.store.transaction():
        entry = load_entry(engine, call, call.params["id"])
        if entry.get("userId") != call.params["userId"]:
            raise errors.NotFound(f"TimeEntry with id {entry['id']} doesn't exist")
        if not entry["timeInterval"].get("end"):
            raise errors.BadRequest("A running time entry cannot be duplicated")
        collection = engine.surface.collections[ENTRIES]
        copy = {
            **entry,
            "id": new_id(collection, engine.clock.now()),
            "invoiced": False,
            "isLocked": False,
            "approvalRequestId": None,
        }
        copy = {k: v for k, v in copy.items() if k in collection.fields}
        engine.store.put(ENTRIES, copy["id"], copy)
    return Reply(201, copy)
