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
    return engine.list(call)


@behaviour.handler("createTag")
def create_tag(engine: Engine, call: Call) -> Reply:
    body = dict(call.body or {})
    if not (body.get("name") or "").strip():  # the document leaves name optional; a tag has one
        raise errors.BadRequest("Tag name is required")
    _unique_name(engine, call.params["workspaceId"], body.get("name"), None)
    return Reply(201, engine.create(call, body).body)


@behaviour.handler("updateTag")
def update_tag(engine: Engine, call: Call) -> Reply:
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
    entry = load_entry(engine, call, call.params["id"])
    return Reply(200, _hydrated(engine, entry) if call.params.get("hydrated") else entry)


@behaviour.handler("updateTimeEntry")
def update_time_entry(engine: Engine, call: Call) -> Reply:
    """PUT replaces the entry: what the body leaves out is cleared."""
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
    body = call.body or {}
    ids = body.get("timeEntryIds") or []
    with engine.store.transaction():
        entries = [_listed(engine, call, i) for i in ids]  # 400 before anything changes
        for entry in entries:
            engine.store.put(ENTRIES, entry["id"], {**entry, "invoiced": bool(body["invoiced"])})
    return Reply(200)


@behaviour.handler("listUserTimeEntries")
def list_user_time_entries(engine: Engine, call: Call) -> Reply:
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
