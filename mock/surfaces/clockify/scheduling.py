"""Clockify handlers: scheduling assignments (the Scheduling section of scheduling-time.yaml).

An assignment schedules a user on a project for ``hoursPerDay`` hours on each counted day of
its ``period`` (UTC days, both ends included; the non-working days listed in ``excludeDays``
do not count). A recurring series is one assignment per week, all sharing
``recurring.seriesId``. Ranges ``start``..``end`` select assignments whose period overlaps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, new_id, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import ids_match, is_member

Record = dict[str, Any]
ASSIGNMENTS = "assignments"
WEEK = timedelta(days=7)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
DEFAULT_WORKING_DAYS = list(WEEKDAYS[:5])
DEFAULT_CAPACITY = 8 * 3600  # seconds per working day when neither workspace nor user says
# the fields a client may set on an assignment with create/update
EDITABLE = ("billable", "hoursPerDay", "includeNonWorkingDays", "note", "startTime", "taskId")


# ---------------------------------------------------------------- dates and ranges
def _instant(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return parse_instant(str(value)).astimezone(UTC)
    except ValueError:
        raise errors.BadRequest(f"{name} must be a date-time (yyyy-MM-ddThh:mm:ssZ)") from None


def _range(source: Mapping[str, Any]) -> tuple[datetime, datetime]:
    if source.get("start") is None or source.get("end") is None:
        raise errors.BadRequest("start and end are required")
    start, end = _instant(source["start"], "start"), _instant(source["end"], "end")
    if end < start:
        raise errors.BadRequest("end must not be before start")
    return start, end


def _period(assignment: Mapping[str, Any]) -> tuple[datetime, datetime]:
    period = assignment.get("period") or {}
    return parse_instant(period["start"]), parse_instant(period["end"])


def _overlaps(assignment: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    if not assignment.get("period"):
        return False
    first, last = _period(assignment)
    return first <= end and last >= start


def _days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(UTC).date()
    while day <= end.astimezone(UTC).date():
        yield day
        day += timedelta(days=1)


def _midnight(day: date) -> str:
    return iso(datetime.combine(day, time(), UTC))


def _exclude_days(
    start: datetime, end: datetime, include_non_working: bool, working_days: list[str]
) -> list[Record]:
    """The period's non-working days (weekends of the workspace week) unless they count."""
    if include_non_working:
        return []
    return [
        {"date": _midnight(day), "type": "WEEKEND"}
        for day in _days(start, end)
        if WEEKDAYS[day.weekday()] not in working_days
    ]


def _counted_days(assignment: Mapping[str, Any], start: datetime, end: datetime) -> list[date]:
    """The days of the assignment inside ``start``..``end`` that count (not excluded)."""
    first, last = _period(assignment)
    excluded = {d["date"][:10] for d in assignment.get("excludeDays") or [] if d.get("date")}
    low, high = max(first, start), min(last, end)
    if high < low:
        return []
    return [d for d in _days(low, high) if d.isoformat() not in excluded]


def _hours(assignment: Mapping[str, Any], start: datetime, end: datetime) -> float:
    per_day = float(assignment.get("hoursPerDay") or 0)
    return per_day * len(_counted_days(assignment, start, end))


# ---------------------------------------------------------------- workspace look-ups
class _World:
    """The workspace's projects, clients, users and memberships, read once per request."""

    def __init__(self, engine: Engine, workspace: str) -> None:
        self.workspace_id = workspace
        self.workspace = engine.store.get("workspaces", workspace) or {}
        scope = {"workspaceId": workspace}
        self.projects = {r["id"]: r for r in engine.store.scan("projects", scope)}
        self.clients = {r["id"]: r for r in engine.store.scan("clients", scope)}
        self.groups = list(engine.store.scan("user_groups", scope))
        self.members = {
            m["userId"]: m for m in self.workspace.get("memberships") or [] if m.get("userId")
        }
        self.users = {u: engine.store.get("users", u) or {} for u in self.members}

    def user_name(self, user: str | None) -> str:
        return str((self.users.get(user or "") or {}).get("name") or "")

    def client_name(self, project: Mapping[str, Any]) -> str | None:
        client = self.clients.get(project.get("clientId") or "")
        return client.get("name") if client else project.get("clientName")

    def working_days(self, user: str) -> list[str]:
        settings = (self.users.get(user) or {}).get("settings") or {}
        days = settings.get("workingDays") or self.workspace.get("workingDays")
        valid = [d for d in days or [] if d in WEEKDAYS]
        return valid or list(DEFAULT_WORKING_DAYS)

    def capacity(self, user: str) -> int:
        """Seconds per working day: the member's work capacity, else the workspace's, else 8 h."""
        for holder in (self.members.get(user) or {}, self.workspace):
            value = holder.get("workCapacity")
            if isinstance(value, int) and value >= 0:
                return value
        return DEFAULT_CAPACITY

    def groups_of(self, user: str) -> set[str]:
        return {g["id"] for g in self.groups if user in (g.get("userIds") or [])}


def _assignments(engine: Engine, workspace: str) -> list[Record]:
    """The workspace's assignments (records without a project are not schedulable)."""
    return [
        a
        for a in engine.store.scan(ASSIGNMENTS, {"workspaceId": workspace})
        if a.get("projectId") and a.get("period")
    ]


def _load(engine: Engine, call: Call) -> Record:
    assignment = engine.store.get(ASSIGNMENTS, call.params["assignmentId"])
    if assignment is None or assignment.get("workspaceId") != call.params["workspaceId"]:
        raise errors.NotFound(f"Assignment with id {call.params['assignmentId']} doesn't exist")
    return assignment


def _hydrated(world: _World, assignment: Record) -> Record:
    project = world.projects.get(assignment["projectId"]) or {}
    return {
        "id": assignment["id"],
        "workspaceId": assignment["workspaceId"],
        "userId": assignment["userId"],
        "userName": world.user_name(assignment["userId"]) or None,
        "projectId": assignment["projectId"],
        "projectName": project.get("name"),
        "projectColor": project.get("color"),
        "projectArchived": bool(project.get("archived")),
        "projectBillable": bool(project.get("billable")),
        "clientId": project.get("clientId"),
        "clientName": world.client_name(project),
        "billable": bool(assignment.get("billable")),
        "hoursPerDay": assignment.get("hoursPerDay") or 0,
        "note": assignment.get("note"),
        "period": assignment["period"],
        "startTime": assignment.get("startTime"),
    }


def _contains(text: str | None, *haystack: str | None) -> bool:
    needle = (text or "").casefold()
    return not needle or any(needle in (h or "").casefold() for h in haystack)


def _names_match(world: _World, assignment: Record, text: str | None) -> bool:
    project = world.projects.get(assignment["projectId"]) or {}
    return _contains(
        text,
        project.get("name"),
        world.client_name(project),
        world.user_name(assignment.get("userId")),
    )


def _status_ok(assignment: Mapping[str, Any], status: str | None) -> bool:
    if status == "PUBLISHED":
        return bool(assignment.get("published"))
    if status == "UNPUBLISHED":
        return not assignment.get("published")
    return True


# ---------------------------------------------------------------- user filters
def _member_status_ok(status: str, spec: Mapping[str, Any] | None) -> bool:
    """Membership statuses a user filter asks for; none named: all but inactive members."""
    spec = spec or {}
    wanted = set(spec.get("statuses") or []) | ({spec["status"]} if spec.get("status") else set())
    if not wanted:
        return status != "INACTIVE"
    if "ALL" in wanted:
        return True
    if "ACTIVE_WITH_PENDING" in wanted:
        wanted |= {"ACTIVE", "PENDING"}
    return status in wanted


def _user_selected(world: _World, user: str, body: Mapping[str, Any]) -> bool:
    users, groups = body.get("userFilter"), body.get("userGroupFilter")
    status = (world.members.get(user) or {}).get("membershipStatus") or "ACTIVE"
    return (
        ids_match({user}, users)
        and _member_status_ok(status, users)
        and ids_match(world.groups_of(user), groups)
    )


# ---------------------------------------------------------------- listing and totals
_SORT = {"PROJECT": "projectName", "USER": "userName", "ID": "id"}


@behaviour.handler("listAssignments")
def list_assignments(engine: Engine, call: Call) -> Reply:
    """GET .../scheduling/assignments/all: the workspace's assignments overlapping
    `start`..`end`; `name` = case-insensitive contains on the project, client or user name;
    each answered as `AssignmentHydrated` (userName from `users`,
    projectName/Color/Archived/Billable and clientId/clientName from `projects`/`clients`);
    sort `sort-column` PROJECT→projectName, USER→userName, ID→id (default PROJECT) and
    `sort-order`; paged by `page`/`page-size` (default 50).
    """
    params = call.params
    start, end = _range(params)
    world = _World(engine, params["workspaceId"])
    rows = [
        _hydrated(world, a)
        for a in _assignments(engine, params["workspaceId"])
        if _overlaps(a, start, end) and _names_match(world, a, params.get("name"))
    ]
    column = _SORT.get(params.get("sort-column") or "PROJECT", "projectName")
    rows.sort(key=lambda r: (str(r.get(column) or "").casefold(), r["id"]))
    if str(params.get("sort-order") or "").upper() == "DESCENDING":
        rows.reverse()
    return Reply(200, engine.page(call, rows).items)


def _project_totals(
    world: _World, project: Record, assignments: Iterable[Record], start: datetime, end: datetime
) -> Record:
    mine = sorted(
        (a for a in assignments if a["projectId"] == project["id"]),
        key=lambda a: (a["period"]["start"], a["id"]),
    )
    return {
        "assignments": [_hydrated(world, a) for a in mine],
        "clientName": world.client_name(project),
        "milestones": [],  # the mock keeps no milestones
        "projectArchived": bool(project.get("archived")),
        "projectBillable": bool(project.get("billable")),
        "projectColor": project.get("color"),
        "projectId": project["id"],
        "projectName": str(project.get("name") or ""),
        "totalHours": round(sum(_hours(a, start, end) for a in mine), 2),
        "workspaceId": world.workspace_id,
    }


@behaviour.handler("listProjectAssignmentTotals")
def list_project_totals(engine: Engine, call: Call) -> Reply:
    """POST filters by its body (statusFilter, page/pageSize); the deprecated GET by query.

    POST .../assignments/projects/totals, deprecated GET same path: group the workspace's
    assignments overlapping `start`..`end` (POST: `statusFilter` PUBLISHED→published true,
    UNPUBLISHED→false, ALL/absent→all) by project; `search` = contains on project or client
    name; per project answer `AssignmentProjectTotals` {assignments (hydrated, as above),
    milestones [] (no milestone store), project fields, clientName, totalHours = sum of
    hoursPerDay * counted days of each assignment inside the range, workspaceId}; sorted by
    project name, paged by `page`/`pageSize` (POST body) or `page`/`page-size` (GET),
    default 1/50.
    """
    posted = call.binding.method.upper() == "POST"
    source: Mapping[str, Any] = (call.body or {}) if posted else call.params
    start, end = _range(source)
    world = _World(engine, call.params["workspaceId"])
    status = source.get("statusFilter") if posted else None
    chosen = [
        a
        for a in _assignments(engine, call.params["workspaceId"])
        if _overlaps(a, start, end) and _status_ok(a, status)
    ]
    search = source.get("search")
    projects = [world.projects.get(p) or {"id": p} for p in {a["projectId"] for a in chosen}]
    projects = [p for p in projects if _contains(search, p.get("name"), world.client_name(p))]
    rows = [_project_totals(world, p, chosen, start, end) for p in projects]
    rows.sort(key=lambda r: (r["projectName"].casefold(), r["projectId"]))
    return Reply(200, engine.page(call, rows).items)


@behaviour.handler("getProjectAssignmentTotals")
def get_project_totals(engine: Engine, call: Call) -> Reply:
    """GET .../projects/totals/{projectId}: 404 unless the project is in the workspace; the
    one `AssignmentProjectTotals` of that project (empty `assignments`, totalHours 0 when
    none).
    """
    start, end = _range(call.params)
    world = _World(engine, call.params["workspaceId"])
    project = world.projects.get(call.params["projectId"])
    if project is None:
        raise errors.NotFound(f"Project with id {call.params['projectId']} doesn't exist")
    chosen = [a for a in _assignments(engine, world.workspace_id) if _overlaps(a, start, end)]
    return Reply(200, _project_totals(world, project, chosen, start, end))


def _user_totals(
    world: _World, user: str, assignments: Iterable[Record], start: datetime, end: datetime
) -> Record:
    per_day: dict[date, float] = {}
    for assignment in assignments:
        if assignment.get("userId") != user:
            continue
        for day in _counted_days(assignment, start, end):
            per_day[day] = per_day.get(day, 0.0) + float(assignment.get("hoursPerDay") or 0)
    profile = world.users.get(user) or {}
    return {
        "capacityPerDay": world.capacity(user),
        "totalHoursPerDay": [
            {"date": _midnight(day), "totalHours": round(hours, 2)}
            for day, hours in sorted(per_day.items())
        ],
        "userId": user,
        "userImage": profile.get("profilePicture"),
        "userName": world.user_name(user),
        "userStatus": (world.members.get(user) or {}).get("membershipStatus") or "ACTIVE",
        "workingDays": world.working_days(user),
        "workspaceId": world.workspace_id,
    }


@behaviour.handler("listUserCapacityTotals")
def list_user_totals(engine: Engine, call: Call) -> Reply:
    """POST .../user-filter/totals: one `AssignmentUserTotals` per workspace member matching
    `search` (name or email contains), `userFilter`, `userGroupFilter`; capacityPerDay = the
    member's working hours per day in seconds (workspace/user setting, default 8 h = 28800),
    workingDays = the user's/workspace's working days (default MONDAY..FRIDAY),
    totalHoursPerDay = for each day of `start`..`end` with assignments (per `statusFilter`):
    {date (day start, UTC), totalHours = sum of hoursPerDay}; userName/userImage/userStatus
    (membership status) from `users`; paged by `page`/`pageSize` (default 1/50), sorted by
    userName.
    """
    body: Mapping[str, Any] = call.body or {}
    start, end = _range(body)
    world = _World(engine, call.params["workspaceId"])
    chosen = [
        a
        for a in _assignments(engine, world.workspace_id)
        if _overlaps(a, start, end) and _status_ok(a, body.get("statusFilter"))
    ]
    users = [
        u
        for u in world.members
        if _contains(
            body.get("search"), world.user_name(u), (world.users.get(u) or {}).get("email")
        )
        and _user_selected(world, u, body)
    ]
    rows = [_user_totals(world, u, chosen, start, end) for u in users]
    rows.sort(key=lambda r: (r["userName"].casefold(), r["userId"]))
    return Reply(200, engine.page(call, rows).items)


@behaviour.handler("getUserCapacityTotals")
def get_user_totals(engine: Engine, call: Call) -> Reply:
    """GET .../users/{userId}/totals: 404 unless the user is a member; that user's
    `AssignmentUserTotals` over `start`..`end` (all assignments), `totalHoursPerDay` paged
    by `page`/`page-size`.
    """
    params = call.params
    start, end = _range(params)
    world = _World(engine, params["workspaceId"])
    user = params["userId"]
    if user not in world.members:
        raise errors.NotFound(f"User {user} is not a member of the workspace")
    chosen = [a for a in _assignments(engine, world.workspace_id) if _overlaps(a, start, end)]
    totals = _user_totals(world, user, chosen, start, end)
    totals["totalHoursPerDay"] = engine.page(call, totals["totalHoursPerDay"]).items
    return Reply(200, totals)


@behaviour.handler("publishAssignments")
def publish_assignments(engine: Engine, call: Call) -> Reply:
    """PUT .../assignments/publish: set `published: true` on the workspace's assignments
    overlapping `start`..`end` whose user matches `userFilter` (contains ids / not / only)
    and `userGroupFilter` (members of the groups in `user_groups`) and whose
    project/client/user name contains `search`; 400 when `end` < `start`; answer 200, no
    body (`notifyUsers` only recorded, nothing sent).
    """
    body: Mapping[str, Any] = call.body or {}
    start, end = _range(body)
    world = _World(engine, call.params["workspaceId"])
    with engine.store.transaction():
        for assignment in _assignments(engine, world.workspace_id):
            if (
                not assignment.get("published")
                and _overlaps(assignment, start, end)
                and _user_selected(world, assignment["userId"], body)
                and _names_match(world, assignment, body.get("search"))
            ):
                engine.store.put(ASSIGNMENTS, assignment["id"], {**assignment, "published": True})
    return Reply(200)  # notifyUsers: the mock sends nothing


# ---------------------------------------------------------------- writing
def _check_task(engine: Engine, project: str, task: str | None) -> None:
    if not task:
        return
    record = engine.store.get("tasks", task)
    if record is None or record.get("projectId") != project:
        raise errors.BadRequest(f"Task {task} doesn't belong to project {project}")


def _with_period(world: _World, assignment: Record, start: datetime, end: datetime) -> Record:
    """The assignment over ``start``..``end``, its excluded days recomputed."""
    excluded = _exclude_days(
        start,
        end,
        bool(assignment.get("includeNonWorkingDays")),
        world.working_days(assignment["userId"]),
    )
    return {**assignment, "period": {"start": iso(start), "end": iso(end)}, "excludeDays": excluded}


def _shifted(world: _World, assignment: Record, delta: timedelta) -> Record:
    first, last = _period(assignment)
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
    world = _World(engine, workspace)
    start, end = _range(body)
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
    return sorted(members, key=lambda a: (_period(a)[0], a["id"]))


def _targets(engine: Engine, assignment: Record, option: str | None) -> list[Record]:
    """The assignments a ``seriesUpdateOption`` names (THIS_ONE by default)."""
    if option == "ALL":
        return _series(engine, assignment)
    if option == "THIS_AND_FOLLOWING":
        begins = _period(assignment)[0]
        return [a for a in _series(engine, assignment) if _period(a)[0] >= begins]
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
        assignment = _load(engine, call)
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
    world = _World(engine, call.params["workspaceId"])
    with engine.store.transaction():
        assignment = _load(engine, call)
        start, end = _range(body)
        _check_task(engine, assignment["projectId"], body.get("taskId"))
        old_start, old_end = _period(assignment)
        changes = {k: body[k] for k in EDITABLE if k in body}
        updated = []
        for record in _targets(engine, assignment, body.get("seriesUpdateOption")):
            first, last = _period(record)
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
    world = _World(engine, call.params["workspaceId"])
    weeks = _weeks(body.get("weeks"))
    with engine.store.transaction():
        assignment = _load(engine, call)
        series = _series(engine, assignment)
        if not body.get("repeat"):  # a one-off: the following weeks go
            begins = _period(assignment)[0]
            for record in series:
                if _period(record)[0] > begins:
                    engine.store.delete(ASSIGNMENTS, record["id"])
            single = {**assignment, "recurring": None}
            engine.store.put(ASSIGNMENTS, single["id"], single)
            earlier = [a for a in series if _period(a)[0] < begins]
            return Reply(200, [*_renumber(engine, earlier), single])
        seed = series[0]
        series_id = (seed.get("recurring") or {}).get("seriesId") or _new_id(engine)
        recurring = {"repeat": True, "weeks": weeks, "seriesId": series_id}
        by_week = {round((_period(a)[0] - _period(seed)[0]) / WEEK): a for a in series}
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
        kept.sort(key=lambda a: (_period(a)[0], a["id"]))
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
    world = _World(engine, call.params["workspaceId"])
    with engine.store.transaction():
        assignment = _load(engine, call)
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
            first, last = _period(copy)
            copy = _with_period(world, copy, first, last)  # the new user's working days
            engine.store.put(ASSIGNMENTS, copy["id"], copy)
            copies.append(copy)
    return Reply(200, copies)
