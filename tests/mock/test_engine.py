"""The generic engine, called directly (no HTTP): list with filters, search, sort and pages,
tenant and app scope, stamps, patch, soft delete, lifecycle actions and idempotent replays.
Bodies here are already valid for the spec; validation is connexion's (tested end to end)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from understudy import binding, specs
from understudy.derive import parse_instant
from understudy.mock import errors
from understudy.mock.behaviour import load
from understudy.mock.engine import Call, Caller, Clock, Engine, Reply
from understudy.mock.store import MemoryStore

ALICE = Caller(tenant="ten_A", actor="per_ALICE")
BOB = Caller(tenant="ten_A", actor="per_BOB")
MALLORY = Caller(tenant="ten_B", actor="per_MALLORY")
CRM = Caller(tenant="ten_A", actor="per_ALICE", app="app_crm")


class Edm:
    """An EDM engine on an empty store with a clock that starts at a fixed instant."""

    def __init__(self) -> None:
        spec = specs.bundle(specs.mount("edm"))
        self.surface = binding.read_surface("edm", spec)
        self.store = MemoryStore()
        self.engine = Engine(self.surface, self.store, Clock(datetime(2026, 3, 2, 9, tzinfo=UTC)))

    def call(
        self, operation: str, caller: Caller = ALICE, body: Any = None, **params: Any
    ) -> Reply:
        return self.engine.handle(Call(self.surface.bindings[operation], params, body, caller))

    def entry(self, caller: Caller = ALICE, **fields: Any) -> dict[str, Any]:
        body = {"date": "2026-03-02T00:00:00Z", "hours": 1, **fields}
        reply = self.call("createTimeEntry", caller, body)
        assert reply.status == 201
        return reply.body

    def ids(self, operation: str = "listTimeEntries", **params: Any) -> list[str]:
        return [r["id"] for r in self.call(operation, **params).body["data"]]


@pytest.fixture
def edm() -> Edm:
    return Edm()


def test_create_stamps_the_caller_the_tenant_and_the_time(edm: Edm) -> None:
    entry = edm.entry(notes="Planning")
    assert entry["id"].startswith("tme_")
    assert (entry["tenant_id"], entry["created_by"], entry["updated_by"]) == (
        "ten_A",
        "per_ALICE",
        "per_ALICE",
    )
    assert entry["created_at"] == entry["updated_at"] == "2026-03-02T09:00:00Z"
    assert entry["is_deleted"] is False and "app_id" not in entry


def test_list_sees_only_the_callers_tenant(edm: Edm) -> None:
    mine = edm.entry()
    edm.entry(MALLORY)
    assert edm.ids() == [mine["id"]]
    with pytest.raises(errors.NotFound):
        edm.call("getTimeEntry", MALLORY, id=mine["id"])


def test_an_app_token_reads_and_stamps_only_its_app(edm: Edm) -> None:
    plain = edm.entry()
    from_app = edm.entry(CRM)
    assert from_app["app_id"] == "app_crm"
    assert edm.ids(caller=CRM) == [from_app["id"]]
    assert set(edm.ids()) == {plain["id"], from_app["id"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"billable": True}, ["b"]),
        ({"billable": False}, ["a", "c"]),
        ({"date_from": "2026-03-03T00:00:00Z"}, ["b", "c"]),
        ({"date_to": "2026-03-03T00:00:00Z"}, ["a", "b"]),
        ({"date_from": "2026-03-03T00:00:00Z", "date_to": "2026-03-03T00:00:00Z"}, ["b"]),
        ({"q": "REVIEW"}, ["a", "c"]),
    ],
    ids=["eq-true", "eq-false", "gte-inclusive", "lte-inclusive", "range", "q-casefold"],
)
def test_filters_and_search(edm: Edm, params: dict[str, Any], expected: list[str]) -> None:
    made = {
        "a": edm.entry(date="2026-03-02T00:00:00Z", billable=False, notes="Code review"),
        "b": edm.entry(date="2026-03-03T00:00:00Z", billable=True, notes="Planning"),
        "c": edm.entry(date="2026-03-04T00:00:00Z", billable=False, notes="review: checkout"),
    }
    names = {v["id"]: k for k, v in made.items()}
    assert sorted(names[i] for i in edm.ids(**params)) == expected


def test_sort_both_ways_and_newest_first_by_default(edm: Edm) -> None:
    first, second, third = (edm.entry(hours=h) for h in (3, 1, 2))
    assert edm.ids() == [third["id"], second["id"], first["id"]]
    assert edm.ids(sort="hours") == [second["id"], third["id"], first["id"]]
    assert edm.ids(sort="-hours") == [first["id"], third["id"], second["id"]]


def test_pages_partition_the_list(edm: Edm) -> None:
    made = [edm.entry()["id"] for _ in range(5)]
    pages = [edm.call("listTimeEntries", page=n, page_size=2).body for n in (1, 2, 3)]
    seen = [r["id"] for p in pages for r in p["data"]]
    assert sorted(seen) == sorted(made) and len(seen) == 5
    assert [p["pagination"]["has_more"] for p in pages] == [True, True, False]
    assert {p["pagination"]["total"] for p in pages} == {5}


def test_patch_changes_what_was_sent_and_advances_updated_at(edm: Edm) -> None:
    entry = edm.entry(notes="Planning", billable=True)
    reply = edm.call("updateTimeEntry", BOB, {"hours": 2.5}, id=entry["id"])
    patched = reply.body
    assert (patched["hours"], patched["notes"], patched["billable"]) == (2.5, "Planning", True)
    assert patched["created_at"] == entry["created_at"]
    assert parse_instant(patched["updated_at"]) > parse_instant(entry["updated_at"])
    assert (patched["created_by"], patched["updated_by"]) == ("per_ALICE", "per_BOB")


def test_soft_delete_hides_the_record_unless_asked_for(edm: Edm) -> None:
    entry = edm.entry()
    assert edm.call("deleteTimeEntry", id=entry["id"]).status == 204
    with pytest.raises(errors.NotFound):
        edm.call("getTimeEntry", id=entry["id"])
    assert edm.ids() == []
    assert edm.ids(include_deleted=True) == [entry["id"]]
    assert edm.store.get("time_entries", entry["id"])["deleted_by"] == "per_ALICE"


def access_request(edm: Edm) -> dict[str, Any]:
    body = {
        "requester_id": "per_ALICE",
        "system_id": "github",
        "access_type": "new",
        "justification": "Billing repository",
    }
    return edm.call("createAccessRequest", ALICE, body).body


def test_a_lifecycle_action_moves_the_state_and_stamps_it(edm: Edm) -> None:
    request = access_request(edm)
    assert request["status"] == "pending"
    approved = edm.call("approveAccessRequest", BOB, {}, id=request["id"]).body
    assert approved["status"] == "approved"
    assert approved["approver_id"] == "per_BOB" and approved["approved_at"]
    provisioned = edm.call("provisionAccessRequest", BOB, {}, id=request["id"]).body
    assert provisioned["status"] == "provisioned" and provisioned["granted_by_id"] == "per_BOB"


def test_an_impossible_transition_is_a_conflict_and_changes_nothing(edm: Edm) -> None:
    request = access_request(edm)
    with pytest.raises(errors.Conflict):
        edm.call("provisionAccessRequest", BOB, {}, id=request["id"])
    assert edm.store.get("access_requests", request["id"]) == request


def test_the_requester_cannot_approve_their_own_request(edm: Edm) -> None:
    request = access_request(edm)
    with pytest.raises(errors.Forbidden):
        edm.call("approveAccessRequest", ALICE, {}, id=request["id"])
    assert edm.store.get("access_requests", request["id"])["status"] == "pending"


class Tracker:
    PROJECT = "3f2b8c1e-0000-4000-8000-000000000001"
    ORG = Caller(
        tenant="7b1e2c3d-0000-4000-8000-00000000000a", actor="9a8b7c6d-0000-4000-8000-0002"
    )

    def __init__(self) -> None:
        spec = specs.bundle(specs.mount("tracker"))
        self.surface = binding.read_surface("tracker", spec)
        behaviour = load("understudy.mock.surfaces.tracker", "tracker")
        self.engine = Engine(self.surface, MemoryStore(), behaviour=behaviour)

    def log(self, body: dict[str, Any], key: str | None = None) -> Reply:
        params: dict[str, Any] = {"id": self.PROJECT}
        if key:
            params["Idempotency-Key"] = key
        bound = self.surface.bindings["logTimeEntry"]
        return self.engine.handle(Call(bound, params, body, self.ORG))


def test_an_idempotent_replay_answers_the_same_and_writes_nothing() -> None:
    tracker = Tracker()
    body = {"userId": Tracker.ORG.actor, "workDate": "2026-03-02", "hours": "2.5"}
    first = tracker.log(body, key="k1")
    again = tracker.log(body, key="k1")
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body and first.body["minutes"] == 150
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(list(tracker.engine.store.scan("time_entries", {}))) == 1


def test_the_same_key_with_another_body_is_refused() -> None:
    tracker = Tracker()
    tracker.log({"userId": Tracker.ORG.actor, "workDate": "2026-03-02", "minutes": 30}, key="k")
    with pytest.raises(errors.Unprocessable):
        tracker.log({"userId": Tracker.ORG.actor, "workDate": "2026-03-02", "minutes": 45}, key="k")


def test_an_upsert_by_key_updates_instead_of_creating() -> None:
    tracker = Tracker()
    ref = {"provider": "jira", "externalType": "worklog", "externalId": "42"}
    body = {"userId": Tracker.ORG.actor, "workDate": "2026-03-02", "externalRef": ref}
    created = tracker.log({**body, "minutes": 30})
    updated = tracker.log({**body, "minutes": 90})
    assert (created.status, updated.status) == (201, 200)
    assert updated.body["id"] == created.body["id"] and updated.body["hours"] == "1.5"
