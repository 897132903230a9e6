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
