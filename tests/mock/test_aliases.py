"""Every base URL clockify-api-v1.txt lists (API URLs) reaches the same mock: a client changes
only the host — under the /clockify prefix and with ``--root-surface clockify``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import LiveMock
from understudy.derive import iso
from understudy.mock.app import create_app
from understudy.mock.config import Config

# (regular, reports) as the document lists them
DOCUMENTED = {
    "global": ("https://api.clockify.me/api/v1", "https://reports.api.clockify.me/v1"),
    "regional": ("https://euc1.clockify.me/api/v1", "https://use2.clockify.me/report/v1"),
    "subdomain": (
        "https://euc1.clockify.me/api/v1",
        "https://yoursubdomainname.clockify.me/report/v1",
    ),
    "developer": (
        "https://developer.clockify.me/api/v1",
        "https://developer.clockify.me/report/v1",
    ),
}
NOW = datetime.now(UTC)  # the mock serves its demo world moved to this week
REPORT = {
    "dateRangeStart": iso(NOW - timedelta(days=60)),
    "dateRangeEnd": iso(NOW + timedelta(days=1)),
    "detailedFilter": {"page": 1, "pageSize": 5},
}


@pytest.fixture(scope="module")
def root_mock() -> Iterator[httpx.Client]:
    """The Clockify surface alone, served at / (``--root-surface clockify``)."""
    mock = create_app(Config(surfaces=("clockify",), root_surface="clockify"))
    with mock.app.test_client(base_url="http://localhost") as client:
        yield client


@pytest.fixture(params=["prefix", "root"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[httpx.Client, str]]:
    """A client of the mock and the base that stands for a Clockify host."""
    if request.param == "root":
        yield request.getfixturevalue("root_mock"), ""
        return
    live: LiveMock = request.getfixturevalue("live_mock")
    with httpx.Client(base_url=live.root) as client:
        yield client, "/clockify"


def on_mock(documented: str, base: str) -> str:
    """The documented URL with only its scheme and host changed."""
    return base + urlsplit(documented).path


@pytest.mark.parametrize("form", DOCUMENTED, ids=list(DOCUMENTED))
def test_the_same_requests_succeed_under_every_documented_base_url(
    form: str, served: tuple[httpx.Client, str]
) -> None:
    client, base = served
    demo: dict[str, Any] = client.get("/__understudy/credentials").json()["clockify"]
    headers = {"X-Api-Key": demo["api_key"]}
    ws = demo["workspaceId"]
    regular, reports = (on_mock(url, base) for url in DOCUMENTED[form])
    canonical = base + "/api/v1", base + "/reports/v1"  # the mounts themselves

    tags = client.get(f"{regular}/workspaces/{ws}/tags", headers=headers)
    assert tags.status_code == 200, tags.text
    assert tags.json() == client.get(f"{canonical[0]}/workspaces/{ws}/tags", headers=headers).json()
    detailed = client.post(
        f"{reports}/workspaces/{ws}/reports/detailed", headers=headers, json=REPORT
    )
    assert detailed.status_code == 200, detailed.text
    expected = client.post(
        f"{canonical[1]}/workspaces/{ws}/reports/detailed", headers=headers, json=REPORT
    )
    assert detailed.json() == expected.json() and detailed.json()["timeentries"]
    missing = client.get(f"{reports}/workspaces/{ws}/no-such-report", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == 404  # Clockify's shape


def test_aliases_never_shadow_another_mount(live_mock: LiveMock) -> None:
    with httpx.Client(base_url=live_mock.root) as client:
        assert client.get("/edm/api/v1/work/time-entries").status_code == 401  # still EDM's
        assert client.get("/v1/workspaces").status_code == 404  # no alias outside /clockify
        assert client.get("/__understudy/health").status_code == 200
