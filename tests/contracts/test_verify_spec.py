"""`verify --spec`: the harness from a team's own spec (tests/data/specs, see SOURCES.md),
against the mock serving it and against a deliberately broken variant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import running
from understudy.contracts import report
from understudy.contracts.verify import Options, verify
from understudy.mock.app import create_app
from understudy.mock.config import Config

SPEC = str(Path(__file__).parents[1] / "data" / "specs" / "petstore-expanded.yaml")


def forgetful_deletes(app: Any) -> Callable[..., Any]:
    """A broken implementation: answers every DELETE 204 and deletes nothing."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    return wrapped


@pytest.mark.parametrize("broken", [False, True], ids=["as-served", "forgetful-deletes"])
def test_verify_spec_against_the_mock(broken: bool) -> None:
    config = Config(specs=(SPEC,), prefixes=("/api",))
    with running(create_app(config), wrap=forgetful_deletes if broken else None) as live:
        options = Options(
            surface="", spec=SPEC, base_url=live.root + "/api", max_examples=5, seed=1
        )
        result = verify(options)
    summary = report.summary(result)
    if broken:
        assert not result.ok
        failed = {o.check for o in result.outcomes if not o.passed and not o.skipped}
        assert "soft_delete" in failed, summary
    else:
        assert result.ok, summary
        assert any(o.check == "soft_delete" and o.passed for o in result.outcomes)
