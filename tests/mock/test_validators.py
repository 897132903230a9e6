"""Request bodies and parameters over HTTP: what JSON and the surface do not allow is a 400 in
the surface's own shape, and stores nothing — the tenant's lists and the snapshot still work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import connexion
import httpx
import pytest
from connexion.resolver import Resolution, Resolver

from tests.conftest import LiveMock
from understudy.mock import validators

HOSTILE = {
    "lone surrogate": '"\\ud800"',
    "NaN": "NaN",
    "Infinity": "Infinity",
    "1e400": "1e400",
    "5000-digit integer": "9" * 5000,
    "deep nesting": "[" * 5000 + "]" * 5000,
    "instant beyond year 9999 in UTC": '"9999-12-31T23:59:59-23:59"',
}
TRACKER_USER = "9a8b7c6d-0000-4000-8000-000000000002"


@pytest.fixture(scope="module")
def targets(live_mock: LiveMock) -> Iterator[dict[str, tuple[httpx.Client, str, str, str]]]:
    found = _targets(live_mock)
    yield found
    for client, *_ in found.values():
        client.close()


def _targets(live: LiveMock) -> dict[str, tuple[httpx.Client, str, str, str]]:
    """surface → (client, create path, list path, a text field the create takes)."""
    demo = live.admin("/credentials").json()["clockify"]
    clockify = httpx.Client(
        base_url=f"{live.root}/clockify/api/v1/workspaces/{demo['workspaceId']}",
        headers={"X-Api-Key": demo["api_key"]},
        timeout=30,
    )
    org, project = str(uuid.uuid4()), str(uuid.uuid4())
    tracker = httpx.Client(
        base_url=live.root + "/tracker",
        headers=live.headers(sub=TRACKER_USER, tenant=org),
        timeout=30,
    )
    entries = f"/projects/{project}/time-entries"
    return {
        "edm": (live.client(), "/api/v1/work/time-entries", "/api/v1/work/time-entries", "notes"),
        "tracker": (tracker, entries, entries, "description"),
        "clockify entry": (
            clockify,
            "/time-entries",
            f"/user/{demo['userId']}/time-entries",
            "description",
        ),
        "clockify project": (clockify, "/projects", "/projects", "name"),
    }


BASE = {
    "edm": {"hours": 1, "date": "2026-01-05T00:00:00Z"},
    "tracker": {"userId": TRACKER_USER, "workDate": "2025-01-15", "minutes": 30},
    "clockify entry": {"start": "2026-03-02T09:00:00Z", "end": "2026-03-02T10:00:00Z"},
    "clockify project": {},
}


INSTANT_FIELD = {"edm": "date", "tracker": "workDate", "clockify entry": "start"}
CASES = [
    pytest.param(surface, value, id=f"{name}-{surface}")
    for name, value in HOSTILE.items()
    for surface in BASE
    if "9999" not in value or surface in INSTANT_FIELD  # a project has no instant
]


@pytest.mark.parametrize("surface, value", CASES)
def test_a_value_json_or_the_surface_cannot_hold_is_a_400_and_stores_nothing(
    live_mock: LiveMock,
    targets: dict[str, tuple[httpx.Client, str, str, str]],
    surface: str,
    value: str,
) -> None:
    client, create, listing, field = targets[surface]
    before = client.get(listing)
    assert before.status_code == 200
    base = dict(BASE[surface])
    if surface == "clockify project":
        base["name"] = f"p-{uuid.uuid4().hex[:8]}"
    if "9999" in value:
        field = INSTANT_FIELD[surface]
        base.pop(field, None)
    raw = _with_raw(base, field, value)
    answer = client.post(create, content=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    shaped = answer.json()
    assert ("message" in shaped) if surface.startswith("clockify") else (shaped["status"] == 400)
    after = client.get(listing)
    assert after.status_code == 200 and after.json() == before.json()
    assert live_mock.admin("/snapshot").status_code == 200


def _with_raw(base: dict[str, Any], field: str, raw_value: str) -> bytes:
    import json

    text = json.dumps(base)
    inner = text[1:-1]
    return ("{" + (inner + ", " if inner else "") + f'"{field}": {raw_value}' + "}").encode()


@pytest.mark.parametrize("code", [420, 499, 520, 599])
def test_an_unregistered_injected_status_is_answered_in_shape(
    live_mock: LiveMock, code: int
) -> None:
    with live_mock.client() as client:
        answer = client.get("/api/v1/work/time-entries", headers={"Prefer": f"code={code}"})
    assert answer.status_code == code and answer.json()["status"] == code


@pytest.mark.parametrize("content_type", [None, ""], ids=["no Content-Type", "empty"])
def test_a_clockify_body_without_a_content_type_is_a_415_and_stores_nothing(
    targets: dict[str, tuple[httpx.Client, str, str, str]],
    content_type: str | None,
) -> None:
    client = targets["clockify project"][0]
    before = client.get("/tags").json()
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = client.post("/tags", content=b'{"name": "typeless"}', headers=headers)
    assert answer.status_code == 415 and answer.json()["code"] == 415, answer.text
    assert client.get("/tags").json() == before


_COUNT_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/count/{n}": {
            "get": {
                "operationId": "count",
                "parameters": [
                    {"name": "n", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["n"],
                                    "properties": {"n": {"type": "integer"}},
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}


async def _count(n: str) -> dict[str, Any]:
    return {"n": int(n) if n.isdigit() else n}  # a word is a lie: the schema says integer


class _Resolver(Resolver):
    def resolve(self, operation: Any) -> Resolution:
        return Resolution(_count, "count")


@pytest.mark.filterwarnings("ignore")
def test_a_response_schema_is_compiled_once_and_still_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(validators, "_compiled", {})
    app = connexion.AsyncApp(__name__)
    app.add_api(
        _COUNT_SPEC,
        resolver=_Resolver(),
        validator_map=validators.VALIDATOR_MAP,
        validate_responses=True,
    )
    client = app.test_client()
    for n in ("1", "2", "3"):
        assert client.get(f"/count/{n}").json() == {"n": int(n)}
    assert client.get("/count/three").status_code == 500  # the response does not conform
    compiled = [key for key in validators._compiled if key[1] is validators.Draft4ResponseValidator]
    assert len(compiled) == 1  # one schema, compiled for the first response only
