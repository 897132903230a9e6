"""The guard in front of every surface: size limits and the last-resort 500, in shape."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from understudy.mock.app import Mock
from understudy.mock.config import Config

ENTRIES = "/edm/api/v1/work/time-entries"


@pytest.fixture(scope="module")
def mock() -> Mock:
    return Mock(Config(surfaces=("edm", "clockify"), demo=False, max_header=8000, max_url=2000))


@pytest.fixture
def client(mock: Mock) -> TestClient:
    return mock.app.test_client(base_url="http://localhost")


def test_oversized_headers_are_a_431_in_the_surface_shape(client: TestClient) -> None:
    answer = client.get(ENTRIES, headers={"Authorization": "Bearer " + "x" * 9000})
    assert answer.status_code == 431 and answer.json()["status"] == 431
    clockify = client.get("/clockify/api/v1/user", headers={"X-Api-Key": "k" * 9000})
    assert clockify.status_code == 431 and clockify.json()["code"] == 431


def test_an_oversized_url_is_a_414(client: TestClient) -> None:
    answer = client.get(ENTRIES, params={"q": "x" * 3000})
    assert answer.status_code == 414 and answer.json()["status"] == 414


def test_the_admin_api_has_the_same_url_and_header_limits(client: TestClient) -> None:
    assert client.get("/__understudy/health").status_code == 200
    url = client.get("/__understudy/health", params={"q": "x" * 3000})
    headers = client.get("/__understudy/health", headers={"X-Filler": "x" * 9000})
    assert (url.status_code, headers.status_code) == (414, 431)
    assert headers.headers["content-type"] == "application/problem+json"
    assert "8000 bytes" in headers.json()["detail"]


def test_what_nothing_else_caught_is_a_logged_500_in_shape(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Mock, path: str) -> frozenset[str]:
        raise RuntimeError("a bug in the guard's own path")

    monkeypatch.setattr(Mock, "allowed_methods", broken)
    answer = client.get(ENTRIES)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert f"GET {ENTRIES} failed" in caplog.text
