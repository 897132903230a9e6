"""End-to-end: the tracker surface (tracker-log-time-entry.txt) on a real server."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveMock, running
from understudy import specs
from understudy.mock.app import create_app
from understudy.mock.config import Config

USER = "9a8b7c6d-0000-0000-0000-000000000002"


@pytest.fixture(scope="module")
def spec_path_mock() -> Iterator[LiveMock]:
    """The tracker's spec served as a team's own would be: ``understudy serve PATH``."""
    path = str(specs.SPEC_DIR / "tracker" / "tracker.yaml")
    config = Config(specs=(path,), prefixes=("/tracker",), validate_responses=True)
    with running(create_app(config)) as live:
        yield live


@pytest.fixture(params=["flask", "async", "spec-path"])
def live_mock(request: pytest.FixtureRequest) -> LiveMock:
    """Every test here runs on FlaskApp, on AsyncApp, and with the spec served by path (its
    declarations behave exactly as the built-in surface's)."""
    name = "spec_path" if request.param == "spec-path" else request.param
    return request.getfixturevalue(f"{name}_mock")


@pytest.fixture
def org() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def project() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def client(live_mock: LiveMock, org: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {live_mock.token(sub=USER, tenant=org)}"}
    with httpx.Client(base_url=live_mock.root + "/tracker", headers=headers, timeout=30) as c:
        yield c


def entry(**fields: Any) -> dict[str, Any]:
    return {"userId": USER, "workDate": "2025-01-15", **fields}


def test_create_is_a_draft_stamped_from_the_credentials(
    client: httpx.Client, org: str, project: str
) -> None:
    response = client.post(
        f"/projects/{project}/time-entries", json=entry(minutes=150, description="Login")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "draft" and body["source"] == "api" and body["invoiced"] is False
    assert body["organizationId"] == org and body["projectId"] == project and body["userId"] == USER
    assert body["hours"] == "2.5" and body["minutes"] == 150
    assert body["entryId"] is None and body["releaseId"] is None and body["billable"] is False
    assert body["createdAt"] == body["updatedAt"]
    read = client.get(f"/projects/{project}/time-entries/{body['id']}")
    assert read.json() == body


@pytest.mark.parametrize(
    ("sent", "minutes", "hours"),
    [
        ({"minutes": 150}, 150, "2.5"),
        ({"hours": "2.5"}, 150, "2.5"),
        ({"hours": "1"}, 60, "1"),
        ({"hours": "0.25"}, 15, "0.25"),
        ({"hours": "0.3333"}, 20, "0.333333"),  # rounded to whole minutes
        ({"hours": "24"}, 1440, "24"),
        ({"minutes": 30, "hours": "2.5"}, 30, "0.5"),  # minutes takes precedence
        ({"minutes": 1}, 1, "0.016667"),
    ],
    ids=lambda v: str(v) if not isinstance(v, dict) else "+".join(f"{k}={x}" for k, x in v.items()),
)
def test_minutes_and_hours_stay_consistent(
    client: httpx.Client, project: str, sent: dict[str, Any], minutes: int, hours: str
) -> None:
    body = client.post(f"/projects/{project}/time-entries", json=entry(**sent)).json()
    assert (body["minutes"], body["hours"]) == (minutes, hours)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (entry(), 400),  # neither minutes nor hours
        ({"workDate": "2025-01-15", "minutes": 5}, 400),  # no userId
        ({"userId": USER, "minutes": 5}, 400),  # no workDate
        (entry(minutes=0), 400),
        (entry(minutes=1441), 400),
        (entry(minutes=2.5), 400),
        (entry(hours="2,5"), 400),
        (entry(hours=2.5), 400),  # hours is a decimal *string*
        (entry(hours="0.001"), 422),  # rounds to 0 minutes
        (entry(hours="24.5"), 422),  # more than 1440 minutes
        (entry(minutes=5, userId="not-a-uuid"), 400),
        (entry(minutes=5, workDate="2025-02-30"), 400),
        (entry(minutes=5, entryId="nope"), 400),
        (entry(minutes=5, billable="yes"), 400),
        (
            entry(minutes=5, externalRef={"provider": "", "externalType": "t", "externalId": "1"}),
            400,
        ),
        (entry(minutes=5, externalRef={"provider": "jira", "externalType": "t"}), 400),
    ],
    ids=lambda v: str(v) if isinstance(v, int) else None,
)
def test_validation_bounds(
    client: httpx.Client, project: str, body: dict[str, Any], status: int
) -> None:
    response = client.post(f"/projects/{project}/time-entries", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_bad_project_id_and_unknown_entry(client: httpx.Client, project: str) -> None:
    assert (
        client.post("/projects/not-a-uuid/time-entries", json=entry(minutes=5)).status_code == 400
    )
    assert client.get(f"/projects/{project}/time-entries/{uuid.uuid4()}").status_code == 404


def test_idempotent_replay(client: httpx.Client, project: str) -> None:
    url = f"/projects/{project}/time-entries"
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(url, json=entry(minutes=45), headers=headers)
    again = client.post(url, json=entry(minutes=45), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert client.get(url).headers["X-Total-Count"] == "1"
    other_path = client.post(
        f"/projects/{uuid.uuid4()}/time-entries", json=entry(minutes=45), headers=headers
    )
    assert other_path.status_code == 201 and other_path.json()["id"] != first.json()["id"]


def test_key_reuse_with_another_body_is_refused(client: httpx.Client, project: str) -> None:
    url = f"/projects/{project}/time-entries"
    client.post(url, json=entry(minutes=45), headers={"Idempotency-Key": "k"})
    reused = client.post(url, json=entry(minutes=46), headers={"Idempotency-Key": "k"})
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
    assert client.get(url).headers["X-Total-Count"] == "1"


def test_concurrent_requests_with_one_key_create_one_entry(
    live_mock: LiveMock, client: httpx.Client, project: str
) -> None:
    url = f"/projects/{project}/time-entries"

    def post(_: int) -> tuple[int, str]:
        response = client.post(url, json=entry(minutes=90), headers={"Idempotency-Key": "burst"})
        return response.status_code, response.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(post, range(20)))
    assert {status for status, _ in results} == {201}
    assert len({entry_id for _, entry_id in results}) == 1
    assert client.get(url).headers["X-Total-Count"] == "1"


def test_upsert_by_external_ref(client: httpx.Client, project: str) -> None:
    url = f"/projects/{project}/time-entries"
    ref = {"provider": "jira", "externalType": "worklog", "externalId": "10042"}
    created = client.post(url, json=entry(minutes=30, externalRef=ref))
    assert created.status_code == 201
    updated = client.post(url, json=entry(hours="1.5", description="More", externalRef=ref))
    assert updated.status_code == 200
    body = updated.json()
    assert body["id"] == created.json()["id"] and (body["minutes"], body["hours"]) == (90, "1.5")
    assert body["description"] == "More" and body["createdAt"] == created.json()["createdAt"]
    assert body["updatedAt"] > created.json()["updatedAt"]
    other = client.post(url, json=entry(minutes=30, externalRef={**ref, "externalId": "10043"}))
    assert other.status_code == 201
    elsewhere = client.post(
        f"/projects/{uuid.uuid4()}/time-entries", json=entry(minutes=30, externalRef=ref)
    )
    assert elsewhere.status_code == 201  # the reference is unique per project
    assert client.get(url).headers["X-Total-Count"] == "2"


def test_list_filters_and_pages(client: httpx.Client, project: str) -> None:
    url = f"/projects/{project}/time-entries"
    for day in (13, 14, 15):
        client.post(url, json=entry(minutes=day, workDate=f"2025-01-{day}"))
    client.post(url, json=entry(minutes=5, userId=str(uuid.uuid4())))
    assert client.get(url).headers["X-Total-Count"] == "4"
    assert len(client.get(url, params={"userId": USER}).json()) == 3
    ranged = client.get(
        url, params={"workDate_from": "2025-01-14", "workDate_to": "2025-01-14"}
    ).json()
    assert [e["minutes"] for e in ranged] == [14]
    page = client.get(url, params={"pageSize": 3, "page": 2})
    assert len(page.json()) == 1 and page.headers["X-Total-Count"] == "4"


def test_organizations_are_isolated(
    live_mock: LiveMock, client: httpx.Client, project: str
) -> None:
    url = f"/projects/{project}/time-entries"
    mine = client.post(url, json=entry(minutes=5), headers={"Idempotency-Key": "shared-key"}).json()
    other_token = live_mock.token(sub=USER, tenant=str(uuid.uuid4()))
    with httpx.Client(
        base_url=live_mock.root + "/tracker", headers={"Authorization": f"Bearer {other_token}"}
    ) as other:
        assert other.get(f"{url}/{mine['id']}").status_code == 404
        assert other.get(url).json() == []
        theirs = other.post(url, json=entry(minutes=5), headers={"Idempotency-Key": "shared-key"})
        assert theirs.status_code == 201 and theirs.json()["id"] != mine["id"]
        assert "Idempotent-Replayed" not in theirs.headers


def test_missing_token_is_401(live_mock: LiveMock, project: str) -> None:
    response = httpx.post(
        f"{live_mock.root}/tracker/projects/{project}/time-entries", json=entry(minutes=5)
    )
    assert response.status_code == 401
