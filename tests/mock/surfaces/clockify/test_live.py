"""The Clockify-style surface over HTTP, as a third-party Clockify client uses it with only its
base URL changed (``https://api.clockify.me/api/v1`` → ``<mock>/clockify/api/v1``): who am I,
my workspaces, projects, start a timer, see it running, stop it, list my entries, report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveMock


@pytest.fixture(scope="module")
def demo(live_mock: LiveMock) -> dict[str, Any]:
    return dict(live_mock.admin("/credentials").json()["clockify"])


@pytest.fixture
def api(live_mock: LiveMock, demo: dict[str, Any]) -> Iterator[httpx.Client]:
    headers = {"X-Api-Key": demo["api_key"]}
    with httpx.Client(base_url=live_mock.root + "/clockify/api/v1", headers=headers) as client:
        yield client


def test_a_client_tracks_time_with_only_its_base_url_changed(
    live_mock: LiveMock, api: httpx.Client, demo: dict[str, Any]
) -> None:
    me = api.get("/user").json()
    assert me["id"] == demo["userId"] and me["status"] == "ACTIVE"
    workspace = me["activeWorkspace"]
    assert workspace in {w["id"] for w in api.get("/workspaces").json()}
    projects = api.get(f"/workspaces/{workspace}/projects", params={"page-size": 200}).json()
    project = projects[0]
    assert project["workspaceId"] == workspace

    started = api.post(
        f"/workspaces/{workspace}/time-entries",
        json={"start": "2026-03-02T09:00:00Z", "projectId": project["id"], "description": "Mock"},
    )
    assert started.status_code == 201, started.text
    entry = started.json()
    assert entry["timeInterval"]["end"] is None and entry["timeInterval"]["duration"] is None
    running = api.get(f"/workspaces/{workspace}/time-entries/status/in-progress").json()
    assert [e["id"] for e in running if e["userId"] == me["id"]] == [entry["id"]]

    stopped = api.patch(
        f"/workspaces/{workspace}/user/{me['id']}/time-entries",
        json={"end": "2026-03-02T10:30:00Z"},
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["timeInterval"]["duration"] == "PT1H30M"
    mine = api.get(
        f"/workspaces/{workspace}/user/{me['id']}/time-entries",
        params={"start": "2026-03-02T00:00:00Z", "end": "2026-03-03T00:00:00Z"},
    ).json()
    assert entry["id"] in {e["id"] for e in mine}

    report = httpx.post(
        f"{live_mock.root}/clockify/reports/v1/workspaces/{workspace}/reports/summary",
        headers=api.headers,
        json={
            "dateRangeStart": "2026-03-02T00:00:00Z",
            "dateRangeEnd": "2026-03-02T23:59:59Z",
            "summaryFilter": {"groups": ["PROJECT"]},
        },
    )
    assert report.status_code == 200, report.text
    assert report.json()["totals"][0]["totalTime"] >= 5400


def test_errors_a_client_meets(
    live_mock: LiveMock, api: httpx.Client, demo: dict[str, Any]
) -> None:
    base = live_mock.root + "/clockify/api/v1"
    assert httpx.get(base + "/user").status_code == 401
    assert httpx.get(base + "/user", headers={"X-Api-Key": "nope"}).status_code == 401
    # a presented credential that is not valid is refused, whatever else the request carries
    mixed = {"X-Api-Key": demo["api_key"], "X-Marketplace-Token": "forged"}
    assert httpx.get(base + "/user", headers=mixed).status_code == 401
    foreign = api.get(f"/workspaces/{'f' * 24}/projects")
    assert foreign.status_code == 403 and {"message", "code"} <= set(foreign.json())
    workspace = demo["workspaceId"]
    assert api.get(f"/workspaces/{workspace}/projects/{'0' * 24}").status_code == 404
    malformed = api.post(
        "/file/image",
        content=b"--x\r\nContent-Disposition[: form-data\r\n\r\nabc\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert malformed.status_code == 400 and "multipart" in malformed.json()["message"]
    bad = api.post(f"/workspaces/{workspace}/time-entries", json={"projectId": "0" * 24})
    assert bad.status_code == 400 and bad.json()["code"]


def test_an_expense_receipt_round_trips_as_uploaded(either_app: LiveMock) -> None:
    demo = either_app.admin("/credentials").json()["clockify"]
    workspace, user = demo["workspaceId"], demo["userId"]
    base = either_app.root + "/clockify/api/v1"
    api = httpx.Client(base_url=base, headers={"X-Api-Key": demo["api_key"]})
    project = api.get(f"/workspaces/{workspace}/projects").json()[0]
    category = api.post(
        f"/workspaces/{workspace}/expenses/categories", json={"name": "Receipts test"}
    ).json()
    receipt = b"%PDF-1.4 a receipt\n"
    form = {
        "amount": "12.5",
        "categoryId": category["id"],
        "date": "2026-03-02T00:00:00Z",
        "projectId": project["id"],
        "userId": user,
    }
    created = api.post(
        f"/workspaces/{workspace}/expenses",
        data=form,
        files={"file": ("receipt.pdf", receipt, "application/pdf")},
    )
    assert created.status_code == 201, created.text
    expense = created.json()
    download = api.get(
        f"/workspaces/{workspace}/expenses/{expense['id']}/files/{expense['fileId']}"
    )
    assert download.status_code == 200
    assert download.content == receipt and download.headers["content-type"] == "application/pdf"


def test_a_client_session_creates_tracks_lists_updates_and_deletes(
    api: httpx.Client, demo: dict[str, Any]
) -> None:
    ws, me = demo["workspaceId"], demo["userId"]
    client = api.post(f"/workspaces/{ws}/clients", json={"name": "Session client"})
    assert client.status_code == 201, client.text
    project = api.post(
        f"/workspaces/{ws}/projects",
        json={"name": "Session project", "clientId": client.json()["id"], "billable": True},
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    assert project.json()["clientName"] == "Session client"
    task = api.post(f"/workspaces/{ws}/projects/{project_id}/tasks", json={"name": "Session task"})
    assert task.status_code == 201, task.text
    tag = api.post(f"/workspaces/{ws}/tags", json={"name": "Session tag"})
    assert tag.status_code == 201, tag.text
    entry = {
        "projectId": project_id,
        "taskId": task.json()["id"],
        "tagIds": [tag.json()["id"]],
        "description": "Session work",
    }
    ids = []
    for day in ("03", "04", "05"):  # three finished entries and then a running timer
        body = {**entry, "start": f"2031-03-{day}T09:00:00Z", "end": f"2031-03-{day}T11:00:00Z"}
        created = api.post(f"/workspaces/{ws}/time-entries", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["timeInterval"]["duration"] == "PT2H"
        ids.append(created.json()["id"])
    timer = api.post(
        f"/workspaces/{ws}/time-entries", json={**entry, "start": "2031-03-06T09:00:00Z"}
    )
    assert timer.status_code == 201 and timer.json()["timeInterval"]["end"] is None
    stopped = api.patch(
        f"/workspaces/{ws}/user/{me}/time-entries", json={"end": "2031-03-06T09:45:00Z"}
    )
    assert stopped.json()["id"] == timer.json()["id"]
    assert stopped.json()["timeInterval"]["duration"] == "PT45M"

    listing = f"/workspaces/{ws}/user/{me}/time-entries"
    mine = {"project": project_id, "start": "2031-03-01T00:00:00Z", "end": "2031-03-31T00:00:00Z"}
    everything = api.get(listing, params=mine).json()
    assert [e["id"] for e in everything] == [timer.json()["id"], *reversed(ids)]  # newest first
    first = api.get(listing, params={**mine, "page": 1, "page-size": 3}).json()
    second = api.get(listing, params={**mine, "page": 2, "page-size": 3}).json()
    assert [e["id"] for e in first + second] == [e["id"] for e in everything]
    tagged = api.get(listing, params={**mine, "tags": tag.json()["id"], "description": "session"})
    assert len(tagged.json()) == 4

    updated = api.put(
        f"/workspaces/{ws}/time-entries/{ids[0]}",
        json={
            "start": "2031-03-03T09:00:00Z",
            "end": "2031-03-03T12:30:00Z",
            "description": "Longer",
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["timeInterval"]["duration"] == "PT3H30M"
    assert updated.json()["description"] == "Longer"
    assert api.delete(f"/workspaces/{ws}/time-entries/{ids[0]}").status_code in (200, 204)
    assert api.get(f"/workspaces/{ws}/time-entries/{ids[0]}").status_code == 404
    assert ids[0] not in {e["id"] for e in api.get(listing, params=mine).json()}

    # what a client gets wrong is a 400 in Clockify's shape, and nothing is stored
    before = len(api.get(listing, params=mine).json())
    foreign_tag = {**entry, "start": "2031-03-07T09:00:00Z", "tagIds": ["0" * 24]}
    refused = api.post(f"/workspaces/{ws}/time-entries", json=foreign_tag)
    assert refused.status_code == 400 and set(refused.json()) == {"message", "code"}
    assert len(api.get(listing, params=mine).json()) == before


def test_the_created_feed_shows_the_demo_weeks(api: httpx.Client, demo: dict[str, Any]) -> None:
    """The demo's dates move to the present week; its entries were created when they were
    tracked, so a feed of the last days lists them (dated by their ObjectIds, from the time
    the tenant was generated, it listed none)."""
    from datetime import UTC, datetime, timedelta

    workspace, now = demo["workspaceId"], datetime.now(UTC)
    start = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    feed = api.get(
        f"/workspaces/{workspace}/entities/created",
        params={"type": "TIME_ENTRY", "start": start, "page-size": 1000},
    ).json()
    mine = api.get(
        f"/workspaces/{workspace}/user/{demo['userId']}/time-entries",
        params={"start": start, "page-size": 1000},
    ).json()
    tracked = {e["id"] for e in mine if (e["timeInterval"]["end"] or "9") >= start}
    assert tracked and tracked <= {d["id"] for d in feed}
    assert all(start <= d["auditMetadata"]["createdAt"] for d in feed)
