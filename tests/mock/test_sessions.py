"""``X-Understudy-Session``: each session a partition seeded with the demo tenant, isolated from
the others, reset and deleted alone, expiring when idle; on every store. ``verify --session``
and the pytest plugin send the header."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveMock, running
from tests.mock.stores_kit import bearer, fresh_database, postgres_server  # noqa: F401  (fixture)
from understudy.arguments import SESSION_HEADER, session_headers
from understudy.cli import main
from understudy.mock.app import create_app
from understudy.mock.config import Config

USER = "9a8b7c6d-0000-0000-0000-000000000002"
ORG = str(uuid.uuid4())
PROJECT = str(uuid.uuid4())


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveMock]:
    store = {
        "memory": lambda: "memory",
        "sqlite": lambda: f"sqlite:///{tmp_path / 'state.db'}",
        "postgresql": lambda: fresh_database(request.getfixturevalue("postgres_server")),
    }[request.param]()
    mock = create_app(Config(store=store, surfaces=("tracker",), validate_responses=True))
    with running(mock) as live:
        yield live
    mock.close()


def entries(live: LiveMock, session: str | None) -> list[str]:
    headers = {**bearer(ORG, USER), **session_headers(session)}
    url = f"{live.root}/tracker/projects/{PROJECT}/time-entries"
    answer = httpx.get(url, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return [e["description"] for e in answer.json()]


def write(live: LiveMock, session: str | None, description: str) -> None:
    headers = {**bearer(ORG, USER), **session_headers(session)}
    url = f"{live.root}/tracker/projects/{PROJECT}/time-entries"
    body = {"userId": USER, "workDate": "2025-01-15", "minutes": 30, "description": description}
    answer = httpx.post(url, json=body, headers=headers, timeout=30)
    assert answer.status_code == 201, answer.text


def records(live: LiveMock, session: str | None) -> dict[str, int]:
    return live.admin("/health", headers=session_headers(session)).json()["records"]["tracker"]


def test_sessions_see_only_their_own_writes_and_reset_alone(live: LiveMock) -> None:
    demo = records(live, None)
    assert sum(demo.values()) > 0
    assert records(live, "run-a") == demo  # a new session starts with the demo tenant
    write(live, "run-a", "a's")
    write(live, "run-b", "b's")
    write(live, None, "no session's")
    assert entries(live, "run-a") == ["a's"]
    assert entries(live, "run-b") == ["b's"]
    assert entries(live, None) == ["no session's"]

    assert live.admin("/sessions/run-a/reset", "POST").status_code == 204
    assert entries(live, "run-a") == [] and records(live, "run-a") == demo
    assert entries(live, "run-b") == ["b's"] and entries(live, None) == ["no session's"]

    listed = live.admin("/sessions").json()["sessions"]
    assert [s["name"] for s in listed] == ["run-a", "run-b"]
    assert listed[1]["records"]["tracker"] == sum(demo.values()) + 1
    assert live.admin("/sessions/run-b", "DELETE").status_code == 204
    assert [s["name"] for s in live.admin("/sessions").json()["sessions"]] == ["run-a"]
    assert live.admin("/sessions/run-b", "DELETE").status_code == 404
    assert live.admin("/sessions/nobody/reset", "POST").status_code == 404
    assert entries(live, "run-b") == []  # used again: a fresh session


@pytest.mark.parametrize("name", ["", "a b", "a/b", "x" * 101, "-lead", "caf\xc3\xa9"])
def test_a_bad_session_name_is_a_400_that_opens_nothing(flask_mock: LiveMock, name: str) -> None:
    url = f"{flask_mock.url}/api/v1/work/time-entries"
    headers = {**flask_mock.headers(), SESSION_HEADER: name.encode("latin-1")}
    answer = httpx.get(url, headers=headers, timeout=30)
    assert answer.status_code == 400, answer.text
    assert SESSION_HEADER in answer.json()["detail"]
    assert answer.headers["content-type"].startswith("application/problem+json")
    sessions = flask_mock.admin("/sessions").json()["sessions"]
    assert all(s["name"] != name.strip() for s in sessions)


def test_idle_sessions_expire() -> None:
    mock = create_app(Config(surfaces=("tracker",), session_ttl=1))
    with running(mock) as live:
        write(live, "idle", "kept a while")
        assert [s["name"] for s in live.admin("/sessions").json()["sessions"]] == ["idle"]
        time.sleep(1.5)
        write(live, "busy", "sweeps the idle one")
        assert [s["name"] for s in live.admin("/sessions").json()["sessions"]] == ["busy"]


def test_verify_runs_in_the_session_it_names(flask_mock: LiveMock) -> None:
    """``verify --session NAME`` writes into that session only; ``new`` names a fresh one."""
    token = flask_mock.token(sub=USER, tenant=ORG)
    before = records(flask_mock, None)
    demo = records(flask_mock, f"untouched-{uuid.uuid4().hex}")  # what a session starts with
    name = f"ci-{uuid.uuid4().hex}"
    command = ["verify", "--surface", "tracker", "--base-url", flask_mock.root + "/tracker"]
    command += ["--token", token, "--check", "idempotency", "--phase", "examples", "--quiet"]
    assert main([*command, "--session", name]) == 0
    sessions = {s["name"]: s for s in flask_mock.admin("/sessions").json()["sessions"]}
    assert sessions[name]["records"]["tracker"] > sum(demo.values())  # it wrote there
    assert records(flask_mock, None) == before  # and nowhere else
    fresh = session_headers("new")[SESSION_HEADER]
    assert fresh.startswith("run-") and fresh != session_headers("new")[SESSION_HEADER]
    assert session_headers(None) == {}
