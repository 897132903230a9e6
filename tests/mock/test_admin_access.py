"""The admin API is the developer's alone: no web page they visit can read or wipe it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import running
from understudy.mock.admin_access import is_loopback
from understudy.mock.app import Mock, create_app
from understudy.mock.config import Config

ENTRIES = "/edm/api/v1/work/time-entries"


@pytest.fixture(scope="module")
def mock() -> Mock:
    return create_app(Config(surfaces=("edm",), size="small"))


@pytest.fixture
def local(mock: Mock) -> TestClient:
    mock.reset()
    return mock.app.test_client(base_url="http://127.0.0.1:8080")


def records(client: TestClient) -> int:
    return sum(client.get("/__understudy/health").json()["records"]["edm"].values())


def test_a_cross_origin_form_post_cannot_wipe_the_state(local: TestClient) -> None:
    before = records(local)
    assert before > 0
    # what <form method=post enctype=text/plain action=".../reset?demo=false"> sends
    form = local.post(
        "/__understudy/reset?demo=false",
        content=b"x=y",
        headers={"Origin": "http://evil.test", "Content-Type": "text/plain"},
    )
    assert form.status_code == 403 and "evil.test" in form.json()["detail"]
    assert records(local) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_write_typed_like_a_form_is_refused_even_without_an_origin(
    local: TestClient, content_type: str
) -> None:
    before = records(local)
    answer = local.post(
        "/__understudy/reset?demo=false", content=b"x", headers={"Content-Type": content_type}
    )
    assert answer.status_code == 415 and records(local) == before


def test_scripts_keep_working(local: TestClient) -> None:
    assert local.post("/__understudy/reset?demo=false").status_code == 200  # curl -X POST
    assert records(local) == 0
    with_header = local.post(
        "/__understudy/reset",
        content=b"",
        headers={"X-Understudy-Admin": "1", "Content-Type": "text/plain"},
    )
    assert with_header.status_code == 200 and records(local) > 0


def test_a_page_on_another_site_cannot_read_the_credentials(local: TestClient) -> None:
    answer = local.get("/__understudy/credentials", headers={"Origin": "https://evil.test"})
    assert answer.status_code == 403 and "token" not in answer.text
    for origin in ("http://localhost:3000", "http://127.0.0.1:8080"):  # a dev server, the mock
        assert local.get("/__understudy/credentials", headers={"Origin": origin}).status_code == 200


def test_a_rebound_host_name_is_refused(mock: Mock) -> None:
    client = mock.app.test_client(base_url="http://evil.test:8080")  # DNS rebinding
    answer = client.get("/__understudy/credentials")
    assert answer.status_code == 403 and "loopback" in answer.json()["detail"]


def test_an_explicit_cors_origin_may_call_the_admin_api() -> None:
    mock = Mock(Config(surfaces=("edm",), demo=False, cors_origins=("https://app.test",)))
    client = mock.app.test_client(base_url="http://localhost")
    assert client.get("/__understudy/health", headers={"Origin": "https://app.test"}).is_success
    assert (
        client.get("/__understudy/health", headers={"Origin": "https://b.test"}).status_code == 403
    )


def test_beyond_loopback_the_admin_api_takes_the_printed_token() -> None:
    mock = Mock(Config(surfaces=("edm",), demo=False, host="0.0.0.0"))
    assert mock.admin_token
    client = mock.app.test_client(base_url="http://build-box.internal:8080")
    assert client.get("/__understudy/health").status_code == 401
    wrong = client.get("/__understudy/health", headers={"X-Understudy-Admin-Token": "guess"})
    assert wrong.status_code == 401
    right = client.get(
        "/__understudy/health", headers={"X-Understudy-Admin-Token": mock.admin_token}
    )
    assert right.status_code == 200
    assert Mock(Config(surfaces=("edm",), demo=False)).admin_token is None  # loopback: none


def test_serve_warns_and_prints_the_token_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from understudy import cli

    started: list[Any] = []
    monkeypatch.setattr(  # serve hands uvicorn the socket it bound before the banner
        "uvicorn.Server.run", lambda self, sockets=None: started.append(self.config)
    )
    assert (
        cli.main(["serve", "--host", "0.0.0.0", "--port", "0", "--empty", "--surface", "edm"]) == 0
    )
    out = capsys.readouterr()
    assert "admin token:" in out.out and "warning: listening on 0.0.0.0" in out.err
    assert started and started[0].host == "0.0.0.0"


def test_admin_bodies_have_the_body_limit() -> None:
    mock = Mock(Config(surfaces=("edm",), demo=False, max_body=1000))
    client = mock.app.test_client(base_url="http://localhost")
    big = {"surface": "edm", "collections": {"time_entries": []}, "pad": "x" * 2000}
    assert client.post("/__understudy/records", json=big).status_code == 413


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("localhost", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("[::1]", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("evil.test", False),
        ("localhost.evil.test", False),
    ],
)
def test_loopback_names(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_surfaces_keep_open_cors_and_expose_every_header_they_send() -> None:
    mock = create_app(Config(surfaces=("edm", "tracker"), demo=False))
    with running(mock) as live:
        answer = httpx.get(
            live.url + "/api/v1/work/time-entries",
            headers={"Origin": "https://a.test", **live.headers()},
        )
        assert answer.headers["access-control-allow-origin"] == "*"
        exposed = {h.strip() for h in answer.headers["access-control-expose-headers"].split(",")}
        assert {"Location", "Retry-After", "X-Total-Count", "Idempotent-Replayed"} <= exposed


def test_credentials_mode_works_with_an_explicit_origin_list() -> None:
    mock = Mock(Config(surfaces=("edm",), demo=False, cors_origins=("https://app.test",)))
    client = mock.app.test_client(base_url="http://localhost")
    preflight = client.options(
        ENTRIES,
        headers={"Origin": "https://app.test", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://app.test"
    assert preflight.headers["access-control-allow-credentials"] == "true"
