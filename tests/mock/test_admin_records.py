"""Records added through the admin API are checked against the spec before anything is kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from understudy.mock.app import Mock
from understudy.mock.config import Config

GOOD = {"id": "tme_01HXK3Z5Q8V2N7M4B6C9D1E3F6", "tenant_id": "ten_a", "hours": 1}


@pytest.fixture(scope="module")
def client() -> TestClient:
    mock = Mock(Config(surfaces=("edm", "clockify"), demo=False))
    return mock.app.test_client(base_url="http://localhost")


def add(client: TestClient, surface: str, collections: Any) -> Any:
    body = json.dumps({"surface": surface, "collections": collections})  # \ud800 as an escape
    return client.post(
        "/__understudy/records", content=body, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    "collections, named",
    [
        ({"time_entry": [GOOD]}, "no such collection"),
        ({"time_entries": [{**GOOD, "hours": "lots"}]}, "hours: 'lots' is not of type 'number'"),
        ({"time_entries": [{k: v for k, v in GOOD.items() if k != "tenant_id"}]}, "'tenant_id'"),
        ({"time_entries": [{"hours": 1, "tenant_id": "ten_a"}]}, "needs a string 'id'"),
        ({"time_entries": [{**GOOD, "notes": "\ud800"}]}, "lone surrogate"),
        ({"time_entries": {"id": "x"}}, "must be a list"),
    ],
    ids=["unknown collection", "wrong type", "missing scope", "no id", "surrogate", "not a list"],
)
def test_a_record_the_spec_refuses_is_a_400_naming_what_is_wrong(
    client: TestClient, collections: Any, named: str
) -> None:
    answer = add(client, "edm", collections)
    assert answer.status_code == 400 and named in answer.json()["detail"], answer.text
    assert client.get("/__understudy/health").json()["records"]["edm"] == {}


def test_every_problem_is_listed(client: TestClient) -> None:
    bad = [{**GOOD, "id": f"tme_{n}", "hours": "x", "billable": "no"} for n in range(2)]
    detail = add(client, "edm", {"time_entries": bad}).json()["detail"]
    assert detail.count("'x' is not of type") == 2 and detail.count("'no' is not of type") == 2


def test_a_clockify_record_needs_its_workspace(client: TestClient) -> None:
    tag = {"id": "64a687e29ae1f428e7ebe3aa", "name": "urgent"}
    assert "workspaceId" in add(client, "clockify", {"tags": [tag]}).json()["detail"]
    tag["workspaceId"] = "64a687e29ae1f428e7ebe303"
    assert add(client, "clockify", {"tags": [tag]}).status_code == 200


def test_a_minimal_valid_record_is_kept_and_lists_still_sort(client: TestClient) -> None:
    assert add(client, "edm", {"time_entries": [GOOD]}).json()["loaded"] == 1


def test_a_snapshot_is_checked_the_same_way(client: TestClient) -> None:
    snapshot = client.get("/__understudy/snapshot").json()
    snapshot["surfaces"]["edm"]["time_entries"] = [{**GOOD, "hours": "lots"}]
    answer = client.put("/__understudy/snapshot", json=snapshot)
    assert answer.status_code == 400 and "'lots'" in answer.json()["detail"]
