"""Clockify users, workspaces, roles, webhooks and entity changes on the engine (every answer
checked against the spec)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mock.surfaces.clockify.kit import Kit

UNKNOWN = "0" * 24


@pytest.fixture
def kit() -> Kit:
    return Kit()


def membership(kit: Kit, user: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The user's membership of the demo workspace, as the workspace and the user store it."""
    workspace, record = kit.store.get("workspaces", kit.workspace), kit.store.get("users", user)
    assert workspace and record
    on_workspace = next(m for m in workspace["memberships"] if m["userId"] == user)
    on_user = next(m for m in record["memberships"] if m["targetId"] == kit.workspace)
    return on_workspace, on_user


# ---------------------------------------------------------------- users
def test_the_logged_user_and_their_memberships(kit: Kit) -> None:
    plain = kit.call("getLoggedUser").body
    assert plain["id"] == kit.user and plain["memberships"] == []
    full = kit.call("getLoggedUser", {"include-memberships": True}).body
    assert kit.workspace in {m["targetId"] for m in full["memberships"]}


def test_upload_image_names_the_stored_file(kit: Kit) -> None:
    upload = {"file": {"filename": "me.png", "contentType": "image/png", "size": 10}}
    reply = kit.call("uploadImage", body=upload)
    assert reply.status == 200 and reply.body["name"].endswith(".png")
    assert reply.body["url"].endswith(reply.body["name"])
    text = {"file": {"filename": "a.txt", "contentType": "text/plain", "size": 1}}
    assert kit.call("uploadImage", body=text).status == 400


def test_member_profile_round_trip(kit: Kit) -> None:
    params = {"userId": kit.user}
    profile = kit.call("getMemberProfile", params).body
    assert profile["workCapacity"] == "PT8H" and profile["workspaceNumber"] >= 1
    body = {"workCapacity": "PT7H", "workingDays": ["MONDAY", "TUESDAY"], "weekStart": "SUNDAY"}
    updated = kit.call("updateMemberProfile", params, body).body
    assert updated["workCapacity"] == "PT7H" and updated["workingDays"] == ["MONDAY", "TUESDAY"]
    assert kit.call("getMemberProfile", params).body["weekStart"] == "SUNDAY"
    assert kit.call("getMemberProfile", {"userId": UNKNOWN}).status == 404


def test_user_custom_field_values(kit: Kit) -> None:
    field = kit.records("custom_fields", workspaceId=kit.workspace)[0]
    params = {"userId": kit.user, "customFieldId": field["id"]}
    assert kit.call("upsertUserCustomFieldValue", params, {"value": "x"}).status == 400
    kit.store.put("custom_fields", field["id"], {**field, "entityType": "USER"})
    reply = kit.call("upsertUserCustomFieldValue", params, {"value": "TIN-1"})
    assert reply.status == 201 and reply.body["value"] == "TIN-1"
    user = kit.store.get("users", kit.user)
    assert user and [
        v["value"] for v in user["customFields"] if v["customFieldId"] == field["id"]
    ] == ["TIN-1"]
    profile = kit.call("getMemberProfile", {"userId": kit.user}).body
    assert {"customFieldId": field["id"], "value": "TIN-1"}.items() <= next(
        v for v in profile["userCustomFieldValues"] if v["customFieldId"] == field["id"]
    ).items()
    assert (
        kit.call("upsertUserCustomFieldValue", {**params, "customFieldId": UNKNOWN}, {}).status
        == 404
    )


def test_workspace_users_filter_sort_page_and_hydrate(kit: Kit) -> None:
    everyone = kit.call(
        "getWorkspaceUsers",
        {"account-statuses": "ACTIVE,DELETED,LIMITED,NOT_REGISTERED,PENDING_EMAIL_VERIFICATION"},
    ).body
    assert {u["id"] for u in everyone} == set(kit.members())
    emails = [u["email"] for u in everyone]
    assert emails == sorted(emails)
    statuses = ["ACTIVE", "DELETED", "LIMITED", "NOT_REGISTERED", "PENDING_EMAIL_VERIFICATION"]
    body = {
        "accountStatuses": statuses,
        "page": 1,
        "pageSize": 2,
        "sortColumn": "ID",
        "sortOrder": "DESCENDING",
        "memberships": "WORKSPACE",
    }
    first = kit.call("filterWorkspaceUsers", body=body).body
    assert [u["id"] for u in first] == sorted(kit.members(), reverse=True)[:2]
    assert all(u["memberships"][0]["targetId"] == kit.workspace for u in first)
    target = everyone[0]
    by_email = kit.call(
        "getWorkspaceUsers",
        {"email": target["email"].upper(), "account-statuses": ",".join(statuses)},
    ).body
    assert [u["id"] for u in by_email] == [target["id"]]


def test_add_user_status_and_rates_change_both_sides(kit: Kit) -> None:
    added = kit.call("addWorkspaceUser", body={"email": "New.Person@example.com"})
    assert added.status == 200
    new = next(m for m in added.body["memberships"] if m["membershipStatus"] == "PENDING")
    user = kit.store.get("users", new["userId"])
    assert user and user["status"] == "NOT_REGISTERED" and user["email"] == "New.Person@example.com"
    again = kit.call("addWorkspaceUser", body={"email": "new.person@EXAMPLE.com"})
    assert again.status == 400
    other = kit.other()
    params = {"userId": other}
    kit.call("updateWorkspaceUserStatus", params, {"status": "INACTIVE"})
    assert [m["membershipStatus"] for m in membership(kit, other)] == ["INACTIVE", "INACTIVE"]
    kit.call("updateWorkspaceUserHourlyRate", params, {"amount": 5000})
    kit.call("updateWorkspaceUserCostRate", params, {"amount": 2500})
    for side in membership(kit, other):
        assert side["hourlyRate"]["amount"] == 5000 and side["costRate"]["amount"] == 2500
    assert kit.call("updateWorkspaceUserCostRate", {"userId": UNKNOWN}, {"amount": 1}).status == 404
    assert kit.call("removeUserFromWorkspace", params).status == 200


def test_workspace_rates_and_new_workspaces(kit: Kit) -> None:
    assert (
        kit.call("updateWorkspaceHourlyRate", body={"amount": 12000}).body["hourlyRate"]["amount"]
        == 12000
    )
    assert (
        kit.call("updateWorkspaceCostRate", body={"amount": 6000}).body["costRate"]["amount"]
        == 6000
    )
    created = kit.call("createWorkspace", body={"name": "Side project"})
    assert created.status == 201
    workspace = created.body
    assert [m["userId"] for m in workspace["memberships"]] == [kit.user]
    mine = kit.call("getMyWorkspaces").body
    assert workspace["id"] in {w["id"] for w in mine}
    owned = kit.call("getMyWorkspaces", {"roles": ["OWNER"]}).body
    assert workspace["id"] in {w["id"] for w in owned}
    assert (
        kit.call(
            "getWorkspaceUsers",
            {"workspaceId": workspace["id"], "account-statuses": "ACTIVE,DELETED"},
        ).status
        == 200
    )


def test_manager_roles(kit: Kit) -> None:
    other = kit.other()
    group = kit.records("user_groups", workspaceId=kit.workspace)[0]
    kit.store.put("user_groups", group["id"], {**group, "userIds": [kit.user], "teamManagers": []})
    body = {"entityId": group["id"], "role": "TEAM_MANAGER", "sourceType": "USER_GROUP"}
    given = kit.call("giveUserManagerRole", {"userId": other}, body)
    assert given.status == 201
    assert any(r["role"]["id"] == group["id"] for r in given.body)
    assert (
        kit.call("giveUserManagerRole", {"userId": other}, {**body, "entityId": UNKNOWN}).status
        == 400
    )
    managers = kit.call("getUserManagers", {"userId": kit.user}).body
    assert other in {u["id"] for u in managers}
    assert kit.call("removeUserManagerRole", {"userId": other}, body).status == 204
    assert other not in {u["id"] for u in kit.call("getUserManagers", {"userId": kit.user}).body}


# ---------------------------------------------------------------- webhooks
def test_webhook_lifecycle(kit: Kit) -> None:
    project = kit.records("projects", workspaceId=kit.workspace)[0]
    body = {
        "name": "Stripe",
        "url": "http://localhost:9/hook",  # loopback: the receivers allowed by default
        "webhookEvent": "NEW_PROJECT",
        "triggerSourceType": "PROJECT_ID",
        "triggerSource": [project["id"]],
    }
    created = kit.call("createWebhook", body=body)
    assert created.status == 201
    hook = created.body
    assert hook["userId"] == kit.user and hook["authToken"].count(".") == 2
    assert kit.call("createWebhook", body={**body, "triggerSource": [UNKNOWN]}).status == 400
    listed = kit.call("getWebhooks").body
    assert hook["id"] in {h["id"] for h in listed["webhooks"]}
    assert listed["workspaceWebhookCount"] == len(
        kit.records("webhooks", workspaceId=kit.workspace)
    )
    fresh = kit.call("generateNewWebhookToken", {"webhookId": hook["id"]}).body
    assert fresh["authToken"] != hook["authToken"]
    assert kit.call("getWebhookLogs", {"webhookId": hook["id"]}, {}).body == []
    assert kit.call("getWebhookLogs", {"webhookId": UNKNOWN}, {}).status == 404
    assert kit.call("getAddonWebhooks", {"addonId": UNKNOWN}).body["webhooks"] == []


# ---------------------------------------------------------------- entity changes
def stamp(kit: Kit) -> str:
    return kit.engine.clock.now().isoformat().replace("+00:00", "Z")


def test_entity_changes_follow_what_happened_to_time_entries(kit: Kit) -> None:
    before = stamp(kit)
    entry = kit.call(
        "createTimeEntry", body={"start": "2026-02-02T09:00:00Z", "end": "2026-02-02T10:00:00Z"}
    ).body
    window = {
        "type": ["TIME_ENTRY", "TIME_ENTRY_RATE"],
        "start": before,
        "end": "2100-01-01T00:00:00Z",
    }
    created = kit.call("getCreatedEntities", window).body
    assert {(d["id"], d["documentType"]) for d in created} == {
        (entry["id"], "TIME_ENTRY"),
        (f"{int(entry['id'], 16) ^ 1:024x}", "TIME_ENTRY_RATE"),
    }
    assert created[0]["auditMetadata"]["updatedAt"] is None
    after_create = stamp(kit)
    kit.call(
        "updateTimeEntry",
        {"id": entry["id"]},
        # with its end: a PUT without one would restart the entry and stop the demo timer
        {"start": "2026-02-02T09:00:00Z", "end": "2026-02-02T10:00:00Z", "description": "changed"},
    )
    later = {**window, "type": ["TIME_ENTRY"], "start": after_create}
    updated = kit.call("getUpdatedEntities", later).body
    assert [(d["id"], d["description"]) for d in updated] == [(entry["id"], "changed")]
    # an update feed whose range starts before the creation leaves the entry out
    assert entry["id"] not in {d["id"] for d in kit.call("getUpdatedEntities", window).body}
    kit.call("deleteTimeEntry", {"id": entry["id"]})
    gone = kit.call("getDeletedEntities", later).body["response"]
    assert [(d["id"], d["document"]["description"]) for d in gone] == [(entry["id"], "changed")]
    assert kit.call("getCreatedEntities", {"type": [], "start": before}).status == 400
    backwards = {
        "type": ["TIME_ENTRY"],
        "start": "2026-02-01T00:00:00Z",
        "end": "2026-01-01T00:00:00Z",
    }
    assert kit.call("getCreatedEntities", backwards).status == 400


def test_deletion_feed_lists_entries_created_before_the_range(kit: Kit) -> None:
    old = next(e for e in kit.records("time_entries", workspaceId=kit.workspace))
    kit.call("deleteTimeEntry", {"id": old["id"]})
    now = kit.engine.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    window = {
        "type": ["TIME_ENTRY"],
        "end": "2100-01-01T00:00:00Z",
        "start": now[:10] + "T00:00:00Z",
    }
    gone = kit.call("getDeletedEntities", window).body["response"]
    assert [d["document"]["id"] for d in gone] == [old["id"]]
    assert gone[0]["documentType"] == "TIME_ENTRY"
