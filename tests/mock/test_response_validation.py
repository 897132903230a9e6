"""The planned response validation answers every response as connexion's own operation does:
the media type, the required headers, the body — planned once per status and media type."""

from __future__ import annotations

from typing import Any

import connexion
import pytest
from connexion.middleware import response_validation as middleware
from connexion.resolver import Resolution, Resolver
from starlette.responses import Response

from understudy.mock import response_validation, validators

JSON = {"application/json": {"schema": {"type": "object", "required": ["n"]}}}
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "planned", "version": "1"},
    "paths": {
        "/answers/{case}": {
            "get": {
                "operationId": "answers",
                "parameters": [
                    {"name": "case", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"X-Total": {"required": True, "schema": {"type": "integer"}}},
                        "content": JSON,
                    },
                    "201": {"description": "no header required", "content": JSON},
                    "404": {"description": "gone", "content": JSON},
                },
            }
        }
    },
}
ANSWERS: dict[str, tuple[Any, int, dict[str, str]]] = {
    "valid": ({"n": 1}, 200, {"X-Total": "1"}),
    "a required header missing": ({"n": 1}, 200, {}),
    "a body missing a required field": ({}, 200, {"X-Total": "1"}),
    "another status, no header required": ({"n": 1}, 201, {}),
    "a media type the operation does not produce": ("n", 200, {"Content-Type": "text/csv"}),
    "an error with a body": ({"n": 1}, 404, {}),
    "a media type the operation does not produce, sent as it is": (None, 200, {}),
    "an error whose body is wrong": ({"m": 1}, 404, {}),
}


async def _answers(case: str) -> Any:
    if case == "a media type the operation does not produce, sent as it is":
        return Response("n", media_type="text/csv")  # past connexion's own response check
    return ANSWERS[case]


class _Resolver(Resolver):
    def resolve(self, operation: Any) -> Resolution:
        return Resolution(_answers, "answers")


def _all_answers(operation: type, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(middleware, "ResponseValidationOperation", operation)
    app = connexion.AsyncApp(__name__)
    app.add_api(
        SPEC,
        resolver=_Resolver(),
        validator_map=validators.VALIDATOR_MAP,
        validate_responses=True,
    )
    client = app.test_client()
    found = {}
    for _ in range(2):  # the second time from the plan
        for case in ANSWERS:
            response = client.get(f"/answers/{case}")
            found[case] = (response.status_code, response.headers["content-type"], response.text)
    return found


@pytest.mark.filterwarnings("ignore")
def test_every_answer_is_as_connexions_own_operation_gives_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    theirs = _all_answers(response_validation.CONNEXIONS, monkeypatch)
    ours = _all_answers(response_validation.Planned, monkeypatch)
    assert ours == theirs
    refused = {case for case, (status, *_) in ours.items() if status == 500}
    assert "an error with a body" not in refused
    assert refused == {
        "a required header missing",
        "a body missing a required field",
        "a media type the operation does not produce",
        "a media type the operation does not produce, sent as it is",
        "an error whose body is wrong",
    }
    assert "x-total" in ours["a required header missing"][2]  # the message names it
    assert "text/csv" in ours["a media type the operation does not produce"][2]
