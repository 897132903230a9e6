"""verify's hostile phase: what it sends, and that it catches an implementation that keeps
what it cannot serve back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import running
from understudy import specs
from understudy.contracts import hostile
from understudy.contracts.verify import Options, verify
from understudy.mock import strict_json
from understudy.mock.app import create_app
from understudy.mock.config import Config

CREATE = ("/api/v1/work/time-entries", "post")


def _attempts(path: str, method: str, **fixed: str) -> list[hostile.Attempt]:
    spec = specs.bundle(specs.mount("edm"))
    op = spec["paths"][path][method]
    return list(hostile._attempts(spec, method.upper(), path, op, fixed, oversized=True))


def test_a_body_operation_gets_invalid_json_hostile_json_and_wrong_content_types() -> None:
    attempts = {a.name: a for a in _attempts(*CREATE)}
    invalid = {name for name, a in attempts.items() if a.invalid_json}
    assert {"truncated JSON", "a trailing comma", "a body that is not UTF-8"} <= invalid
    assert any("NaN" in name for name in invalid) and any("Infinity" in n for n in invalid)
    for attempt in (a for a in attempts.values() if a.invalid_json):
        with pytest.raises(ValueError):
            json.loads(attempt.body or b"", parse_constant=_refuse)
    surrogate = next(a for n, a in attempts.items() if "lone surrogate" in n)
    assert b"\\ud800" in (surrogate.body or b"") and not surrogate.invalid_json
    assert any("beyond year 9999" in n for n in attempts)  # aimed at the date-time field
    assert {a.content_type for a in attempts.values()} >= {"text/plain", "", None}
    assert len(attempts["oversized body"].body or b"") > 2 * 1024 * 1024


def _refuse(name: str) -> Any:
    raise ValueError(name)


def test_parameters_get_long_broken_and_out_of_range_values() -> None:
    attempts = _attempts("/api/v1/work/time-entries", "get")
    names = {a.name for a in attempts}
    assert "query parameter date_from: beyond year 9999 in UTC" in names
    assert "query parameter page: a 5000-digit number" in names
    assert all(a.body is None for a in attempts)
    encoded = [a.url for a in attempts if "invalid UTF-8" in a.name]
    assert encoded and all("%ED%A0%80" in url for url in encoded)


def test_an_operation_it_cannot_aim_at_is_left_out() -> None:
    spec = specs.bundle(specs.mount("clockify"))
    path = "/v1/workspaces/{workspaceId}/tags"
    op = spec["paths"][path]["post"]
    aimed = list(hostile._attempts(spec, "POST", path, op, {"workspaceId": "ws1"}, False))
    assert aimed and all("/v1/workspaces/ws1/tags" in a.url for a in aimed)


HOSTILE_ONLY = list(hostile.CHECKS)


def test_an_implementation_that_stores_a_lone_surrogate_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the broken variant: Python's lenient json and no check before keeping a record
    monkeypatch.setattr(strict_json, "loads", json.loads)
    monkeypatch.setattr(strict_json, "check", lambda value, strings=True: None)
    result = _hostile_on_edm(["createTimeEntry", "listTimeEntries"])
    failed = {(o.check, o.operation) for o in result.failures}
    assert (hostile.STATE_CHANGE, "GET /api/v1/work/time-entries") in failed, failed
    assert (hostile.SERVER_ERROR, "POST /api/v1/work/time-entries") in failed
    listing = next(o for o in result.failures if o.operation.startswith("GET"))
    assert "answers 5" in listing.message and listing.curl[0].startswith("curl -X GET")


def test_the_mock_passes_the_hostile_phase_on_edm() -> None:
    with running(create_app(Config(surfaces=("edm",), validate_responses=True))) as live:
        result = verify(
            Options(
                surface="edm",
                base_url=live.url,
                headers=live.headers(),
                checks=HOSTILE_ONLY,
                phases=("hostile",),
            )
        )
    assert result.ok, [(o.check, o.operation, o.message) for o in result.failures]
    assert {o.check for o in result.outcomes} == set(hostile.CHECKS)
    assert len({o.operation for o in result.outcomes}) >= 40
    assert result.reached / result.requests > 0.9


def test_an_implementation_that_refuses_but_keeps_is_caught() -> None:
    def keeps_then_refuses(app: Any) -> Any:
        """Every POST stores a valid entry, then answers 400 (the bug the issue found)."""

        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["method"] != "POST":
                await app(scope, receive, send)
                return
            body = json.dumps({"hours": 1, "date": "2026-01-05T00:00:00Z"}).encode()
            drop = (b"content-type", b"content-length")
            headers = [(k, v) for k, v in scope["headers"] if k not in drop]
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            sent = False

            async def valid() -> Any:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            async def swallow(message: Any) -> None:
                pass

            await app({**scope, "headers": headers}, valid, swallow)
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})

        return middleware

    result = _hostile_on_edm(["createTimeEntry"], wrap=keeps_then_refuses)
    messages = [o.message for o in result.failures if o.check == hostile.STATE_CHANGE]
    assert messages and "now shows other records (all refused)" in messages[0]


def test_a_2xx_for_invalid_json_is_caught() -> None:
    async def accepts_anything(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    mock = create_app(Config(surfaces=("edm",), demo=False))
    with running(mock, wrap=lambda app: accepts_anything) as live:
        result = verify(
            Options(
                surface="edm",
                base_url=live.url,
                headers=live.headers(),
                checks=[hostile.INVALID_JSON_ACCEPTED],
                phases=("hostile",),
                operations=["createTimeEntry"],
            )
        )
    assert [o.check for o in result.failures] == [hostile.INVALID_JSON_ACCEPTED]


def _hostile_on_edm(operations: list[str], wrap: Any = None) -> Any:
    with running(create_app(Config(surfaces=("edm",), demo=False)), wrap=wrap) as live:
        return verify(
            Options(
                surface="edm",
                base_url=live.url,
                headers=live.headers(),
                checks=HOSTILE_ONLY,
                phases=("hostile",),
                operations=operations,
            )
        )
