"""Clockify time off (policies, requests, balances), user groups and templates on the engine
(every answer checked against the spec)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mock.surfaces.clockify.kit import Kit

UNKNOWN = "0" * 24
# Monday 2030-09-02 to Wednesday 2030-09-04: three working days
WEEKDAYS = {"period": {"start": "2030-09-02T00:00:00Z", "end": "2030-09-04T23:59:59Z"}}


@pytest.fixture
def kit() -> Kit:
    return Kit()


def new_policy(kit: Kit, name: str = "Vacation", **body: Any) -> dict[str, Any]:
    payload = {
        "name": name,
        "approve": {"requiresApproval": False},
        "users": {"contains": "CONTAINS", "ids": [kit.user, kit.other()]},
        **body,
    }
    reply = kit.call("createTimeOffPolicy", body=payload)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def set_balance(kit: Kit, policy: dict[str, Any], value: float, *users: str) -> None:
    reply = kit.call(
        "updateTimeOffBalances",
        {"policyId": policy["id"]},
        {"userIds": list(users or [kit.user]), "value": value, "note": "Bonus"},
    )
    assert reply.status == 204, reply.body


def balance(kit: Kit, policy: dict[str, Any], user: str) -> dict[str, Any]:
    reply = kit.call("getTimeOffBalancesForPolicy", {"policyId": policy["id"]})
    assert reply.status == 200, reply.body
    return next(b for b in reply.body["balances"] if b["userId"] == user)


def request(kit: Kit, policy: dict[str, Any], period: Any = None, **body: Any) -> Any:
    return kit.call(
        "createTimeOffRequest",
        {"policyId": policy["id"]},
        {"timeOffPeriod": period or WEEKDAYS, **body},
    )


# ---------------------------------------------------------------- policies
def test_a_policy_is_created_listed_updated_archived_and_deleted(kit: Kit) -> None:
    policy = new_policy(
        kit, color="#8BC34A", negativeBalance={"amount": 2, "amountValidForTimeUnit": True}
    )
    assert policy["timeUnit"] == "DAYS" and policy["allowHalfDay"] is False
    assert policy["userIds"] == [kit.user, kit.other()] and policy["icon"] is None
    assert policy["negativeBalance"] == {"amount": 2}
    listed = kit.call("getTimeOffPolicies", {"name": "vacat"}).body
    assert [p["id"] for p in listed] == [policy["id"]]
    assert kit.call("getTimeOffPolicy", {"id": policy["id"]}).body["name"] == "Vacation"

    update = {
        "name": "Holidays",
        "allowHalfDay": True,
        "allowNegativeBalance": False,
        "approve": {"requiresApproval": True},
        "archived": False,
        "everyoneIncludingNew": False,
        "hasExpiration": False,
        "timeUnit": "HOURS",
        "users": {"contains": "DOES_NOT_CONTAIN", "ids": [kit.user]},
        "userGroups": {"contains": "CONTAINS", "ids": []},
    }
    updated = kit.call("updateTimeOffPolicy", {"id": policy["id"]}, update).body
    assert updated["name"] == "Holidays" and updated["timeUnit"] == "DAYS"
    assert kit.user not in updated["userIds"] and kit.other() in updated["userIds"]
    assert updated["color"] == "#8BC34A"

    archived = kit.call("changeTimeOffPolicyStatus", {"id": policy["id"]}, {"status": "ARCHIVED"})
    assert archived.status == 200 and archived.body["archived"] is True
    active = kit.call("getTimeOffPolicies", {"status": "ACTIVE"}).body
    assert policy["id"] not in [p["id"] for p in active]
    assert policy["id"] in [
        p["id"] for p in kit.call("getTimeOffPolicies", {"status": "ARCHIVED"}).body
    ]
    refused = kit.call("changeTimeOffPolicyStatus", {"id": policy["id"]}, {"status": "ALL"})
    assert refused.status == 400

    assert kit.call("deleteTimeOffPolicy", {"id": policy["id"]}).status in (200, 204)
    assert kit.call("getTimeOffPolicy", {"id": policy["id"]}).status == 404


def test_a_policy_refuses_references_outside_the_workspace(kit: Kit) -> None:
    body = {"name": "Bad", "approve": {"requiresApproval": False}}
    for extra in (
        {"users": {"ids": [UNKNOWN]}},
        {"userGroups": {"ids": [UNKNOWN]}},
        {
            "automaticTimeEntryCreation": {
                "enabled": True,
                "defaultEntities": {"projectId": UNKNOWN},
            }
        },
    ):
        assert kit.call("createTimeOffPolicy", body={**body, **extra}).status == 400
    assert (
        kit.call("changeTimeOffPolicyStatus", {"id": UNKNOWN}, {"status": "ACTIVE"}).status == 404
    )


# ---------------------------------------------------------------- balances
def test_balances_are_made_on_demand_and_updated(kit: Kit) -> None:
    policy = new_policy(kit)
    listed = kit.call("getTimeOffBalancesForPolicy", {"policyId": policy["id"], "sort": "USER"})
    assert listed.body["count"] == 2
    assert all(b["balance"] == 0 and b["policyName"] == "Vacation" for b in listed.body["balances"])
    set_balance(kit, policy, 10)
    mine = balance(kit, policy, kit.user)
    assert (mine["balance"], mine["total"], mine["used"]) == (10, 10, 0)
    user = kit.call("getTimeOffBalancesForUser", {"userId": kit.user, "sort": "BALANCE"}).body
    assert policy["id"] in [b["policyId"] for b in user["balances"]]
    paged = kit.call("getTimeOffBalancesForPolicy", {"policyId": policy["id"], "page-size": 1})
    assert len(paged.body["balances"]) == 1 and paged.body["count"] == 2


def test_balance_errors(kit: Kit) -> None:
    policy = new_policy(kit, users={"ids": [kit.user]})
    assert kit.call("getTimeOffBalancesForPolicy", {"policyId": UNKNOWN}).status == 404
    assert kit.call("getTimeOffBalancesForUser", {"userId": UNKNOWN}).status == 404
    bad = kit.call(
        "updateTimeOffBalances", {"policyId": policy["id"]}, {"userIds": [kit.other()], "value": 3}
    )
    assert bad.status == 400


# ---------------------------------------------------------------- requests
def test_a_request_without_approval_uses_the_balance_and_deleting_gives_it_back(kit: Kit) -> None:
    policy = new_policy(kit)
    set_balance(kit, policy, 10)
    reply = request(kit, policy, note="Beach")
    assert reply.status == 200, reply.body
    made = reply.body
    assert made["status"]["statusType"] == "APPROVED" and made["balanceDiff"] == 3
    assert made["balance"] == 7 and made["requesterUserId"] == kit.user
    assert made["timeOffPeriod"]["halfDayHours"] is None
    assert balance(kit, policy, kit.user)["used"] == 3

    gone = kit.call("deleteTimeOffRequest", {"policyId": policy["id"], "requestId": made["id"]})
    assert gone.status == 200 and gone.body["id"] == made["id"]
    assert balance(kit, policy, kit.user)["balance"] == 10
    again = kit.call("deleteTimeOffRequest", {"policyId": policy["id"], "requestId": made["id"]})
    assert again.status == 404


def test_a_pending_request_is_approved_once(kit: Kit) -> None:
    policy = new_policy(kit, approve={"requiresApproval": True}, allowHalfDay=True)
    set_balance(kit, policy, 5, kit.other())
    half = {**WEEKDAYS, "isHalfDay": True, "timeOffHalfDayPeriod": "SECOND_HALF"}
    made = kit.call(
        "createTimeOffRequestForUser",
        {"policyId": policy["id"], "userId": kit.other()},
        {"timeOffPeriod": half},
    ).body
    assert made["status"]["statusType"] == "PENDING" and made["balanceDiff"] == 0.5
    assert made["userId"] == kit.other() and made["timeOffPeriod"]["halfDayHours"]
    ids = {"policyId": policy["id"], "requestId": made["id"]}
    approved = kit.call("changeTimeOffRequestStatus", ids, {"status": "APPROVED", "note": "Enjoy"})
    assert approved.status == 200, approved.body
    assert approved.body["status"]["statusType"] == "APPROVED"
    assert approved.body["status"]["changedByUserId"] == kit.user
    assert approved.body["balance"] == 4.5
    assert balance(kit, policy, kit.other())["used"] == 0.5
    same = kit.call("changeTimeOffRequestStatus", ids, {"status": "APPROVED"})
    assert same.status == 200
    assert kit.call("changeTimeOffRequestStatus", ids, {"status": "REJECTED"}).status == 400


def test_request_refusals(kit: Kit) -> None:
    policy = new_policy(kit)
    assert request(kit, policy).status == 400  # balance 0, no negative balance
    set_balance(kit, policy, 10)
    backwards = {"period": {"start": "2030-09-04T00:00:00Z", "end": "2030-09-02T00:00:00Z"}}
    assert request(kit, policy, backwards).status == 400
    assert request(kit, policy, {**WEEKDAYS, "isHalfDay": True}).status == 400
    assert (
        kit.call("createTimeOffRequest", {"policyId": UNKNOWN}, {"timeOffPeriod": WEEKDAYS}).status
        == 404
    )
    lent = new_policy(kit, "Lent", allowNegativeBalance=True, negativeBalance={"amount": 2})
    assert request(kit, lent).status == 400  # 3 days below a floor of -2
    short = {"period": {"start": "2030-09-02T00:00:00Z", "end": "2030-09-03T00:00:00Z"}}
    assert request(kit, lent, short).status == 200
    kit.call("changeTimeOffPolicyStatus", {"id": policy["id"]}, {"status": "ARCHIVED"})
    assert request(kit, policy).status == 400


def test_search_requests(kit: Kit) -> None:
    policy = new_policy(kit, approve={"requiresApproval": True})
    set_balance(kit, policy, 10)
    made = request(kit, policy).body
    found = kit.call("getTimeOffRequests", body={"statuses": ["PENDING"], "users": [kit.user]}).body
    assert made["id"] in [r["id"] for r in found["requests"]]
    assert found["requests"][0]["id"] == made["id"]
    none = kit.call("getTimeOffRequests", body={"statuses": ["REJECTED"], "users": [kit.user]}).body
    assert made["id"] not in [r["id"] for r in none["requests"]]
    later = kit.call("getTimeOffRequests", body={"start": "2100-01-01T00:00:00Z"}).body
    assert later == {"count": 0, "requests": []}
    everything = kit.call("getTimeOffRequests", body={"pageSize": 1}).body
    assert len(everything["requests"]) == 1 and everything["count"] >= 1


# ---------------------------------------------------------------- user groups
def test_group_members_are_added_and_removed(kit: Kit) -> None:
    group = kit.call("createUserGroup", body={"name": "Team"}).body
    assert kit.call("getUserGroups", {"name": "team"}).status == 200
    ids = {"userGroupId": group["id"]}
    added = kit.call("addUserToGroup", ids, {"userId": kit.other()})
    assert added.status == 200 and added.body["userIds"] == [kit.other()]
    assert kit.call("addUserToGroup", ids, {"userId": kit.other()}).body["userIds"] == [kit.other()]
    assert kit.call("addUserToGroup", ids, {"userId": UNKNOWN}).status == 400
    assert kit.call("addUserToGroup", {"userGroupId": UNKNOWN}, {"userId": kit.user}).status == 404

    # a policy on the group applies to its members
    policy = new_policy(kit, users={"ids": []}, userGroups={"ids": [group["id"]]})
    users = [
        b["userId"]
        for b in kit.call("getTimeOffBalancesForPolicy", {"policyId": policy["id"]}).body[
            "balances"
        ]
    ]
    assert users == [kit.other()]

    removed = kit.call("removeUserFromGroup", {**ids, "userId": kit.other()})
    assert removed.status == 200 and removed.body["userIds"] == []
    assert kit.call("removeUserFromGroup", {**ids, "userId": UNKNOWN}).status == 404
    assert kit.call("updateUserGroup", {"id": group["id"]}, {"name": "Crew"}).body["name"] == "Crew"
    project = kit.records("projects", workspaceId=kit.workspace)[0]
    kit.call(
        "assignProjectUsers", {"projectId": project["id"]}, {"userGroups": {"ids": [group["id"]]}}
    )
    deleted = kit.call("deleteUserGroup", {"id": group["id"]})
    assert deleted.status == 200 and deleted.body["id"] == group["id"]
    # nothing mentions the group any more
    stored_policy = kit.store.get("time_off_policies", policy["id"])
    stored_project = kit.store.get("projects", project["id"])
    assert stored_policy and group["id"] not in stored_policy["userGroupIds"]
    assert stored_project and group["id"] not in {
        m["userId"] for m in stored_project["memberships"]
    }
    assert kit.call("deleteUserGroup", {"id": group["id"]}).status == 404


# ---------------------------------------------------------------- templates
def test_templates_are_created_from_projects_and_entries(kit: Kit) -> None:
    project = kit.records("projects", workspaceId=kit.workspace)[0]
    entry = kit.records("time_entries", workspaceId=kit.workspace, userId=kit.user)[0]
    body = [
        {
            "name": "Week",
            "projectsAndTasks": [{"projectId": project["id"]}],
            "timeEntryIds": [entry["id"]],
        },
        {"name": "Empty", "projectsAndTasks": [], "weekStart": "2030-09-01"},
    ]
    reply = kit.call("createTemplates", body=body)
    assert reply.status == 200, reply.body
    first, second = reply.body
    assert [first["name"], second["name"]] == ["Week", "Empty"]
    assert first["userId"] == kit.user and first["entries"][0]["id"] == entry["id"]
    assert second["weekStart"] == "2030-09-01" and first["weekStart"] is None

    assert kit.call("getTemplate", {"templateId": first["id"]}).body["name"] == "Week"
    assert first["id"] in [t["id"] for t in kit.call("getTemplates").body]
    renamed = kit.call("updateTemplate", {"templateId": first["id"]}, {"name": "Renamed"})
    assert renamed.body["name"] == "Renamed"
    assert kit.call("deleteTemplate", {"templateId": first["id"]}).body["id"] == first["id"]
    assert kit.call("getTemplate", {"templateId": first["id"]}).status == 404

    bad = [{"name": "Bad", "projectsAndTasks": [{"projectId": UNKNOWN}]}]
    assert kit.call("createTemplates", body=bad).status == 400
    assert (
        kit.call(
            "createTemplates",
            body=[{"name": "X", "projectsAndTasks": [], "timeEntryIds": [UNKNOWN]}],
        ).status
        == 400
    )


def test_fixture_templates_answer(kit: Kit) -> None:
    template = kit.records("templates", workspaceId=kit.workspace)[0]
    assert kit.call("getTemplate", {"templateId": template["id"]}).status == 200
    assert kit.call("getTemplates").status == 200
