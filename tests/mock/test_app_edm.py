"""End-to-end: the EDM surface of a real uvicorn server, with response validation on.

Each test works in a tenant of its own, so tests share the server but not state.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ALICE, BOB, LiveMock
from understudy import specs
from understudy.mock import auth

SPEC = specs.bundle(specs.mount("edm"))
WORK = "/api/v1/work"
OPS = "/api/v1/operations"
# collection → its REST path (every collection with create/get/update/delete)
CRUD = {
    "time_entries": f"{WORK}/time-entries",
    "comments": f"{WORK}/comments",
    "access_requests": f"{OPS}/access-requests",
    "hr_requests": f"{OPS}/hr-requests",
    "pending": f"{OPS}/pending",
    "equipment": f"{OPS}/equipment",
    "travel": f"{OPS}/travel",
}


def example_body(path: str, method: str) -> dict[str, Any]:
    """The request example the spec gives for an operation (so tests restate no schema)."""
    op = SPEC["paths"][path][method]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    return dict(specs.resolve(SPEC, schema)["example"])


@pytest.fixture
def live_mock(either_app: LiveMock) -> LiveMock:
    """Every test here runs on FlaskApp and on AsyncApp."""
    return either_app


@pytest.fixture
def tenant() -> str:
    return f"ten_{uuid.uuid4().hex}"


@pytest.fixture
def alice(live_mock: LiveMock, tenant: str) -> Iterator[httpx.Client]:
    with live_mock.client(sub=ALICE, tenant=tenant) as client:
        yield client


@pytest.fixture
def bob(live_mock: LiveMock, tenant: str) -> Iterator[httpx.Client]:
    with live_mock.client(sub=BOB, tenant=tenant) as client:
        yield client


def create(client: httpx.Client, collection: str, **fields: Any) -> dict[str, Any]:
    path = CRUD[collection]
    response = client.post(path, json={**example_body(path, "post"), **fields})
    assert response.status_code == 201, response.text
    return response.json()


# ---------------------------------------------------------------------------- lifecycles
@pytest.mark.parametrize("collection", CRUD)
def test_full_lifecycle(alice: httpx.Client, collection: str) -> None:
    path = CRUD[collection]
    created = create(alice, collection)
    record_id = created["id"]
    assert record_id.startswith(SPEC["x-understudy"]["collections"][collection]["id_prefix"] + "_")
    assert alice.get(f"{path}/{record_id}").json() == created
    assert record_id in [r["id"] for r in alice.get(path).json()["data"]]

    update = example_body(f"{path}/{{id}}", "patch")
    if collection == "comments":  # its update example resolves the thread
        update = {"body": "Edited."}
    updated = alice.patch(f"{path}/{record_id}", json=update)
    assert updated.status_code == 200, updated.text
    after = updated.json()
    assert after["created_at"] == created["created_at"]
    assert after["updated_at"] > created["updated_at"]
    assert all(after[k] == v for k, v in update.items())

    assert alice.delete(f"{path}/{record_id}").status_code == 204
    assert alice.get(f"{path}/{record_id}").status_code == 404
    assert alice.patch(f"{path}/{record_id}", json=update).status_code == 404
    assert alice.delete(f"{path}/{record_id}").status_code == 404
    assert record_id not in [r["id"] for r in alice.get(path).json()["data"]]
    deleted = [
        r
        for r in alice.get(path, params={"include_deleted": True}).json()["data"]
        if r["id"] == record_id
    ]
    assert deleted and deleted[0]["is_deleted"] is True
    assert deleted[0]["deleted_by"] == ALICE and deleted[0]["deleted_at"]


def test_capacity_set_is_an_upsert_by_key(alice: httpx.Client) -> None:
    body = example_body(f"{WORK}/capacity", "put")
    first = alice.put(f"{WORK}/capacity", json=body)
    assert first.status_code == 201, first.text
    again = alice.put(f"{WORK}/capacity", json={**body, "allocated_pct": 80})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["allocated_pct"] == 80
    other_period = alice.put(
        f"{WORK}/capacity",
        json={**body, "period_start": "2026-02-02T00:00:00Z", "period_end": "2026-02-27T00:00:00Z"},
    )
    assert other_period.status_code == 201
    assert alice.get(f"{WORK}/capacity/{first.json()['id']}").json()["allocated_pct"] == 80
    listed = alice.get(f"{WORK}/capacity", params={"period_from": "2026-02-01T00:00:00Z"}).json()
    assert [r["id"] for r in listed["data"]] == [other_period.json()["id"]]


# ---------------------------------------------------------------------------- actions
def test_access_request_approve_then_provision(alice: httpx.Client, bob: httpx.Client) -> None:
    path = CRUD["access_requests"]
    request = create(alice, "access_requests", requester_id=ALICE)
    assert request["status"] == "pending" and request["approver_id"] is None
    assert alice.post(f"{path}/{request['id']}/approve").status_code == 403  # own request
    refused = bob.post(f"{path}/{request['id']}/provision")
    assert refused.status_code == 409 and "pending" in refused.json()["detail"]
    approved = bob.post(
        f"{path}/{request['id']}/approve", json={"entitlement_type": "admin"}
    ).json()
    assert approved["status"] == "approved" and approved["approver_id"] == BOB
    assert approved["approved_at"] and approved["entitlement_type"] == "admin"
    assert bob.post(f"{path}/{request['id']}/approve").status_code == 409
    via_patch = bob.patch(f"{path}/{request['id']}", json={"status": "provisioned"})
    assert via_patch.status_code == 409 and "provision action" in via_patch.json()["detail"]
    provisioned = bob.post(f"{path}/{request['id']}/provision").json()
    assert provisioned["status"] == "provisioned"
    assert (
        provisioned["granted_by_id"] == BOB
        and provisioned["provisioned_at"]
        and provisioned["granted_at"]
    )
    completed = bob.patch(f"{path}/{request['id']}", json={"status": "completed"}).json()
    assert completed["status"] == "completed"
    assert bob.patch(f"{path}/{request['id']}", json={"status": "pending"}).status_code == 409


def test_hr_request_fulfill(alice: httpx.Client, bob: httpx.Client) -> None:
    path = CRUD["hr_requests"]
    request = create(alice, "hr_requests")
    assert bob.patch(f"{path}/{request['id']}", json={"status": "in_progress"}).status_code == 200
    deliverable = {
        "deliverable_type": "digital",
        "deliverable_url": "https://files.example.com/l.pdf",
    }
    done = bob.post(f"{path}/{request['id']}/fulfill", json=deliverable).json()
    assert done["status"] == "completed" and done["fulfilled_by"] == BOB and done["fulfilled_at"]
    assert done["deliverable_url"] == deliverable["deliverable_url"]
    assert bob.post(f"{path}/{request['id']}/fulfill").status_code == 409


def test_equipment_provision_orders_approved_equipment(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    path = CRUD["equipment"]
    item = create(alice, "equipment")
    assert bob.post(f"{path}/{item['id']}/provision").status_code == 409
    approved = bob.patch(f"{path}/{item['id']}", json={"status": "approved"}).json()
    assert approved["approver_id"] == BOB
    ordered = bob.post(f"{path}/{item['id']}/provision", json={"cost": 1200.5}).json()
    assert ordered["status"] == "ordered" and ordered["ordered_at"] and ordered["cost"] == 1200.5
    delivered = bob.patch(f"{path}/{item['id']}", json={"status": "delivered"}).json()
    assert delivered["delivered_at"]


def test_travel_book_needs_approval(alice: httpx.Client, bob: httpx.Client) -> None:
    path = CRUD["travel"]
    trip = create(alice, "travel")
    assert bob.post(f"{path}/{trip['id']}/book").status_code == 409
    bob.patch(f"{path}/{trip['id']}", json={"status": "approved"})
    booked = bob.post(f"{path}/{trip['id']}/book", json={"estimated_cost": 900}).json()
    assert booked["status"] == "booked" and booked["booked_at"] and booked["estimated_cost"] == 900
    assert (
        bob.patch(f"{path}/{trip['id']}", json={"status": "cancelled"}).json()["status"]
        == "cancelled"
    )
    assert bob.post(f"{path}/{trip['id']}/book").status_code == 409


def test_pending_completion_stamps_and_is_final(alice: httpx.Client) -> None:
    path = CRUD["pending"]
    item = create(alice, "pending")
    done = alice.patch(f"{path}/{item['id']}", json={"status": "completed"}).json()
    assert done["completed_at"]
    assert alice.patch(f"{path}/{item['id']}", json={"status": "queued"}).status_code == 409


def test_create_refuses_a_non_initial_status(alice: httpx.Client) -> None:
    body = {**example_body(CRUD["access_requests"], "post"), "status": "approved"}
    assert alice.post(CRUD["access_requests"], json=body).status_code == 400


# ---------------------------------------------------------------------------- stamps
def test_server_stamps_come_from_the_token(
    live_mock: LiveMock, alice: httpx.Client, bob: httpx.Client, tenant: str
) -> None:
    spoofed = {
        "id": "tme_01HXK3Z5Q8V2N7M4B6C9D1E3F6",
        "tenant_id": "ten_other",
        "created_by": BOB,
        "created_at": "2020-01-01T00:00:00Z",
        "app_id": "app_x",
        "hours": 1,
    }
    entry = alice.post(CRUD["time_entries"], json=spoofed).json()
    assert entry["id"] != spoofed["id"] and entry["tenant_id"] == tenant
    assert entry["created_by"] == entry["updated_by"] == ALICE == entry["person_id"]
    assert entry["created_at"] != spoofed["created_at"] and "app_id" not in entry
    assert entry["source"] == "edm" and entry["source_type"] == "api" and entry["billable"] is False
    assert entry["schema_version"] == 1 and entry["is_deleted"] is False
    patched = bob.patch(
        f"{CRUD['time_entries']}/{entry['id']}",
        json={"created_at": "2020-01-01T00:00:00Z", "notes": "by bob"},
    ).json()
    assert patched["updated_by"] == BOB and patched["created_by"] == ALICE
    assert patched["created_at"] == entry["created_at"]


def test_date_times_are_stored_in_utc(alice: httpx.Client) -> None:
    entry = alice.post(CRUD["time_entries"], json={"date": "2026-03-02T01:00:00+02:00"}).json()
    assert entry["date"] == "2026-03-01T23:00:00Z"


# ---------------------------------------------------------------------------- isolation
def test_tenants_never_see_each_other(live_mock: LiveMock, alice: httpx.Client) -> None:
    mine = {c: create(alice, c)["id"] for c in CRUD}
    with live_mock.client(sub=ALICE, tenant=f"ten_{uuid.uuid4().hex}") as intruder:
        for collection, record_id in mine.items():
            path = CRUD[collection]
            assert intruder.get(f"{path}/{record_id}").status_code == 404
            assert intruder.patch(f"{path}/{record_id}", json={}).status_code == 404
            assert intruder.delete(f"{path}/{record_id}").status_code == 404
            listed = intruder.get(path, params={"include_deleted": True}).json()
            assert listed["pagination"]["total"] == 0
        assert (
            intruder.post(
                f"{CRUD['access_requests']}/{mine['access_requests']}/approve"
            ).status_code
            == 404
        )
    for collection, record_id in mine.items():
        assert alice.get(f"{CRUD[collection]}/{record_id}").status_code == 200


def test_app_tokens_stamp_and_filter_reads(live_mock: LiveMock, tenant: str) -> None:
    path = CRUD["time_entries"]
    with (
        live_mock.client(tenant=tenant, app="app_crm") as crm,
        live_mock.client(tenant=tenant, app="app_hr") as hr,
        live_mock.client(tenant=tenant) as human,
    ):
        by_crm = crm.post(path, json={"hours": 1}).json()
        by_human = human.post(path, json={"hours": 2}).json()
        assert by_crm["app_id"] == "app_crm" and "app_id" not in by_human
        assert [r["id"] for r in crm.get(path).json()["data"]] == [by_crm["id"]]
        assert hr.get(path).json()["pagination"]["total"] == 0
        assert hr.get(f"{path}/{by_crm['id']}").status_code == 404
        assert {r["id"] for r in human.get(path).json()["data"]} == {by_crm["id"], by_human["id"]}


# ---------------------------------------------------------------------------- lists
def test_filters_search_sort_and_pages(alice: httpx.Client) -> None:
    path = CRUD["time_entries"]
    project = "prj_01HXK3Z5Q8V2N7M4B6C9D1E3FA"
    made = [
        alice.post(
            path,
            json={
                "hours": h,
                "billable": h > 2,
                "notes": f"Task {h} review",
                "project_id": project if h in (1, 3, 4.75) else None,
                "date": f"2026-01-{int(h * 4):02d}T00:00:00Z",
            },
        ).json()
        for h in (0.25, 1, 2.5, 3, 4.75)
    ]

    def ids(**params: Any) -> list[str]:
        body = alice.get(path, params=params).json()
        return [r["id"] for r in body["data"]]

    by_hours = sorted(made, key=lambda r: r["hours"])
    assert ids(sort="hours") == [r["id"] for r in by_hours]
    assert ids(sort="-hours") == [r["id"] for r in reversed(by_hours)]
    assert ids() == [r["id"] for r in reversed(made)]  # newest first by default
    assert set(ids(billable=True)) == {r["id"] for r in made if r["hours"] > 2}
    assert set(ids(project_id=project)) == {r["id"] for r in made if r["hours"] in (1, 3, 4.75)}
    assert set(ids(q="TASK 3 REV")) == {made[3]["id"]}
    assert set(ids(date_from="2026-01-04T00:00:00Z", date_to="2026-01-12T00:00:00Z")) == {
        made[1]["id"],
        made[2]["id"],
        made[3]["id"],
    }
    page1 = alice.get(path, params={"page_size": 2, "sort": "hours"}).json()
    page3 = alice.get(path, params={"page_size": 2, "sort": "hours", "page": 3}).json()
    assert page1["pagination"] == {"page": 1, "page_size": 2, "total": 5, "has_more": True}
    assert page3["pagination"] == {"page": 3, "page_size": 2, "total": 5, "has_more": False}
    assert [r["id"] for r in page1["data"] + page3["data"]] == [
        by_hours[i]["id"] for i in (0, 1, 4)
    ]
    assert alice.get(path, params={"page": 9}).json()["data"] == []


def test_comment_threads_must_point_at_existing_comments(alice: httpx.Client) -> None:
    path = CRUD["comments"]
    parent = create(alice, "comments")
    reply = alice.post(path, json={**example_body(path, "post"), "parent_comment_id": parent["id"]})
    assert reply.status_code == 201
    assert (
        alice.get(path, params={"parent_comment_id": parent["id"]}).json()["pagination"]["total"]
        == 1
    )
    orphan = alice.post(
        path, json={"body": "x", "parent_comment_id": "cmt_01HXK3Z5Q8V2N7M4B6C9D1E3ZZ"}
    )
    assert orphan.status_code == 422


# ---------------------------------------------------------------------------- errors
def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


def test_bad_input_is_400(alice: httpx.Client) -> None:
    path = CRUD["time_entries"]
    _problem(alice.get(path, params={"page": "abc"}), 400)
    _problem(alice.get(path, params={"page_size": 500}), 400)
    _problem(alice.get(path, params={"nonsense": 1}), 400)
    _problem(alice.get(f"{path}/not-an-id"), 400)
    _problem(alice.get(f"{path}/ab%0Acd"), 400)  # found by the contract harness: was a 500
    _problem(alice.post(path, json={"hours": 0.3}), 400)  # not a multiple of 0.25
    _problem(alice.post(path, json={"hours": 24.25}), 400)
    _problem(alice.post(path, json=[1, 2]), 400)
    _problem(
        alice.post(path, content=b"{bad json", headers={"content-type": "application/json"}), 400
    )
    detail = _problem(
        alice.post(
            path, content=b'{"notes": "\xff\xfe"}', headers={"content-type": "application/json"}
        ),
        400,
    )["detail"]
    assert "UTF-8" in detail
    request = create(alice, "hr_requests")
    fulfil = f"{CRUD['hr_requests']}/{request['id']}/fulfill"
    json_null = {"content": b"null", "headers": {"content-type": "application/json"}}
    _problem(alice.post(fulfil, **json_null), 400)  # an optional body may be absent, not null


@pytest.mark.parametrize("scenario", ["none", "garbage", "wrong-secret", "expired", "no-tenant"])
def test_bad_credentials_are_401(live_mock: LiveMock, scenario: str) -> None:
    claims = {"tenant_id": "ten_x", "sub": ALICE}
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        "wrong-secret": {
            "Authorization": "Bearer " + auth.mint("another-secret-of-32-bytes-or-more!", claims)
        },
        "expired": {
            "Authorization": "Bearer " + auth.mint(live_mock.mock.config.secret, claims, ttl=-10)
        },
        "no-tenant": {
            "Authorization": "Bearer " + auth.mint(live_mock.mock.config.secret, {"sub": ALICE})
        },
    }[scenario]
    _problem(httpx.get(live_mock.url + CRUD["travel"], headers=headers), 401)


def test_every_other_error_class(live_mock: LiveMock, alice: httpx.Client) -> None:
    path = CRUD["travel"]
    _problem(alice.get(f"{path}/trv_01HXK3Z5Q8V2N7M4B6C9D1E3ZZ"), 404)
    _problem(alice.get("/api/v1/work/nothing-here"), 404)
    not_allowed = _problem(alice.put(path, json={}), 405)
    assert not_allowed["status"] == 405
    assert alice.put(path, json={}).headers["allow"] == "GET, POST"
    _problem(
        alice.post(
            path,
            content=b"x" * (live_mock.mock.config.max_body + 1),
            headers={"content-type": "application/json"},
        ),
        413,
    )
    _problem(alice.post(path, content=b"purpose=x", headers={"content-type": "text/plain"}), 415)
    backwards = {**example_body(path, "post"), "return_at": "2026-02-01T00:00:00Z"}
    assert "return_at" in _problem(alice.post(path, json=backwards), 422)["detail"]
    _problem(alice.get(path, headers={"Prefer": "code=429"}), 429)


def test_latency_injection(alice: httpx.Client) -> None:
    response = alice.get(CRUD["travel"], headers={"Prefer": "latency=300"})
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.3


def test_cors_preflight_and_headers_on_errors(live_mock: LiveMock) -> None:
    preflight = httpx.options(
        live_mock.url + CRUD["travel"],
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "http://localhost:5173")
    assert "POST" in preflight.headers["access-control-allow-methods"]
    denied = httpx.get(live_mock.url + CRUD["travel"], headers={"Origin": "http://localhost:5173"})
    assert denied.status_code == 401 and "access-control-allow-origin" in denied.headers


# ---------------------------------------------------------------------------- state
def test_concurrent_writes_lose_nothing(live_mock: LiveMock, tenant: str) -> None:
    def post(i: int) -> str:
        with live_mock.client(tenant=tenant) as client:
            return client.post(
                CRUD["pending"], json={"type": "task", "source_id": f"src-{i}"}
            ).json()["id"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(post, range(40)))
    assert len(set(ids)) == 40
    with live_mock.client(tenant=tenant) as client:
        assert (
            client.get(CRUD["pending"], params={"page_size": 200}).json()["pagination"]["total"]
            == 40
        )


def test_snapshot_round_trip_and_journal(live_mock: LiveMock, alice: httpx.Client) -> None:
    made = create(alice, "equipment")
    snapshot = live_mock.admin("/snapshot").json()
    assert any(r["id"] == made["id"] for r in snapshot["surfaces"]["edm"]["equipment"])
    alice.delete(f"{CRUD['equipment']}/{made['id']}")
    loaded = live_mock.admin("/snapshot", "PUT", json=snapshot)
    assert loaded.status_code == 200, loaded.text
    assert alice.get(f"{CRUD['equipment']}/{made['id']}").status_code == 200
    assert live_mock.admin("/snapshot", "PUT", json={"surfaces": []}).status_code == 400
    entries = live_mock.admin("/journal").json()["entries"]
    assert any(
        e["path"].endswith(made["id"]) and e["method"] == "DELETE" and e["status"] == 204
        for e in entries
    )
    assert live_mock.admin("/health").json()["status"] == "ok"
