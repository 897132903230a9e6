"""Clockify handlers of time-off-groups.yaml: time off policies, requests and balances (user
groups and templates are in groups.py).

A policy *applies to* a user in its ``userIds``, in one of its ``userGroupIds`` groups, or to
every active member when ``everyoneIncludingNew``. A balance record (one per policy and user)
is made on first need with ``total`` and ``used`` 0; ``balance`` is always ``total - used``.
Working days are Monday to Friday and a working day is 8 hours from 09:00 UTC (the mock keeps
no per-user schedule here).

Time off amounts are numbers in the policy's ``timeUnit`` (DAYS or HOURS).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, new_id, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import (
    is_member,
    member_of_workspace,
    name_matches,
    owned,
    sort_by,
)

Record = dict[str, Any]
POLICIES = "time_off_policies"
REQUESTS = "time_off_requests"
BALANCES = "time_off_balances"
GROUPS = "user_groups"
WORK_HOURS = 8
WORK_START = 9  # hour (UTC) a working day starts


# ---------------------------------------------------------------- small helpers
def body_of(call: Call) -> Mapping[str, Any]:
    return call.body if isinstance(call.body, Mapping) else {}


def _user(engine: Engine, user_id: str | None) -> Record:
    return engine.store.get("users", user_id or "") or {}


def _members(engine: Engine, workspace: str) -> list[str]:
    """The workspace's active members, in a stable order."""
    return sorted(
        u["id"] for u in engine.store.scan("users", {}) if is_member(engine, workspace, u["id"])
    )


def _policy(engine: Engine, call: Call, param: str) -> Record:
    return owned(engine, POLICIES, call.params.get(param), call.params["workspaceId"], "Policy")


def applies_to(engine: Engine, policy: Mapping[str, Any]) -> list[str]:
    """The users a policy applies to (active members only), sorted."""
    workspace = policy["workspaceId"]
    members = _members(engine, workspace)
    if policy.get("everyoneIncludingNew"):
        return members
    users = set(policy.get("userIds") or [])
    for group_id in policy.get("userGroupIds") or []:
        group = engine.store.get(GROUPS, group_id)
        if group and group.get("workspaceId") == workspace:
            users.update(group.get("userIds") or [])
    return [m for m in members if m in users]


def balance_of(engine: Engine, policy: Mapping[str, Any], user_id: str) -> Record:
    """The user's balance on the policy, created when missing and refreshed from policy and
    user (names, archived, negative balance settings, ``balance`` = total - used)."""
    found = next(
        iter(engine.store.scan(BALANCES, {"policyId": policy["id"], "userId": user_id})), None
    )
    record: Record = dict(found) if found else {}
    if not found:
        collection = engine.surface.collections[BALANCES]
        record = {
            "id": new_id(collection, engine.clock.now()),
            "workspaceId": policy["workspaceId"],
            "policyId": policy["id"],
            "userId": user_id,
            "used": 0,
            "total": 0,
        }
    negative = policy.get("negativeBalance") or None
    record.update(
        {
            "workspaceId": policy["workspaceId"],
            "used": record.get("used") or 0,
            "total": record.get("total") or 0,
            "negativeBalanceAmount": negative.get("amount") if negative else None,
            "negativeBalanceLimit": bool(negative),
            "policyArchived": bool(policy.get("archived")),
            "policyName": policy.get("name") or "",
            "policyTimeUnit": policy.get("timeUnit") or "DAYS",
            "userName": _user(engine, user_id).get("name") or "",
        }
    )
    record["balance"] = record["total"] - record["used"]
    if record != found:
        engine.store.put(BALANCES, record["id"], record)
    return record


def _add_used(engine: Engine, policy: Mapping[str, Any], user_id: str, amount: float) -> Record:
    record = balance_of(engine, policy, user_id)
    used = record["used"] + amount
    record = {**record, "used": used, "balance": record["total"] - used}
    engine.store.put(BALANCES, record["id"], record)
    return record


BALANCE_SORT = {
    "USER": "userName",
    "POLICY": "policyName",
    "USED": "used",
    "BALANCE": "balance",
    "TOTAL": "total",
}


def _balance_page(engine: Engine, call: Call, balances: list[Record], default_sort: str) -> Reply:
    field = BALANCE_SORT.get(str(call.params.get("sort") or default_sort), "userName")
    ordered = sort_by(balances, field, call.params.get("sort-order"))
    return Reply(200, {"balances": engine.page(call, ordered).items, "count": len(ordered)})


# ---------------------------------------------------------------- balances
@behaviour.handler("listPolicyBalances")
def list_policy_balances(engine: Engine, call: Call) -> Reply:
    """GET .../time-off/balance/policy/{policyId}: 404 unless the policy is in the workspace;
    a balance (created when missing) for every user the policy applies to, with
    `policyName`/`policyArchived`/`policyTimeUnit` from the policy, `userName` from the
    user, `negativeBalanceAmount`/`negativeBalanceLimit` from `negativeBalance` (null/false
    without); sorted by `sort` (USER→userName, POLICY→policyName, USED, BALANCE, TOTAL;
    default USER) and `sort-order`, paged by `page`/`page-size` (default 50); answer
    `{balances, count}` (count = all).
    """
    with engine.store.transaction():
        policy = _policy(engine, call, "policyId")
        balances = [balance_of(engine, policy, u) for u in applies_to(engine, policy)]
    return _balance_page(engine, call, balances, "USER")


@behaviour.handler("updatePolicyBalances")
def update_policy_balances(engine: Engine, call: Call) -> Reply:
    """PATCH .../time-off/balance/policy/{policyId}: 404 unless the policy exists; 400 when a
    `userIds` entry is not a member or the policy does not apply to them; for each user set
    `balance` = `value` and `total` = `value` + `used` (create the record when missing);
    keep `note` (not answered); answer 204.
    """
    body = body_of(call)
    value = body.get("value")
    if not isinstance(value, int | float):
        raise errors.BadRequest("value is required")
    with engine.store.transaction():
        policy = _policy(engine, call, "policyId")
        covered = set(applies_to(engine, policy))
        users = list(body.get("userIds") or [])
        for user_id in users:
            if user_id not in covered:
                raise errors.BadRequest(f"Policy {policy['id']} does not apply to user {user_id}")
        for user_id in users:
            record = balance_of(engine, policy, user_id)
            record = {**record, "balance": value, "total": value + record["used"]}
            engine.store.put(BALANCES, record["id"], record)
    return Reply(204)


@behaviour.handler("listUserBalances")
def list_user_balances(engine: Engine, call: Call) -> Reply:
    """GET .../time-off/balance/user/{userId}: 404 unless the user is a member; that user's
    balances on every policy that applies to them (created when missing), sorted (default
    POLICY) and paged as `listPolicyBalances`; answer `{balances, count}`.
    """
    workspace, user_id = call.params["workspaceId"], call.params.get("userId")
    if not member_of_workspace(engine, workspace, user_id):
        raise errors.NotFound(f"User with id {user_id} doesn't exist")
    with engine.store.transaction():
        balances = [
            balance_of(engine, policy, user_id)
            for policy in engine.store.scan(POLICIES, {"workspaceId": workspace})
            if user_id in applies_to(engine, policy)
        ]
    return _balance_page(engine, call, balances, "POLICY")


# ---------------------------------------------------------------- policies
@behaviour.handler("listTimeOffPolicies")
def list_time_off_policies(engine: Engine, call: Call) -> Reply:
    """GET .../time-off/policies: the workspace's `time_off_policies`, `name` contains
    (case-insensitive), `status` ACTIVE → `archived` false, ARCHIVED → true, ALL/absent →
    all; sorted by name; paged by `page`/`page-size` (default 50); bare array.
    """
    status = call.params.get("status") or "ALL"
    policies = [
        p
        for p in engine.store.scan(POLICIES, {"workspaceId": call.params["workspaceId"]})
        if name_matches(p.get("name"), call.params.get("name"))
        and (status == "ALL" or bool(p.get("archived")) == (status == "ARCHIVED"))
    ]
    return Reply(200, engine.page(call, sort_by(policies, "name", "ASCENDING")).items)


def _selection(given: Mapping[str, Any] | None, every: list[str]) -> list[str]:
    """The ids a users/userGroups filter names (DOES_NOT_CONTAIN: all the others)."""
    ids = list(dict.fromkeys((given or {}).get("ids") or []))
    if (given or {}).get("contains") == "DOES_NOT_CONTAIN":
        return [i for i in every if i not in ids]
    return ids


def _policy_fields(engine: Engine, call: Call, body: Mapping[str, Any]) -> Record:
    """The policy fields a create/update body sets, its references checked (400)."""
    workspace = call.params["workspaceId"]
    fields: Record = {}
    for name in ("name", "approve", "color", "icon", "automaticAccrual"):
        if name in body:
            fields[name] = body[name]
    for name in (
        "allowHalfDay",
        "allowNegativeBalance",
        "archived",
        "everyoneIncludingNew",
        "hasExpiration",
    ):
        if name in body:
            fields[name] = bool(body[name])
    if "negativeBalance" in body:
        negative = body["negativeBalance"]
        fields["negativeBalance"] = (
            {k: v for k, v in negative.items() if k != "amountValidForTimeUnit"}
            if isinstance(negative, Mapping)
            else None
        )
    if "users" in body:
        members = _members(engine, workspace)
        for user_id in (body["users"] or {}).get("ids") or []:
            if user_id not in members:
                raise errors.BadRequest(f"User {user_id} is not a member of the workspace")
        fields["userIds"] = _selection(body["users"], members)
    if "userGroups" in body:
        groups = sorted(g["id"] for g in engine.store.scan(GROUPS, {"workspaceId": workspace}))
        for group_id in (body["userGroups"] or {}).get("ids") or []:
            if group_id not in groups:
                raise errors.BadRequest(f"User group {group_id} doesn't belong to Workspace")
        fields["userGroupIds"] = _selection(body["userGroups"], groups)
    if "automaticTimeEntryCreation" in body:
        creation = body["automaticTimeEntryCreation"]
        defaults = (creation or {}).get("defaultEntities") or {}
        project, task = defaults.get("projectId"), defaults.get("taskId")
        if project:
            owned_or_400(engine, "projects", project, workspace, "Project")
        if task:
            record = owned_or_400(engine, "tasks", task, workspace, "Task")
            if project and record.get("projectId") != project:
                raise errors.BadRequest(f"Task {task} doesn't belong to project {project}")
        fields["automaticTimeEntryCreation"] = creation
        fields["projectId"] = project or None
    return fields


def owned_or_400(
    engine: Engine, collection: str, record_id: Any, workspace: str, what: str
) -> Record:
    record = engine.store.get(collection, str(record_id or ""))
    if record is None or record.get("workspaceId") != workspace:
        raise errors.BadRequest(f"{what} doesn't belong to Workspace: {record_id}")
    return record


@behaviour.handler("createTimeOffPolicy")
def create_time_off_policy(engine: Engine, call: Call) -> Reply:
    """POST .../time-off/policies: record from the body: scalar fields as sent (booleans
    default false, `timeUnit` DAYS,
    `color`/`icon`/`automaticAccrual`/`automaticTimeEntryCreation` null when absent);
    `negativeBalance` without `amountValidForTimeUnit`; `userIds` = `users.ids`,
    `userGroupIds` = `userGroups.ids` (`contains` DOES_NOT_CONTAIN → every other active
    member / group of the workspace); `projectId` =
    `automaticTimeEntryCreation.defaultEntities.projectId` (null when absent); 400 when a
    referenced user, group, project or task is not in the workspace; answer 201.
    """
    body = body_of(call)
    collection = engine.surface.collections[POLICIES]
    record: Record = {
        "id": new_id(collection, engine.clock.now()),
        "workspaceId": call.params["workspaceId"],
        "allowHalfDay": False,
        "allowNegativeBalance": False,
        "archived": False,
        "everyoneIncludingNew": False,
        "hasExpiration": False,
        "approve": {
            "requiresApproval": False,
            "specificMembers": False,
            "teamManagers": False,
            "userIds": [],
        },
        "automaticAccrual": None,
        "automaticTimeEntryCreation": None,
        "color": None,
        "icon": None,
        "negativeBalance": None,
        "projectId": None,
        "timeUnit": body.get("timeUnit") or "DAYS",
        "userIds": [],
        "userGroupIds": [],
    }
    with engine.store.transaction():
        record.update(_policy_fields(engine, call, body))
        engine.store.put(POLICIES, record["id"], record)
    return Reply(201, record)


@behaviour.handler("updateTimeOffPolicy")
def update_time_off_policy(engine: Engine, call: Call) -> Reply:
    """PUT .../time-off/policies/{id}: as `createTimeOffPolicy` onto the stored record
    (fields the body leaves out keep their value; `timeUnit` never changes); answer 200.
    """
    with engine.store.transaction():
        current = _policy(engine, call, "id")
        record = {**current, **_policy_fields(engine, call, body_of(call))}
        record["timeUnit"] = current.get("timeUnit") or "DAYS"
        engine.store.put(POLICIES, record["id"], record)
    return Reply(200, record)


@behaviour.handler("changeTimeOffPolicyStatus")
def change_time_off_policy_status(engine: Engine, call: Call) -> Reply:
    """PATCH .../time-off/policies/{id}: `status` ACTIVE → `archived` false, ARCHIVED →
    `archived` true, ALL → 400; answer the policy (200).
    """
    status = body_of(call).get("status")
    if status not in ("ACTIVE", "ARCHIVED"):
        raise errors.BadRequest("status must be ACTIVE or ARCHIVED")
    with engine.store.transaction():
        record = {**_policy(engine, call, "id"), "archived": status == "ARCHIVED"}
        engine.store.put(POLICIES, record["id"], record)
    return Reply(200, record)


# ---------------------------------------------------------------- requests
def _working_days(start: datetime, end: datetime) -> int:
    day, days = start.date(), 0
    while day <= end.date():
        days += day.weekday() < 5
        day += timedelta(days=1)
    return days


def _half_day_hours(start: datetime, half: str) -> Record:
    begin = start.replace(hour=WORK_START, minute=0, second=0, microsecond=0)
    if half == "SECOND_HALF":
        begin += timedelta(hours=WORK_HOURS / 2)
    return {"start": iso(begin), "end": iso(begin + timedelta(hours=WORK_HOURS / 2))}


def _status(engine: Engine, call: Call, status: str, user: Mapping[str, Any], note: Any) -> Record:
    return {
        "statusType": status,
        "note": note,
        "changedAt": iso(engine.clock.now()),
        "changedByUserId": call.caller.actor,
        "changedByUserName": _user(engine, call.caller.actor).get("name"),
        "changedForUserName": user.get("name"),
    }


@behaviour.handler("createTimeOffRequest")
def create_time_off_request(engine: Engine, call: Call) -> Reply:
    """POST .../policies/{policyId}/requests and
    .../policies/{policyId}/users/{userId}/requests: 404 unless the policy (and path user,
    a member) exists; user = path `userId` or the caller; requester = caller
    (`requesterUserId`, `requesterUserName`); 400 when the policy is archived or does not
    apply to the user, `period.end` < `period.start`, `isHalfDay` on a policy without
    `allowHalfDay`, or (without `allowNegativeBalance`) the balance would drop below 0 (with
    it, below -`negativeBalance.amount`); `timeOffPeriod` = {halfDay: isHalfDay,
    halfDayPeriod: timeOffHalfDayPeriod or halfDayPeriod (NOT_DEFINED), halfDayHours:
    first/second half of the user's working day when half day else null, period: {start,
    end}}; `balanceDiff` = number of working days in the period (0.5 for a half day) for
    DAYS, hours for HOURS; `status` = {statusType: PENDING, changed*: null, note: null} when
    `approve.requiresApproval`, else APPROVED stamped with the caller (and `used` +=
    balanceDiff); `balance` = the user's balance after it; `policyName`, `timeUnit`,
    `userName`, `userEmail`, `userTimeZone` from policy and user; `createdAt` now; answer
    200.
    """
    workspace = call.params["workspaceId"]
    body = body_of(call)
    policy = _policy(engine, call, "policyId")
    user_id = call.params.get("userId") or call.caller.actor or ""
    if not member_of_workspace(engine, workspace, user_id):
        raise errors.NotFound(f"User with id {user_id} doesn't exist")
    if policy.get("archived"):
        raise errors.BadRequest("The policy is archived")
    if user_id not in applies_to(engine, policy):
        raise errors.BadRequest(f"Policy {policy['id']} does not apply to user {user_id}")
    period_in = body.get("timeOffPeriod") or {}
    period = period_in.get("period") or {}
    try:
        start, end = parse_instant(period["start"]), parse_instant(period["end"])
    except (KeyError, TypeError, ValueError):
        raise errors.BadRequest("timeOffPeriod.period needs a start and an end") from None
    if end < start:
        raise errors.BadRequest("The period's end is before its start")
    half = bool(period_in.get("isHalfDay"))
    if half and not policy.get("allowHalfDay"):
        raise errors.BadRequest("The policy does not allow half days")
    half_period = period_in.get("timeOffHalfDayPeriod") or period_in.get("halfDayPeriod")
    half_period = half_period or "NOT_DEFINED"
    unit = policy.get("timeUnit") or "DAYS"
    days = 0.5 if half else _working_days(start, end)
    diff = days if unit == "DAYS" else days * WORK_HOURS
    user = _user(engine, user_id)
    with engine.store.transaction():
        current = balance_of(engine, policy, user_id)
        after = current["balance"] - diff
        negative = policy.get("negativeBalance") or {}
        floor = -(negative.get("amount") or 0) if negative else None
        if not policy.get("allowNegativeBalance"):
            floor = 0
        if floor is not None and after < floor:
            raise errors.BadRequest("The time off request exceeds the balance")
        pending = bool((policy.get("approve") or {}).get("requiresApproval"))
        if pending:
            status: Record = {
                "statusType": "PENDING",
                "note": None,
                "changedAt": None,
                "changedByUserId": None,
                "changedByUserName": None,
                "changedForUserName": None,
            }
        else:
            status = _status(engine, call, "APPROVED", user, None)
            current = _add_used(engine, policy, user_id, diff)
        collection = engine.surface.collections[REQUESTS]
        now = engine.clock.now()
        requester = _user(engine, call.caller.actor)
        record: Record = {
            "id": new_id(collection, now),
            "workspaceId": workspace,
            "policyId": policy["id"],
            "userId": user_id,
            "balance": current["balance"],
            "balanceDiff": diff,
            "createdAt": iso(now),
            "note": body.get("note"),
            "policyName": policy.get("name"),
            "requesterUserId": call.caller.actor,
            "requesterUserName": requester.get("name"),
            "status": status,
            "timeOffPeriod": {
                "halfDay": half,
                "halfDayPeriod": half_period,
                "halfDayHours": _half_day_hours(start, half_period) if half else None,
                "period": {"start": iso(start), "end": iso(end)},
            },
            "timeUnit": unit,
            "userEmail": user.get("email"),
            "userName": user.get("name"),
            "userTimeZone": (user.get("settings") or {}).get("timeZone"),
        }
        engine.store.put(REQUESTS, record["id"], record)
    return Reply(200, record)


def _request(engine: Engine, call: Call) -> Record:
    record = owned(
        engine, REQUESTS, call.params.get("requestId"), call.params["workspaceId"], "TimeOffRequest"
    )
    if record.get("policyId") != call.params.get("policyId"):
        raise errors.NotFound(f"TimeOffRequest with id {record['id']} doesn't exist")
    return record


def _status_type(record: Mapping[str, Any]) -> Any:
    return (record.get("status") or {}).get("statusType")


@behaviour.handler("deleteTimeOffRequest")
def delete_time_off_request(engine: Engine, call: Call) -> Reply:
    """DELETE .../policies/{policyId}/requests/{requestId}: 404 unless the request is of that
    policy; an APPROVED request gives its `balanceDiff` back (`used` -= balanceDiff); remove
    it and answer it as it was (200).
    """
    with engine.store.transaction():
        record = _request(engine, call)
        policy = engine.store.get(POLICIES, record["policyId"])
        if _status_type(record) == "APPROVED" and policy:
            _add_used(engine, policy, record["userId"], -(record.get("balanceDiff") or 0))
        engine.store.delete(REQUESTS, record["id"])
    return Reply(200, record)


@behaviour.handler("changeTimeOffRequestStatus")
def change_time_off_request_status(engine: Engine, call: Call) -> Reply:
    """PATCH .../policies/{policyId}/requests/{requestId}: 400 unless the request is PENDING
    (same status: no-op); set `status` = {statusType: body status, note: body note,
    changedAt: now, changedByUserId/changedByUserName: caller, changedForUserName: the
    request's user}; APPROVED adds `balanceDiff` to the balance's `used` (and refreshes
    `balance`); answer 200.
    """
    body = body_of(call)
    wanted = body.get("status")
    if wanted not in ("APPROVED", "REJECTED"):
        raise errors.BadRequest("status must be APPROVED or REJECTED")
    with engine.store.transaction():
        record = _request(engine, call)
        current = _status_type(record)
        if current == wanted:
            return Reply(200, record)
        if current != "PENDING":
            raise errors.BadRequest(f"Only a PENDING time off request can change (it is {current})")
        user = _user(engine, record["userId"])
        record = {**record, "status": _status(engine, call, wanted, user, body.get("note"))}
        policy = engine.store.get(POLICIES, record["policyId"])
        if wanted == "APPROVED" and policy:
            balance = _add_used(engine, policy, record["userId"], record.get("balanceDiff") or 0)
            record["balance"] = balance["balance"]
        engine.store.put(REQUESTS, record["id"], record)
    return Reply(200, record)


@behaviour.handler("searchTimeOffRequests")
def search_time_off_requests(engine: Engine, call: Call) -> Reply:
    """POST .../time-off/requests: the workspace's `time_off_requests` with `createdAt` in
    [`start`, `end`] (each optional), `status.statusType` in `statuses` (empty or containing
    ALL: any), `userId` in `users` or in a member list of `userGroups` (both empty: any
    user); newest `createdAt` first; paged by `page`/`pageSize` (default 1/50); answer
    `{count, requests}` (count = all matching).
    """
    body = body_of(call)
    workspace = call.params["workspaceId"]
    start = parse_instant(body["start"]) if body.get("start") else None
    end = parse_instant(body["end"]) if body.get("end") else None
    statuses = set(body.get("statuses") or [])
    users = set(body.get("users") or [])
    for group_id in body.get("userGroups") or []:
        group = engine.store.get(GROUPS, group_id)
        if group and group.get("workspaceId") == workspace:
            users.update(group.get("userIds") or [])
    any_user = not body.get("users") and not body.get("userGroups")
    found = []
    for record in engine.store.scan(REQUESTS, {"workspaceId": workspace}):
        created = parse_instant(record["createdAt"]) if record.get("createdAt") else None
        if (start or end) and created is None:
            continue
        if (start and created and created < start) or (end and created and created > end):
            continue
        if statuses and "ALL" not in statuses and _status_type(record) not in statuses:
            continue
        if not any_user and record.get("userId") not in users:
            continue
        found.append(record)
    found = sort_by(found, "createdAt", "DESCENDING")
    return Reply(200, {"count": len(found), "requests": engine.page(call, found).items})
