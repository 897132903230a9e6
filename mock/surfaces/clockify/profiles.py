"""Clockify handlers: the current user and member profiles (workspaces.yaml): who the key belongs
to, the images they upload, and each member's profile in a workspace (work capacity, working
days, user custom field values)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.workspaces import USERS, WEEKDAYS, member

Record = dict[str, Any]
PROFILES = "_member_profiles"  # the mock's own: work capacity and days per (workspace, user)
IMAGES = "_images"


# ---------------------------------------------------------------- the current user
@behaviour.handler("getLoggedUser")
def get_logged_user(engine: Engine, call: Call) -> Reply:
    """GET /v1/user: the caller's `users` record; `memberships` = [] unless
    `include-memberships` is true (then all the user's memberships).
    """
    user = engine.store.get(USERS, call.caller.actor or "")
    if user is None:
        raise errors.Unauthorized("Full authentication is required to access this resource")
    memberships = user.get("memberships") or [] if call.params.get("include-memberships") else []
    return Reply(200, {**user, "memberships": memberships})


@behaviour.handler("uploadImage")
def upload_image(engine: Engine, call: Call) -> Reply:
    """POST /v1/file/image, multipart: keep the uploaded bytes and content type under a new
    name `image-<8 hex>.<ext from content type>`; answer 200 `{name, url}` with `url` = the
    mock's own URL for the stored file (or `https://clockify.com/<name>`).
    """
    upload = (call.body or {}).get("file")
    if not isinstance(upload, Mapping):
        raise errors.BadRequest("A file is required (multipart field 'file')")
    media = str(upload.get("contentType") or "")
    if not media.startswith("image/"):
        raise errors.BadRequest(f"The file must be an image, not {media or 'unknown content'}")
    extension = {"image/jpeg": "jpg", "image/svg+xml": "svg"}.get(media, media.split("/")[-1])
    name = f"image-{secrets.token_hex(4)}.{extension}"
    kept = {k: v for k, v in upload.items() if k != "content"}  # metadata: no route serves it
    engine.store.put(IMAGES, name, {"id": name, **kept, "userId": call.caller.actor})
    return Reply(200, {"name": name, "url": f"https://clockify.com/{name}"})


# ---------------------------------------------------------------- member profiles
def _user_fields(engine: Engine, workspace: str) -> list[Record]:
    return [
        f
        for f in engine.store.scan("custom_fields", {"workspaceId": workspace})
        if f.get("entityType") == "USER"
    ]


def _profile(engine: Engine, workspace: Record, user: Record) -> Record:
    stored = engine.store.get(PROFILES, f"{workspace['id']}/{user['id']}") or {}
    settings = workspace.get("workspaceSettings") or {}
    values = {v.get("customFieldId"): v for v in user.get("customFields") or []}
    custom = []
    for field in _user_fields(engine, workspace["id"]):
        value = values.get(field["id"])
        custom.append(
            {
                "customFieldId": field["id"],
                "name": field.get("name"),
                "type": field.get("type"),
                "userId": user["id"],
                "value": value.get("value") if value else field.get("workspaceDefaultValue"),
                "sourceType": "USER" if value else "WORKSPACE",
            }
        )
    pending = any(
        (r.get("status") or {}).get("state") == "PENDING"
        for r in engine.store.scan("approval_requests", {"workspaceId": workspace["id"]})
        if (r.get("creator") or {}).get("userId", r.get("userId")) == user["id"]
    )
    active = [
        m
        for m in user.get("memberships") or []
        if m.get("membershipType", "WORKSPACE") == "WORKSPACE"
        and m.get("membershipStatus") not in ("INACTIVE", "DECLINED")
    ]
    return {
        "email": user.get("email"),
        "name": user.get("name"),
        "imageUrl": user.get("profilePicture"),
        "hasPassword": user.get("status") not in ("NOT_REGISTERED", "LIMITED"),
        "hasPendingApprovalRequest": pending,
        "userCustomFieldValues": custom,
        "weekStart": (user.get("settings") or {}).get("weekStart") or "MONDAY",
        "workCapacity": stored.get("workCapacity") or "PT8H",
        "workingDays": stored.get("workingDays") or settings.get("workingDays") or WEEKDAYS[:5],
        "workspaceNumber": len(active),
    }


@behaviour.handler("getMemberProfile")
def get_member_profile(engine: Engine, call: Call) -> Reply:
    """GET .../member-profile/{userId}: from the user and the workspace: `email`, `name`,
    `imageUrl` = `profilePicture`, `hasPassword` (false for NOT_REGISTERED/LIMITED users,
    else true), `hasPendingApprovalRequest` (an `approval_requests` record of the user in
    the workspace with `status.state` PENDING), `userCustomFieldValues` (the user's
    `customFields` for USER custom fields of this workspace as `{customFieldId, name, type,
    value, userId, sourceType: USER}`, plus the workspace's USER custom fields the user has
    no value for, with `workspaceDefaultValue` and `sourceType: WORKSPACE`), `weekStart` =
    `settings.weekStart`, `workCapacity`/`workingDays` from the member-profile store (below;
    defaults PT8H and the workspace's `workingDays`), `workspaceNumber` = the user's
    WORKSPACE memberships that are not INACTIVE/DECLINED.
    """
    workspace, user = member(engine, call)
    return Reply(200, _profile(engine, workspace, user))


def _upsert_value(
    engine: Engine, workspace: str, user: Record, field_id: str, value: Any, in_path: bool = False
) -> Record:
    field = engine.store.get("custom_fields", field_id)
    if field is None or field.get("workspaceId") != workspace:
        missing = f"Custom field with id {field_id} doesn't exist"
        raise errors.NotFound(missing) if in_path else errors.BadRequest(missing)
    if field.get("entityType") != "USER":
        raise errors.BadRequest(f"Custom field {field_id} is not a user custom field")
    entry = {
        "customFieldId": field_id,
        "customFieldName": field.get("name"),
        "customFieldType": field.get("type"),
        "userId": user["id"],
        "value": value,
    }
    others = [v for v in user.get("customFields") or [] if v.get("customFieldId") != field_id]
    user["customFields"] = [*others, entry]
    return entry


@behaviour.handler("updateMemberProfile")
def update_member_profile(engine: Engine, call: Call) -> Reply:
    """PATCH .../member-profile/{userId}: keep `workCapacity`, `workingDays` in an
    engine-internal store keyed by (workspaceId, userId) (like `api_keys`, not a declared
    collection); `weekStart` → `settings.weekStart`; `imageUrl`/`name`/`removeProfileImage`
    (→ `profilePicture` null) apply only to LIMITED users and are ignored for others;
    `userCustomFields` upsert into the user's `customFields` as `upsertUserCustomFieldValue`
    does (400 for a field that is not a USER custom field of the workspace). Answer the
    profile as `getMemberProfile`.
    """
    body = call.body or {}
    with engine.store.transaction():
        workspace, user = member(engine, call)
        key = f"{workspace['id']}/{user['id']}"
        stored = dict(engine.store.get(PROFILES, key) or {"id": key})
        stored.update({k: body[k] for k in ("workCapacity", "workingDays") if k in body})
        engine.store.put(PROFILES, key, stored)
        if "weekStart" in body:
            user["settings"] = {**(user.get("settings") or {}), "weekStart": body["weekStart"]}
        if user.get("status") == "LIMITED":  # only limited users' names and pictures change here
            if body.get("name"):
                user["name"] = body["name"]
            if body.get("imageUrl"):
                user["profilePicture"] = body["imageUrl"]
            if body.get("removeProfileImage"):
                user["profilePicture"] = None
        for item in body.get("userCustomFields") or []:
            _upsert_value(engine, workspace["id"], user, item["customFieldId"], item.get("value"))
        engine.store.put(USERS, user["id"], user)
    return Reply(200, _profile(engine, workspace, user))


@behaviour.handler("upsertUserCustomFieldValue")
def upsert_user_custom_field_value(engine: Engine, call: Call) -> Reply:
    """PUT .../users/{userId}/custom-field/{customFieldId}/value: 404 unless member and
    `customFieldId` is a `custom_fields` record of the workspace; 400 unless its
    `entityType` is USER; replace or add `{customFieldId, customFieldName: field.name,
    customFieldType: field.type, userId, value}` in the user's `customFields`; answer it
    (201).
    """
    with engine.store.transaction():
        workspace, user = member(engine, call)
        value = (call.body or {}).get("value")
        field_id = call.params["customFieldId"]
        entry = _upsert_value(engine, workspace["id"], user, field_id, value, in_path=True)
        engine.store.put(USERS, user["id"], user)
    return Reply(201, entry)
