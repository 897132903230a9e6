"""The mock's configuration: options, environment, the admin API, the CLI — in process."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tests.conftest import ALICE
from understudy import cli
from understudy.mock import auth
from understudy.mock.app import Mock, create_app
from understudy.mock.config import Config

ENTRIES = "/api/v1/work/time-entries"


def bearer(mock: Mock, **claims: Any) -> dict[str, str]:
    claims = {"tenant_id": "ten_opts", "sub": ALICE, **claims}
    return {"Authorization": f"Bearer {auth.mint(mock.config.secret, claims)}"}


def test_config_reads_the_environment_and_flags_win() -> None:
    env = {  # the names of the options, exactly
        "UNDERSTUDY_PORT": "9000",
        "UNDERSTUDY_SURFACE": "edm, tracker",
        "UNDERSTUDY_NO_VERIFY_SIGNATURES": "1",
        "UNDERSTUDY_ROOT_SURFACE": "edm",
        "UNDERSTUDY_CORS_ORIGIN": "http://a.test,http://b.test",
        "UNDERSTUDY_EMPTY": "yes",
    }
    config = Config.from_env(env, port=9100, host=None)
    assert config.port == 9100 and config.host == "127.0.0.1" and config.demo is False
    assert config.surfaces == ("edm", "tracker") and config.verify_signatures is False
    assert config.root_surface == "edm" and config.cors_origins == (
        "http://a.test",
        "http://b.test",
    )


def test_root_surface_serves_one_surface_at_slash() -> None:
    mock = Mock(Config(surfaces=("edm",), root_surface="edm", demo=False))
    client = mock.app.test_client(base_url="http://localhost")
    assert client.get(ENTRIES, headers=bearer(mock)).status_code == 200
    assert client.get("/edm" + ENTRIES, headers=bearer(mock)).status_code == 404
    assert client.get("/ui/").status_code == 200


def test_unknown_surface_is_refused() -> None:
    with pytest.raises(Exception, match="unknown surface"):
        Mock(Config(surfaces=("nope",), demo=False))


def test_signatures_can_be_left_unchecked() -> None:
    foreign = jwt.encode(
        {"tenant_id": "ten_idp", "sub": ALICE}, "the-identity-providers-secret-xyz"
    )
    headers = {"Authorization": f"Bearer {foreign}"}
    strict = Mock(Config(surfaces=("edm",), demo=False)).app.test_client(
        base_url="http://localhost"
    )
    assert strict.get("/edm" + ENTRIES, headers=headers).status_code == 401
    lenient = Mock(Config(surfaces=("edm",), demo=False, verify_signatures=False)).app.test_client(
        base_url="http://localhost"
    )
    created = lenient.post("/edm" + ENTRIES, json={"hours": 1}, headers=headers)
    assert created.status_code == 201 and created.json()["tenant_id"] == "ten_idp"
    assert (
        lenient.get("/edm" + ENTRIES, headers={"Authorization": "Bearer junk"}).status_code == 401
    )


def test_cors_origins_are_configurable() -> None:
    client = Mock(
        Config(surfaces=("edm",), demo=False, cors_origins=("http://app.test",))
    ).app.test_client(base_url="http://localhost")
    preflight = {"Access-Control-Request-Method": "GET"}
    allowed = client.options("/edm" + ENTRIES, headers={"Origin": "http://app.test", **preflight})
    denied = client.options("/edm" + ENTRIES, headers={"Origin": "http://evil.test", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "http://app.test"
    assert denied.status_code == 400


def test_admin_api() -> None:
    mock = create_app(Config(surfaces=("edm",), demo=False))
    client = mock.app.test_client(base_url="http://localhost")
    index = client.get("/__understudy/").json()
    assert "GET /__understudy/health" in index["endpoints"]
    record = {"id": "tme_01HXK3Z5Q8V2N7M4B6C9D1E3F6", "tenant_id": "ten_opts", "hours": 1}
    added = client.post(
        "/__understudy/records", json={"surface": "edm", "collections": {"time_entries": [record]}}
    )
    assert added.status_code == 200 and added.json()["loaded"] == 1
    assert client.get(f"/edm{ENTRIES}/{record['id']}", headers=bearer(mock)).json()["hours"] == 1
    assert client.post("/__understudy/records", json={"surface": "nope"}).status_code == 400
    bad = client.post("/__understudy/records", json={"surface": "edm", "collections": {"x": [1]}})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert client.post("/__understudy/reset?demo=false").json()["records"]["edm"] == {}
    assert client.get(f"/edm{ENTRIES}/{record['id']}", headers=bearer(mock)).status_code == 404
    assert client.get("/__understudy/nothing").status_code == 404
    assert client.delete("/__understudy/health").status_code == 405
    assert client.delete("/__understudy/journal").status_code == 204
    assert client.get("/__understudy/journal").json() == {"entries": []}
    credentials = client.get("/__understudy/credentials").json()
    assert credentials["edm"]["base_urls"] == {"edm": "http://localhost/edm"}


def test_token_command_mints_what_the_mock_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["token", "--tenant", "ten_cli", "--sub", ALICE, "--app", "app_x"]) == 0
    token = capsys.readouterr().out.strip()
    claims = auth.decode(token, Config().secret)
    assert (claims["tenant_id"], claims["sub"], claims["app_id"]) == ("ten_cli", ALICE, "app_x")


def test_surfaces_command_lists_operation_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["surfaces"]) == 0
    out = capsys.readouterr().out
    assert "edm" in out and "43 operations" in out


def test_serve_refuses_an_unknown_app_class() -> None:
    with pytest.raises(Exception, match="app must be"):
        Mock(Config(app="django", demo=False))


def test_credentials_give_working_tokens_for_every_jwt_surface() -> None:
    mock = create_app(Config(demo=False))
    client = mock.app.test_client(base_url="http://localhost")
    credentials = client.get("/__understudy/credentials").json()
    assert credentials == client.get("/__understudy/credentials").json()  # stable tokens
    for surface, path in (("edm", "/edm" + ENTRIES), ("tracker", None)):
        entry = credentials[surface]
        assert entry["token"] and entry["headers"]["Authorization"] == f"Bearer {entry['token']}"
        if path:
            assert client.get(path, headers=entry["headers"]).status_code == 200
    app_token = credentials["edm"]["app_token"]
    created = client.post(
        "/edm" + ENTRIES, json={"hours": 1}, headers={"Authorization": f"Bearer {app_token}"}
    ).json()
    assert created["app_id"] == credentials["edm"]["app_id"]


def test_the_journal_keeps_bounded_bodies_and_headers_and_honours_limit() -> None:
    mock = create_app(Config(surfaces=("edm",), demo=False))
    client = mock.app.test_client(base_url="http://localhost")
    headers = bearer(mock)
    client.post("/edm" + ENTRIES, json={"hours": 1, "notes": "x" * 5000}, headers=headers)
    client.get("/edm" + ENTRIES + "?page_size=1", headers=headers)
    client.get("/edm" + ENTRIES + "?page_size=nope", headers=headers)
    entries = client.get("/__understudy/journal").json()["entries"]
    assert [e["status"] for e in entries] == [201, 200, 400]
    posted = entries[0]
    assert posted["request"]["headers"]["authorization"] == headers["Authorization"]
    assert posted["request"]["size"] > 5000 and len(posted["request"]["body"]) <= 2049
    assert posted["response"]["body"].startswith('{"') and posted["response"]["size"] > 5000
    last = client.get("/__understudy/journal?limit=1").json()["entries"]
    assert last == entries[-1:] and "page_size" in last[0]["response"]["body"]
    assert client.get("/__understudy/journal?limit=0").json()["entries"] == []
    assert client.get("/__understudy/journal?limit=x").status_code == 400


def test_access_lines_in_text_and_json() -> None:
    import io
    import json

    from understudy.mock.access import AccessLog

    entry = {
        "at": "2026-01-05T10:00:00Z",
        "method": "GET",
        "path": "/edm/x",
        "query": "a=1",
        "status": 422,
        "ms": 3.25,
        "response": {
            "body": '{"title": "Unprocessable", "detail": "period_end is before\\n period_start"}'
        },
    }
    text, machine = io.StringIO(), io.StringIO()
    AccessLog("text", stream=text).write(entry)
    AccessLog("json", stream=machine).write(entry)
    AccessLog("text", quiet=True, stream=text).write(entry)
    assert text.getvalue() == "GET /edm/x?a=1 422 3.2 ms - period_end is before period_start\n"
    line = json.loads(machine.getvalue())
    assert line["status"] == 422 and line["detail"] == "period_end is before period_start"


def test_an_access_line_never_carries_terminal_controls() -> None:
    """A path or an echoed value can hold escape sequences (%1b), carriage returns or a
    right-to-left override; the text line shows each as its escape, JSON lines are JSON."""
    import io
    import json

    from understudy.mock.access import AccessLog

    entry = {
        "at": "2026-01-05T10:00:00Z",
        "method": "GET",
        "path": "/edm/\x1b[2J\r\u202eévil",
        "query": "q=%1b",
        "status": 404,
        "ms": 1.0,
        "response": {"body": json.dumps({"detail": "no record \x1b]0;owned\x07 here"})},
    }
    text, machine = io.StringIO(), io.StringIO()
    AccessLog("text", stream=text).write(entry)
    AccessLog("json", stream=machine).write(entry)
    assert text.getvalue() == (
        "GET /edm/\\x1b[2J\\r\\u202eévil?q=%1b 404 1.0 ms - no record \\x1b]0;owned\\x07 here\n"
    )
    assert json.loads(machine.getvalue())["path"] == entry["path"]
