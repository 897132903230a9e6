"""connexion's per-operation work is done once per operation, and requests stay apart."""

from __future__ import annotations

from typing import Any

import connexion
import connexion.decorators.parameter as parameter_decorator
import pytest
from connexion.resolver import Resolution, Resolver

from understudy.mock import request_path

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/echo/{word}": {
            "get": {
                "operationId": "echo",
                "parameters": [
                    {"name": "word", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "times", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


async def _echo(word: str, times: int = 1) -> dict[str, Any]:
    return {"echo": [word] * times}


def _sync_echo(word: str, times: int = 1) -> dict[str, Any]:
    return {"echo": [word] * times}


class _Resolver(Resolver):
    def __init__(self, function: Any) -> None:
        super().__init__()
        self.function = function

    def resolve(self, operation: Any) -> Resolution:
        return Resolution(self.function, "echo")


@pytest.mark.parametrize(
    ("app_class", "view"), [(connexion.AsyncApp, _echo), (connexion.FlaskApp, _sync_echo)]
)
def test_the_view_chain_is_built_once_and_requests_stay_apart(
    app_class: Any, view: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_path.install()
    inspected: list[Any] = []
    inspect = parameter_decorator.inspect_function_arguments

    def counting(function: Any) -> Any:
        inspected.append(function)
        return inspect(function)

    monkeypatch.setattr(parameter_decorator, "inspect_function_arguments", counting)
    app = app_class(__name__)
    app.add_api(SPEC, resolver=_Resolver(view))
    client = app.test_client()
    assert client.get("/echo/a?times=2").json() == {"echo": ["a", "a"]}
    assert client.get("/echo/b").json() == {"echo": ["b"]}
    assert client.get("/echo/c?times=3").json() == {"echo": ["c", "c", "c"]}
    assert client.get("/echo/d?times=x").status_code == 400
    assert len(inspected) == 1
