"""Clockify handlers: workspaces, their members and roles (workspaces.yaml;
HANDLERS-workspaces.md; the current user and member profiles, webhooks and entity changes have
modules of their own).

A user's membership of a workspace is stored twice, in ``workspaces[].memberships`` and in
``users[].memberships`` (``targetId`` = the workspace); every write here changes both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, new_id
from understudy.mock.surfaces.clockify import behaviour
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
    status = (call.body or {}).get("status")
    with engine.store.transaction():
        workspace, user = member(engine, call)
        workspace = _set_membership(
            engine, workspace, user, lambda m: {**m, "membershipStatus": status}
        )
    return Reply(200, workspace)


@behaviour.handler("addUserToWorkspace")
def add_user_to_workspace(engine: Engine, call: Call) -> Reply:
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
    workspace, _ = member(engine, call)  # deprecated in Clockify: it changes nothing
    return Reply(200, workspace)
