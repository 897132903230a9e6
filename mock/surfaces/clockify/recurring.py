"""Clockify handlers: writing scheduling assignments — recurring series (one assignment per
week sharing ``recurring.seriesId``), their updates, deletes and period changes, and copies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, new_id
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.scheduling import (
    ASSIGNMENTS,
    EDITABLE,
    WEEK,
    World,
    date_range,
    exclude_days,
    load_assignment,
    period,
)
from understudy.mock.surfaces.clockify.shared import is_member

Record = dict[str, Any]


# ---------------------------------------------------------------- writing
def _check_task(engine: Engine, project: str, task: str | None) -> None:
    if not task:
        return
    record = engine.store.get("tasks", task)
    if record is None or record.get("projectId") != project:
        raise errors.BadRequest(f"Task {task} doesn't belong to project {project}")


def _with_period(world: World, assignment: Record, start: datetime, end: datetime) -> Record:
    """The assignment over ``start``..``end``, its excluded days recomputed."""
    excluded = exclude_days(
        start,
        end,
        bool(assignment.get("includeNonWorkingDays")),
        world.working_days(assignment["userId"]),
    )
    return {**assignment, "period": {"start": iso(start), "end": iso(end)}, "excludeDays": excluded}


def _shifted(world: World, assignment: Record, delta: timedelta) -> Record:
    first, last = period(assignment)
    return _with_period(world, assignment, first + delta, last + delta)


def _new_id(engine: Engine) -> str:
    return new_id(engine.surface.collections[ASSIGNMENTS], engine.clock.now())


def _weeks(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 99:
        raise errors.BadRequest("weeks must be a whole number from 1 to 99")
    return value


@behaviour.handler("createRecurringAssignment")
def create_recurring(engine: Engine, call: Call) -> Reply:
    """POST .../assignments/recurring: 400 unless `userId` is a member, `projectId` a project
    of the workspace (and `taskId` a task of that project) and `end` >= `start`; without
    `recurringAssignment.repeat`: store one assignment {period {start, end}, hoursPerDay,
    billable (default the project's billable, else true), includeNonWorkingDays (default
    false), note, startTime, taskId, projectId, userId, published false, recurring null,
    excludeDays = the non-working days (weekends of the workspace week) of the period unless
    includeNonWorkingDays}; with repeat: store `weeks` assignments, week i's period shifted
    by 7·i days, all with `recurring {repeat: true, weeks, seriesId: <new 24-hex>}`; answer
    201 with the stored list.
    """
    body: Mapping[str, Any] = call.body or {}
    workspace = call.params["workspaceId"]
    world = World(engine, workspace)
    start, end = date_range(body)
    user, project_id = body.get("userId"), body.get("projectId")
    if not user or not is_member(engine, workspace, user):
        raise errors.BadRequest(f"User {user} is not a member of the workspace")
    project = world.projects.get(project_id or "")
    if project is None:
        raise errors.BadRequest(f"Project doesn't belong to Workspace: {project_id}")
    _check_task(engine, project["id"], body.get("taskId"))
    hours = body.get("hoursPerDay")
    if not isinstance(hours, int | float) or isinstance(hours, bool) or not 0 <= hours <= 24:
        raise errors.BadRequest("hoursPerDay must be a number from 0 to 24")
    repeat = body.get("recurringAssignment") or {}
    weeks = _weeks(repeat.get("weeks")) if repeat.get("repeat") else 1
    series = None
    if repeat.get("repeat"):
        series = {"repeat": True, "weeks": weeks, "seriesId": _new_id(engine)}
    template: Record = {
        "workspaceId": workspace,
        "userId": user,
        "projectId": project["id"],
        "taskId": body.get("taskId"),
        "billable": bool(body.get("billable", project.get("billable", True))),
        "hoursPerDay": hours,
        "includeNonWorkingDays": bool(body.get("includeNonWorkingDays", False)),
        "note": body.get("note"),
        "startTime": body.get("startTime"),
        "published": False,
        "recurring": series,
    }
    created = []
    with engine.store.transaction():
        for week in range(weeks):
            record = {"id": _new_id(engine), **template}
            record = _with_period(world, record, start + week * WEEK, end + week * WEEK)
            engine.store.put(ASSIGNMENTS, record["id"], record)
            created.append(record)
    return Reply(201, created)


def _series(engine: Engine, assignment: Record) -> list[Record]:
    """The assignments of the assignment's series by start (just itself when a one-off)."""
    series = (assignment.get("recurring") or {}).get("seriesId")
    if not series:
        return [assignment]
    members = [
        a
        for a in engine.store.scan(ASSIGNMENTS, {"workspaceId": assignment["workspaceId"]})
        if (a.get("recurring") or {}).get("seriesId") == series
    ]
    return sorted(members, key=lambda a: (period(a)[0], a["id"]))


def _targets(engine: Engine, assignment: Record, option: str | None) -> list[Record]:
    """The assignments a ``seriesUpdateOption`` names (THIS_ONE by default)."""
    if option == "ALL":
        return _series(engine, assignment)
    if option == "THIS_AND_FOLLOWING":
        begins = period(assignment)[0]
        return [a for a in _series(engine, assignment) if period(a)[0] >= begins]
    return [assignment]


def _renumber(engine: Engine, series: list[Record]) -> list[Record]:
    """Keep ``recurring.weeks`` equal to the number of assignments left in the series."""
    out = []
    for record in series:
        recurring = record.get("recurring")
        if recurring and recurring.get("weeks") != len(series):
            record = {**record, "recurring": {**recurring, "weeks": len(series)}}
            engine.store.put(ASSIGNMENTS, record["id"], record)
        out.append(record)
    return out


@behaviour.handler("deleteRecurringAssignment")
def delete_recurring(engine: Engine, call: Call) -> Reply:
    """DELETE .../recurring/{assignmentId}: 404 if unknown; delete the assignment, and per
    `seriesUpdateOption` (default THIS_ONE) also the later assignments of its series
    (THIS_AND_FOLLOWING: period.start >= this one's) or the whole series (ALL); answer 200
    with the deleted list.
    """
    with engine.store.transaction():
        assignment = load_assignment(engine, call)
        doomed = _targets(engine, assignment, call.params.get("seriesUpdateOption"))
        gone = {a["id"] for a in doomed}
        for record in doomed:
            engine.store.delete(ASSIGNMENTS, record["id"])
        left = [a for a in _series(engine, assignment) if a["id"] not in gone]
        _renumber(engine, left)
    return Reply(200, doomed)


@behaviour.handler("updateRecurringAssignment")
def update_recurring(engine: Engine, call: Call) -> Reply:
    """PATCH .../recurring/{assignmentId}: 404 if unknown; 400 when `end` < `start` or
    `taskId` not of the project; apply to this one / following / all of the series per
    `seriesUpdateOption` (default THIS_ONE): this assignment's period = `start`..`end` (the
    others keep their week, shifted by the same delta), fields given (billable, hoursPerDay,
    includeNonWorkingDays, note, startTime, taskId) replace theirs; answer 200 with the
    updated list.
    """
    body: Mapping[str, Any] = call.body or {}
    world = World(engine, call.params["workspaceId"])
    with engine.store.transaction():
        assignment = load_assignment(engine, call)
        start, end = date_range(body)
        _check_task(engine, assignment["projectId"], body.get("taskId"))
        old_start, old_end = period(assignment)
        changes = {k: body[k] for k in EDITABLE if k in body}
        updated = []
        for record in _targets(engine, assignment, body.get("seriesUpdateOption")):
            first, last = period(record)
            record = {**record, **changes}
            if record["id"] == assignment["id"]:
                record = _with_period(world, record, start, end)
            else:  # the others keep their week, moved as this one moved
                record = _with_period(
                    world, record, first + (start - old_start), last + (end - old_end)
                )
            engine.store.put(ASSIGNMENTS, record["id"], record)
            updated.append(record)
    return Reply(200, updated)


@behaviour.handler("changeRecurringPeriod")
def change_recurring_period(engine: Engine, call: Call) -> Reply:
    """PUT .../series/{assignmentId}: 404 if unknown; with `repeat` true: make the series
    `weeks` weeks long counted from the series' first assignment — create missing later
    weeks (copies shifted by 7 days) or delete the surplus ones — and set `recurring.weeks`
    on all; with `repeat` false: delete the following assignments of the series and set this
    one's `recurring` to null; answer 200 with the series' assignments after the change.
    """
    body: Mapping[str, Any] = call.body or {}
    world = World(engine, call.params["workspaceId"])
    weeks = _weeks(body.get("weeks"))
    with engine.store.transaction():
        assignment = load_assignment(engine, call)
        series = _series(engine, assignment)
        if not body.get("repeat"):  # a one-off: the following weeks go
            begins = period(assignment)[0]
            for record in series:
                if period(record)[0] > begins:
                    engine.store.delete(ASSIGNMENTS, record["id"])
            single = {**assignment, "recurring": None}
            engine.store.put(ASSIGNMENTS, single["id"], single)
            earlier = [a for a in series if period(a)[0] < begins]
            return Reply(200, [*_renumber(engine, earlier), single])
        seed = series[0]
        series_id = (seed.get("recurring") or {}).get("seriesId") or _new_id(engine)
        recurring = {"repeat": True, "weeks": weeks, "seriesId": series_id}
        by_week = {round((period(a)[0] - period(seed)[0]) / WEEK): a for a in series}
        kept = []
        for index, record in sorted(by_week.items()):
            if index >= weeks:
                engine.store.delete(ASSIGNMENTS, record["id"])
            else:
                kept.append({**record, "recurring": recurring})
        for index in range(weeks):
            if index not in by_week:
                copy = {**seed, "id": _new_id(engine), "published": False}
                kept.append({**_shifted(world, copy, index * WEEK), "recurring": recurring})
        kept.sort(key=lambda a: (period(a)[0], a["id"]))
        for record in kept:
            engine.store.put(ASSIGNMENTS, record["id"], record)
    return Reply(200, kept)


@behaviour.handler("copyAssignment")
def copy_assignment(engine: Engine, call: Call) -> Reply:
    """POST .../{assignmentId}/copy: 404 if unknown; 400 unless body `userId` is a member;
    copy the assignment (THIS_ONE, default) or it and the following (THIS_AND_FOLLOWING) or
    its whole series (ALL) to `userId`: new ids, `published` false, a copied series gets one
    new `seriesId`; answer 200 with the copies.
    """
    body: Mapping[str, Any] = call.body or {}
    user = body.get("userId")
    world = World(engine, call.params["workspaceId"])
    with engine.store.transaction():
        assignment = load_assignment(engine, call)
        if not user or not is_member(engine, world.workspace_id, user):
            raise errors.BadRequest(f"User {user} is not a member of the workspace")
        sources = _targets(engine, assignment, body.get("seriesUpdateOption"))
        recurring = None  # one copy is a one-off; copied weeks form a new series
        if len(sources) > 1:
            recurring = {"repeat": True, "weeks": len(sources), "seriesId": _new_id(engine)}
        copies = []
        for source in sources:
            copy = {
                **source,
                "id": _new_id(engine),
                "userId": user,
                "published": False,
                "recurring": recurring,
            }
            first, last = period(copy)
            copy = _with_period(world, copy, first, last)  # the new user's working days
            engine.store.put(ASSIGNMENTS, copy["id"], copy)
            copies.append(copy)
    return Reply(200, copies)
