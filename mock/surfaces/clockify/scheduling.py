"""Clockify handlers: scheduling assignments (the Scheduling section of scheduling-time.yaml).

An assignment schedules a user on a project for ``hoursPerDay`` hours on each counted day of
its ``period`` (UTC days, both ends included; the non-working days listed in ``excludeDays``
do not count). A recurring series is one assignment per week, all sharing
``recurring.seriesId``. Ranges ``start``..``end`` select assignments whose period overlaps them.
Creating, changing and copying assignments is in recurring.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import ids_match

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


def date_range(source: Mapping[str, Any]) -> tuple[datetime, datetime]:
    if source.get("start") is None or source.get("end") is None:
        raise errors.BadRequest("start and end are required")
    start, end = _instant(source["start"], "start"), _instant(source["end"], "end")
    if end < start:
        raise errors.BadRequest("end must not be before start")
    return start, end


def period(assignment: Mapping[str, Any]) -> tuple[datetime, datetime]:
    period = assignment.get("period") or {}
    return parse_instant(period["start"]), parse_instant(period["end"])


def _overlaps(assignment: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    if not assignment.get("period"):
        return False
    first, last = period(assignment)
    return first <= end and last >= start


def _days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(UTC).date()
    while day <= end.astimezone(UTC).date():
        yield day
        day += timedelta(days=1)


def _midnight(day: date) -> str:
    return iso(datetime.combine(day, time(), UTC))


def exclude_days(
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
    first, last = period(assignment)
    excluded = {d["date"][:10] for d in assignment.get("excludeDays") or [] if d.get("date")}
    low, high = max(first, start), min(last, end)
    if high < low:
        return []
    return [d for d in _days(low, high) if d.isoformat() not in excluded]


def _hours(assignment: Mapping[str, Any], start: datetime, end: datetime) -> float:
    per_day = float(assignment.get("hoursPerDay") or 0)
    return per_day * len(_counted_days(assignment, start, end))


# ---------------------------------------------------------------- workspace look-ups
class World:
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


def load_assignment(engine: Engine, call: Call) -> Record:
    assignment = engine.store.get(ASSIGNMENTS, call.params["assignmentId"])
    if assignment is None or assignment.get("workspaceId") != call.params["workspaceId"]:
        raise errors.NotFound(f"Assignment with id {call.params['assignmentId']} doesn't exist")
    return assignment


def _hydrated(world: World, assignment: Record) -> Record:
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


def _names_match(world: World, assignment: Record, text: str | None) -> bool:
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


def _user_selected(world: World, user: str, body: Mapping[str, Any]) -> bool:
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
    start, end = date_range(params)
    world = World(engine, params["workspaceId"])
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
    world: World, project: Record, assignments: Iterable[Record], start: datetime, end: datetime
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
    start, end = date_range(source)
    world = World(engine, call.params["workspaceId"])
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
    start, end = date_range(call.params)
    world = World(engine, call.params["workspaceId"])
    project = world.projects.get(call.params["projectId"])
    if project is None:
        raise errors.NotFound(f"Project with id {call.params['projectId']} doesn't exist")
    chosen = [a for a in _assignments(engine, world.workspace_id) if _overlaps(a, start, end)]
    return Reply(200, _project_totals(world, project, chosen, start, end))


def _user_totals(
    world: World, user: str, assignments: Iterable[Record], start: datetime, end: datetime
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
    start, end = date_range(body)
    world = World(engine, call.params["workspaceId"])
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
    start, end = date_range(params)
    world = World(engine, params["workspaceId"])
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
    start, end = date_range(body)
    world = World(engine, call.params["workspaceId"])
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
