"""Pages for people: the landing page and the pre-authorised Swagger UI (in process; the
browser test drives the same pages in Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveMock
from understudy.mock.app import create_app
from understudy.mock.config import Config
from understudy.mock.docs import preauthorization


@pytest.fixture
def client(live_mock: LiveMock) -> Any:
    """The session's mock (every surface, the demo tenant), in process."""
    return live_mock.mock.app.test_client(base_url="http://127.0.0.1:8080")


def test_landing_page_at_the_root_and_every_prefix(client: Any) -> None:
    token = client.get("/__understudy/credentials").json()["edm"]["token"]
    for path in ("/", "/edm", "/edm/", "/tracker"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        for text in ("/edm/ui/", "/tracker/ui/", "/edm/openapi.json", token, "/__understudy/reset"):
            assert text in page.text, (path, text)


def test_a_surface_without_a_demo_user_says_so() -> None:
    mock = create_app(Config(surfaces=("clockify",), demo=False))
    page = mock.app.test_client(base_url="http://localhost").get("/").text
    assert "no demo user" in page


def test_pages_show_credentials_only_to_whom_the_admin_api_would(client: Any) -> None:
    token = client.get("/__understudy/credentials").json()["edm"]["token"]
    assert token in client.get("/").text and token in client.get("/edm/ui/").text
    for headers in ({"host": "attacker.example"}, {"origin": "https://attacker.example"}):
        landing, ui = client.get("/", headers=headers), client.get("/edm/ui/", headers=headers)
        assert landing.status_code == ui.status_code == 200
        assert token not in landing.text and "X-Understudy-Admin-Token" in landing.text
        assert token not in ui.text


def test_the_ui_spec_leaves_optional_parameters_empty_and_the_spec_unchanged(client: Any) -> None:
    spec = client.get("/edm/openapi.json").json()
    shown = client.get("/edm/ui/openapi.json").json()
    assert shown["servers"] == [{"url": "/edm"}]
    listed = spec["paths"]["/api/v1/work/time-entries"]["get"]["parameters"]
    assert any("$ref" in p or "example" in p for p in listed)  # the spec keeps its examples
    for param in shown["paths"]["/api/v1/work/time-entries"]["get"]["parameters"]:
        assert not param.get("required")
        assert "example" not in param and "examples" not in param
        assert "example" not in param.get("schema", {}), param["name"]
    q = next(
        p
        for p in shown["paths"]["/api/v1/work/time-entries"]["get"]["parameters"]
        if p["name"] == "q"
    )
    assert "Example:" in q["description"]
    workspace = client.get("/__understudy/credentials").json()["clockify"]["workspaceId"]
    clockify = client.get("/clockify/api/ui/openapi.json").json()
    item = clockify["paths"]["/v1/workspaces/{workspaceId}/projects"]
    path_params = [*item.get("parameters", ()), *item["get"].get("parameters", ())]
    assert {p["name"]: p.get("example") for p in path_params if p["in"] == "path"} == {
        "workspaceId": workspace
    }


def test_swagger_ui_is_preauthorised_with_the_demo_credentials(client: Any) -> None:
    credentials = client.get("/__understudy/credentials").json()
    page = client.get("/edm/ui/").text
    assert credentials["edm"]["token"] in page and "preauthorizeApiKey" in page
    key = credentials["clockify"]["api_key"]
    spec = client.get("/clockify/api/openapi.json").json()
    assert preauthorization(spec, credentials["clockify"]) == {"ApiKeyAuth": key}
    assert client.get("/clockify/api/ui/swagger-ui-bundle.js").status_code == 200
