"""connexion checks a spec against the OpenAPI meta-schema once per content, not per start."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import connexion
import pytest
from connexion.exceptions import InvalidSpecification
from connexion.resolver import Resolution, Resolver

from understudy.mock import spec_loading

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


class _Stub(Resolver):
    def resolve(self, operation: Any) -> Resolution:
        return Resolution(lambda **_: ({}, 200), f"{operation.method}:{operation.path}")


@pytest.fixture
def checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The specs connexion checked, in a fresh cache."""
    monkeypatch.setenv("UNDERSTUDY_CACHE_DIR", str(tmp_path / "cache"))
    seen: list[dict[str, Any]] = []
    validate = spec_loading._validate

    def recording(cls: type, spec: dict[str, Any]) -> None:
        seen.append(spec)
        validate(cls, spec)

    monkeypatch.setattr(spec_loading, "_validate", recording)
    return seen


def _add(spec: dict[str, Any]) -> connexion.AsyncApp:
    app = connexion.AsyncApp(__name__)
    spec_loading.add_api(app, copy.deepcopy(spec), base_path="/t", resolver=_Stub())
    return app


def test_a_spec_is_checked_once_per_content(checks: list[dict[str, Any]]) -> None:
    _add(SPEC)
    assert len(checks) == 1
    _add(SPEC)  # the next start: the same content passed before
    assert len(checks) == 1
    edited = copy.deepcopy(SPEC)
    edited["info"]["title"] = "edited"
    _add(edited)
    assert len(checks) == 2


def test_an_invalid_spec_is_refused_every_time(checks: list[dict[str, Any]]) -> None:
    broken = copy.deepcopy(SPEC)
    del broken["info"]
    for _ in range(2):
        with pytest.raises(InvalidSpecification):
            _add(broken)
    assert len(checks) == 2


def test_a_trusted_spec_still_serves_its_document(checks: list[dict[str, Any]]) -> None:
    _add(SPEC)
    app = _add(SPEC)
    response = app.test_client().get("/t/openapi.json")
    assert response.status_code == 200
    assert response.json()["paths"].keys() == SPEC["paths"].keys()
    assert len(checks) == 1  # serving the document is a copy of a checked spec


def test_other_apps_are_still_checked(checks: list[dict[str, Any]]) -> None:
    """Outside spec_loading.add_api, connexion checks every spec as it always did."""
    broken = copy.deepcopy(SPEC)
    del broken["info"]
    with pytest.raises(InvalidSpecification):
        connexion.AsyncApp(__name__).add_api(broken, resolver=_Stub())
