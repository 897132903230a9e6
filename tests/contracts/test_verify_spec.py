"""`verify --spec`: the harness from a team's own spec, run against the mock serving it with
response validation on, for each third-party document of tests/data/specs (SOURCES.md), and
against a deliberately broken variant of that mock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import running
from understudy.contracts import report, semantic
from understudy.contracts.verify import Options, verify
from understudy.mock import demo
from understudy.mock.app import create_app
from understudy.mock.config import Config

SPECS = Path(__file__).parents[1] / "data" / "specs"
FILES = ["petstore-expanded.yaml", "galaxy.yaml", "figma.yaml"]
# the checks that must have passed somewhere, so that "0 failures" is not "nothing ran";
# the OAI petstore has no update operation (GET, POST, GET/{id}, DELETE/{id} only)
MUST_PASS = {
    "petstore-expanded.yaml": {"soft_delete", "positive_data_acceptance"},
    "galaxy.yaml": {"soft_delete", "partial_update", "read_only_fields"},
    "figma.yaml": {"soft_delete", "partial_update", "response_schema_conformance"},
}


def forgetful_deletes(app: Any) -> Callable[..., Any]:
    """A broken implementation: answers every DELETE 204 and deletes nothing."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    return wrapped


def accepts_anything(app: Any) -> Callable[..., Any]:
    """A broken implementation: what the mock refuses as invalid (400) is answered 200."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        refused = False

        async def send_accepting(message: Any) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 400:
                refused = True
                headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
            elif message["type"] == "http.response.body" and refused:
                await send({"type": "http.response.body", "body": b"{}"})
            else:
                await send(message)

        await app(scope, receive, send_accepting)

    return wrapped


def run(file: str, wrap: Callable[[Any], Any] | None = None, **options: Any) -> Any:
    config = Config(specs=(str(SPECS / file),), prefixes=("/api",), validate_responses=True)
    mock = create_app(config)
    (credentials,) = demo.credentials(mock).values()
    with running(mock, wrap=wrap) as live:
        return verify(
            Options(
                surface="",
                spec=str(SPECS / file),
                base_url=live.root + "/api",
                headers=dict(credentials.get("headers") or {}),
                seed=1,
                **options,
            )
        )


@pytest.mark.parametrize("file", FILES)
def test_the_mock_serving_a_spec_passes_its_whole_harness(file: str) -> None:
    # three generated cases per operation and phase: the coverage phase (the boundaries of
    # every schema, most of Figma's ~2,400 cases) does not depend on it
    result = run(file, max_examples=3)
    assert result.ok, report.summary(result)
    assert not result.errors, result.errors
    passed = {o.check for o in result.outcomes if o.passed and not o.skipped}
    assert MUST_PASS[file] <= passed, MUST_PASS[file] - passed


@pytest.mark.parametrize("file", FILES)
def test_forgetful_deletes_are_caught(file: str) -> None:
    result = run(file, forgetful_deletes, checks=list(semantic.REGISTRY))
    failed = {o.check for o in result.outcomes if not o.passed and not o.skipped}
    assert "soft_delete" in failed, report.summary(result)


@pytest.mark.parametrize("file", FILES)
def test_invalid_input_accepted_is_caught(file: str) -> None:
    result = run(
        file,
        accepts_anything,
        max_examples=3,
        phases=("coverage",),
        checks=["negative_data_rejection"],
    )
    failed = {o.check for o in result.outcomes if not o.passed and not o.skipped}
    assert failed == {"negative_data_rejection"}, report.summary(result)
