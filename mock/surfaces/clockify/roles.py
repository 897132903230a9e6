"""Who may change what in a workspace, by the roles Clockify gives (clockify-api-v1.txt:
OWNER, WORKSPACE_ADMIN, TEAM_MANAGER, PROJECT_MANAGER; everyone else is a member).

An operation declares what it needs in its ``x-understudy`` as ``allow``:

* ``admin`` — the workspace's settings, rates, members and roles: the owner or an admin.
* ``entries`` — someone's time entries (the ``userId`` in the path, or the owner of the
  entry ``id`` names): that user, an owner or admin, a team manager of a group the user is
  in (or of the user), or a project manager of the entry's project.

A member changing another member's entries, or a workspace setting, is answered 403
("Access Denied", as Clockify words it). The user who creates a workspace owns it
(``createWorkspace``); the demo world's user owns the demo workspaces.
"""

from __future__ import annotations

from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine
from understudy.mock.surfaces.clockify import behaviour

ROLES, ENTRIES, GROUPS = "user_roles", "time_entries", "user_groups"
ADMINS = frozenset({"OWNER", "WORKSPACE_ADMIN"})


def roles(engine: Engine, workspace: str, user: str | None) -> list[dict[str, Any]]:
    """The ``role`` objects (``{id, name, source}``) a user holds in a workspace."""
    if not user:
        return []
    return [
        dict(r.get("role") or {})
        for r in engine.store.scan(ROLES, {"workspaceId": workspace, "userId": user})
    ]


def is_admin(engine: Engine, workspace: str, user: str | None) -> bool:
    return any(r.get("name") in ADMINS for r in roles(engine, workspace, user))


def may_change_entries(
    engine: Engine, workspace: str, actor: str | None, owner: str, project: str | None = None
) -> bool:
    if actor == owner:
        return True
    held = roles(engine, workspace, actor)
    if any(r.get("name") in ADMINS for r in held):
        return True
    for role in held:
        managed = {role.get("id"), (role.get("source") or {}).get("id")} - {None}
        if role.get("name") == "TEAM_MANAGER" and (
            owner in managed or any(owner in _group_users(engine, g) for g in managed)
        ):
            return True
        if role.get("name") == "PROJECT_MANAGER" and project in managed:
            return True
    return False


def _group_users(engine: Engine, group_id: Any) -> list[str]:
    group = engine.store.get(GROUPS, str(group_id)) or {}
    return list(group.get("userIds") or [])


@behaviour.authorizer("clockify.roles")
def authorize(engine: Engine, call: Call) -> None:
    """An operation declaring ``allow: admin`` is for the workspace's owner and admins;
    ``allow: entries`` lets a caller change their own time entries, and others' only as an
    owner or admin, their team manager or the project's manager; else 403 "Access Denied"."""
    allow = call.binding.options.get("allow")
    workspace = call.params.get("workspaceId")
    if not allow or not workspace:
        return
    actor = call.caller.actor
    if allow == "admin":
        if not is_admin(engine, workspace, actor):
            raise errors.Forbidden("Access Denied")
        return
    owner, project = call.params.get("userId"), None
    entry = engine.store.get(ENTRIES, call.params["id"]) if call.params.get("id") else None
    if entry is not None and entry.get("workspaceId") == workspace:
        owner, project = entry.get("userId"), entry.get("projectId")
    if isinstance(owner, str) and not may_change_entries(engine, workspace, actor, owner, project):
        raise errors.Forbidden("Access Denied")
