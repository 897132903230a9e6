"""Clockify roles decide who may change whose time entries and the workspace's settings."""

from __future__ import annotations

import pytest

from tests.mock.surfaces.clockify.kit import Kit


@pytest.fixture
def kit() -> Kit:
    return Kit()


def plain_members(kit: Kit) -> list[str]:
    """Members of the demo workspace who hold no role in it."""
    holders = {r["userId"] for r in kit.records("user_roles", workspaceId=kit.workspace)}
    return [m for m in kit.members() if m not in holders]


def entry_of(kit: Kit, user: str) -> str:
    entries = kit.records("time_entries", workspaceId=kit.workspace, userId=user)
    return next(e["id"] for e in entries if e["timeInterval"]["end"])


def give(kit: Kit, user: str, name: str, entity: str) -> None:
    kit.store.put(
        "user_roles",
        f"role-{user}-{name}",
        {
            "id": f"role-{user}-{name}",
            "userId": user,
            "workspaceId": kit.workspace,
            "role": {"id": entity, "name": name, "source": None},
        },
    )


def test_a_member_cannot_change_or_delete_another_members_entries(kit: Kit) -> None:
    member, other = plain_members(kit)[:2]
    theirs = entry_of(kit, other)
    body = {"start": "2026-02-02T09:00:00Z", "end": "2026-02-02T10:00:00Z"}
    assert kit.call("updateTimeEntry", {"id": theirs}, body, user=member).status == 403
    assert kit.call("deleteTimeEntry", {"id": theirs}, user=member).status == 403
    for_other = kit.call("createTimeEntryForUser", {"userId": other}, body, user=member)
    assert for_other.status == 403
    assert kit.store.get("time_entries", theirs) is not None
    mine = entry_of(kit, member)
    assert kit.call("updateTimeEntry", {"id": mine}, body, user=member).status == 200
    assert kit.call("deleteTimeEntry", {"id": mine}, user=member).status == 204


def test_the_owner_and_admins_may_change_anyones_entries(kit: Kit) -> None:
    member, admin = plain_members(kit)[:2]
    theirs = entry_of(kit, member)
    body = {"start": "2026-02-02T09:00:00Z", "end": "2026-02-02T10:00:00Z"}
    assert kit.call("updateTimeEntry", {"id": theirs}, body).status == 200  # the demo owner
    assert kit.call("deleteTimeEntry", {"id": theirs}, user=admin).status == 403
    give(kit, admin, "WORKSPACE_ADMIN", kit.workspace)
    assert kit.call("deleteTimeEntry", {"id": theirs}, user=admin).status == 204


def test_a_team_manager_may_change_the_entries_of_the_team(kit: Kit) -> None:
    manager, member, outsider = plain_members(kit)[:3]
    group = "64b7a9c1e4b0d3a5f6c7d8e9"
    kit.store.put(
        "user_groups",
        group,
        {"id": group, "workspaceId": kit.workspace, "name": "Team", "userIds": [member]},
    )
    give(kit, manager, "TEAM_MANAGER", group)
    body = {"start": "2026-02-02T09:00:00Z", "end": "2026-02-02T10:00:00Z"}
    assert (
        kit.call("updateTimeEntry", {"id": entry_of(kit, member)}, body, user=manager).status == 200
    )
    assert (
        kit.call("updateTimeEntry", {"id": entry_of(kit, outsider)}, body, user=manager).status
        == 403
    )


def test_only_the_owner_and_admins_change_workspace_settings(kit: Kit) -> None:
    (member,) = plain_members(kit)[:1]
    rate = {"amount": 2000, "since": "2026-01-01T00:00:00Z"}
    assert kit.call("updateWorkspaceHourlyRate", {}, rate, user=member).status == 403
    assert kit.call("updateWorkspaceHourlyRate", {}, rate).status == 200
    assert (
        kit.call(
            "markTimeEntriesInvoiced", {}, {"timeEntryIds": [], "invoiced": True}, user=member
        ).status
        == 403
    )


def test_the_owner_cannot_be_deactivated(kit: Kit) -> None:
    answer = kit.call("updateWorkspaceUserStatus", {"userId": kit.user}, {"status": "INACTIVE"})
    assert answer.status == 400
    assert kit.call("getTags", {}).status == 200  # still a member


def test_a_form_number_is_held_to_its_bound_exactly() -> None:
    from connexion.exceptions import BadRequestProblem

    from understudy.mock.validators import _check_bounds

    prop = {"type": "number", "maximum": 92233720368547760}
    _check_bounds("amount", "92233720368547760", prop)
    with pytest.raises(BadRequestProblem, match="greater"):
        _check_bounds("amount", "92233720368547761", prop)  # the same double as the maximum
