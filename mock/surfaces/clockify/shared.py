"""Behaviour of the Clockify-style surface its spec cannot declare.

Workspace membership (403 for a workspace the API key's user is not in), time entries as
Clockify keeps them (``timeInterval`` with an ISO-8601 duration computed from start and end;
an entry without ``end`` is the running timer, at most one per user, and starting another
stops it), references that must exist in the workspace, and the handlers named by the
spec's ``x-understudy`` bindings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from understudy import derive
from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, new_id, parse_instant
from understudy.mock.surfaces.clockify import behaviour

Record = dict[str, Any]
ENTRIES = "time_entries"


# ---------------------------------------------------------------- access
def is_member(engine: Engine, workspace_id: str, user_id: str | None) -> bool:
    workspace = engine.store.get("workspaces", workspace_id)
    if workspace is None or user_id is None:
        return False
    members = workspace.get("memberships") or []
    if any(m.get("userId") == user_id and m.get("membershipStatus") != "INACTIVE" for m in members):
        return True
    user = engine.store.get("users", user_id) or {}
    return any(
        m.get("targetId") == workspace_id and m.get("membershipStatus") != "INACTIVE"
        for m in user.get("memberships") or []
    )


@behaviour.authorizer("clockify.member")
def member(engine: Engine, call: Call) -> None:
    """Every operation on a workspace: 403 "Access Denied" unless the caller is a member."""
    workspace_id = call.params.get("workspaceId")
    if workspace_id is not None and not is_member(engine, workspace_id, call.caller.actor):
        raise errors.Forbidden("Access Denied")


# ---------------------------------------------------------------- durations
@behaviour.deriver("clockify.duration")
def duration(record: Record, changes: Mapping[str, Any] | None) -> Record:
    """``timeInterval.duration`` from start and end; null while the timer runs."""
    try:
        return derive.clockify_interval(record)
    except ValueError as exc:
        raise errors.BadRequest(str(exc)) from None


# ---------------------------------------------------------------- time entries
def check_references(engine: Engine, workspace: str, body: Mapping[str, Any]) -> None:
    """Projects, tasks and tags named by a write must exist in the workspace."""
    for field, collection, what in (
        ("projectId", "projects", "Project"),
        ("taskId", "tasks", "Task"),
    ):
        value = body.get(field)
        if value:
            record = engine.store.get(collection, value)
            if record is None or record.get("workspaceId") != workspace:
                raise errors.BadRequest(f"{what} doesn't belong to Workspace: {value}")
    for tag in body.get("tagIds") or []:
        record = engine.store.get("tags", tag)
        if record is None or record.get("workspaceId") != workspace:
            raise errors.BadRequest(f"Tag doesn't belong to Workspace: {tag}")
    task = engine.store.get("tasks", body.get("taskId") or "")
    if task and body.get("projectId") and task.get("projectId") != body["projectId"]:
        raise errors.BadRequest(f"Task {task['id']} doesn't belong to project {body['projectId']}")


def running(engine: Engine, workspace: str, user: str) -> Record | None:
    return next(
        (
            e
            for e in engine.store.scan(ENTRIES, {"workspaceId": workspace, "userId": user})
            if not (e.get("timeInterval") or {}).get("end")
        ),
        None,
    )


def stop(engine: Engine, entry: Record, end: datetime) -> Record:
    interval = entry["timeInterval"]
    start = parse_instant(interval["start"])
    end = max(end, start)
    stopped = {**entry, "timeInterval": {**interval, "end": iso(end)}}
    stopped = duration(stopped, None)
    engine.store.put(ENTRIES, stopped["id"], stopped)
    return stopped


def new_entry(engine: Engine, call: Call, user: str, body: Mapping[str, Any]) -> Record:
    """A time entry from a request body (``start``/``end`` at the top, as clients send them)."""
    workspace = call.params["workspaceId"]
    check_references(engine, workspace, body)
    collection = engine.surface.collections[ENTRIES]
    now = engine.clock.now()
    start = parse_instant(body["start"]) if body.get("start") else now
    end = parse_instant(body["end"]) if body.get("end") else None
    with engine.store.transaction():
        if end is None:  # starting a timer stops the one running (as Clockify does)
            current = running(engine, workspace, user)
            if current:
                stop(engine, current, start)
        record: Record = {
            "id": new_id(collection, now),
            "workspaceId": workspace,
            "userId": user,
            "description": body.get("description") or "",
            "projectId": body.get("projectId"),
            "taskId": body.get("taskId"),
            "tagIds": body.get("tagIds"),
            "billable": bool(body.get("billable", False)),
            "customFieldValues": [
                {"customFieldId": v.get("customFieldId"), "value": v.get("value")}
                for v in body.get("customFields") or []
            ],
            "timeInterval": {"start": iso(start), "end": iso(end) if end else None},
            "type": body.get("type") or "REGULAR",
            "isLocked": False,
            "kioskId": None,
            "hourlyRate": None,
            "costRate": None,
        }
        record = {k: v for k, v in record.items() if k in collection.fields}
        record = duration(record, None)
        engine.store.put(ENTRIES, record["id"], record)
    return record


def load_entry(engine: Engine, call: Call, entry_id: str) -> Record:
    entry = engine.store.get(ENTRIES, entry_id)
    if entry is None or entry.get("workspaceId") != call.params["workspaceId"]:
        raise errors.NotFound(f"TimeEntry with id {entry_id} doesn't exist")
    return entry


def update_entry(engine: Engine, call: Call, entry: Record, body: Mapping[str, Any]) -> Record:
    check_references(engine, call.params["workspaceId"], body)
    interval = dict(entry.get("timeInterval") or {})
    if body.get("start"):
        interval["start"] = body["start"]
    if "end" in body:
        interval["end"] = body["end"]
    collection = engine.surface.collections[ENTRIES]
    changes = {k: v for k, v in body.items() if k in collection.writable and k != "timeInterval"}
    record = duration({**entry, **changes, "timeInterval": interval}, None)
    with engine.store.transaction():
        if not interval.get("end") and (entry.get("timeInterval") or {}).get("end"):
            # an update that restarts an entry stops the user's running one: one timer each
            for other in engine.store.scan(
                ENTRIES, {"workspaceId": entry.get("workspaceId"), "userId": entry.get("userId")}
            ):
                if other["id"] != entry["id"] and not (other.get("timeInterval") or {}).get("end"):
                    stop(engine, other, parse_instant(interval["start"]))
        engine.store.put(ENTRIES, record["id"], record)
    return record


def reply(status: int, body: Any = None) -> Reply:
    return Reply(status, body)


@behaviour.handler("deleteAndReturn")
def delete_and_return(engine: Engine, call: Call) -> Reply:
    """Clockify answers most deletes with the record it just removed (200), not an empty 204:
    DELETE of a client, holiday, task, tag, user group or template is the generic delete
    answering the deleted record."""
    with engine.store.transaction():
        record = engine.load(call)
        engine.delete(call)
    return Reply(200, record)


# ---------------------------------------------------------------- shared by the handler modules
def currency(engine: Engine, workspace: str) -> str:
    """The workspace's default currency code (USD when it names none)."""
    record = engine.store.get("workspaces", workspace) or {}
    codes = [c for c in record.get("currencies") or [] if c.get("code")]
    default = next((c for c in codes if c.get("isDefault")), codes[0] if codes else None)
    return str(default["code"]) if default else "USD"


def money(engine: Engine, workspace: str, rate: Mapping[str, Any] | None) -> Record | None:
    """A rate request (``{amount, since}``) as stored: integer cents in the workspace currency."""
    if not rate or rate.get("amount") is None:
        return None
    return {"amount": int(rate["amount"]), "currency": currency(engine, workspace)}


def owned(engine: Engine, collection: str, record_id: Any, workspace: str, what: str) -> Record:
    """The record of the workspace with that id, or 404 in Clockify's words."""
    record = engine.store.get(collection, str(record_id or ""))
    if record is None or record.get("workspaceId") != workspace:
        raise errors.NotFound(f"{what} with id {record_id} doesn't exist")
    return record


def name_matches(name: Any, needle: Any, strict: Any = False) -> bool:
    """Clockify's name filter: contained, case-insensitive; equal with strict search."""
    if not needle:
        return True
    name, needle = str(name or "").casefold(), str(needle).casefold()
    return name == needle if strict else needle in name


def sort_by(
    items: list[Record], field: str, order: Any, default_order: str = "ASCENDING"
) -> list[Record]:
    """Sorted by a field (missing values last), ``order`` ASCENDING or DESCENDING."""
    descending = str(order or default_order).upper().startswith("DESC")
    present = [r for r in items if r.get(field) is not None]
    present.sort(key=lambda r: (r[field], r.get("id") or ""), reverse=descending)
    return present + [r for r in items if r.get(field) is None]


def ids_match(values: Iterable[Any], spec: Mapping[str, Any] | None) -> bool:
    """Clockify's ``{ids, contains}`` filter on the ids a record has: CONTAINS (any of them,
    the default), DOES_NOT_CONTAIN (none), CONTAINS_ONLY (some, and no others)."""
    if not spec or not spec.get("ids"):
        return True
    have, wanted = {v for v in values if v is not None}, set(spec["ids"])
    match spec.get("contains"):
        case "DOES_NOT_CONTAIN":
            return not have & wanted
        case "CONTAINS_ONLY":
            return bool(have) and have <= wanted
        case _:
            return bool(have & wanted)


def member_of_workspace(engine: Engine, workspace: str, user: Any) -> bool:
    return isinstance(user, str) and is_member(engine, workspace, user)


def flag(value: Any, default: bool = False) -> bool:
    """A flag from JSON or from a multipart form field (``"true"``)."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def instant(value: Any, what: str) -> datetime:
    """A date-time from a request, in UTC; 400 when it is not one."""
    try:
        return parse_instant(str(value)).astimezone(UTC)
    except (TypeError, ValueError):
        raise errors.BadRequest(f"{what} is not a valid date-time: {value}") from None


def day(value: Any, what: str) -> date:
    """A date (``yyyy-MM-dd``, or the date of a date-time) from a request; 400 otherwise."""
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        raise errors.BadRequest(f"{what} is not a valid date: {value}") from None
