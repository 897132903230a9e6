"""The declared leniency: Clockify reads bodies and queries as the real service does, EDM stays
as strict as its documents; the contract harness does not count the tolerance as a failure."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import LiveMock
from understudy import binding, specs
from understudy.leniency import relax, tolerated

CLOCKIFY = {"unknown_query": "ignore", "null_optional": "absent", "textual_scalars": "coerce"}
SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "clientId": {"type": "string"},
        "note": {"type": "string", "nullable": True},
        "isPublic": {"type": "boolean"},
        "estimate": {"type": "object", "properties": {"estimate": {"type": "integer"}}},
    },
}


def test_null_in_an_optional_field_is_absent_and_textual_scalars_are_coerced() -> None:
    body = {
        "name": "A",
        "clientId": None,
        "note": None,
        "isPublic": "false",
        "estimate": {"estimate": "3600"},
    }
    assert relax(body, SCHEMA, CLOCKIFY)
    assert body == {"name": "A", "note": None, "isPublic": False, "estimate": {"estimate": 3600}}


def test_what_the_leniency_does_not_cover_is_left_for_validation() -> None:
    body = {"name": None, "isPublic": "yes", "estimate": {"estimate": "1h"}}
    assert not relax(body, SCHEMA, CLOCKIFY)
    assert body == {"name": None, "isPublic": "yes", "estimate": {"estimate": "1h"}}
    assert not relax({"clientId": None}, SCHEMA, {})  # no declaration: nothing relaxed


def test_the_harness_tolerates_only_what_relaxing_makes_valid() -> None:
    def valid(body: Any) -> bool:
        return all(v is not None for v in body.values())

    assert tolerated({"name": "A", "clientId": None}, SCHEMA, CLOCKIFY, valid, lambda n: n)
    assert not tolerated({"name": None}, SCHEMA, CLOCKIFY, valid, lambda n: n)


def test_the_surfaces_declare_their_leniency() -> None:
    declared = {
        surface: binding.read_surface(surface, specs.bundle(mounts[0])).leniency
        for surface, mounts in specs.surfaces().items()
    }
    assert declared["clockify"] == CLOCKIFY
    assert declared["edm"] == {}
    with pytest.raises(binding.BindingError, match="unknown leniency"):
        binding._leniency("x", {"unknown_query": "reject"})


def _clockify(live_mock: LiveMock) -> tuple[httpx.Client, str]:
    demo = live_mock.admin("/credentials").json()["clockify"]
    base = live_mock.root + "/clockify/api/v1"
    headers = {"x-api-key": demo["api_key"]}  # header names in any case
    # a trailing slash answers a 307 to the path without it, which clients follow
    return httpx.Client(base_url=base, headers=headers, follow_redirects=True), demo["workspaceId"]


def test_clockify_takes_what_real_clients_send(live_mock: LiveMock) -> None:
    api, ws = _clockify(live_mock)
    with api:
        created = api.post(
            f"/workspaces/{ws}/clients/?utm_source=compat",  # trailing slash, unknown parameter
            json={"name": "Lenient Ltd", "address": None, "note": None, "email": None},
        )
        assert created.status_code == 201, created.text
        assert created.json()["address"] is None
        project = api.post(
            f"/workspaces/{ws}/projects",
            json={
                "name": "Lenient site",
                "clientId": None,
                "isPublic": "false",
                "billable": "true",
            },
        )
        assert project.status_code == 201, project.text
        assert (project.json()["public"], project.json()["billable"]) == (False, True)
        listed = api.get(f"/workspaces/{ws}/tags", params={"page": 1, "tracking": "x"})
        assert listed.status_code == 200
        refused = api.post(f"/workspaces/{ws}/projects", json={"name": None})
        assert refused.status_code == 400  # a required field stays required


def test_edm_stays_strict(live_mock: LiveMock) -> None:
    with live_mock.client() as edm:
        unknown = edm.get("/api/v1/work/time-entries", params={"utm_source": "x"})
        assert unknown.status_code == 400
