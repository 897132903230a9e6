"""The contract harness: the mock conforms, and deliberately broken variants of it are caught
by the right named check."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALICE, BOB, TENANT_A, TENANT_B, LiveMock, running
from understudy.cli import main
from understudy.contracts.verify import Options, verify
from understudy.mock import errors
from understudy.mock.app import create_app
from understudy.mock.config import Config
from understudy.mock.engine import Engine, Reply

TRACKER_ORG_A = "7b1e2c3d-0000-4000-8000-00000000000a"
TRACKER_ORG_B = "7b1e2c3d-0000-4000-8000-00000000000b"
TRACKER_USER = "9a8b7c6d-0000-4000-8000-000000000002"
OTHER_APP = "app_01HXOTHERAPP0000000000000"


def options(live: LiveMock, surface: str = "edm", **overrides: Any) -> Options:
    other_app = None
    if surface == "edm":
        a, b = live.token(ALICE, TENANT_A), live.token(BOB, TENANT_B)
        other_app = {"Authorization": f"Bearer {live.token(ALICE, TENANT_A, OTHER_APP)}"}
        url = live.url
    else:
        a, b = live.token(TRACKER_USER, TRACKER_ORG_A), live.token(TRACKER_USER, TRACKER_ORG_B)
        url = live.root + "/tracker"
    base = Options(
        surface=surface,
        base_url=url,
        headers={"Authorization": f"Bearer {a}"},
        other_headers={"Authorization": f"Bearer {b}"},
        other_app_headers=other_app,
        max_examples=5,
        workers=1,
        seed=1,
    )
    return dataclasses.replace(base, **overrides)


def test_the_mock_conforms_on_edm(live_mock: LiveMock) -> None:
    result = verify(options(live_mock))
    assert result.ok, [(o.check, o.operation, o.message) for o in result.failures] + result.errors
    ran = {o.check for o in result.outcomes if o.passed and not o.skipped}
    assert {"tenant_isolation", "server_stamps", "soft_delete", "lifecycle"} <= ran
    assert {"list_filters", "list_search", "list_sort", "list_paging", "app_isolation"} <= ran
    assert {"partial_update", "read_only_fields", "update_bounds"} <= ran
    assert {"response_schema_conformance", "status_code_conformance"} <= ran
    assert result.cases > 500 and result.requests > result.cases


@pytest.mark.parametrize("mount", [0, 1], ids=["api", "reports"])
def test_the_mock_conforms_on_clockify(live_mock: LiveMock, mount: int) -> None:
    demo = live_mock.admin("/credentials").json()["clockify"]
    result = verify(
        Options(
            surface="clockify",
            base_url=live_mock.root + ("/clockify/api", "/clockify/reports")[mount],
            mount=mount,
            headers={"X-Api-Key": demo["api_key"]},
            params={"workspaceId": demo["workspaceId"]},
            max_examples=3,
            seed=1,
        )
    )
    assert result.ok, [(o.check, o.operation, o.message) for o in result.failures] + result.errors
    ran = {o.check for o in result.outcomes if o.passed and not o.skipped}
    assert {"response_schema_conformance", "positive_data_acceptance"} <= ran


def test_the_mock_conforms_on_tracker(live_mock: LiveMock) -> None:
    result = verify(options(live_mock, "tracker"))
    assert result.ok, [(o.check, o.operation, o.message) for o in result.failures] + result.errors
    ran = {o.check for o in result.outcomes if o.passed and not o.skipped}
    assert {"idempotency", "upsert", "tenant_isolation"} <= ran


# ---------------------------------------------------------------- broken variants
def _engine(mock: Any, surface: str = "edm") -> Engine:
    return next(m.engine for m in mock.mounted if m.mount.surface == surface)


def _json_rewrite(change: Callable[[str, str, int, Any], tuple[int, Any]]) -> Callable[[Any], Any]:
    """An ASGI middleware that rewrites JSON answers: change(method, path, status, body)."""

    def wrap(app: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            start: dict[str, Any] = {}
            chunks: list[bytes] = []

            async def capture(message: Any) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                raw = b"".join(chunks)
                status = start["status"]
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                if body is not None:
                    status, body = change(scope["method"], scope["path"], status, body)
                    raw = json.dumps(body).encode()
                headers.append((b"content-length", str(len(raw)).encode()))
                await send({**start, "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": raw})

            await app(scope, receive, capture)

        return middleware

    return wrap


def wrong_type(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if isinstance(body, dict) and "hours" in body:
        body["hours"] = str(body["hours"])
    return status, body


def missing_required(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if isinstance(body, dict) and "created_at" in body:
        del body["created_at"]
    return status, body


def undocumented_status(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    return (202 if status == 201 else status), body


def server_error(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if method == "POST" and isinstance(body, dict) and len(str(body.get("notes") or "")) > 3:
        return 500, {"title": "Internal Server Error", "status": 500}
    return status, body


def leak_records(engine: Engine) -> None:
    """Reads by id ignore the tenant."""

    def load(call: Any, collection: Any = None) -> Any:
        collection = collection or engine._collection(call)
        record = engine.store.get(collection.name, call.params.get(call.binding.id_param))
        if record is None:
            raise errors.NotFound("No such record")
        return record

    engine.load = load  # type: ignore[method-assign]


def stale_updated_at(engine: Engine) -> None:
    stamps = {k: v for k, v in engine.surface.update_stamps.items() if k != "updated_at"}
    engine.surface = dataclasses.replace(engine.surface, update_stamps=stamps)


def list_deleted(engine: Engine) -> None:
    listing = engine._behaviours["list"]
    flag = engine.surface.listing["include_deleted"]

    def list_everything(call: Any) -> Reply:
        return listing(dataclasses.replace(call, params={**call.params, flag: True}))

    engine._behaviours["list"] = list_everything


def any_transition(engine: Engine) -> None:
    """Actions move the state from wherever it is."""

    def action(call: Any) -> Reply:
        collection = engine._collection(call)
        lifecycle = collection.lifecycle
        move = lifecycle.for_action(call.binding.action)
        with engine.store.transaction():
            current = engine.load(call)
            body = {lifecycle.field: move.to}
            return Reply(200, engine._update(call, collection, current, body, move.stamp))

    engine._behaviours["action"] = action


def ignore_idempotency_key(engine: Engine) -> None:
    engine._idempotent = lambda call, key, ttl: engine.dispatch(call)  # type: ignore[method-assign]


VARIANTS = {
    # name: (wrap, engine patch, surface, options, the check that must catch it)
    "a field of the wrong type": (
        _json_rewrite(wrong_type),
        None,
        "edm",
        {"operations": ["createTimeEntry"], "phases": ("examples",)},
        "response_schema_conformance",
    ),
    "a missing required field": (
        _json_rewrite(missing_required),
        None,
        "edm",
        {"operations": ["createComment"], "phases": ("examples",)},
        "response_schema_conformance",
    ),
    "an undocumented status": (
        _json_rewrite(undocumented_status),
        None,
        "edm",
        {"operations": ["createTravel"], "phases": ("examples",)},
        "status_code_conformance",
    ),
    "a 500 on some input": (
        _json_rewrite(server_error),
        None,
        "edm",
        {"operations": ["createTimeEntry"], "phases": ("examples", "fuzzing")},
        "not_a_server_error",
    ),
    "a record leaked to another tenant": (
        None,
        leak_records,
        "edm",
        {"operations": ["createEquipment"], "checks": ["tenant_isolation"]},
        "tenant_isolation",
    ),
    "updated_at not advanced": (
        None,
        stale_updated_at,
        "edm",
        {"operations": ["createHrRequest"], "checks": ["server_stamps"]},
        "server_stamps",
    ),
    "a soft-deleted record still listed": (
        None,
        list_deleted,
        "edm",
        {"operations": ["createComment"], "checks": ["soft_delete"]},
        "soft_delete",
    ),
    "an impossible transition accepted": (
        None,
        any_transition,
        "edm",
        {"operations": ["createTravel"], "checks": ["lifecycle"]},
        "lifecycle",
    ),
    "the Idempotency-Key ignored": (
        None,
        ignore_idempotency_key,
        "tracker",
        {"checks": ["idempotency"]},
        "idempotency",
    ),
}


@pytest.fixture
def broken(request: pytest.FixtureRequest) -> Iterator[tuple[LiveMock, str, dict[str, Any], str]]:
    wrap, patch, surface, overrides, check = VARIANTS[request.param]
    mock = create_app(Config(surfaces=(surface,), demo=False))
    if patch:
        patch(_engine(mock, surface))
    with running(mock, wrap) as live:
        yield live, surface, overrides, check


@pytest.mark.parametrize("broken", list(VARIANTS), indirect=True)
def test_a_broken_variant_is_caught_by_the_right_check(
    broken: tuple[LiveMock, str, dict[str, Any], str],
) -> None:
    live, surface, overrides, check = broken
    result = verify(options(live, surface, **overrides))
    assert not result.ok
    assert check in result.failed_checks(), [(o.check, o.message) for o in result.failures]
    failure = next(o for o in result.failures if o.check == check)
    assert failure.curl and all(c.startswith("curl ") for c in failure.curl)


def test_verify_command_exit_codes_and_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = create_app(Config(surfaces=("edm",), demo=False))
    list_deleted(_engine(mock))
    with running(mock) as live:
        argv = [
            "verify",
            "--base-url",
            live.url,
            "--token",
            live.token(),
            "--other-token",
            live.token(BOB, TENANT_B),
            "--operation",
            "createComment",
            "--seed",
            "1",
            "--quiet",
        ]
        junit = tmp_path / "verify.xml"
        assert main([*argv, "--check", "soft_delete", "--junit", str(junit)]) == 1
        out = capsys.readouterr().out
        assert "[soft_delete] comments" in out and "still listed" in out and "curl -X DELETE" in out
        suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
        assert suites["soft_delete"].get("failures") == "1"

        assert main([*argv, "--check", "tenant_isolation"]) == 0
        other_app = live.token(ALICE, TENANT_A, OTHER_APP)
        assert main([*argv, "--check", "app_isolation", "--other-app-token", other_app]) == 0
        assert re.search(r"ok\s+app_isolation\s+1\s+0\s+0", capsys.readouterr().out)
        assert main([*argv, "--check", "no_such_check"]) == 2
        assert main([*argv, "--operation", "noSuchOperation"]) == 2
        assert main([*argv, "--param", "no-equals-sign"]) == 2
        assert main([*argv, "--header", "no colon"]) == 2
    assert main(["verify", "--base-url", "http://127.0.0.1:9", "--token", "t"]) == 2
    assert "cannot reach" in capsys.readouterr().err


def test_the_pytest_plugin_runs_the_contract_and_own_checks(pytester: pytest.Pytester) -> None:
    mock = create_app(Config(surfaces=("edm",), demo=False))
    list_deleted(_engine(mock))
    pytester.makeconftest('pytest_plugins = ["understudy.contracts.pytest_plugin"]')
    pytester.makepyfile(
        test_team="""
        from understudy.contracts.pytest_plugin import test_contract  # noqa: F401
        from understudy.contracts.semantic import Violation, semantic


        @semantic("team_lists_answer")
        def team_lists_answer(ctx, plan):
            if plan.list and ctx.a.request("GET", ctx.path(plan.list)).status_code != 200:
                raise Violation("a list did not answer 200")


        def test_own_check(understudy_verify):
            result = understudy_verify(checks=["team_lists_answer"])
            assert result.ok and any(o.check == "team_lists_answer" for o in result.outcomes)
        """
    )
    with running(mock) as live:
        outcome = pytester.runpytest(
            f"--understudy-base-url={live.url}",
            f"--understudy-token={live.token()}",
            f"--understudy-other-token={live.token(BOB, TENANT_B)}",
            "--understudy-max-examples=2",
            "-p",
            "no:cacheprovider",
            "-k",
            "own_check or contract",
        )
    outcome.assert_outcomes(passed=1, failed=1)  # the contract finds the broken soft delete
    assert "[soft_delete]" in outcome.stdout.str()
