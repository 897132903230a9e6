"""Clockify handlers of time-off-groups.yaml: user groups' members (a deleted group leaves the
policies that named it) and the (deprecated) week templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, new_id
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import member_of_workspace
from understudy.mock.surfaces.clockify.timeoff import GROUPS, POLICIES, body_of, owned_or_400

Record = dict[str, Any]
TEMPLATES = "templates"


# ---------------------------------------------------------------- user groups
@behaviour.handler("addUserToGroup")
def add_user_to_group(engine: Engine, call: Call) -> Reply:
    """POST .../user-groups/{userGroupId}/users: 404 unless the group exists; 400 unless body
    `userId` is a member of the workspace; append to `userIds` when absent; answer the group
    (200).
    """
    user_id = body_of(call).get("userId")
    with engine.store.transaction():
        group = engine.load(call)
        if not member_of_workspace(engine, call.params["workspaceId"], user_id):
            raise errors.BadRequest(f"User {user_id} is not a member of the workspace")
        users = list(group.get("userIds") or [])
        if user_id not in users:
            group = {**group, "userIds": [*users, user_id]}
            engine.store.put(GROUPS, group["id"], group)
    return Reply(200, group)


@behaviour.handler("removeUserFromGroup")
def remove_user_from_group(engine: Engine, call: Call) -> Reply:
    """DELETE .../user-groups/{userGroupId}/users/{userId}: 404 unless the group exists and
    the path user is a member of the workspace; drop `userId` from `userIds` (absent: no
    change); answer the group (200).
    """
    user_id = call.params.get("userId")
    with engine.store.transaction():
        group = engine.load(call)
        if not member_of_workspace(engine, call.params["workspaceId"], user_id):
            raise errors.NotFound(f"User with id {user_id} doesn't exist")
        users = list(group.get("userIds") or [])
        if user_id in users:
            group = {**group, "userIds": [u for u in users if u != user_id]}
            engine.store.put(GROUPS, group["id"], group)
    return Reply(200, group)


@behaviour.handler("deleteUserGroup")
def delete_user_group(engine: Engine, call: Call) -> Reply:
    """Delete the group (answering it, as Clockify does) and every mention of it: policies'
    ``userGroupIds``, tasks' ``userGroupIds`` and projects' USERGROUP memberships."""
    workspace = call.params["workspaceId"]
    with engine.store.transaction():
        group = engine.load(call)
        engine.store.delete(GROUPS, group["id"])
        for collection in (POLICIES, "tasks"):
            for record in list(engine.store.scan(collection, {"workspaceId": workspace})):
                if group["id"] in (record.get("userGroupIds") or []):
                    kept = [g for g in record["userGroupIds"] if g != group["id"]]
                    engine.store.put(collection, record["id"], {**record, "userGroupIds": kept})
        for project in list(engine.store.scan("projects", {"workspaceId": workspace})):
            members = project.get("memberships") or []
            kept = [
                m
                for m in members
                if not (m.get("membershipType") == "USERGROUP" and m.get("userId") == group["id"])
            ]
            if len(kept) != len(members):
                engine.store.put("projects", project["id"], {**project, "memberships": kept})
    return Reply(200, group)


# ---------------------------------------------------------------- templates
def _template(engine: Engine, call: Call, item: Any) -> Record:
    """A template record from one request item, its references checked (400)."""
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise errors.BadRequest("Each template needs a name")
    workspace = call.params["workspaceId"]
    pairs = []
    for pair in item.get("projectsAndTasks") or []:
        project, task = (pair or {}).get("projectId"), (pair or {}).get("taskId")
        owned_or_400(engine, "projects", project, workspace, "Project")
        if task:
            record = owned_or_400(engine, "tasks", task, workspace, "Task")
            if record.get("projectId") != project:
                raise errors.BadRequest(f"Task {task} doesn't belong to project {project}")
        pairs.append({"projectId": project, "taskId": task or None})
    entries = []
    for entry_id in item.get("timeEntryIds") or []:
        entry = engine.store.get("time_entries", str(entry_id))
        if (
            not entry
            or entry.get("workspaceId") != workspace
            or entry.get("userId") != call.caller.actor
        ):
            raise errors.BadRequest(f"TimeEntry {entry_id} doesn't belong to the user")
        fields = ("id", "billable", "description", "projectId", "taskId", "tagIds", "timeInterval")
        entries.append({f: entry.get(f) for f in fields})
    return {
        "id": new_id(engine.surface.collections[TEMPLATES], engine.clock.now()),
        "workspaceId": workspace,
        "name": item["name"],
        "userId": call.caller.actor,
        "weekStart": item.get("weekStart"),
        "projectsAndTasks": pairs,
        "entries": entries,
    }


@behaviour.handler("createTemplates")
def create_templates(engine: Engine, call: Call) -> Reply:
    """POST .../templates: the body is a JSON **array** (the engine's "body must be a JSON
    object" check in `Engine.handle` has to let this operation through); per item: 400
    unless each `projectsAndTasks` project (and task, of that project) and each
    `timeEntryIds` entry (the caller's) exists in the workspace; record {name, userId:
    caller, weekStart (null when absent), projectsAndTasks, entries: copies of those time
    entries ({id, billable, description, projectId, taskId, tagIds, timeInterval})}; answer
    200 with the array of created templates, in body order.
    """
    items = call.body if isinstance(call.body, list) else None
    if items is None:
        raise errors.BadRequest("The request body must be a JSON array of templates")
    with engine.store.transaction():
        created = [_template(engine, call, item) for item in items]
        for record in created:
            engine.store.put(TEMPLATES, record["id"], record)
    return Reply(200, created)
