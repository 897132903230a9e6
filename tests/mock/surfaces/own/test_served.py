"""End-to-end: third-party OpenAPI documents (tests/data/specs, see SOURCES.md) served with
`understudy serve PATH` on a real server with response validation on — what a client writes
it reads back, lists, updates and deletes, by REST convention alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveMock, running
from tests.mock.stores_kit import Served, serve  # noqa: F401  (fixture)
from understudy.arguments import session_headers
from understudy.mock.app import create_app
from understudy.mock.config import Config

SPECS = Path(__file__).parents[3] / "data" / "specs"


@dataclass(frozen=True)
class Case:
    file: str
    secured: bool  # whether its operations ask for credentials
    collection: str  # the collection's path
    body: dict[str, Any]
    listed: Callable[[Any], list[dict[str, Any]]]  # the records of a list answer
    update: tuple[str, dict[str, Any]] | None  # (method, body); None: the spec has no update
    deleted: int  # the delete's declared success status
    list_query: dict[str, Any]


CASES = [
    Case(
        "petstore-expanded.yaml",
        False,
        "/pets",
        {"name": "Rex", "tag": "dog"},
        lambda body: body,
        None,  # the OAI document has no update operation
        204,
        {"limit": 100},
    ),
    Case(
        "galaxy.yaml",
        True,
        "/planets",
        {"name": "Kepler-442b", "description": "A super-Earth"},
        lambda body: body["data"],
        ("PUT", {"name": "Kepler-442c", "description": None}),
        204,
        {"limit": 100},
    ),
    Case(
        "figma.yaml",
        True,
        "/v2/webhooks",
        {
            "event_type": "FILE_UPDATE",
            "endpoint": "https://hooks.example.com/figma",
            "passcode": "s3cret",
            "context": "team",
            "context_id": "1234",
        },
        lambda body: body["webhooks"],
        (
            "PUT",
            {
                "event_type": "FILE_COMMENT",
                "team_id": "1234",
                "endpoint": "https://hooks.example.com/v2",
                "passcode": "s3cret",
            },
        ),
        200,
        {},
    ),
]


@pytest.fixture(scope="module", params=CASES, ids=[c.file for c in CASES])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Case, LiveMock]]:
    case: Case = request.param
    config = Config(specs=(str(SPECS / case.file),), prefixes=("/api",), validate_responses=True)
    with running(create_app(config)) as live:
        yield case, live


def demo_headers(live: LiveMock) -> dict[str, str]:
    """The credentials the mock publishes for the served spec (any other value is a 401)."""
    (entry,) = live.admin("/credentials").json().values()
    return dict(entry.get("headers") or {})


@pytest.fixture
def client(served: tuple[Case, LiveMock]) -> Iterator[httpx.Client]:
    _, live = served
    with httpx.Client(base_url=live.root + "/api", headers=demo_headers(live), timeout=30) as c:
        yield c


def test_create_read_list_update_delete_gone(
    served: tuple[Case, LiveMock], client: httpx.Client
) -> None:
    case, _ = served
    created = client.post(case.collection, json=case.body)
    assert created.status_code in (200, 201), created.text
    record = created.json()
    assert {k: record[k] for k in case.body} == case.body
    item = f"{case.collection}/{record['id']}"
    assert client.get(item).json() == record
    listed = client.get(case.collection, params=case.list_query)
    assert listed.status_code == 200, listed.text
    assert record["id"] in [r["id"] for r in case.listed(listed.json())]
    if case.update:
        method, changes = case.update
        updated = client.request(method, item, json=changes)
        assert updated.status_code == 200, updated.text
        assert client.get(item).json() == updated.json()
        # what the update body declares is set (Figma's PUT requires a team_id it does not
        # declare: that one is not the client's to change)
        kept = {k: v for k, v in changes.items() if k != "team_id"}
        assert {k: updated.json().get(k) for k in kept} == kept
    deleted = client.delete(item)
    assert deleted.status_code == case.deleted, deleted.text
    gone = client.get(item)
    assert gone.status_code == 404
    listed = client.get(case.collection, params=case.list_query)
    assert record["id"] not in [r["id"] for r in case.listed(listed.json())]


def test_starts_with_generated_records_that_validate(
    served: tuple[Case, LiveMock], client: httpx.Client
) -> None:
    case, _ = served
    listed = client.get(case.collection, params=case.list_query)  # validated by the server
    assert listed.status_code == 200, listed.text
    assert len(case.listed(listed.json())) >= 5


def test_invalid_body_is_a_400_in_the_declared_shape(
    served: tuple[Case, LiveMock], client: httpx.Client
) -> None:
    case, _ = served
    answer = client.post(case.collection, json={"name": 42})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith(("application/json", "application/problem"))
    assert "400" in answer.text


@pytest.mark.parametrize("presented", ["none", "wrong"])
def test_credentials_the_spec_requires_must_be_the_published_ones(
    served: tuple[Case, LiveMock], presented: str
) -> None:
    case, live = served
    headers = demo_headers(live)
    assert bool(headers) == case.secured
    if not case.secured:
        pytest.skip("the document declares no security")
    wrong = {name: "Bearer nope" if name == "Authorization" else "nope" for name in headers}
    answer = httpx.post(
        f"{live.root}/api{case.collection}",
        json=case.body,
        headers=wrong if presented == "wrong" else {},
        timeout=30,
    )
    assert answer.status_code == 401
    assert "401" in answer.text


def test_operations_no_collection_backs_answer_their_example() -> None:
    from starlette.testclient import TestClient

    from understudy.mock import demo

    mock = create_app(Config(specs=(str(SPECS / "galaxy.yaml"),), validate_responses=True))
    headers = demo.credentials(mock)["galaxy"]["headers"]
    with TestClient(mock.app) as c:
        answer = c.get("/galaxy/me", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Marc"  # the schema's own example


def test_a_path_number_past_pythons_digit_limit_is_refused_not_a_500() -> None:
    from starlette.testclient import TestClient

    from understudy.mock import demo

    mock = create_app(Config(specs=(str(SPECS / "galaxy.yaml"),)))
    headers = demo.credentials(mock)["galaxy"]["headers"]
    with TestClient(mock.app, raise_server_exceptions=False) as c:
        answer = c.get("/galaxy/planets/" + "9" * 5000, headers=headers)
    assert answer.status_code == 404  # the operation documents no 400 (mock.documented)
    assert "too long" in answer.json()["detail"]


@pytest.fixture(scope="module")
def figma() -> Iterator[Any]:
    """Figma's document on an in-process client, with response validation on."""
    from starlette.testclient import TestClient

    from understudy.mock import demo

    mock = create_app(Config(specs=(str(SPECS / "figma.yaml"),), validate_responses=True))
    headers = demo.credentials(mock)["figma"]["headers"]
    with TestClient(mock.app, headers=headers, raise_server_exceptions=False) as c:
        yield c


def test_a_delete_answers_the_shape_its_spec_declares(figma: Any) -> None:
    """Figma's DELETE of a comment answers {status, error}, not the deleted comment."""
    made = figma.post("/figma/v1/files/abc/comments", json={"message": "hello"})
    assert made.status_code == 200, made.text
    gone = figma.delete(f"/figma/v1/files/abc/comments/{made.json()['id']}")
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"status": 200, "error": False}
    listed = figma.get("/figma/v1/files/abc/comments").json()["comments"]
    assert made.json()["id"] not in [c["id"] for c in listed]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/figma/v2/webhooks/a%01b", 404),  # a schema-valid id that names no webhook
        ("/figma/v1/files/a%09b/images", 200),  # answered from its example, as any key is
        ("/figma/v2/webhooks/a%0Ab", 400),  # a line feed: Starlette's mounts cannot route it
        ("/figma/v2/webhooks/a%00b", 400),  # a NUL: no store's text holds one
    ],
    ids=["control-character-id", "control-character-key", "line-feed", "nul"],
)
def test_control_characters_in_a_path_reach_the_operation_but_nul_and_line_feed(
    figma: Any, path: str, status: int
) -> None:
    answer = figma.get(path)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")


def test_a_multipart_operation_takes_no_body_without_a_content_type() -> None:
    """connexion assumes the operation's multipart/form-data, whose parser needs the
    boundary a Content-Type gives: it raised KeyError (a 500)."""
    from starlette.testclient import TestClient

    from understudy.mock import demo

    mock = create_app(Config(specs=(str(SPECS / "galaxy.yaml"),), validate_responses=True))
    headers = demo.credentials(mock)["galaxy"]["headers"]
    with TestClient(mock.app, headers=headers, raise_server_exceptions=False) as c:
        planet = c.get("/galaxy/planets").json()["data"][0]["id"]
        image = f"/galaxy/planets/{planet}/image"
        assert c.post(image).status_code == 200  # the body is optional: an empty form
        refused = c.post(image, content=b"--x\r\n")
        assert refused.status_code == 400 and "Content-Type" in refused.json()["detail"]
        assert c.post(image, files={"image": ("mars.png", b"\x89PNG")}).status_code == 200


def test_on_sqlite_its_records_outlive_a_restart_and_sessions_stay_apart(
    tmp_path: Path,
    serve: Callable[..., Served],  # noqa: F811
) -> None:
    """``understudy serve PATH --store sqlite:///…`` in its own process: what each session
    (and the shared default) wrote is there after a restart, and each sees only its own."""
    store = f"sqlite:///{tmp_path / 'state.db'}"
    served = (str(SPECS / "petstore-expanded.yaml"), "--prefix", "/api", "--validate-responses")

    def pets(server: Served, session: str | None) -> set[str]:
        answer = httpx.get(
            f"{server.root}/api/pets",
            params={"limit": 100},
            headers=session_headers(session),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return {pet["name"] for pet in answer.json()}

    first = serve(store, extra=served)
    seeded = pets(first, None)
    for session, name in [(None, "Shared"), ("qa-a", "Rex"), ("qa-b", "Tom")]:
        body = {"name": name, "tag": "test"}
        answer = httpx.post(
            f"{first.root}/api/pets", json=body, headers=session_headers(session), timeout=30
        )
        assert answer.status_code in (200, 201), answer.text
    first.stop()
    again = serve(store, extra=served)
    assert pets(again, None) == seeded | {"Shared"}
    assert pets(again, "qa-a") == seeded | {"Rex"}  # seeded alike on first use, then its own
    assert pets(again, "qa-b") == seeded | {"Tom"}
