"""Clockify handlers: workspaces, their members and roles (workspaces.yaml; the current user
and member profiles, webhooks and entity changes have modules of their own).

A user's membership of a workspace is stored twice, in ``workspaces[].memberships`` and in
``users[].memberships`` (``targetId`` = the workspace); every write here changes both.

"Member" means a WORKSPACE membership of the path workspace (any status); unless stated
otherwise a path ``userId`` that is no member answers 404. ``user_roles`` records are
``{id, userId, workspaceId, role: {id: entityId, name, source: {id, type}}}``; answers leave
out their ``id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, new_id
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.roles import roles
from understudy.mock.surfaces.clockify.shared import money, name_matches

Record = dict[str, Any]
USERS, WORKSPACES, ROLES = "users", "workspaces", "user_roles"
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
DEFAULT_ACCOUNT_STATUSES = {"ACTIVE", "PENDING_EMAIL_VERIFICATION", "NOT_REGISTERED"}


# ---------------------------------------------------------------- memberships on both sides
def _workspace(engine: Engine, call: Call) -> Record:
    workspace = engine.store.get(WORKSPACES, call.params["workspaceId"])
    if workspace is None:
        raise errors.NotFound(f"Workspace with id {call.params['workspaceId']} doesn't exist")
    return dict(workspace)


def _membership(workspace: Mapping[str, Any], user: str) -> Record | None:
    return next(
        (m for m in workspace.get("memberships") or [] if m.get("userId") == user),
        None,
    )


def member(engine: Engine, call: Call) -> tuple[Record, Record]:
    """The path workspace and the path user, 404 unless the user is a member."""
    workspace, user_id = _workspace(engine, call), call.params["userId"]
    user = engine.store.get(USERS, user_id)
    if user is None or _membership(workspace, user_id) is None:
        raise errors.NotFound(f"User with id {user_id} is not a member of the workspace")
    return workspace, dict(user)


def _set_membership(
    engine: Engine, workspace: Record, user: Record, change: Callable[[Record], Record]
) -> Record:
    """Apply ``change`` to the user's WORKSPACE membership on the workspace and on the user
    (adding it when missing); answers the workspace as stored."""
    blank = {
        "userId": user["id"],
        "targetId": workspace["id"],
        "membershipType": "WORKSPACE",
        "membershipStatus": "PENDING",
        "hourlyRate": None,
        "costRate": None,
    }

    def apply(memberships: Iterable[Record], mine: Callable[[Record], bool]) -> list[Record]:
        out, found = [], False
        for m in memberships:
            if mine(m) and m.get("membershipType", "WORKSPACE") == "WORKSPACE":
                m, found = change(dict(m)), True
            out.append(m)
        return out if found else [*out, change(dict(blank))]

    workspace = {
        **workspace,
        "memberships": apply(
            workspace.get("memberships") or [], lambda m: m.get("userId") == user["id"]
        ),
    }
    user = {
        **user,
        "memberships": apply(
            user.get("memberships") or [], lambda m: m.get("targetId") == workspace["id"]
        ),
    }
    engine.store.put(WORKSPACES, workspace["id"], workspace)
    engine.store.put(USERS, user["id"], user)
    return workspace


# ---------------------------------------------------------------- users of a workspace
def _roles_of(engine: Engine, workspace: str, user: str | None = None) -> list[Record]:
    where = {"workspaceId": workspace, **({"userId": user} if user else {})}
    return list(engine.store.scan(ROLES, where))


def _project_members(engine: Engine, workspace: Record, project_id: str) -> set[str] | None:
    """Who may use the project (None: everyone, a public project; nobody an unknown one)."""
    project = engine.store.get("projects", project_id)
    if project is None or project.get("workspaceId") != workspace["id"]:
        return set()
    if project.get("public"):
        return None
    direct = {m["userId"] for m in project.get("memberships") or []}
    groups = engine.store.scan("user_groups", {"workspaceId": workspace["id"]})
    return direct | {u for g in groups if g["id"] in direct for u in g.get("userIds") or []}


def _hydrated(engine: Engine, workspace: Record, user: Record, kind: str) -> Record:
    """The user with the memberships ``kind`` asks for: NONE, WORKSPACE, PROJECT, USERGROUP, ALL."""
    memberships: list[Record] = []
    if kind in ("WORKSPACE", "ALL"):
        mine = _membership(workspace, user["id"])
        memberships += [mine] if mine else []
    if kind in ("PROJECT", "ALL"):
        for project in engine.store.scan("projects", {"workspaceId": workspace["id"]}):
            memberships += [
                {k: v for k, v in m.items() if k != "membershipStatus" or v != "ALL"}
                for m in project.get("memberships") or []
                if m.get("userId") == user["id"] and m.get("membershipType") == "PROJECT"
            ]
    if kind in ("USERGROUP", "ALL"):
        for group in engine.store.scan("user_groups", {"workspaceId": workspace["id"]}):
            if user["id"] in (group.get("userIds") or []):
                memberships.append(
                    {
                        "userId": user["id"],
                        "targetId": group["id"],
                        "membershipType": "USERGROUP",
                        "membershipStatus": "ACTIVE",
                        "hourlyRate": None,
                        "costRate": None,
                    }
                )
    return {**user, "memberships": memberships}


def _sorted_users(workspace: Record, users: list[Record], column: Any, order: Any) -> list[Record]:
    def key(user: Record) -> Any:
        membership = _membership(workspace, user["id"]) or {}
        if column in ("HOURLYRATE", "COSTRATE"):
            rate = membership.get("hourlyRate" if column == "HOURLYRATE" else "costRate")
            return (rate or {}).get("amount") or 0
        if column == "ACCESS":
            return membership.get("membershipStatus") or ""
        if column == "NAME_LOWERCASE":
            return str(user.get("name") or "").casefold()
        field = {"ID": "id", "NAME": "name"}.get(str(column), "email")
        return str(user.get(field) or "")

    descending = str(order or "ASCENDING").upper().startswith("DESC")
    return sorted(users, key=lambda u: (key(u), u["id"]), reverse=descending)


@behaviour.handler("listWorkspaceUsers")
def list_workspace_users(engine: Engine, call: Call) -> Reply:
    """GET .../users from the query, POST .../users/info from the body: users with a
    membership of the workspace; filters `email`/`name` contains (case-insensitive);
    `status` = the membership's status (ALL: any); `account-statuses`/`accountStatuses`
    (comma-separated in the query) on the user's `status`, default ACTIVE,
    PENDING_EMAIL_VERIFICATION, NOT_REGISTERED; `project-id`/`projectId`: members with
    access (public project: every member; else in the project's `memberships` or in a user
    group of it); body only: `roles` (users with a `user_roles` record of any of the roles
    on the workspace, OWNER also matching WORKSPACE_ADMIN) and `userGroups` (members of any
    of those `user_groups`). Sort by `sort-column` (ID→id, EMAIL→email, NAME→name,
    NAME_LOWERCASE→casefolded name, ACCESS→membership status, HOURLYRATE/COSTRATE→the
    membership's rate amount; default EMAIL) and `sort-order` (default ASCENDING); page by
    `page`/`page-size` (default 1/50). `memberships` (default NONE → []): WORKSPACE = the
    user's membership of this workspace, PROJECT = `{userId, targetId: projectId,
    membershipType: PROJECT, ...}` from the workspace's projects' `memberships`, USERGROUP =
    one per `user_groups` record holding the user, ALL = all three. `include-roles` adds
    nothing (the User has no roles field). Bare array.
    """
    workspace = _workspace(engine, call)
    query = call.body if call.binding.method == "POST" else None
    q: Mapping[str, Any] = query or {}
    params = call.params

    def option(body_name: str, query_name: str) -> Any:
        return q.get(body_name) if query is not None else params.get(query_name)

    statuses = option("accountStatuses", "account-statuses")
    if isinstance(statuses, str):
        statuses = [s.strip() for s in statuses.split(",") if s.strip()]
    statuses = set(statuses or DEFAULT_ACCOUNT_STATUSES)
    status = option("status", "status")
    project = option("projectId", "project-id")
    allowed = _project_members(engine, workspace, project) if project else None
    roles = set(q.get("roles") or [])
    if "WORKSPACE_ADMIN" in roles:
        roles.add("OWNER")
    with_roles = {
        r.get("userId")
        for r in _roles_of(engine, workspace["id"])
        if (r.get("role") or {}).get("name") in roles
    }
    groups = set(q.get("userGroups") or [])
    in_groups = {
        u
        for g in engine.store.scan("user_groups", {"workspaceId": workspace["id"]})
        if g["id"] in groups
        for u in g.get("userIds") or []
    }
    users = []
    for membership in workspace.get("memberships") or []:
        user = engine.store.get(USERS, membership.get("userId") or "")
        if user is None or user.get("status") not in statuses:
            continue
        if status and status != "ALL" and membership.get("membershipStatus") != status:
            continue
        if not name_matches(user.get("email"), option("email", "email")):
            continue
        if not name_matches(user.get("name"), option("name", "name")):
            continue
        if (allowed is not None and user["id"] not in allowed) or (
            roles and user["id"] not in with_roles
        ):
            continue
        if groups and user["id"] not in in_groups:
            continue
        users.append(dict(user))
    column = option("sortColumn", "sort-column") or "EMAIL"
    users = _sorted_users(workspace, users, column, option("sortOrder", "sort-order"))
    kind = option("memberships", "memberships") or "NONE"
    return Reply(
        200, [_hydrated(engine, workspace, u, kind) for u in engine.page(call, users).items]
    )


@behaviour.handler("listUserManagers")
def list_user_managers(engine: Engine, call: Call) -> Reply:
    """GET .../users/{userId}/managers: the members with a `user_roles` TEAM_MANAGER record
    whose `role.id` is a `user_groups` record of the workspace holding the user (plus users
    in such a group's `teamManagers`, when the record has that field); sort/page as
    `listWorkspaceUsers` (default sort NAME); bare array of users.
    """
    workspace, user = member(engine, call)
    groups = {
        g["id"]: g
        for g in engine.store.scan("user_groups", {"workspaceId": workspace["id"]})
        if user["id"] in (g.get("userIds") or [])
    }
    managers = {
        r.get("userId")
        for r in _roles_of(engine, workspace["id"])
        if (r.get("role") or {}).get("name") == "TEAM_MANAGER"
        and (r.get("role") or {}).get("id") in groups
    }
    managers |= {m.get("id") for g in groups.values() for m in g.get("teamManagers") or []}
    users = [
        dict(u)
        for m in sorted(x for x in managers if x)
        if (u := engine.store.get(USERS, m)) is not None and _membership(workspace, m)
    ]
    users = _sorted_users(
        workspace, users, call.params.get("sort-column") or "NAME", call.params.get("sort-order")
    )
    return Reply(200, [{**u, "memberships": []} for u in engine.page(call, users).items])


# ---------------------------------------------------------------- roles
def _public_role(record: Mapping[str, Any]) -> Record:
    return {k: v for k, v in record.items() if k != "id"}


@behaviour.handler("giveManagerRole")
def give_manager_role(engine: Engine, call: Call) -> Reply:
    """POST .../users/{userId}/roles: 400 unless `entityId` names, in the workspace, a
    `user_groups` record (TEAM_MANAGER), a `projects` record (PROJECT_MANAGER) or the
    workspace or a user group (WORKSPACE_ADMIN); add `{userId, workspaceId, role: {id:
    entityId, name: role, source: {id: entityId, type: sourceType}}}` unless the same
    (userId, role name, role id) exists; answer 201 with all the user's roles on the
    workspace.
    """
    body = call.body or {}
    role, entity = body.get("role"), body.get("entityId")
    with engine.store.transaction():
        workspace, user = member(engine, call)
        group = engine.store.get("user_groups", str(entity))
        project = engine.store.get("projects", str(entity))
        valid = {
            "TEAM_MANAGER": group is not None and group.get("workspaceId") == workspace["id"],
            "PROJECT_MANAGER": project is not None
            and project.get("workspaceId") == workspace["id"],
            "WORKSPACE_ADMIN": entity == workspace["id"]
            or (group is not None and group.get("workspaceId") == workspace["id"]),
        }
        if not valid.get(str(role)):
            raise errors.BadRequest(f"{role} cannot be given on {entity}")
        mine = _roles_of(engine, workspace["id"], user["id"])
        if not any(
            (r.get("role") or {}).get("name") == role and (r.get("role") or {}).get("id") == entity
            for r in mine
        ):
            record = {
                "id": new_id(engine.surface.collections[ROLES], engine.clock.now()),
                "userId": user["id"],
                "workspaceId": workspace["id"],
                "role": {
                    "id": entity,
                    "name": role,
                    "source": {"id": entity, "type": body.get("sourceType")},
                },
            }
            engine.store.put(ROLES, record["id"], record)
        mine = _roles_of(engine, workspace["id"], user["id"])
    return Reply(201, [_public_role(r) for r in mine])


@behaviour.handler("removeManagerRole")
def remove_manager_role(engine: Engine, call: Call) -> Reply:
    """DELETE .../users/{userId}/roles: delete the user's `user_roles` records with
    `role.name` = `role` and `role.id` = `entityId` (none: nothing changes); answer 204.
    """
    body = call.body or {}
    with engine.store.transaction():
        workspace, user = member(engine, call)
        for record in _roles_of(engine, workspace["id"], user["id"]):
            role = record.get("role") or {}
            if role.get("name") == body.get("role") and role.get("id") == body.get("entityId"):
                engine.store.delete(ROLES, record["id"])
    return Reply(204)


# ---------------------------------------------------------------- workspaces
@behaviour.handler("listMyWorkspaces")
def list_my_workspaces(engine: Engine, call: Call) -> Reply:
    """GET /v1/workspaces: workspaces where the caller's membership is ACTIVE; with `roles`,
    only those where the caller has a `user_roles` record of any of them (OWNER matches only
    OWNER: owners are not counted as admins); sorted by name; bare array.
    """
    caller = call.caller.actor or ""
    user = engine.store.get(USERS, caller) or {}
    ids = {
        m.get("targetId")
        for m in user.get("memberships") or []
        if m.get("membershipType", "WORKSPACE") == "WORKSPACE"
        and m.get("membershipStatus") == "ACTIVE"
    }
    workspaces = [w for i in ids if i and (w := engine.store.get(WORKSPACES, i)) is not None]
    roles = set(call.params.get("roles") or [])
    if roles:
        held = {
            r.get("workspaceId")
            for r in engine.store.scan(ROLES, {"userId": caller})
            if (r.get("role") or {}).get("name") in roles
        }
        workspaces = [w for w in workspaces if w["id"] in held]
    return Reply(200, sorted(workspaces, key=lambda w: (str(w.get("name") or ""), w["id"])))


def _default_settings() -> Record:
    admins = "ADMINS"
    return {
        "activeBillableHours": True,
        "adminOnlyPages": [],
        "automaticLock": None,
        "canSeeTimeSheet": False,
        "canSeeTracker": True,
        "currencyFormat": "CURRENCY_SPACE_VALUE",
        "defaultBillableProjects": True,
        "durationFormat": "FULL",
        "entityCreationPermissions": {
            "whoCanCreateProjectsAndClients": admins,
            "whoCanCreateTags": admins,
            "whoCanCreateTasks": admins,
        },
        "forceDescription": False,
        "forceProjects": False,
        "forceTags": False,
        "forceTasks": False,
        "isProjectPublicByDefault": True,
        "lockTimeEntries": None,
        "lockTimeZone": None,
        "multiFactorEnabled": False,
        "numberFormat": "COMMA_PERIOD",
        "onlyAdminsCanChangeBillableStatus": False,
        "onlyAdminsCreateProject": True,
        "onlyAdminsCreateTag": False,
        "onlyAdminsCreateTask": False,
        "onlyAdminsSeeAllTimeEntries": False,
        "onlyAdminsSeeBillableRates": True,
        "onlyAdminsSeeDashboard": False,
        "onlyAdminsSeePublicProjectsEntries": False,
        "projectFavorites": True,
        "projectGroupingLabel": "Client",
        "projectLabel": None,
        "projectPickerSpecialFilter": False,
        "round": {"minutes": "0", "round": "Round to nearest"},
        "taskLabel": None,
        "timeRoundingInReports": False,
        "timeTrackingMode": "DEFAULT",
        "trackTimeDownToSecond": True,
        "workingDays": WEEKDAYS[:5],
    }


@behaviour.handler("createWorkspace")
def create_workspace(engine: Engine, call: Call) -> Reply:
    """POST /v1/workspaces: new workspace: `name` (default "<caller name>'s workspace"),
    `cakeOrganizationId` = `organizationId` or null, `hourlyRate`/`costRate` {0, USD},
    `currencies` [{code USD, new id, isDefault true}], `featureSubscriptionType` null,
    `features` [], `imageUrl` "", `subdomain` {enabled false, name null}, `memberships`
    [caller ACTIVE, rates null] (also added to the caller's user record),
    `workspaceSettings` defaults (adminOnlyPages [],
    automaticLock/lockTimeEntries/lockTimeZone null, round {minutes "0", round "Round to
    nearest"}, workingDays MONDAY-FRIDAY, timeTrackingMode DEFAULT, numberFormat
    COMMA_PERIOD, currencyFormat CURRENCY_SPACE_VALUE, durationFormat FULL,
    entityCreationPermissions all ADMINS, booleans false except defaultBillableProjects,
    isProjectPublicByDefault, projectFavorites, canSeeTracker, trackTimeDownToSecond,
    activeBillableHours, onlyAdminsCreateProject, onlyAdminsSeeBillableRates = true); a
    `user_roles` OWNER record {role.id = workspace id}; answer 201.
    """
    body = call.body or {}
    caller = engine.store.get(USERS, call.caller.actor or "")
    if caller is None:
        raise errors.Unauthorized("Full authentication is required to access this resource")
    now = engine.clock.now()
    collection = engine.surface.collections[WORKSPACES]
    workspace: Record = {
        "id": new_id(collection, now),
        "name": body.get("name") or f"{caller.get('name') or 'My'}'s workspace",
        "cakeOrganizationId": body.get("organizationId"),
        "hourlyRate": {"amount": 0, "currency": "USD"},
        "costRate": {"amount": 0, "currency": "USD"},
        "currencies": [{"code": "USD", "id": new_id(collection, now), "isDefault": True}],
        "featureSubscriptionType": None,
        "features": [],
        "imageUrl": "",
        "subdomain": {"enabled": False, "name": None},
        "memberships": [],
        "workspaceSettings": _default_settings(),
    }
    with engine.store.transaction():
        workspace = _set_membership(
            engine, workspace, dict(caller), lambda m: {**m, "membershipStatus": "ACTIVE"}
        )
        role = {
            "id": new_id(engine.surface.collections[ROLES], now),
            "userId": caller["id"],
            "workspaceId": workspace["id"],
            "role": {"id": workspace["id"], "name": "OWNER", "source": None},
        }
        engine.store.put(ROLES, role["id"], role)
    return Reply(201, workspace)


def _rate_setter(field: str) -> Callable[[Engine, Call], Reply]:
    def set_rate(engine: Engine, call: Call) -> Reply:
        """PUT .../cost-rate | hourly-rate: the workspace's rate = {amount, currency: the
        workspace's currency}; ``since`` is accepted but no rate history is kept; answer the
        workspace."""
        with engine.store.transaction():
            workspace = _workspace(engine, call)
            workspace[field] = money(engine, workspace["id"], call.body or {})
            engine.store.put(WORKSPACES, workspace["id"], workspace)
        return Reply(200, workspace)

    return set_rate


behaviour.handler("setWorkspaceCostRate")(_rate_setter("costRate"))
behaviour.handler("setWorkspaceHourlyRate")(_rate_setter("hourlyRate"))


def _member_rate_setter(field: str) -> Callable[[Engine, Call], Reply]:
    def set_rate(engine: Engine, call: Call) -> Reply:
        """PUT .../users/{userId}/cost-rate | hourly-rate: the membership's rate = {amount,
        currency: the workspace's currency} on both sides; answer the workspace."""
        with engine.store.transaction():
            workspace, user = member(engine, call)
            rate = money(engine, workspace["id"], call.body or {})
            workspace = _set_membership(engine, workspace, user, lambda m: {**m, field: rate})
        return Reply(200, workspace)

    return set_rate


behaviour.handler("setMemberCostRate")(_member_rate_setter("costRate"))
behaviour.handler("setMemberHourlyRate")(_member_rate_setter("hourlyRate"))


@behaviour.handler("setMembershipStatus")
def set_membership_status(engine: Engine, call: Call) -> Reply:
    """PUT .../users/{userId}: set the member's `membershipStatus` to ACTIVE/INACTIVE on both
    sides; answer the workspace.
    """
    status = (call.body or {}).get("status")
    with engine.store.transaction():
        workspace, user = member(engine, call)
        owner = any(r.get("name") == "OWNER" for r in roles(engine, workspace["id"], user["id"]))
        if owner and status != "ACTIVE":  # the owner would lock everyone out of the workspace
            raise errors.BadRequest("The workspace owner cannot be deactivated")
        workspace = _set_membership(
            engine, workspace, user, lambda m: {**m, "membershipStatus": status}
        )
    return Reply(200, workspace)


@behaviour.handler("addUserToWorkspace")
def add_user_to_workspace(engine: Engine, call: Call) -> Reply:
    """POST .../users: find the user by `email` (case-insensitive) or create one (`name` =
    the email's local part, `status` NOT_REGISTERED, default `settings`, no custom fields);
    400 if already a member that is not INACTIVE/DECLINED (an INACTIVE/DECLINED one goes
    back to PENDING); add a PENDING membership (rates null) on both sides; `send-email`
    changes nothing in the mock; answer 200 with the workspace. Seats and paid plans are not
    modelled.
    """
    email = str((call.body or {}).get("email") or "").strip()
    if "@" not in email:
        raise errors.BadRequest(f"'{email}' is not an email address")
    with engine.store.transaction():
        workspace = _workspace(engine, call)
        user = next(
            (
                u
                for u in engine.store.scan(USERS, {})
                if str(u.get("email") or "").casefold() == email.casefold()
            ),
            None,
        )
        if user is None:
            user = {
                "id": new_id(engine.surface.collections[USERS], engine.clock.now()),
                "email": email,
                "name": email.split("@")[0],
                "status": "NOT_REGISTERED",
                "memberships": [],
                "customFields": [],
                "profilePicture": None,
                "activeWorkspace": workspace["id"],
                "defaultWorkspace": workspace["id"],
                "settings": {"weekStart": "MONDAY", "timeZone": "UTC", "lang": "en"},
            }
        existing = _membership(workspace, user["id"])
        if existing and existing.get("membershipStatus") not in ("INACTIVE", "DECLINED"):
            raise errors.BadRequest(f"User {email} is already a member of the workspace")
        workspace = _set_membership(
            engine, workspace, dict(user), lambda m: {**m, "membershipStatus": "PENDING"}
        )
    return Reply(200, workspace)


@behaviour.handler("removeUserFromWorkspace")
def remove_user_from_workspace(engine: Engine, call: Call) -> Reply:
    """DELETE .../users/{userId}, deprecated: 404 unless member; change nothing; answer 200
    with the workspace.
    """
    workspace, _ = member(engine, call)  # deprecated in Clockify: it changes nothing
    return Reply(200, workspace)
