"""Clockify handlers: projects, their memberships and rates, and tasks (invoices-projects.yaml).

A project's ``memberships`` hold its PROJECT members (with their project rates) and its
USERGROUP members (the group id in ``userId``); rates are integer cents in the workspace
currency. Project and task names are unique in their workspace and project, case-insensitive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, new_id
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import (
    member_of_workspace,
    money,
    name_matches,
    owned,
    sort_by,
)

Record = dict[str, Any]
PROJECTS, TASKS, CLIENTS, GROUPS = "projects", "tasks", "clients", "user_groups"


# ---------------------------------------------------------------- checks
def _check_users(engine: Engine, workspace: str, users: Iterable[Any]) -> None:
    for user in users:
        if not member_of_workspace(engine, workspace, user):
            raise errors.BadRequest(f"User with id {user} is not a member of the workspace")


def _check_groups(engine: Engine, workspace: str, groups: Iterable[Any]) -> None:
    for group in groups:
        record = engine.store.get(GROUPS, str(group))
        if record is None or record.get("workspaceId") != workspace:
            raise errors.BadRequest(f"User group with id {group} doesn't exist")


def _client(engine: Engine, workspace: str, client_id: Any) -> Record | None:
    if not client_id:
        return None
    client = engine.store.get(CLIENTS, str(client_id))
    if client is None or client.get("workspaceId") != workspace:
        raise errors.BadRequest(f"Client doesn't belong to Workspace: {client_id}")
    return client


def _projects(engine: Engine, workspace: str) -> list[Record]:
    return list(engine.store.scan(PROJECTS, {"workspaceId": workspace}))


def _unique_name(records: Iterable[Record], name: Any, own_id: str | None, what: str) -> None:
    for other in records:
        if other["id"] != own_id and name_matches(other.get("name"), name, strict=True):
            raise errors.BadRequest(f"{what} with name '{name}' already exists")


def _load_project(engine: Engine, call: Call) -> Record:
    return owned(engine, PROJECTS, call.params["projectId"], call.params["workspaceId"], "Project")


# ---------------------------------------------------------------- memberships
def _membership(engine: Engine, project: Record, user: str, rates: Mapping[str, Any]) -> Record:
    workspace = project["workspaceId"]
    return {
        "userId": user,
        "targetId": project["id"],
        "membershipType": "PROJECT",
        "membershipStatus": rates.get("membershipStatus") or "ACTIVE",
        "hourlyRate": money(engine, workspace, rates.get("hourlyRate")),
        "costRate": money(engine, workspace, rates.get("costRate")),
    }


def _group_membership(project: Record, group: str) -> Record:
    return {
        "userId": group,
        "targetId": project["id"],
        "membershipType": "USERGROUP",
        "membershipStatus": "ACTIVE",
        "hourlyRate": None,
        "costRate": None,
    }


def _of_type(project: Record, kind: str) -> list[Record]:
    return [m for m in project.get("memberships") or [] if m.get("membershipType") == kind]


# ---------------------------------------------------------------- projects
def _project_filter(engine: Engine, workspace: str, params: Mapping[str, Any]) -> Any:
    clients = {c["id"]: c for c in engine.store.scan(CLIENTS, {"workspaceId": workspace})}

    def keep(project: Record) -> bool:
        if not name_matches(
            project.get("name"), params.get("name"), params.get("strict-name-search")
        ):
            return False
        for param, field in (
            ("archived", "archived"),
            ("billable", "billable"),
            ("is-template", "template"),
        ):
            if params.get(param) is not None and bool(project.get(field)) != params[param]:
                return False
        access = params.get("access")
        if access and bool(project.get("public")) != (access == "PUBLIC"):
            return False
        if params.get("clients"):
            inside = project.get("clientId") in set(params["clients"])
            if inside != (params.get("contains-client", True) is not False):
                return False
        status = params.get("client-status")
        if status in ("ACTIVE", "ARCHIVED"):
            client = clients.get(project.get("clientId") or "")
            if client is None or bool(client.get("archived")) != (status == "ARCHIVED"):
                return False
        members = _of_type(project, "PROJECT")
        if params.get("users"):
            wanted = set(params["users"])
            user_status = params.get("user-status")
            found = any(
                m["userId"] in wanted
                and (
                    not user_status
                    or user_status == "ALL"
                    or m.get("membershipStatus") == user_status
                )
                for m in members
            )
            if found != (params.get("contains-user", True) is not False):
                return False
        if params.get("userGroups"):
            groups = {m["userId"] for m in _of_type(project, "USERGROUP")}
            found = bool(groups & set(params["userGroups"]))
            if found != (params.get("contains-group", True) is not False):
                return False
        return True

    return keep


PROJECT_SORT = {"ID": "id", "NAME": "name", "CLIENT_NAME": "clientName", "DURATION": "duration"}


@behaviour.handler("listProjects")
def list_projects(engine: Engine, call: Call) -> Reply:
    """GET .../projects: the workspace's `projects`, filtered by `name` (contained,
    case-insensitive; equal, case-insensitive, with `strict-name-search`), `archived`,
    `billable`, `is-template` (→ `template`), `access` (PUBLIC → public true, PRIVATE →
    false), `clients` (clientId in the ids, or not in them with `contains-client` false;
    `client-status` ACTIVE/ARCHIVED keeps projects whose client has `archived` false/true,
    projects without client only for ALL/absent), `users` (a membership with that userId —
    and, with `user-status`, that membershipStatus unless ALL — or none of them with
    `contains-user` false), `userGroups` (the project's user-group memberships,
    `membershipType` USERGROUP, userId = group id; `contains-group` false negates); sort by
    `sort-column` (ID, NAME, CLIENT_NAME→clientName, DURATION→duration as seconds,
    BUDGET→budgetEstimate.estimate, PROGRESS→tracked/estimated ratio; default NAME),
    `sort-order`; page by `page`/`page-size` (1/50). `hydrated`, `expense-*` are ignored.
    Bare array.
    """
    params, workspace = call.params, call.params["workspaceId"]
    keep = _project_filter(engine, workspace, params)
    projects = [p for p in _projects(engine, workspace) if keep(p)]
    column = params.get("sort-column") or "NAME"
    if column == "BUDGET":
        for_sort = [
            {**p, "_key": (p.get("budgetEstimate") or {}).get("estimate")} for p in projects
        ]
        projects = [
            {k: v for k, v in p.items() if k != "_key"}
            for p in sort_by(for_sort, "_key", params.get("sort-order"))
        ]
    else:
        projects = sort_by(projects, PROJECT_SORT.get(column, "name"), params.get("sort-order"))
    return Reply(200, engine.page(call, projects).items)


def _rates_and_names(engine: Engine, workspace: str, body: Mapping[str, Any]) -> Record:
    """The project fields a create or update body sets, client name and rates resolved."""
    changes: Record = {
        k: body[k] for k in ("name", "billable", "color", "note", "archived") if k in body
    }
    if "isPublic" in body:
        changes["public"] = bool(body["isPublic"])
    for field in ("hourlyRate", "costRate"):
        if field in body:
            changes[field] = money(engine, workspace, body[field])
    if "clientId" in body:
        client = _client(engine, workspace, body["clientId"])
        changes["clientId"] = client["id"] if client else None
        changes["clientName"] = client.get("name") if client else None
    return changes


def _new_task(engine: Engine, project: Record, body: Mapping[str, Any]) -> Record:
    workspace = project["workspaceId"]
    tasks = engine.store.scan(TASKS, {"projectId": project["id"]})
    _unique_name(tasks, body.get("name"), None, "Task")
    assignees = list(
        body.get("assigneeIds") or ([body["assigneeId"]] if body.get("assigneeId") else [])
    )
    groups = list(body.get("userGroupIds") or [])
    _check_users(engine, workspace, assignees)
    _check_groups(engine, workspace, groups)
    collection = engine.surface.collections[TASKS]
    task = {
        "id": new_id(collection, engine.clock.now()),
        "workspaceId": workspace,
        "projectId": project["id"],
        "name": body["name"],
        "status": body.get("status") if body.get("status") in ("ACTIVE", "DONE") else "ACTIVE",
        "billable": bool(project.get("billable", True)),
        "estimate": body.get("estimate") or "PT0S",
        "budgetEstimate": body.get("budgetEstimate"),
        "assigneeIds": assignees,
        "assigneeId": assignees[0] if assignees else None,
        "userGroupIds": groups,
        "hourlyRate": None,
        "costRate": None,
        "duration": "PT0S",
    }
    engine.store.put(TASKS, task["id"], task)
    return task


@behaviour.handler("createProject")
def create_project(engine: Engine, call: Call) -> Reply:
    """POST .../projects: 400 if another project of the workspace has the same name
    (case-insensitive) or `clientId` is no client of the workspace; record from the
    collection defaults + body: `public` = isPublic (false), `clientName` from the client,
    `hourlyRate`/`costRate` = `{amount, currency: workspace currency}` or null, `estimate` =
    body estimate or `{estimate: PT0S, type: AUTO}`,
    `budgetEstimate`/`timeEstimate`/`estimateReset` null, `memberships` = the caller
    `{userId, targetId: project id, membershipType: PROJECT, membershipStatus: ACTIVE,
    hourlyRate: null, costRate: null}` plus each body membership (400 when its user is no
    member; rates converted as above; status default ACTIVE); each of `tasks` becomes a
    `tasks` record as `createTask` makes it; answer 201.
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    collection = engine.surface.collections[PROJECTS]
    with engine.store.transaction():
        _unique_name(_projects(engine, workspace), body.get("name"), None, "Project")
        _check_users(engine, workspace, [m.get("userId") for m in body.get("memberships") or []])
        project: Record = {
            "id": new_id(collection, engine.clock.now()),
            "workspaceId": workspace,
            **{k: v for k, v in collection.defaults.items()},
            "clientId": None,
            "clientName": None,
            "hourlyRate": None,
            "costRate": None,
            "budgetEstimate": None,
            "timeEstimate": None,
            "estimateReset": None,
            **_rates_and_names(engine, workspace, body),
        }
        if body.get("estimate"):
            project["estimate"] = {"estimate": "PT0S", "type": "AUTO", **body["estimate"]}
        members = [_membership(engine, project, call.caller.actor or "", {})]
        for request in body.get("memberships") or []:
            if request["userId"] != call.caller.actor:
                members.append(_membership(engine, project, request["userId"], request))
            else:
                members[0] = _membership(engine, project, request["userId"], request)
        project["memberships"] = members
        engine.store.put(PROJECTS, project["id"], project)
        for task in body.get("tasks") or []:
            _new_task(engine, project, task)
    return Reply(201, project)


@behaviour.handler("updateProject")
def update_project(engine: Engine, call: Call) -> Reply:
    """PUT .../projects/{projectId}: merge the body: `isPublic` → `public`,
    `hourlyRate`/`costRate` → `{amount, currency}`, other fields as named; `clientId` must
    be a client of the workspace (400; then refresh `clientName`; null/"" clears both);
    `name` must stay unique in the workspace (400); answer the project.
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    with engine.store.transaction():
        project = _load_project(engine, call)
        if "name" in body:
            _unique_name(_projects(engine, workspace), body["name"], project["id"], "Project")
        project = {**project, **_rates_and_names(engine, workspace, body)}
        engine.store.put(PROJECTS, project["id"], project)
    return Reply(200, project)


@behaviour.handler("deleteProject")
def delete_project(engine: Engine, call: Call) -> Reply:
    """DELETE .../projects/{projectId}: 400 "Cannot delete an active project" unless
    `archived` is true; delete the project and its `tasks`; answer the deleted project
    (200).
    """
    with engine.store.transaction():
        project = _load_project(engine, call)
        if not project.get("archived"):
            raise errors.BadRequest("Cannot delete an active project")
        for task in list(engine.store.scan(TASKS, {"projectId": project["id"]})):
            engine.store.delete(TASKS, task["id"])
        engine.store.delete(PROJECTS, project["id"])
    return Reply(200, project)


@behaviour.handler("setProjectMemberships")
def set_project_memberships(engine: Engine, call: Call) -> Reply:
    """PATCH .../projects/{projectId}/memberships: 400 if any `userId` is no member; the
    project's PROJECT memberships become exactly the body's users (ACTIVE, rates converted
    as in `createProject`, missing rates null); when `userGroups` is given, its `ids` (must
    be `user_groups` of the workspace, else 400) replace the USERGROUP memberships `{userId:
    groupId, targetId: project id, membershipType: USERGROUP, membershipStatus: ACTIVE}`;
    answer the project.
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    with engine.store.transaction():
        project = _load_project(engine, call)
        requests = body.get("memberships") or []
        _check_users(engine, workspace, [m.get("userId") for m in requests])
        members = [_membership(engine, project, m["userId"], m) for m in requests]
        groups = _of_type(project, "USERGROUP")
        if body.get("userGroups") is not None:
            ids = list(body["userGroups"].get("ids") or [])
            _check_groups(engine, workspace, ids)
            groups = [_group_membership(project, g) for g in ids]
        others = [
            m
            for m in project.get("memberships") or []
            if m.get("membershipType") not in ("PROJECT", "USERGROUP")
        ]
        project = {**project, "memberships": others + members + groups}
        engine.store.put(PROJECTS, project["id"], project)
    return Reply(200, project)


@behaviour.handler("assignProjectUsers")
def assign_project_users(engine: Engine, call: Call) -> Reply:
    """POST .../projects/{projectId}/memberships: 400 if a user of `userIds` is no member (or
    a group of `userGroups.ids` no group of the workspace); `remove` false: add an ACTIVE
    PROJECT membership without rates for each user not yet a member (and a USERGROUP one per
    group); `remove` true: drop those memberships; 200, no body.
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    with engine.store.transaction():
        project = _load_project(engine, call)
        users = list(body.get("userIds") or [])
        groups = list((body.get("userGroups") or {}).get("ids") or [])
        _check_users(engine, workspace, users)
        _check_groups(engine, workspace, groups)
        memberships = list(project.get("memberships") or [])
        named = set(users) | set(groups)
        if body.get("remove"):
            memberships = [m for m in memberships if m.get("userId") not in named]
        else:
            present = {(m.get("userId"), m.get("membershipType")) for m in memberships}
            memberships += [
                _membership(engine, project, u, {}) for u in users if (u, "PROJECT") not in present
            ]
            memberships += [
                _group_membership(project, g) for g in groups if (g, "USERGROUP") not in present
            ]
        engine.store.put(PROJECTS, project["id"], {**project, "memberships": memberships})
    return Reply(200)


@behaviour.handler("setProjectTemplate")
def set_project_template(engine: Engine, call: Call) -> Reply:
    """PATCH .../projects/{projectId}/template: `template` = `isTemplate` (false when
    absent); answer the project.
    """
    with engine.store.transaction():
        project = _load_project(engine, call)
        project = {**project, "template": bool((call.body or {}).get("isTemplate", False))}
        engine.store.put(PROJECTS, project["id"], project)
    return Reply(200, project)


@behaviour.handler("setProjectUserRate")
def set_project_user_rate(engine: Engine, call: Call) -> Reply:
    """PUT .../projects/{projectId}/users/{userId}/cost-rate and /hourly-rate; binding option
    `into` names the field, costRate or hourlyRate: 404 unless `userId` is a member of the
    workspace; find the user's PROJECT membership of the project (add an ACTIVE one with
    null rates when missing) and set its `<into>` = `{amount, currency: workspace
    currency}`; answer the project.
    """
    workspace, field = call.params["workspaceId"], call.binding.options["into"]
    user = call.params["userId"]
    if not member_of_workspace(engine, workspace, user):
        raise errors.NotFound(f"User with id {user} doesn't exist")
    with engine.store.transaction():
        project = _load_project(engine, call)
        memberships = list(project.get("memberships") or [])
        index = next(
            (
                i
                for i, m in enumerate(memberships)
                if m.get("userId") == user and m.get("membershipType") == "PROJECT"
            ),
            None,
        )
        if index is None:
            memberships.append(_membership(engine, project, user, {}))
            index = len(memberships) - 1
        rate = money(engine, workspace, call.body or {})
        memberships[index] = {**memberships[index], field: rate}
        project = {**project, "memberships": memberships}
        engine.store.put(PROJECTS, project["id"], project)
    return Reply(200, project)


# ---------------------------------------------------------------- tasks
def _load_task(engine: Engine, call: Call, id_param: str) -> Record:
    project = _load_project(engine, call)
    task = engine.store.get(TASKS, str(call.params[id_param]))
    if task is None or task.get("projectId") != project["id"]:
        raise errors.NotFound(f"Task with id {call.params[id_param]} doesn't exist")
    return task


@behaviour.handler("listTasks")
def list_tasks(engine: Engine, call: Call) -> Reply:
    """GET .../projects/{projectId}/tasks: 404 unless the project is one of the workspace;
    its `tasks` filtered by `name` (contained, case-insensitive; equal with
    `strict-name-search`) and `is-active` (true → status ACTIVE, false → DONE); sort by
    `sort-column` (ID or NAME, default ID) and `sort-order`; page by `page`/`page-size`
    (1/50). Bare array.
    """
    params = call.params
    project = _load_project(engine, call)
    tasks = [
        t
        for t in engine.store.scan(TASKS, {"projectId": project["id"]})
        if name_matches(t.get("name"), params.get("name"), params.get("strict-name-search"))
    ]
    if params.get("is-active") is not None:
        wanted = "ACTIVE" if params["is-active"] else "DONE"
        tasks = [t for t in tasks if t.get("status") == wanted]
    column = "name" if params.get("sort-column") == "NAME" else "id"
    return Reply(200, engine.page(call, sort_by(tasks, column, params.get("sort-order"))).items)


@behaviour.handler("createTask")
def create_task(engine: Engine, call: Call) -> Reply:
    """POST .../projects/{projectId}/tasks: 404 unless the project is one of the workspace;
    400 when the project has a task of that name (case-insensitive) or an assignee is no
    member / a group no `user_groups` record of the workspace; new record `{projectId,
    workspaceId, name, status: body or ACTIVE, billable: project.billable, estimate: body or
    PT0S, budgetEstimate: body or null, assigneeIds: body (or [assigneeId] when only the
    deprecated field is sent; [] with `contains-assignee` false), assigneeId: first of
    assigneeIds or null, userGroupIds: body or [], hourlyRate: null, costRate: null,
    duration: PT0S}` (the body's `id` is ignored); answer 201. Also used by `createProject`
    for its `tasks`.
    """
    body = dict(call.body or {})
    if call.params.get("contains-assignee") is False:
        body["assigneeIds"], body["assigneeId"] = [], None
    with engine.store.transaction():
        task = _new_task(engine, _load_project(engine, call), body)
    return Reply(201, task)


@behaviour.handler("updateTask")
def update_task(engine: Engine, call: Call) -> Reply:
    """PUT .../tasks/{taskId}: merge the body's fields (`name`, `assigneeIds`, `billable`,
    `budgetEstimate`, `estimate`, `status`, `userGroupIds`); 400 when another task of the
    project has the name or an assignee/group is unknown; `assigneeId` = first of
    `assigneeIds` (or the deprecated `assigneeId` when only it is sent); `contains-assignee`
    false empties the assignees; `membership-status` ignored; answer the task.
    """
    workspace, body = call.params["workspaceId"], dict(call.body or {})
    with engine.store.transaction():
        task = _load_task(engine, call, "taskId")
        if "name" in body:
            siblings = engine.store.scan(TASKS, {"projectId": task["projectId"]})
            _unique_name(siblings, body["name"], task["id"], "Task")
        if "assigneeIds" not in body and body.get("assigneeId"):
            body["assigneeIds"] = [body["assigneeId"]]
        if call.params.get("contains-assignee") is False:
            body["assigneeIds"] = []
        _check_users(engine, workspace, body.get("assigneeIds") or [])
        _check_groups(engine, workspace, body.get("userGroupIds") or [])
        fields = (
            "name",
            "assigneeIds",
            "billable",
            "budgetEstimate",
            "estimate",
            "status",
            "userGroupIds",
        )
        task = {**task, **{k: body[k] for k in fields if k in body}}
        if "assigneeIds" in body:
            task["assigneeId"] = (task["assigneeIds"] or [None])[0]
        engine.store.put(TASKS, task["id"], task)
    return Reply(200, task)


@behaviour.handler("setTaskRate")
def set_task_rate(engine: Engine, call: Call) -> Reply:
    """PUT .../tasks/{id}/cost-rate and /hourly-rate; binding option `into` = costRate or
    hourlyRate: 404 unless the task is one of the project; set `<into>` = `{amount,
    currency: workspace currency}`; answer the task.
    """
    workspace, field = call.params["workspaceId"], call.binding.options["into"]
    with engine.store.transaction():
        task = _load_task(engine, call, "id")
        task = {**task, field: money(engine, workspace, call.body or {})}
        engine.store.put(TASKS, task["id"], task)
    return Reply(200, task)
